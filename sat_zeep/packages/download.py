"""Descargar read as a stream, to a file or to memory, with the same rules either way.

The request is still built and signed by zeep and the plugins. The answer is read as a stream::

    <s:Envelope><s:Header><h:respuesta CodEstatus="5000" Mensaje="…"/></s:Header>
      <s:Body><RespuestaDescargaMasivaTercerosSalida><Paquete>UEsDBBQ…(GBs)…</Paquete>…

Everything up to ``<Paquete>`` goes to an incremental XML parser (no DTD, no entities), so the
``respuesta`` status is known before the package arrives: a status other than 5000 writes
nothing. The base64 text is then strictly decoded chunk by chunk, into a temporary file beside
the destination (renamed into place at the end) or into memory up to a size cap, hashed and
its ZIP checked on the way either way. After the package only the envelope's closing tags may
come: exactly one ``Paquete``, and reading stops as soon as the envelope closes. An answer without
``<Paquete>`` (a refusal, a fault, an HTTP error) is read whole, up to 1 MiB, and handled as
zeep reads it. Every read stops at the call's deadline.
"""

from __future__ import annotations

import binascii
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pybase64
import requests
from lxml import etree

from ..errors import PackageTooLargeError, PackageTransferError, SatResponseError
from ..signing.namespaces import DESCARGA_MASIVA
from ..soap.transport import DeadlinePassed, answer_chunks
from .archive.stream_check import ZipStreamCheck

#: How much of an answer may come before ``<Paquete>``, or after ``</Paquete>``: the header and
#: the closing tags are a few hundred bytes.
MAX_PREFIX = 1 << 20
#: Bytes of package ``descargar`` keeps in memory without ``destino`` (``max_in_memory``).
MAX_IN_MEMORY = 256 << 20
_PAQUETE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Paquete(?:\s[^>]*)?>")
_PAQUETE_TAG = f"{{{DESCARGA_MASIVA}}}Paquete"
_RESPUESTA_TAG = f"{{{DESCARGA_MASIVA}}}respuesta"
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_WHITESPACE = b" \t\r\n"
_UNCLOSED = "the envelope does not close properly after the package"


@dataclass(frozen=True)
class StreamedPackage:
    """The ``respuesta`` status and, when SAT sent one, the package: on disk or in ``data``."""

    respuesta: dict[str, str | None]
    path: Path | None
    size: int
    sha256: str | None
    data: bytes | None = None


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

    A connection that breaks (or the call's deadline) ends the answer like its end would, and
    is kept in ``broken``: whatever arrived before is still looked at (and kept, when it is
    part of a package).
    """

    def __init__(self, response: requests.Response, ends: float, seconds: float) -> None:
        self._chunks = answer_chunks(response, ends, seconds)
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


def refuse_too_large(response: requests.Response, limit: int, id_paquete: str) -> None:
    """Raise ``PackageTooLargeError`` when the answer's ``Content-Length`` says it cannot fit."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit // 3 * 4 + 4 + MAX_PREFIX:
        raise _too_large(id_paquete, limit, f"the answer announces {int(length):,} bytes")


def find_paquete(
    response: requests.Response, id_paquete: str, ends: float, seconds: float
) -> tuple[_Answer, int] | None:
    """Read until ``<Paquete>`` starts; (answer, offset after the tag), or None if it never does.

    Without ``<Paquete>`` the whole answer is left in ``response._content`` for zeep to read;
    an answer that goes on for more than ``MAX_PREFIX`` without one is cut off there
    (``SatResponseError``). A connection that breaks before the package began raises
    ``PackageTransferError``: the request reached SAT, so the attempt counts as one of the
    package's two downloads.
    """
    answer = _Answer(response, ends, seconds)
    searched = 0
    while True:
        start = max(0, answer.buffer.rfind(b"<", 0, searched))  # an unfinished tag starts there
        match = _PAQUETE.search(answer.buffer, start)
        while match is not None and match.group(0).endswith(b"/>"):
            match = _PAQUETE.search(answer.buffer, match.end())
        if match is not None:
            return answer, match.end()
        searched = len(answer.buffer)
        if searched > MAX_PREFIX:
            raise SatResponseError(
                f"Descargar {id_paquete}: SAT's answer holds no package in its first "
                f"{MAX_PREFIX:,} bytes (an answer without one is a few hundred); it was cut off",
                raw=answer.buffer[:4096],
                url=response.url,
            )
        if not answer.more():
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


class FileSink:
    """The package into a temporary file beside ``destino``, ZIP-checked, renamed at the end."""

    def __init__(self, destino: Path) -> None:
        self.destino = destino
        self.size = 0
        self._temporary: Path | None = None
        self._output: io.BufferedWriter | None = None
        self._check: ZipStreamCheck | None = None

    def open(self) -> None:
        self.destino.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{self.destino.name}.", suffix=".part", dir=self.destino.parent
        )
        self._temporary = Path(name)
        self._output = os.fdopen(handle, "wb")
        self._check = ZipStreamCheck()

    def write(self, data: bytes) -> None:
        assert self._output is not None and self._check is not None
        self._output.write(data)
        self._check.feed(data)
        self.size += len(data)

    def finish(self) -> StreamedPackage:
        """Check the ZIP (``zipfile.BadZipFile``) and rename it into place."""
        assert self._output is not None and self._check is not None and self._temporary
        self._output.close()
        sha256 = self._check.finish(self._temporary)
        os.replace(self._temporary, self.destino)
        return StreamedPackage({}, self.destino, self.size, sha256)

    def fail(self) -> Path | None:
        """Stop; keep what arrived as ``.damaged`` (None when nothing did)."""
        if self._check is not None:
            self._check.close()
        if self._output is not None:
            self._output.close()
        if self._temporary is None:
            return None
        return _keep_damaged(self._temporary, self.destino, self.size)


class MemorySink:
    """The package in memory, ZIP-checked, refused (``_TooLarge``) once it passes ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._buffer = io.BytesIO()
        self._check: ZipStreamCheck | None = None

    def open(self) -> None:
        self._check = ZipStreamCheck()

    def write(self, data: bytes) -> None:
        assert self._check is not None
        if self.size + len(data) > self.limit:
            raise _TooLarge(f"it passed {self.limit:,} bytes")
        self._buffer.write(data)
        self._check.feed(data)
        self.size += len(data)

    def finish(self) -> StreamedPackage:
        """Check the ZIP (``zipfile.BadZipFile``); the bytes."""
        assert self._check is not None
        data = self._buffer.getvalue()
        sha256 = self._check.finish(data)
        return StreamedPackage({}, None, self.size, sha256, data)

    def fail(self) -> Path | None:
        if self._check is not None:
            self._check.close()
        self._buffer = io.BytesIO()
        return None


Sink = FileSink | MemorySink


def save_package(
    response: requests.Response,
    answer: _Answer,
    start: int,
    sink: Sink,
    *,
    id_paquete: str,
    progress: Callable[[int], None] | None = None,
) -> StreamedPackage:
    """Decode the package of a streamed answer into ``sink`` (see the module docstring).

    With a status other than 5000 nothing is decoded nor written: the result has no package.
    """
    envelope = _Envelope(response)
    head = answer.buffer[:start]
    envelope.feed_head(head)
    respuesta = envelope.respuesta
    if respuesta is None:
        raise SatResponseError(
            "Descargar: SAT's answer carries a package but no 'respuesta' header with its status",
            url=response.url,
        )
    if (respuesta.get("CodEstatus") or "").strip() != "5000":
        return StreamedPackage(respuesta, None, 0, None)
    try:
        sink.open()
        rest = answer.buffer[start:]
        carry = b""
        end = -1
        while True:
            end = rest.find(b"<")
            text = rest if end < 0 else rest[:end]
            data, carry = _decode(carry + text if carry else text)
            if data:
                sink.write(data)
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
        envelope.close_after_package(answer, rest[end:])
        saved = sink.finish()
    except _TooLarge as error:
        sink.fail()
        raise _too_large(id_paquete, sink.size, str(error)) from None
    except (_Broken, binascii.Error, requests.RequestException, zipfile.BadZipFile) as error:
        kept = sink.fail()
        raise PackageTransferError(
            _transfer_message(id_paquete, error, sink.size, kept),
            id_paquete=id_paquete,
            received=sink.size,
            kept=str(kept) if kept else None,
        ) from None
    except BaseException:  # Ctrl-C, or a fault in the check itself: the bytes cost a download
        sink.fail()
        raise
    return StreamedPackage(respuesta, saved.path, saved.size, saved.sha256, saved.data)


class _Envelope:
    """The answer's XML around the package text, parsed incrementally (never the text itself)."""

    def __init__(self, response: requests.Response) -> None:
        self._parser = etree.XMLPullParser(
            events=("end",), resolve_entities=False, no_network=True, load_dtd=False
        )
        self._url = response.url
        self.respuesta: dict[str, str | None] | None = None
        self.paquetes = 0
        self.closed = False

    def feed_head(self, head: bytes) -> None:
        """Everything before the package text; SatResponseError if it is not SAT's XML."""
        problem = "it declares a DTD or entities" if _declares(head) else ""
        if not problem:
            try:
                self._feed(head)
            except (etree.XMLSyntaxError, _Broken) as error:
                problem = str(error)
        if problem:
            raise SatResponseError(
                f"Descargar: SAT's answer is not valid XML before the package ({problem}); "
                "nothing was saved. SAT may have counted this as one of the package's two "
                "downloads.",
                raw=head[:4096],
                url=self._url,
            )

    def close_after_package(self, answer: _Answer, tail: bytes) -> None:
        """Read the closing tags, up to the envelope's end and no further (``_Broken`` if not)."""
        pending, fed = tail, 0
        while True:
            while (cut := pending.find(b">")) >= 0:
                piece, pending = pending[: cut + 1], pending[cut + 1 :]
                fed += len(piece)
                if _declares(piece):
                    raise _Broken("the envelope declares a DTD or entities after the package")
                try:
                    self._feed(piece)
                except etree.XMLSyntaxError:
                    raise _Broken(_UNCLOSED) from None
                if self.closed:
                    if self.paquetes != 1:
                        raise _Broken("the answer holds more than one Paquete")
                    return
            if fed + len(pending) > MAX_PREFIX:
                raise _Broken(f"the envelope does not close within {MAX_PREFIX:,} bytes")
            answer.buffer = b""
            if not answer.more():
                if answer.broken is not None:
                    raise answer.broken
                raise _Broken(_UNCLOSED)
            pending += answer.buffer

    def _feed(self, data: bytes) -> None:
        self._parser.feed(data)
        for _, element in self._parser.read_events():
            if not isinstance(element, etree._Element):
                continue
            if element.tag == _PAQUETE_TAG:
                self.paquetes += 1
                if self.paquetes > 1:
                    raise _Broken("the answer holds more than one Paquete")
            elif element.tag == _RESPUESTA_TAG and self.respuesta is None:
                self.respuesta = {key: element.get(key) for key in ("CodEstatus", "Mensaje")}
            if element.getparent() is None:
                self.closed = True


def _declares(data: bytes) -> bool:
    return any(declaration in data for declaration in _DECLARATIONS)


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


class _TooLarge(Exception):
    """The package does not fit in memory."""


def _too_large(id_paquete: str, received: int, why: str) -> PackageTooLargeError:
    return PackageTooLargeError(
        f"Descargar {id_paquete}: the package is too large to keep in memory ({why}; "
        "max_in_memory); download it to a file instead: descargar(id_paquete, destino=path), "
        "or `sat-zeep download`. SAT may have counted this as one of the package's two "
        "downloads.",
        id_paquete=id_paquete,
        received=received,
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
    if isinstance(error, DeadlinePassed):
        what = f"{error} ({when or 'in the middle of the package'})"
    elif isinstance(error, requests.RequestException):
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
