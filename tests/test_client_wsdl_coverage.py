"""The client and the vendored WSDLs cannot drift apart silently.

Every attribute the parameter builders send, every result attribute the models read and the
Descargar ``respuesta`` header exist in the WSDLs; every WSDL operation has a client method.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

import pytest

from sat_zeep.client import models, parameters
from sat_zeep.client import sat_client as client_module
from sat_zeep.client.codes import EstadoComprobante, TipoComprobante, TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.soap.wsdl import Service, load_document
from sat_zeep.soap.wsdl_refresh.touches import OPERATIONS

TODAY = date(2026, 1, 15)
RFC = "AXT940727FP8"
UUID = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"
PERIOD: dict[str, Any] = {
    "fecha_inicial": date(2025, 1, 1),
    "fecha_final": date(2025, 1, 31),
    "today": TODAY,
}

#: (service, operation, request wrapper child, builder output with every optional key filled)
SENT: list[tuple[Service, str, str, dict[str, Any]]] = [
    (
        Service.SOLICITUD,
        "SolicitaDescargaEmitidos",
        "solicitud",
        parameters.emitidos(
            rfc_emisor=RFC,
            tipo_solicitud=TipoSolicitud.CFDI,
            rfc_receptores=("VADA800927DJ3",),
            rfc_solicitante=RFC,
            tipo_comprobante=TipoComprobante.INGRESO,
            estado_comprobante=EstadoComprobante.VIGENTE,
            rfc_a_cuenta_terceros="VADA800927DJ3",
            complemento="nomina12",
            **PERIOD,
        ),
    ),
    (
        Service.SOLICITUD,
        "SolicitaDescargaRecibidos",
        "solicitud",
        parameters.recibidos(
            rfc_receptor=RFC,
            tipo_solicitud=TipoSolicitud.CFDI,
            rfc_emisor="VADA800927DJ3",
            rfc_solicitante=RFC,
            tipo_comprobante=TipoComprobante.INGRESO,
            estado_comprobante=EstadoComprobante.VIGENTE,
            rfc_a_cuenta_terceros="VADA800927DJ3",
            complemento="nomina12",
            **PERIOD,
        ),
    ),
    (
        Service.SOLICITUD,
        "SolicitaDescargaFolio",
        "solicitud",
        parameters.folio(folio=UUID, rfc_solicitante=RFC),
    ),
    (
        Service.VERIFICACION,
        "VerificaSolicitudDescarga",
        "solicitud",
        parameters.verifica(id_solicitud=UUID, rfc_solicitante=RFC),
    ),
    (
        Service.DESCARGA,
        "Descargar",
        "peticionDescarga",
        parameters.descarga(id_paquete=f"{UUID}_01", rfc_solicitante=RFC),
    ),
]


def operation(service: Service, name: str) -> Any:
    document = load_document(service)
    binding = next(iter(document.bindings.values()))
    return binding.get(name)


def members(zeep_type: Any) -> set[str]:
    """Attribute and element names of a zeep complex type."""
    names = {name for name, _ in zeep_type.attributes}
    names |= {name for name, _ in zeep_type.elements}
    return names


def child_type(body_type: Any, child: str) -> Any:
    return dict(body_type.elements)[child].type


@pytest.mark.parametrize(("service", "name", "child", "payload"), SENT, ids=[s[1] for s in SENT])
def test_everything_the_builders_send_is_in_the_request_type(
    service: Service, name: str, child: str, payload: dict[str, Any]
) -> None:
    request_type = child_type(operation(service, name).input.body.type, child)
    declared = members(request_type)
    assert set(payload) <= declared, f"{name} sends {set(payload) - declared}, not in the WSDL"
    if "RfcReceptores" in payload:
        inner = dict(request_type.elements)["RfcReceptores"].type
        assert set(payload["RfcReceptores"]) <= members(inner)


def model_aliases(model: type[models.SatResult]) -> set[str]:
    """SAT's names the model reads (fields without an alias are sat_zeep's own, not SAT's)."""
    return {field.alias for field in model.model_fields.values() if field.alias}


@pytest.mark.parametrize(
    "name", ["SolicitaDescargaEmitidos", "SolicitaDescargaRecibidos", "SolicitaDescargaFolio"]
)
def test_solicitud_result_attributes_exist(name: str) -> None:
    body = operation(Service.SOLICITUD, name).output.body.type
    result = child_type(body, f"{name}Result")
    assert model_aliases(models.SolicitaDescargaResult) <= members(result)


def test_verificacion_result_attributes_exist() -> None:
    body = operation(Service.VERIFICACION, "VerificaSolicitudDescarga").output.body.type
    result = child_type(body, "VerificaSolicitudDescargaResult")
    assert model_aliases(models.VerificaSolicitudDescargaResult) <= members(result)


def test_descargar_header_and_package_exist() -> None:
    output = operation(Service.DESCARGA, "Descargar").output
    header = child_type(output.header.type, "respuesta")
    aliases = model_aliases(models.DescargarResult)
    assert aliases - {"Paquete"} <= members(header)
    assert "Paquete" in members(output.body.type)


def test_autentica_result_exists() -> None:
    body = operation(Service.AUTENTICACION, "Autentica").output.body.type
    assert "AutenticaResult" in members(body)


def test_every_wsdl_operation_has_a_client_method() -> None:
    source = inspect.getsource(client_module)
    in_wsdls = {
        name
        for service in Service
        for binding in load_document(service).bindings.values()
        for name in binding._operations
    }
    assert in_wsdls == set(OPERATIONS), (
        "update sat_zeep/soap/wsdl_refresh/touches.py and the client"
    )
    for name, use in OPERATIONS.items():
        method = use.method.removeprefix("SatClient.")
        assert callable(getattr(SatClient, method, None)), f"SatClient lacks {method} for {name}"
        assert f'"{name}"' in source, f"sat_zeep/client/sat_client.py never calls {name}"
