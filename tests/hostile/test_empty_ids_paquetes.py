"""``<IdsPaquetes />`` (an empty element) means no packages (issue 11, item 8)."""

from __future__ import annotations

import pytest

from sat_zeep.signing.fiel import Fiel

from ..canned_sat import RESPONSES
from .server import reply, talking_to

ID_SOLICITUD = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"


@pytest.mark.parametrize("empty", ["<IdsPaquetes />", "<IdsPaquetes></IdsPaquetes>", ""])
def test_an_empty_ids_paquetes_element_means_no_packages(fiel: Fiel, empty: str) -> None:
    body = (RESPONSES / "verifica-en-proceso.xml").read_text()
    tag = "<VerificaSolicitudDescargaResult "
    start = body.index(">", body.index(tag)) + 1
    if body[start - 2] == "/":  # a self-closed result element: open it to hold the child
        body = body[: start - 2] + ">" + empty + "</VerificaSolicitudDescargaResult>" + body[start:]
    else:
        body = body[:start] + empty + body[start:]
    answers = {"VerificaSolicitudDescarga": reply(200, body.encode())}
    with talking_to(fiel, answers) as (_, client):
        state = client.verifica_solicitud_descarga(ID_SOLICITUD).raise_for_status()
    assert state.ids_paquetes == ()
    assert state.is_pending
