"""The ``sat-zeep`` command line.

    sat-zeep fake-sat serve --port 0 --state-dir DIR [--tls] [--admin]
    sat-zeep fake-sat issue-fiel --state-dir DIR --rfc RFC --out DIR2 [--csd] [--expired]

    sat-zeep auth [SAT OPTIONS]
    sat-zeep request emitidos|recibidos --start DATE --end DATE --type metadata|cfdi [...]
    sat-zeep request folio UUID
    sat-zeep verify ID [--wait 30m]
    sat-zeep download ID... --out DIR
    sat-zeep read PACKAGE... --format csv|jsonl|parquet --out FILE
    sat-zeep sync --start DATE [--end DATE] --out DIR [--config FILE.toml]
    sat-zeep state rebuild --out DIR --rfc RFC|--cer FILE   (offline: from the packages)
    sat-zeep demo
    sat-zeep catalog update|add|report|changes|show|xml|export [--out DIR] [--db URL]
    sat-zeep fleet migrate|add|run|status|import-state --db PATH|URL    (many taxpayers)
    sat-zeep worker --db postgresql://… --out DIR                      (fleet worker)

SAT OPTIONS (``options.py``): ``--cer/--key`` or ``--efirma DIR``; the password from
``--password-env NAME`` (default ``SAT_ZEEP_PASSWORD``), ``--password-file`` or a hidden prompt,
never from argv; ``--service``, ``--base-url``, ``--ca-bundle``, ``--token-file``, ``--verbose``
(SOAP traffic, secrets redacted), ``--json`` (one JSON object per line).

Errors print one line on stderr and exit with a non-zero code; never a traceback for a known error.
With ``--json`` that line is a JSON object too::

    {"error": "…the message…", "exit_code": 8, "family": "package transfer",
     "type": "PackageTransferError", "id_paquete": "…", "kept": "…/X_01.zip.damaged", …}

Exit codes (``EXIT_CODES``): 0 success, 1 other sat_zeep error, 2 usage, 3 credential
(``CredentialError``), 4 validation (``RequestValidationError``), 5 SAT status
(``SatStatusError``), 6 SOAP fault or HTTP error (``SatHTTPError``), 7 transport or timeout
(``SatTransportError``), 8 package transfer (``PackageTransferError``), 9 package read
(``PackageError``), 10 local file (``OSError``, ``StateWriteError``: disk full, read-only),
11 still waiting for SAT (``sync`` or ``verify --wait``: run it again later), 12 sync finished
with failures, 13 state of another taxpayer (``StateOwnerError``), 14 folder in use
(``FolderInUseError``: another sync holds ``--out``), 15 state missing or damaged
(``StateDamagedError``: ``sat-zeep state rebuild``), 130 interrupted (the same command
resumes).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..errors import SatError
from .catalog import catalog
from .commands import auth, download, verify
from .demo import demo
from .exit_codes import (
    EXIT_CODES,
    INTERRUPTED,
    describe,
    describe_click,
    describe_interrupt,
    exit_code_of,
    report_error,
)
from .fake_sat import fake_sat
from .fleet import fleet, worker
from .read import read
from .request import request
from .state import state
from .sync import sync
from .wsdl import wsdl


@click.group()
@click.version_option(package_name="sat-zeep")
def cli() -> None:
    """Bulk-download CFDI and Retenciones from SAT, and stand in for SAT in tests."""


cli.add_command(fake_sat)
cli.add_command(wsdl)
cli.add_command(auth)
cli.add_command(request)
cli.add_command(verify)
cli.add_command(download)
cli.add_command(read)
cli.add_command(sync)
cli.add_command(state)
cli.add_command(demo)
cli.add_command(catalog)
cli.add_command(fleet)
cli.add_command(worker)

__all__ = ["EXIT_CODES", "cli", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = list(argv) if argv is not None else sys.argv[1:]
    as_json = "--json" in args[: args.index("--")] if "--" in args else "--json" in args
    try:
        code = cli.main(args=args, standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt) as error:
        return report_error(as_json, INTERRUPTED, describe_interrupt(error))
    except click.ClickException as error:
        return report_error(as_json, error.exit_code, describe_click(error), error)
    except (SatError, OSError) as error:
        return report_error(as_json, exit_code_of(error), describe(error), error)
    # click returns the code of ``click.exceptions.Exit`` (e.g. sync's 11 and 12).
    return code if isinstance(code, int) else 0
