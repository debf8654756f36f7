"""``FakeSat``: the fake SAT served over real HTTP(S) by cheroot, a threaded WSGI server.

    with FakeSat() as sat:
        credential = sat.issue_fiel("AAA010101AAA")
        client = SatClient(credential.fiel(), sat.endpoints("cfdi"))
        ...
        sat.advance(timedelta(hours=73))      # packages expire
        assert sat.stats()["downloads"] == {...}

The state directory holds the CA (``ca.cer``, ``ca.pem``, ``ca.key``), the token secret and the
packages; a server started again on the same directory trusts the same e.firmas.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import zeep
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ...client.sat_client import SatClient
from ...signing.fiel import Fiel
from ...soap.endpoints import Endpoints, ServiceType
from ...soap.transport import default_transport
from ..certificates import IssuedCredential, TestCertificateAuthority
from .app import Clock, FakeSatApp
from .faults import FaultPlan
from .ledger import Ledger, LedgerConfig
from .tokens import TokenIssuer
from .universe import Universe

logger = logging.getLogger("sat_zeep.fake_sat")

CA_NAME = "sat_zeep fake SAT CA"


class FakeSat:
    """A running fake SAT server (start it with ``with`` or ``start()``)."""

    def __init__(
        self,
        state_dir: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        admin: bool = False,
        config: LedgerConfig | None = None,
        seed: int = 0,
        documents_per_day: float = 20.0,
        padding: int = 0,
        shape: str = "plain",
        faults: FaultPlan | None = None,
        token_lifetime: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] | None = None,
        trust_anchors: Sequence[x509.Certificate] = (),
        threads: int = 16,
    ) -> None:
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="fake-sat-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.ca = load_or_create_ca(self.state_dir)
        self.clock = Clock(source=clock or (lambda: datetime.now(timezone.utc)))
        self.faults = faults or FaultPlan()
        self.ledger = Ledger(
            Universe(seed=seed, documents_per_day=documents_per_day, padding=padding, shape=shape),
            self.state_dir / "packages",
            self.clock,
            config,
        )
        self.app = FakeSatApp(
            ledger=self.ledger,
            tokens=TokenIssuer(_token_secret(self.state_dir), token_lifetime),
            trust_anchors=[self.ca.certificate, *trust_anchors],
            clock=self.clock,
            faults=self.faults,
            admin=admin,
        )
        self.host, self._port, self.tls, self._threads = host, port, tls, threads
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> FakeSat:
        """Bind and serve in a background thread; returns once the port is open."""
        server = wsgi.Server((self.host, self._port), self.app, numthreads=self._threads)
        server.error_log = _quiet_error_log  # type: ignore[method-assign]
        if self.tls:
            certificate, key = self._tls_files()
            server.ssl_adapter = BuiltinSSLAdapter(str(certificate), str(key))
        server.prepare()
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="fake-sat", daemon=True)
        self._thread.start()
        logger.info("fake SAT listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving; a temporary state directory is removed."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> FakeSat:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until the server stops (for the command line)."""
        if self._thread is not None:
            self._thread.join()

    # -- what tests use -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake SAT is not running; call start() or use it in a with")
        return int(self._server.bind_addr[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https`` with ``tls=True``)."""
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def ca_pem(self) -> Path:
        """The CA certificate in PEM, for HTTPS clients (``verify=sat.ca_pem``)."""
        return self.state_dir / "ca.pem"

    def endpoints(self, service: ServiceType | str = ServiceType.CFDI) -> Endpoints:
        """The four URLs of this server for CFDI or Retenciones."""
        return Endpoints.from_base_url(self.base_url, service)

    def transport(self) -> zeep.Transport:
        """A zeep transport for this server: with ``tls=True`` it trusts the fake CA.

        requests lets ``REQUESTS_CA_BUNDLE`` override a session's ``verify``; this session
        ignores the environment so that the CA given here is the one used.
        """
        transport = default_transport()
        if self.tls:
            transport.session.trust_env = False
            transport.session.verify = str(self.ca_pem)
        return transport

    def client(
        self, fiel: Fiel, service: ServiceType | str = ServiceType.CFDI, **options: Any
    ) -> SatClient:
        """A ``SatClient`` for ``fiel`` pointed at this server, on the server's clock.

        The client's timestamps follow ``advance()``, so a test that moves the server's clock
        73 hours on still authenticates (pass ``clock=`` to test a client whose clock is off).
        """
        options.setdefault("clock", self.now)
        return SatClient(fiel, self.endpoints(service), transport=self.transport(), **options)

    def issue_fiel(self, rfc: str, **options: Any) -> IssuedCredential:
        """A new e.firma for ``rfc`` that this server trusts (see ``issue_fiel`` of the CA)."""
        return self.ca.issue_fiel(rfc, **options)

    def issue_csd(self, rfc: str, **options: Any) -> IssuedCredential:
        """A seal certificate (CSD), which the server refuses as SAT does."""
        return self.ca.issue_csd(rfc, **options)

    def now(self) -> datetime:
        """The server's clock."""
        return self.clock()

    def advance(self, delta: timedelta) -> None:
        """Move the server's clock forward (token expiry, the 72-hour package life)."""
        self.clock.advance(delta)

    def stats(self) -> dict[str, Any]:
        """Calls, rejections by code, downloads per package, tokens issued."""
        return self.app.stats()

    # -- TLS ----------------------------------------------------------------------------------

    def _tls_files(self) -> tuple[Path, Path]:
        certificate_path = self.state_dir / "server.pem"
        key_path = self.state_dir / "server.key"
        if not certificate_path.exists() or not key_path.exists():
            certificate, key = issue_server_certificate(self.ca, self.host)
            key_path.write_bytes(key)
            key_path.chmod(0o600)
            certificate_path.write_bytes(certificate)
        return certificate_path, key_path


def issue_server_certificate(ca: TestCertificateAuthority, host: str) -> tuple[bytes, bytes]:
    """A TLS server certificate (PEM) and unencrypted key (PEM) for ``host`` and localhost."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for address in {host, "127.0.0.1", "::1"}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake SAT")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca.signing_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def load_or_create_ca(directory: Path) -> TestCertificateAuthority:
    """The CA kept in ``directory``, created (and saved there) the first time."""
    if (directory / "ca.cer").exists() and (directory / "ca.key").exists():
        return TestCertificateAuthority.load(directory)
    ca = TestCertificateAuthority.create(CA_NAME)
    ca.save(directory)
    return ca


def _token_secret(directory: Path) -> bytes:
    path = directory / "token.secret"
    if path.exists():
        return path.read_bytes()
    secret = secrets.token_bytes(32)
    path.write_bytes(secret)
    path.chmod(0o600)
    return secret


def _quiet_error_log(msg: str = "", level: int = 20, traceback: bool = False) -> None:
    del level
    # Injected connection resets raise inside the response on purpose; keep them out of stderr.
    logger.debug("cheroot: %s", msg, exc_info=traceback)
