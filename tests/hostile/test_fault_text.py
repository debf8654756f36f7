"""Hostile fault answers: pretty-printed codes and huge texts."""

from __future__ import annotations

from sat_zeep.errors import MAX_FAULT_TEXT, SatSoapFault


def test_pretty_printed_fault_code_is_normalised() -> None:
    fault = SatSoapFault("\n  a:InvalidSecurity\n", "x", status_code=500)
    assert fault.fault_code == "a:InvalidSecurity"
    assert "clock" in str(fault)


def test_huge_fault_text_is_truncated_in_the_message() -> None:
    text = "A" * (20 * 1024 * 1024)
    fault = SatSoapFault("s:Server", text, status_code=500)
    assert len(str(fault)) < MAX_FAULT_TEXT + 200
    assert "more characters" in str(fault)
    assert fault.fault_string == text
