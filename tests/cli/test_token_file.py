"""``--token-file``: the token survives between invocations, readable by its owner only.

A token in a file anyone can read lets them call SAT as the taxpayer for five minutes, so the
mode is asserted at every write; a damaged file is ignored (a new token is asked for), never
an error.
"""

from __future__ import annotations

import logging
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sat_zeep.cli.tokens import TokenFile
from sat_zeep.client.models import Token

CREATED = datetime.now(timezone.utc).replace(microsecond=0)
TOKEN = Token(
    value="eyJhbGciOi.secret-token", created=CREATED, expires=CREATED + timedelta(minutes=5)
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_saved_token_loads_back_equal(tmp_path: Path) -> None:
    store = TokenFile(tmp_path / "token.json")
    store.save(TOKEN)
    assert store.load() == TOKEN
    assert TokenFile(tmp_path / "token.json").load() == TOKEN  # another invocation


def test_the_file_is_created_0600_in_a_new_folder(tmp_path: Path) -> None:
    path = tmp_path / "state" / "sat" / "token.json"
    previous = os.umask(0)  # even a permissive umask leaves the token private
    try:
        TokenFile(path).save(TOKEN)
    finally:
        os.umask(previous)
    assert mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["token.json"], "a temporary file remained"


def test_replacing_a_world_readable_file_leaves_it_private(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)
    TokenFile(path).save(TOKEN)
    assert mode(path) == 0o600
    assert TokenFile(path).load() == TOKEN


def test_a_missing_file_holds_no_token(tmp_path: Path) -> None:
    assert TokenFile(tmp_path / "absent.json").load() is None


@pytest.mark.parametrize(
    "text",
    ["", "not json", '{"value": "x"}', '{"value": "", "created": "2026-01-01T00:00:00Z"}'],
    ids=["empty", "garbage", "incomplete", "invalid"],
)
def test_a_file_that_holds_no_token_is_ignored_and_says_why(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "token.json"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="sat_zeep.cli"):
        assert TokenFile(path).load() is None
    assert caplog.messages == [f"ignoring {path}: it does not hold a token"]


def test_a_failed_write_leaves_the_old_token_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "token.json"
    store = TokenFile(path)
    store.save(TOKEN)
    newer = Token(value="newer", created=CREATED, expires=CREATED + timedelta(minutes=5))

    def full_disk(source: object, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        store.save(newer)
    monkeypatch.undo()
    assert store.load() == TOKEN
    assert [p.name for p in tmp_path.iterdir()] == ["token.json"]
