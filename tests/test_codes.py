from __future__ import annotations

import enum
import pickle
from typing import Any

import pytest

from sat_zeep.client.codes import (
    CodEstatus,
    EstadoComprobante,
    EstadoSolicitud,
    TipoComprobante,
    TipoSolicitud,
)
from sat_zeep.errors import STATUS_ERRORS

DOCUMENTED_CODES = {
    300: "USUARIO_NO_VALIDO",
    301: "XML_MAL_FORMADO",
    302: "SELLO_MAL_FORMADO",
    303: "SELLO_NO_CORRESPONDE",
    304: "CERTIFICADO_REVOCADO_O_CADUCO",
    305: "CERTIFICADO_INVALIDO",
    404: "ERROR_NO_CONTROLADO",
    5000: "SOLICITUD_ACEPTADA",
    5001: "TERCERO_NO_AUTORIZADO",
    5002: "SOLICITUDES_AGOTADAS",
    5003: "TOPE_MAXIMO",
    5004: "NO_SE_ENCONTRO_INFORMACION",
    5005: "SOLICITUD_DUPLICADA",
    5006: "ERROR_INTERNO",
    5007: "PAQUETE_VENCIDO",
    5008: "MAXIMO_DE_DESCARGAS",
    5011: "LIMITE_FOLIOS",
    5012: "CANCELADOS_NO_PERMITIDOS",
}


def test_every_documented_code_is_a_member() -> None:
    assert {member.value: member.name for member in CodEstatus} == DOCUMENTED_CODES


def test_every_error_class_has_a_code_member() -> None:
    assert set(STATUS_ERRORS) == {member.value for member in CodEstatus if not member.is_success}


@pytest.mark.parametrize("code", sorted(DOCUMENTED_CODES))
def test_documented_codes_carry_sats_message(code: int) -> None:
    member = CodEstatus(code)
    assert member.is_documented
    assert member.sat_message
    assert member is CodEstatus[DOCUMENTED_CODES[code]]


def test_sat_messages() -> None:
    assert (
        CodEstatus.SOLICITUDES_AGOTADAS.sat_message == "Se han agotado las solicitudes de por vida"
    )
    assert CodEstatus.MAXIMO_DE_DESCARGAS.sat_message == "Máximo de descargas permitidas"
    assert CodEstatus.NO_SE_ENCONTRO_INFORMACION.sat_message == "No se encontró la información"


def test_only_5000_is_success() -> None:
    assert [member for member in CodEstatus if member.is_success] == [CodEstatus.SOLICITUD_ACEPTADA]
    assert not CodEstatus(9999).is_success


def test_unknown_code_is_a_flagged_pseudo_member() -> None:
    unknown = CodEstatus(9999)
    assert isinstance(unknown, CodEstatus)
    assert unknown == 9999
    assert unknown.value == 9999
    assert unknown.name == "UNKNOWN_9999"
    assert not unknown.is_documented
    assert unknown.sat_message == ""
    assert unknown is CodEstatus(9999)
    assert unknown not in list(CodEstatus)
    assert repr(unknown) == "<CodEstatus.UNKNOWN_9999: 9999>"


def test_strings_of_digits_parse() -> None:
    text: Any = "5000"
    assert CodEstatus(text) is CodEstatus.SOLICITUD_ACEPTADA
    assert CodEstatus.parse(" 5004 ") is CodEstatus.NO_SE_ENCONTRO_INFORMACION
    assert CodEstatus.parse(5000) is CodEstatus.SOLICITUD_ACEPTADA
    assert CodEstatus.parse("9998") is CodEstatus(9998)


@pytest.mark.parametrize("value", ["", "abc", "50_00", "--5", "5.0", True, None])
def test_non_integers_are_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        CodEstatus(value)


@pytest.mark.parametrize("value", ["", "abc", "50_00", "+5000"])
def test_parse_refuses_non_digit_strings(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid CodEstatus"):
        CodEstatus.parse(value)


def test_pseudo_members_are_per_enum() -> None:
    assert not isinstance(CodEstatus(77), EstadoSolicitud)
    assert isinstance(EstadoSolicitud(77), EstadoSolicitud)


def test_members_pickle_to_themselves() -> None:
    assert (
        pickle.loads(pickle.dumps(CodEstatus.SOLICITUD_ACEPTADA)) is CodEstatus.SOLICITUD_ACEPTADA
    )
    assert pickle.loads(pickle.dumps(CodEstatus(9999))) is CodEstatus(9999)


def test_estado_solicitud_values() -> None:
    assert [(member.name, member.value) for member in EstadoSolicitud] == [
        ("ACEPTADA", 1),
        ("EN_PROCESO", 2),
        ("TERMINADA", 3),
        ("ERROR", 4),
        ("RECHAZADA", 5),
        ("VENCIDA", 6),
    ]
    assert EstadoSolicitud.EN_PROCESO.sat_name == "En Proceso"


def test_estado_solicitud_zero_is_undocumented() -> None:
    zero = EstadoSolicitud.parse("0")
    assert zero.name == "UNKNOWN_0"
    assert not zero.is_documented
    assert zero.sat_name == ""
    assert not (zero.is_pending or zero.is_finished or zero.is_failed)


def test_estado_solicitud_predicates() -> None:
    assert {member for member in EstadoSolicitud if member.is_pending} == {
        EstadoSolicitud.ACEPTADA,
        EstadoSolicitud.EN_PROCESO,
    }
    assert {member for member in EstadoSolicitud if member.is_finished} == {
        EstadoSolicitud.TERMINADA
    }
    assert {member for member in EstadoSolicitud if member.is_failed} == {
        EstadoSolicitud.ERROR,
        EstadoSolicitud.RECHAZADA,
        EstadoSolicitud.VENCIDA,
    }


def test_wire_values() -> None:
    assert [member.value for member in TipoSolicitud] == [
        "Metadata",
        "CFDI",
        "PDF",
        "PDFCOCEMA",
        "TXTUUIDMASIVA",
    ]
    assert [member.value for member in EstadoComprobante] == ["Todos", "Cancelado", "Vigente"]
    assert [member.value for member in TipoComprobante] == ["I", "E", "T", "N", "P"]
    assert TipoSolicitud("CFDI") is TipoSolicitud.CFDI


@pytest.mark.parametrize(
    ("kind", "value"),
    [(TipoSolicitud, "cfdi"), (EstadoComprobante, "1"), (TipoComprobante, "X")],
)
def test_request_enums_are_closed(kind: type[enum.Enum], value: str) -> None:
    with pytest.raises(ValueError):
        kind(value)
