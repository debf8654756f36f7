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


def test_a_character_outside_base64_is_refused() -> None:
    text = bytearray(base64.b64encode(os.urandom(300)))
    text[100] = ord("*")
    with pytest.raises(binascii.Error):
        _decode(bytes(text))
