"""Split SAT metadata text (``~`` between fields, CRLF between rows) into lists of strings.

The format, and its quirks::

    Uuid~RfcEmisor~NombreEmisor~…~Estatus~FechaCancelacion\\r\\n        header (maybe after a BOM)
    5A1B…~AAA010101AAA~MARÍA "LUPITA" PEÑA~…~1~\\r\\n                   a literal " (no quoting)
    6C2D…~BBB020202BB1~SERVICIOS DEL NORTE\\nSA DE CV~…~0~2024-…\\r\\n   a bare LF inside a name

* only CRLF ends a row: a bare LF stays inside the field (``csv.reader`` would split it);
* ``"`` is an ordinary character;
* one trailing ``~`` per row (a field count one over the header, last field empty) is dropped;
* a row with too few fields is joined with the next one while that yields exactly the header's
  count (a name holding a CRLF); files whose rows end with a bare LF are read the same way;
* the text is UTF-8, with or without a BOM; empty lines are ignored.

Rows that still do not fit are reported to ``on_bad_row(line_number, text)`` and left out.
The text is read in 4 MiB chunks, each split with ``str.split``: no per-character Python loop.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Callable, Iterator
from typing import IO

__all__ = ["SEPARATOR", "iter_table", "split_fields"]

SEPARATOR = "~"
_CHUNK = 4 << 20

#: Called with the physical line number and the text of a row that does not fit its header.
BadRowHandler = Callable[[int, str], None]


def split_fields(line: str) -> list[str]:
    """One physical row's fields: ``"a~b~"`` → ``["a", "b", ""]`` (trailing ``~`` kept)."""
    return line.split(SEPARATOR)


def _chunks(stream: IO[bytes]) -> Iterator[list[str]]:
    """Physical rows, a chunk at a time: split on CRLF, or on LF if the text has no CRLF."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    end: str | None = None
    rest = ""
    while True:
        raw = stream.read(_CHUNK)
        final = not raw
        text = rest + decoder.decode(raw, final=final)
        if end is None:
            if "\r\n" in text:
                end = "\r\n"
            elif "\n" in text:
                end = "\n"
            elif not final:
                rest = text  # no row end seen yet: keep reading
                continue
            else:
                end = "\r\n"
        lines = text.split(end)
        if final:
            yield lines
            return
        rest = lines.pop()  # an unfinished row (maybe ending in "\r"): completed by the next chunk
        yield lines


def iter_table(
    stream: IO[bytes], on_bad_row: BadRowHandler | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    """Read the header now and return it with a lazy iterator over the data rows' fields."""
    chunks = _chunks(stream)
    header: list[str] = []
    number = 0
    first: list[str] = []
    for chunk in chunks:
        for position, line in enumerate(chunk):
            if line:
                header = split_fields(line)
                number += position + 1
                first = chunk[position + 1 :]
                break
        else:
            number += len(chunk)
            continue
        break
    if header and header[-1] == "" and len(header) > 1:
        header.pop()
    return header, _rows(itertools.chain([first], chunks), len(header), number, on_bad_row)


def _rows(
    chunks: Iterator[list[str]], width: int, number: int, on_bad_row: BadRowHandler | None
) -> Iterator[list[str]]:
    """Fields of each row, joining short rows and dropping one trailing empty field."""
    wider = width + 1
    pending: list[str] | None = None  # a short row waiting for its continuation
    pending_text = ""
    pending_number = 0
    for chunk in chunks:
        for position, line in enumerate(chunk, start=number + 1):
            fields = line.split(SEPARATOR)
            count = len(fields)
            if pending is None:
                if count == width:
                    yield fields
                    continue
            else:
                # A short row is pending: this line continues its last field (a CRLF in a name).
                merged = [*pending[:-1], pending[-1] + "\r\n" + fields[0], *fields[1:]]
                merged_count = len(merged)
                if merged_count == width or (merged_count == wider and merged[-1] == ""):
                    yield merged[:width]
                    pending = None
                    continue
                if merged_count < width:
                    pending, pending_text = merged, pending_text + "\r\n" + line
                    continue
                _bad(on_bad_row, pending_number, pending_text)
                pending = None  # and read this line afresh
                if count == width:
                    yield fields
                    continue
            if count == wider and fields[-1] == "":
                fields.pop()
                yield fields
            elif count > width:
                _bad(on_bad_row, position, line)
            elif line:
                pending, pending_text, pending_number = fields, line, position
        number += len(chunk)
    if pending is not None:
        _bad(on_bad_row, pending_number, pending_text)


def _bad(on_bad_row: BadRowHandler | None, number: int, text: str) -> None:
    if on_bad_row is not None:
        on_bad_row(number, text)
