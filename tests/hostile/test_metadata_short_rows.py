"""Short rows cannot make the metadata reader quadratic: a row joins at most a bounded number
of following lines (a CRLF inside a name), then it is reported as bad and reading goes on.

Asserted on what is joined (each bad report is bounded), not on time: unbounded joining is what
made 4 MiB of short rows take a minute.
"""

from __future__ import annotations

import io

from sat_zeep.packages.rows import MAX_JOINED_CHARS, MAX_JOINED_LINES, iter_table

HEADER = b"Uuid~RfcEmisor~NombreEmisor~Monto\r\n"
GOOD = b"5A1B~AAA010101AAA~MARIA~10.00\r\n"


def read(text: bytes) -> tuple[list[list[str]], list[tuple[int, str]]]:
    bad: list[tuple[int, str]] = []
    _, rows = iter_table(io.BytesIO(text), lambda number, line: bad.append((number, line)))
    return list(rows), bad


def test_a_run_of_short_rows_is_reported_in_bounded_pieces() -> None:
    rows, bad = read(HEADER + b"x\r\n" * 5000 + GOOD)
    # The last short rows join the good one (a CRLF in a name reads the same): the rest is bad.
    ((joined, *rest),) = rows
    assert rest == ["AAA010101AAA", "MARIA", "10.00"] and joined.endswith("x\r\n5A1B")
    assert max(text.count("\r\n") + 1 for _, text in bad) == MAX_JOINED_LINES
    lines = sum(text.count("\r\n") + 1 for _, text in bad) + joined.count("\r\n")
    assert lines == 5000  # every line accounted for
    assert bad[0][0] == 2 and bad[1][0] == 2 + MAX_JOINED_LINES  # numbered from their start


def test_long_short_rows_are_bounded_by_characters() -> None:
    line = b"y" * 10_000 + b"\r\n"
    rows, bad = read(HEADER + line * 500 + GOOD)
    assert len(rows) == 1 and len(bad) > 1
    assert max(len(text) for _, text in bad) <= MAX_JOINED_CHARS + 10_002


def test_a_name_with_line_breaks_is_still_rejoined() -> None:
    rows, bad = read(HEADER + b"5A1B~AAA010101AAA~MARIA\r\nDE\r\nLA PAZ~10.00\r\n")
    assert rows == [["5A1B", "AAA010101AAA", "MARIA\r\nDE\r\nLA PAZ", "10.00"]]
    assert bad == []
