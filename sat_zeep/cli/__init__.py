"""The ``sat-zeep`` command line.

    sat-zeep fake-sat serve --port 0 --state-dir DIR [--tls] [--admin]
    sat-zeep fake-sat issue-fiel --state-dir DIR --rfc RFC --out DIR2 [--csd] [--expired]

Errors print one line on stderr and exit with a non-zero code; never a traceback for a known error.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..errors import SatError
from .fake_sat import fake_sat
from .wsdl import wsdl


@click.group()
@click.version_option(package_name="sat-zeep")
def cli() -> None:
    """Bulk-download CFDI and Retenciones from SAT, and stand in for SAT in tests."""


cli.add_command(fake_sat)
cli.add_command(wsdl)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except SatError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    return 0
