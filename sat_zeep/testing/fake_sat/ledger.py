"""The fake server's memory of requests and packages, and the rules SAT applies to them.

A request goes Aceptada (1) → En proceso (2) → Terminada (3) after a number of verifications or
seconds; it ends Rechazada (5) with 5004 when nothing matches or 5003 when too much does, and its
packages fall Vencida (6) 72 hours after they were made. SAT's limits are enforced here: two CFDI
requests per period (5002), no duplicate of an active request (5005), folio requests per day
(5011), two downloads per package (5008).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

from .ledger_store import LedgerStore, encode, query_from_json
from .package_writer import (
    package_id,
    split_into_packages,
    write_cfdi_package,
    write_metadata_package,
)
from .universe import Query, Universe

ACEPTADA, EN_PROCESO, TERMINADA, ERROR, RECHAZADA, VENCIDA = 1, 2, 3, 4, 5, 6
logger = logging.getLogger("sat_zeep.fake_sat")


@dataclass(frozen=True)
class LedgerConfig:
    """How the fake SAT behaves; every limit can be lowered to reach it in a test."""

    verifications_until_ready: int = 2
    seconds_until_ready: float | None = None
    max_xml_per_request: int = 200_000
    max_metadata_per_request: int = 1_000_000
    max_xml_per_package: int = 20_000
    max_metadata_per_package: int = 1_000_000
    cfdi_requests_per_period: int = 2
    folio_requests_per_day: int = 100
    downloads_per_package: int = 2
    package_lifetime: timedelta = timedelta(hours=72)
    #: How long a Verifica waits for packages being written before it answers En proceso.
    build_wait_seconds: float = 5.0


@dataclass
class RequestRecord:
    """One accepted Solicitud."""

    id_solicitud: str
    rfc_solicitante: str
    serial_number: int
    query: Query
    tipo_solicitud: str
    created: datetime
    verifications: int = 0
    estado: int = ACEPTADA
    codigo: int = 5000
    numero_cfdis: int = 0
    packages: tuple[str, ...] = ()
    finished: datetime | None = None

    @property
    def active(self) -> bool:
        return self.estado in (ACEPTADA, EN_PROCESO)


@dataclass
class PackageRecord:
    """One package file on disk."""

    id_paquete: str
    id_solicitud: str
    rfc_solicitante: str
    path: Path
    size: int
    created: datetime
    downloads: int = 0


@dataclass
class Outcome:
    """A business answer: ``code`` and ``message`` go into the response as they are."""

    code: int
    message: str
    record: RequestRecord | None = None
    package: PackageRecord | None = None


CounterName = Literal["calls", "rejections", "downloads"]
TotalName = Literal["tokens_issued", "requests_accepted"]


class Stats:
    """Counters the admin endpoint reports, updated by many request threads at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, Counter[str]] = {
            name: Counter() for name in get_args(CounterName)
        }
        self._totals = dict.fromkeys(get_args(TotalName), 0)

    def count(self, counter: CounterName, key: str) -> None:
        """One more ``key`` in ``counter`` (a SOAP action, a rejection code, a package id)."""
        with self._lock:
            self._counters[counter][key] += 1

    def bump(self, total: TotalName) -> None:
        with self._lock:
            self._totals[total] += 1

    def snapshot(self) -> dict[str, Any]:
        """``{"calls": {...}, "rejections": {...}, "downloads": {...}, "tokens_issued": n, …}``"""
        with self._lock:
            counters = {name: dict(counter) for name, counter in self._counters.items()}
            return {**counters, **self._totals}


class Ledger:
    """Requests and packages of one fake server, safe to use from many threads."""

    def __init__(
        self,
        universe: Universe,
        directory: Path,
        clock: Callable[[], datetime],
        config: LedgerConfig | None = None,
    ) -> None:
        self.universe = universe
        self.directory = directory
        self.clock = clock
        self.config = config or LedgerConfig()
        self.stats = Stats()
        self._requests: dict[str, RequestRecord] = {}
        self._packages: dict[str, PackageRecord] = {}
        self._periods: Counter[tuple[object, ...]] = Counter()
        self._folios: Counter[tuple[str, str]] = Counter()
        #: The active request of each exact parameter set, for the 5005 rule in O(1).
        self._active: dict[str, str] = {}
        self._lock = threading.RLock()
        self._building: set[str] = set()
        self.store = LedgerStore(directory)
        self._restore()

    def batch(self) -> Any:
        """One transaction for many changes (``with ledger.batch(): …``)."""
        return self.store.batch()

    # -- Solicitud ------------------------------------------------------------------------------

    def submit(
        self, *, rfc_solicitante: str, serial_number: int, query: Query, tipo_solicitud: str
    ) -> Outcome:
        """Accept a request, or refuse it with 5002, 5005, 5011 or 5012.

        Every call is counted by RFC, exact parameter set and answer (``submissions()``).
        """
        parameters = parameter_set(query, tipo_solicitud)
        with self._lock:
            outcome = self._submit(
                rfc_solicitante, serial_number, query, tipo_solicitud, parameters
            )
            self.store.count_submission(rfc_solicitante, parameters, outcome.code)
            return outcome

    def _submit(
        self,
        rfc_solicitante: str,
        serial_number: int,
        query: Query,
        tipo_solicitud: str,
        parameters: str,
    ) -> Outcome:
        now = self.clock()
        if query.direction == "folio":
            day_key = (rfc_solicitante, now.date().isoformat())
            if self._folios[day_key] >= self.config.folio_requests_per_day:
                return Outcome(5011, "Límite de descargas por folio por día")
            document = self.universe.find(query.folio or "")
            if document is not None and document.estatus == "0":
                return Outcome(
                    5012, "No se permite la descarga de xml que se encuentren cancelados"
                )
            self._folios[day_key] += 1
            self.store.put_counter("folio", list(day_key), self._folios[day_key])
        active = self._requests.get(self._active.get(parameters, ""))
        if active is not None and active.active:
            return Outcome(5005, "Solicitud duplicada")
        period = _period_key(query)
        is_xml = tipo_solicitud != "Metadata"
        if is_xml and query.direction != "folio":
            if self._periods[period] >= self.config.cfdi_requests_per_period:
                return Outcome(5002, "Se han agotado las solicitudes de por vida")
            self._periods[period] += 1
            self.store.put_counter("period", list(period), self._periods[period])
        record = RequestRecord(
            id_solicitud=str(uuid.uuid4()),
            rfc_solicitante=rfc_solicitante,
            serial_number=serial_number,
            query=query,
            tipo_solicitud=tipo_solicitud,
            created=now,
        )
        self._requests[record.id_solicitud] = record
        self._active[parameters] = record.id_solicitud
        self.stats.bump("requests_accepted")
        self._save_request(record)
        return Outcome(5000, "Solicitud Aceptada", record=record)

    def submissions(self) -> list[tuple[str, str, int, int]]:
        """(RFC, parameter set as JSON, CodEstatus, count) of every Solicitud ever received."""
        with self._lock:
            return self.store.submissions()

    # -- Verificación ---------------------------------------------------------------------------

    def verify(self, id_solicitud: str, rfc_solicitante: str) -> Outcome:
        """Advance a request's life by one verification and report where it is.

        Packages are written outside the lock, so that a big request being prepared does not
        hold up the other clients; meanwhile the request reads En proceso.
        """
        with self._lock:
            record = self._requests.get(id_solicitud.lower())
            if record is None or record.rfc_solicitante != rfc_solicitante:
                return Outcome(5004, "No se encontró la información")
            record.verifications += 1
            now = self.clock()
            before = record.estado
            build = False
            if record.active:
                build = self._ready(record, now) and record.id_solicitud not in self._building
                if build:
                    self._building.add(record.id_solicitud)
                record.estado = EN_PROCESO if record.verifications > 1 or build else ACEPTADA
            snapshot = replace(record)
        if build:
            worker = threading.Thread(
                target=self._build, args=(record, snapshot, now), name="fake-sat-packages"
            )
            worker.start()
            # Small requests finish within this call; a big one answers En proceso meanwhile.
            worker.join(self.config.build_wait_seconds)
        with self._lock:
            expired = record.finished is not None and (
                self.clock() >= record.finished + self.config.package_lifetime
            )
            if record.estado == TERMINADA and expired:
                record.estado = VENCIDA
            if record.estado != before:
                self._save_request(record)
            return Outcome(5000, "Solicitud Aceptada", record=replace(record))

    def _build(self, record: RequestRecord, snapshot: RequestRecord, now: datetime) -> None:
        try:
            outcome, packages = self._prepare(snapshot, now)
        except Exception:  # a broken universe or a full disk: SAT would say Error (4)
            logger.exception("preparing the packages of %s failed", record.id_solicitud)
            outcome, packages = (ERROR, 5006, 0), []
        with self._lock:
            self._building.discard(record.id_solicitud)
            record.estado, record.codigo, record.numero_cfdis = outcome
            record.packages = tuple(package.id_paquete for package in packages)
            record.finished = now if packages else None
            self._packages.update((package.id_paquete, package) for package in packages)
            with self.store.batch():
                self._save_request(record)
                for package in packages:
                    self._save_package(package)

    def _ready(self, record: RequestRecord, now: datetime) -> bool:
        config = self.config
        if config.seconds_until_ready is not None:
            return (now - record.created).total_seconds() >= config.seconds_until_ready
        return record.verifications > config.verifications_until_ready

    def _prepare(
        self, record: RequestRecord, now: datetime
    ) -> tuple[tuple[int, int, int], list[PackageRecord]]:
        """(EstadoSolicitud, CodigoEstadoSolicitud, NumeroCFDIs) and the packages written."""
        query, metadata = record.query, record.tipo_solicitud == "Metadata"
        cap = self.config.max_metadata_per_request if metadata else self.config.max_xml_per_request
        if self.universe.status_by_clock:  # Estatus as of the server's clock (see Universe)
            listed = self.universe.documents_at(query, now.replace(tzinfo=None))
            total, documents_of_query = len(listed), iter(listed)
        else:
            total, documents_of_query = self.universe.count(query), self.universe.documents(query)
        if total == 0:
            return (RECHAZADA, 5004, 0), []
        if total > cap:
            return (RECHAZADA, 5003, total), []
        per_package = (
            self.config.max_metadata_per_package if metadata else self.config.max_xml_per_package
        )
        folder = self.directory / record.id_solicitud
        folder.mkdir(parents=True, exist_ok=True)
        packages: list[PackageRecord] = []
        for index, documents in enumerate(
            split_into_packages(documents_of_query, per_package), start=1
        ):
            id_paquete = package_id(record.id_solicitud, index)
            path = folder / f"{id_paquete}.zip"
            if metadata:
                write_metadata_package(
                    documents, path, id_paquete=id_paquete, service=query.service
                )
            else:
                write_cfdi_package(documents, path, padding=self.universe.padding)
            packages.append(
                PackageRecord(
                    id_paquete=id_paquete,
                    id_solicitud=record.id_solicitud,
                    rfc_solicitante=record.rfc_solicitante,
                    path=path,
                    size=path.stat().st_size,
                    created=now,
                )
            )
        return (TERMINADA, 5000, total), packages

    # -- Descarga -------------------------------------------------------------------------------

    def download(self, id_paquete: str, rfc_solicitante: str) -> Outcome:
        """Count one download of a package, or refuse it with 5004, 5007 or 5008."""
        with self._lock:
            package = self._packages.get(id_paquete.upper())
            if package is None or package.rfc_solicitante != rfc_solicitante:
                return Outcome(5004, "No se encontró la información")
            if self.clock() >= package.created + self.config.package_lifetime:
                return Outcome(5007, "No existe el paquete solicitado")
            if package.downloads >= self.config.downloads_per_package:
                return Outcome(5008, "Máximo de descargas permitidas")
            package.downloads += 1
            self.stats.count("downloads", package.id_paquete)
            self._save_package(package)
            return Outcome(5000, "Solicitud Aceptada", package=replace(package))

    def package(self, id_paquete: str) -> PackageRecord | None:
        """A package by id (for tests and the admin endpoint)."""
        with self._lock:
            found = self._packages.get(id_paquete.upper())
            return None if found is None else replace(found)

    def requests(self) -> list[RequestRecord]:
        """Every request so far (copies)."""
        with self._lock:
            return [replace(record) for record in self._requests.values()]

    # -- persistence ----------------------------------------------------------------------------

    def packages(self) -> list[PackageRecord]:
        """Every package so far (copies), with its download count."""
        with self._lock:
            return [replace(package) for package in self._packages.values()]

    def _save_request(self, record: RequestRecord) -> None:
        self.store.put_request(record.id_solicitud, asdict(record))

    def _save_package(self, package: PackageRecord) -> None:
        self.store.put_package(package.id_paquete, asdict(package))

    def _restore(self) -> None:
        for data in self.store.requests():
            data["query"] = query_from_json(data["query"])
            data["packages"] = tuple(data["packages"])
            record = RequestRecord(**data)
            self._requests[record.id_solicitud] = record
            if record.active:
                self._active[parameter_set(record.query, record.tipo_solicitud)] = (
                    record.id_solicitud
                )
        for data in self.store.packages():
            package = PackageRecord(**data)
            self._packages[package.id_paquete] = package
        for key, count in self.store.counters("period"):
            self._periods[_period_key(_query_from_key(key))] = count
        for (rfc, day), count in self.store.counters("folio"):
            self._folios[(rfc, day)] = count


def parameter_set(query: Query, tipo_solicitud: str) -> str:
    """The exact parameters of a Solicitud as canonical JSON (what 5002 and 5005 compare)."""
    values = {key: value for key, value in asdict(query).items() if value not in (None, ())}
    values["tipo_solicitud"] = tipo_solicitud
    return json.dumps(encode(values), sort_keys=True, ensure_ascii=False)


def _query_from_key(key: list[Any]) -> Query:
    service, direction, rfc, start, end, counterparts = key
    return Query(service, direction, rfc, start, end, counterparts=tuple(counterparts))


def _period_key(query: Query) -> tuple[object, ...]:
    """What makes two CFDI requests "the same period" for SAT's two-request rule."""
    return (query.service, query.direction, query.rfc, query.start, query.end, query.counterparts)
