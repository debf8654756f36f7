"""Synthetic taxpayers: RFC shapes, names with SAT's quirks, and the counterpart pool.

Names carry the quirks real metadata has: a bare LF inside the name, double quotes, ``&`` and
``Ñ`` (in the name and in the RFC). Fixed index patterns in ``draw_taxpayer`` guarantee that every
quirk appears in any pool of a few dozen taxpayers.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from .streams import stream

__all__ = ["GENERIC_RFC", "Taxpayer", "draw_taxpayer", "make_pool", "real_name"]

GENERIC_RFC = "XAXX010101000"


class Taxpayer(NamedTuple):
    """A synthetic taxpayer: RFC and name (which may carry SAT's quirks)."""

    rfc: str
    name: str


_WORDS_A = (
    "COMERCIALIZADORA",
    "SERVICIOS",
    "CONSTRUCTORA",
    "DISTRIBUIDORA",
    "GRUPO",
    "INDUSTRIAS",
    "TRANSPORTES",
    "CONSULTORÍA",
    "ALIMENTOS",
    "TECNOLOGÍA",
)
_WORDS_B = (
    "DEL NORTE",
    "DEL BAJÍO",
    "MONTAÑA AZUL",
    "PEÑA BLANCA",
    "SAN JOSÉ",
    "LA CAÑADA",
    "HIDALGO",
    "DE OCCIDENTE",
    "MÉRIDA",
    "INTEGRALES",
)
_SUFFIXES = ("SA DE CV", "S DE RL DE CV", "SAPI DE CV", "SC", "SA")
_GIVEN = ("MARÍA", "JOSÉ", "JUAN", "GUADALUPE", "LUIS", "ANA", "JESÚS", "SOFÍA", "MIGUEL", "ROCÍO")
_SURNAMES = (
    "HERNÁNDEZ",
    "GARCÍA",
    "MARTÍNEZ",
    "LÓPEZ",
    "GONZÁLEZ",
    "NÚÑEZ",
    "PEÑA",
    "RAMÍREZ",
    "MUÑOZ",
    "IBÁÑEZ",
    "O'BRIEN",
    "DE LA O",
)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _rfc_shape(rng: random.Random, letters: str) -> str:
    year = rng.choice((rng.randrange(50, 100), rng.randrange(0, 21)))
    born = f"{year:02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    clave = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ123456789") for _ in range(2))
    return f"{letters}{born}{clave}{rng.choice('0123456789A')}"


def draw_taxpayer(rng: random.Random, index: int) -> Taxpayer:
    """Draw taxpayer ``index``; fixed index patterns guarantee each quirk is present."""
    fisica = index % 3 == 1
    letters = "".join(rng.choice(_LETTERS) for _ in range(4 if fisica else 3))
    if fisica:
        given, first, second = rng.choice(_GIVEN), rng.choice(_SURNAMES), rng.choice(_SURNAMES)
        name = f"{given} {first} {second}"
        if index % 31 == 4:
            name = f"{given}\n{first} {second}"
        elif index % 29 == 7:
            name = f'{given} "{rng.choice(("PEPE", "LUPITA", "CHUY"))}" {first}'
        elif index % 17 == 10:
            name, letters = f"{given} {first} MUÑOZ", letters[:3] + "Ñ"
    else:
        word_a, word_b, suffix = rng.choice(_WORDS_A), rng.choice(_WORDS_B), rng.choice(_SUFFIXES)
        name = f"{word_a} {word_b} {suffix}"
        if index % 31 == 5:
            name = f"{word_a} {word_b}\n{suffix}"
        elif index % 29 == 8:
            name = f'{word_a} "{word_b}" {suffix}'
        elif index % 23 == 3:
            name = f"{rng.choice(_SURNAMES)} & {rng.choice(_SURNAMES)} {suffix}"
            letters = letters[0] + "&" + letters[2]
        elif index % 17 == 2:
            name, letters = f"{word_a} PEÑA BLANCA {suffix}", "Ñ" + letters[1:]
    return Taxpayer(_rfc_shape(rng, letters), name)


def make_pool(seed: int, size: int) -> tuple[Taxpayer, ...]:
    """The deterministic pool of counterpart taxpayers (one in three are personas físicas)."""
    rng = stream("pool", seed)
    seen: set[str] = {GENERIC_RFC}
    pool: list[Taxpayer] = []
    index = 0
    while len(pool) < size:
        taxpayer = draw_taxpayer(rng, index)
        if taxpayer.rfc not in seen:
            seen.add(taxpayer.rfc)
            pool.append(taxpayer)
            index += 1
    return tuple(pool)


_DOTTED = {
    "SA DE CV": "S.A. DE C.V.",
    "S DE RL DE CV": "S. DE R.L. DE C.V.",
    "SAPI DE CV": "S.A.P.I. DE C.V.",
    "SC": "S.C.",
    "SA": "S.A.",
}


def real_name(name: str, rfc: str) -> str:
    """``name`` as issuers really write it, drawn once per RFC: the regime suffix with dots
    and a comma (``, S.A. DE C.V.``), mixed case, a trailing or a doubled space, a long trade
    name. The LF, quote, ``&`` and ``Ñ`` quirks of ``draw_taxpayer`` are kept."""
    rng = stream("nombre", rfc)
    draw = rng.random()
    for plain, dotted in _DOTTED.items():
        if len(rfc) == 12 and name.endswith(" " + plain) and draw < 0.45:
            comma = "," if rng.random() < 0.6 else ""
            name = f"{name[: -len(plain) - 1]}{comma} {dotted}"
            break
    if rng.random() < 0.12:
        name = " ".join(
            word.capitalize() if len(word) > 3 else word.lower() for word in name.split(" ")
        )
    quirk = rng.random()
    if quirk < 0.03:
        name += " "
    elif quirk < 0.05:
        name = name.replace(" ", "  ", 1)
    elif quirk < 0.08 and len(rfc) == 12:
        name += " " + " ".join(rng.choice(_WORDS_A + _WORDS_B) for _ in range(12))
    return name
