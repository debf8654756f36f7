"""Edited copies of the vendored WSDLs, changed the way SAT changed its contract in May 2025."""

from __future__ import annotations

from typing import Any

from lxml import etree

from sat_zeep.soap.wsdl import Service, wsdl_directory

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"
NS = {"wsdl": WSDL, "soap": SOAP, "xs": XS}
OLD_ACTION = "http://DescargaMasivaTerceros.sat.gob.mx/ISolicitaDescargaService/SolicitaDescarga"


def pre_2025_solicitud() -> bytes:
    """Solicitud as before 2025-05-30, roughly.

    - the three v1.5 operations become the single ``SolicitaDescarga`` (Recibidos' messages),
    - ``RfcReceptor`` of the Recibidos type is an element instead of an attribute,
    - ``TipoDescargaMasivaTerceros`` is back to ``Metadata``/``CFDI``.
    """
    path = wsdl_directory() / Service.SOLICITUD.wsdl_file
    root = etree.fromstring(path.read_bytes())
    for parent in ("wsdl:portType", "wsdl:binding"):
        container = root.find(parent, NS)
        assert container is not None
        for operation in container.findall("wsdl:operation", NS):
            if operation.get("name") == "SolicitaDescargaRecibidos":
                operation.set("name", "SolicitaDescarga")
                action = operation.find("soap:operation", NS)
                if action is not None:
                    action.set("soapAction", OLD_ACTION)
            else:
                container.remove(operation)
    recibidos = root.find(".//xs:complexType[@name='SolicitudDescargaMasivaTerceroRecibidos']", NS)
    assert recibidos is not None
    attribute = recibidos.find("xs:attribute[@name='RfcReceptor']", NS)
    assert attribute is not None
    recibidos.remove(attribute)
    sequence = recibidos.find("xs:sequence", NS)
    assert sequence is not None
    element = etree.Element(f"{{{XS}}}element", name="RfcReceptor", type="xs:string")
    element.set("minOccurs", "0")
    sequence.insert(0, element)
    restriction = root.find(
        ".//xs:simpleType[@name='TipoDescargaMasivaTerceros']/xs:restriction", NS
    )
    assert restriction is not None
    for enumeration in restriction.findall("xs:enumeration", NS):
        if enumeration.get("value") not in ("Metadata", "CFDI"):
            restriction.remove(enumeration)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def split_with_imports(service: Service, base_url: str, family: str) -> tuple[bytes, bytes]:
    """The ``?wsdl`` form: the service schema moved out behind ``xs:import schemaLocation``."""
    root = etree.fromstring((wsdl_directory() / service.wsdl_file).read_bytes())
    types = root.find("wsdl:types", NS)
    assert types is not None
    schema = types.find("xs:schema", NS)
    assert schema is not None
    namespace = schema.get("targetNamespace", "")
    standalone = etree.fromstring(etree.tostring(schema))
    for prefix, uri in root.nsmap.items():
        if prefix and prefix not in standalone.nsmap:
            standalone = _declare(standalone, prefix, uri)
    types.remove(schema)
    stub = etree.Element(f"{{{XS}}}schema", targetNamespace=namespace)
    location = f"{base_url}/{family}/SolicitaDescargaService.svc?xsd=xsd0"
    etree.SubElement(stub, f"{{{XS}}}import", namespace=namespace, schemaLocation=location)
    types.insert(0, stub)
    return etree.tostring(root), etree.tostring(standalone)


def _declare(element: etree._Element, prefix: str, uri: str) -> etree._Element:
    merged: dict[Any, str] = dict(element.nsmap)
    merged[prefix] = uri
    clone = etree.Element(element.tag, nsmap=merged)
    clone.attrib.update(element.attrib)
    for child in element:
        clone.append(child)
    return clone
