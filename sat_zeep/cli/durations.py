"""Durations on the command line: ``90s``, ``30m``, ``2h`` or plain seconds."""

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
