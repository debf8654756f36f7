"""``descargar(id, destino=…)``: streamed to disk, checked, never a broken file at ``destino``."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import DownloadLimitError, PackageTransferError, SatHTTPError
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START


def package_id(client: SatClient, tipo: TipoSolicitud = TipoSolicitud.CFDI) -> str:
    accepted = client.solicita_descarga_recibidos(START, END, tipo).raise_for_status()
    for _ in range(5):
        state = client.verifica_solicitud_descarga(accepted.id_solicitud or "")
        if state.is_finished:
            return state.ids_paquetes[0]
    raise AssertionError("not finished")


def test_streamed_and_in_memory_downloads_are_identical(
    client: SatClient, sat: FakeSat, tmp_path: Path
) -> None:
    id_paquete = package_id(client)
    destino = tmp_path / "paquetes" / f"{id_paquete}.zip"
    streamed = client.descargar(id_paquete, destino=destino).raise_for_status()
    in_memory = client.descargar(id_paquete).raise_for_status()
    assert in_memory.paquete is not None
    assert destino.read_bytes() == in_memory.paquete
    assert streamed.path == destino
    assert streamed.paquete is None
    assert streamed.size == len(in_memory.paquete) == destino.stat().st_size
    assert streamed.sha256 == hashlib.sha256(in_memory.paquete).hexdigest()
    assert zipfile.ZipFile(destino).testzip() is None
    assert [p.name for p in destino.parent.iterdir()] == [destino.name]


@pytest.mark.parametrize("kind", ["reset", "truncate", "corrupt"])
def test_a_broken_transfer_leaves_nothing_at_destino(
    client: SatClient, sat: FakeSat, tmp_path: Path, kind: str
) -> None:
    id_paquete = package_id(client)
    destino = tmp_path / "out" / "paquete.zip"
    sat.faults.add("Descargar", kind)
    with pytest.raises(PackageTransferError) as caught:
        client.descargar(id_paquete, destino=destino)
    error = caught.value
    assert not destino.exists()
    message = str(error)
    assert id_paquete in message
    assert "two downloads" in message and "Nothing was written" in message
    assert error.received > 0
    assert error.kept is not None and Path(error.kept).exists()  # the bytes paid for are kept
    assert [path.name for path in destino.parent.iterdir()] == ["paquete.zip.damaged"]
    # The second (and last) download works.
    client.descargar(id_paquete, destino=destino).raise_for_status()
    assert zipfile.ZipFile(destino).testzip() is None
    assert sat.stats()["downloads"] == {id_paquete: 2}


def test_a_refused_download_writes_nothing(client: SatClient, tmp_path: Path) -> None:
    id_paquete = package_id(client, TipoSolicitud.METADATA)
    client.descargar(id_paquete)
    client.descargar(id_paquete)
    result = client.descargar(id_paquete, destino=tmp_path / "out" / "third.zip")
    assert result.path is None and result.size == 0
    with pytest.raises(DownloadLimitError):
        result.raise_for_status()
    assert not (tmp_path / "out").exists()


def test_an_http_error_while_streaming(client: SatClient, sat: FakeSat, tmp_path: Path) -> None:
    id_paquete = package_id(client, TipoSolicitud.METADATA)
    sat.faults.add("Descargar", "http503")
    with pytest.raises(SatHTTPError) as caught:
        client.descargar(id_paquete, destino=tmp_path / "p.zip")
    assert caught.value.status_code == 503
    assert not (tmp_path / "out").exists()


def test_a_token_refused_while_streaming_is_renewed(
    client: SatClient, sat: FakeSat, tmp_path: Path
) -> None:
    from datetime import timedelta

    id_paquete = package_id(client, TipoSolicitud.METADATA)
    sat.advance(timedelta(minutes=6))
    result = client.descargar(id_paquete, destino=tmp_path / "p.zip").raise_for_status()
    assert result.path is not None and result.path.exists()


def test_two_broken_transfers_keep_both_copies(
    client: SatClient, sat: FakeSat, tmp_path: Path
) -> None:
    id_paquete = package_id(client)
    destino = tmp_path / "out" / "paquete.zip"
    sat.faults.add("Descargar", "reset", times=2)
    for _ in range(2):
        with pytest.raises(PackageTransferError):
            client.descargar(id_paquete, destino=destino)
    kept = sorted(path.name for path in destino.parent.iterdir())
    assert kept == ["paquete.zip.damaged", "paquete.zip.damaged.2"]
    with pytest.raises(DownloadLimitError):
        client.descargar(id_paquete, destino=destino).raise_for_status()


def test_an_interrupted_download_keeps_what_arrived(client: SatClient, tmp_path: Path) -> None:
    """Ctrl-C mid-package: the interrupt goes through, and the bytes paid for stay on disk."""
    id_paquete = package_id(client)
    destino = tmp_path / "out" / "paquete.zip"
    received: list[int] = []

    def interrupt(size: int) -> None:
        received.append(size)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.descargar(id_paquete, destino=destino, progress=interrupt)
    assert not destino.exists()
    kept = destino.with_name("paquete.zip.damaged")
    assert [path.name for path in destino.parent.iterdir()] == [kept.name]
    assert kept.stat().st_size == sum(received) > 0
