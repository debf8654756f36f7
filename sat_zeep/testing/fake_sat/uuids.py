"""UUIDs (folios) that are a document's position in the universe, so finding one needs no registry.

A UUID is not random: it encodes where the document lives, keyed by the universe's seed::

    payload  = service(1 bit) direction(1) day-since-2000(16) index-in-day(20) owner RFC(69)
    122 bits = payload(107) + SHA-256 checksum keyed by the seed(15)
    UUID     = a seed-keyed invertible mix of the 122 bits (XOR, then three rounds of "multiply by
               an odd constant modulo 2**122, xor-shift by 61"), laid out as a version-4 UUID and
               written in upper case as in the TimbreFiscalDigital

``UuidCodec.decode`` inverts the mix and checks the checksum, in any process with the same seed.
UUIDs from another seed, or random ones, fail the checksum (1 in 32,768 pass it; the universe then
rejects them by regenerating the document and comparing UUIDs). The owner RFC is written base 39
over ``0-9 A-Z & Ñ``, at most 13 characters.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from typing import NamedTuple

from .documents import DIRECTIONS, SERVICES

__all__ = ["FIRST_DAY", "LAST_DAY", "MAX_INDEX", "Position", "UuidCodec"]

#: The first and last day (as ordinals) a UUID can encode, and the largest index within a day.
FIRST_DAY = date(2000, 1, 1).toordinal()
LAST_DAY = FIRST_DAY + (1 << 16) - 1
MAX_INDEX = (1 << 20) - 1

_RFC_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ"
_RFC_CODE = {ch: i + 1 for i, ch in enumerate(_RFC_ALPHABET)}
_MASK122 = (1 << 122) - 1
_MASK62 = (1 << 62) - 1


class Position(NamedTuple):
    """Where a document lives: its day (service, direction, owner, ordinal) and index in it."""

    service: str
    direction: str
    owner: str
    ordinal: int
    index_in_day: int


class UuidCodec:
    """Turns positions into UUIDs and back, for one seed."""

    def __init__(self, seed: int) -> None:
        key = hashlib.sha256(f"fake-sat-universe\x1f{seed}".encode()).digest()
        self._hasher = hashlib.sha256(key + b"checksum")
        draws = [hashlib.sha256(key + bytes((n,))).digest()[:16] for n in range(4)]
        self._whitening = int.from_bytes(draws[0], "big") & _MASK122
        self._factors = tuple(int.from_bytes(d, "big") & _MASK122 | 1 for d in draws[1:])
        self._inverses = tuple(pow(factor, -1, 1 << 122) for factor in self._factors)

    def encode(self, service: str, direction: str, owner: str, ordinal: int, index: int) -> str:
        """The UUID of the ``index``-th document of ``owner``'s day ``ordinal``."""
        payload = SERVICES.index(service)
        payload = payload << 1 | DIRECTIONS.index(direction)
        payload = payload << 16 | (ordinal - FIRST_DAY)
        payload = (payload << 20 | index) << 69 | _encode_owner(owner)
        mixed = (payload << 15 | self._checksum(payload)) ^ self._whitening
        for factor in self._factors:
            mixed = (mixed * factor) & _MASK122
            mixed ^= mixed >> 61
        value = (mixed >> 74) << 80 | 4 << 76 | ((mixed >> 62) & 0xFFF) << 64 | 2 << 62
        text = f"{value | (mixed & _MASK62):032X}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def decode(self, uuid: str) -> Position | None:
        """The position ``uuid`` encodes, or ``None`` if this seed cannot have produced it."""
        try:
            value = int(uuid.strip().replace("-", ""), 16)
        except ValueError:
            return None
        if value >> 128 or (value >> 76) & 0xF != 4 or (value >> 62) & 3 != 2:
            return None
        mixed = (value >> 80) << 74 | ((value >> 64) & 0xFFF) << 62 | (value & _MASK62)
        for inverse in reversed(self._inverses):
            mixed ^= mixed >> 61
            mixed = (mixed * inverse) & _MASK122
        full = mixed ^ self._whitening
        payload = full >> 15
        if self._checksum(payload) != full & 0x7FFF:
            return None
        owner = _decode_owner(payload & ((1 << 69) - 1))
        index = (payload >> 69) & MAX_INDEX
        day = (payload >> 89) & (LAST_DAY - FIRST_DAY)
        direction, service = (payload >> 105) & 1, payload >> 106
        if owner is None or service > 1:
            return None
        return Position(SERVICES[service], DIRECTIONS[direction], owner, FIRST_DAY + day, index)

    def _checksum(self, payload: int) -> int:
        hasher = self._hasher.copy()
        hasher.update(payload.to_bytes(14, "big"))
        return int.from_bytes(hasher.digest()[:2], "big") & 0x7FFF


@functools.lru_cache(maxsize=4096)
def _encode_owner(rfc: str) -> int:
    if not 1 <= len(rfc) <= 13 or any(ch not in _RFC_CODE for ch in rfc):
        raise ValueError(f"not an RFC: {rfc!r}")
    value = 0
    for position in range(13):
        value = value * 39 + (_RFC_CODE[rfc[position]] if position < len(rfc) else 0)
    return value


def _decode_owner(value: int) -> str | None:
    original = value
    chars: list[str] = []
    for _ in range(13):
        value, code = divmod(value, 39)
        chars.append("" if code == 0 else _RFC_ALPHABET[code - 1])
    rfc = "".join(reversed(chars))
    return rfc if rfc and value == 0 and _encode_owner(rfc) == original else None
