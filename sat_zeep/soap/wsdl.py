"""The vendored WSDL files, and zeep documents parsed from them once per process.

The files live in ``wsdl/`` at the top of the repository and ship inside the wheel as
``sat_zeep/soap/wsdl/``. A team that prefers raw zeep loads them directly::

    zeep.Client(sat_zeep.wsdl_path("verificacion"), plugins=[...])
"""

from __future__ import annotations

import enum
import threading
from pathlib import Path
from typing import Any

import zeep
from zeep.wsdl import Document

from ..signing.namespaces import DESCARGA_MASIVA


class Service(str, enum.Enum):
    """SAT's four services, each described by one WSDL file."""

    AUTENTICACION = "autenticacion"
    SOLICITUD = "solicitud"
    VERIFICACION = "verificacion"
    DESCARGA = "descarga"

    @property
    def wsdl_file(self) -> str:
        return _FILES[self]


_FILES = {
    Service.AUTENTICACION: "Autenticacion.wsdl",
    Service.SOLICITUD: "SolicitaDescargaService.wsdl",
    Service.VERIFICACION: "VerificaSolicitudDescargaService.wsdl",
    Service.DESCARGA: "DescargaMasivaService.wsdl",
}


def wsdl_directory() -> Path:
    """The folder holding the WSDL files: inside the installed package, or the repository's."""
    here = Path(__file__).resolve().parent
    installed, repository = here / "wsdl", here.parents[1] / "wsdl"
    for candidate in (installed, repository):
        if (candidate / _FILES[Service.AUTENTICACION]).is_file():
            return candidate
    raise FileNotFoundError(
        f"sat_zeep's WSDL files are missing (looked in {installed} and {repository}); "
        "reinstall the package"
    )


def wsdl_path(service: Service | str) -> Path:
    """The path of one service's WSDL, e.g. ``wsdl_path("solicitud")``."""
    return wsdl_directory() / Service(service).wsdl_file


def zeep_settings() -> zeep.Settings:
    """The settings every sat_zeep zeep client uses.

    Huge trees: a package's base64 text exceeds libxml2's 10 MB node limit. DTDs, entities and
    external references are refused. Strict parsing: lxml's recovery mode would turn a truncated
    answer (a package cut short) into a "valid" shorter one, so broken XML is an error instead.
    """
    return zeep.Settings(
        strict=True,
        xml_huge_tree=True,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
        raw_response=True,
    )


_documents: dict[Service, Any] = {}
_documents_lock = threading.Lock()


def load_document(service: Service | str) -> Any:
    """The parsed ``zeep.wsdl.Document`` of a service, cached: the files never change at runtime."""
    key = Service(service)
    with _documents_lock:
        document = _documents.get(key)
        if document is None:
            document = Document(str(wsdl_path(key)), zeep.Transport(), settings=zeep_settings())
            document.types.set_ns_prefix("des", DESCARGA_MASIVA)
            _documents[key] = document
        return document
