"""The vendored WSDL files: they load offline and describe SAT's contract (CONTRACT.md §1-§5, §8).

Everything here runs offline: requests are only built (``create_message``) and replies are fed to
zeep's binding as canned bytes (``process_reply``).
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
import zeep.helpers
from lxml import etree

from sat_zeep.soap.wsdl import Service, load_document, wsdl_path, zeep_settings

# zeep ships py.typed but leaves most functions unannotated: call them through Any so that
# ``mypy --strict`` accepts the calls.
ZeepClient: Any = zeep.Client
serialize_object: Any = zeep.helpers.serialize_object

WSDL_DIR = Path(__file__).resolve().parent.parent / "wsdl"

DES = "http://DescargaMasivaTerceros.sat.gob.mx"
AUT = "http://DescargaMasivaTerceros.gob.mx"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

FILES = {
    Service.AUTENTICACION: "Autenticacion.wsdl",
    Service.SOLICITUD: "SolicitaDescargaService.wsdl",
    Service.VERIFICACION: "VerificaSolicitudDescargaService.wsdl",
    Service.DESCARGA: "DescargaMasivaService.wsdl",
}

#: service -> (wsdl:service name, port name, {operation: SOAPAction}, soap:address)
EXPECTED: dict[Service, tuple[str, str, dict[str, str], str]] = {
    Service.AUTENTICACION: (
        "Autenticacion",
        "BasicHttpBinding_IAutenticacion",
        {"Autentica": "http://DescargaMasivaTerceros.gob.mx/IAutenticacion/Autentica"},
        "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/Autenticacion/Autenticacion.svc",
    ),
    Service.SOLICITUD: (
        "SolicitaDescargaService",
        "BasicHttpBinding_ISolicitaDescargaService",
        {
            "SolicitaDescargaEmitidos": (
                "http://DescargaMasivaTerceros.sat.gob.mx"
                "/ISolicitaDescargaService/SolicitaDescargaEmitidos"
            ),
            "SolicitaDescargaRecibidos": (
                "http://DescargaMasivaTerceros.sat.gob.mx"
                "/ISolicitaDescargaService/SolicitaDescargaRecibidos"
            ),
            "SolicitaDescargaFolio": (
                "http://DescargaMasivaTerceros.sat.gob.mx"
                "/ISolicitaDescargaService/SolicitaDescargaFolio"
            ),
        },
        "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/SolicitaDescargaService.svc",
    ),
    Service.VERIFICACION: (
        "VerificaSolicitudDescargaService",
        "BasicHttpBinding_IVerificaSolicitudDescargaService",
        {
            "VerificaSolicitudDescarga": (
                "http://DescargaMasivaTerceros.sat.gob.mx"
                "/IVerificaSolicitudDescargaService/VerificaSolicitudDescarga"
            ),
        },
        "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/VerificaSolicitudDescargaService.svc",
    ),
    Service.DESCARGA: (
        "DescargaMasivaService",
        "BasicHttpBinding_IDescargaMasivaTercerosService",
        {
            "Descargar": (
                "http://DescargaMasivaTerceros.sat.gob.mx/IDescargaMasivaTercerosService/Descargar"
            ),
        },
        "https://cfdidescargamasiva.clouda.sat.gob.mx/DescargaMasivaService.svc",
    ),
}


def make_client(service: Service, settings: Any = None) -> Any:
    """A zeep client straight from the repository's WSDL file, with ``des`` bound."""
    path = WSDL_DIR / FILES[service]
    client = ZeepClient(str(path)) if settings is None else ZeepClient(str(path), settings=settings)
    client.set_ns_prefix("des", DES)
    return client


def soap_response(body: str, header: str = "") -> requests.Response:
    """A 200 reply holding ``header`` (a whole ``s:Header`` or nothing) and ``body``."""
    envelope = f'<s:Envelope xmlns:s="{SOAP_ENV}">{header}<s:Body>{body}</s:Body></s:Envelope>'
    response = requests.Response()
    response._content = envelope.encode("utf-8")
    response.status_code = 200
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    response.encoding = "utf-8"
    return response


def parse_reply(client: Any, operation: str, response: requests.Response) -> Any:
    binding = client.service._binding
    return binding.process_reply(client, binding.get(operation), response)


def attribute_names(client: Any, type_name: str) -> list[str]:
    return [name for name, _ in client.get_type(type_name).attributes]


def required_attributes(client: Any, type_name: str) -> list[str]:
    return [name for name, attr in client.get_type(type_name).attributes if attr.required]


def element_names(client: Any, type_name: str) -> list[str]:
    return [name for name, _ in client.get_type(type_name).elements]


# -- loading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("service", list(Service))
def test_wsdl_loads_with_plain_zeep_client(service: Service) -> None:
    client = ZeepClient(str(WSDL_DIR / FILES[service]))
    assert list(client.wsdl.services) == [EXPECTED[service][0]]


@pytest.mark.parametrize("service", list(Service))
def test_wsdl_loads_with_sat_zeep_settings(service: Service) -> None:
    client = ZeepClient(str(WSDL_DIR / FILES[service]), settings=zeep_settings())
    assert list(client.wsdl.services) == [EXPECTED[service][0]]


@pytest.mark.parametrize("service", list(Service))
def test_wsdl_loads_through_load_document(service: Service) -> None:
    assert wsdl_path(service).name == FILES[service]
    document = load_document(service)
    assert list(document.services) == [EXPECTED[service][0]]
    assert load_document(service) is document
    client = ZeepClient(document, settings=zeep_settings())
    assert sorted(client.service._binding._operations) == sorted(EXPECTED[service][2])


@pytest.mark.parametrize("service", list(Service))
def test_wsdl_imports_nothing_from_the_network(service: Service) -> None:
    tree = etree.parse(str(WSDL_DIR / FILES[service]))
    for tag in ("import", "include", "redefine"):
        for node in tree.iter(f"{{http://www.w3.org/2001/XMLSchema}}{tag}"):
            assert node.get("schemaLocation") is None
    assert not list(tree.iter("{http://schemas.xmlsoap.org/wsdl/}import"))
    comment = next(node for node in tree.getroot().itersiblings(preceding=True))
    assert isinstance(comment, etree._Comment)
    assert "NOT SAT'S FILE" in str(comment.text)


# -- operations, SOAPActions, addresses -------------------------------------------------------


@pytest.mark.parametrize("service", list(Service))
def test_operations_and_soap_actions(service: Service) -> None:
    service_name, port_name, actions, _ = EXPECTED[service]
    client = make_client(service)
    port = client.wsdl.services[service_name].ports[port_name]
    binding = port.binding
    assert binding.name.localname == port_name
    assert sorted(binding._operations) == sorted(actions)
    for operation, action in actions.items():
        assert binding.get(operation).soapaction == action


@pytest.mark.parametrize("service", list(Service))
def test_soap_address_is_sat_cfdi_production(service: Service) -> None:
    service_name, port_name, _, address = EXPECTED[service]
    client = make_client(service)
    assert client.wsdl.services[service_name].ports[port_name].binding_options == {
        "address": address
    }
    assert client.service._binding_options["address"] == address


def test_removed_solicita_descarga_is_not_modelled() -> None:
    client = make_client(Service.SOLICITUD)
    assert "SolicitaDescarga" not in client.service._binding._operations


# -- request types ----------------------------------------------------------------------------


def test_emitidos_type() -> None:
    client = make_client(Service.SOLICITUD)
    name = "des:SolicitudDescargaMasivaTerceroEmitidos"
    assert element_names(client, name) == ["RfcReceptores", "Signature"]
    assert attribute_names(client, name) == [
        "Complemento",
        "EstadoComprobante",
        "FechaInicial",
        "FechaFinal",
        "RfcEmisor",
        "RfcSolicitante",
        "TipoComprobante",
        "TipoSolicitud",
        "RfcACuentaTerceros",
    ]
    assert required_attributes(client, name) == ["TipoSolicitud"]


def test_recibidos_type() -> None:
    client = make_client(Service.SOLICITUD)
    name = "des:SolicitudDescargaMasivaTerceroRecibidos"
    assert element_names(client, name) == ["Signature"]
    assert attribute_names(client, name) == [
        "Complemento",
        "EstadoComprobante",
        "FechaInicial",
        "FechaFinal",
        "RfcEmisor",
        "RfcSolicitante",
        "TipoComprobante",
        "TipoSolicitud",
        "RfcReceptor",
        "RfcACuentaTerceros",
    ]
    assert required_attributes(client, name) == ["TipoSolicitud"]


def test_folio_type() -> None:
    client = make_client(Service.SOLICITUD)
    name = "des:SolicitudDescargaMasivaTerceroFolio"
    assert element_names(client, name) == ["Signature"]
    assert attribute_names(client, name) == ["RfcSolicitante", "Folio"]
    assert required_attributes(client, name) == []


def test_tipo_solicitud_values() -> None:
    tree = etree.parse(str(WSDL_DIR / FILES[Service.SOLICITUD]))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    simple = next(
        node
        for node in tree.iter(f"{xs}simpleType")
        if node.get("name") == "TipoDescargaMasivaTerceros"
    )
    values = [node.get("value") for node in simple.iter(f"{xs}enumeration")]
    assert values == ["Metadata", "CFDI", "PDF", "PDFCOCEMA", "TXTUUIDMASIVA"]


def test_verifica_type() -> None:
    client = make_client(Service.VERIFICACION)
    name = "des:VerificaSolicitudDescargaMasivaTercero"
    assert element_names(client, name) == ["Signature"]
    assert attribute_names(client, name) == ["IdSolicitud", "RfcSolicitante"]
    assert required_attributes(client, name) == []


def test_descarga_type() -> None:
    client = make_client(Service.DESCARGA)
    name = "des:PeticionDescargaMasivaTerceros"
    assert element_names(client, name) == ["Signature"]
    assert attribute_names(client, name) == ["IdPaquete", "RfcSolicitante"]
    assert required_attributes(client, name) == []


def test_response_types() -> None:
    solicitud = make_client(Service.SOLICITUD)
    assert attribute_names(solicitud, "des:RespuestaSolicitudDescMasTercero") == [
        "IdSolicitud",
        "RfcSolicitante",
        "CodEstatus",
        "Mensaje",
    ]
    verifica = make_client(Service.VERIFICACION)
    name = "des:RespuestaVerificaSolicitudDescMasTercero"
    assert element_names(verifica, name) == ["IdsPaquetes"]
    assert attribute_names(verifica, name) == [
        "CodEstatus",
        "EstadoSolicitud",
        "CodigoEstadoSolicitud",
        "NumeroCFDIs",
        "Mensaje",
    ]
    assert required_attributes(verifica, name) == ["EstadoSolicitud", "NumeroCFDIs"]
    descarga = make_client(Service.DESCARGA)
    assert attribute_names(descarga, "des:RespuestaDescargaMasivaTerceros") == [
        "CodEstatus",
        "Mensaje",
    ]


# -- serializing requests ---------------------------------------------------------------------


def body_child(envelope: Any) -> Any:
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None
    assert len(body) == 1
    return body[0]


@pytest.mark.parametrize("settings", [None, "sat_zeep"])
def test_serialize_emitidos(settings: str | None) -> None:
    client = make_client(Service.SOLICITUD, zeep_settings() if settings else None)
    envelope = client.create_message(
        client.service,
        "SolicitaDescargaEmitidos",
        solicitud={
            "RfcSolicitante": "AAA010101AAA",
            "FechaInicial": "2025-01-01T00:00:00",
            "FechaFinal": "2025-01-31T23:59:59",
            "TipoSolicitud": "CFDI",
            "RfcEmisor": "AAA010101AAA",
            "RfcReceptores": {"RfcReceptor": ["BBB010101BBB"]},
        },
    )
    operation = body_child(envelope)
    assert operation.tag == f"{{{DES}}}SolicitaDescargaEmitidos"
    assert operation.prefix == "des"
    [solicitud] = list(operation)
    assert solicitud.tag == f"{{{DES}}}solicitud"
    assert dict(solicitud.attrib) == {
        "FechaInicial": "2025-01-01T00:00:00",
        "FechaFinal": "2025-01-31T23:59:59",
        "RfcEmisor": "AAA010101AAA",
        "RfcSolicitante": "AAA010101AAA",
        "TipoSolicitud": "CFDI",
    }
    [receptores] = list(solicitud)
    assert receptores.tag == f"{{{DES}}}RfcReceptores"
    assert [(child.tag, child.text) for child in receptores] == [
        (f"{{{DES}}}RfcReceptor", "BBB010101BBB")
    ]


def test_serialize_naive_datetime_has_no_zone() -> None:
    client = make_client(Service.SOLICITUD)
    envelope = client.create_message(
        client.service,
        "SolicitaDescargaRecibidos",
        solicitud={
            "FechaInicial": dt.datetime(2025, 5, 1, 21, 27, 14),
            "FechaFinal": dt.datetime(2025, 5, 2, 21, 27, 14),
            "TipoSolicitud": "CFDI",
            "EstadoComprobante": "Vigente",
            "RfcReceptor": "AXT940727FP8",
        },
    )
    [solicitud] = list(body_child(envelope))
    assert dict(solicitud.attrib) == {
        "EstadoComprobante": "Vigente",
        "FechaInicial": "2025-05-01T21:27:14",
        "FechaFinal": "2025-05-02T21:27:14",
        "TipoSolicitud": "CFDI",
        "RfcReceptor": "AXT940727FP8",
    }
    assert len(solicitud) == 0


def test_serialize_folio() -> None:
    client = make_client(Service.SOLICITUD)
    envelope = client.create_message(
        client.service,
        "SolicitaDescargaFolio",
        solicitud={
            "RfcSolicitante": "AAA010101AAA",
            "Folio": "5b2c1a8e-0000-4000-8000-000000000001",
        },
    )
    operation = body_child(envelope)
    assert operation.tag == f"{{{DES}}}SolicitaDescargaFolio"
    [solicitud] = list(operation)
    assert dict(solicitud.attrib) == {
        "RfcSolicitante": "AAA010101AAA",
        "Folio": "5b2c1a8e-0000-4000-8000-000000000001",
    }


def test_serialize_verifica() -> None:
    client = make_client(Service.VERIFICACION)
    envelope = client.create_message(
        client.service,
        "VerificaSolicitudDescarga",
        solicitud={"IdSolicitud": "4e80345d-917f-40bb-a98f-4a73939343c5", "RfcSolicitante": "X"},
    )
    operation = body_child(envelope)
    assert operation.tag == f"{{{DES}}}VerificaSolicitudDescarga"
    [solicitud] = list(operation)
    assert solicitud.tag == f"{{{DES}}}solicitud"
    assert dict(solicitud.attrib) == {
        "IdSolicitud": "4e80345d-917f-40bb-a98f-4a73939343c5",
        "RfcSolicitante": "X",
    }


def test_serialize_descargar() -> None:
    client = make_client(Service.DESCARGA)
    envelope = client.create_message(
        client.service,
        "Descargar",
        peticionDescarga={"IdPaquete": "4E80345D_01", "RfcSolicitante": "AAA010101AAA"},
    )
    operation = body_child(envelope)
    assert operation.tag == f"{{{DES}}}PeticionDescargaMasivaTercerosEntrada"
    [peticion] = list(operation)
    assert peticion.tag == f"{{{DES}}}peticionDescarga"
    assert dict(peticion.attrib) == {"IdPaquete": "4E80345D_01", "RfcSolicitante": "AAA010101AAA"}
    assert envelope.find(f"{{{SOAP_ENV}}}Header") is None


def test_serialize_autentica() -> None:
    client = make_client(Service.AUTENTICACION)
    envelope = client.create_message(client.service, "Autentica")
    operation = body_child(envelope)
    assert operation.tag == f"{{{AUT}}}Autentica"
    assert len(operation) == 0
    assert not operation.attrib


def test_request_with_signature_parses_against_the_stand_in_xmldsig_schema() -> None:
    client = make_client(Service.VERIFICACION)
    request = etree.fromstring(
        f'<des:VerificaSolicitudDescarga xmlns:des="{DES}">'
        '<des:solicitud IdSolicitud="abc" RfcSolicitante="AAA010101AAA">'
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/>'
        "<SignatureValue>AAAA</SignatureValue></Signature>"
        "</des:solicitud></des:VerificaSolicitudDescarga>"
    )
    parsed = client.get_element("des:VerificaSolicitudDescarga").parse(request, client.wsdl.types)
    assert parsed.solicitud.IdSolicitud == "abc"
    assert [node.tag for node in parsed.solicitud.Signature._value_1] == [
        "{http://www.w3.org/2000/09/xmldsig#}SignedInfo",
        "{http://www.w3.org/2000/09/xmldsig#}SignatureValue",
    ]


# -- parsing replies --------------------------------------------------------------------------

WSSE_HEADER = (
    "<s:Header>"
    '<o:Security s:mustUnderstand="1" xmlns:o="http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-wssecurity-secext-1.0.xsd">'
    '<u:Timestamp u:Id="_0" xmlns:u="http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-wssecurity-utility-1.0.xsd">'
    "<u:Created>2019-08-01T03:38:20.044Z</u:Created>"
    "<u:Expires>2019-08-01T03:43:20.044Z</u:Expires>"
    "</u:Timestamp></o:Security></s:Header>"
)


@pytest.mark.parametrize("settings", [None, "sat_zeep"])
def test_parse_autentica(settings: str | None) -> None:
    # Shape: the reply is the AutenticaResult text itself, a plain ``str`` (None when absent).
    client = make_client(Service.AUTENTICACION, zeep_settings() if settings else None)
    reply = parse_reply(
        client,
        "Autentica",
        soap_response(
            f'<AutenticaResponse xmlns="{AUT}">'
            "<AutenticaResult>eyJhbGciOi.x.y&amp;wrap_subject=3330</AutenticaResult>"
            "</AutenticaResponse>",
            WSSE_HEADER,
        ),
    )
    assert reply == "eyJhbGciOi.x.y&wrap_subject=3330"
    assert type(reply) is str
    empty = parse_reply(
        client, "Autentica", soap_response(f'<AutenticaResponse xmlns="{AUT}"/>', WSSE_HEADER)
    )
    assert empty is None


@pytest.mark.parametrize(
    "operation", ["SolicitaDescargaEmitidos", "SolicitaDescargaRecibidos", "SolicitaDescargaFolio"]
)
def test_parse_solicita(operation: str) -> None:
    # Shape: the reply is the ``…Result`` object itself (RespuestaSolicitudDescMasTercero), its
    # four attributes as str fields; serialize_object() gives a dict with exactly those keys.
    client = make_client(Service.SOLICITUD, zeep_settings())
    reply = parse_reply(
        client,
        operation,
        soap_response(
            f'<{operation}Response xmlns="{DES}"><{operation}Result'
            ' IdSolicitud="05e4038d-4f9b-4e2b-9b6a-0e0e0e0e0e0e" RfcSolicitante="AXT940727FP8"'
            f' CodEstatus="5000" Mensaje="Solicitud Aceptada"/></{operation}Response>'
        ),
    )
    assert serialize_object(reply, dict) == {
        "IdSolicitud": "05e4038d-4f9b-4e2b-9b6a-0e0e0e0e0e0e",
        "RfcSolicitante": "AXT940727FP8",
        "CodEstatus": "5000",
        "Mensaje": "Solicitud Aceptada",
    }
    assert reply.CodEstatus == "5000"


def test_parse_solicita_rejection_without_id() -> None:
    client = make_client(Service.SOLICITUD)
    reply = parse_reply(
        client,
        "SolicitaDescargaRecibidos",
        soap_response(
            f'<SolicitaDescargaRecibidosResponse xmlns="{DES}"><SolicitaDescargaRecibidosResult'
            ' CodEstatus="301" Mensaje="XML Mal Formado"/></SolicitaDescargaRecibidosResponse>'
        ),
    )
    assert serialize_object(reply, dict) == {
        "IdSolicitud": None,
        "RfcSolicitante": None,
        "CodEstatus": "301",
        "Mensaje": "XML Mal Formado",
    }


@pytest.mark.parametrize("settings", [None, "sat_zeep"])
def test_parse_verifica(settings: str | None) -> None:
    # Shape: the reply is the VerificaSolicitudDescargaResult object; IdsPaquetes is a list of
    # str (empty list when absent), EstadoSolicitud and NumeroCFDIs are int, the rest str.
    client = make_client(Service.VERIFICACION, zeep_settings() if settings else None)
    reply = parse_reply(
        client,
        "VerificaSolicitudDescarga",
        soap_response(
            f'<VerificaSolicitudDescargaResponse xmlns="{DES}">'
            '<VerificaSolicitudDescargaResult CodEstatus="5000" EstadoSolicitud="3"'
            ' CodigoEstadoSolicitud="5000" NumeroCFDIs="12" Mensaje="Solicitud Aceptada">'
            "<IdsPaquetes>4E80345D_01</IdsPaquetes><IdsPaquetes>4E80345D_02</IdsPaquetes>"
            "</VerificaSolicitudDescargaResult></VerificaSolicitudDescargaResponse>"
        ),
    )
    assert serialize_object(reply, dict) == {
        "IdsPaquetes": ["4E80345D_01", "4E80345D_02"],
        "CodEstatus": "5000",
        "EstadoSolicitud": 3,
        "CodigoEstadoSolicitud": "5000",
        "NumeroCFDIs": 12,
        "Mensaje": "Solicitud Aceptada",
    }
    pending = parse_reply(
        client,
        "VerificaSolicitudDescarga",
        soap_response(
            f'<VerificaSolicitudDescargaResponse xmlns="{DES}">'
            '<VerificaSolicitudDescargaResult CodEstatus="5000" EstadoSolicitud="2"'
            ' CodigoEstadoSolicitud="5000" NumeroCFDIs="0" Mensaje="Solicitud Aceptada"/>'
            "</VerificaSolicitudDescargaResponse>"
        ),
    )
    assert pending.IdsPaquetes == []
    assert pending.EstadoSolicitud == 2


RESPUESTA_HEADER = (
    '<s:Header><h:respuesta CodEstatus="{code}" Mensaje="{message}"'
    f' xmlns:h="{DES}" xmlns="{DES}"/></s:Header>'
)


@pytest.mark.parametrize("settings", [None, "sat_zeep"])
def test_parse_descargar(settings: str | None) -> None:
    # Shape (the output message has a soap:header part, so zeep returns header and body apart):
    #   reply         zeep CompoundValue with exactly two fields, ``header`` and ``body``
    #   reply.header  CompoundValue with one field ``respuesta`` (RespuestaDescargaMasivaTerceros:
    #                 ``CodEstatus`` str, ``Mensaje`` str); ``reply.header`` is None without header
    #   reply.body    the RespuestaDescargaMasivaTercerosSalida object; ``body.Paquete`` is the
    #                 base64-decoded ZIP as bytes (None when absent)
    # serialize_object(reply.header, dict) == {"respuesta": {"CodEstatus": …, "Mensaje": …}}.
    client = make_client(Service.DESCARGA, zeep_settings() if settings else None)
    package = b"PK\x03\x04 not really a zip"
    reply = parse_reply(
        client,
        "Descargar",
        soap_response(
            f'<RespuestaDescargaMasivaTercerosSalida xmlns="{DES}"><Paquete>'
            f"{base64.b64encode(package).decode('ascii')}"
            "</Paquete></RespuestaDescargaMasivaTercerosSalida>",
            RESPUESTA_HEADER.format(code="5000", message="Solicitud Aceptada"),
        ),
    )
    assert list(serialize_object(reply, dict)) == ["header", "body"]
    assert reply.header.respuesta.CodEstatus == "5000"
    assert reply.header.respuesta.Mensaje == "Solicitud Aceptada"
    assert serialize_object(reply.header, dict) == {
        "respuesta": {"CodEstatus": "5000", "Mensaje": "Solicitud Aceptada"}
    }
    assert reply.body.Paquete == package
    assert type(reply.body.Paquete) is bytes
    assert serialize_object(reply.body, dict) == {"Paquete": package}


def test_parse_descargar_without_package() -> None:
    client = make_client(Service.DESCARGA, zeep_settings())
    reply = parse_reply(
        client,
        "Descargar",
        soap_response(
            f'<RespuestaDescargaMasivaTercerosSalida xmlns="{DES}"/>',
            RESPUESTA_HEADER.format(code="5007", message="No existe el paquete solicitado"),
        ),
    )
    assert serialize_object(reply.header, dict) == {
        "respuesta": {"CodEstatus": "5007", "Mensaje": "No existe el paquete solicitado"}
    }
    assert reply.body.Paquete is None


def test_parse_descargar_without_header() -> None:
    client = make_client(Service.DESCARGA, zeep_settings())
    reply = parse_reply(
        client,
        "Descargar",
        soap_response(f'<RespuestaDescargaMasivaTercerosSalida xmlns="{DES}"/>'),
    )
    assert reply.header is None
    assert reply.body.Paquete is None


def test_tipo_solicitud_is_required_when_serializing() -> None:
    # zeep checks required attributes (not enumerations) before anything is sent.
    client = make_client(Service.SOLICITUD)
    with pytest.raises(zeep.exceptions.ValidationError, match="TipoSolicitud"):
        client.create_message(
            client.service, "SolicitaDescargaRecibidos", solicitud={"RfcReceptor": "A"}
        )
    envelope = client.create_message(
        client.service, "SolicitaDescargaRecibidos", solicitud={"TipoSolicitud": "Other"}
    )
    [solicitud] = list(body_child(envelope))
    assert dict(solicitud.attrib) == {"TipoSolicitud": "Other"}
