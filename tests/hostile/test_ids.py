"""Ids from SAT are checked before use: their shape, that they belong to what was asked, and
that they never become paths outside the output folder."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sat_zeep.client.codes import TipoSolicitud
from sat_zeep.client.sat_client import SatClient
from sat_zeep.errors import SatResponseError
from sat_zeep.signing.fiel import Fiel
from sat_zeep.sync import PollPolicy, SyncEngine, SyncJob, SyncSummary
from sat_zeep.sync.downloads import Downloads
from sat_zeep.sync.store import PackageRow

from ..canned_sat import RESPONSES
from ..dates import month_ago
from .server import HostileServer, Reply, reply, talking_to

ID_SOLICITUD = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"
OTHER = "9A8B7C6D-1111-4222-8333-444455556666"
JOB = SyncJob(*month_ago(2), directions=("emitidos",), kinds=(TipoSolicitud.METADATA,))
NOW = PollPolicy(initial=timedelta(0), maximum=timedelta(0))


def solicitud_answering(id_solicitud: str) -> Reply:
    body = (RESPONSES / "solicita-Emitidos-aceptada.xml").read_bytes()
    return reply(200, body.replace(ID_SOLICITUD.encode(), id_solicitud.encode()))


def verificacion_listing(*ids: str) -> Reply:
    body = (RESPONSES / "verifica-terminada.xml").read_text()
    start, end = body.index("<IdsPaquetes>"), body.rindex("</IdsPaquetes>") + 14
    listed = "".join(f"<IdsPaquetes>{id_paquete}</IdsPaquetes>" for id_paquete in ids)
    return reply(200, (body[:start] + listed + body[end:]).encode())


def sync(server: HostileServer, fiel: Fiel, output: Path) -> SyncSummary:
    with SatClient(fiel, server.endpoints) as client:
        engine = SyncEngine(client, output, poll=NOW, sleep=lambda _: None, max_wait=timedelta(0))
        try:
            return engine.run(JOB)
        finally:
            engine.close()


@pytest.mark.parametrize(
    "bad", ["12345", "../../etc/passwd", "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f1"]
)
def test_an_idsolicitud_that_is_not_a_uuid_is_refused(fiel: Fiel, bad: str) -> None:
    answers = {"SolicitaDescargaEmitidos": solicitud_answering(bad)}
    with (
        talking_to(fiel, answers) as (_, client),
        pytest.raises(SatResponseError, match="IdSolicitud"),
    ):
        client.solicita_descarga_emitidos(*month_ago(2), TipoSolicitud.METADATA)


@pytest.mark.parametrize(
    "listed",
    [
        ["/tmp/elsewhere/victim"],
        [f"{ID_SOLICITUD}_01/../../x"],
        [f"{ID_SOLICITUD}_01", "not-an-id"],
        [f"{ID_SOLICITUD}_{'9' * 40}"],
    ],
)
def test_package_ids_of_a_wrong_shape_are_refused(fiel: Fiel, listed: list[str]) -> None:
    answers = {"VerificaSolicitudDescarga": verificacion_listing(*listed)}
    with (
        talking_to(fiel, answers) as (_, client),
        pytest.raises(SatResponseError, match="IdsPaquetes"),
    ):
        client.verifica_solicitud_descarga(ID_SOLICITUD)


def test_a_package_of_another_request_is_refused(fiel: Fiel) -> None:
    answers = {
        "VerificaSolicitudDescarga": verificacion_listing(f"{ID_SOLICITUD}_01", f"{OTHER}_01")
    }
    with (
        talking_to(fiel, answers) as (_, client),
        pytest.raises(SatResponseError, match=f"{OTHER}_01.*another request"),
    ):
        client.verifica_solicitud_descarga(ID_SOLICITUD)


def test_a_package_listed_twice_is_refused(fiel: Fiel) -> None:
    answers = {"VerificaSolicitudDescarga": verificacion_listing(*[f"{ID_SOLICITUD}_01"] * 2)}
    with (
        talking_to(fiel, answers) as (_, client),
        pytest.raises(SatResponseError, match="twice"),
    ):
        client.verifica_solicitud_descarga(ID_SOLICITUD)


def test_upper_case_package_ids_of_the_request_are_accepted(fiel: Fiel) -> None:
    ids = (f"{ID_SOLICITUD.upper()}_01", f"{ID_SOLICITUD.upper()}_02")
    answers = {"VerificaSolicitudDescarga": verificacion_listing(*ids)}
    with HostileServer(answers) as sat, SatClient(fiel, sat.endpoints) as client:
        assert client.verifica_solicitud_descarga(ID_SOLICITUD).ids_paquetes == ids


def test_an_absolute_package_id_never_touches_a_file_outside_out(
    fiel: Fiel, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.zip"
    victim.write_bytes(b"precious, not a ZIP")
    answers = {"VerificaSolicitudDescarga": verificacion_listing(str(tmp_path / "victim"))}
    with HostileServer(answers) as sat:
        for _ in range(2):  # and the next run does not crash either
            summary = sync(sat, fiel, tmp_path / "out")
            assert summary.packages == {}
    assert victim.read_bytes() == b"precious, not a ZIP"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "victim.zip"]
    assert "Descargar" not in sat.actions()


def test_a_non_uuid_idsolicitud_does_not_crash_the_sync(fiel: Fiel, tmp_path: Path) -> None:
    answers = {"SolicitaDescargaEmitidos": solicitud_answering("12345")}
    with HostileServer(answers) as sat:
        for _ in range(2):
            summary = sync(sat, fiel, tmp_path / "out")
            assert summary.packages == {}
    assert "VerificaSolicitudDescarga" not in sat.actions()


def test_a_recorded_package_outside_the_folder_is_failed_untouched(
    fiel: Fiel, tmp_path: Path
) -> None:
    """A state written before ids were checked: the path is checked before anything is done."""
    victim = tmp_path / "victim.zip"
    victim.write_bytes(b"precious")
    output = tmp_path / "out"
    output.mkdir()
    failed: list[str] = []

    class Store:
        def update_package(self, id_paquete: str, now: datetime, **values: object) -> None:
            failed.append(str(values.get("error")))

    with HostileServer() as sat, SatClient(fiel, sat.endpoints) as client:
        downloads = Downloads(client, Store(), output, 1, lambda event: None)  # type: ignore[arg-type]
        row = PackageRow(
            id_paquete=f"{ID_SOLICITUD}_01",
            request_key="k",
            status="pending",
            downloads_used=0,
            path=victim,
            size=None,
            sha256=None,
            error=None,
        )
        downloads.download(row)
    assert victim.read_bytes() == b"precious"
    assert len(failed) == 1 and "outside" in failed[0]
    assert sat.received == []
