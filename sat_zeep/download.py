"""Descargar straight to a file, in constant memory, whatever the package's size.

The request is still built and signed by zeep and the plugins. The answer is read as a stream::

    <s:Envelope><s:Header><h:respuesta CodEstatus="5000" Mensaje="…"/></s:Header>
      <s:Body><RespuestaDescargaMasivaTercerosSalida><Paquete>UEsDBBQ…(GBs)…</Paquete>…

Everything up to ``<Paquete>`` goes to an incremental XML parser, so the ``respuesta`` status is
known before the package arrives. The base64 text is then decoded chunk by chunk into a
temporary file beside the destination, hashed on the way; the rest of the envelope must close
properly. The ZIP's central directory and every CRC are checked before the file is renamed into
place. An answer without ``<Paquete>`` (a refusal, a fault, an HTTP error) is read whole and
handled as the in-memory form handles it.
"""

from __future__ import annotations

import binascii
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pybase64
import requests
from lxml import etree

from .errors import PackageTransferError, SatResponseError
from .namespaces import DESCARGA_MASIVA
from .zipcheck import ZipStreamCheck

#: Bytes read from the network at a time (small enough to find ``<Paquete>`` in the first).
CHUNK = 1 << 18
#: How much of an answer may come before ``<Paquete>``: the header is a few hundred bytes.
MAX_PREFIX = 1 << 20
_PAQUETE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Paquete(?:\s[^>]*)?>")
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class StreamedPackage:
    """The ``respuesta`` status and, when SAT sent one, the checked package on disk."""

    respuesta: dict[str, str | None]
    path: Path | None
    size: int
    sha256: str | None


def free_damaged_name(destino: Path) -> Path:
    """``<destino>.damaged``, or ``.damaged.2``, ``.3``… so that no earlier copy is replaced."""
    candidate = destino.with_name(destino.name + ".damaged")
    number = 1
    while candidate.exists():
        number += 1
        candidate = destino.with_name(f"{destino.name}.damaged.{number}")
    return candidate


class _Answer:
    """The answer's bytes, in order, with what has been looked at kept in ``buffer``.

    A connection that breaks ends the answer like its end would, and is kept in ``broken``:
    whatever arrived before is still looked at (and kept, when it is part of a package).
    """

    def __init__(self, response: requests.Response) -> None:
        self._chunks: Iterator[bytes] = response.iter_content(CHUNK)
        self.buffer = b""
        self.broken: requests.RequestException | None = None

    def more(self) -> bool:
        if self.broken is not None:
            return False
        try:
            chunk = next(self._chunks, b"")
        except requests.RequestException as error:
            self.broken = error
            return False
        self.buffer += chunk
        return bool(chunk)


def find_paquete(response: requests.Response, id_paquete: str) -> tuple[_Answer, int] | None:
    """Read until ``<Paquete>`` starts; (answer, offset after the tag), or None if it never does.

    Without ``<Paquete>`` the whole answer is left in ``response._content`` for zeep to read.
    A connection that breaks before the package began raises ``PackageTransferError``: the
    request reached SAT, so the attempt counts as one of the package's two downloads.
    """
    answer = _Answer(response)
    while True:
        match = _PAQUETE.search(answer.buffer)
        if match is not None and not match.group(0).endswith(b"/>"):
            return answer, match.end()
        if len(answer.buffer) > MAX_PREFIX or not answer.more():
            while answer.more():
                pass
            if answer.broken is not None:
                raise PackageTransferError(
                    _transfer_message(id_paquete, answer.broken, 0, None, "before the package"),
                    id_paquete=id_paquete,
                    received=0,
                    kept=None,
                )
            response._content = answer.buffer
            response._content_consumed = True  # type: ignore[attr-defined]
            return None


def save_package(
    response: requests.Response,
    answer: _Answer,
    start: int,
    destino: Path,
    *,
    id_paquete: str,
    progress: Callable[[int], None] | None = None,
) -> StreamedPackage:
    """Decode the package of a streamed answer into ``destino`` (see the module docstring)."""
    parser = etree.XMLPullParser(
        events=("end",), resolve_entities=False, no_network=True, load_dtd=False
    )
    head = answer.buffer[:start]
    try:
        parser.feed(head)
    except etree.XMLSyntaxError as error:
        raise SatResponseError(
            f"Descargar: SAT's answer is not valid XML before the package ({error}); nothing "
            "was saved. SAT may have counted this as one of the package's two downloads.",
            raw=head,
            url=response.url,
        ) from None
    respuesta = _respuesta(parser, response)
    destino.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(
        prefix=f".{destino.name}.", suffix=".part", dir=destino.parent
    )
    temporary = Path(temporary_name)
    check = ZipStreamCheck()
    size = 0
    try:
        with os.fdopen(handle, "wb") as output:
            rest = answer.buffer[start:]
            carry = b""
            end = -1
            while True:
                end = rest.find(b"<")
                text = rest if end < 0 else rest[:end]
                data, carry = _decode(carry + text if carry else text)
                if data:
                    output.write(data)
                    check.feed(data)
                    size += len(data)
                    if progress is not None:
                        progress(len(data))
                if end >= 0:
                    break
                answer.buffer = b""
                if not answer.more():
                    if answer.broken is not None:
                        raise answer.broken
                    raise _Broken("the answer ended in the middle of the package")
                rest = answer.buffer
            if carry:
                raise _Broken("the package's base64 text has a dangling end")
            tail = _read_tail(answer, rest[end:])
            try:
                parser.feed(tail)
                parser.close()
            except etree.XMLSyntaxError:
                raise _Broken("the envelope does not close properly after the package") from None
        sha256 = check.finish(temporary)
    except (_Broken, binascii.Error, requests.RequestException, zipfile.BadZipFile) as error:
        check.close()
        kept = _keep_damaged(temporary, destino, size)
        raise PackageTransferError(
            _transfer_message(id_paquete, error, size, kept),
            id_paquete=id_paquete,
            received=size,
            kept=str(kept) if kept else None,
        ) from None
    except BaseException:  # Ctrl-C, or a fault in the check itself: the bytes cost a download
        check.close()
        _keep_damaged(temporary, destino, size)
        raise
    os.replace(temporary, destino)
    return StreamedPackage(respuesta, destino, size, sha256)


def _decode(text: bytes) -> tuple[bytes, bytes]:
    """Decode the whole 4-character groups of ``text``; (bytes, the characters left over).

    The usual text has no whitespace and is decoded in place; a chunk with line breaks (or a
    stray character) takes the slow path, which still refuses anything outside base64.
    """
    usable = len(text) - len(text) % 4
    try:
        return _strict_base64(memoryview(text)[:usable]), text[usable:]
    except binascii.Error:
        compact = text.translate(None, _WHITESPACE)
        usable = len(compact) - len(compact) % 4
        return _strict_base64(compact[:usable]), compact[usable:]


def _strict_base64(data: bytes | memoryview) -> bytes:
    """Decode, refusing any character outside the alphabet (``binascii.Error``), with SIMD."""
    return pybase64.b64decode(data, validate=True)


class _Broken(Exception):
    """The streamed answer is not a whole package."""


def _read_tail(answer: _Answer, tail: bytes) -> bytes:
    """The rest of the envelope after the package text (a few dozen bytes)."""
    answer.buffer = tail
    while len(answer.buffer) <= MAX_PREFIX and answer.more():
        pass
    return answer.buffer


def _respuesta(parser: etree.XMLPullParser, response: requests.Response) -> dict[str, str | None]:
    for _, element in parser.read_events():
        if isinstance(element, etree._Element) and element.tag == f"{{{DESCARGA_MASIVA}}}respuesta":
            return {key: element.get(key) for key in ("CodEstatus", "Mensaje")}
    raise SatResponseError(
        "Descargar: SAT's answer carries a package but no 'respuesta' header with its status",
        url=response.url,
    )


def _keep_damaged(temporary: Path, destino: Path, size: int) -> Path | None:
    if size == 0:
        temporary.unlink(missing_ok=True)
        return None
    kept = free_damaged_name(destino)
    os.replace(temporary, kept)
    return kept


def _transfer_message(
    id_paquete: str, error: BaseException, size: int, kept: Path | None, when: str = ""
) -> str:
    what = str(error) or type(error).__name__
    if isinstance(error, requests.RequestException):
        what = f"the connection failed {when or 'in the middle of the package'} " + (
            f"({type(error).__name__})"
        )
    elif isinstance(error, binascii.Error):
        what = f"the package text is not valid base64 ({error})"
    elif isinstance(error, zipfile.BadZipFile):
        what = f"the package is not a valid ZIP ({error})"
    where = f"; the {size:,} bytes received were kept in {kept}" if kept else ""
    return (
        f"Descargar {id_paquete}: {what}{where}. Nothing was written at the destination. This "
        "attempt used one of the package's two downloads at SAT: try once more (a third "
        "download is refused with 5008)."
    )


def respuesta_of(reply: Any) -> Any:
    """The ``respuesta`` header of a zeep Descargar reply, or None."""
    header = getattr(reply, "header", None)
    return getattr(header, "respuesta", None) if header is not None else None
