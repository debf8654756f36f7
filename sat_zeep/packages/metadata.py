"""Read metadata packages: ``<IdPaquete>.txt`` tables joined with their ``_tercero.txt`` rows.

::

    for row in iter_metadata("4E80345D-917F-40BB-A98F-4A73939343C5_01.zip"):
        row.uuid, row.monto, row.estatus        # "5A1B…", Decimal("1160.00"), Estatus.VIGENTE
        row.rfc_a_cuenta_terceros               # from <IdPaquete>_tercero.txt, or None

Each ``*.txt`` entry is read on its own header (see ``rows`` for the text quirks). An entry whose
header holds every published CFDI column gives ``CfdiMetadata``; any other ``RetencionesMetadata``
(pass ``service=`` to force one). ``*_tercero.txt`` entries
(``Uuid~RfcACuentaTerceros~NombreACuentaTerceros``) are joined to rows by UUID, ignoring case.
A row that does not fit its header, or whose value does not parse, is skipped with a
``MalformedRowWarning`` (``strict=True`` raises ``MalformedRowError``). ``iter_raw_rows`` skips
typing altogether and yields lists of strings.

Entries that are not metadata tables are skipped with a ``SkippedEntryWarning``, and the tables
are read: folders, names not ending ``.txt``, the AppleDouble files macOS leaves when a user
re-zips a package (``__MACOSX/._<id>_01.txt``, ``._<id>_01.txt``), a ``.txt`` whose first line is
not UTF-8 text, and (typed rows only) a ``.txt`` whose header has no ``Uuid`` column.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from .archive.safe_reader import (
    READ_ERRORS,
    PackageEntry,
    PackageSource,
    SafeZip,
    ZipLimits,
    is_macos_leftover,
    open_package,
)
from .errors import MalformedRowError, MalformedRowWarning, PackageContentError, SkippedEntryWarning
from .metadata_rows import (
    CfdiMetadata,
    MetadataRow,
    RetencionesMetadata,
    RowValueError,
    is_cfdi_header,
    normalize,
    row_builder,
)
from .rows import LineEnding, read_lines, table_from_lines

__all__ = [
    "RawTable",
    "iter_cfdi_metadata",
    "iter_metadata",
    "iter_raw_rows",
    "iter_raw_tables",
    "iter_retenciones_metadata",
]

Service = Literal["cfdi", "retenciones"]
_TERCERO_SUFFIX = "_tercero.txt"


@dataclass(frozen=True)
class RawTable:
    """One ``.txt`` entry: its ``name``, ``header`` and a one-shot iterator over its ``rows``."""

    name: str
    header: list[str]
    rows: Iterator[list[str]]

    @property
    def is_terceros(self) -> bool:
        """Whether this is a ``*_tercero.txt`` entry."""
        return self.name.lower().endswith(_TERCERO_SUFFIX)


def iter_raw_tables(
    source: PackageSource, *, strict: bool = False, limits: ZipLimits | None = None
) -> Iterator[RawTable]:
    """Yield each ``*.txt`` entry as a ``RawTable`` (consume ``rows`` before the next table)."""
    with open_package(source, limits=limits) as package:
        for entry in package.entries():
            if _is_table(package, entry):
                table = _table(package, entry, strict)
                if table is not None:
                    yield table


def iter_raw_rows(
    source: PackageSource, *, strict: bool = False, limits: ZipLimits | None = None
) -> Iterator[list[str]]:
    """The fastest path: every data row of every metadata (non-terceros) entry, as strings.

    Rows are aligned with their entry's header (trailing ``~`` dropped, split names rejoined);
    headers are not yielded: use ``iter_raw_tables`` to see them. Nothing is read before the
    first row is asked for.
    """
    # chain.from_iterable: no Python frame of ours between the row reader and the caller.
    return itertools.chain.from_iterable(_raw_rows(source, strict, limits))


def _raw_rows(
    source: PackageSource, strict: bool, limits: ZipLimits | None
) -> Iterator[Iterator[list[str]]]:
    for table in iter_raw_tables(source, strict=strict, limits=limits):
        if not table.is_terceros:
            yield table.rows


def iter_metadata(
    source: PackageSource,
    *,
    service: Service | None = None,
    strict: bool = False,
    limits: ZipLimits | None = None,
) -> Iterator[MetadataRow]:
    """Typed rows of every metadata entry, joined with the package's terceros rows."""
    with open_package(source, limits=limits) as package:
        tables = [entry for entry in package.entries() if _is_table(package, entry)]
        terceros: dict[str, tuple[str, str]] = {}
        for entry in tables:
            if entry.name.lower().endswith(_TERCERO_SUFFIX):
                table = _keyed_table(package, entry, strict)
                if table is not None:
                    terceros.update(_terceros(table, package))
        for entry in tables:
            if not entry.name.lower().endswith(_TERCERO_SUFFIX):
                table = _keyed_table(package, entry, strict)
                if table is not None:
                    built = _typed(table, package, service, terceros)
                    if built is None:
                        continue
                    # The rows are yielded from here, not from a nested generator: one frame
                    # less per row. A row that does not parse raises out of the map, is
                    # reported, and the same map goes on with the next row.
                    made, report = built
                    number = 0  # data rows taken from the table so far
                    while True:
                        try:
                            for row in made:
                                number += 1
                                yield row
                            break
                        except RowValueError as error:
                            number += 1
                            report(number, error, strict)


def iter_cfdi_metadata(
    source: PackageSource, *, strict: bool = False, limits: ZipLimits | None = None
) -> Iterator[CfdiMetadata]:
    """Typed rows of a CFDI metadata package (every entry read as CFDI)."""
    for row in iter_metadata(source, service="cfdi", strict=strict, limits=limits):
        assert isinstance(row, CfdiMetadata)
        yield row


def iter_retenciones_metadata(
    source: PackageSource, *, strict: bool = False, limits: ZipLimits | None = None
) -> Iterator[RetencionesMetadata]:
    """Typed rows of a Retenciones metadata package (unknown columns kept in ``extra``)."""
    for row in iter_metadata(source, service="retenciones", strict=strict, limits=limits):
        assert isinstance(row, RetencionesMetadata)
        yield row


def _is_table(package: SafeZip, entry: PackageEntry) -> bool:
    if entry.is_dir:
        what = "a folder"
    elif is_macos_leftover(entry.name):
        what = "a macOS leftover of re-zipping (AppleDouble), not a metadata table"
    elif not entry.name.lower().endswith(".txt"):
        what = "not a metadata table (*.txt)"
    else:
        return True
    _skipped(package, entry, what)
    return False


def _skipped(package: SafeZip, entry: PackageEntry, what: str) -> None:
    warnings.warn(
        f"{package.source}: skipped entry {entry.name!r}: it is {what}",
        SkippedEntryWarning,
        stacklevel=5,
    )


def _table(package: SafeZip, entry: PackageEntry, strict: bool) -> RawTable | None:
    """The entry as a table, or ``None`` (with a warning) when its first line is not text."""

    def bad_row(number: int, text: str) -> None:
        problem = f"its fields do not fit the header: {text!r}"
        _report(package, entry, f"line {number}", problem, strict)

    stream = package.open(entry)
    ending = LineEnding()
    lines = _guarded(package, entry, read_lines(stream, entry.size, ending), stream)
    try:
        header, rows = table_from_lines(lines, bad_row, ending)
    except PackageContentError as error:
        cause = error.__context__
        if not isinstance(cause, UnicodeDecodeError) or not _in_first_line(cause):
            raise
        _skipped(package, entry, "not a metadata table (its first line is not UTF-8 text)")
        return None
    return RawTable(entry.name, header, rows)


def _in_first_line(error: UnicodeDecodeError) -> bool:
    """Whether the undecodable bytes come before the text's first line end."""
    return b"\n" not in bytes(error.object[: error.start])


def _keyed_table(package: SafeZip, entry: PackageEntry, strict: bool) -> RawTable | None:
    """``_table``, or ``None`` (with a warning) when its header has no ``Uuid`` column."""
    table = _table(package, entry, strict)
    if table is None or not table.header or "uuid" in map(normalize, table.header):
        return table
    _skipped(package, entry, "not a metadata table (its first line has no Uuid column)")
    return None


def _guarded(
    package: SafeZip, entry: PackageEntry, pieces: Iterator[list[str]], stream: object
) -> Iterator[list[str]]:
    """``pieces`` (lists of lines), with decoding and ZIP errors turned into package errors,
    closing the stream when done."""
    try:
        yield from pieces
    except UnicodeDecodeError as error:
        raise _not_utf8(package, entry, error) from None
    except READ_ERRORS as error:
        raise package.corrupt(entry.name, error) from error
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def _not_utf8(package: SafeZip, entry: PackageEntry, error: UnicodeError) -> PackageContentError:
    return PackageContentError(
        f"{package.source}: entry {entry.name!r} is not UTF-8 text ({error}); SAT metadata is "
        "UTF-8: check that the file was not re-encoded after download.",
        source=package.source,
        entry=entry.name,
    )


def _report(package: SafeZip, entry: PackageEntry, where: str, problem: str, strict: bool) -> None:
    message = f"{package.source}: entry {entry.name!r}, {where}: {problem}"
    if strict:
        raise MalformedRowError(message, source=package.source, entry=entry.name)
    warnings.warn(message + "; row skipped", MalformedRowWarning, stacklevel=6)


def _terceros(table: RawTable, package: SafeZip) -> dict[str, tuple[str, str]]:
    columns = [normalize(column) for column in table.header]
    try:
        uuid, rfc, name = (
            columns.index(wanted)
            for wanted in ("uuid", "rfcacuentaterceros", "nombreacuentaterceros")
        )
    except ValueError:
        raise PackageContentError(
            f"{package.source}: entry {table.name!r} has header {table.header!r}; expected "
            "Uuid~RfcACuentaTerceros~NombreACuentaTerceros",
            source=package.source,
            entry=table.name,
        ) from None
    return {row[uuid].strip().upper(): (row[rfc], row[name]) for row in table.rows}


def _typed(
    table: RawTable,
    package: SafeZip,
    service: Service | None,
    terceros: dict[str, tuple[str, str]],
) -> tuple[Iterator[MetadataRow], Callable[[int, RowValueError, bool], None]] | None:
    """The table's typed rows (a map calling the row builder), and how to report one that
    does not parse; ``None`` for a table without a header."""
    if not table.header:
        return None
    kind: Service = service or ("cfdi" if is_cfdi_header(table.header) else "retenciones")
    try:
        build = row_builder(table.header, kind)
    except ValueError as error:
        raise PackageContentError(
            f"{package.source}: entry {table.name!r} cannot be read as {kind} metadata: {error}. "
            "Use iter_raw_tables() to read it as text.",
            source=package.source,
            entry=table.name,
        ) from None
    uuid_at = [normalize(column) for column in table.header].index("uuid")
    entry = PackageEntry(table.name, 0, 0, False)

    def report(number: int, error: RowValueError, strict: bool) -> None:
        where = f"data row {number} (UUID {error.fields[uuid_at]!r})"
        _report(package, entry, where, f"a value does not parse ({error.reason})", strict)

    return map(build, table.rows, itertools.repeat(terceros)), report
