"""Read many packages at once, one package per worker process, results in input order.

::

    for path, summaries in summarize_packages(sorted(Path("downloads").glob("*.zip"))):
        print(path, len(summaries))

    for path, output, rows in export_packages(paths, "exports", format="parquet"):
        print(f"{path} -> {output} ({rows} rows)")

Warnings raised while reading in a worker (skipped entries, malformed rows) are sent back and
raised again in the calling process, attached to the package they came from. Errors
(``PackageError`` and subclasses) are raised in the calling process when their package's turn
comes. ``workers=1`` reads in the calling process (no pool), which is easiest to debug.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from .archive.safe_reader import open_package
from .cfdi import iter_cfdi_summaries
from .errors import PackageContentError, PackageWarning
from .export import ExportFormat, export_records
from .metadata import iter_metadata
from .summary import CfdiSummary, Packed, pack_summaries, unpack_summaries

__all__ = ["export_package", "export_packages", "map_packages", "summarize_packages"]

T = TypeVar("T")
_Caught = list[tuple[type[Warning], str]]
_SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}


def _call(function: Callable[[Path], T], path: Path) -> tuple[T, _Caught]:
    """Run ``function(path)``, recording the package warnings it raises."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PackageWarning)
        result = function(path)
    kept: _Caught = []
    for item in caught:
        if issubclass(item.category, PackageWarning):
            kept.append((item.category, str(item.message)))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return result, kept


def map_packages(
    function: Callable[[Path], T],
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int | None = None,
) -> Iterator[tuple[Path, T]]:
    """Yield ``(path, function(path))`` for each path, in order, computed across processes.

    ``function`` must be picklable: a module-level function, not a lambda or a closure.
    ``workers`` defaults to the number of CPUs (never more than there are packages).
    """
    items = [Path(path) for path in paths]
    if not items:
        return
    count = min(workers or os.cpu_count() or 1, len(items))
    if count <= 1:
        for path in items:
            result, caught = _call(function, path)
            _rewarn(caught)
            yield path, result
        return
    with ProcessPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(_call, function, path) for path in items]
        try:
            for path, future in zip(items, futures, strict=True):
                result, caught = future.result()
                _rewarn(caught)
                yield path, result
        finally:
            for future in futures:
                future.cancel()


def _rewarn(caught: _Caught) -> None:
    for category, message in caught:
        warnings.warn(message, category, stacklevel=3)


def _packed_summaries(path: Path) -> Packed:
    return pack_summaries(list(iter_cfdi_summaries(path)))


def summarize_packages(
    paths: Iterable[str | os.PathLike[str]], *, workers: int | None = None
) -> Iterator[tuple[Path, list[CfdiSummary]]]:
    """``(path, [CfdiSummary, …])`` for each CFDI package, in the order of ``paths``.

    Workers send each package's summaries back packed as a few strings (``pack_summaries``),
    not as pickled dataclasses: the calling process, which shares the cores, stays cheap.
    """
    items = [Path(path) for path in paths]
    if min(workers or os.cpu_count() or 1, len(items)) <= 1:
        yield from map_packages(_summaries, items, workers=1)  # in this process: nothing to pack
        return
    for path, packed in map_packages(_packed_summaries, items, workers=workers):
        yield path, unpack_summaries(packed)


def _summaries(path: Path) -> list[CfdiSummary]:
    return list(iter_cfdi_summaries(path))


def package_kind(path: str | os.PathLike[str]) -> str:
    """``"cfdi"`` if the package holds ``.xml`` entries, ``"metadata"`` if ``.txt`` ones."""
    with open_package(path) as package:
        names = [entry.name.lower() for entry in package.entries() if not entry.is_dir]
    if any(name.endswith(".xml") for name in names):
        return "cfdi"
    if any(name.endswith(".txt") for name in names):
        return "metadata"
    raise PackageContentError(
        f"{os.fspath(path)}: neither .xml documents nor .txt metadata inside: not a SAT package",
        source=os.fspath(path),
    )


def export_package(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    format: ExportFormat | None = None,
) -> int:
    """Export one package (CFDI summaries or metadata rows) to ``output``; return the rows."""
    if package_kind(path) == "cfdi":
        return export_records(iter_cfdi_summaries(path), output, format=format)
    return export_records(iter_metadata(path), output, format=format)


class _Exporter:
    """A picklable ``path -> (output, rows)`` for ``map_packages``."""

    def __init__(self, directory: Path, format: ExportFormat) -> None:
        self.directory = directory
        self.format = format

    def __call__(self, path: Path) -> tuple[Path, int]:
        output = self.directory / (path.stem + _SUFFIX[self.format])
        return output, export_package(path, output, format=self.format)


def export_packages(
    paths: Sequence[str | os.PathLike[str]],
    directory: str | os.PathLike[str],
    *,
    format: ExportFormat = "parquet",
    workers: int | None = None,
) -> Iterator[tuple[Path, Path, int]]:
    """Export each package to ``directory/<package stem>.<format>``; yield (path, output, rows).

    Package stems must be distinct (SAT's IdPaquete names are).
    """
    stems = [Path(path).stem for path in paths]
    if len(set(stems)) != len(stems):
        raise ValueError("two packages share a file name stem; their exports would collide")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for path, (output, rows) in map_packages(_Exporter(target, format), paths, workers=workers):
        yield path, output, rows
