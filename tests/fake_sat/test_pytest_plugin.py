"""The pytest fixtures a user's suite gets by installing sat_zeep (entry point ``pytest11``)."""

from __future__ import annotations

import pytest

USER_TESTS = """
from datetime import date, timedelta

from sat_zeep import SatClient, TipoSolicitud

# A week SAT serves, whatever today is.
END = date.today() - timedelta(days=30)
START = END - timedelta(days=6)


def test_a_user_flow(fake_sat, fake_sat_client: SatClient) -> None:
    accepted = fake_sat_client.solicita_descarga_emitidos(
        START, END, TipoSolicitud.METADATA
    ).raise_for_status()
    state = fake_sat_client.verifica_solicitud_descarga(accepted.id_solicitud)
    for _ in range(20):
        if state.is_finished:
            break
        state = fake_sat_client.verifica_solicitud_descarga(accepted.id_solicitud)
    assert state.is_finished, state
    assert fake_sat_client.descargar(state.ids_paquetes[0]).raise_for_status().paquete
    assert fake_sat.stats()["downloads"] == {state.ids_paquetes[0]: 1}


def test_each_test_gets_its_own_taxpayer(fake_sat_fiel, fake_sat_client, fake_sat) -> None:
    assert fake_sat_fiel.rfc.startswith("TST")
    assert fake_sat_client.fiel.rfc == fake_sat_fiel.rfc
    assert fake_sat.stats()["tokens_issued"] == 1
    # The second taxpayer's RFC is as valid as the first: the client accepts it.
    fake_sat_client.solicita_descarga_recibidos(
        START, END, TipoSolicitud.METADATA
    ).raise_for_status()
"""


def test_fixtures_work_in_a_users_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
