"""Output files are written whole or not at all, and the token file never through a link."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sat_zeep.cli.tokens import TokenFile
from sat_zeep.client.models import Token
from sat_zeep.packages import export_records, iter_metadata

from .test_zip_layout import HEADER

NOW = datetime(2026, 1, 15, 17, 0, tzinfo=timezone.utc)
TOKEN = Token(value="secret-token", created=NOW, expires=NOW + timedelta(minutes=5))


def test_the_token_file_is_never_written_through_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    path = tmp_path / "token.json"
    # The temporary name the old code used, and a link on the token file itself.
    (tmp_path / f".token.json.{os.getpid()}.tmp").symlink_to(victim)
    TokenFile(path).save(TOKEN)
    assert victim.read_text() == "precious"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TokenFile(path).load() == TOKEN
    assert not path.is_symlink()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [f".token.json.{os.getpid()}.tmp"]  # the planted link, untouched


def test_a_token_file_replaced_by_a_link_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    path = tmp_path / "token.json"
    path.symlink_to(victim)
    TokenFile(path).save(TOKEN)
    assert victim.read_text() == "precious"
    assert not path.is_symlink() and TokenFile(path).load() == TOKEN


def test_the_token_file_is_fsynced_before_it_is_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append(descriptor)
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    TokenFile(tmp_path / "token.json").save(TOKEN)
    assert synced


def metadata_package(rows: int) -> bytes:
    lines = "".join(
        f"{index:08X}-0000-4000-8000-000000000000~AAA010101AAA~A~BBB010101BBB~B~CCC010101CCC~"
        f"2025-01-01 10:00:00~2025-01-01 10:00:01~100.00~I~1~\r\n"
        for index in range(rows)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2D3F6A4E-8C1B-4F7A-9E25-0B6C7D8E9F10_01.txt", HEADER + lines)
    return buffer.getvalue()


def failing_after(rows: int) -> Iterator[object]:
    for number, row in enumerate(iter_metadata(metadata_package(rows * 2))):
        if number == rows:
            raise RuntimeError("the disk went away")
        yield row


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_failed_export_leaves_the_previous_file_whole(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"rows{suffix}"
    assert export_records(iter_metadata(metadata_package(3)), path) == 3
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="disk"):
        export_records(failing_after(5000), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_an_export_never_writes_through_a_link(tmp_path: Path, suffix: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    path = tmp_path / f"rows{suffix}"
    path.symlink_to(victim)
    assert export_records(iter_metadata(metadata_package(3)), path) == 3
    assert victim.read_text() == "precious"
    assert not path.is_symlink()
