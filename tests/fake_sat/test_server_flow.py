"""Our client against the fake SAT over real HTTP and HTTPS: the whole flow, both services."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from datetime import timedelta
from typing import Any

import pytest
import requests
import zeep
from lxml import etree

from sat_zeep.client.codes import EstadoComprobante, EstadoSolicitud, TipoSolicitud
from sat_zeep.client.models import SolicitaDescargaResult, VerificaSolicitudDescargaResult
from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import ServiceType
from sat_zeep.soap.wsdl import zeep_settings
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, MakeSat


def finished(
    client: SatClient, accepted: SolicitaDescargaResult
) -> VerificaSolicitudDescargaResult:
    assert accepted.id_solicitud is not None
    for _ in range(10):
        state = client.verifica_solicitud_descarga(accepted.id_solicitud).raise_for_status()
        if state.is_finished:
            return state
        assert state.is_pending
    raise AssertionError("the request never finished")


def download_all(
    client: SatClient, state: VerificaSolicitudDescargaResult
) -> list[zipfile.ZipFile]:
    packages = []
    for id_paquete in state.ids_paquetes:
        paquete = client.descargar(id_paquete).raise_for_status().paquete
        assert paquete is not None
        packages.append(zipfile.ZipFile(io.BytesIO(paquete)))
    return packages


def metadata_uuids(packages: list[zipfile.ZipFile]) -> set[str]:
    uuids = set()
    for package in packages:
        for name in package.namelist():
            if name.endswith(".txt") and not name.endswith("_tercero.txt"):
                lines = package.read(name).decode("utf-8").split("\r\n")
                assert lines[0].startswith("Uuid~RfcEmisor~")
                uuids |= {line.split("~", 1)[0] for line in lines[1:] if line}
    return uuids


def test_metadata_and_xml_of_a_month_agree(client: SatClient, sat: FakeSat) -> None:
    metadata = client.solicita_descarga_emitidos(
        START, END, TipoSolicitud.METADATA, estado_comprobante=EstadoComprobante.TODOS
    ).raise_for_status()
    state = finished(client, metadata)
    listed = metadata_uuids(download_all(client, state))
    assert len(listed) == state.numero_cfdis > 0

    xml = client.solicita_descarga_emitidos(
        START, END, TipoSolicitud.CFDI, estado_comprobante=EstadoComprobante.TODOS
    ).raise_for_status()
    packages = download_all(client, finished(client, xml))
    names = {name for package in packages for name in package.namelist()}
    assert {name.removesuffix(".xml") for name in names} == listed
    document = etree.fromstring(packages[0].read(sorted(names)[0]))
    assert etree.QName(document).localname == "Comprobante"
    assert sat.stats()["tokens_issued"] == 1


def test_received_xml_and_folio(client: SatClient) -> None:
    recibidos = client.solicita_descarga_recibidos(
        START, END, TipoSolicitud.CFDI
    ).raise_for_status()
    state = finished(client, recibidos)
    (package,) = download_all(client, state)
    first = sorted(package.namelist())[0].removesuffix(".xml")

    folio = client.solicita_descarga_folio(first).raise_for_status()
    (single,) = download_all(client, finished(client, folio))
    assert single.namelist() == [f"{first}.xml"]


def test_retenciones_over_https(make_sat: MakeSat, fiel: Fiel) -> None:
    sat = make_sat(tls=True)
    assert sat.base_url.startswith("https://")
    with sat.client(fiel, ServiceType.RETENCIONES) as client:
        accepted = client.solicita_descarga_emitidos(
            START, END, TipoSolicitud.CFDI, complemento="dividendos"
        ).raise_for_status()
        state = client.verifica_solicitud_descarga(accepted.id_solicitud or "")
        for _ in range(20):
            if state.is_finished:
                break
            assert state.estado_solicitud in (EstadoSolicitud.ACEPTADA, EstadoSolicitud.EN_PROCESO)
            state = client.verifica_solicitud_descarga(accepted.id_solicitud or "")
        assert state.is_finished, state
        packages = download_all(client, state)
    document = etree.fromstring(packages[0].read(packages[0].namelist()[0]))
    assert etree.QName(document).localname == "Retenciones"
    try:
        requests.get(sat.base_url, timeout=10)
    except requests.exceptions.SSLError:
        pass
    else:
        raise AssertionError("an HTTPS client that does not trust the fake CA must fail")


def test_wsdl_is_served_with_this_servers_address(sat: FakeSat) -> None:
    url = f"{sat.base_url}/cfdi/VerificaSolicitudDescargaService.svc"
    for query in ("wsdl", "singleWsdl"):
        response = requests.get(f"{url}?{query}", timeout=10)
        assert response.status_code == 200
        assert f'location="{url}"' in response.text
    client = zeep.Client(f"{url}?wsdl", settings=zeep_settings())
    port = next(iter(client.wsdl.services.values())).ports
    assert next(iter(port.values())).binding_options["address"] == url


def test_date_range_without_documents_is_rejected_with_5004(make_sat: MakeSat, fiel: Fiel) -> None:
    sat = make_sat(documents_per_day=0)
    with SatClient(fiel, sat.endpoints()) as client:
        accepted = client.solicita_descarga_emitidos(
            START, START + timedelta(days=1), TipoSolicitud.METADATA
        ).raise_for_status()
        for _ in range(5):
            state = client.verifica_solicitud_descarga(accepted.id_solicitud or "")
            if not state.is_pending:
                break
    assert state.estado_solicitud is EstadoSolicitud.RECHAZADA
    assert state.codigo_estado_solicitud == 5004
    assert state.ids_paquetes == ()


def test_admin_is_off_unless_asked_and_loopback_only(make_sat: MakeSat) -> None:
    off = make_sat()
    assert requests.get(f"{off.base_url}/_admin/stats", timeout=10).status_code == 404
    on = make_sat(admin=True)
    stats = requests.get(f"{on.base_url}/_admin/stats", timeout=10).json()
    assert stats["calls"] == {} and stats["tokens_issued"] == 0
    environ = {"PATH_INFO": "/_admin/stats", "REMOTE_ADDR": "10.0.0.8", "REQUEST_METHOD": "GET"}
    statuses: list[str] = []
    on.app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["403 Forbidden"]


def test_unknown_paths_and_methods(sat: FakeSat) -> None:
    assert requests.get(f"{sat.base_url}/cfdi/Nope.svc", timeout=10).status_code == 404
    assert (
        requests.get(f"{sat.base_url}/otro/SolicitaDescargaService.svc", timeout=10).status_code
        == 404
    )
    assert (
        requests.put(f"{sat.base_url}/cfdi/SolicitaDescargaService.svc", timeout=10).status_code
        == 405
    )


def test_packages_being_written_answer_en_proceso(
    make_sat: MakeSat, fiel: Fiel, monkeypatch: pytest.MonkeyPatch
) -> None:
    sat = make_sat(config=LedgerConfig(verifications_until_ready=0, build_wait_seconds=0.05))
    gate = threading.Event()
    prepare = sat.ledger._prepare

    def slow_prepare(*args: Any) -> Any:
        gate.wait(10)
        return prepare(*args)

    monkeypatch.setattr(sat.ledger, "_prepare", slow_prepare)
    with sat.client(fiel) as client:
        accepted = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
        id_solicitud = accepted.raise_for_status().id_solicitud or ""
        state = client.verifica_solicitud_descarga(id_solicitud)
        assert state.estado_solicitud is EstadoSolicitud.EN_PROCESO
        # Other calls are not held up meanwhile.
        other = client.verifica_solicitud_descarga("0b6c7d8e-9f10-4f7a-9e25-2d3f6a4e8c1b")
        assert other.cod_estatus == 5004
        gate.set()
        for _ in range(50):
            state = client.verifica_solicitud_descarga(id_solicitud)
            if state.is_finished:
                break
            time.sleep(0.05)
    assert state.is_finished and state.ids_paquetes
