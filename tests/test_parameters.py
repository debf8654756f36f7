from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from sat_zeep.client import parameters
from sat_zeep.client.codes import EstadoComprobante, TipoComprobante, TipoSolicitud
from sat_zeep.client.complementos import (
    COMPLEMENTOS_CFDI,
    COMPLEMENTOS_CFDI_V15,
    COMPLEMENTOS_RETENCIONES,
    complementos,
)
from sat_zeep.errors import RequestValidationError
from sat_zeep.soap.endpoints import ServiceType

TODAY = date(2026, 1, 15)
RFC = "AXT940727FP8"
OTHER = "VADA800927DJ3"
UUID = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"


def emitidos(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "rfc_emisor": RFC,
        "fecha_inicial": date(2025, 1, 1),
        "fecha_final": date(2025, 1, 31),
        "tipo_solicitud": TipoSolicitud.METADATA,
        "rfc_receptores": (),
        "rfc_solicitante": None,
        "tipo_comprobante": None,
        "estado_comprobante": None,
        "rfc_a_cuenta_terceros": None,
        "complemento": None,
        "service": ServiceType.CFDI,
        "today": TODAY,
    }
    arguments.update(changes)
    return parameters.emitidos(**arguments)


def recibidos(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "rfc_receptor": RFC,
        "fecha_inicial": date(2025, 1, 1),
        "fecha_final": date(2025, 1, 31),
        "tipo_solicitud": TipoSolicitud.CFDI,
        "rfc_emisor": None,
        "rfc_solicitante": None,
        "tipo_comprobante": None,
        "estado_comprobante": EstadoComprobante.VIGENTE,
        "rfc_a_cuenta_terceros": None,
        "complemento": None,
        "service": ServiceType.CFDI,
        "today": TODAY,
    }
    arguments.update(changes)
    return parameters.recibidos(**arguments)


def problems(call: Any, **changes: Any) -> tuple[str, ...]:
    with pytest.raises(RequestValidationError) as caught:
        call(**changes)
    return caught.value.problems


def only_problem(call: Any, **changes: Any) -> str:
    found = problems(call, **changes)
    assert len(found) == 1, found
    return found[0]


# -- valid payloads ----------------------------------------------------------------------------


def test_minimal_emitidos() -> None:
    assert emitidos() == {
        "TipoSolicitud": "Metadata",
        "FechaInicial": "2025-01-01T00:00:00",
        "FechaFinal": "2025-01-31T23:59:59",
        "RfcEmisor": RFC,
    }


def test_full_emitidos() -> None:
    payload = emitidos(
        rfc_emisor=RFC.lower(),
        fecha_inicial=datetime(2025, 1, 1, 8, 30, 15, 999_999),
        fecha_final="2025-01-02T09:00:00",
        tipo_solicitud="CFDI",
        rfc_receptores=(OTHER.lower(), "XAXX010101000", "ñaÑ010101AB1", "A&C010101AB1"),
        rfc_solicitante=RFC,
        tipo_comprobante="I",
        estado_comprobante=EstadoComprobante.TODOS,
        rfc_a_cuenta_terceros="XEXX010101000",
        complemento="nomina12",
    )
    assert payload == {
        "RfcSolicitante": RFC,
        "TipoSolicitud": "CFDI",
        "FechaInicial": "2025-01-01T08:30:15",
        "FechaFinal": "2025-01-02T09:00:00",
        "RfcEmisor": RFC,
        "TipoComprobante": "I",
        "EstadoComprobante": "Todos",
        "RfcACuentaTerceros": "XEXX010101000",
        "Complemento": "nomina12",
        "RfcReceptores": {"RfcReceptor": [OTHER, "XAXX010101000", "ÑAÑ010101AB1", "A&C010101AB1"]},
    }


def test_enum_members_are_sent_as_their_values() -> None:
    payload = emitidos(
        tipo_solicitud=TipoSolicitud.PDF,
        tipo_comprobante=TipoComprobante.NOMINA,
        estado_comprobante="Cancelado",
    )
    assert (payload["TipoSolicitud"], payload["TipoComprobante"]) == ("PDF", "N")
    assert payload["EstadoComprobante"] == "Cancelado"
    assert all(type(value) is str for value in payload.values())


def test_minimal_recibidos() -> None:
    assert recibidos() == {
        "TipoSolicitud": "CFDI",
        "FechaInicial": "2025-01-01T00:00:00",
        "FechaFinal": "2025-01-31T23:59:59",
        "RfcReceptor": RFC,
        "EstadoComprobante": "Vigente",
    }


def test_full_recibidos() -> None:
    payload = recibidos(
        tipo_solicitud="Metadata",
        rfc_emisor=OTHER,
        rfc_solicitante=RFC.lower(),
        tipo_comprobante=TipoComprobante.PAGO,
        estado_comprobante="Todos",
        rfc_a_cuenta_terceros=OTHER,
        complemento="pagos20",
    )
    assert payload == {
        "RfcSolicitante": RFC,
        "TipoSolicitud": "Metadata",
        "FechaInicial": "2025-01-01T00:00:00",
        "FechaFinal": "2025-01-31T23:59:59",
        "RfcReceptor": RFC,
        "RfcEmisor": OTHER,
        "TipoComprobante": "P",
        "EstadoComprobante": "Todos",
        "RfcACuentaTerceros": OTHER,
        "Complemento": "pagos20",
    }


def test_retenciones_complemento() -> None:
    payload = recibidos(service=ServiceType.RETENCIONES, complemento="dividendos")
    assert payload["Complemento"] == "dividendos"


def test_folio_is_sent_as_given() -> None:
    upper = UUID.upper()
    assert parameters.folio(folio=upper, rfc_solicitante=RFC.lower()) == {
        "RfcSolicitante": RFC,
        "Folio": upper,
    }
    assert parameters.folio(folio=UUID, rfc_solicitante=None) == {"Folio": UUID}


def test_verifica_and_descarga() -> None:
    assert parameters.verifica(id_solicitud=UUID, rfc_solicitante=RFC) == {
        "IdSolicitud": UUID,
        "RfcSolicitante": RFC,
    }
    paquete = "2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01"
    assert parameters.descarga(id_paquete=paquete, rfc_solicitante=RFC.lower()) == {
        "IdPaquete": paquete,
        "RfcSolicitante": RFC,
    }


# -- dates -------------------------------------------------------------------------------------


def test_naive_datetimes_are_sent_to_the_second() -> None:
    payload = emitidos(
        fecha_inicial=datetime(2025, 1, 1, 0, 0, 0), fecha_final=datetime(2025, 1, 1, 0, 0, 1)
    )
    assert (payload["FechaInicial"], payload["FechaFinal"]) == (
        "2025-01-01T00:00:00",
        "2025-01-01T00:00:01",
    )


def test_aware_datetimes_are_refused() -> None:
    aware = datetime(2025, 1, 1, tzinfo=timezone.utc)
    problem = only_problem(emitidos, fecha_inicial=aware)
    assert problem.startswith("FechaInicial 2025-01-01T00:00:00+00:00 has a time zone")
    assert "naive datetime in Mexico City time" in problem


@pytest.mark.parametrize("text", ["2025-01-01", "2025-01-01 00:00:00", "2025-01-01T00:00:00Z"])
def test_badly_formatted_strings_are_refused(text: str) -> None:
    problem = only_problem(emitidos, fecha_final=text)
    assert problem.startswith(f"FechaFinal {text!r} is not a date SAT understands")
    assert "YYYY-MM-DDTHH:MM:SS" in problem


@pytest.mark.parametrize("value", [None, 20250101])
def test_missing_or_wrongly_typed_dates(value: Any) -> None:
    problem = only_problem(emitidos, fecha_inicial=value)
    assert problem.startswith("FechaInicial ")
    assert "date or a naive datetime" in problem


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2025, 1, 1, 10), datetime(2025, 1, 1, 10)),
        (datetime(2025, 1, 1, 10, 0, 0, 900), datetime(2025, 1, 1, 10, 0, 0, 100_000)),
        (date(2025, 2, 1), date(2025, 1, 1)),
    ],
)
def test_the_period_must_not_be_empty_or_reversed(start: Any, end: Any) -> None:
    problem = only_problem(emitidos, fecha_inicial=start, fecha_final=end)
    assert "must be before FechaFinal" in problem


def test_a_single_day_is_a_valid_period() -> None:
    payload = emitidos(fecha_inicial=date(2025, 1, 1), fecha_final=date(2025, 1, 1))
    assert payload["FechaFinal"] == "2025-01-01T23:59:59"


def test_six_year_window() -> None:
    assert emitidos(fecha_inicial=date(2020, 1, 15))["FechaInicial"] == "2020-01-15T00:00:00"
    problem = only_problem(emitidos, fecha_inicial=datetime(2020, 1, 14, 23, 59, 59))
    assert "older than SAT serves" in problem
    assert "2020-01-15T00:00:00" in problem


def test_six_year_window_from_a_leap_day() -> None:
    leap = date(2028, 2, 29)
    assert emitidos(fecha_inicial=date(2022, 2, 28), today=leap)["FechaInicial"]
    assert "older" in only_problem(emitidos, fecha_inicial=date(2022, 2, 27), today=leap)


def test_the_period_may_end_today_but_not_later() -> None:
    assert emitidos(fecha_final=TODAY)["FechaFinal"] == "2026-01-15T23:59:59"
    problem = only_problem(emitidos, fecha_final=TODAY + timedelta(days=1))
    assert problem.startswith("FechaFinal (2026-01-16T23:59:59) is in the future")
    assert "2026-01-15" in problem


# -- RFCs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rfc",
    [
        "AXT940727FP8",
        "VADA800927DJ3",
        "XAXX010101000",
        "XEXX010101000",
        "&&&991231ZZA",
        "ÑÑÑÑ000229AA1",
        "axt940727fp8",
    ],
)
def test_valid_rfcs_are_upper_cased(rfc: str) -> None:
    assert emitidos(rfc_emisor=rfc)["RfcEmisor"] == rfc.upper()


@pytest.mark.parametrize(
    ("rfc", "reason"),
    [
        ("AXT940727FP", "it has 11 characters: expected 12 characters for a persona moral"),
        ("VADAA800927DJ3", "it has 14 characters: expected 12 characters for a persona moral"),
        ("AX1940727FP8", "'AX1' must be letters (3 for a persona moral, 4 for a persona física)"),
        ("AXT941327FP8", "'941327' is not a date (YYMMDD)"),
        ("AXT940700FP8", "'940700' is not a date (YYMMDD)"),
        ("AXT940732FP8", "'940732' is not a date (YYMMDD)"),
        ("AXT940727FPB", "its last character 'B' is the check digit: 0-9 or A"),
        ("AXT940727F-8", "the homoclave 'F-' must be 2 letters or digits"),
        (" AXT940727FP8", "' AXT' must be letters (3 for a persona moral, 4 for a persona física)"),
        ("AXT-940727-FP8", "it has 14 characters: expected 12 characters for a persona moral"),
    ],
)
def test_invalid_rfcs_say_what_is_wrong(rfc: str, reason: str) -> None:
    problem = only_problem(emitidos, rfc_emisor=rfc)
    assert problem.startswith(f"RfcEmisor {rfc!r} is not a valid RFC: {reason}"), problem


def test_a_wrong_check_digit_is_not_called_a_length_problem() -> None:
    problem = only_problem(emitidos, rfc_emisor="AXT940727FPZ")
    assert "check digit" in problem
    assert "characters" not in problem


@pytest.mark.parametrize("value", [None, ""])
def test_rfc_emisor_is_required(value: str | None) -> None:
    assert only_problem(emitidos, rfc_emisor=value) == (
        "RfcEmisor is required: pass the taxpayer's RFC"
    )


def test_rfc_of_the_wrong_type() -> None:
    assert only_problem(emitidos, rfc_a_cuenta_terceros=123) == (
        "RfcACuentaTerceros must be an RFC string, not int"
    )


def test_rfc_a_cuenta_terceros_is_checked() -> None:
    assert only_problem(emitidos, rfc_a_cuenta_terceros="bad").startswith(
        "RfcACuentaTerceros 'bad' is not a valid RFC"
    )


def test_rfc_solicitante_must_match_the_emisor() -> None:
    problem = only_problem(emitidos, rfc_solicitante=OTHER)
    assert problem.startswith(f"RfcSolicitante {OTHER!r} must be the same RFC as RfcEmisor")
    assert "pass None" in problem


def test_rfc_solicitante_must_match_the_receptor() -> None:
    problem = only_problem(recibidos, rfc_solicitante=OTHER)
    assert f"must be the same RFC as RfcReceptor {RFC!r}" in problem


def test_invalid_rfc_solicitante() -> None:
    assert only_problem(emitidos, rfc_solicitante="x").startswith(
        "RfcSolicitante 'x' is not a valid RFC"
    )


def test_rfc_receptor_is_required_for_recibidos() -> None:
    assert only_problem(recibidos, rfc_receptor=None) == (
        "RfcReceptor is required: pass the taxpayer's RFC"
    )


def test_optional_emisor_filter_of_recibidos_is_checked() -> None:
    assert only_problem(recibidos, rfc_emisor="nope").startswith(
        "RfcEmisor 'nope' is not a valid RFC"
    )


# -- receptores --------------------------------------------------------------------------------


def test_five_receptores_are_fine_six_are_not() -> None:
    five = (OTHER,) * 5
    assert emitidos(rfc_receptores=five)["RfcReceptores"] == {"RfcReceptor": list(five)}
    problem = only_problem(emitidos, rfc_receptores=(OTHER,) * 6)
    assert problem.startswith("RfcReceptores holds 6 RFCs but SAT accepts at most 5")
    assert "split" in problem


def test_each_receptor_is_checked() -> None:
    found = problems(emitidos, rfc_receptores=(OTHER, "bad", ""))
    assert found == (
        "RfcReceptores[1] 'bad' is not a valid RFC: it has 3 characters: expected 12 characters "
        "for a persona moral (e.g. 'AXT940727FP8') or 13 for a persona física "
        "(e.g. 'VADA800927DJ3'), or the generic 'XAXX010101000'/'XEXX010101000'",
        "RfcReceptores[2] is required: pass the taxpayer's RFC",
    )


def test_receptores_as_a_string_is_refused() -> None:
    assert only_problem(emitidos, rfc_receptores=OTHER) == (
        "RfcReceptores must be a tuple of RFCs, not str"
    )


def test_empty_receptores_are_left_out() -> None:
    assert "RfcReceptores" not in emitidos(rfc_receptores=[])


# -- enumerations ------------------------------------------------------------------------------


def test_tipo_solicitud_is_required() -> None:
    problem = only_problem(emitidos, tipo_solicitud=None)
    assert problem == (
        "TipoSolicitud is required: use one of 'Metadata', 'CFDI', 'PDF', 'PDFCOCEMA', "
        "'TXTUUIDMASIVA'"
    )


@pytest.mark.parametrize(
    ("value", "hint"),
    [("cfdi", "; did you mean 'CFDI'?"), ("METADATA", "; did you mean 'Metadata'?"), ("XML", "")],
)
def test_unknown_tipo_solicitud(value: str, hint: str) -> None:
    assert only_problem(emitidos, tipo_solicitud=value) == (
        f"TipoSolicitud {value!r} is not valid: use one of 'Metadata', 'CFDI', 'PDF', "
        f"'PDFCOCEMA', 'TXTUUIDMASIVA'{hint}"
    )


def test_a_member_of_another_enum_is_refused() -> None:
    problem = only_problem(emitidos, tipo_comprobante=EstadoComprobante.VIGENTE)
    assert problem.startswith("TipoComprobante <EstadoComprobante.VIGENTE: 'Vigente'> is not valid")


def test_tipo_comprobante_by_name_gets_a_hint() -> None:
    assert only_problem(emitidos, tipo_comprobante="ingreso") == (
        "TipoComprobante 'ingreso' is not valid: use one of 'I', 'E', 'T', 'N', 'P'; "
        "did you mean 'I'?"
    )


@pytest.mark.parametrize("value", ["1", "0", "vigente"])
def test_estado_comprobante_uses_the_v15_words(value: str) -> None:
    problem = only_problem(emitidos, estado_comprobante=value)
    assert problem.startswith(f"EstadoComprobante {value!r} is not valid: use one of 'Todos'")


@pytest.mark.parametrize("estado", [None, "Todos", EstadoComprobante.CANCELADO])
def test_received_xml_must_be_vigente(estado: Any) -> None:
    problem = only_problem(recibidos, estado_comprobante=estado)
    assert "must be requested with EstadoComprobante 'Vigente'" in problem
    assert "request 'Metadata'" in problem


def test_received_metadata_may_include_cancelled() -> None:
    payload = recibidos(tipo_solicitud="Metadata", estado_comprobante=EstadoComprobante.CANCELADO)
    assert payload["EstadoComprobante"] == "Cancelado"
    assert "EstadoComprobante" not in recibidos(tipo_solicitud="Metadata", estado_comprobante=None)


def test_invalid_estado_for_received_xml_is_one_problem() -> None:
    assert only_problem(recibidos, estado_comprobante="Valid").startswith(
        "EstadoComprobante 'Valid' is not valid"
    )


# -- complementos ------------------------------------------------------------------------------


def test_catalogs() -> None:
    assert complementos(ServiceType.CFDI) == COMPLEMENTOS_CFDI
    assert complementos(ServiceType.RETENCIONES) == COMPLEMENTOS_RETENCIONES
    assert len(COMPLEMENTOS_CFDI_V15) == 35
    assert len(COMPLEMENTOS_RETENCIONES) == 14
    assert {"nomina12", "pagos10", "pagos20", "cartaporte20"} <= COMPLEMENTOS_CFDI
    assert not COMPLEMENTOS_CFDI & COMPLEMENTOS_RETENCIONES


def test_close_complemento_gets_a_suggestion() -> None:
    assert only_problem(emitidos, complemento="Nomina12") == (
        "Complemento 'Nomina12' is not one SAT lists for CFDI: did you mean 'nomina12'?"
    )


def test_complemento_of_the_other_family() -> None:
    problem = only_problem(emitidos, complemento="dividendos")
    assert problem == (
        "Complemento 'dividendos' is not one SAT lists for CFDI: it belongs to the other service "
        "family; use Endpoints.retenciones()"
    )


def test_unknown_complemento_points_to_the_catalog() -> None:
    problem = only_problem(recibidos, complemento="zzz", service=ServiceType.RETENCIONES)
    assert problem.startswith("Complemento 'zzz' is not one SAT lists for Retenciones")
    assert "complementos(ServiceType.RETENCIONES)" in problem


# -- folio, verifica, descarga -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["", "2d3f6a4e8c1b4f7a9e250b6c7d8e9f10", UUID + "0", "{" + UUID + "}", UUID[:-1] + "g"]
)
def test_invalid_folio(value: str) -> None:
    problem = only_problem(parameters.folio, folio=value, rfc_solicitante=RFC)
    assert problem.startswith("Folio ")
    assert "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" in problem


def test_folio_with_an_invalid_rfc_solicitante() -> None:
    assert only_problem(parameters.folio, folio=UUID, rfc_solicitante="bad").startswith(
        "RfcSolicitante 'bad' is not a valid RFC"
    )


def test_verifica_problems() -> None:
    found = problems(parameters.verifica, id_solicitud=UUID + "_01", rfc_solicitante=None)
    assert len(found) == 2
    assert found[0].startswith(f"IdSolicitud {UUID + '_01'!r} is malformed")
    assert found[1] == "RfcSolicitante is required: pass the taxpayer's RFC"


@pytest.mark.parametrize("value", [UUID, UUID + "_", UUID + "_a1", "x_01"])
def test_invalid_id_paquete(value: str) -> None:
    problem = only_problem(parameters.descarga, id_paquete=value, rfc_solicitante=RFC)
    assert problem.startswith(f"IdPaquete {value!r} is malformed")
    assert "<IdSolicitud>_<number>" in problem


def test_id_of_the_wrong_type() -> None:
    problem = only_problem(parameters.descarga, id_paquete=1, rfc_solicitante=RFC)
    assert problem == "IdPaquete must be a string, not int"


# -- every problem at once ---------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RequestValidationError) as caught:
        emitidos(
            rfc_emisor="bad",
            fecha_inicial=date(2025, 2, 1),
            fecha_final=date(2025, 1, 1),
            tipo_solicitud="XML",
            rfc_receptores=("bad",) * 6,
            tipo_comprobante="Z",
            estado_comprobante="1",
            complemento="nomina",
        )
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.operation == "SolicitaDescargaEmitidos"
    prefixes = [problem.split(" ")[0] for problem in error.problems]
    assert prefixes == [
        "RfcEmisor",
        "FechaInicial",
        "RfcReceptores",
        *[f"RfcReceptores[{index}]" for index in range(6)],
        "TipoSolicitud",
        "TipoComprobante",
        "EstadoComprobante",
        "Complemento",
    ]
    assert str(error).startswith("SolicitaDescargaEmitidos: 13 problems; nothing was sent to SAT")


def test_recibidos_problems_name_the_operation() -> None:
    with pytest.raises(RequestValidationError) as caught:
        recibidos(rfc_receptor="bad", tipo_solicitud="CFDI", estado_comprobante="Todos")
    assert caught.value.operation == "SolicitaDescargaRecibidos"
    assert len(caught.value.problems) == 2
