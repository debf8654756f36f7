"""``sat-zeep wsdl check``: no difference against the fake SAT, every May 2025 edit named."""

from __future__ import annotations

import pytest
from lxml import etree

from sat_zeep.cli import main
from sat_zeep.soap.wsdl import Service
from sat_zeep.soap.wsdl_refresh import check
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import WsdlServer, vendored
from .edits import NS, pre_2025_solicitud, split_with_imports

pytestmark = pytest.mark.usefixtures("repo_wsdl_untouched")


@pytest.mark.parametrize("family", ["cfdi", "retenciones"])
def test_fake_sat_serves_the_vendored_contract(
    family: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeSat() as sat:
        code = main(["wsdl", "check", "--service", family, "--base-url", sat.base_url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("no difference") == 4
    assert "match what the server publishes" in out


def test_may_2025_edits_are_named_with_the_client_code_they_touch(
    wsdl_server: WsdlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.serve(Service.SOLICITUD, pre_2025_solicitud())
    results = check("cfdi", wsdl_server.base_url)
    changed = {r.service: r for r in results if r.changes}
    assert set(changed) == {Service.SOLICITUD}
    changes = {change.path: change for change in changed[Service.SOLICITUD].changes}

    for operation, method in [
        ("SolicitaDescargaEmitidos", "SatClient.solicita_descarga_emitidos"),
        ("SolicitaDescargaRecibidos", "SatClient.solicita_descarga_recibidos"),
        ("SolicitaDescargaFolio", "SatClient.solicita_descarga_folio"),
    ]:
        removed = changes[f"operation:{operation}"]
        assert removed.kind == "removed"
        assert method in removed.touches
    added = changes["operation:SolicitaDescarga"]
    assert added.kind == "added"
    assert added.touches == ("no client method for SolicitaDescarga (add one to SatClient)",)
    assert changes["operation:SolicitaDescarga/soapAction"].after == (
        "http://DescargaMasivaTerceros.sat.gob.mx/ISolicitaDescargaService/SolicitaDescarga"
    )

    receptor = changes["type:SolicitudDescargaMasivaTerceroRecibidos/RfcReceptor"]
    assert receptor.kind == "changed"
    assert receptor.before == "attribute type=xs:string optional"
    assert receptor.after == "element type=xs:string occurs=0..1"
    assert "parameters.recibidos" in receptor.touches
    assert "SatClient.solicita_descarga_recibidos" in receptor.touches

    for value in ("PDF", "PDFCOCEMA", "TXTUUIDMASIVA"):
        enumeration = changes[f"type:TipoDescargaMasivaTerceros/enumeration:{value}"]
        assert enumeration.kind == "removed"
        assert "parameters.emitidos" in enumeration.touches
    assert "type:TipoDescargaMasivaTerceros/enumeration:CFDI" not in changes

    code = main(["wsdl", "check", "--service", "cfdi", "--base-url", wsdl_server.base_url])
    out = capsys.readouterr().out
    assert code == 1
    assert "SolicitaDescargaService.wsdl" in out
    assert "removed  operation:SolicitaDescargaEmitidos" in out
    assert "added    operation:SolicitaDescarga" in out
    assert "changed  type:SolicitudDescargaMasivaTerceroRecibidos/RfcReceptor" in out
    assert "removed  type:TipoDescargaMasivaTerceros/enumeration:PDF" in out
    assert "SatClient.solicita_descarga_folio" in out


def test_response_changes_name_the_result_model(wsdl_server: WsdlServer) -> None:
    wsdl_server.serve_vendored()
    text = vendored(Service.VERIFICACION).replace(
        b'name="NumeroCFDIs" type="xs:int" use="required"', b'name="NumeroCFDIs" type="xs:int"'
    )
    wsdl_server.serve(Service.VERIFICACION, text)
    (result,) = [r for r in check("cfdi", wsdl_server.base_url) if r.changes]
    (change,) = result.changes
    assert change.path == "type:RespuestaVerificaSolicitudDescMasTercero/NumeroCFDIs"
    assert (change.before, change.after) == (
        "attribute type=xs:int required",
        "attribute type=xs:int optional",
    )
    assert set(change.touches) == {
        "SatClient.verifica_solicitud_descarga",
        "models.VerificaSolicitudDescargaResult",
    }


def test_wsdl_with_schema_imports_is_inlined(wsdl_server: WsdlServer) -> None:
    wsdl_server.serve_vendored()
    for family in ("cfdi", "retenciones"):
        document, schema = split_with_imports(Service.SOLICITUD, wsdl_server.base_url, family)
        path = f"/{family}/SolicitaDescargaService.svc"
        wsdl_server.routes[f"{path}?singleWsdl"] = (400, "text/html", b"<html>Bad Request</html>")
        wsdl_server.routes[f"{path}?wsdl"] = (200, "text/xml", document)
        wsdl_server.routes[f"{path}?xsd=xsd0"] = (200, "text/xml", schema)
    results = check("all", wsdl_server.base_url)
    assert [r.changes for r in results] == [[]] * 8


def test_descarga_not_published_is_reported_not_failed(
    wsdl_server: WsdlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.fail(Service.DESCARGA, 400, "text/html", b"<html><body>Bad Request</body></html>")
    code = main(["wsdl", "check", "--base-url", wsdl_server.base_url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("not published by SAT; the vendored file is authored from") == 2


@pytest.mark.parametrize("service", list(Service))
def test_check_fails_on_a_wsdl_that_differs_from_the_vendored_one(
    service: Service, wsdl_server: WsdlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fake SAT serves the vendored files; here one service's file differs in one action."""
    wsdl_server.serve_vendored()
    root = etree.fromstring(vendored(service))
    operation = root.find("wsdl:binding/wsdl:operation", NS)
    assert operation is not None
    action = operation.find("soap:operation", NS)
    assert action is not None
    action.set("soapAction", action.get("soapAction", "") + "V2")
    wsdl_server.serve(service, etree.tostring(root), families=("retenciones",))
    code = main(["wsdl", "check", "--base-url", wsdl_server.base_url])
    out = capsys.readouterr().out
    assert code == 1, out
    assert f"changed  operation:{operation.get('name')}/soapAction" in out
    assert out.count("no difference") == 7
