"""The transport's session: requests' proxy and CA settings, read once per host, not per call."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import requests.utils

from sat_zeep.soap.transport import SatSession, default_transport

URLS = (
    "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx/SolicitaDescargaService.svc",
    "https://cfdidescargamasiva.clouda.sat.gob.mx/DescargaMasivaService.svc",
    "http://127.0.0.1:8080/Autenticacion/Autenticacion.svc",
)


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "127.0.0.1"},
        {"HTTP_PROXY": "http://p:1", "https_proxy": "http://q:2", "REQUESTS_CA_BUNDLE": "/ca.pem"},
        {"CURL_CA_BUNDLE": "/curl.pem", "no_proxy": "*"},
    ],
)
@pytest.mark.parametrize("verify", [None, True, False, "/mine.pem"])
def test_the_same_settings_as_requests(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], verify: Any
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    ours, theirs = SatSession(), requests.Session()
    for url in URLS:
        for proxies in ({}, {"no_proxy": "sat.gob.mx"}, {"https": "http://mine:1"}):
            for _ in range(2):  # the second call answers from what the first read
                expected = theirs.merge_environment_settings(url, dict(proxies), None, verify, None)
                got = ours.merge_environment_settings(url, dict(proxies), None, verify, None)
                assert got == expected, (url, proxies)


def test_the_environment_is_read_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    original = requests.utils.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        reads.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.utils, "get_environ_proxies", counted)
    session = default_transport().session
    assert isinstance(session, SatSession)
    for _ in range(50):
        for url in URLS:
            session.merge_environment_settings(url, {}, None, None, None)
    assert len(reads) == len(URLS)  # one read per scheme and host, not one per call


def test_no_environment_when_the_session_does_not_trust_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/ca.pem")
    session = SatSession()
    session.trust_env = False
    session.verify = "/bundle.pem"
    settings = session.merge_environment_settings(URLS[0], {}, None, None, None)
    assert settings == {"proxies": {}, "stream": False, "verify": "/bundle.pem", "cert": None}
