"""Before a download is spent: a folder that cannot take a package is refused, in one line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from sat_zeep.sync.destination import DEFAULT_MIN_FREE, Destination, mib

MiB = 1024 * 1024


class Usage(NamedTuple):
    total: int
    used: int
    free: int


def free_space(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    """The packages' disk has ``free`` bytes free."""
    monkeypatch.setattr(shutil, "disk_usage", lambda _: Usage(10 * free, 9 * free, free))


def test_a_missing_folder_is_created_and_left_empty(tmp_path: Path) -> None:
    folder = tmp_path / "facturas" / "cfdi" / "emitidos"
    assert Destination(min_free=0).problem(folder) is None
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert Destination(min_free=0).problem(folder) is None
    assert list(folder.iterdir()) == []


def test_a_folder_that_cannot_be_made_is_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "facturas").write_text("a file where the folder should be")
    folder = tmp_path / "facturas" / "cfdi"
    assert Destination().problem(folder) == f"{folder} cannot be written (Not a directory)"


def test_an_existing_folder_that_refuses_new_files_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    if os.access(folder, os.W_OK):  # root writes anywhere: sysfs still refuses new files
        folder = Path("/sys")
    assert (
        Destination(min_free=0).problem(folder) == f"{folder} cannot be written (Permission denied)"
    )


def test_free_space_below_the_margin_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    free_space(monkeypatch, 120 * MiB)
    assert Destination().problem(tmp_path) == (
        f"only 120.0 MiB free in {tmp_path} (--min-free 512.0 MiB)"
    )
    free_space(monkeypatch, 512 * MiB - 1)
    assert Destination().problem(tmp_path) is not None


def test_exactly_the_margin_free_is_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free_space(monkeypatch, 512 * MiB)
    assert Destination().problem(tmp_path) is None


def test_the_default_margin_is_512_mib_and_the_real_disk_is_measured(tmp_path: Path) -> None:
    assert Destination().min_free == DEFAULT_MIN_FREE
    assert mib(DEFAULT_MIN_FREE) == "512.0 MiB"
    free = shutil.disk_usage(tmp_path).free
    assert Destination(min_free=free + 1024 * MiB).problem(tmp_path) is not None
    assert Destination(min_free=0).problem(tmp_path) is None


def test_sizes_are_shown_in_mib_with_one_decimal() -> None:
    assert mib(0) == "0.0 MiB"
    assert mib(1536 * 1024) == "1.5 MiB"
    assert mib(512 * MiB) == "512.0 MiB"
