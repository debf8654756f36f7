"""Exit codes of the ``sat-zeep`` command line, and the one-line message for each error."""

from __future__ import annotations

import json
from typing import NamedTuple

import click

from ..errors import (
    CredentialError,
    DestinationError,
    FolderInUseError,
    PackageTransferError,
    RequestValidationError,
    SatCertificateError,
    SatError,
    SatHTTPError,
    SatStatusError,
    SatTransportError,
    StateDamagedError,
    StateOwnerError,
    StateWriteError,
    SyncStateError,
)
from ..packages.errors import PackageError


class ExitCode(NamedTuple):
    """One family of failures: its exit code, its errors, and advice the messages lack."""

    code: int
    family: str
    errors: tuple[type[BaseException], ...]
    advice: str


#: Every exit code, most specific family first (a ``SatError`` matches the first that fits).
EXIT_CODES: tuple[ExitCode, ...] = (
    ExitCode(0, "success", (), ""),
    ExitCode(2, "usage", (), ""),
    ExitCode(3, "credential", (CredentialError,), ""),
    ExitCode(4, "validation", (RequestValidationError,), ""),
    ExitCode(5, "SAT status", (SatStatusError,), ""),
    ExitCode(6, "SOAP fault or HTTP error", (SatHTTPError,), ""),
    ExitCode(7, "transport or timeout", (SatTransportError,), ""),
    ExitCode(8, "package transfer", (PackageTransferError,), ""),
    ExitCode(9, "package read", (PackageError,), ""),
    ExitCode(
        10,
        "local file",
        (OSError, StateWriteError, DestinationError),
        "check the path, its permissions and space",
    ),
    ExitCode(11, "still waiting for SAT", (), ""),
    ExitCode(12, "sync finished with failures", (), ""),
    ExitCode(13, "state of another taxpayer", (StateOwnerError,), ""),
    ExitCode(14, "folder in use", (FolderInUseError,), ""),
    ExitCode(15, "state missing or damaged", (StateDamagedError,), ""),
    ExitCode(1, "other sat_zeep error", (SatError,), ""),
    ExitCode(130, "interrupted", (KeyboardInterrupt,), ""),
)

USAGE = 2
INTERRUPTED = 130


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the line that says what to do next (``sync``: the same command resumes)."""


def describe_interrupt(error: BaseException) -> str:
    """The line printed on Ctrl-C (click wraps the interrupt in ``Abort``: look at its cause)."""
    for candidate in (error, error.__cause__):
        if isinstance(candidate, Interrupted) and str(candidate):
            return str(candidate)
    return "interrupted"


def exit_code_of(error: BaseException) -> int:
    """The exit code of ``error``'s family (1 when none fits)."""
    for entry in EXIT_CODES:
        if entry.errors and isinstance(error, entry.errors):
            return entry.code
    return 1


def describe(error: BaseException) -> str:
    """``error`` as one line: what happened and, when the message lacks it, what to do."""
    if isinstance(error, RequestValidationError):
        text = f"{error.operation}: {'; '.join(error.cli_problems)}; nothing was sent to SAT"
    elif isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        text = f"{error.strerror}{where}"
    else:
        text = str(error) or type(error).__name__
    text = " ".join(text.split())
    advice = next(
        (entry.advice for entry in EXIT_CODES if entry.errors and isinstance(error, entry.errors)),
        "",
    )
    if isinstance(error, (SyncStateError, DestinationError)):
        advice = ""  # its message says what to do
    if isinstance(error, SatCertificateError):
        advice = "pass --ca-bundle FILE.pem with that CA (the fake SAT prints its CA's path)"
    if advice:
        text = f"{text}; {advice}"
    return text


def describe_click(error: click.ClickException) -> str:
    """A click error (bad option, missing argument…) as one line pointing at ``--help``."""
    text = " ".join(error.format_message().split())
    context = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and context is not None:
        text = f"{text}; see '{context.command_path} --help'"
    return text


#: Attributes of an error worth a JSON field of their own (none of them is a secret).
_JSON_DETAILS = (
    "operation",
    "code",
    "status_code",
    "fault_code",
    "id_paquete",
    "received",
    "kept",
    "path",
    "pid",
    "host",
    "since",
    "rfc",
    "service",
)


def report_error(as_json: bool, code: int, message: str, error: BaseException | None = None) -> int:
    """Print the one-line error on stderr (a JSON object with ``--json``); return ``code``."""
    if not as_json:
        click.echo(message if code == INTERRUPTED else f"error: {message}", err=True)
        return code
    family = next((entry.family for entry in EXIT_CODES if entry.code == code), "other")
    record: dict[str, object] = {"error": message, "exit_code": code, "family": family}
    if error is not None:
        record["type"] = type(error).__name__
        for name in _JSON_DETAILS:
            value = getattr(error, name, None)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                record[name] = value
    click.echo(json.dumps(record, ensure_ascii=False, sort_keys=True), err=True)
    return code
