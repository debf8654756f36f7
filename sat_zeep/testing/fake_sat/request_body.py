"""Reading a request body as every HTTP client sends one, under one size cap.

Three shapes reach the server:

    Content-Length: 1234             read exactly 1234 bytes
    Transfer-Encoding: chunked       read the chunks to the end (Node, Java, .NET clients)
    neither                          an empty body

A negative or non-numeric ``Content-Length``, or a body above ``MAX_BODY`` however it is sent,
is refused before more than ``MAX_BODY`` bytes are read; the answer then closes the connection,
since what is left of the body cannot be skipped safely.
"""

from __future__ import annotations

from typing import Any

#: The largest request body the fake reads (a signed SOAP request is a few KiB).
MAX_BODY = 10 * 1024 * 1024
_BLOCK = 64 * 1024


class BodyRefused(Exception):
    """The body cannot be read: ``status`` is the HTTP status line to answer."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def read_body(environ: dict[str, Any], limit: int = MAX_BODY) -> bytes:
    """The request body, or ``BodyRefused`` (400 for a bad length, 413 above ``limit``)."""
    stream = environ["wsgi.input"]
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return _read_to_end(stream, limit)
    text = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not text.isdigit():
        raise BodyRefused("400 Bad Request", f"Content-Length {text!r} is not a valid length.")
    length = int(text)
    if length > limit:
        raise BodyRefused("413 Request Entity Too Large", "The request body is too large.")
    if length == 0:
        return b""
    body: bytes = stream.read(length)
    return body


def _read_to_end(stream: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while block := stream.read(min(_BLOCK, limit + 1 - size)):
        parts.append(block)
        size += len(block)
        if size > limit:
            raise BodyRefused("413 Request Entity Too Large", "The request body is too large.")
    return b"".join(parts)
