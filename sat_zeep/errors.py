"""Every error sat_zeep raises, in one hierarchy.

::

    SatError
    ├── CredentialError             the .cer/.key/password cannot serve (wrong password, CSD…)
    ├── RequestValidationError      parameters SAT would reject, every problem (a ValueError)
    ├── LibraryMismatchError        lxml and xmlsec were built against different libxml2 versions
    ├── SignatureError              a request signature that SAT's rule does not accept (``reason``)
    ├── SatTransportError           no HTTP response at all (DNS, refused, reset)
    │   ├── SatTimeout              connect or read timeout
    │   └── SatCertificateError     the server's HTTPS certificate is not trusted
    ├── SatHTTPError                an HTTP error status without a SOAP fault
    │   ├── SatSoapFault            a SOAP fault (``fault_code`` such as ``a:InvalidSecurity``)
    │   └── SatRedirectError        a 3xx answer (``location``), never followed
    ├── SatResponseError            a response that cannot be understood (``raw`` holds its bytes)
    ├── PackageTransferError        a package download cut short or damaged (nothing at ``destino``)
    │   └── PackageTooLargeError    a package too large to keep in memory: use ``destino``
    ├── DestinationError            the output folder cannot take packages (unwritable, full)
    ├── SyncStateError              the sync's state in the output folder cannot be used
    │   ├── StateOwnerError         it is another taxpayer's (RFC) or service's state
    │   ├── FolderInUseError        another sync holds the folder (``pid``, ``host``, ``since``)
    │   ├── StateDamagedError       missing, empty or corrupt beside packages: rebuild it
    │   └── StateWriteError         it cannot be written (disk full, read-only, I/O error)
    └── SatStatusError              SAT answered, with a status code that is not success
        ├── InvalidUserError (300), MalformedRequestError (301), MalformedSealError (302),
        │   SealMismatchError (303), CertificateRevokedOrExpiredError (304),
        │   InvalidCertificateError (305), UncontrolledSatError (404)
        ├── ThirdPartyNotAuthorizedError (5001), RequestsExhaustedError (5002),
        │   ResultLimitExceededError (5003), NotFoundError (5004), DuplicateRequestError (5005),
        │   SatInternalError (5006), PackageExpiredError (5007), DownloadLimitError (5008),
        │   DailyFolioLimitError (5011), CancelledXmlNotAllowedError (5012)

``SatStatusError`` is raised only by ``raise_for_status()`` on a result: business codes are data.
No message ever contains the e.firma password, the private key or a token.
"""

from __future__ import annotations

from collections.abc import Sequence


class SatError(Exception):
    """Base class of every sat_zeep error."""


class CredentialError(SatError):
    """The e.firma cannot be used: unreadable file, wrong password, mismatch, CSD, expired."""


class RequestValidationError(SatError, ValueError):
    """Request parameters that SAT would reject; ``problems`` lists each one.

    ``cli_problems`` says the same with the command line's advice (``--service retenciones``
    where ``problems`` says ``Endpoints.retenciones()``).
    """

    def __init__(
        self,
        operation: str,
        problems: Sequence[str],
        *,
        cli_problems: Sequence[str] | None = None,
    ) -> None:
        self.operation = operation
        self.problems: tuple[str, ...] = tuple(problems)
        self.cli_problems: tuple[str, ...] = (
            self.problems if cli_problems is None else tuple(cli_problems)
        )
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{operation}: {count} {noun}; nothing was sent to SAT:\n{listing}")


class LibraryMismatchError(SatError, ImportError):
    """lxml and xmlsec link different libxml2 versions, which crashes XML signing."""


class SignatureError(SatError):
    """A signed request that fails SAT's signature rule; ``reason`` names the rule broken.

    Reasons: ``missing`` (no Signature), ``malformed`` (structure or algorithms), ``digest``
    (content changed after signing), ``signature`` (SignatureValue does not verify),
    ``certificate`` (KeyInfo certificate unreadable).
    """

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"request signature rejected ({reason}): {detail}")


class SatTransportError(SatError):
    """The request never got an HTTP response (connection refused, reset, DNS failure…).

    ``reached`` is False when nothing was sent (DNS, refused, TLS handshake, connect timeout):
    SAT cannot have acted on the call.
    """

    def __init__(self, message: str, *, url: str | None = None, reached: bool = True) -> None:
        self.url = url
        self.reached = reached
        super().__init__(message)


class SatTimeout(SatTransportError):
    """SAT did not connect or answer within the configured timeout."""


class SatCertificateError(SatTransportError):
    """The server's HTTPS certificate does not verify (a test server's own CA, a proxy's CA…).

    Trust the CA that issued it: ``transport.session.verify = "ca.pem"`` in Python,
    ``--ca-bundle ca.pem`` on the command line.
    """


class SatHTTPError(SatError):
    """SAT answered with an HTTP error status; ``raw`` holds the response body."""

    def __init__(self, message: str, *, status_code: int, raw: bytes = b"", url: str | None = None):
        self.status_code = status_code
        self.raw = raw
        self.url = url
        super().__init__(message)


class SatRedirectError(SatHTTPError):
    """An answer with a 3xx status: never followed (SAT does not redirect); ``location`` is None
    when the answer names no ``Location``."""

    def __init__(self, status_code: int, location: str | None, *, url: str | None = None) -> None:
        self.location = location
        where = f"to {location[:MAX_FAULT_TEXT]!r}" if location else "with no Location"
        super().__init__(
            f"SAT's address {url} answered HTTP {status_code}, a redirect {where}; SAT never "
            "redirects, so nothing was sent there: check the service URLs and any proxy",
            status_code=status_code,
            url=url,
        )


#: Characters of a fault text quoted in a message; the rest stays in ``fault_string``.
MAX_FAULT_TEXT = 500


class SatSoapFault(SatHTTPError):
    """SAT answered with a SOAP fault, kept as SAT wrote it.

    ``fault_code`` is the qualified code as written (``a:InvalidSecurity``), ``fault_string``
    the text.
    """

    def __init__(
        self,
        fault_code: str,
        fault_string: str,
        *,
        status_code: int,
        raw: bytes = b"",
        url: str | None = None,
    ) -> None:
        self.fault_code = " ".join(fault_code.split())
        self.fault_string = fault_string
        hint = _FAULT_HINTS.get(self.fault_code.rpartition(":")[2], "")
        shown = " ".join(fault_string.split())
        if len(shown) > MAX_FAULT_TEXT:
            omitted = len(shown) - MAX_FAULT_TEXT
            shown = f"{shown[:MAX_FAULT_TEXT]}… [{omitted} more characters]"
        message = f"SOAP fault {self.fault_code}: {shown}" + (f" ({hint})" if hint else "")
        super().__init__(message, status_code=status_code, raw=raw, url=url)


_FAULT_HINTS = {
    "InvalidSecurity": "SAT could not verify the WS-Security header: check that the e.firma is a "
    "valid FIEL (not a CSD), not expired, and that this machine's clock is right",
    "ActionNotSupported": "SAT no longer offers this operation; update sat_zeep",
}


class SatResponseError(SatError):
    """A response that cannot be understood; ``raw`` holds the bytes received."""

    def __init__(self, message: str, *, raw: bytes = b"", url: str | None = None) -> None:
        self.raw = raw
        self.url = url
        super().__init__(message)


class PackageTransferError(SatError):
    """A streamed package that did not arrive whole; nothing was written at its destination.

    ``kept`` is where the bytes that did arrive were kept (or None), ``received`` how many
    package bytes were decoded. The attempt counts as one of the package's two downloads.
    """

    def __init__(
        self, message: str, *, id_paquete: str, received: int = 0, kept: str | None = None
    ) -> None:
        self.id_paquete = id_paquete
        self.received = received
        self.kept = kept
        super().__init__(message)


class PackageTooLargeError(PackageTransferError):
    """A package larger than ``SatClient(max_in_memory=…)``: download it with ``destino``."""


class SatStatusError(SatError):
    """SAT answered a call with a status code other than success.

    Raised only by ``raise_for_status()``. ``code`` is SAT's ``CodEstatus`` (or, for a finished
    verification, ``CodigoEstadoSolicitud``), ``message`` SAT's ``Mensaje``.
    """

    code: int = 0
    advice: str = ""

    def __init__(self, code: int, message: str, *, operation: str = "") -> None:
        self.code = code
        self.message = message
        self.operation = operation
        where = f"{operation}: " if operation else ""
        text = f"{where}SAT answered {code} {message!r}"
        if self.advice:
            text += f"; {self.advice}"
        super().__init__(text)


class InvalidUserError(SatStatusError):
    code = 300
    advice = "the token or the e.firma was not accepted; authenticate again with a valid FIEL"


class MalformedRequestError(SatStatusError):
    code = 301
    advice = "SAT rejected the request's parameters; the message says which"


class MalformedSealError(SatStatusError):
    code = 302
    advice = "the request signature is malformed"


class SealMismatchError(SatStatusError):
    code = 303
    advice = "the signing certificate does not belong to the RFC in the request"


class CertificateRevokedOrExpiredError(SatStatusError):
    code = 304
    advice = "the e.firma is revoked or expired; renew it with SAT"


class InvalidCertificateError(SatStatusError):
    code = 305
    advice = "use the e.firma (FIEL), not a CSD, and a certificate issued by SAT"


class UncontrolledSatError(SatStatusError):
    code = 404
    advice = (
        "an error on SAT's side; retry later (queries only after checking nothing was accepted)"
    )


class ThirdPartyNotAuthorizedError(SatStatusError):
    code = 5001
    advice = "the RFC may download only its own documents"


class RequestsExhaustedError(SatStatusError):
    code = 5002
    advice = "this exact period was already requested twice; shift the period by a second"


class ResultLimitExceededError(SatStatusError):
    code = 5003
    advice = "too many documents for one request; split the period"


class NotFoundError(SatStatusError):
    code = 5004
    advice = "nothing matched, or the id is unknown"


class DuplicateRequestError(SatStatusError):
    code = 5005
    advice = "an active request with the same criteria exists; verify that one instead"


class SatInternalError(SatStatusError):
    code = 5006
    advice = "an internal error at SAT; retry later"


class PackageExpiredError(SatStatusError):
    code = 5007
    advice = "packages live 72 hours; request the period again"


class DownloadLimitError(SatStatusError):
    code = 5008
    advice = "each package may be downloaded only twice"


class DailyFolioLimitError(SatStatusError):
    code = 5011
    advice = "the daily limit of downloads by folio was reached; try again tomorrow"


class CancelledXmlNotAllowedError(SatStatusError):
    code = 5012
    advice = "SAT does not deliver the XML of cancelled documents"


STATUS_ERRORS: dict[int, type[SatStatusError]] = {
    cls.code: cls
    for cls in (
        InvalidUserError,
        MalformedRequestError,
        MalformedSealError,
        SealMismatchError,
        CertificateRevokedOrExpiredError,
        InvalidCertificateError,
        UncontrolledSatError,
        ThirdPartyNotAuthorizedError,
        RequestsExhaustedError,
        ResultLimitExceededError,
        NotFoundError,
        DuplicateRequestError,
        SatInternalError,
        PackageExpiredError,
        DownloadLimitError,
        DailyFolioLimitError,
        CancelledXmlNotAllowedError,
    )
}


def status_error(code: int, message: str, *, operation: str = "") -> SatStatusError:
    """The most specific ``SatStatusError`` for a SAT status code."""
    cls = STATUS_ERRORS.get(code, SatStatusError)
    return cls(code, message, operation=operation)


class DestinationError(SatError):
    """The sync's output folder cannot be written or lacks the free space asked for.

    Raised before anything is sent to SAT, so no download is spent; ``path`` is the folder.
    """

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(message)


class SyncStateError(SatError):
    """The sync's state (``<out>/.sat-zeep-sync.sqlite3``) cannot be used as it is.

    ``path`` is the state file or the folder it concerns. Nothing was sent to SAT.
    """

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(message)


class StateOwnerError(SyncStateError):
    """The folder holds the state of another RFC or service (``rfc``, ``service`` recorded)."""

    def __init__(self, message: str, *, path: str, rfc: str, service: str) -> None:
        self.rfc = rfc
        self.service = service
        super().__init__(message, path=path)


class FolderInUseError(SyncStateError):
    """Another sync holds the output folder's lock: ``pid`` on ``host`` since ``since``."""

    def __init__(self, message: str, *, path: str, pid: int | None, host: str, since: str) -> None:
        self.pid = pid
        self.host = host
        self.since = since
        super().__init__(message, path=path)


class StateDamagedError(SyncStateError):
    """The state is missing, empty or corrupt while the folder shows earlier work."""


class StateWriteError(SyncStateError):
    """The state cannot be written: the disk is full, the folder read-only, an I/O error."""
