"""The base64 step of the streaming download: fast path, line breaks, leftovers, bad text."""

from __future__ import annotations

import base64
import binascii
import os

import pytest

from sat_zeep.download import _decode


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
