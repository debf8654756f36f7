"""sat_zeep: a zeep client for SAT's Descarga Masiva de CFDI y Retenciones.

from sat_zeep import Fiel, SatClient, TipoSolicitud

with SatClient(Fiel.from_files("FIEL.cer", "FIEL.key", password)) as client:
    client.solicita_descarga_emitidos(inicio, fin, TipoSolicitud.METADATA).raise_for_status()
"""

from .client.codes import (
    CodEstatus,
    EstadoComprobante,
    EstadoSolicitud,
    TipoComprobante,
    TipoSolicitud,
)
from .client.models import (
    DescargarResult,
    SatResult,
    SolicitaDescargaResult,
    Token,
    VerificaSolicitudDescargaResult,
)
from .client.sat_client import FIEL_RFC, SatClient
from .errors import (
    CancelledXmlNotAllowedError,
    CertificateRevokedOrExpiredError,
    CredentialError,
    DailyFolioLimitError,
    DownloadLimitError,
    DuplicateRequestError,
    InvalidCertificateError,
    InvalidUserError,
    LibraryMismatchError,
    MalformedRequestError,
    MalformedSealError,
    NotFoundError,
    PackageExpiredError,
    PackageTooLargeError,
    PackageTransferError,
    RequestsExhaustedError,
    RequestValidationError,
    ResultLimitExceededError,
    SatCertificateError,
    SatError,
    SatHTTPError,
    SatInternalError,
    SatRedirectError,
    SatResponseError,
    SatSoapFault,
    SatStatusError,
    SatTimeout,
    SatTransportError,
    SealMismatchError,
    SignatureError,
    ThirdPartyNotAuthorizedError,
    UncontrolledSatError,
)
from .signing.fiel import Fiel
from .soap.endpoints import Endpoints, ServiceType
from .soap.wsdl import Service, wsdl_path
from .testing.mock_transport import MockTransport

__version__ = "0.1.0"

__all__ = [
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
]
