"""What a user installs: the wheel carries the WSDLs and py.typed, and xmlsec matches lxml."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder

from sat_zeep.errors import LibraryMismatchError, SatError
from sat_zeep.signing._xmlsec import PINNED, check_libxml_versions, load_xmlsec

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_the_wsdls_and_py_typed(tmp_path: Path) -> None:
    builder = WheelBuilder(str(ROOT))
    wheel = Path(next(iter(builder.build(directory=str(tmp_path), versions=["standard"]))))
    names = set(zipfile.ZipFile(wheel).namelist())
    for wsdl in sorted((ROOT / "wsdl").glob("*.wsdl")):
        assert f"sat_zeep/soap/wsdl/{wsdl.name}" in names
    assert len([name for name in names if name.endswith(".wsdl")]) == 4
    assert "sat_zeep/py.typed" in names
    assert not any(name.startswith("tests/") for name in names)


def test_the_installed_package_finds_its_own_wsdls(tmp_path: Path) -> None:
    builder = WheelBuilder(str(ROOT))
    wheel = Path(next(iter(builder.build(directory=str(tmp_path), versions=["standard"]))))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    found = subprocess.run(
        [sys.executable, "-c", "import sat_zeep; print(sat_zeep.wsdl_path('solicitud'))"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(found) == site / "sat_zeep" / "soap" / "wsdl" / Path(found).name
    assert Path(found).is_file()


def test_mismatched_libxml2_is_refused_with_the_versions_to_install() -> None:
    with pytest.raises(LibraryMismatchError) as caught:
        check_libxml_versions((2, 14, 6), (2, 12, 9))
    message = str(caught.value)
    assert "2.14.6" in message
    assert "2.12.9" in message
    assert PINNED in message
    assert isinstance(caught.value, SatError)
    assert isinstance(caught.value, ImportError)


def test_installed_lxml_and_xmlsec_agree() -> None:
    xmlsec = load_xmlsec()
    assert xmlsec.get_libxml_version() == __import__("lxml.etree").etree.LIBXML_VERSION
