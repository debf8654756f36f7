"""SAT never redirects: a 3xx is an error naming the Location, and nothing is sent there."""

from __future__ import annotations

from pathlib import Path

import pytest

from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import SatHTTPError, SatRedirectError
from sat_zeep.signing.fiel import Fiel

from .server import HostileServer, reply

ID_SOLICITUD = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_autentica_is_refused_and_never_resent(fiel: Fiel, status: int) -> None:
    with HostileServer() as elsewhere:
        target = f"{elsewhere.endpoints.autenticacion}?stolen=1"
        hop = {"Autentica": reply(status, b"", {"Location": target})}
        with (
            HostileServer(hop) as sat,
            SatClient(fiel, sat.endpoints) as client,
            pytest.raises(SatRedirectError) as caught,
        ):
            client.autentica()
        assert elsewhere.received == []
    assert caught.value.location == target
    assert caught.value.status_code == status
    assert target in str(caught.value)
    assert isinstance(caught.value, SatHTTPError)
    assert client.token is None


def test_a_redirected_call_after_authentication_is_refused(fiel: Fiel) -> None:
    with HostileServer() as elsewhere:
        hop = {"VerificaSolicitudDescarga": reply(307, b"", {"Location": elsewhere.url})}
        with (
            HostileServer(hop) as sat,
            SatClient(fiel, sat.endpoints) as client,
            pytest.raises(SatRedirectError, match="307"),
        ):
            client.verifica_solicitud_descarga(ID_SOLICITUD)
        assert elsewhere.received == []


@pytest.mark.parametrize("destino", [None, "package.zip"])
def test_a_redirected_download_is_refused(fiel: Fiel, tmp_path: Path, destino: str | None) -> None:
    with HostileServer() as elsewhere:
        hop = {"Descargar": reply(302, b"", {"Location": elsewhere.url + "/x.zip"})}
        target = tmp_path / destino if destino else None
        with (
            HostileServer(hop) as sat,
            SatClient(fiel, sat.endpoints) as client,
            pytest.raises(SatRedirectError, match=r"x\.zip"),
        ):
            client.descargar(f"{ID_SOLICITUD}_01", destino=target)
        assert elsewhere.received == []
    assert list(tmp_path.iterdir()) == []


def test_a_3xx_without_location_is_still_an_error(fiel: Fiel) -> None:
    with (
        HostileServer({"Autentica": reply(300, b"")}) as sat,
        SatClient(fiel, sat.endpoints) as client,
        pytest.raises(SatRedirectError, match="no Location"),
    ):
        client.autentica()
