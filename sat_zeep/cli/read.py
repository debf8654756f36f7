"""``sat-zeep read``: export downloaded packages as CSV, JSON Lines or Parquet."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import click

from ..packages import export_records, iter_cfdi_summaries, iter_metadata
from ..packages.export import ExportFormat, suffix_format
from ..packages.parallel import package_kind
from .output import emit


def _records(kind: str, packages: tuple[Path, ...]) -> Iterator[object]:
    reader = iter_cfdi_summaries if kind == "cfdi" else iter_metadata
    return itertools.chain.from_iterable(reader(package) for package in packages)


@click.command()
@click.argument(
    "packages",
    metavar="PACKAGE...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    help="Output format; default: from the --out suffix.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write."
)
@click.option("--json", "json_output", is_flag=True, help="One JSON object per line.")
def read(packages: tuple[Path, ...], format_: str | None, out: Path, json_output: bool) -> None:
    """Export the rows of packages (all CFDI XML, or all metadata) into one file.

    CFDI packages give one summary per document; metadata packages one row per line.
    """
    if format_ is None and suffix_format(out) is None:
        raise click.BadParameter(
            f"cannot tell the format of {out.name!r}: end it in .csv, .jsonl or .parquet, "
            "or pass --format csv|jsonl|parquet",
            param_hint="--out",
        )
    kinds = {package_kind(package) for package in packages}
    if len(kinds) != 1:
        raise click.UsageError("mix of CFDI and metadata packages; read each kind separately")
    kind = kinds.pop()
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = export_records(
            _records(kind, packages), out, format=cast("ExportFormat | None", format_)
        )
    for warning in caught:
        click.echo(f"warning: {' '.join(str(warning.message).split())}", err=True)
    emit(
        json_output,
        {"out": out, "rows": rows, "kind": kind, "packages": len(packages), "skipped": len(caught)},
        f"{out}  {rows} rows from {len(packages)} {kind} packages"
        + (f", {len(caught)} entries skipped" if caught else ""),
    )
