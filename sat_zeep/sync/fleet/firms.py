"""The taxpayers to register: a ``firms.toml`` file or one ``--efirma DIR``.

    [defaults]
    since = "35d"                  # a rolling window; or start = 2025-01-01 (and end = …)
    password_env = "SAT_PASSWORD"  # or password_file = "…"; never the password itself

    [[taxpayer]]
    efirma = "efirmas/abarrotes"   # a folder with one .cer and one .key; or cer = …, key = …
    password_env = "ABARROTES_PASSWORD"

Paths are relative to the file and stored absolute: the workers must see them at the same place.
The RFC is read from the certificate. No password, key or token ever goes into the store.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cryptography import x509

from ...signing.fiel import certificate_rfc
from .errors import TaxpayerConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["TaxpayerEntry", "entry_from_efirma", "load_firms", "parse_since"]

_KNOWN = {
    "efirma",
    "cer",
    "key",
    "password_env",
    "password_file",
    "start",
    "end",
    "since",
    "service",
    "directions",
    "kinds",
}
_SINCE = re.compile(r"^(\d+)d$")
_DIRECTIONS = {"emitidos", "recibidos"}
_KINDS = {"Metadata", "CFDI"}


@dataclass(frozen=True)
class TaxpayerEntry:
    """The columns of one ``fleet_taxpayers`` row."""

    rfc: str
    service: str
    certificate: str
    private_key: str
    password_env: str | None
    password_file: str | None
    start_date: str | None
    end_date: str | None
    since_days: int | None
    directions: str
    kinds: str

    def columns(self) -> dict[str, Any]:
        return asdict(self)


def parse_since(text: str) -> int:
    """``35d`` → 35 (days of a rolling window)."""
    match = _SINCE.match(text.strip())
    if match is None:
        raise TaxpayerConfigError(f"since must be a number of days such as 35d, not {text!r}")
    return int(match.group(1))


def entry_from_efirma(
    *,
    cer: Path,
    key: Path,
    password_env: str | None,
    password_file: Path | None,
    start: date | None,
    end: date | None,
    since: str | None,
    service: str = "cfdi",
    directions: str = "emitidos,recibidos",
    kinds: str = "Metadata,CFDI",
    where: str = "",
) -> TaxpayerEntry:
    """One entry, checked: the RFC from the certificate, one window, one password source."""
    prefix = f"{where}: " if where else ""
    if (password_env is None) == (password_file is None):
        raise TaxpayerConfigError(f"{prefix}give exactly one of password_env or password_file")
    if since is not None and start is not None:
        raise TaxpayerConfigError(f"{prefix}give either since (a rolling window) or start")
    if since is None and start is None:
        raise TaxpayerConfigError(f"{prefix}give start (a date) or since (such as 35d)")
    wrong = set(directions.split(",")) - _DIRECTIONS or set(kinds.split(",")) - _KINDS
    if wrong:
        raise TaxpayerConfigError(f"{prefix}unknown directions or kinds: {sorted(wrong)}")
    try:
        certificate = x509.load_der_x509_certificate(cer.read_bytes())
    except (OSError, ValueError) as error:
        raise TaxpayerConfigError(f"{prefix}cannot read the certificate {cer}: {error}") from None
    if not key.is_file():
        raise TaxpayerConfigError(f"{prefix}the private key {key} does not exist")
    return TaxpayerEntry(
        rfc=certificate_rfc(certificate),
        service=service,
        certificate=str(cer.resolve()),
        private_key=str(key.resolve()),
        password_env=password_env,
        password_file=str(password_file.resolve()) if password_file else None,
        start_date=start.isoformat() if start else None,
        end_date=end.isoformat() if end else None,
        since_days=parse_since(since) if since is not None else None,
        directions=directions,
        kinds=kinds,
    )


def efirma_pair(folder: Path, where: str = "") -> tuple[Path, Path]:
    """The one .cer and one .key in ``folder``."""
    cers, keys = sorted(folder.glob("*.cer")), sorted(folder.glob("*.key"))
    if len(cers) != 1 or len(keys) != 1:
        raise TaxpayerConfigError(
            f"{where + ': ' if where else ''}{folder} must hold exactly one .cer and one .key "
            f"(found {len(cers)} and {len(keys)})"
        )
    return cers[0], keys[0]


def load_firms(path: Path) -> list[TaxpayerEntry]:
    """The entries of a ``firms.toml``; ``TaxpayerConfigError`` naming the entry when wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise TaxpayerConfigError(f"{path} cannot be read as TOML: {error}") from None
    defaults = data.get("defaults", {})
    entries = data.get("taxpayer", [])
    if not isinstance(defaults, dict) or not isinstance(entries, list) or not entries:
        raise TaxpayerConfigError(f"{path} needs [[taxpayer]] tables (and an optional [defaults])")
    if "password" in defaults or any("password" in entry for entry in entries):
        raise TaxpayerConfigError(f"{path} must not hold passwords: use password_env or _file")
    base = path.parent
    result = []
    for number, raw in enumerate(entries, start=1):
        where = f"{path} taxpayer {number}"
        entry = {**defaults, **raw}
        unknown = set(entry) - _KNOWN
        if unknown:
            raise TaxpayerConfigError(f"{where}: unknown keys {sorted(unknown)}")
        if "efirma" in entry:
            cer, key = efirma_pair(base / entry["efirma"], where)
        elif "cer" in entry and "key" in entry:
            cer, key = base / entry["cer"], base / entry["key"]
        else:
            raise TaxpayerConfigError(f"{where}: give efirma (a folder) or cer and key")
        password_file = entry.get("password_file")
        result.append(
            entry_from_efirma(
                cer=cer,
                key=key,
                password_env=entry.get("password_env") if not password_file else None,
                password_file=base / password_file if password_file else None,
                start=_date(entry.get("start"), where),
                end=_date(entry.get("end"), where),
                since=entry.get("since"),
                service=entry.get("service", "cfdi"),
                directions=",".join(entry.get("directions", ["emitidos", "recibidos"])),
                kinds=",".join(entry.get("kinds", ["Metadata", "CFDI"])),
                where=where,
            )
        )
    return result


def _date(value: object, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise TaxpayerConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
