"""``sat-zeep catalog``: every CFDI once, its status over time, and what XML is missing and why.

    sat-zeep catalog update --out DIR [--db URL]
    sat-zeep catalog add PACKAGE... [--taxpayer RFC] (--out DIR | --db URL)
    sat-zeep catalog report [--format table|csv|json]
    sat-zeep catalog changes --since DATE
    sat-zeep catalog show UUID
    sat-zeep catalog xml UUID [--save FILE]
    sat-zeep catalog export --format parquet|csv|jsonl --to FILE

The catalog is ``<out>/.sat-zeep-catalog.sqlite3`` unless ``--db`` names another file or a
``postgresql://`` URL (one catalog for many taxpayers).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from ..catalog import Catalog, IndexResult

F = TypeVar("F", bound=Callable[..., Any])

#: Exit code of ``update`` and ``add`` when a package failed its check (the others are indexed).
PACKAGE_FAILED = 9


def _where(command: F) -> F:
    command = click.option(
        "--db", help="Catalog: an SQLite file or a postgresql:// URL (default: in --out)."
    )(command)
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        help="The sync's output folder.",
    )(command)


def _open(out: Path | None, db: str | None) -> Catalog:
    if out is None and db is None:
        raise click.UsageError("say where the catalog is: --out DIR or --db URL")
    if db is not None:
        return Catalog.open(db)
    assert out is not None
    return Catalog.for_folder(out)


def _done(result: IndexResult) -> None:
    for reason in result.failed.values():
        click.echo(f"not indexed: {reason}", err=True)
    click.echo(
        f"{len(result.indexed)} packages indexed ({result.documents} rows),"
        f" {len(result.unchanged)} already indexed, {len(result.failed)} failed their check"
    )
    if result.failed:
        raise click.exceptions.Exit(PACKAGE_FAILED)


@click.group()
def catalog() -> None:
    """The document catalog: every CFDI once, with its status, in SQLite or PostgreSQL."""


@catalog.command()
@_where
def update(out: Path | None, db: str | None) -> None:
    """Index every package the output folder holds (packages indexed before are skipped)."""
    if out is None:
        raise click.UsageError("update needs the output folder: --out DIR")
    with _open(out, db) as opened:
        _done(opened.update(out))


@catalog.command()
@click.argument(
    "packages",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--taxpayer", help="Whose packages these are (when not in a sync's folder).")
@_where
def add(packages: tuple[Path, ...], taxpayer: str | None, out: Path | None, db: str | None) -> None:
    """Index the given packages."""
    with _open(out, db) as opened:
        result = IndexResult()
        for package in packages:
            one = opened.add_package(package, taxpayer)
            result.indexed += one.indexed
            result.unchanged += one.unchanged
            result.failed.update(one.failed)
            result.documents += one.documents
        _done(result)


@catalog.command()
@click.option("--format", "format_", type=click.Choice(["table", "csv", "json"]), default="table")
@_where
def report(format_: str, out: Path | None, db: str | None) -> None:
    """Per month and direction: metadata, XML held, XML missing by reason, totals."""
    with _open(out, db) as opened:
        built = opened.report()
    if format_ == "json":
        click.echo(built.to_json())
    elif format_ == "csv":
        click.echo(built.to_csv(), nl=False)
    else:
        click.echo(built.to_table(), nl=False)


@catalog.command()
@click.option("--since", required=True, type=click.DateTime(), help="DATE or DATE TIME.")
@_where
def changes(since: datetime, out: Path | None, db: str | None) -> None:
    """Status changes (Vigente → Cancelado and back) seen since a date, one JSON per line."""
    with _open(out, db) as opened:
        for change in opened.changes(since):
            click.echo(json.dumps(change, ensure_ascii=False))


@catalog.command()
@click.argument("uuid")
@_where
def show(uuid: str, out: Path | None, db: str | None) -> None:
    """The catalog's row of a UUID (JSON): its fields and which packages hold it."""
    with _open(out, db) as opened:
        for row in opened.show(uuid):
            click.echo(json.dumps(row, ensure_ascii=False, indent=2))


@catalog.command()
@click.argument("uuid")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@_where
def xml(uuid: str, save: Path | None, out: Path | None, db: str | None) -> None:
    """The XML of a UUID, straight from its package (to stdout, or --save FILE)."""
    with _open(out, db) as opened:
        data = opened.xml(uuid)
    if save is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        save.write_bytes(data)


@catalog.command()
@click.option("--format", "format_", type=click.Choice(["parquet", "csv", "jsonl"]), required=True)
@click.option("--to", "to", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_where
def export(format_: str, to: Path, out: Path | None, db: str | None) -> None:
    """Every catalog row into one file (for DuckDB, pandas, spreadsheets)."""
    with _open(out, db) as opened:
        rows = opened.export(to, format_)
    click.echo(f"{rows} documents written to {to}")
