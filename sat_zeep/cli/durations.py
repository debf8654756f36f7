"""Durations (``90s``, ``30m``, ``2h``) and sizes (``512M``, ``2G``) on the command line."""

from __future__ import annotations

from datetime import timedelta

import click

_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``2h`` or plain seconds; ``click.BadParameter`` for anything else."""
    number, unit = (text[:-1], _UNITS[text[-1]]) if text[-1:] in _UNITS else (text, 1)
    try:
        seconds = float(number) * unit
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also refuses nan
        raise click.BadParameter(f"{text!r} is not a duration such as 90s, 30m or 2h")
    return timedelta(seconds=seconds)


_SIZES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """``512M``, ``2G``, ``100k`` (powers of 1024) or plain bytes; ``click.BadParameter`` else."""
    cleaned = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = _SIZES.get(cleaned[-1:], 1)
    number = cleaned[:-1] if cleaned[-1:] in _SIZES else cleaned
    try:
        size = float(number) * unit
    except ValueError:
        size = -1.0
    if not size >= 0 or size == float("inf"):
        raise click.BadParameter(f"{text!r} is not a size such as 512M, 2G or 0")
    return int(size)
