"""The streaming download's pieces: base64 (fast path, line breaks, bad text) and the framing."""

from __future__ import annotations

import base64
import binascii
import io
import os
import time
from pathlib import Path

import pytest
import requests

from sat_zeep.errors import SatResponseError
from sat_zeep.packages.download import FileSink, _decode, find_paquete, save_package


def test_whole_groups_decode_and_the_rest_is_carried() -> None:
    data = os.urandom(1000)
    text = base64.b64encode(data)
    decoded, carry = _decode(text[:1001])
    assert carry == text[1000:1001]
    assert decoded + _decode(carry + text[1001:])[0] == data


def test_line_breaks_are_allowed() -> None:
    data = os.urandom(3000)
    wrapped = base64.encodebytes(data)  # 76-character lines
    decoded, carry = _decode(wrapped)
    assert carry == b""
    assert decoded == data


@pytest.mark.parametrize("stray", [b"*", b"\x00", b"-", b"_", b"="])
def test_a_character_outside_base64_is_refused(stray: bytes) -> None:
    """Not only junk: URL-safe letters and padding in the middle are refused too."""
    text = bytearray(base64.b64encode(os.urandom(300)))
    text[100:101] = stray
    with pytest.raises(binascii.Error):
        _decode(bytes(text))


def test_padding_ends_the_text() -> None:
    assert _decode(b"QUI=")[0] == b"AB"
    with pytest.raises(binascii.Error):
        _decode(b"QUI=QUJD")


def _answer(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code, response.url = 200, "https://sat.example/Descargar"
    response.raw = io.BytesIO(body)
    return response


def test_a_malformed_header_before_the_package_is_a_sat_response_error(tmp_path: Path) -> None:
    body = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        b'<h:respuesta xmlns:h="http://DescargaMasivaTerceros.sat.gob.mx" CodEstatus=5000/>'
        b"</s:Header><s:Body><RespuestaDescargaMasivaTercerosSalida><Paquete>UEsFBg==</Paquete>"
    )
    response = _answer(body)
    found = find_paquete(response, "X_01", time.monotonic() + 60, 60)
    assert found is not None
    with pytest.raises(SatResponseError, match="not valid XML before the package") as caught:
        save_package(response, *found, FileSink(tmp_path / "p.zip"), id_paquete="X_01")
    assert b"CodEstatus=5000" in caught.value.raw
    assert list(tmp_path.iterdir()) == []
