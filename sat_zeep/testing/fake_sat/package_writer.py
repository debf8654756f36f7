"""Write the ZIP packages Descargar serves, shaped like SAT's (CONTRACT §12).

* CFDI package: one ``<UUID>.xml`` per document at the root, deflated.
* Metadata package: ``<IdPaquete>.txt``, UTF-8 (no BOM unless asked), ``~`` between fields, CRLF at
  row ends, a header row. Names are written raw, so a name with a bare LF spans two physical lines
  and a ``"`` stays literal, as SAT does. When any document was issued "a cuenta de terceros", a
  second entry ``<IdPaquete>_tercero.txt`` (``Uuid~RfcACuentaTerceros~NombreACuentaTerceros``)
  holds those rows, with the UUID in lower case so readers must join case-insensitively.

Both writers stream: documents are consumed one at a time and entries go straight to the file, so
neither a package nor its documents sit in memory (only ``zipfile``'s central directory does).
Entry timestamps are fixed by the data, so the same documents give the same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .documents import METADATA_COLUMNS_CFDI, METADATA_COLUMNS_RETENCIONES, Document

__all__ = [
    "METADATA_COLUMNS_CFDI",
    "METADATA_COLUMNS_RETENCIONES",
    "TERCEROS_COLUMNS",
    "package_id",
    "split_into_packages",
    "write_cfdi_package",
    "write_metadata_package",
]

TERCEROS_COLUMNS = ("Uuid", "RfcACuentaTerceros", "NombreACuentaTerceros")

_SEPARATOR = "~"
_ROW_END = "\r\n"
_ROWS_PER_WRITE = 2000
_METADATA_TIME = (2020, 1, 1, 0, 0, 0)
_COLUMNS = {"cfdi": METADATA_COLUMNS_CFDI, "retenciones": METADATA_COLUMNS_RETENCIONES}


def package_id(id_solicitud: str, index: int) -> str:
    """The IdPaquete of a request's ``index``-th package (from 1): ``<ID>_01``."""
    if index < 1:
        raise ValueError("package indexes start at 1")
    return f"{id_solicitud.upper()}_{index:02d}"


def split_into_packages(
    documents: Iterable[Document], max_per_package: int
) -> Iterator[list[Document]]:
    """Group documents into consecutive packages of at most ``max_per_package``."""
    if max_per_package < 1:
        raise ValueError("max_per_package must be at least 1")
    batch: list[Document] = []
    for document in documents:
        batch.append(document)
        if len(batch) == max_per_package:
            yield batch
            batch = []
    if batch:
        yield batch


def _entry(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_cfdi_package(documents: Iterable[Document], path: Path, *, padding: int = 0) -> int:
    """Write one ``<UUID>.xml`` per document into a new ZIP at ``path``; return how many."""
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            stamp = document.fecha_certificacion.timetuple()[:6]
            archive.writestr(_entry(f"{document.uuid}.xml", stamp), document.xml(padding))
            count += 1
    return count


def write_metadata_package(
    documents: Iterable[Document],
    path: Path,
    *,
    id_paquete: str,
    service: str,
    bom: bool = False,
) -> int:
    """Write the metadata text (and the terceros text if needed) into a ZIP; return the rows."""
    columns = _COLUMNS.get(service)
    if columns is None:
        raise ValueError(f"unknown service {service!r}")
    prefix = "\ufeff" if bom else ""
    terceros: list[str] = []
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(_entry(f"{id_paquete}.txt", _METADATA_TIME), "w") as stream:
            rows = [prefix + _SEPARATOR.join(columns)]
            for document in documents:
                rows.append(_SEPARATOR.join(document.metadata_row(service)))
                if document.tercero is not None:
                    rfc, name = document.tercero
                    terceros.append(_SEPARATOR.join((document.uuid.lower(), rfc, name)))
                count += 1
                if len(rows) >= _ROWS_PER_WRITE:
                    stream.write((_ROW_END.join(rows) + _ROW_END).encode())
                    rows.clear()
            if rows:
                stream.write((_ROW_END.join(rows) + _ROW_END).encode())
        if terceros:
            header = prefix + _SEPARATOR.join(TERCEROS_COLUMNS)
            text = _ROW_END.join([header, *terceros]) + _ROW_END
            archive.writestr(_entry(f"{id_paquete}_tercero.txt", _METADATA_TIME), text.encode())
    return count
