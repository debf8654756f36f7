"""With a fixed clock and token id, every request is byte-for-byte the committed envelope.

Regenerate after an intended change with ``SAT_ZEEP_UPDATE_GOLDEN=1 scripts/test``, then review
the diff of tests/fixtures/envelopes/.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from sat_zeep.client.codes import EstadoComprobante, TipoComprobante, TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.request_signature import verify_request
from sat_zeep.soap.envelope import body_operation
from sat_zeep.testing.mock_transport import MockTransport

from .canned_sat import CannedSat
from .independent import recompute

GOLDEN = Path(__file__).parent / "fixtures" / "envelopes"
NOW = datetime(2026, 1, 15, 17, 0, tzinfo=timezone.utc)
TOKEN_ID = "uuid-5a7d1c2e-0f3b-4e6a-9c8d-112233445566-1"
ID_SOLICITUD = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"

CALLS: dict[str, Callable[[SatClient], object]] = {
    "autentica": lambda client: client.autentica(),
    "solicita-emitidos": lambda client: client.solicita_descarga_emitidos(
        date(2025, 1, 1),
        date(2025, 1, 31),
        TipoSolicitud.CFDI,
        rfc_receptores=["AAA010101AAA", "xaxx010101000"],
        tipo_comprobante=TipoComprobante.INGRESO,
        estado_comprobante=EstadoComprobante.TODOS,
    ),
    "solicita-recibidos": lambda client: client.solicita_descarga_recibidos(
        datetime(2025, 2, 1, 0, 0, 0),
        datetime(2025, 2, 28, 23, 59, 59),
        TipoSolicitud.METADATA,
        rfc_emisor="AAA010101AAA",
    ),
    "solicita-folio": lambda client: client.solicita_descarga_folio(
        "7e1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
    ),
    "verifica": lambda client: client.verifica_solicitud_descarga(ID_SOLICITUD),
    "descargar": lambda client: client.descargar(f"{ID_SOLICITUD.upper()}_01"),
}


def recorded_envelope(fiel: Fiel, name: str) -> bytes:
    transport = MockTransport(CannedSat())
    client = SatClient(
        fiel, transport=transport, clock=lambda: NOW, token_id_factory=lambda: TOKEN_ID
    )
    CALLS[name](client)
    return transport.requests[-1].body


@pytest.mark.parametrize("name", sorted(CALLS))
def test_envelope_matches_golden_file(fiel: Fiel, name: str) -> None:
    body = recorded_envelope(fiel, name)
    assert_golden(GOLDEN / f"{name}.xml", body)


def assert_golden(golden: Path, body: bytes) -> None:
    """``body`` is ``golden``'s bytes; ``SAT_ZEEP_UPDATE_GOLDEN=1`` (only 1) rewrites it first."""
    if os.environ.get("SAT_ZEEP_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(body)
    assert body == golden.read_bytes()


@pytest.mark.parametrize("value", ["0", "", "yes"])
def test_golden_files_are_rewritten_only_with_update_golden_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    golden = tmp_path / "envelope.xml"
    golden.write_bytes(b"<committed/>")
    monkeypatch.setenv("SAT_ZEEP_UPDATE_GOLDEN", value)
    with pytest.raises(AssertionError):
        assert_golden(golden, b"<changed/>")
    assert golden.read_bytes() == b"<committed/>"
    monkeypatch.setenv("SAT_ZEEP_UPDATE_GOLDEN", "1")
    assert_golden(golden, b"<changed/>")
    assert golden.read_bytes() == b"<changed/>"


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"autentica"}))
def test_golden_request_signatures_verify_twice(name: str) -> None:
    operation = body_operation(etree.fromstring((GOLDEN / f"{name}.xml").read_bytes()))
    assert verify_request(operation).certificate == recompute(operation)
