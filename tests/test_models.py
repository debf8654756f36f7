from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from lxml import etree
from pydantic import ValidationError

from sat_zeep.client.codes import CodEstatus, EstadoSolicitud
from sat_zeep.client.models import (
    DescargarResult,
    SatResult,
    SolicitaDescargaResult,
    Token,
    VerificaSolicitudDescargaResult,
)
from sat_zeep.errors import (
    STATUS_ERRORS,
    DownloadLimitError,
    MalformedRequestError,
    NotFoundError,
    PackageExpiredError,
    RequestsExhaustedError,
    SatInternalError,
    SatStatusError,
    ThirdPartyNotAuthorizedError,
)

RESPONSES = Path(__file__).parent / "fixtures" / "responses"
DES = "{http://DescargaMasivaTerceros.sat.gob.mx}"
ID_SOLICITUD = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"
NOW = datetime(2026, 1, 15, 17, 0, tzinfo=timezone.utc)


def _first(name: str, tag: str) -> etree._Element:
    root = etree.fromstring((RESPONSES / name).read_bytes())
    found = next(iter(root.iter(tag)), None)
    assert found is not None, f"{tag} not in {name}"
    return found


def result_dict(name: str) -> dict[str, Any]:
    """What ``serialize_object`` yields for a result element: attributes, IdsPaquetes a list."""
    operation = name.split("-")[0]
    if operation == "verifica":
        element = _first(name, f"{DES}VerificaSolicitudDescargaResult")
        data = attributes(element)
        data["IdsPaquetes"] = [child.text for child in element.iter(f"{DES}IdsPaquetes")]
        return data
    kind = name.split("-")[1]
    element = _first(name, f"{DES}SolicitaDescarga{kind}Result")
    return attributes(element)


def attributes(element: etree._Element) -> dict[str, Any]:
    return {str(key): value for key, value in element.attrib.items()}


def descarga_parts(name: str) -> tuple[dict[str, Any], str | None]:
    respuesta = attributes(_first(name, f"{DES}respuesta"))
    paquete = [
        element.text for element in _first(name, f"{DES}RespuestaDescargaMasivaTercerosSalida")
    ]
    return respuesta, (paquete[0] if paquete else None)


# -- every result fixture ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["solicita-Emitidos-aceptada.xml", "solicita-Recibidos-aceptada.xml"]
)
def test_accepted_solicitud(name: str) -> None:
    result = SolicitaDescargaResult.model_validate(result_dict(name))
    assert result.cod_estatus is CodEstatus.SOLICITUD_ACEPTADA
    assert result.mensaje == "Solicitud Aceptada"
    assert result.id_solicitud == ID_SOLICITUD
    assert result.rfc_solicitante == "SZP200101AB1"
    assert result.is_accepted
    assert result.raise_for_status() is result


def test_accepted_folio() -> None:
    result = SolicitaDescargaResult.model_validate(result_dict("solicita-Folio-aceptada.xml"))
    assert result.raise_for_status().id_solicitud == ID_SOLICITUD


def test_exhausted_solicitud() -> None:
    result = SolicitaDescargaResult.model_validate(result_dict("solicita-Emitidos-5002.xml"))
    assert result.cod_estatus is CodEstatus.SOLICITUDES_AGOTADAS
    assert result.id_solicitud is None
    assert result.rfc_solicitante == "SZP200101AB1"
    assert not result.is_accepted
    with pytest.raises(RequestsExhaustedError) as caught:
        result.raise_for_status()
    assert caught.value.code == 5002
    assert caught.value.message == "Se han agotado las solicitudes de por vida"
    assert caught.value.operation == "SolicitaDescarga"


def test_rejected_solicitud_has_no_ids() -> None:
    result = SolicitaDescargaResult.model_validate(
        result_dict("solicita-Emitidos-rechazada-301.xml")
    )
    assert result.cod_estatus is CodEstatus.XML_MAL_FORMADO
    assert result.id_solicitud is None
    assert result.rfc_solicitante is None
    with pytest.raises(MalformedRequestError, match="cancelados"):
        result.raise_for_status()


def test_verifica_terminada() -> None:
    result = VerificaSolicitudDescargaResult.model_validate(result_dict("verifica-terminada.xml"))
    assert result.estado_solicitud is EstadoSolicitud.TERMINADA
    assert result.codigo_estado_solicitud is CodEstatus.SOLICITUD_ACEPTADA
    assert result.numero_cfdis == 12
    assert result.ids_paquetes == (
        "2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01",
        "2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_02",
    )
    assert (result.is_finished, result.is_pending, result.is_failed) == (True, False, False)
    assert result.raise_for_status() is result


def test_verifica_en_proceso() -> None:
    result = VerificaSolicitudDescargaResult.model_validate(result_dict("verifica-en-proceso.xml"))
    assert result.estado_solicitud is EstadoSolicitud.EN_PROCESO
    assert result.ids_paquetes == ()
    assert result.numero_cfdis == 0
    assert (result.is_finished, result.is_pending, result.is_failed) == (False, True, False)
    assert result.raise_for_status() is result


def test_verifica_rechazada_raises_the_request_code() -> None:
    result = VerificaSolicitudDescargaResult.model_validate(
        result_dict("verifica-rechazada-5004.xml")
    )
    assert result.is_accepted
    assert result.estado_solicitud is EstadoSolicitud.RECHAZADA
    assert result.codigo_estado_solicitud is CodEstatus.NO_SE_ENCONTRO_INFORMACION
    assert result.is_failed
    with pytest.raises(NotFoundError) as caught:
        result.raise_for_status()
    assert caught.value.code == 5004
    assert "No se encontró la información" in caught.value.message
    assert "Rechazada" in caught.value.message


def test_verifica_undocumented_state_zero() -> None:
    result = VerificaSolicitudDescargaResult.model_validate(
        result_dict("verifica-estado-0-301.xml")
    )
    assert result.estado_solicitud == 0
    assert not result.estado_solicitud.is_documented
    assert result.codigo_estado_solicitud is None
    assert not (result.is_finished or result.is_pending or result.is_failed)
    with pytest.raises(MalformedRequestError) as caught:
        result.raise_for_status()
    assert caught.value.message == "XML Mal Formado"


def test_descarga_header_only_error() -> None:
    respuesta, paquete = descarga_parts("descarga-error-5008.xml")
    assert paquete is None
    result = DescargarResult.from_parts(respuesta, paquete)
    assert result.cod_estatus is CodEstatus.MAXIMO_DE_DESCARGAS
    assert result.paquete is None
    assert result.size == 0
    with pytest.raises(DownloadLimitError):
        result.raise_for_status()


# -- status codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "error"), sorted(STATUS_ERRORS.items()))
def test_each_code_raises_its_error(code: int, error: type[SatStatusError]) -> None:
    result = SolicitaDescargaResult.model_validate({"CodEstatus": str(code), "Mensaje": "m"})
    assert not result.is_accepted
    with pytest.raises(error) as caught:
        result.raise_for_status()
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.message == "m"
    assert str(code) in str(caught.value)


@pytest.mark.parametrize("code", [5000, "5000", CodEstatus.SOLICITUD_ACEPTADA])
def test_code_forms(code: Any) -> None:
    result = SatResult.model_validate({"CodEstatus": code})
    assert result.cod_estatus is CodEstatus.SOLICITUD_ACEPTADA
    assert result.mensaje == ""
    assert result.raise_for_status() is result


def test_unknown_code_is_data_then_a_plain_status_error() -> None:
    result = SolicitaDescargaResult.model_validate({"CodEstatus": "9999", "Mensaje": None})
    assert result.cod_estatus.name == "UNKNOWN_9999"
    assert result.mensaje == ""
    with pytest.raises(SatStatusError) as caught:
        result.raise_for_status()
    assert type(caught.value) is SatStatusError
    assert caught.value.code == 9999


@pytest.mark.parametrize("payload", [{}, {"CodEstatus": None}, {"CodEstatus": "ok"}])
def test_missing_or_garbled_code_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SolicitaDescargaResult.model_validate(payload)


def test_verifica_requires_estado_solicitud() -> None:
    with pytest.raises(ValidationError):
        VerificaSolicitudDescargaResult.model_validate({"CodEstatus": "5000", "NumeroCFDIs": "0"})


def test_results_accept_field_names_and_are_frozen() -> None:
    result = SolicitaDescargaResult(CodEstatus=CodEstatus(5000), IdSolicitud="")
    assert result.id_solicitud is None
    id_solicitud = "2d3f6a4e-8c1b-4f7a-9e25-0b6c7d8e9f10"
    by_name = SolicitaDescargaResult.model_validate(
        {"cod_estatus": 5000, "id_solicitud": id_solicitud}
    )
    assert by_name.id_solicitud == id_solicitud
    with pytest.raises(ValidationError):
        result.mensaje = "changed"  # type: ignore[misc]


def test_extra_attributes_are_ignored() -> None:
    result = SolicitaDescargaResult.model_validate({"CodEstatus": "5000", "Nuevo": "x"})
    assert result.is_accepted


def verifica(estado: int, codigo: str | None, cod_estatus: str = "5000") -> Any:
    return VerificaSolicitudDescargaResult.model_validate(
        {
            "CodEstatus": cod_estatus,
            "EstadoSolicitud": str(estado),
            "CodigoEstadoSolicitud": codigo,
            "NumeroCFDIs": "0",
            "Mensaje": "Solicitud Aceptada",
            "IdsPaquetes": None,
        }
    )


@pytest.mark.parametrize(
    ("estado", "codigo", "error", "code"),
    [
        (5, "5002", RequestsExhaustedError, 5002),
        (5, "5001", ThirdPartyNotAuthorizedError, 5001),
        (4, "5004", NotFoundError, 5004),
        (6, None, PackageExpiredError, 5007),
        (6, "5000", PackageExpiredError, 5007),
        (4, "", SatInternalError, 5006),
        (5, "5000", SatStatusError, 5000),
        (5, None, SatStatusError, 5000),
    ],
)
def test_failed_requests_raise(
    estado: int, codigo: str | None, error: type[SatStatusError], code: int
) -> None:
    result = verifica(estado, codigo)
    assert result.is_failed
    with pytest.raises(error) as caught:
        result.raise_for_status()
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.operation == "VerificaSolicitudDescarga"


def test_the_verification_code_wins_over_the_request_code() -> None:
    with pytest.raises(ThirdPartyNotAuthorizedError):
        verifica(5, "5004", cod_estatus="5001").raise_for_status()


@pytest.mark.parametrize("estado", [1, 2, 3, 9])
def test_other_states_do_not_raise(estado: int) -> None:
    result = verifica(estado, "5000")
    assert result.raise_for_status() is result


PAQUETE = "2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01"


def test_a_single_package_id_string_becomes_a_tuple() -> None:
    result = VerificaSolicitudDescargaResult.model_validate(
        {"CodEstatus": 5000, "EstadoSolicitud": 3, "IdsPaquetes": PAQUETE, "NumeroCFDIs": None}
    )
    assert result.ids_paquetes == (PAQUETE,)
    assert result.numero_cfdis == 0


# -- Descargar ---------------------------------------------------------------------------------

ZIP = b"PK\x05\x06" + bytes(18)
OK = {"CodEstatus": "5000", "Mensaje": "Solicitud Aceptada"}


def test_package_from_bytes() -> None:
    result = DescargarResult.from_parts(OK, ZIP).raise_for_status()
    assert result.paquete == ZIP
    assert result.size == len(ZIP)


def test_package_from_base64_text_with_line_breaks() -> None:
    text = base64.encodebytes(ZIP * 10).decode()
    assert "\n" in text
    assert DescargarResult.from_parts(OK, text).paquete == ZIP * 10


def test_package_from_a_zeep_object_header() -> None:
    header = SimpleNamespace(CodEstatus="5000", Mensaje="Solicitud Aceptada")
    result = DescargarResult.from_parts(header, base64.b64encode(ZIP).decode())
    assert result.is_accepted
    assert result.paquete == ZIP


@pytest.mark.parametrize("text", ["not base64!", "UEsFBg="])
def test_invalid_base64_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="base64"):
        DescargarResult.from_parts(OK, text)


@pytest.mark.parametrize("paquete", [None, "", b""])
def test_empty_package_is_none(paquete: bytes | str | None) -> None:
    assert DescargarResult.from_parts(OK, paquete).paquete is None


def test_package_of_a_refused_download_is_dropped() -> None:
    result = DescargarResult.from_parts({"CodEstatus": "5007", "Mensaje": "x"}, "garbage!!")
    assert result.paquete is None
    with pytest.raises(PackageExpiredError):
        result.raise_for_status()


def test_package_is_not_in_the_repr() -> None:
    result = DescargarResult.from_parts(OK, b"SECRET-ZIP-BYTES")
    assert "SECRET" not in repr(result)
    assert "SECRET" not in str(result)


# -- Token -------------------------------------------------------------------------------------

TOKEN = (RESPONSES / "autentica-token.xml").read_text().split("<AutenticaResult>")[1].split("<")[0]


def make_token(value: str = TOKEN) -> Token:
    return Token(value=value, created=NOW, expires=NOW + timedelta(minutes=5))


def test_token_round_trips_through_json() -> None:
    token = make_token()
    saved = token.model_dump_json()
    assert TOKEN in saved
    restored = Token.model_validate_json(saved)
    assert restored == token
    assert restored.created.tzinfo is not None


def test_token_never_shows_its_value() -> None:
    token = make_token()
    for text in (repr(token), str(token), f"{token}", f"{token!r}"):
        assert TOKEN not in text
        assert "eyJ" not in text


def test_token_validity() -> None:
    token = make_token()
    assert token.is_valid(NOW)
    assert token.is_valid(NOW + timedelta(minutes=4, seconds=59))
    assert not token.is_valid(NOW + timedelta(minutes=5))
    assert not token.is_valid(NOW + timedelta(minutes=4, seconds=45), margin=timedelta(seconds=30))
    assert token.is_valid(NOW + timedelta(minutes=4), margin=timedelta(seconds=30))


def test_token_validity_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_token().is_valid(datetime(2026, 1, 15, 17, 1))


def test_token_datetimes_are_kept_in_utc() -> None:
    mexico = timezone(timedelta(hours=-6))
    token = Token(value="t", created=NOW.astimezone(mexico), expires=(NOW + timedelta(minutes=5)))
    assert token.created == NOW
    assert token.created.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("created", "expires"),
    [
        (datetime(2026, 1, 15, 17, 0), datetime(2026, 1, 15, 17, 5)),
        (NOW, datetime(2026, 1, 15, 17, 5)),
        (NOW, NOW),
        (NOW, NOW - timedelta(seconds=1)),
    ],
)
def test_token_refuses_naive_or_inverted_windows(created: datetime, expires: datetime) -> None:
    with pytest.raises(ValidationError):
        Token(value="t", created=created, expires=expires)


def test_token_refuses_an_empty_value() -> None:
    with pytest.raises(ValidationError):
        Token(value="", created=NOW, expires=NOW + timedelta(minutes=5))


def test_token_subject() -> None:
    assert make_token().subject == "3330303031303030303030353030303033343135"
    assert make_token("eyJ.eyJ.sig&wrap_subject=3330").subject == "3330"
    assert make_token("eyJ.eyJ.sig").subject is None
    assert make_token("eyJ.eyJ.sig&other=1").subject is None


def test_token_authorization_header_sends_the_value_unchanged() -> None:
    assert make_token().authorization_header == f'WRAP access_token="{TOKEN}"'
