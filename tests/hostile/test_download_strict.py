"""Streamed and in-memory downloads are equally strict: no DTD, exactly one Paquete, nothing
written unless SAT accepted, bad base64 an error, and a package too big for memory refused."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from sat_zeep.errors import (
    PackageTooLargeError,
    PackageTransferError,
    SatResponseError,
)
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.transport import default_transport

from .server import (
    CLOSING,
    counting,
    descarga_body,
    descarga_head,
    reply,
    streamed,
    talking_to,
    zip_of,
)

ID_PAQUETE = "2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01"
PACKAGE = zip_of(3000)
TEXT = base64.b64encode(PACKAGE)
DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY big "'
    + b"x" * 1000
    + b'"><!ENTITY e "&big;&big;&big;">]>'
)
BOTH = pytest.mark.parametrize("to_file", [False, True], ids=["in-memory", "streamed"])


def destino(tmp_path: Path, to_file: bool) -> Path | None:
    return tmp_path / "out" / "p.zip" if to_file else None


def nothing_written(tmp_path: Path) -> bool:
    out = tmp_path / "out"
    return not out.exists() or list(out.iterdir()) == []


@BOTH
def test_an_answer_with_a_dtd_is_refused(fiel: Fiel, tmp_path: Path, to_file: bool) -> None:
    body = DOCTYPE + descarga_body(PACKAGE).replace(
        b'Mensaje="Solicitud Aceptada"', b'Mensaje="&e;"'
    )
    with (
        talking_to(fiel, {"Descargar": reply(200, body)}) as (_, client),
        pytest.raises(SatResponseError, match=r"DTD|entit|not valid XML"),
    ):
        client.descargar(ID_PAQUETE, destino=destino(tmp_path, to_file))
    assert nothing_written(tmp_path)


@BOTH
def test_two_paquetes_are_refused(fiel: Fiel, tmp_path: Path, to_file: bool) -> None:
    other = base64.b64encode(zip_of(2000, seed=1))
    body = descarga_head() + b"<Paquete>" + TEXT + b"</Paquete><Paquete>" + other
    body += b"</Paquete>" + CLOSING
    with (
        talking_to(fiel, {"Descargar": reply(200, body)}) as (_, client),
        pytest.raises((PackageTransferError, SatResponseError), match="more than one Paquete"),
    ):
        client.descargar(ID_PAQUETE, destino=destino(tmp_path, to_file))
    assert not (tmp_path / "out" / "p.zip").exists()


@BOTH
def test_a_package_is_never_written_when_sat_did_not_accept(
    fiel: Fiel, tmp_path: Path, to_file: bool
) -> None:
    body = descarga_body(PACKAGE, code="5008")
    with talking_to(fiel, {"Descargar": reply(200, body)}) as (_, client):
        result = client.descargar(ID_PAQUETE, destino=destino(tmp_path, to_file))
    assert int(result.cod_estatus) == 5008
    assert result.paquete is None and result.path is None and result.size == 0
    assert nothing_written(tmp_path)


@BOTH
@pytest.mark.parametrize("bad", [b"*", b"-", b"=", b"\x00"])
def test_bad_base64_is_an_error(fiel: Fiel, tmp_path: Path, to_file: bool, bad: bytes) -> None:
    text = TEXT[:400] + bad + TEXT[401:]
    body = descarga_body(PACKAGE, text=text)
    with (
        talking_to(fiel, {"Descargar": reply(200, body)}) as (_, client),
        pytest.raises(PackageTransferError, match="base64"),
    ):
        client.descargar(ID_PAQUETE, destino=destino(tmp_path, to_file))
    assert not (tmp_path / "out" / "p.zip").exists()


@BOTH
def test_an_accepted_answer_without_a_package_is_an_error(
    fiel: Fiel, tmp_path: Path, to_file: bool
) -> None:
    body = descarga_head() + CLOSING
    with (
        talking_to(fiel, {"Descargar": reply(200, body)}) as (_, client),
        pytest.raises(SatResponseError, match="no package"),
    ):
        client.descargar(ID_PAQUETE, destino=destino(tmp_path, to_file))
    assert nothing_written(tmp_path)


def test_a_good_package_arrives_the_same_both_ways(fiel: Fiel, tmp_path: Path) -> None:
    with talking_to(fiel, {"Descargar": reply(200, descarga_body(PACKAGE))}) as (_, client):
        in_memory = client.descargar(ID_PAQUETE).raise_for_status()
        on_disk = client.descargar(ID_PAQUETE, destino=tmp_path / "p.zip").raise_for_status()
    assert in_memory.paquete == PACKAGE == (tmp_path / "p.zip").read_bytes()
    assert in_memory.sha256 == on_disk.sha256 and in_memory.size == on_disk.size == len(PACKAGE)


def test_a_package_announced_too_big_for_memory_is_refused_before_it_is_read(
    fiel: Fiel,
) -> None:
    body = descarga_body(zip_of(4 << 20))
    transport = default_transport()
    adapter = counting(transport)
    with (
        talking_to(
            fiel, {"Descargar": reply(200, body)}, transport=transport, max_in_memory=1 << 20
        ) as (_, client),
        pytest.raises(PackageTooLargeError, match="destino") as caught,
    ):
        client.descargar(ID_PAQUETE)
    assert "announces" in str(caught.value)
    assert adapter.bytes_read() == 0


def test_a_package_too_big_for_memory_is_refused_once_it_passes_the_cap(fiel: Fiel) -> None:
    """No Content-Length: refused as soon as the decoded bytes pass the cap."""
    text = base64.b64encode(zip_of(8 << 20))
    parts = [descarga_head(), b"<Paquete>"]
    parts += [text[i : i + 65536] for i in range(0, len(text), 65536)]
    parts += [b"</Paquete>", CLOSING]
    transport = default_transport()
    adapter = counting(transport)
    with (
        talking_to(
            fiel, {"Descargar": streamed(200, parts)}, transport=transport, max_in_memory=1 << 20
        ) as (_, client),
        pytest.raises(PackageTooLargeError, match="destino"),
    ):
        client.descargar(ID_PAQUETE)
    assert adapter.bytes_read() < 3 << 20
