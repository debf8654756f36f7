"""Requests signed by other production clients verify by SAT's rule, as they do at SAT.

tests/fixtures/peers/ holds requests that satcfdi 26.10.1 and cfdiclient 2.0.0 sent to the fake
SAT (recorded by tests/peers/run_*.py). SAT accepts both clients in production, so the rule
must accept their forms: inclusive c14n with only the enveloped transform (satcfdi), a
Reference without URI and a SignatureValue over SignedInfo in the default namespace
(cfdiclient).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sat_zeep.errors import SignatureError
from sat_zeep.signing.request_signature import verify_request
from sat_zeep.soap.envelope import body_operation

PEERS = Path(__file__).parent / "fixtures" / "peers"
ACCEPTED = sorted(path for path in PEERS.glob("*.xml") if "reused" not in path.name)


def operation(path: Path) -> etree._Element:
    return body_operation(etree.fromstring(path.read_bytes()))


@pytest.mark.parametrize("path", ACCEPTED, ids=[path.stem for path in ACCEPTED])
def test_peer_requests_verify(path: Path) -> None:
    verified = verify_request(operation(path))
    assert verified.certificate.serial_number > 0


@pytest.mark.parametrize("path", ACCEPTED, ids=[path.stem for path in ACCEPTED])
def test_changing_a_peer_request_breaks_it(path: Path) -> None:
    changed = operation(path)
    inner = changed[0]
    name = next(str(name) for name in inner.attrib if str(name).startswith("Rfc"))
    inner.set(name, "XAXX010101000")
    with pytest.raises(SignatureError) as caught:
        verify_request(changed)
    assert caught.value.reason == "digest"


def test_a_digest_over_a_previous_signature_is_refused() -> None:
    # cfdiclient reusing one request object digests the old Signature too: not what was sent.
    with pytest.raises(SignatureError) as caught:
        verify_request(operation(PEERS / "cfdiclient-reused-VerificaSolicitudDescarga.xml"))
    assert caught.value.reason == "digest"
