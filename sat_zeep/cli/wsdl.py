"""``sat-zeep wsdl``: compare the vendored WSDLs with what SAT serves, and refresh them.

Exit codes: 0 no difference (or update written), 1 differences found, 2 the check could not run.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import click

from ..soap.wsdl_refresh import WsdlError, check, render, update


class _Differences(click.ClickException):
    """Exit 1 after the report: the report itself is the message."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        """Print nothing more: the report is already out."""


class _CannotCheck(click.ClickException):
    """Exit 2 with one line saying what went wrong."""

    exit_code = 2


_SERVICE = click.option(
    "--service",
    type=click.Choice(["cfdi", "retenciones", "all"]),
    default="all",
    show_default=True,
    help="Which service family to fetch.",
)
_BASE_URL = click.option(
    "--base-url",
    metavar="URL",
    default=None,
    help="Fetch from {URL}/{cfdi|retenciones}/…svc (e.g. the fake SAT) instead of SAT.",
)
_WSDL_DIR = click.option(
    "--wsdl-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The WSDL folder to compare with or write to (default: the vendored wsdl/).",
)


@click.group("wsdl")
def wsdl() -> None:
    """Detect and absorb changes in SAT's service contracts (WSDLs)."""


@wsdl.command("check")
@_SERVICE
@_BASE_URL
@_WSDL_DIR
def check_command(service: str, base_url: str | None, wsdl_dir: Path | None) -> None:
    """Compare by meaning; exit 1 when the served WSDLs differ from the vendored ones."""
    try:
        results = check(service, base_url, wsdl_dir)
    except WsdlError as error:
        raise _CannotCheck(_one_line(error)) from None
    click.echo(render(results))
    if any(result.changes for result in results):
        raise _Differences("")


@wsdl.command("update")
@_SERVICE
@_BASE_URL
@_WSDL_DIR
def update_command(service: str, base_url: str | None, wsdl_dir: Path | None) -> None:
    """Rewrite the WSDL files whose contract changed, keeping what sat_zeep authored on purpose.

    Files whose contract did not change are left as they are.
    """
    try:
        results = update(service, base_url, wsdl_dir)
    except WsdlError as error:
        raise _CannotCheck(_one_line(error)) from None
    click.echo(render(results))
    changed = sorted({result.file for result in results if result.changes})
    written = sorted({result.file for result in results if result.written})
    if changed:
        click.echo(
            f"rewrote {', '.join(changed)}; run scripts/test: failing tests show what the "
            "client must change"
        )
    elif written:
        click.echo(f"wrote {', '.join(written)} (the same contracts as the vendored files)")
    else:
        click.echo("nothing changed; no file was written")


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
