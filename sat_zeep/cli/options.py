"""The options every SAT command shares, and the ``SatClient`` they describe.

The e.firma password never comes from the command line: it is read from an environment variable
(``--password-env``, default ``SAT_ZEEP_PASSWORD``), from ``--password-file``, or from a hidden
prompt when stdin is a terminal.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from ..client.sat_client import SatClient
from ..errors import CredentialError
from ..signing.fiel import Fiel
from ..soap.endpoints import Endpoints, ServiceType
from ..soap.transport import SatTransport, default_transport
from .redact import SecretFilter, log_answer, log_exchange, verbose_logging
from .tokens import TokenFile

PASSWORD_ENV = "SAT_ZEEP_PASSWORD"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    """What the shared options asked for."""

    cer: Path | None
    key: Path | None
    efirma: Path | None
    password_env: str
    password_file: Path | None
    service: ServiceType
    base_url: str | None
    ca_bundle: Path | None
    token_file: Path | None
    verbose: bool
    json: bool

    def endpoints(self) -> Endpoints:
        """The fake SAT at ``--base-url``, else SAT's production URLs."""
        if self.base_url:
            return Endpoints.from_base_url(self.base_url, self.service)
        if self.service is ServiceType.RETENCIONES:
            return Endpoints.retenciones()
        return Endpoints.cfdi()


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OPTIONS: tuple[Callable[[F], F], ...] = (
    click.option("--cer", type=_FILE, help="The e.firma certificate (.cer)."),
    click.option("--key", type=_FILE, help="The e.firma private key (.key)."),
    click.option(
        "--efirma",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="A folder holding exactly one .cer and one .key (instead of --cer/--key).",
    ),
    click.option(
        "--password-env",
        default=PASSWORD_ENV,
        show_default=True,
        metavar="NAME",
        help="Environment variable holding the e.firma password.",
    ),
    click.option("--password-file", type=_FILE, help="File holding the e.firma password."),
    click.option(
        "--service",
        type=click.Choice([kind.value for kind in ServiceType]),
        default=ServiceType.CFDI.value,
        show_default=True,
        help="CFDI or Retenciones.",
    ),
    click.option("--base-url", metavar="URL", help="Another SAT (a fake SAT); default: SAT."),
    click.option("--ca-bundle", type=_FILE, help="CA certificates (PEM) to trust for HTTPS."),
    click.option(
        "--token-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Reuse the token kept in this file, and keep the current one there (mode 0600).",
    ),
    click.option("--verbose", is_flag=True, help="Log SOAP traffic (secrets redacted) to stderr."),
    click.option("--json", "json_output", is_flag=True, help="One JSON object per line."),
)


def sat_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options; the command receives them as ``settings: Settings``."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        settings = Settings(
            cer=kwargs.pop("cer"),
            key=kwargs.pop("key"),
            efirma=kwargs.pop("efirma"),
            password_env=kwargs.pop("password_env"),
            password_file=kwargs.pop("password_file"),
            service=ServiceType(kwargs.pop("service")),
            base_url=kwargs.pop("base_url"),
            ca_bundle=kwargs.pop("ca_bundle"),
            token_file=kwargs.pop("token_file"),
            verbose=kwargs.pop("verbose"),
            json=kwargs.pop("json_output"),
        )
        return command(settings=settings, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated


def efirma_files(settings: Settings) -> tuple[Path, Path]:
    """The .cer and .key to load, from ``--cer``/``--key`` or ``--efirma``."""
    if settings.efirma is not None:
        if settings.cer is not None or settings.key is not None:
            raise click.UsageError("pass either --efirma or --cer/--key, not both")
        cers = sorted(settings.efirma.glob("*.cer"))
        keys = sorted(settings.efirma.glob("*.key"))
        if len(cers) != 1 or len(keys) != 1:
            raise click.UsageError(
                f"--efirma {settings.efirma} must hold exactly one .cer and one .key "
                f"(found {len(cers)} and {len(keys)}); use --cer and --key instead"
            )
        return cers[0], keys[0]
    if settings.cer is None or settings.key is None:
        raise click.UsageError("the e.firma is needed: pass --cer and --key, or --efirma DIR")
    return settings.cer, settings.key


def read_password(settings: Settings) -> tuple[str, str]:
    """The e.firma password and where it came from (for messages; never the password)."""
    if settings.password_file is not None:
        text = settings.password_file.read_text(encoding="utf-8").rstrip("\r\n")
        return text, f"--password-file {settings.password_file}"
    value = os.environ.get(settings.password_env)
    if value is not None:
        return value, settings.password_env
    if sys.stdin is not None and sys.stdin.isatty():
        typed: str = click.prompt("e.firma password", hide_input=True, err=True)
        return typed, "the password typed"
    raise CredentialError(
        f"no e.firma password: set {settings.password_env}, pass --password-file, "
        "or run in a terminal to be asked"
    )


def load_fiel(settings: Settings, secrets: SecretFilter) -> Fiel:
    """The e.firma, with a message naming the password's source when it does not open."""
    cer, key = efirma_files(settings)
    password, source = read_password(settings)
    secrets.add(password)
    try:
        fiel = Fiel.from_files(cer, key, password)
    except CredentialError as error:
        if "password" in str(error):
            raise CredentialError(f"{error} ({source})") from None
        raise
    secrets.add(fiel.certificate_base64)
    return fiel


def make_transport(settings: Settings) -> SatTransport:
    """The default transport, trusting ``--ca-bundle`` and logging traffic when verbose."""
    transport = default_transport()
    session = transport.session
    if settings.ca_bundle is not None:
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
        session.verify = str(settings.ca_bundle)
    if settings.verbose:
        session.hooks["response"].append(log_exchange)
        transport.on_answer.append(log_answer)
    return transport


@contextmanager
def _logging(settings: Settings, shared: SecretFilter | None) -> Iterator[SecretFilter]:
    if shared is not None:
        yield shared
        return
    with verbose_logging(settings.verbose) as secrets:
        yield secrets


@contextmanager
def sat_client(settings: Settings, shared: SecretFilter | None = None) -> Iterator[SatClient]:
    """A ``SatClient`` for the settings, its token kept in ``--token-file`` when given.

    ``shared``: the filter of a ``verbose_logging`` already open for many taxpayers at once
    (``sync --config``), so that every taxpayer's secrets are hidden from every log line.
    """
    with _logging(settings, shared) as secrets:
        fiel = load_fiel(settings, secrets)
        store = TokenFile(settings.token_file) if settings.token_file else None
        transport = make_transport(settings)
        try:
            client = SatClient(fiel, settings.endpoints(), transport=transport)
            loaded = store.load() if store else None
            if loaded is not None:
                secrets.add(loaded.value)
                client.token = loaded
            try:
                yield client
            finally:
                current = client.token
                if current is not None:
                    secrets.add(current.value)
                    if store is not None and current != loaded:
                        store.save(current)
        finally:
            transport.session.close()
