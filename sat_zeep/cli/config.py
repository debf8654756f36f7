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
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from ..soap.endpoints import ServiceType
from .options import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_KNOWN = {"name", "efirma", "cer", "key", "password_env", "password_file", "out", "service"}
_KNOWN_DEFAULTS = {"start", "end", "out", "service", "password_env"}
_SERVICES = [kind.value for kind in ServiceType]


class ConfigError(click.UsageError):
    """A ``--config`` file that cannot be used as written (exit code 2, usage)."""


@dataclass(frozen=True)
class Taxpayer:
    """One entry: who, with which settings, into which folder, for which period."""

    name: str
    settings: Settings
    output: Path | None
    start: date | None
    end: date | None


def load_config(path: Path, base: Settings) -> list[Taxpayer]:
    """The taxpayers of a config file; ``ConfigError`` naming the entry and key when wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    defaults = data.get("defaults", {})
    entries = data.get("taxpayer", [])
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"{path}: [[taxpayer]] must be a list of tables ([[taxpayer]] blocks)")
    if "password" in defaults or any("password" in entry for entry in entries):
        raise ConfigError(
            f"{path} must not hold passwords: use password_env or password_file for each taxpayer"
        )
    unknown = set(defaults) - _KNOWN_DEFAULTS
    if unknown:
        raise ConfigError(f"{path} [defaults]: unknown keys {sorted(unknown)}")
    _check_values(path, "[defaults]", defaults)
    if not entries:
        raise ConfigError(f"{path} lists no [[taxpayer]]")
    folder = path.parent
    taxpayers = []
    for index, entry in enumerate(entries, start=1):
        unknown = set(entry) - _KNOWN
        if unknown:
            raise ConfigError(f"{path} taxpayer {index}: unknown keys {sorted(unknown)}")
        _check_values(path, f"taxpayer {index}", entry)
        taxpayers.append(_taxpayer(entry, defaults, base, folder, index))
    _check_distinct(path, taxpayers)
    return taxpayers


def _check_values(path: Path, where: str, table: dict[str, Any]) -> None:
    """Each key's type: dates are TOML dates (no quotes), the rest strings."""
    for key, value in table.items():
        if key in ("start", "end"):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ConfigError(
                    f"{path} {where}: {key} must be a date written without quotes "
                    f"({key} = 2025-01-01), not {value!r}"
                )
        elif not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path} {where}: {key} must be a string, not {value!r}")
        elif key == "service" and value not in _SERVICES:
            raise ConfigError(f"{path} {where}: service must be one of {_SERVICES}, not {value!r}")


def _check_distinct(path: Path, taxpayers: list[Taxpayer]) -> None:
    """Every taxpayer has a name and a folder of its own (nor one inside another's)."""
    seen: dict[str, Taxpayer] = {}
    for taxpayer in taxpayers:
        if taxpayer.name in seen:
            raise ConfigError(
                f"{path}: the name {taxpayer.name!r} is used twice; give each taxpayer its own"
            )
        seen[taxpayer.name] = taxpayer
    folders = [(t, t.output.resolve()) for t in taxpayers if t.output is not None]
    for index, (one, first) in enumerate(folders):
        for other, second in folders[index + 1 :]:
            if first == second:
                raise ConfigError(
                    f"{path}: taxpayers {one.name!r} and {other.name!r} share the folder "
                    f"{first}; each needs its own out"
                )
            for inner, outer, a, b in ((first, second, one, other), (second, first, other, one)):
                if outer in inner.parents:
                    raise ConfigError(
                        f"{path}: the folder of {a.name!r} ({inner}) is inside the folder of "
                        f"{b.name!r} ({outer}); give them separate folders"
                    )


def _taxpayer(
    entry: dict[str, Any], defaults: dict[str, Any], base: Settings, folder: Path, index: int
) -> Taxpayer:
    name = str(entry.get("name") or f"taxpayer-{index}")

    def path(key: str) -> Path | None:
        value = entry.get(key)
        return None if value is None else (folder / str(value))

    base_env = base.password_env
    settings = replace(
        base,
        efirma=path("efirma"),
        cer=path("cer"),
        key=path("key"),
        password_env=str(entry.get("password_env", defaults.get("password_env", base_env))),
        password_file=path("password_file"),
        service=ServiceType(entry.get("service", defaults.get("service", base.service.value))),
    )
    out = entry.get("out")
    output = folder / str(out) if out else None
    if output is None and defaults.get("out"):
        output = folder / str(defaults["out"]) / name
    return Taxpayer(name, settings, output, defaults.get("start"), defaults.get("end"))
