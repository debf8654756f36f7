"""The fake SAT's Autentica check, rule by rule and at each time limit (no server: fast).

SAT answers every refusal with the same ``InvalidSecurity`` fault; the fake SAT counts the
``reason`` in its stats (``autentica-<reason>``), which is how a test or an operator learns which
rule a client broke, so each reason is asserted exactly.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from sat_zeep.signing._xmlsec import load_xmlsec
from sat_zeep.signing.fiel import Fiel
from sat_zeep.signing.namespaces import AUTENTICACION, C14N, DSIG, SOAP_ENV, WSSE, WSU
from sat_zeep.signing.security_header import build_security_header, format_timestamp
from sat_zeep.testing.certificates import TestCertificateAuthority
from sat_zeep.testing.fake_sat.authentication import (
    CLOCK_SKEW,
    MAX_WINDOW,
    Authenticated,
    AuthenticationRejected,
    ReplayCache,
    verify_autentica,
)

DS, WS, U, S = f"{{{DSIG}}}", f"{{{WSSE}}}", f"{{{WSU}}}", f"{{{SOAP_ENV}}}"
#: The moment every check runs at; Timestamps are placed around it.
NOW = datetime.now(timezone.utc).replace(microsecond=0)
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
MS = timedelta(milliseconds=1)

Tamper = Callable[[etree._Element], None]


def envelope(
    fiel: Fiel,
    *,
    created: datetime = NOW,
    window: timedelta = MAX_WINDOW,
    tamper: Tamper | None = None,
) -> etree._Element:
    root = etree.Element(f"{S}Envelope", nsmap={"s": SOAP_ENV})
    etree.SubElement(root, f"{S}Header").append(
        build_security_header(
            fiel, created=created, expires=created + window, token_id="uuid-token-1"
        )
    )
    body = etree.SubElement(root, f"{S}Body")
    etree.SubElement(body, f"{{{AUTENTICACION}}}Autentica")
    if tamper is not None:
        tamper(root)
    return etree.fromstring(etree.tostring(root))


def check(root: etree._Element, test_ca: TestCertificateAuthority) -> Authenticated:
    return verify_autentica(root, now=NOW, trust_anchors=[test_ca.certificate])


def reason(root: etree._Element, test_ca: TestCertificateAuthority) -> str:
    with pytest.raises(AuthenticationRejected) as caught:
        check(root, test_ca)
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


def find(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path)
    assert found is not None, path
    return found


def security(root: etree._Element) -> etree._Element:
    return find(root, f"{S}Header/{WS}Security")


def resign(root: etree._Element, fiel: Fiel) -> None:
    """Sign the (changed) Timestamp again, as a client that wrote it so would have."""
    xmlsec = load_xmlsec()
    context = xmlsec.SignatureContext()
    context.register_id(find(security(root), f"{U}Timestamp"), "Id", WSU)
    context.key = fiel.xmlsec_key()
    context.sign(find(security(root), f"{DS}Signature"))


# -- structure -------------------------------------------------------------------------------------


def _remove(path: str) -> Tamper:
    def tamper(root: etree._Element) -> None:
        found = find(root, path)
        parent = found.getparent()
        assert parent is not None
        parent.remove(found)

    return tamper


def _duplicate(path: str) -> Tamper:
    def tamper(root: etree._Element) -> None:
        found = find(root, path)
        found.addnext(etree.fromstring(etree.tostring(found)))

    return tamper


def _set(path: str, attribute: str, value: str) -> Tamper:
    def tamper(root: etree._Element) -> None:
        find(root, path).set(attribute, value)

    return tamper


def _unset(path: str, attribute: str) -> Tamper:
    def tamper(root: etree._Element) -> None:
        del find(root, path).attrib[attribute]

    return tamper


def _text(path: str, text: str) -> Tamper:
    def tamper(root: etree._Element) -> None:
        find(root, path).text = text

    return tamper


def _body_element_with_the_timestamps_id(root: etree._Element) -> None:
    find(root, f"{S}Body/{{{AUTENTICACION}}}Autentica").set(f"{U}Id", "_0")


HEADER = f"{S}Header"
SECURITY = f"{HEADER}/{WS}Security"
TIMESTAMP = f"{SECURITY}/{U}Timestamp"
TOKEN = f"{SECURITY}/{WS}BinarySecurityToken"
SIGNATURE = f"{SECURITY}/{DS}Signature"
SIGNED_INFO = f"{SIGNATURE}/{DS}SignedInfo"
REFERENCE = f"{SIGNED_INFO}/{DS}Reference"
KEY_REFERENCE = f"{SIGNATURE}/{DS}KeyInfo/{WS}SecurityTokenReference/{WS}Reference"

REFUSALS: dict[str, tuple[Tamper, str]] = {
    "no Header": (_remove(HEADER), "expected one SOAP Header, found 0"),
    "two Security headers": (_duplicate(SECURITY), "expected one o:Security header, found 2"),
    "no Timestamp": (_remove(TIMESTAMP), "expected one u:Timestamp, found 0"),
    "two tokens": (_duplicate(TOKEN), "expected one o:BinarySecurityToken, found 2"),
    "no Signature": (_remove(SIGNATURE), "expected one Signature, found 0"),
    "Timestamp without u:Id": (
        _unset(TIMESTAMP, f"{U}Id"),
        "the Timestamp and the token need u:Id attributes",
    ),
    "token without u:Id": (
        _unset(TOKEN, f"{U}Id"),
        "the Timestamp and the token need u:Id attributes",
    ),
    "the Timestamp's u:Id twice": (
        _body_element_with_the_timestamps_id,
        "the Timestamp's u:Id is not unique",
    ),
    "token of another type": (
        _set(TOKEN, "ValueType", "urn:kerberos"),
        "the BinarySecurityToken is not an X.509 v3 certificate",
    ),
    "no SignedInfo": (_remove(SIGNED_INFO), "expected one SignedInfo, found 0"),
    "two References": (
        _duplicate(REFERENCE),
        "the signature must cover the Timestamp and only it",
    ),
    "a Reference to the token": (
        _set(REFERENCE, "URI", "#uuid-token-1"),
        "the signature must cover the Timestamp and only it",
    ),
    "inclusive c14n": (
        _set(f"{SIGNED_INFO}/{DS}CanonicalizationMethod", "Algorithm", C14N),
        "SignedInfo must be canonicalized with exclusive c14n",
    ),
    "no CanonicalizationMethod": (
        _remove(f"{SIGNED_INFO}/{DS}CanonicalizationMethod"),
        "SignedInfo must be canonicalized with exclusive c14n",
    ),
    "rsa-md5": (
        _set(f"{SIGNED_INFO}/{DS}SignatureMethod", "Algorithm", "urn:rsa-md5"),
        "unsupported signature method",
    ),
    "md5 digest": (
        _set(f"{REFERENCE}/{DS}DigestMethod", "Algorithm", "urn:md5"),
        "unsupported digest method",
    ),
    "KeyInfo without the token reference": (
        _remove(KEY_REFERENCE),
        "KeyInfo must refer to the BinarySecurityToken",
    ),
    "KeyInfo to another token": (
        _set(KEY_REFERENCE, "URI", "#uuid-other-1"),
        "KeyInfo must refer to the BinarySecurityToken",
    ),
    "token not base64": (
        _text(TOKEN, "MIIF*"),
        "the BinarySecurityToken holds no certificate",
    ),
    "token not a certificate": (
        _text(TOKEN, base64.b64encode(b"certificate").decode()),
        "the BinarySecurityToken holds no certificate",
    ),
    "Created changed after signing": (
        _text(f"{TIMESTAMP}/{U}Created", format_timestamp(NOW - MS)),
        "the signature does not verify",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_broken_rule_is_refused_with_its_reason(
    fiel: Fiel, test_ca: TestCertificateAuthority, case: str
) -> None:
    tamper, expected = REFUSALS[case]
    assert reason(envelope(fiel, tamper=tamper), test_ca) == expected


def test_a_valid_autentica_names_its_signer_and_its_timestamp(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    root = envelope(fiel)
    value = find(root, f"{SIGNATURE}/{DS}SignatureValue")
    value.text = "\n".join((value.text or "")[i : i + 64] for i in range(0, 344, 64))
    signer = check(root, test_ca)
    assert (signer.rfc, signer.serial_number) == (fiel.rfc, fiel.serial_number)
    assert signer.certificate.serial_number == fiel.serial_number
    assert signer.expires == NOW + MAX_WINDOW
    # The replay key is the SignatureValue itself, whatever line wrapping it came with.
    assert signer.signature_value == "".join((value.text or "").split())
    assert "\n" not in signer.signature_value and len(signer.signature_value) == 344


def test_a_token_with_the_certificate_wrapped_over_lines_is_accepted(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    def wrap(root: etree._Element) -> None:
        token = find(root, TOKEN)
        text = token.text or ""
        token.text = "\n" + "\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + "\n"

    assert check(envelope(fiel, tamper=wrap), test_ca).serial_number == fiel.serial_number


def test_sha256_signatures_are_accepted(fiel: Fiel, test_ca: TestCertificateAuthority) -> None:
    """WCF clients may sign the Timestamp with rsa-sha256/sha256; SAT accepts both pairs."""
    root = envelope(fiel)
    find(root, f"{SIGNED_INFO}/{DS}SignatureMethod").set("Algorithm", RSA_SHA256)
    find(root, f"{REFERENCE}/{DS}DigestMethod").set("Algorithm", SHA256)
    resign(root, fiel)
    assert check(root, test_ca).serial_number == fiel.serial_number


def test_certificates_sat_does_not_trust_are_refused(test_ca: TestCertificateAuthority) -> None:
    cases = {
        "the certificate was not issued by a trusted CA": TestCertificateAuthority.create("other")
        .issue_fiel("SZP200101AB1")
        .fiel(),
        "the certificate is a CSD, not an e.firma": test_ca.issue_csd("SZP200101AB1").fiel(),
        "the certificate is expired or not yet valid": test_ca.issue_fiel(
            "SZP200101AB1", expired=True
        ).fiel(),
    }
    not_yet = test_ca.issue_fiel("SZP200101AB1", not_yet_valid=True).fiel()
    for expected, fiel in cases.items():
        assert reason(envelope(fiel), test_ca) == expected
    assert reason(envelope(not_yet), test_ca) == "the certificate is expired or not yet valid"
    other = TestCertificateAuthority.create("first anchor")
    # At its first valid moment, and trusted through any of the anchors, not only the first.
    signer = verify_autentica(
        envelope(not_yet, created=not_yet.not_valid_before),
        now=not_yet.not_valid_before,
        trust_anchors=[other.certificate, test_ca.certificate],
    )
    assert signer.serial_number == not_yet.serial_number


# -- time limits -----------------------------------------------------------------------------------


def test_the_timestamp_must_expire_after_it_is_created(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    refused = envelope(fiel, window=timedelta(0))
    assert reason(refused, test_ca) == "the Timestamp expires before it is created"
    assert check(envelope(fiel, window=MS), test_ca).expires == NOW + MS


def test_a_created_in_the_future_is_allowed_up_to_the_clock_skew(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    assert check(envelope(fiel, created=NOW + CLOCK_SKEW), test_ca)
    late = envelope(fiel, created=NOW + CLOCK_SKEW + MS)
    assert reason(late, test_ca) == "the Timestamp is in the future"


def test_an_expired_timestamp_is_allowed_up_to_the_clock_skew(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    window = timedelta(seconds=10)
    last_moment = NOW - CLOCK_SKEW + MS - window
    assert check(envelope(fiel, created=last_moment, window=window), test_ca)
    gone = envelope(fiel, created=last_moment - MS, window=window)
    assert reason(gone, test_ca) == "the Timestamp has expired"


def test_the_window_may_be_five_minutes_and_no_longer(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    assert check(envelope(fiel, window=MAX_WINDOW), test_ca)
    longer = envelope(fiel, window=MAX_WINDOW + MS)
    assert reason(longer, test_ca) == "the Timestamp's window is longer than 5 minutes"


def test_a_timestamp_created_as_long_ago_as_the_rules_allow_is_accepted(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    oldest = NOW - CLOCK_SKEW - MAX_WINDOW + MS
    assert check(envelope(fiel, created=oldest, window=MAX_WINDOW), test_ca)


def _signed_times(created: str, expires: str) -> Callable[[Fiel], etree._Element]:
    def build(fiel: Fiel) -> etree._Element:
        root = envelope(fiel)
        find(root, f"{TIMESTAMP}/{U}Created").text = created
        find(root, f"{TIMESTAMP}/{U}Expires").text = expires
        resign(root, fiel)
        return root

    return build


def test_times_without_z_are_utc(fiel: Fiel, test_ca: TestCertificateAuthority) -> None:
    created = NOW.strftime("%Y-%m-%dT%H:%M:%S")
    expires = (NOW + MAX_WINDOW).strftime("%Y-%m-%dT%H:%M:%S")
    signer = check(_signed_times(created, expires)(fiel), test_ca)
    assert signer.expires == NOW + MAX_WINDOW and signer.expires.tzinfo is not None


@pytest.mark.parametrize("which", ["Created", "Expires"])
def test_a_time_that_is_not_a_timestamp_is_refused(
    fiel: Fiel, test_ca: TestCertificateAuthority, which: str
) -> None:
    good = format_timestamp(NOW)
    times = {"Created": good, "Expires": format_timestamp(NOW + MAX_WINDOW)}
    times[which] = "yesterday"
    root = _signed_times(times["Created"], times["Expires"])(fiel)
    assert reason(root, test_ca) == f"{which} is not a timestamp"


# -- replays ---------------------------------------------------------------------------------------


def test_a_signed_timestamp_is_refused_as_a_replay_until_it_expires(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    signer = check(envelope(fiel), test_ca)
    other = check(envelope(fiel, created=NOW + MS), test_ca)
    cache = ReplayCache()
    cache.check(signer, NOW)
    cache.check(other, NOW)  # another Timestamp is not a replay
    forgotten = signer.expires + CLOCK_SKEW
    for moment in (NOW, forgotten - MS):
        with pytest.raises(AuthenticationRejected) as caught:
            cache.check(signer, moment)
        assert caught.value.reason == "the signed Timestamp was already used (replay)"
    # Once expired beyond the skew the Timestamp fails on its own; the cache lets it go.
    cache.check(signer, forgotten)


def test_sats_limits_are_five_minutes_of_skew_and_of_window(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    """WCF's defaults, the ones SAT runs with (CONTRACT.md §2.1), in plain minutes."""
    five = timedelta(minutes=5)
    assert check(envelope(fiel, created=NOW + five), test_ca)
    assert reason(envelope(fiel, created=NOW + five + MS), test_ca) == (
        "the Timestamp is in the future"
    )
    assert reason(envelope(fiel, window=five + MS), test_ca) == (
        "the Timestamp's window is longer than 5 minutes"
    )


def test_a_certificate_is_usable_up_to_its_last_moment(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    last = fiel.not_valid_after
    root = envelope(fiel, created=last - timedelta(minutes=1))
    signer = verify_autentica(root, now=last, trust_anchors=[test_ca.certificate])
    assert signer.serial_number == fiel.serial_number
    with pytest.raises(AuthenticationRejected, match="expired or not yet valid"):
        verify_autentica(root, now=last + MS, trust_anchors=[test_ca.certificate])


def test_a_token_certificate_with_stray_characters_is_refused(
    fiel: Fiel, test_ca: TestCertificateAuthority
) -> None:
    """Lenient base64 would drop the ``*`` and find the certificate; SAT's decoder refuses it."""

    def stray(root: etree._Element) -> None:
        token = find(root, TOKEN)
        text = token.text or ""
        token.text = text[:40] + "*" + text[40:]

    assert reason(envelope(fiel, tamper=stray), test_ca) == (
        "the BinarySecurityToken holds no certificate"
    )


def test_the_signer_found_cannot_be_altered(fiel: Fiel, test_ca: TestCertificateAuthority) -> None:
    """The replay cache keys on what the check found; nobody may change it afterwards."""
    signer = check(envelope(fiel), test_ca)
    with pytest.raises(dataclasses.FrozenInstanceError):
        signer.signature_value = "forged"  # type: ignore[misc]
