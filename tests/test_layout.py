"""The package's layout: the public names stay, the top level stays small, imports go downward.

The layers, lowest first (a layer may import only those listed for it)::

    errors                      the one exception hierarchy
    signing                     e.firma and the two signatures, pure functions over lxml
    soap                        WSDLs, envelopes, transport, port, zeep plugins
    packages                    Descargar streamed, ZIP handling (archive/), readers, exports
    client                      SatClient, parameters, models, codes
    sync                        the per-folder sync, the fleet, their databases
    catalog                     the document catalog, fed by the sync
    testing                     fake SAT, test certificates, pytest plugin
    cli                         the ``sat-zeep`` command, imported by nothing else
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import sat_zeep

PACKAGE = Path(sat_zeep.__file__).parent

LOWER: dict[str, set[str]] = {
    "errors": set(),
    "signing": {"errors"},
    "soap": {"signing", "errors"},
    "plugins": {"soap"},
    "packages": {"soap", "signing", "errors"},
    "client": {"packages", "soap", "plugins", "signing", "errors"},
    "sync": {"client", "packages", "soap", "signing", "errors"},
    "catalog": {"sync", "client", "packages", "soap", "signing", "errors"},
    "testing": {"client", "packages", "soap", "signing", "errors"},
}
LOWER["__init__"] = set(LOWER) - {"__init__"}
LOWER["cli"] = set(LOWER)

#: The public API as the README documents it (``from sat_zeep import …`` and three modules).
PUBLIC: dict[str, list[str]] = {
    "sat_zeep": [
        "FIEL_RFC",
        "CancelledXmlNotAllowedError",
        "CertificateRevokedOrExpiredError",
        "CodEstatus",
        "CredentialError",
        "DailyFolioLimitError",
        "DescargarResult",
        "DownloadLimitError",
        "DuplicateRequestError",
        "Endpoints",
        "EstadoComprobante",
        "EstadoSolicitud",
        "Fiel",
        "InvalidCertificateError",
        "InvalidUserError",
        "LibraryMismatchError",
        "MalformedRequestError",
        "MalformedSealError",
        "MockTransport",
        "NotFoundError",
        "PackageExpiredError",
        "PackageTooLargeError",
        "PackageTransferError",
        "RequestValidationError",
        "RequestsExhaustedError",
        "ResultLimitExceededError",
        "SatCertificateError",
        "SatClient",
        "SatError",
        "SatHTTPError",
        "SatInternalError",
        "SatRedirectError",
        "SatResponseError",
        "SatResult",
        "SatSoapFault",
        "SatStatusError",
        "SatTimeout",
        "SatTransportError",
        "SealMismatchError",
        "Service",
        "ServiceType",
        "SignatureError",
        "SolicitaDescargaResult",
        "ThirdPartyNotAuthorizedError",
        "TipoComprobante",
        "TipoSolicitud",
        "Token",
        "UncontrolledSatError",
        "VerificaSolicitudDescargaResult",
        "__version__",
        "wsdl_path",
    ],
    "sat_zeep.plugins": [
        "RequestSigningPlugin",
        "WrapAuthorizationPlugin",
        "WsSecurityPlugin",
        "utc_now",
        "wrap_authorization",
    ],
    "sat_zeep.packages": [
        "CFDI_COLUMNS",
        "CfdiDocument",
        "CfdiMetadata",
        "CfdiSummary",
        "CompressionBombError",
        "CorruptPackageError",
        "EntryTooLargeError",
        "Estatus",
        "ExportError",
        "MalformedDocumentError",
        "MalformedDocumentWarning",
        "MalformedRowError",
        "MalformedRowWarning",
        "MetadataRow",
        "PackageContentError",
        "PackageEntry",
        "PackageError",
        "PackageWarning",
        "ParquetUnavailableError",
        "RawTable",
        "RetencionesMetadata",
        "SafeZip",
        "SkippedEntryWarning",
        "TooManyEntriesError",
        "UnsafeEntryNameError",
        "UnsafePackageError",
        "ZipLayoutError",
        "ZipLimits",
        "export_package",
        "export_packages",
        "export_records",
        "iter_cfdi",
        "iter_cfdi_metadata",
        "iter_cfdi_summaries",
        "iter_metadata",
        "iter_raw_rows",
        "iter_raw_tables",
        "iter_retenciones_metadata",
        "map_packages",
        "open_package",
        "summarize_packages",
        "summarize_xml",
        "write_csv",
        "write_jsonl",
        "write_parquet",
    ],
    "sat_zeep.testing": [
        "FakeSat",
        "FaultPlan",
        "IssuedCredential",
        "LedgerConfig",
        "MockTransport",
        "PostgresServer",
        "SoapRequest",
        "SoapResponse",
        "TestCertificateAuthority",
    ],
}


def layer_of(module: str) -> str:
    """``sat_zeep.sync.fleet.store`` -> ``sync``; ``sat_zeep`` itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every ``sat_zeep`` module ``source`` imports, anywhere (in functions, TYPE_CHECKING too)."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module is None:
                found.update(f"{target}.{alias.name}" for alias in node.names)
            else:
                found.add(target)
    return {name for name in found if name == "sat_zeep" or name.startswith("sat_zeep.")}


def upward_imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """The imports of ``module`` that reach a layer it may not use."""
    here = layer_of(module)
    return {
        name
        for name in imported_modules(source, module, is_package)
        if layer_of(name) != here and layer_of(name) not in LOWER[here]
    }


def test_the_top_level_holds_at_most_a_dozen_entries() -> None:
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= 12, entries
    assert set(entries) == {*LOWER, "__init__.py", "errors.py", "plugins.py", "py.typed"} - {
        "__init__",
        "errors",
        "plugins",
    }


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_go_only_to_lower_layers(path: Path) -> None:
    module = module_name(path)
    upward = upward_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert not upward, f"{module} ({layer_of(module)}) must not import {sorted(upward)}"


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("sat_zeep.signing.fiel", "from ..client.sat_client import SatClient"),
        ("sat_zeep.soap.port", "def later():\n    from ..sync import engine"),
        ("sat_zeep.sync.engine", "from ..cli.exit_codes import ExitCode"),
        ("sat_zeep.packages.cfdi", "import sat_zeep.client.models"),
        ("sat_zeep.client.models", "from .. import catalog"),
    ],
)
def test_an_upward_import_is_caught(module: str, source: str) -> None:
    assert upward_imports(source, module)


def test_a_downward_import_passes() -> None:
    steps = "sat_zeep.sync.fleet.steps"
    assert not upward_imports("from ...client.codes import TipoSolicitud", steps)
    assert not upward_imports("from ..errors import SatError", "sat_zeep.signing.fiel")


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_public_package_exports_exactly_the_documented_names(name: str) -> None:
    module = importlib.import_module(name)
    assert list(module.__all__) == PUBLIC[name]
    for member in module.__all__:
        assert getattr(module, member) is not None, f"{name}.{member}"
