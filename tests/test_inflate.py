"""Both inflaters (libdeflate if installed, zlib) give exactly the declared bytes or zlib.error."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pytest

from sat_zeep.packages import CorruptPackageError, iter_cfdi
from sat_zeep.packages.archive import inflate
from sat_zeep.packages.archive import safe_reader as zipsafe

from .packages.conftest import make_zip
from .packages.test_cfdi import CFDI33

INFLATERS: list[Callable[[bytes, int], bytes]] = [inflate._inflate_zlib]
if inflate._deflate is not None:
    INFLATERS.append(inflate._inflate_libdeflate)


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("inflate_exact", INFLATERS)
def test_exactly_the_declared_size_or_an_error(
    inflate_exact: Callable[[bytes, int], bytes],
) -> None:
    plain = b"<cfdi:Comprobante/>" * 500
    packed = raw_deflate(plain)
    assert inflate_exact(packed, len(plain)) == plain
    assert isinstance(inflate_exact(packed, len(plain)), bytes)
    for wrong in (len(plain) - 1, len(plain) + 1, 0):
        with pytest.raises(zlib.error):
            inflate_exact(packed, wrong)
    with pytest.raises(zlib.error):
        inflate_exact(b"\xff\xfe not deflate", 100)


@pytest.mark.parametrize("inflate_exact", INFLATERS)
def test_a_damaged_entry_is_a_corrupt_package(
    monkeypatch: pytest.MonkeyPatch, inflate_exact: Callable[[bytes, int], bytes]
) -> None:
    monkeypatch.setattr(zipsafe, "inflate_exact", inflate_exact)
    package = bytearray(make_zip({"A.xml": CFDI33}))
    assert [d.summary.version for d in iter_cfdi(bytes(package))] == ["3.3"]
    start = package.index(b"A.xml") + len(b"A.xml") + 10  # inside the deflated data
    package[start] ^= 0xFF
    with pytest.raises(CorruptPackageError, match=r"A\.xml"):
        list(iter_cfdi(bytes(package)))


def test_crc32_agrees_with_zlib() -> None:
    data = bytes(range(256)) * 100
    assert inflate.crc32(data) == zlib.crc32(data)
    assert inflate.crc32(data[100:], inflate.crc32(data[:100])) == zlib.crc32(data)
