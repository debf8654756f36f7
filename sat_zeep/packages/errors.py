"""Errors and warnings raised while reading SAT packages (ZIPs from Descargar).

::

    SatError
    └── PackageError                    a package cannot be read (``source`` names it)
        ├── CorruptPackageError         not a readable ZIP, or an entry fails its CRC
        ├── UnsafePackageError          refused before reading anything
        │   ├── UnsafeEntryNameError    ``../x``, ``/etc/x``, ``C:x`` or ``a\\b`` entry names
        │   ├── CompressionBombError    an entry that inflates beyond the ratio limit
        │   ├── EntryTooLargeError      an entry over the uncompressed size cap
        │   ├── TooManyEntriesError     more entries than the limit
        │   └── ZipLayoutError          a name listed twice, or overlapping entries
        ├── PackageContentError         readable ZIP, unexpected content (no metadata table…)
        │   ├── MalformedDocumentError  an XML that is not a stamped CFDI (``strict=True`` only)
        │   └── MalformedRowError       a metadata row that does not fit its header (``strict``)
        ├── ExportError                 records that cannot be written in the asked format
        └── ParquetUnavailableError     pyarrow is not installed (also an ``ImportError``)

    UserWarning
    └── PackageWarning
        ├── SkippedEntryWarning         a folder, empty or non-document entry was skipped
        ├── MalformedDocumentWarning    an XML entry was skipped (not well-formed, no TFD, DTD…)
        └── MalformedRowWarning         a metadata row was skipped (wrong field count, bad value)

Every error pickles with its attributes, so it crosses process boundaries (``parallel``).
"""

from __future__ import annotations

from typing import Any

from sat_zeep.errors import SatError

__all__ = [
    "CompressionBombError",
    "CorruptPackageError",
    "EntryTooLargeError",
    "ExportError",
    "MalformedDocumentError",
    "MalformedDocumentWarning",
    "MalformedRowError",
    "MalformedRowWarning",
    "PackageContentError",
    "PackageError",
    "PackageWarning",
    "ParquetUnavailableError",
    "SkippedEntryWarning",
    "TooManyEntriesError",
    "UnsafeEntryNameError",
    "UnsafePackageError",
]

REDOWNLOAD_HINT = (
    "If it came from SAT, that download used one of the package's two allowed downloads: "
    "download it again at most once (a third attempt fails with 5008) and check the bytes "
    "(size, base64 decoding) before reading."
)


class PackageError(SatError):
    """A package cannot be read; ``source`` names the file (or ``<stream>``)."""

    def __init__(
        self, message: str, *, source: str = "<package>", entry: str | None = None
    ) -> None:
        self.source = source
        self.entry = entry
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.args[0],), self.__dict__)


class CorruptPackageError(PackageError):
    """The file is not a readable ZIP (truncated, damaged) or an entry fails its CRC."""


class UnsafePackageError(PackageError):
    """The ZIP was refused before reading any entry: it could harm the reader."""


class UnsafeEntryNameError(UnsafePackageError):
    """An entry name that would escape a folder: ``..``, absolute, drive letter, backslash."""


class CompressionBombError(UnsafePackageError):
    """An entry whose declared size is absurd next to its compressed size."""


class EntryTooLargeError(UnsafePackageError):
    """An entry whose uncompressed size is over ``ZipLimits.max_entry_size``."""


class TooManyEntriesError(UnsafePackageError):
    """More entries than ``ZipLimits.max_entries``."""


class ZipLayoutError(UnsafePackageError):
    """A name listed twice, or entries whose bytes overlap (an "overlap" ZIP bomb)."""


class PackageContentError(PackageError):
    """A readable ZIP whose content is not what the reader expects."""


class MalformedDocumentError(PackageContentError):
    """An XML entry that is not a stamped CFDI or Retenciones (raised with ``strict=True``)."""


class MalformedRowError(PackageContentError):
    """A metadata row that does not fit its header (raised with ``strict=True``)."""


class ExportError(PackageError):
    """Records that cannot be written in the requested format."""


class ParquetUnavailableError(PackageError, ImportError):
    """Parquet export needs pyarrow: ``pip install "sat-zeep[parquet]"``."""


class PackageWarning(UserWarning):
    """Something odd in a package that was tolerated (nothing was raised)."""


class SkippedEntryWarning(PackageWarning):
    """An entry was skipped: a folder, an empty file, or not a document of this package kind."""


class MalformedDocumentWarning(PackageWarning):
    """An XML entry was skipped: not well-formed, has a DTD, or lacks its TimbreFiscalDigital."""


class MalformedRowWarning(PackageWarning):
    """A metadata row was skipped: its fields do not fit the header or a value does not parse."""
