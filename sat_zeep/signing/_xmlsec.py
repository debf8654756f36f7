"""Import xmlsec only after checking that it and lxml share one libxml2.

Two copies of libxml2 in one process corrupt each other's memory; the symptom in the wild is a
crash at import or at the first signature. We refuse to go on instead.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..errors import LibraryMismatchError

#: The pair pinned in pyproject.toml; both wheels carry libxml2 2.14.6.
PINNED = "lxml==6.1.3 xmlsec==1.3.17"


def _version(parts: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in parts)


def check_libxml_versions(lxml_libxml: tuple[int, ...], xmlsec_libxml: tuple[int, ...]) -> None:
    """Raise ``LibraryMismatchError`` when the two libxml2 versions differ."""
    if tuple(lxml_libxml) != tuple(xmlsec_libxml):
        raise LibraryMismatchError(
            f"lxml runs on libxml2 {_version(lxml_libxml)} but xmlsec on libxml2 "
            f"{_version(xmlsec_libxml)}; XML signing would crash. Install the matching pair: "
            f"pip install --force-reinstall {PINNED}"
        )


def load_xmlsec() -> Any:
    """The ``xmlsec`` module, once its libxml2 is known to match lxml's."""
    import xmlsec

    check_libxml_versions(etree.LIBXML_VERSION, xmlsec.get_libxml_version())
    return xmlsec
