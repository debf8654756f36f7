"""Inflate a ZIP entry whose size is known, and CRC-32: libdeflate when installed, else zlib.

::

    plain = inflate_exact(raw_deflate_bytes, declared_size)   # zlib.error unless exactly that
    crc = crc32(plain)

libdeflate (the ``deflate`` package: ``pip install 'sat-zeep[fast]'``) inflates a whole buffer
about twice as fast as zlib (``benchmarks/zip_check.py`` and ``cfdi_summaries.py`` print both);
it needs the whole compressed entry and the output size, which a ZIP's directory gives. Without
it, zlib does the same job. Either way the result is exactly ``size`` bytes or ``zlib.error``:
never more is inflated than was declared.
"""

from __future__ import annotations

import importlib
import zlib
from typing import Any

__all__ = ["FAST_INFLATE", "crc32", "inflate_exact"]

Buffer = bytes | bytearray | memoryview

_deflate: Any
try:
    _deflate = importlib.import_module("deflate")
except ImportError:  # the optional extra is not installed: zlib does it
    _deflate = None

#: Which library inflates: ``"libdeflate"`` or ``"zlib"``.
FAST_INFLATE = "zlib" if _deflate is None else "libdeflate"


def _inflate_zlib(data: Buffer, size: int) -> bytes:
    inflater = zlib.decompressobj(-15)
    plain = inflater.decompress(data, size)  # never more than the declared size
    if len(plain) != size:
        raise zlib.error(f"the entry inflates to {len(plain):,} bytes, not the declared {size:,}")
    if not inflater.eof and inflater.decompress(inflater.unconsumed_tail, 1):
        raise zlib.error(f"the entry inflates to more than its declared {size:,} bytes")
    return plain


def _inflate_libdeflate(data: Buffer, size: int) -> bytes:
    if not size:
        return _inflate_zlib(data, size)  # (libdeflate reads a size of 0 as "any")
    try:
        plain = _deflate.deflate_decompress(data, size)  # at most ``size`` bytes
    except _deflate.DeflateError as error:
        raise zlib.error(f"the entry does not inflate to its declared {size:,} bytes") from error
    if len(plain) != size:
        raise zlib.error(f"the entry inflates to {len(plain):,} bytes, not the declared {size:,}")
    return bytes(plain)


if _deflate is None:
    inflate_exact = _inflate_zlib
    crc32 = zlib.crc32
else:
    inflate_exact = _inflate_libdeflate
    crc32 = _deflate.crc32
