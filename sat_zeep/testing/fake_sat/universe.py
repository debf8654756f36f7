"""A deterministic synthetic universe of taxpayers and documents, standing in for SAT's data.

Any RFC can own documents. For each (seed, service, owner, direction, day) a ``random.Random``
seeded from a SHA-256 of those values draws how many documents exist that day and how many fall
in each category (TipoDeComprobante or Retenciones complement, times Vigente/Cancelado); a second
stream draws their emission times and shuffles the categories. Each document is then drawn from its
own stream keyed by its position. Nothing depends on a clock or on Python's ``hash()``.

A document's UUID encodes that position (``uuids``), so ``find`` needs no registry and works in any
process with the same seed: it decodes the UUID, regenerates the document at that position and
compares UUIDs, so it answers for any UUID this universe (same seed) can produce.

Costs: ``count`` is O(days) when the query filters only on period, EstadoComprobante,
TipoComprobante and Complemento (category counts are drawn per day; only the first and last day,
when partial, draw their times). ``counterparts`` or ``rfc_a_cuenta_terceros`` filters make it
generate every document of the period, about 10 µs each.

The pieces: ``documents`` (Query, Document, metadata rows), ``documents_xml`` (their XML),
``taxpayers`` (the counterpart pool and names), ``uuids`` (the UUID codec), ``streams`` (seeded
randomness). The data model names are re-exported here.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from .documents import (
    DIRECTIONS,
    ESTADOS,
    METADATA_COLUMNS_CFDI,
    METADATA_COLUMNS_RETENCIONES,
    SERVICES,
    Document,
    Query,
)
from .streams import amount, stream
from .taxpayers import GENERIC_RFC, Taxpayer, draw_taxpayer, make_pool, real_name
from .uuids import FIRST_DAY, LAST_DAY, MAX_INDEX, UuidCodec

__all__ = [
    "DIRECTIONS",
    "ESTADOS",
    "GENERIC_RFC",
    "METADATA_COLUMNS_CFDI",
    "METADATA_COLUMNS_RETENCIONES",
    "PACS",
    "SERVICES",
    "SHAPES",
    "Document",
    "Query",
    "Taxpayer",
    "Universe",
]

#: How documents are written: one template, or shaped like real ones (``documents_real``).
SHAPES = ("plain", "real")
PACS = ("SAT970701NN3", "PCF101112AB1", "TFE090811QW2", "CDE120405HJ3", "SPR080229TT4")

_CENT = Decimal("0.01")

# Category weights per day: CFDI by TipoDeComprobante, Retenciones by complement ("" = none).
_CFDI_KINDS = (("I", 0.72), ("E", 0.08), ("P", 0.10), ("N", 0.07), ("T", 0.03))
_RET_KINDS = (("", 0.6), ("dividendos", 0.2), ("intereses", 0.2))
_CANCEL_RATE = 0.07
_CFDI_COMPLEMENTS = {"P": ("pagos20",), "N": ("nomina12",)}


class _Head(NamedTuple):
    size: int
    categories: tuple[tuple[str, str, int], ...]  # (kind, estatus, how many)


class _Body(NamedTuple):
    seconds: list[int]  # sorted seconds after midnight, one per document
    labels: bytes  # index into the day's categories, one per document


class Universe:
    """All the documents every RFC ever issued or received, drawn on demand.

    ``padding`` is not applied here: it is what the server passes to ``write_cfdi_package``. It is
    incompressible (see ``documents_xml.addenda``), so padded packages are realistic in size.

    ``shape`` (``"plain"`` by default, or ``"real"``) is how documents are written (see
    ``Document``); ``"real"`` also gives taxpayers' names the forms real issuers write
    (``taxpayers.real_name``). The same seed gives the same documents, RFCs and UUIDs in both.

    ``status_by_clock`` (off by default): the server answers with ``documents_at(query, now)``,
    where a document whose ``fecha_cancelacion`` is still in the future is Vigente, so a document
    can be cancelled between two syncs (its metadata says Vigente, later Cancelado).
    """

    def __init__(
        self,
        seed: int = 0,
        documents_per_day: float = 20.0,
        padding: int = 0,
        taxpayers: int = 500,
        status_by_clock: bool = False,
        shape: str = "plain",
    ) -> None:
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
        if not 0 <= documents_per_day <= MAX_INDEX // 2:
            raise ValueError(f"documents_per_day must be within 0..{MAX_INDEX // 2}")
        if taxpayers < 10:
            raise ValueError("taxpayers must be at least 10")
        if padding < 0:
            raise ValueError("padding must not be negative")
        self.seed = seed
        self.documents_per_day = documents_per_day
        self.padding = padding
        self.status_by_clock = status_by_clock
        self.shape = shape
        self.pool = make_pool(seed, taxpayers)
        if shape == "real":
            self.pool = tuple(Taxpayer(t.rfc, real_name(t.name, t.rfc)) for t in self.pool)
        self._morales = tuple(t for t in self.pool if len(t.rfc) == 12)
        self._fisicas = tuple(t for t in self.pool if len(t.rfc) == 13)
        self._uuids = UuidCodec(seed)
        self._bodies: OrderedDict[tuple[str, str, str, int], _Body] = OrderedDict()
        self._names: dict[str, str] = {}
        self._prefix: tuple[tuple[str, str, str, int], hashlib._Hash] = (
            ("", "", "", 0),
            hashlib.sha256(),
        )
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------------

    def documents_at(self, query: Query, now: datetime) -> list[Document]:
        """The query's documents with their Estatus at ``now``: not cancelled yet is Vigente."""
        wanted = query.estado_comprobante or "Vigente"
        found = []
        for document in self.documents(replace(query, estado_comprobante="Todos")):
            cancelled = document.fecha_cancelacion
            if cancelled is not None and cancelled > now:
                document = replace(document, estatus="1", fecha_cancelacion=None)
            if wanted == "Todos" or document.estatus == ("1" if wanted == "Vigente" else "0"):
                found.append(document)
        return found

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
        position = self._uuids.decode(uuid)
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
            rng = stream(self.seed, "owner", rfc)
            name = known.get(rfc)
            if name is None:
                name = draw_taxpayer(rng, 1 if len(rfc) == 13 else 0).name
                if self.shape == "real":
                    name = real_name(name, rfc)
            self._names[rfc] = name
        return name

    # -- days -----------------------------------------------------------------------------------

    def _ordinals(self, query: Query) -> range:
        first = max(query.start.date().toordinal(), FIRST_DAY)
        last = min(query.end.date().toordinal(), LAST_DAY)
        return range(first, last + 1)

    def _head(self, service: str, owner: str, direction: str, ordinal: int) -> _Head:
        rng = stream(self.seed, service, owner, direction, ordinal, "head")
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
        rng = stream(self.seed, service, owner, direction, ordinal, "body")
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
        hasher = cached[1].copy()  # the same stream as stream(seed, *day, index), only faster
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
            total = amount(rng, 500, 2_000_000)
            subtotal = (total * Decimal(rng.choice((1, 1, 0.8, 0.5)))).quantize(_CENT)
            retenido = (subtotal * Decimal(rng.choice(("0.10", "0.20", "0.25")))).quantize(_CENT)
            tipo, complementos = "", ((kind,) if kind else ())
        elif kind in ("I", "E"):
            subtotal = amount(rng, 50, 250_000)
            total = subtotal + (subtotal * Decimal("0.16")).quantize(_CENT)
            moneda = "USD" if rng.random() < 0.03 else "MXN"
            tipo, complementos = kind, ()
            if rng.random() < 0.04:
                third = self._pick(self._morales, rng, emisor.rfc)
                tercero = (third.rfc, third.name)
        elif kind == "N":
            subtotal = amount(rng, 3_000, 80_000)
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
            uuid=self._uuids.encode(service, direction, owner, ordinal, index),
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
            shape=self.shape,
        )


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
