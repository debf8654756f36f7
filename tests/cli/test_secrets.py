"""Secrets stay secret: no password option, and ``--verbose`` logs envelopes redacted."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import click
import pytest

from sat_zeep.cli import cli
from sat_zeep.cli.redact import REDACTED, SecretFilter, redact_headers, redact_xml
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, Runner

_SECRET_ELEMENT = re.compile(
    r"<(?:\w+:)?(SignatureValue|X509Certificate|BinarySecurityToken|AutenticaResult)\b[^>]*>"
    r"([^<]*)<"
)


def _commands(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = []
    for command in group.commands.values():
        found.append(command)
        if isinstance(command, click.Group):
            found.extend(_commands(command))
    return found


def test_no_option_takes_the_password() -> None:
    for command in _commands(cli):
        for param in command.params:
            names = [*param.opts, *param.secondary_opts]
            assert not any(
                "password" in name and name not in ("--password-env", "--password-file")
                for name in names
            ), (command.name, names)


def test_verbose_logs_envelopes_without_secrets(
    run: Runner,
    sat: FakeSat,
    sat_args: list[str],
    password: str,
    fiel: Fiel,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token_file = tmp_path / "token.json"
    common = [*sat_args, "--token-file", token_file, "--verbose"]
    authenticated = run("auth", *common)
    requested = run(
        "request", "emitidos", "--start", START, "--end", END, "--type", "metadata", *common
    )
    assert authenticated.code == requested.code == 0, requested.err
    token = json.loads(token_file.read_text())["value"]
    logged = authenticated.err + requested.err

    assert "Autentica" in logged and "SolicitaDescargaEmitidos" in logged
    assert "Envelope" in logged and REDACTED in logged
    assert "SolicitaDescargaEmitidos" in caplog.text
    elements = _SECRET_ELEMENT.findall(logged)
    assert {name for name, _ in elements} >= {
        "SignatureValue", "X509Certificate", "BinarySecurityToken", "AutenticaResult"
    }  # fmt: skip
    assert all(text.startswith(REDACTED) for _, text in elements), elements
    key_text = (Path(sat_args[3]).read_bytes()).hex()
    for text in (logged, caplog.text):
        for secret in (password, token, fiel.certificate_base64, key_text, 'access_token="'):
            assert secret not in text
        assert "PRIVATE KEY" not in text
    assert authenticated.out.count("\n") == 1 and token not in authenticated.out
    assert not logging.getLogger("sat_zeep").handlers


def test_redact_xml_and_headers() -> None:
    envelope = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b"<AutenticaResult>tok&amp;en</AutenticaResult><ds:SignatureValue "
        b'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">c2ln</ds:SignatureValue>'
        b"<Mensaje>ok</Mensaje></s:Body></s:Envelope>"
    )
    redacted = redact_xml(envelope)
    assert "tok" not in redacted and "c2ln" not in redacted and "<Mensaje>ok</Mensaje>" in redacted
    broken = redact_xml(envelope[:-10])
    assert "tok" not in broken and "c2ln" not in broken
    headers = redact_headers({"Authorization": 'WRAP access_token="x"', "SOAPAction": "a"})
    assert headers == {"Authorization": REDACTED, "SOAPAction": "a"}


def test_secret_filter_scrubs_literals_and_private_keys() -> None:
    secrets = SecretFilter()
    secrets.add("s3cr3t&pw")
    record = logging.LogRecord(
        "sat_zeep", logging.DEBUG, __file__, 1, "pw=%s esc=%s key=%s", None, None
    )
    record.args = (
        "s3cr3t&pw",
        "s3cr3t&amp;pw",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
    )
    assert secrets.filter(record)
    assert record.getMessage() == f"pw={REDACTED} esc={REDACTED} key={REDACTED}"


def test_verbose_never_logs_the_package_content() -> None:
    """``Paquete`` (the base64 ZIP of the taxpayer's documents) is redacted, parsed or not."""
    package = "UEsDBBQAAAAIAPaquetecontentDocumentosDelContribuyente"
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<RespuestaDescargaMasivaTercerosSalida xmlns="http://DescargaMasivaTerceros.sat.gob.mx">'
        f"<Paquete>{package}</Paquete></RespuestaDescargaMasivaTercerosSalida></s:Body>"
        "</s:Envelope>"
    )
    for logged in (redact_xml(envelope), redact_xml(envelope[:-5])):
        assert package not in logged
        assert REDACTED in logged
