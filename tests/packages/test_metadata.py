"""Metadata packages: typed rows equal the universe's; every known quirk is read right."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sat_zeep.packages import (
    CFDI_COLUMNS,
    CfdiMetadata,
    Estatus,
    MalformedRowError,
    MalformedRowWarning,
    PackageContentError,
    RetencionesMetadata,
    SkippedEntryWarning,
    iter_cfdi_metadata,
    iter_metadata,
    iter_raw_rows,
    iter_raw_tables,
    iter_retenciones_metadata,
)
from sat_zeep.packages import rows as rows_module
from sat_zeep.testing.fake_sat.universe import Document

from .conftest import make_zip

HEADER = "~".join(CFDI_COLUMNS)
ROW = (
    "{uuid}~AAA010101AAA~{name}~BBB010101BBB~RECEPTOR SA~SAT970701NN3~2024-01-05 10:11:12~"
    "2024-01-05 10:12:00~1160.00~I~{estatus}~{cancel}"
)


def table(*rows: str, bom: bool = False, end: str = "\r\n") -> bytes:
    text = ("\ufeff" if bom else "") + end.join([HEADER, *rows]) + end
    return text.encode()


def row(uuid: str = "A", name: str = "EMISOR", estatus: str = "1", cancel: str = "") -> str:
    return ROW.format(uuid=uuid, name=name, estatus=estatus, cancel=cancel)


def test_rows_equal_the_universe(metadata_package: Path, cfdi_documents: list[Document]) -> None:
    rows = list(iter_cfdi_metadata(metadata_package))
    assert len(rows) == len(cfdi_documents)
    for read, truth in zip(rows, cfdi_documents, strict=True):
        assert read.uuid == truth.uuid
        assert (read.nombre_emisor, read.nombre_receptor) == (
            truth.nombre_emisor,
            truth.nombre_receptor,
        )
        assert read.fecha_emision == truth.fecha_emision
        assert read.fecha_certificacion_sat == truth.fecha_certificacion
        assert read.monto == truth.total
        assert read.efecto_comprobante == truth.tipo_comprobante
        assert read.estatus == (Estatus.VIGENTE if truth.estatus == "1" else Estatus.CANCELADO)
        assert read.fecha_cancelacion == truth.fecha_cancelacion
        assert read.vigente is (truth.estatus == "1")
        expected = truth.tercero or (None, None)
        assert (read.rfc_a_cuenta_terceros, read.nombre_a_cuenta_terceros) == expected
    names = [r.nombre_emisor + r.nombre_receptor for r in rows]
    assert any("\n" in name for name in names), "the universe should hold a name with a bare LF"
    assert any('"' in name for name in names), "the universe should hold a name with a quote"
    assert any(r.rfc_a_cuenta_terceros for r in rows), "the universe should hold terceros rows"
    assert any(r.fecha_cancelacion for r in rows)


def test_csv_reader_gets_bare_lf_wrong_and_we_do_not(metadata_package: Path) -> None:
    raw = list(iter_raw_rows(metadata_package))
    assert all(len(fields) == len(CFDI_COLUMNS) for fields in raw)
    tables = list(iter_raw_tables(metadata_package))
    assert tables[0].header == list(CFDI_COLUMNS)
    assert [t.is_terceros for t in tables] == [False, True]
    with zipfile.ZipFile(metadata_package) as archive:
        content = archive.read("META_01.txt").decode()
    naive = list(csv.reader(io.StringIO(content, newline=""), delimiter="~"))
    assert len(naive) - 1 != len(raw)


def test_quirks_bom_quotes_trailing_tilde_and_lf(tmp_path: Path) -> None:
    rows = [
        row("U1", 'MARÍA "LUPITA" PEÑA'),
        row("U2", "SERVICIOS\nSA DE CV", "0", "2024-02-01 00:00:00") + "~",
        row("U3", "CON\r\nCRLF"),
        row("U4", '"'),
    ]
    for bom in (False, True):
        package = make_zip({"P_01.txt": table(*rows, bom=bom)})
        read = list(iter_metadata(package))
        assert all(isinstance(r, CfdiMetadata) for r in read)
        assert [r.nombre_emisor for r in read if isinstance(r, CfdiMetadata)] == [
            'MARÍA "LUPITA" PEÑA',
            "SERVICIOS\nSA DE CV",
            "CON\r\nCRLF",
            '"',
        ]
        second = read[1]
        assert isinstance(second, CfdiMetadata)
        assert second.estatus is Estatus.CANCELADO
        assert second.fecha_cancelacion == datetime(2024, 2, 1)
        assert second.monto == Decimal("1160.00")
        assert second.extra == {}


def test_lf_only_files_are_read_too() -> None:
    package = make_zip({"P_01.txt": table(row("U1"), row("U2"), end="\n")})
    assert [r.uuid for r in iter_metadata(package)] == ["U1", "U2"]


def test_tercero_join_ignores_case() -> None:
    terceros = "Uuid~RfcACuentaTerceros~NombreACuentaTerceros\r\nu2-abc~CCC010101CCC~TERCERO SA\r\n"
    package = make_zip(
        {"P_01.txt": table(row("U1-ABC"), row("U2-ABC")), "P_01_tercero.txt": terceros.encode()}
    )
    read = list(iter_cfdi_metadata(package))
    assert [(r.uuid, r.rfc_a_cuenta_terceros, r.nombre_a_cuenta_terceros) for r in read] == [
        ("U1-ABC", None, None),
        ("U2-ABC", "CCC010101CCC", "TERCERO SA"),
    ]


def test_unknown_columns_and_order_are_kept() -> None:
    columns = ["Estatus", *CFDI_COLUMNS[:10], "FechaCancelacion", "Nueva"]
    text = "~".join(columns) + "\r\n"
    fields = row("U1").split("~")
    reordered = [fields[10], *fields[:10], fields[11], "valor"]
    package = make_zip({"P_01.txt": (text + "~".join(reordered) + "\r\n").encode()})
    (read,) = list(iter_cfdi_metadata(package))
    assert read.uuid == "U1" and read.estatus is Estatus.VIGENTE
    assert read.extra == {"Nueva": "valor"}


def test_retenciones_metadata(
    retenciones_metadata_package: Path, retenciones_documents: list[Document]
) -> None:
    rows = list(iter_metadata(retenciones_metadata_package))
    assert all(isinstance(r, RetencionesMetadata) for r in rows)
    typed = list(iter_retenciones_metadata(retenciones_metadata_package))
    assert [r.uuid for r in typed] == [d.uuid for d in retenciones_documents]
    for read, truth in zip(typed, retenciones_documents, strict=True):
        assert read.monto_tot_operacion == truth.total
        assert read.monto_tot_gravado == truth.subtotal
        assert read.monto_tot_retenido == truth.monto_retenido
        assert read.fecha_emision == truth.fecha_emision
        assert read.extra == {}


def test_retenciones_with_unknown_layout_keeps_extra() -> None:
    text = "Uuid~RfcEmisor~Algo~Estatus~\r\nR1~AAA010101AAA~x~1~\r\n"
    (read,) = list(iter_retenciones_metadata(make_zip({"R_01.txt": text.encode()})))
    assert (read.uuid, read.rfc_emisor, read.estatus) == ("R1", "AAA010101AAA", Estatus.VIGENTE)
    assert read.monto_tot_operacion is None
    assert read.extra == {"Algo": "x"}


def test_bad_rows_warn_or_raise() -> None:
    package = make_zip(
        {
            "P_01.txt": table(row("U1"), "U2~too~short", row("U3", estatus="7"), row("U4")),
            "readme.md": b"x",
        }
    )
    with pytest.warns(MalformedRowWarning) as caught, pytest.warns(SkippedEntryWarning):
        assert [r.uuid for r in iter_metadata(package)] == ["U1", "U4"]
    messages = [str(w.message) for w in caught if w.category is MalformedRowWarning]
    assert any("line 3" in m and "do not fit" in m for m in messages)
    assert any("'U3'" in m and "Estatus" in m for m in messages)
    with pytest.warns(SkippedEntryWarning), pytest.raises(MalformedRowError, match="line 3"):
        list(iter_metadata(package, strict=True))


def test_cfdi_header_missing_a_column_is_a_clear_error() -> None:
    package = make_zip({"P_01.txt": b"Uuid~RfcEmisor\r\nU1~AAA\r\n"})
    with pytest.raises(PackageContentError, match="iter_raw_tables"):
        list(iter_cfdi_metadata(package))


def test_non_utf8_text_is_a_clear_error() -> None:
    package = make_zip({"P_01.txt": HEADER.encode() + b"\r\nU1~PE\xd1A\r\n"})
    with pytest.raises(PackageContentError, match="not UTF-8"):
        list(iter_metadata(package))


@pytest.mark.parametrize(
    ("chunk", "window", "whole"), [(7, 5, 0), (64, 3, 0), (1 << 20, 11, 1 << 30)]
)
def test_reads_and_windows_of_any_size_give_the_same_rows(
    monkeypatch: pytest.MonkeyPatch, chunk: int, window: int, whole: int
) -> None:
    rows = [
        row("U1", 'MARÍA "LUPITA" PEÑA') + "~",
        row("U2", "CON\r\nCRLF"),
        row("U3", "SERVICIOS\nSA DE CV"),
        row("U4", "PARTIDO\r\nEN\r\nTRES") + "~",
        row("U5"),
    ]
    package = make_zip({"P_01.txt": table(*rows, bom=True)})
    expected = [r.split("~")[:12] for r in rows]
    monkeypatch.setattr(rows_module, "CHUNK", chunk)
    monkeypatch.setattr(rows_module, "WINDOW", window)
    monkeypatch.setattr(rows_module, "WHOLE_READ_LIMIT", whole)
    assert list(iter_raw_rows(package)) == expected


def test_strict_raises_after_the_rows_before_the_bad_one() -> None:
    package = make_zip(
        {"P_01.txt": table(row("U1"), row("U2") + "~", row("U3") + "~x~y", row("U4"))}
    )
    read = []
    with pytest.raises(MalformedRowError, match="line 4"):
        for fields in iter_raw_rows(package, strict=True):
            read.append(fields[0])
    assert read == ["U1", "U2"]


def test_lf_files_keep_a_line_break_inside_a_name_as_lf() -> None:
    # A file whose rows end with a bare LF: a name split by a line break is rejoined with the
    # bytes that were there (LF), not with a CRLF the file never held.
    rows = [row("U1", "PARTIDO\nEN DOS"), row("U2", "EN\nTRES\nLINEAS") + "~", row("U3")]
    package = make_zip({"P_01.txt": table(*rows, end="\n")})
    names = [fields[2] for fields in iter_raw_rows(package)]
    assert names == ["PARTIDO\nEN DOS", "EN\nTRES\nLINEAS", "EMISOR"]
    assert [r.nombre_emisor for r in iter_cfdi_metadata(package)] == names


APPLE_DOUBLE = (
    b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\x00\x00\x00\t\x00\x00\x002"
    b"\x00\x00\x0e\xb0\xff\xfe\x80\x81com.apple.quarantine\x00q/0081;\xc3\x28\n"
)


@pytest.mark.parametrize("name", ["__MACOSX/._P_01.txt", "._P_01.txt", "__MACOSX/P_01.txt"])
def test_macos_leftovers_are_skipped_with_a_warning(name: str) -> None:
    # Re-zipped on macOS: AppleDouble "._" files beside the table. Read the table, warn.
    package = make_zip({"P_01.txt": table(row("U1"), row("U2")), name: APPLE_DOUBLE})
    with pytest.warns(SkippedEntryWarning, match="macOS"):
        assert [r.uuid for r in iter_metadata(package)] == ["U1", "U2"]
    with pytest.warns(SkippedEntryWarning, match="macOS"):
        assert [fields[0] for fields in iter_raw_rows(package)] == ["U1", "U2"]


def test_txt_entries_that_are_not_tables_are_skipped_with_a_warning() -> None:
    # The class of the macOS case: a .txt whose first line is not UTF-8 text, or (typed rows)
    # has no Uuid column, is not a metadata table.
    package = make_zip(
        {
            "P_01.txt": table(row("U1")),
            "binario.txt": b"\xff\xfe\x00L\x00e\x00e\x00m\x00e\r\n",
            "LEEME.txt": b"Paquete descargado del SAT el 2024-01-05\r\n",
        }
    )
    with pytest.warns(SkippedEntryWarning) as caught:
        assert [r.uuid for r in iter_metadata(package)] == ["U1"]
    messages = " ".join(str(w.message) for w in caught)
    assert "'binario.txt'" in messages and "'LEEME.txt'" in messages
    with pytest.warns(SkippedEntryWarning, match="binario"):
        names = [t.name for t in iter_raw_tables(package)]
    assert names == ["P_01.txt", "LEEME.txt"]


def test_a_table_with_a_bad_row_further_down_is_still_an_error() -> None:
    # Only the header decides whether a .txt is a table: a real table with a row that is not
    # UTF-8 further down is a damaged package, said clearly.
    package = make_zip({"P_01.txt": (HEADER + "\r\n").encode() + b"U1~PE\xd1A\r\n"})
    with pytest.raises(PackageContentError, match="not UTF-8"):
        list(iter_metadata(package))


def test_fast_typed_rows_are_ordinary_frozen_cfdi_metadata() -> None:
    terceros = "Uuid~RfcACuentaTerceros~NombreACuentaTerceros\r\nu2~TER010101AAA~TERCERO SA\r\n"
    package = make_zip(
        {
            "P_01.txt": table(row("U1"), row(" U2 ", cancel="2024-02-01 00:00:00", estatus="0")),
            "P_01_tercero.txt": terceros.encode(),
        }
    )
    first, second = iter_cfdi_metadata(package)
    assert type(first) is CfdiMetadata and type(second) is CfdiMetadata
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.uuid = "X"  # type: ignore[misc]
    assert second == CfdiMetadata(
        "U2",
        "AAA010101AAA",
        "EMISOR",
        "BBB010101BBB",
        "RECEPTOR SA",
        "SAT970701NN3",
        datetime(2024, 1, 5, 10, 11, 12),
        datetime(2024, 1, 5, 10, 12),
        Decimal("1160.00"),
        "I",
        Estatus.CANCELADO,
        datetime(2024, 2, 1),
        "TER010101AAA",
        "TERCERO SA",
    )
    assert (first.rfc_a_cuenta_terceros, first.extra, first.vigente) == (None, {}, True)
    assert dataclasses.replace(first, uuid="Z").uuid == "Z"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (row("U2").replace("1160.00", "NaN"), "not an amount"),
        (row("U2").replace("1160.00", "12,50"), "not an amount"),
        (row("U2").replace("2024-01-05 10:11:12", "05/01/2024"), "isoformat"),
    ],
)
def test_a_value_that_does_not_parse_skips_its_row_and_reading_goes_on(
    bad: str, problem: str
) -> None:
    package = make_zip({"P_01.txt": table(row("U1"), bad, row("U3"), row("U4", estatus="9"))})
    with pytest.warns(MalformedRowWarning) as caught:
        assert [r.uuid for r in iter_metadata(package)] == ["U1", "U3"]
    messages = [str(w.message) for w in caught]
    assert "data row 2 (UUID 'U2')" in messages[0] and problem in messages[0]
    assert "data row 4 (UUID 'U4')" in messages[1] and "Estatus" in messages[1]
    with pytest.raises(MalformedRowError, match="data row 2"):
        list(iter_metadata(package, strict=True))
