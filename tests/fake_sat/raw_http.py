"""A raw HTTP/1.x exchange over one socket, so each client behaviour is sent byte for byte."""

from __future__ import annotations

import gzip
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class RawConnection:
    """One TCP (or TLS) connection; ``send`` writes bytes, ``answer`` reads one response."""

    def __init__(self, host: str, port: int, ca_pem: Path | None = None) -> None:
        sock = socket.create_connection((host, port), timeout=60)
        if ca_pem is not None:
            context = ssl.create_default_context(cafile=str(ca_pem))
            sock = context.wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.file = sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> Answer:
        """The next response (a ``100 Continue`` is returned like any other)."""
        status_line = self.file.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := self.file.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            return Answer(status, headers)
        if "content-length" in headers:
            body = self.file.read(int(headers["content-length"]))
        elif "chunked" in headers.get("transfer-encoding", ""):
            body = self._chunks()
        else:
            body = self.file.read()
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return Answer(status, headers, body)

    def _chunks(self) -> bytes:
        parts = []
        while size := int(self.file.readline().split(b";")[0], 16):
            parts.append(self.file.read(size))
            self.file.readline()
        while self.file.readline() not in (b"\r\n", b""):
            pass
        return b"".join(parts)


def chunked(body: bytes, size: int = 1000) -> bytes:
    """``body`` in the chunked transfer coding, ``size`` bytes a chunk."""
    out = b"".join(
        f"{len(body[i : i + size]):x}\r\n".encode() + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    )
    return out + b"0\r\n\r\n"
