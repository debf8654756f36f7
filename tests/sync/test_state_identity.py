"""The state records whose it is: another RFC or service on the same folder is refused."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.errors import StateOwnerError, SyncStateError
from sat_zeep.signing.fiel import Fiel
from sat_zeep.soap.endpoints import ServiceType
from sat_zeep.sync.identity import SCHEMA_VERSION

from ..conftest import FIXTURE_RFC
from .conftest import MakeSat
from .test_sync import JOB, sync

SMALL = replace(JOB, directions=("emitidos",), kinds=(TipoSolicitud.METADATA,))


def test_the_state_records_its_rfc_service_and_schema(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sync(make_sat(), fiel, tmp_path / "out", SMALL)
    with sqlite3.connect(tmp_path / "out" / ".sat-zeep-sync.sqlite3") as db:
        meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
    assert meta == {"rfc": FIXTURE_RFC, "service": "cfdi", "schema_version": str(SCHEMA_VERSION)}


def test_another_rfc_on_the_same_folder_is_refused_before_anything_is_sent(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    first = sync(sat, fiel, out, SMALL)
    assert first.complete
    calls = sum(sat.stats()["calls"].values())
    other = sat.issue_fiel("OTR010101AB1").fiel()
    with pytest.raises(StateOwnerError) as raised:
        sync(sat, other, out, SMALL)
    message = str(raised.value)
    assert f"holds the state of RFC {FIXTURE_RFC} (cfdi)" in message
    assert "use another --out" in message
    assert sum(sat.stats()["calls"].values()) == calls  # nothing reached SAT
    # The rightful owner still syncs there.
    assert sync(sat, fiel, out, SMALL).complete


def test_another_service_on_the_same_folder_is_refused(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    sync(sat, fiel, out, SMALL)
    with pytest.raises(StateOwnerError, match=r"\(cfdi\), not of RFC .* \(retenciones\)"):
        sync(sat, fiel, out, replace(SMALL, service=ServiceType.RETENCIONES))


def test_a_state_from_a_newer_sat_zeep_is_refused(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    sat = make_sat()
    out = tmp_path / "out"
    sync(sat, fiel, out, SMALL)
    db = sqlite3.connect(out / ".sat-zeep-sync.sqlite3")
    with db:
        db.execute("UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    db.close()
    with pytest.raises(SyncStateError, match=r"written by a newer sat_zeep \(schema 99\)"):
        sync(sat, fiel, out, SMALL)
