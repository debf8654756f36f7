"""A deterministic synthetic universe of taxpayers and documents, standing in for SAT's data.

Any RFC can own documents. For each (seed, service, owner, direction, day) a ``random.Random``
seeded from a SHA-256 of those values draws how many documents exist that day and how many fall
in each category (TipoDeComprobante or Retenciones complement, times Vigente/Cancelado); a second
stream draws their emission times and shuffles the categories. Each document is then drawn from its
own stream keyed by its position. Nothing depends on a clock or on Python's ``hash()``.

UUID (folio) scheme: a UUID is not random, it is the document's position, so ``find`` needs no
registry and works in any process with the same seed::

    payload  = service(1 bit) direction(1) day-since-2000(16) index-in-day(20) owner RFC(69)
    122 bits = payload(107) + SHA-256 checksum keyed by the seed(15)
    UUID     = a seed-keyed invertible mix of the 122 bits (XOR, then three rounds of "multiply by
               an odd constant modulo 2**122, xor-shift by 61"), laid out as a version-4 UUID and
               written in upper case as in the TimbreFiscalDigital

``find`` inverts the mix, checks the checksum, regenerates the document at that position and
compares UUIDs, so it answers for any UUID this universe (same seed) can produce, in any process.
UUIDs from another seed, or random ones, fail the checksum (1 in 32,768 pass it and are then
rejected by the comparison). The owner RFC is written base 39 over ``0-9 A-Z & Ñ``, at most 13
characters.

Costs: ``count`` is O(days) when the query filters only on period, EstadoComprobante,
TipoComprobante and Complemento (category counts are drawn per day; only the first and last day,
when partial, draw their times). ``counterparts`` or ``rfc_a_cuenta_terceros`` filters make it
generate every document of the period, about 10 µs each.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import math
import random
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

SERVICES = ("cfdi", "retenciones")
DIRECTIONS = ("emitidos", "recibidos", "folio")
ESTADOS = ("Todos", "Cancelado", "Vigente")
GENERIC_RFC = "XAXX010101000"
PACS = ("SAT970701NN3", "PCF101112AB1", "TFE090811QW2", "CDE120405HJ3", "SPR080229TT4")

METADATA_COLUMNS_CFDI = (
    "Uuid",
    "RfcEmisor",
    "NombreEmisor",
    "RfcReceptor",
    "NombreReceptor",
    "RfcPac",
    "FechaEmision",
    "FechaCertificacionSat",
    "Monto",
    "EfectoComprobante",
    "Estatus",
    "FechaCancelacion",
)
#: Invented: SAT does not publish the Retenciones metadata layout.
METADATA_COLUMNS_RETENCIONES = (
    "Uuid",
    "RfcEmisor",
    "NombreEmisor",
    "RfcReceptor",
    "NombreReceptor",
    "RfcPac",
    "FechaEmision",
    "FechaCertificacionSat",
    "MontoTotOperacion",
    "MontoTotGravado",
    "MontoTotExento",
    "MontoTotRetenido",
    "Estatus",
    "FechaCancelacion",
)

_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_EPOCH = date(2000, 1, 1).toordinal()
_MAX_DAY = (1 << 16) - 1
_MAX_INDEX = (1 << 20) - 1
_RFC_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ"
_RFC_CODE = {ch: i + 1 for i, ch in enumerate(_RFC_ALPHABET)}
_MASK122 = (1 << 122) - 1
_MASK62 = (1 << 62) - 1

# Category weights per day: CFDI by TipoDeComprobante, Retenciones by complement ("" = none).
_CFDI_KINDS = (("I", 0.72), ("E", 0.08), ("P", 0.10), ("N", 0.07), ("T", 0.03))
_RET_KINDS = (("", 0.6), ("dividendos", 0.2), ("intereses", 0.2))
_CANCEL_RATE = 0.07
_CFDI_COMPLEMENTS = {"P": ("pagos20",), "N": ("nomina12",)}


@dataclass(frozen=True)
class Query:
    """What a Solicitud asks for, already validated by the SOAP layer."""

    service: str
    direction: str
    rfc: str
    start: datetime
    end: datetime
    tipo_comprobante: str | None = None
    estado_comprobante: str | None = None
    counterparts: tuple[str, ...] = ()
    complemento: str | None = None
    rfc_a_cuenta_terceros: str | None = None
    folio: str | None = None

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}")
        if self.estado_comprobante not in (None, *ESTADOS):
            raise ValueError(f"unknown EstadoComprobante {self.estado_comprobante!r}")


@dataclass(frozen=True, slots=True)
class Document:
    """One CFDI or Retenciones document as SAT's database would hold it.

    For Retenciones ``tipo_comprobante`` is ``""``, ``total`` is MontoTotOperacion, ``subtotal``
    is MontoTotGrav and ``monto_retenido`` is MontoTotRet.
    """

    uuid: str
    service: str
    rfc_emisor: str
    nombre_emisor: str
    rfc_receptor: str
    nombre_receptor: str
    rfc_pac: str
    fecha_emision: datetime
    fecha_certificacion: datetime
    subtotal: Decimal
    total: Decimal
    moneda: str
    tipo_comprobante: str
    estatus: str
    fecha_cancelacion: datetime | None
    complementos: tuple[str, ...] = ()
    tercero: tuple[str, str] | None = None
    monto_retenido: Decimal | None = None

    def xml(self, padding: int = 0) -> bytes:
        """The signed-looking XML, with an Addenda of about ``padding`` bytes when asked."""
        if self.service == "cfdi":
            return cfdi_xml(self, padding).encode()
        return retenciones_xml(self, padding).encode()

    def metadata_row(self, service: str | None = None) -> list[str]:
        """The metadata values, in the order of the service's metadata columns."""
        if service is not None and service != self.service:
            raise ValueError(f"a {self.service} document has no {service} metadata row")
        cancelled = "" if self.fecha_cancelacion is None else _dt(self.fecha_cancelacion)
        head = [
            self.uuid,
            self.rfc_emisor,
            self.nombre_emisor,
            self.rfc_receptor,
            self.nombre_receptor,
            self.rfc_pac,
            _dt(self.fecha_emision),
            _dt(self.fecha_certificacion),
        ]
        if self.service == "cfdi":
            return [*head, f"{self.total:.2f}", self.tipo_comprobante, self.estatus, cancelled]
        retenido = self.monto_retenido or _ZERO
        exento = self.total - self.subtotal
        return [
            *head,
            f"{self.total:.2f}",
            f"{self.subtotal:.2f}",
            f"{exento:.2f}",
            f"{retenido:.2f}",
            self.estatus,
            cancelled,
        ]


class Taxpayer(NamedTuple):
    """A synthetic taxpayer: RFC and name (which may carry SAT's quirks)."""

    rfc: str
    name: str


class _Head(NamedTuple):
    size: int
    categories: tuple[tuple[str, str, int], ...]  # (kind, estatus, how many)


class _Body(NamedTuple):
    seconds: list[int]  # sorted seconds after midnight, one per document
    labels: bytes  # index into the day's categories, one per document


def _dt(value: datetime) -> str:
    return value.isoformat(" ", "seconds")


def _stream(*parts: object) -> random.Random:
    text = "\x1f".join(str(part) for part in parts).encode()
    return random.Random(int.from_bytes(hashlib.sha256(text).digest()[:16], "big"))


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


def _taxpayer(rng: random.Random, index: int) -> Taxpayer:
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
    rng = _stream("pool", seed)
    seen: set[str] = {GENERIC_RFC}
    pool: list[Taxpayer] = []
    index = 0
    while len(pool) < size:
        taxpayer = _taxpayer(rng, index)
        if taxpayer.rfc not in seen:
            seen.add(taxpayer.rfc)
            pool.append(taxpayer)
            index += 1
    return tuple(pool)


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


def _amount(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(f"{math.exp(rng.uniform(math.log(low), math.log(high))):.2f}")


class Universe:
    """All the documents every RFC ever issued or received, drawn on demand.

    ``padding`` is not applied here: it is what the server passes to ``write_cfdi_package``.
    """

    def __init__(
        self,
        seed: int = 0,
        documents_per_day: float = 20.0,
        padding: int = 0,
        taxpayers: int = 500,
    ) -> None:
        if not 0 <= documents_per_day <= _MAX_INDEX // 2:
            raise ValueError(f"documents_per_day must be within 0..{_MAX_INDEX // 2}")
        if taxpayers < 10:
            raise ValueError("taxpayers must be at least 10")
        if padding < 0:
            raise ValueError("padding must not be negative")
        self.seed = seed
        self.documents_per_day = documents_per_day
        self.padding = padding
        self.pool = make_pool(seed, taxpayers)
        self._morales = tuple(t for t in self.pool if len(t.rfc) == 12)
        self._fisicas = tuple(t for t in self.pool if len(t.rfc) == 13)
        key = hashlib.sha256(f"fake-sat-universe\x1f{seed}".encode()).digest()
        self._hasher = hashlib.sha256(key + b"checksum")
        draws = [hashlib.sha256(key + bytes((n,))).digest()[:16] for n in range(4)]
        self._whitening = int.from_bytes(draws[0], "big") & _MASK122
        self._factors = tuple(int.from_bytes(d, "big") & _MASK122 | 1 for d in draws[1:])
        self._inverses = tuple(pow(factor, -1, 1 << 122) for factor in self._factors)
        self._bodies: OrderedDict[tuple[str, str, str, int], _Body] = OrderedDict()
        self._names: dict[str, str] = {}
        self._prefix: tuple[tuple[str, str, str, int], hashlib._Hash] = (
            ("", "", "", 0),
            hashlib.sha256(),
        )
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------------

    def documents(self, query: Query) -> Iterator[Document]:
        """The query's documents, lazily, ordered by ``fecha_emision``."""
        if query.direction == "folio":
            found = self.find(query.folio or "")
            if found is not None and _folio_matches(found, query):
                yield found
            return
        owner = query.rfc.upper()
        direction = query.direction
        for ordinal in self._ordinals(query):
            head = self._head(query.service, owner, direction, ordinal)
            if head.size == 0:
                continue
            wanted = [_category_matches(query, kind, st) for kind, st, _ in head.categories]
            if not any(wanted):
                continue
            body = self._body(query.service, owner, direction, ordinal, head)
            low, high = _window(query, ordinal, body.seconds)
            for index in range(low, high):
                label = body.labels[index]
                if not wanted[label]:
                    continue
                kind, estatus, _ = head.categories[label]
                second = body.seconds[index]
                doc = self._document(
                    query.service, owner, direction, ordinal, index, second, kind, estatus
                )
                if _document_matches(doc, query):
                    yield doc

    def count(self, query: Query) -> int:
        """How many documents ``documents(query)`` yields, exactly (see the module docstring)."""
        if query.direction == "folio" or query.counterparts or query.rfc_a_cuenta_terceros:
            return sum(1 for _ in self.documents(query))
        owner = query.rfc.upper()
        total = 0
        for ordinal in self._ordinals(query):
            head = self._head(query.service, owner, query.direction, ordinal)
            if head.size == 0:
                continue
            wanted = [_category_matches(query, kind, st) for kind, st, _ in head.categories]
            day = datetime.fromordinal(ordinal)
            if query.start <= day and day + timedelta(seconds=86399) <= query.end:
                total += sum(n for (_, _, n), ok in zip(head.categories, wanted, strict=True) if ok)
                continue
            body = self._body(query.service, owner, query.direction, ordinal, head)
            low, high = _window(query, ordinal, body.seconds)
            total += sum(1 for label in body.labels[low:high] if wanted[label])
        return total

    def find(self, uuid: str) -> Document | None:
        """The document this universe gave ``uuid`` to, or ``None``."""
        position = self._decode_uuid(uuid)
        if position is None:
            return None
        service, direction, owner, ordinal, index = position
        head = self._head(service, owner, direction, ordinal)
        if index >= head.size:
            return None
        body = self._body(service, owner, direction, ordinal, head)
        kind, estatus, _ = head.categories[body.labels[index]]
        second = body.seconds[index]
        doc = self._document(service, owner, direction, ordinal, index, second, kind, estatus)
        return doc if doc.uuid == uuid.strip().upper() else None

    def name_of(self, rfc: str) -> str:
        """The name the universe gives ``rfc`` (pool taxpayers keep theirs)."""
        rfc = rfc.upper()
        if rfc == GENERIC_RFC:
            return "PUBLICO EN GENERAL"
        name = self._names.get(rfc)  # dict reads and writes are atomic: no lock needed
        if name is None:
            known = {t.rfc: t.name for t in self.pool}
            rng = _stream(self.seed, "owner", rfc)
            name = known.get(rfc) or _taxpayer(rng, 1 if len(rfc) == 13 else 0).name
            self._names[rfc] = name
        return name

    # -- days -----------------------------------------------------------------------------------

    def _ordinals(self, query: Query) -> range:
        first = max(query.start.date().toordinal(), _EPOCH)
        last = min(query.end.date().toordinal(), _EPOCH + _MAX_DAY)
        return range(first, last + 1)

    def _head(self, service: str, owner: str, direction: str, ordinal: int) -> _Head:
        rng = _stream(self.seed, service, owner, direction, ordinal, "head")
        count = int(2 * self.documents_per_day * rng.random() + rng.random())
        kinds = _CFDI_KINDS if service == "cfdi" else _RET_KINDS
        categories: list[tuple[str, str, int]] = []
        left = count
        for position, (kind, weight) in enumerate(kinds):
            size = (
                left
                if position == len(kinds) - 1
                else min(left, int(count * weight + rng.random()))
            )
            left -= size
            cancelled = min(size, int(size * _CANCEL_RATE + rng.random()))
            categories += [(kind, "1", size - cancelled), (kind, "0", cancelled)]
        return _Head(count, tuple(categories))

    def _body(self, service: str, owner: str, direction: str, ordinal: int, head: _Head) -> _Body:
        key = (service, owner, direction, ordinal)
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                return body
        rng = _stream(self.seed, service, owner, direction, ordinal, "body")
        seconds = sorted(rng.choices(range(86400), k=head.size))
        labels = bytearray()
        for label, (_, _, size) in enumerate(head.categories):
            labels += bytes((label,)) * size
        rng.shuffle(labels)
        body = _Body(seconds, bytes(labels))
        with self._lock:
            self._bodies[key] = body
            while len(self._bodies) > 16:
                self._bodies.popitem(last=False)
        return body

    # -- documents ------------------------------------------------------------------------------

    def _pick(self, choices: tuple[Taxpayer, ...], rng: random.Random, avoid: str) -> Taxpayer:
        taxpayer = choices[rng.randrange(len(choices))]
        return (
            choices[(choices.index(taxpayer) + 1) % len(choices)]
            if taxpayer.rfc == avoid
            else taxpayer
        )

    def _document(
        self,
        service: str,
        owner: str,
        direction: str,
        ordinal: int,
        index: int,
        second: int,
        kind: str,
        estatus: str,
    ) -> Document:
        day = (service, owner, direction, ordinal)
        cached = self._prefix  # one tuple, read and replaced atomically: safe across threads
        if cached[0] != day:
            prefix = "\x1f".join(str(part) for part in (self.seed, *day, ""))
            cached = self._prefix = (day, hashlib.sha256(prefix.encode()))
        hasher = cached[1].copy()  # the same stream as _stream(seed, *day, index), only faster
        hasher.update(str(index).encode())
        rng = random.Random(int.from_bytes(hasher.digest()[:16], "big"))
        issued = datetime.fromordinal(ordinal) + timedelta(seconds=second)
        emitidos = direction == "emitidos"
        pool = self.pool
        if kind == "N":
            pool = self._fisicas if emitidos else self._morales
        other = self._pick(pool, rng, owner)
        if emitidos and kind == "I" and rng.random() < 0.04:
            other = Taxpayer(GENERIC_RFC, "PUBLICO EN GENERAL")
        mine = Taxpayer(owner, self.name_of(owner))
        emisor, receptor = (mine, other) if emitidos else (other, mine)
        tercero: tuple[str, str] | None = None
        retenido: Decimal | None = None
        moneda = "MXN"
        if service == "retenciones":
            total = _amount(rng, 500, 2_000_000)
            subtotal = (total * Decimal(rng.choice((1, 1, 0.8, 0.5)))).quantize(_CENT)
            retenido = (subtotal * Decimal(rng.choice(("0.10", "0.20", "0.25")))).quantize(_CENT)
            tipo, complementos = "", ((kind,) if kind else ())
        elif kind in ("I", "E"):
            subtotal = _amount(rng, 50, 250_000)
            total = subtotal + (subtotal * Decimal("0.16")).quantize(_CENT)
            moneda = "USD" if rng.random() < 0.03 else "MXN"
            tipo, complementos = kind, ()
            if rng.random() < 0.04:
                third = self._pick(self._morales, rng, emisor.rfc)
                tercero = (third.rfc, third.name)
        elif kind == "N":
            subtotal = _amount(rng, 3_000, 80_000)
            total = subtotal - (subtotal * Decimal(f"{rng.uniform(0.05, 0.3):.2f}")).quantize(_CENT)
            tipo, complementos = kind, _CFDI_COMPLEMENTS["N"]
        else:
            subtotal = total = Decimal("0")
            moneda, tipo, complementos = "XXX", kind, _CFDI_COMPLEMENTS.get(kind, ())
        certified = issued + timedelta(seconds=rng.randrange(2, 4 * 3600))
        cancelled = None
        if estatus == "0":
            cancelled = certified + timedelta(days=rng.randrange(45), seconds=rng.randrange(86400))
        return Document(
            uuid=self._encode_uuid(service, direction, owner, ordinal, index),
            service=service,
            rfc_emisor=emisor.rfc,
            nombre_emisor=emisor.name,
            rfc_receptor=receptor.rfc,
            nombre_receptor=receptor.name,
            rfc_pac=PACS[rng.randrange(len(PACS))],
            fecha_emision=issued,
            fecha_certificacion=certified,
            subtotal=subtotal,
            total=total,
            moneda=moneda,
            tipo_comprobante=tipo,
            estatus=estatus,
            fecha_cancelacion=cancelled,
            complementos=complementos,
            tercero=tercero,
            monto_retenido=retenido,
        )

    # -- UUIDs ----------------------------------------------------------------------------------

    def _checksum(self, payload: int) -> int:
        hasher = self._hasher.copy()
        hasher.update(payload.to_bytes(14, "big"))
        return int.from_bytes(hasher.digest()[:2], "big") & 0x7FFF

    def _encode_uuid(
        self, service: str, direction: str, owner: str, ordinal: int, index: int
    ) -> str:
        payload = SERVICES.index(service)
        payload = payload << 1 | DIRECTIONS.index(direction)
        payload = payload << 16 | (ordinal - _EPOCH)
        payload = (payload << 20 | index) << 69 | _encode_owner(owner)
        mixed = (payload << 15 | self._checksum(payload)) ^ self._whitening
        for factor in self._factors:
            mixed = (mixed * factor) & _MASK122
            mixed ^= mixed >> 61
        value = (mixed >> 74) << 80 | 4 << 76 | ((mixed >> 62) & 0xFFF) << 64 | 2 << 62
        text = f"{value | (mixed & _MASK62):032X}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def _decode_uuid(self, uuid: str) -> tuple[str, str, str, int, int] | None:
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
        index = (payload >> 69) & _MAX_INDEX
        day = (payload >> 89) & _MAX_DAY
        direction, service = (payload >> 105) & 1, payload >> 106
        if owner is None or service > 1:
            return None
        return SERVICES[service], DIRECTIONS[direction], owner, _EPOCH + day, index


def _window(query: Query, ordinal: int, seconds: list[int]) -> tuple[int, int]:
    """The slice of a day's (sorted) documents inside the query's period."""
    day = datetime.fromordinal(ordinal)
    low, high = 0, len(seconds)
    if query.start > day:
        delta = query.start - day
        bound = delta.days * 86400 + delta.seconds + (1 if delta.microseconds else 0)
        low = bisect.bisect_left(seconds, bound)
    if query.end < day + timedelta(days=1):
        delta = query.end - day
        high = bisect.bisect_right(seconds, delta.days * 86400 + delta.seconds)
    return low, max(low, high)


def _category_matches(query: Query, kind: str, estatus: str) -> bool:
    estado = query.estado_comprobante or "Vigente"
    if estado != "Todos" and estatus != ("1" if estado == "Vigente" else "0"):
        return False
    if query.service == "cfdi":
        if query.tipo_comprobante and kind != query.tipo_comprobante.upper():
            return False
        complementos = _CFDI_COMPLEMENTS.get(kind, ())
    else:
        complementos = (kind,) if kind else ()
    return not query.complemento or query.complemento.lower() in complementos


def _document_matches(doc: Document, query: Query) -> bool:
    if query.counterparts:
        other = doc.rfc_receptor if query.direction == "emitidos" else doc.rfc_emisor
        if other not in {rfc.upper() for rfc in query.counterparts}:
            return False
    if query.rfc_a_cuenta_terceros:
        return doc.tercero is not None and doc.tercero[0] == query.rfc_a_cuenta_terceros.upper()
    return True


def _folio_matches(doc: Document, query: Query) -> bool:
    rfc = query.rfc.upper()
    return doc.service == query.service and rfc in (doc.rfc_emisor, doc.rfc_receptor)


def hash_code(text: str) -> int:
    """A stable small number derived from ``text`` (postal codes, folios)."""
    return zlib.crc32(text.encode())


def seal(uuid: str, label: str, size: int) -> str:
    """A deterministic base64 string that looks like a seal or a certificate."""
    return base64.b64encode(hashlib.shake_256(f"{uuid}{label}".encode()).digest(size)).decode()


@functools.lru_cache(maxsize=8192)
def _certificate(rfc: str) -> str:
    return seal(rfc, "cer", 96)


# -- XML rendering (string templates: fast enough for 200,000 documents) ---------------------------

_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
_TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
_TFD_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
_CFDI_XSD = "http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"
_PAGOS_NS = "http://www.sat.gob.mx/Pagos20"
_PAGOS_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd"
_NOMINA_NS = "http://www.sat.gob.mx/nomina12"
_NOMINA_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/nomina/nomina12.xsd"
_RET_NS = "http://www.sat.gob.mx/esquemas/retencionpago/2"
_RET_XSD = f"{_RET_NS} http://www.sat.gob.mx/esquemas/retencionpago/2/retencionpagov2.xsd"
_RET_COMPLEMENTS = {
    "dividendos": "http://www.sat.gob.mx/esquemas/retencionpago/1/dividendos",
    "intereses": "http://www.sat.gob.mx/esquemas/retencionpago/1/intereses",
}
_DESCRIPTIONS = (
    "Servicios de consultoría",
    "Mantenimiento de equipo de cómputo",
    'Renta de oficina "Torre Reforma"',
    "Papelería & artículos de oficina",
    "Diseño de señalización <interior>",
    "Transporte de mercancía",
    "Licencia de software anual",
    "Capacitación en línea",
)


@functools.lru_cache(maxsize=8192)
def _x(text: str) -> str:
    """Escape for an XML attribute value (LF and CR as character references, so they survive)."""
    return text.translate(_ESCAPES)


def _iso(value: datetime) -> str:
    return value.isoformat("T", "seconds")


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


@functools.lru_cache(maxsize=8192)
def _postal_code(rfc: str) -> str:
    return f"{hash_code(rfc) % 90000 + 10000:05d}"


@functools.lru_cache(maxsize=8192)
def _certificate_number(rfc: str) -> str:
    return f"{30001000000400000000 + hash_code(rfc) % 100000:020d}"


@functools.lru_cache(maxsize=8192)
def _regimen(rfc: str) -> str:
    return "601" if len(rfc) == 12 else "612"


def _random_uuid(rng: random.Random) -> str:
    value = rng.getrandbits(128) & ~(0xF << 76 | 3 << 62) | 4 << 76 | 2 << 62
    text = f"{value:032X}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _split(cents: int, parts: int, rng: random.Random) -> list[int]:
    if parts <= 1 or cents < parts:
        return [cents]
    cuts = sorted(rng.sample(range(1, cents), parts - 1))
    return [end - begin for begin, end in zip([0, *cuts], [*cuts, cents], strict=True)]


def _addenda(prefix: str, padding: int) -> str:
    if padding <= 0:
        return ""
    opening = f'<{prefix}:Addenda><relleno xmlns="urn:sat-zeep:fake-sat:relleno">'
    closing = f"</relleno></{prefix}:Addenda>"
    return opening + "x" * max(0, padding - len(opening) - len(closing)) + closing


def _tfd(doc: Document, sello: str) -> str:
    return (
        f'<tfd:TimbreFiscalDigital xmlns:tfd="{_TFD_NS}" xsi:schemaLocation="{_TFD_NS} {_TFD_XSD}"'
        f' Version="1.1" UUID="{doc.uuid}" FechaTimbrado="{_iso(doc.fecha_certificacion)}"'
        f' RfcProvCertif="{_x(doc.rfc_pac)}" SelloCFD="{sello}"'
        f' NoCertificadoSAT="{30001000000500000000 + hash_code(doc.rfc_pac) % 10000:020d}"'
        f' SelloSAT="{seal(doc.uuid, "sat", 256)}"/>'
    )


def _traslado(base: int, iva: int) -> str:
    return (
        f'<cfdi:Traslado Base="{_cents(base)}" Impuesto="002" TipoFactor="Tasa"'
        f' TasaOCuota="0.160000" Importe="{_cents(iva)}"/>'
    )


def _concepto(clave: str, unidad: str, text: str, importe: int, extra: str, inner: str) -> str:
    objeto = "02" if inner else "01"
    return (
        f'<cfdi:Concepto ClaveProdServ="{clave}" Cantidad="1" ClaveUnidad="{unidad}"'
        f' Descripcion="{_x(text)}" ValorUnitario="{_cents(importe)}" Importe="{_cents(importe)}"'
        f'{extra} ObjetoImp="{objeto}">{inner}</cfdi:Concepto>'
    )


def _invoice_body(doc: Document, rng: random.Random) -> tuple[str, str]:
    """Conceptos and Impuestos of an Ingreso or Egreso: importes add up to SubTotal and Total."""
    subtotal, iva = int(doc.subtotal * 100), int((doc.total - doc.subtotal) * 100)
    parts = _split(subtotal, 1 + rng.randrange(3), rng)
    taxes = [(part * 16 + 50) // 100 for part in parts]
    taxes[parts.index(max(parts))] += iva - sum(taxes)
    conceptos: list[str] = []
    for position, (part, tax) in enumerate(zip(parts, taxes, strict=True)):
        traslados = f"<cfdi:Traslados>{_traslado(part, tax)}</cfdi:Traslados>"
        inner = f"<cfdi:Impuestos>{traslados}</cfdi:Impuestos>"
        if position == 0 and doc.tercero is not None:
            rfc, name = doc.tercero
            inner += (
                f'<cfdi:ACuentaTerceros RfcACuentaTerceros="{_x(rfc)}"'
                f' NombreACuentaTerceros="{_x(name)}"'
                f' RegimenFiscalACuentaTerceros="{_regimen(rfc)}"'
                f' DomicilioFiscalACuentaTerceros="{_postal_code(rfc)}"/>'
            )
        text = _DESCRIPTIONS[rng.randrange(len(_DESCRIPTIONS))]
        conceptos.append(_concepto("81111500", "E48", text, part, "", inner))
    impuestos = (
        f'<cfdi:Impuestos TotalImpuestosTrasladados="{_cents(iva)}"><cfdi:Traslados>'
        f"{_traslado(subtotal, iva)}</cfdi:Traslados></cfdi:Impuestos>"
    )
    return "".join(conceptos), impuestos


def _pagos(doc: Document, rng: random.Random) -> str:
    monto = _cents(int(_amount(rng, 100, 500_000) * 100))
    paid = doc.fecha_emision.date() - timedelta(days=rng.randrange(0, 5))
    return (
        f'<pago20:Pagos xmlns:pago20="{_PAGOS_NS}" Version="2.0">'
        f'<pago20:Totales MontoTotalPagos="{monto}"/>'
        f'<pago20:Pago FechaPago="{paid:%Y-%m-%d}T12:00:00" FormaDePagoP="03" MonedaP="MXN"'
        f' TipoCambioP="1" Monto="{monto}"><pago20:DoctoRelacionado'
        f' IdDocumento="{_random_uuid(rng)}" MonedaDR="MXN" EquivalenciaDR="1" NumParcialidad="1"'
        f' ImpSaldoAnt="{monto}" ImpPagado="{monto}" ImpSaldoInsoluto="0.00" ObjetoImpDR="01"/>'
        "</pago20:Pago></pago20:Pagos>"
    )


def _nomina(doc: Document, percepciones: str, deducciones: str) -> str:
    paid = doc.fecha_emision.date()
    curp = f"{doc.rfc_receptor[:10]}HDFRNS09"
    return (
        f'<nomina12:Nomina xmlns:nomina12="{_NOMINA_NS}" Version="1.2" TipoNomina="O"'
        f' FechaPago="{paid}" FechaInicialPago="{paid - timedelta(days=14)}"'
        f' FechaFinalPago="{paid}" NumDiasPagados="15" TotalPercepciones="{percepciones}"'
        f' TotalDeducciones="{deducciones}"><nomina12:Emisor RegistroPatronal="Y5512345109"/>'
        f'<nomina12:Receptor Curp="{_x(curp)}" TipoContrato="01" TipoRegimen="02"'
        f' NumEmpleado="{hash_code(doc.rfc_receptor) % 100000}" PeriodicidadPago="04"'
        ' ClaveEntFed="CMX"/>'
        f'<nomina12:Percepciones TotalSueldos="{percepciones}" TotalGravado="{percepciones}"'
        ' TotalExento="0.00"><nomina12:Percepcion TipoPercepcion="001" Clave="001"'
        f' Concepto="Sueldo" ImporteGravado="{percepciones}" ImporteExento="0.00"/>'
        f'</nomina12:Percepciones><nomina12:Deducciones TotalImpuestosRetenidos="{deducciones}">'
        '<nomina12:Deduccion TipoDeduccion="002" Clave="002" Concepto="ISR"'
        f' Importe="{deducciones}"/></nomina12:Deducciones></nomina12:Nomina>'
    )


def cfdi_xml(doc: Document, padding: int = 0) -> str:
    """A CFDI 4.0 document with its TimbreFiscalDigital (and Pagos 2.0 or Nómina 1.2)."""
    rng = _stream("xml", doc.uuid)
    tipo, sello = doc.tipo_comprobante, seal(doc.uuid, "cfd", 256)
    lugar = _postal_code(doc.rfc_emisor)
    generic = doc.rfc_receptor == GENERIC_RFC
    regimen_r, uso = (
        _regimen(doc.rfc_receptor),
        {"P": "CP01", "T": "S01", "E": "G02"}.get(tipo, "G03"),
    )
    if generic:
        regimen_r, uso = "616", "S01"
    elif tipo == "N":
        regimen_r, uso = "605", "CN01"
    namespaces, schemas, complement, related, money = "", _CFDI_XSD, "", "", ""
    if tipo in ("I", "E"):
        conceptos, impuestos = _invoice_body(doc, rng)
        ppd = tipo == "I" and rng.random() < 0.3
        money = f' FormaPago="{"99" if ppd else "03"}"'
        if tipo == "E" and rng.random() < 0.8:
            related = (
                '<cfdi:CfdiRelacionados TipoRelacion="01">'
                f'<cfdi:CfdiRelacionado UUID="{_random_uuid(rng)}"/></cfdi:CfdiRelacionados>'
            )
        tail = f' MetodoPago="{"PPD" if ppd else "PUE"}"'
        if doc.moneda != "MXN":
            money += f' TipoCambio="{rng.uniform(16.5, 20.5):.4f}"'
    elif tipo == "N":
        percepciones, deducciones = f"{doc.subtotal:.2f}", f"{doc.subtotal - doc.total:.2f}"
        cents = int(doc.subtotal * 100)
        extra = f' Descuento="{deducciones}"'
        conceptos = _concepto("84111505", "ACT", "Pago de nómina", cents, extra, "")
        impuestos, tail, money = "", ' MetodoPago="PUE"', ' FormaPago="99"'
        namespaces = f' xmlns:nomina12="{_NOMINA_NS}"'
        schemas += f" {_NOMINA_NS} {_NOMINA_XSD}"
        complement = _nomina(doc, percepciones, deducciones)
    else:
        text = "Pago" if tipo == "P" else "Traslado de mercancía"
        conceptos = _concepto("84111506" if tipo == "P" else "78101800", "ACT", text, 0, "", "")
        impuestos, tail = "", ""
        if tipo == "P":
            namespaces = f' xmlns:pago20="{_PAGOS_NS}"'
            schemas += f" {_PAGOS_NS} {_PAGOS_XSD}"
            complement = _pagos(doc, rng)
    descuento = f' Descuento="{doc.subtotal - doc.total:.2f}"' if tipo == "N" else ""
    amounts = (
        ' SubTotal="0" ' if tipo in ("P", "T") else f' SubTotal="{doc.subtotal:.2f}"{descuento} '
    )
    total = "0" if tipo in ("P", "T") else f"{doc.total:.2f}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" {_XSI}{namespaces}'
        f' xsi:schemaLocation="{schemas}" Version="4.0" Serie="{tipo}"'
        f' Folio="{hash_code(doc.uuid) % 1000000}" Fecha="{_iso(doc.fecha_emision)}"'
        f' Sello="{sello}"{money} NoCertificado="{_certificate_number(doc.rfc_emisor)}"'
        f' Certificado="{_certificate(doc.rfc_emisor)}"{amounts}Moneda="{doc.moneda}"'
        f' Total="{total}" TipoDeComprobante="{tipo}" Exportacion="01"{tail}'
        f' LugarExpedicion="{lugar}">{related}'
        f'<cfdi:Emisor Rfc="{_x(doc.rfc_emisor)}" Nombre="{_x(doc.nombre_emisor)}"'
        f' RegimenFiscal="{_regimen(doc.rfc_emisor)}"/>'
        f'<cfdi:Receptor Rfc="{_x(doc.rfc_receptor)}" Nombre="{_x(doc.nombre_receptor)}"'
        f' DomicilioFiscalReceptor="{lugar if generic else _postal_code(doc.rfc_receptor)}"'
        f' RegimenFiscalReceptor="{regimen_r}" UsoCFDI="{uso}"/>'
        f"<cfdi:Conceptos>{conceptos}</cfdi:Conceptos>{impuestos}"
        f"<cfdi:Complemento>{complement}{_tfd(doc, sello)}</cfdi:Complemento>"
        f"{_addenda('cfdi', padding)}</cfdi:Comprobante>\n"
    )


def retenciones_xml(doc: Document, padding: int = 0) -> str:
    """A Retenciones 2.0 document with its TimbreFiscalDigital (and Dividendos or Intereses)."""
    kind = doc.complementos[0] if doc.complementos else ""
    sello = seal(doc.uuid, "ret", 256)
    retenido = doc.monto_retenido or _ZERO
    namespaces, schemas, complement = "", _RET_XSD, ""
    clave = {"dividendos": "14", "intereses": "16"}.get(kind, "25")
    description = ' DescRetenc="Otras retenciones"' if clave == "25" else ""
    if kind == "dividendos":
        complement = (
            '<dividendos:Dividendos Version="1.0"><dividendos:DividOUtil CveTipDivOUtil="01"'
            f' MontISRAcredRetMexico="{retenido:.2f}" MontISRAcredRetExtranjero="0.00"'
            ' TipoSocDistrDiv="Sociedad Nacional"/></dividendos:Dividendos>'
        )
    elif kind == "intereses":
        complement = (
            '<intereses:Intereses Version="1.0" SistFinanciero="SI" RetiroAORESRetInt="NO"'
            f' OperFinancDerivad="NO" MontIntNominal="{doc.total:.2f}"'
            f' MontIntReal="{doc.subtotal:.2f}" Perdida="0.00"/>'
        )
    if kind in _RET_COMPLEMENTS:
        namespaces = f' xmlns:{kind}="{_RET_COMPLEMENTS[kind]}"'
        schemas += f" {_RET_COMPLEMENTS[kind]} {_RET_COMPLEMENTS[kind]}/{kind}.xsd"
    issued = doc.fecha_emision
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<retenciones:Retenciones xmlns:retenciones="{_RET_NS}" {_XSI}{namespaces}'
        f' xsi:schemaLocation="{schemas}" Version="2.0" FolioInt="{hash_code(doc.uuid) % 1000000}"'
        f' Sello="{sello}" NoCertificado="{_certificate_number(doc.rfc_emisor)}"'
        f' Certificado="{_certificate(doc.rfc_emisor)}" FechaExp="{_iso(issued)}"'
        f' LugarExpRetenc="{_postal_code(doc.rfc_emisor)}" CveRetenc="{clave}"{description}>'
        f'<retenciones:Emisor RfcE="{_x(doc.rfc_emisor)}" NomDenRazSocE="{_x(doc.nombre_emisor)}"'
        f' RegimenFiscalE="{_regimen(doc.rfc_emisor)}"/>'
        '<retenciones:Receptor NacionalidadR="Nacional">'
        f'<retenciones:Nacional RfcR="{_x(doc.rfc_receptor)}"'
        f' NomDenRazSocR="{_x(doc.nombre_receptor)}"'
        f' DomicilioFiscalR="{_postal_code(doc.rfc_receptor)}"/></retenciones:Receptor>'
        f'<retenciones:Periodo MesIni="{issued.month:02d}" MesFin="{issued.month:02d}"'
        f' Ejercicio="{issued.year}"/>'
        f'<retenciones:Totales MontoTotOperacion="{doc.total:.2f}"'
        f' MontoTotGrav="{doc.subtotal:.2f}" MontoTotExent="{doc.total - doc.subtotal:.2f}"'
        f' MontoTotRet="{retenido:.2f}"><retenciones:ImpRetenidos BaseRet="{doc.subtotal:.2f}"'
        f' ImpuestoRet="001" MontoRet="{retenido:.2f}" TipoPagoRet="01"/></retenciones:Totales>'
        f"<retenciones:Complemento>{complement}{_tfd(doc, sello)}</retenciones:Complemento>"
        f"{_addenda('retenciones', padding)}</retenciones:Retenciones>\n"
    )
