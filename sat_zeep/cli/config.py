"""The TOML file that lists many taxpayers for one ``sat-zeep sync --config``.

    [defaults]
    start = 2025-01-01
    end = 2025-12-31            # optional: today
    service = "cfdi"
    out = "facturas"            # each taxpayer goes to facturas/<RFC or name>

    [[taxpayer]]
    name = "abarrotes"
    efirma = "efirmas/abarrotes"            # or cer = "…" and key = "…"
    password_env = "ABARROTES_PASSWORD"     # or password_file = "…"; never the password itself

Paths are relative to the file. Each taxpayer has its own folder and its own state.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..endpoints import ServiceType
from .options import PASSWORD_ENV, Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_KNOWN = {"name", "efirma", "cer", "key", "password_env", "password_file", "out", "service"}
_KNOWN_DEFAULTS = {"start", "end", "out", "service", "password_env"}


@dataclass(frozen=True)
class Taxpayer:
    """One entry: who, with which settings, into which folder, for which period."""

    name: str
    settings: Settings
    output: Path | None
    start: date | None
    end: date | None


def load_config(path: Path, base: Settings) -> list[Taxpayer]:
    """The taxpayers of a config file; a ``UsageError`` (exit 2) naming the entry and key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise click.UsageError(f"{path} is not valid TOML: {error}") from None
    defaults = data.get("defaults", {})
    if "password" in defaults or any("password" in entry for entry in data.get("taxpayer", [])):
        raise click.UsageError(
            f"{path} must not hold passwords: use password_env or password_file for each taxpayer"
        )
    unknown = set(defaults) - _KNOWN_DEFAULTS
    if unknown:
        raise click.UsageError(f"{path} [defaults]: unknown keys {sorted(unknown)}")
    entries = data.get("taxpayer", [])
    if not entries:
        raise click.UsageError(f"{path} lists no [[taxpayer]]")
    folder = path.parent
    taxpayers = []
    for index, entry in enumerate(entries, start=1):
        unknown = set(entry) - _KNOWN
        if unknown:
            raise click.UsageError(f"{path} taxpayer {index}: unknown keys {sorted(unknown)}")
        taxpayers.append(_taxpayer(entry, defaults, base, folder, index))
    return taxpayers


def _taxpayer(
    entry: dict[str, Any], defaults: dict[str, Any], base: Settings, folder: Path, index: int
) -> Taxpayer:
    name = str(entry.get("name") or f"taxpayer-{index}")

    def path(key: str) -> Path | None:
        value = entry.get(key)
        return None if value is None else (folder / str(value))

    settings = replace(
        base,
        efirma=path("efirma"),
        cer=path("cer"),
        key=path("key"),
        password_env=str(entry.get("password_env", defaults.get("password_env", PASSWORD_ENV))),
        password_file=path("password_file"),
        service=ServiceType(entry.get("service", defaults.get("service", base.service.value))),
    )
    out = entry.get("out")
    output = folder / str(out) if out else None
    if output is None and defaults.get("out"):
        output = folder / str(defaults["out"]) / name
    return Taxpayer(name, settings, output, defaults.get("start"), defaults.get("end"))
