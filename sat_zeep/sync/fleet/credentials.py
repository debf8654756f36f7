"""A taxpayer's e.firma, loaded on the worker from where the store says it lives.

The store keeps paths and the name of an environment variable (or a file) holding the
password, never the password itself. Loaded e.firmas stay in the worker's memory only.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ...errors import CredentialError
from ...signing.fiel import Fiel
from .rows import TaxpayerRow

__all__ = ["FielCache", "load_fiel", "password_of"]


def password_of(taxpayer: TaxpayerRow) -> str:
    """The e.firma password from the taxpayer's environment variable or file."""
    if taxpayer.password_env:
        value = os.environ.get(taxpayer.password_env)
        if value is None:
            raise CredentialError(
                f"{taxpayer.rfc}: the environment variable {taxpayer.password_env} (its e.firma "
                "password) is not set on this worker"
            )
        return value
    if taxpayer.password_file:
        try:
            return Path(taxpayer.password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise CredentialError(
                f"{taxpayer.rfc}: cannot read its password file {taxpayer.password_file} "
                f"({error.strerror})"
            ) from None
    raise CredentialError(f"{taxpayer.rfc}: no password_env or password_file is registered")


def load_fiel(taxpayer: TaxpayerRow) -> Fiel:
    """The taxpayer's e.firma; ``CredentialError`` when it cannot be used or is another RFC's."""
    fiel = Fiel.from_files(taxpayer.certificate, taxpayer.private_key, password_of(taxpayer))
    if fiel.rfc != taxpayer.rfc:
        raise CredentialError(
            f"{taxpayer.certificate} is the e.firma of {fiel.rfc}, not of {taxpayer.rfc}"
        )
    return fiel


class FielCache:
    """E.firmas loaded once per worker process, by RFC and files."""

    def __init__(self) -> None:
        self._fiels: dict[tuple[str, str, str], Fiel] = {}
        self._lock = threading.Lock()

    def get(self, taxpayer: TaxpayerRow) -> Fiel:
        key = (taxpayer.rfc, taxpayer.certificate, taxpayer.private_key)
        with self._lock:
            fiel = self._fiels.get(key)
        if fiel is None:
            fiel = load_fiel(taxpayer)
            with self._lock:
                self._fiels[key] = fiel
        return fiel
