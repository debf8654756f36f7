"""The ledger counts every request by RFC and exact parameters, across restarts and processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

from sat_zeep.client.codes import CodEstatus, EstadoComprobante, TipoSolicitud
from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.fake_sat.ledger import LedgerConfig
from sat_zeep.testing.fake_sat.ledger_store import FILE_NAME, encode
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import END, START, MakeSat


def test_counts_survive_a_restart_and_show_repeats(make_sat: MakeSat, fiel: Fiel) -> None:
    sat = make_sat(config=LedgerConfig(verifications_until_ready=1))
    with sat.client(fiel) as client:
        first = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
        again = client.solicita_descarga_emitidos(START, END, TipoSolicitud.CFDI)
        assert again.cod_estatus is CodEstatus.SOLICITUD_DUPLICADA
        state = client.verifica_solicitud_descarga(first.id_solicitud or "")
        while not state.is_finished:
            state = client.verifica_solicitud_descarga(first.id_solicitud or "")
        package = state.ids_paquetes[0]
        client.descargar(package).raise_for_status()
    sat.stop()
    assert (sat.state_dir / "packages" / FILE_NAME).exists()
    with FakeSat(sat.state_dir) as restarted:
        stats = restarted.stats()
    assert stats["solicitudes_by_rfc"] == {fiel.rfc: 2}
    (entry,) = stats["solicitudes_by_parameters"]
    assert entry["codes"] == {"5000": 1, "5005": 1} and entry["count"] == 2
    assert entry["parameters"]["tipo_solicitud"] == "CFDI"
    assert entry["parameters"]["start"] == {"$datetime": "2026-10-01T00:00:00"}
    assert stats["package_downloads"] == {package: 1}
    assert stats["max_sends_of_a_parameter_set"] == 2
    assert stats["max_downloads_of_a_package"] == 1


_CLIENT = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timedelta, timezone
    from sat_zeep.client.sat_client import SatClient
    from sat_zeep.client.codes import EstadoComprobante, TipoSolicitud
    from sat_zeep.soap.endpoints import Endpoints
    from sat_zeep.signing.fiel import Fiel

    base, cer, key, password, day = sys.argv[1:]
    fiel = Fiel.from_files(cer, key, password)
    start = datetime(2026, 10, int(day))
    # Four processes sign with one e.firma at once: a clock apart by a millisecond each keeps
    # their Autentica Timestamps (and so their signatures) distinct, or the fake SAT would
    # rightly refuse the second of two identical ones as a replay.
    offset = timedelta(milliseconds=int(day))
    clock = lambda: datetime.now(timezone.utc) + offset
    with SatClient(fiel, Endpoints.from_base_url(base, "cfdi"), clock=clock) as client:
        client.solicita_descarga_emitidos(
            start, start + timedelta(hours=23), TipoSolicitud.METADATA,
            estado_comprobante=EstadoComprobante.TODOS,
        ).raise_for_status()
    """
)


def test_requests_from_many_client_processes_are_all_counted(
    make_sat: MakeSat, fixture_dir: Path
) -> None:
    sat = make_sat()
    efirma = fixture_dir / "efirma"
    password = (efirma / "password.txt").read_text(encoding="utf-8")
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _CLIENT,
                sat.base_url,
                str(efirma / "fiel.cer"),
                str(efirma / "fiel.key"),
                password,
                str(day),
            ]
        )
        for day in (1, 2, 3, 4)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0, 0]
    stats = sat.stats()
    assert stats["solicitudes_by_rfc"] == {"SZP200101AB1": 4}
    assert len(stats["solicitudes_by_parameters"]) == 4
    assert stats["max_sends_of_a_parameter_set"] == 1


def test_an_old_ledger_json_is_migrated(make_sat: MakeSat, fiel: Fiel, tmp_path: Path) -> None:
    sat = make_sat()
    with sat.client(fiel) as client:
        accepted = client.solicita_descarga_emitidos(
            datetime(2026, 10, 1),
            datetime(2026, 10, 2),
            TipoSolicitud.METADATA,
            estado_comprobante=EstadoComprobante.TODOS,
        )
    sat.stop()
    record = next(iter(sat.ledger.store.requests()))
    packages = sat.state_dir / "packages"
    (packages / FILE_NAME).unlink()
    old = {"requests": [record], "packages": [], "periods": [], "folios": []}
    (packages / "ledger.json").write_text(json.dumps(encode(old)), encoding="utf-8")
    with FakeSat(sat.state_dir) as again:
        ids = [request.id_solicitud for request in again.ledger.requests()]
    assert ids == [accepted.id_solicitud]
    assert (packages / "ledger.json.migrated").exists()
    assert not (packages / "ledger.json").exists()
