"""``sat-zeep wsdl update``: absorbs what changed, keeps what was authored, loads in zeep."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import zeep
from lxml import etree

from sat_zeep.cli import main
from sat_zeep.soap.wsdl import Service
from sat_zeep.soap.wsdl_refresh import check
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import WsdlServer, vendored
from .edits import NS, pre_2025_solicitud

pytestmark = pytest.mark.usefixtures("repo_wsdl_untouched")


def soap_address(document: bytes) -> list[str | None]:
    """The ``location`` of each ``soap:address`` (SAT's own, whatever server was read)."""
    root = etree.fromstring(document)
    return [address.get("location") for address in root.iterfind(".//soap:address", NS)]


def load_offline(path: Path) -> zeep.Client:
    settings = zeep.Settings(forbid_external=True, forbid_dtd=True, forbid_entities=True)
    return zeep.Client(str(path), settings=settings)


def test_update_from_an_edited_server_then_check_is_clean(
    wsdl_server: WsdlServer, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.serve(Service.SOLICITUD, pre_2025_solicitud())
    wsdl_server.fail(Service.DESCARGA, 400, "text/html", b"<html>Bad Request</html>")
    code = main(["wsdl", "update", "--base-url", wsdl_server.base_url, "--wsdl-dir", str(out_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "rewrote SolicitaDescargaService.wsdl" in out

    for service in Service:
        client = load_offline(out_dir / service.wsdl_file)
        assert client.wsdl.bindings
    solicitud = load_offline(out_dir / Service.SOLICITUD.wsdl_file)
    binding = next(iter(solicitud.wsdl.bindings.values()))
    assert set(binding._operations) == {"SolicitaDescarga"}

    text = (out_dir / Service.SOLICITUD.wsdl_file).read_text(encoding="utf-8")
    assert "NOT SAT'S FILE" in text  # the authored header comment
    assert "Refreshed by `sat-zeep wsdl update`" in text
    assert 'location="https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/' in text
    assert wsdl_server.base_url not in text.split("-->")[-1]
    assert 'processContents="lax"' in text  # the trimmed xmldsig stand-in
    assert (out_dir / Service.DESCARGA.wsdl_file).read_bytes() == vendored(Service.DESCARGA)

    code = main(["wsdl", "check", "--base-url", wsdl_server.base_url, "--wsdl-dir", str(out_dir)])
    out = capsys.readouterr().out
    assert code == 0, out


def test_update_twice_keeps_one_refresh_note(out_dir: Path) -> None:
    with FakeSat() as sat:
        for _ in range(2):
            assert (
                main(["wsdl", "update", "--base-url", sat.base_url, "--wsdl-dir", str(out_dir)])
                == 0
            )
        assert all(not r.changes for r in check("all", sat.base_url, out_dir))
    for service in Service:
        text = (out_dir / service.wsdl_file).read_text(encoding="utf-8")
        assert text.count("Refreshed by `sat-zeep wsdl update`") == 1
        assert soap_address(text.encode()) == soap_address(vendored(service)) != []
        load_offline(out_dir / service.wsdl_file)


def test_update_with_nothing_changed_writes_nothing(
    wsdl_server: WsdlServer, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wsdl_server.serve_vendored()
    update = ["wsdl", "update", "--base-url", wsdl_server.base_url, "--wsdl-dir", str(out_dir)]
    assert main(update) == 0
    capsys.readouterr()
    for service in Service:  # an old refresh, in another layout: same meaning, other bytes
        path = out_dir / service.wsdl_file
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in out_dir.iterdir()}
    assert main(update) == 0
    out = capsys.readouterr().out
    assert "nothing changed; no file was written" in out
    after = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in out_dir.iterdir()}
    assert after == before


def test_update_refuses_families_that_disagree(
    wsdl_server: WsdlServer, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wsdl_server.serve_vendored()
    wsdl_server.serve(Service.SOLICITUD, pre_2025_solicitud(), families=("retenciones",))
    code = main(["wsdl", "update", "--base-url", wsdl_server.base_url, "--wsdl-dir", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert "cfdi and retenciones serve different contracts" in err
