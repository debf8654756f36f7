"""``--token-file``: the SAT token kept between invocations, readable only by its owner."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from ..client.models import Token
from ..packages.atomic_write import atomic_write

logger = logging.getLogger("sat_zeep.cli")


class TokenFile:
    """A token store in one JSON file (``Token.model_dump_json()``), written with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Token | None:
        """The stored token, or None when the file is missing or unreadable as a token."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return Token.model_validate_json(text)
        except ValidationError:
            logger.debug("ignoring %s: it does not hold a token", self.path)
            return None

    def save(self, token: Token) -> None:
        """Replace the file atomically; its temporary is created 0600, exclusively, never
        through a link, so the token never lies open."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "w", private=True, encoding="utf-8") as stream:
            stream.write(token.model_dump_json())
