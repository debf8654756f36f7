"""Split SAT metadata text (``~`` between fields, CRLF between rows) into lists of strings.

The format, and its quirks::

    Uuid~RfcEmisor~NombreEmisor~…~Estatus~FechaCancelacion\\r\\n        header (maybe after a BOM)
    5A1B…~AAA010101AAA~MARÍA "LUPITA" PEÑA~…~1~\\r\\n                   a literal " (no quoting)
    6C2D…~BBB020202BB1~SERVICIOS DEL NORTE\\nSA DE CV~…~0~2024-…\\r\\n   a bare LF inside a name

* only CRLF ends a row: a bare LF stays inside the field (``csv.reader`` would split it);
* ``"`` is an ordinary character;
* one trailing ``~`` per row (a field count one over the header, last field empty) is dropped;
* a row with too few fields is joined with the next one while that yields exactly the header's
  count (a name holding a CRLF), over at most ``MAX_JOINED_LINES`` lines and
  ``MAX_JOINED_CHARS`` characters (so short rows cannot make reading quadratic); files whose
  rows end with a bare LF are read the same way, and a name split there is rejoined with its LF
  (the original bytes, never a CRLF);
* the text is UTF-8, with or without a BOM; empty lines are ignored.

Rows that still do not fit are reported to ``on_bad_row(line_number, text)`` and left out.

How it is fast: the entry is read in large blocks (at once up to ``WHOLE_READ_LIMIT`` bytes),
each block is cut into ``WINDOW``-byte windows ending on a row end, and each window is decoded
and split on the row end by one C call each, while its text is still in the CPU caches. The
per-row loop does one ``str.split("~")`` and one length check for a row that fits (or has one
trailing ``~``); only other rows pay for the repair logic and for a line number. (Building rows
in batches with ``map`` was measured slower: the batch's lists fall out of the caches before
they are used; one row at a time reuses the memory of the row the caller just dropped.)
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Callable, Iterator
from operator import length_hint
from typing import IO

__all__ = [
    "CHUNK",
    "SEPARATOR",
    "WHOLE_READ_LIMIT",
    "WINDOW",
    "LineEnding",
    "iter_table",
    "read_lines",
    "split_fields",
    "table_from_lines",
]

SEPARATOR = "~"
#: Bytes read at a time from entries larger than ``WHOLE_READ_LIMIT``.
CHUNK = 1 << 20
#: Entries up to this size (uncompressed) are read with one ``read()``.
WHOLE_READ_LIMIT = 32 << 20
#: Lines, and characters, a short row may join (a name holding CRLFs) before it is a bad row.
MAX_JOINED_LINES = 100
MAX_JOINED_CHARS = 1 << 16
#: Bytes decoded and split at a time (small: the text and its rows stay in the CPU caches).
WINDOW = 64 << 10

#: Called with the physical line number and the text of a row that does not fit its header.
BadRowHandler = Callable[[int, str], None]

_BOM = codecs.BOM_UTF8


class LineEnding:
    """The row end ``read_lines`` found: ``text`` is ``"\r\n"``, or ``"\n"`` in a text without
    CRLF. The row reader rejoins a split name with it, so the name keeps its original bytes."""

    __slots__ = ("text",)

    def __init__(self, text: str = "\r\n") -> None:
        self.text = text


def split_fields(line: str) -> list[str]:
    """One physical row's fields: ``"a~b~"`` → ``["a", "b", ""]`` (trailing ``~`` kept)."""
    return line.split(SEPARATOR)


def _pieces(stream: IO[bytes], size: int | None, ending: LineEnding) -> Iterator[list[str]]:
    """Physical rows, a window at a time: split on CRLF, or on LF if the text has no CRLF.

    The entry is read at once if ``size`` (its uncompressed size, when known) is at most
    ``WHOLE_READ_LIMIT``, else ``CHUNK`` bytes at a time. Each read is cut into windows of about
    ``WINDOW`` bytes that end on a row end (so on a character boundary), and each window is
    decoded and split on its own: no incremental decoder, no text carried over and copied, and
    the window's text and rows stay in the CPU caches while they are used. The row end is chosen
    on the first read that holds a line feed: CRLF if that read holds one. The last list holds
    what follows the last row end (``""`` when the text ends with one).
    """
    whole = size is not None and size <= WHOLE_READ_LIMIT
    window = WINDOW
    end = ""
    separator = b""
    carry = b""
    at_start = True
    while True:
        raw = stream.read() if whole else stream.read(CHUNK)
        final = whole or not raw
        position = 0
        if carry and end:
            # The unfinished row of the last read, completed by this read's first row end.
            if separator == b"\r\n" and carry[-1:] == b"\r" and raw[:1] == b"\n":
                position = 1
            else:
                position = raw.find(separator)
                position = len(raw) if position < 0 else position + len(separator)
            head, carry = carry + raw[:position], b""
            if position == len(raw) and not head.endswith(separator):
                if not final:
                    carry = head  # still no row end
                    continue
                yield str(head, "utf-8").split(end)
                return
            lines = str(head, "utf-8").split(end)
            lines.pop()  # the empty text after the row end
            yield lines
        elif carry:
            raw, carry = carry + raw, b""
        if at_start:
            if not final and len(raw) < len(_BOM) and _BOM.startswith(raw):
                carry = raw  # maybe a BOM: wait for more bytes
                continue
            at_start = False
            if raw.startswith(_BOM):
                position = len(_BOM)
        if not end:
            if raw.find(b"\n", position) >= 0 or final:
                crlf = raw.find(b"\r\n", position) >= 0 or raw.find(b"\n", position) < 0
                end, separator = ("\r\n", b"\r\n") if crlf else ("\n", b"\n")
                ending.text = end
            else:
                carry = raw[position:]  # no row end seen yet: keep reading
                continue
        total = len(raw)
        if position == total and final:
            yield [""]
            return
        view = memoryview(raw)
        while position < total:
            stop = position + window
            cut = raw.rfind(separator, position, stop) if stop < total else -1
            if cut < 0:
                cut = raw.find(separator, max(position, stop - len(separator) + 1))
                if cut < 0 and stop >= total:
                    cut = raw.rfind(separator, position)
            if cut < 0 or (final and stop >= total):
                if not final:
                    carry = raw[position:]  # an unfinished row: completed by the next read
                    break
                yield str(view[position:], "utf-8").split(end)
                return
            cut += len(separator)
            lines = str(view[position:cut], "utf-8").split(end)
            position = cut
            lines.pop()  # the empty text after the window's last row end
            yield lines
        if final:
            yield [""]
            return


def iter_table(
    stream: IO[bytes], on_bad_row: BadRowHandler | None = None, *, size: int | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    """Read the header now and return it with a lazy iterator over the data rows' fields.

    ``size``, the entry's uncompressed size when known, lets a small entry be read at once.
    """
    ending = LineEnding()
    return table_from_lines(read_lines(stream, size, ending), on_bad_row, ending)


def read_lines(
    stream: IO[bytes], size: int | None = None, ending: LineEnding | None = None
) -> Iterator[list[str]]:
    """The physical lines of ``stream``'s text, in lists (see ``_pieces``); the row end found
    is stored in ``ending``."""
    return _pieces(stream, size, LineEnding() if ending is None else ending)


def table_from_lines(
    pieces: Iterator[list[str]],
    on_bad_row: BadRowHandler | None = None,
    ending: LineEnding | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """``iter_table`` over lines from ``read_lines`` (which the caller may wrap); ``ending``
    is the one given to ``read_lines`` (CRLF if ``None``)."""
    header: list[str] = []
    number = 0
    first: list[str] = []
    for piece in pieces:
        for position, line in enumerate(piece):
            if line:
                header = split_fields(line)
                number += position + 1
                first = piece[position + 1 :]
                break
        else:
            number += len(piece)
            continue
        break
    if header and header[-1] == "" and len(header) > 1:
        header.pop()
    rows = _rows(itertools.chain([first], pieces), len(header), number, on_bad_row, ending)
    return header, rows


def _rows(
    pieces: Iterator[list[str]],
    width: int,
    number: int,
    on_bad_row: BadRowHandler | None,
    ending: LineEnding | None,
) -> Iterator[list[str]]:
    """Fields of each row, joining short rows and dropping one trailing empty field.

    The inner loop handles the rows that fit (or have one trailing ``~``) and nothing else; a
    line number is worked out only for the others, from how many lines are left in the piece.
    """
    wider = width + 1
    pending: list[str] | None = None  # a short row waiting for its continuation
    pending_text = ""
    pending_number = 0
    joined = 0  # lines in the pending row
    for lines in pieces:
        after = number + len(lines)  # the line number of the piece's last line
        number = after
        rest = iter(lines)
        while True:
            if pending is None:
                for line in rest:
                    fields = line.split(SEPARATOR)
                    if len(fields) == width:
                        yield fields
                    elif len(fields) == wider and not fields[-1]:
                        del fields[-1]
                        yield fields
                    else:
                        break
                else:
                    break  # the piece is done
                # Neither: too many fields, a short row (or an empty line).
                if len(fields) > width:
                    _bad(on_bad_row, after - length_hint(rest), line)
                elif line:
                    pending, pending_text, joined = fields, line, 1
                    pending_number = after - length_hint(rest)
                continue
            end = "\r\n" if ending is None else ending.text
            for line in rest:
                # A short row is pending: this line continues its last field (a row end in a
                # name), rejoined with the row end the text has.
                fields = line.split(SEPARATOR)
                merged = [*pending[:-1], pending[-1] + end + fields[0], *fields[1:]]
                merged_count = len(merged)
                if merged_count == width or (merged_count == wider and merged[-1] == ""):
                    yield merged[:width]
                    pending = None
                    break
                bounded = joined < MAX_JOINED_LINES and len(pending_text) < MAX_JOINED_CHARS
                if merged_count < width and bounded:
                    pending, pending_text = merged, pending_text + end + line
                    joined += 1
                    continue
                pending = None
                _bad(on_bad_row, pending_number, pending_text)
                # And this line afresh:
                count = len(fields)
                if count == width:
                    yield fields
                elif count == wider and fields[-1] == "":
                    del fields[-1]
                    yield fields
                elif count > width:
                    _bad(on_bad_row, after - length_hint(rest), line)
                elif line:
                    pending, pending_text, joined = fields, line, 1
                    pending_number = after - length_hint(rest)
                    continue
                break
            else:
                break  # the piece is done (a short row may still be pending)
    if pending is not None:
        _bad(on_bad_row, pending_number, pending_text)


def _bad(on_bad_row: BadRowHandler | None, number: int, text: str) -> None:
    if on_bad_row is not None:
        on_bad_row(number, text)
