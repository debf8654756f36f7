"""Read CFDI packages: one XML document per entry, summarized lazily.

A SAT CFDI package holds ``<UUID>.xml`` entries at its root (``<UUID>.xml.xml`` has been seen and
is read like any ``.xml``). Oddities are tolerated, each with a warning and never a crash:

* folders, empty entries, entries not named ``*.xml`` and what macOS adds when a user re-zips a
  package (``__MACOSX/``, ``._<UUID>.xml``) → ``SkippedEntryWarning``;
* XML that is not well-formed, has a DOCTYPE, or is not a stamped CFDI/Retenciones →
  ``MalformedDocumentWarning``, and the entry is skipped. Pass ``strict=True`` to raise
  ``MalformedDocumentError`` instead (it names the entry).

::

    for document in iter_cfdi("4E80345D-917F-40BB-A98F-4A73939343C5_01.zip"):
        document.name              # "5A1B…E9.xml"
        document.data              # the XML bytes, untouched
        document.summary.uuid      # from tfd:TimbreFiscalDigital, upper case
        document.summary.total     # Decimal("1160.00")
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from .archive.safe_reader import (
    PackageEntry,
    PackageSource,
    SafeZip,
    ZipLimits,
    is_macos_leftover,
    open_package,
)
from .errors import (
    MalformedDocumentError,
    MalformedDocumentWarning,
    PackageError,
    SkippedEntryWarning,
)
from .summary import CfdiSummary, summarize_parsed, summary_of
from .summary_scan import scan_cfdi

__all__ = ["CfdiDocument", "iter_cfdi", "iter_cfdi_summaries"]


@dataclass(frozen=True, slots=True)
class CfdiDocument:
    """One document of a CFDI package: its entry ``name``, raw ``data`` and typed ``summary``."""

    name: str
    data: bytes
    summary: CfdiSummary

    @property
    def uuid(self) -> str:
        """The TimbreFiscalDigital UUID (upper case)."""
        return self.summary.uuid


def iter_cfdi(
    source: PackageSource, *, strict: bool = False, limits: ZipLimits | None = None
) -> Iterator[CfdiDocument]:
    """Yield each document of a CFDI package in entry order (see the module docstring)."""
    with open_package(source, limits=limits) as package:
        entries = [entry for entry in package.entries() if _is_document(package, entry)]
        for entry, data in zip(entries, package.read_each(entries), strict=True):
            fields = scan_cfdi(data)
            if fields is not None:
                yield CfdiDocument(entry.name, data, summary_of(fields))
                continue
            try:
                summary = summarize_parsed(data)
            except MalformedDocumentError as error:
                _malformed(package, entry, error, strict)
                continue
            yield CfdiDocument(entry.name, data, summary)


def iter_cfdi_summaries(
    source: PackageSource, *, strict: bool = False, limits: ZipLimits | None = None
) -> Iterator[CfdiSummary]:
    """Yield only the summaries of ``iter_cfdi`` (the XML bytes are dropped at once)."""
    with open_package(source, limits=limits) as package:
        entries = [entry for entry in package.entries() if _is_document(package, entry)]
        for entry, data in zip(entries, package.read_each(entries), strict=True):
            fields = scan_cfdi(data)
            if fields is not None:
                yield summary_of(fields)
                continue
            try:
                yield summarize_parsed(data)
            except MalformedDocumentError as error:
                _malformed(package, entry, error, strict)


def _is_document(package: SafeZip, entry: PackageEntry) -> bool:
    if entry.is_dir:
        reason = "it is a folder"
    elif is_macos_leftover(entry.name):
        reason = "it is a macOS leftover of re-zipping (AppleDouble), not a document"
    elif not entry.name.lower().endswith(".xml"):
        reason = "it is not named *.xml"
    elif entry.size == 0:
        reason = "it is empty (a document may be missing: compare with the metadata)"
    else:
        return True
    warnings.warn(
        f"{package.source}: skipped entry {entry.name!r}: {reason}",
        SkippedEntryWarning,
        stacklevel=4,
    )
    return False


def _malformed(package: SafeZip, entry: PackageEntry, error: PackageError, strict: bool) -> None:
    message = f"{package.source}: entry {entry.name!r} is not a usable CFDI: {error}"
    if strict:
        raise MalformedDocumentError(message, source=package.source, entry=entry.name)
    warnings.warn(message + "; skipped", MalformedDocumentWarning, stacklevel=4)
