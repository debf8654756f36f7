"""No third download, even across a kill: SAT serves a package twice, then refuses it (5008).

Within one run the sync's two guards cover for each other, so each case here kills a sync right
after its second download was counted and runs it again: the run that resumes meets exactly one
guard, and SAT must see no third ``Descargar`` of that package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sat_zeep.signing.fiel import Fiel
from sat_zeep.testing.fake_sat.faults import FaultPlan
from sat_zeep.testing.fake_sat.server import FakeSat

from .conftest import MakeSat
from .killing import kill_after_calls
from .test_sync_guards import sync

CHILD = Path(__file__).with_name("child_one_package.py")
ROOT = Path(__file__).resolve().parents[2]


def start_child(
    base_url: str, output: Path, crash_at: str | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SAT_ZEEP_CRASH_AT", None)
    if crash_at:
        env["SAT_ZEEP_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, str(CHILD), base_url, str(output)], env=env)


def assert_no_third_download(sat: FakeSat) -> None:
    """SAT saw no package asked for a third time (a new request's package is another one)."""
    stats = sat.stats()
    assert stats["max_downloads_of_a_package"] <= 2, "a package was downloaded a third time"
    assert "5008" not in stats["rejections"], stats["rejections"]


def test_killed_during_the_second_download_it_is_not_asked_for_again(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """First transfer fails, the second hangs at SAT and the sync is killed while it waits."""
    faults = FaultPlan(delay=1.0)
    faults.add("Descargar", "http500")
    faults.add("Descargar", "slow")
    sat = make_sat(faults=faults)
    output = tmp_path / "out"
    with start_child(sat.base_url, output) as child:
        seen = kill_after_calls(child, sat, "Descargar", 2)
    assert seen["Descargar"] == 2
    assert not list(output.rglob("*.zip")), "the second transfer never completed"

    resumed = sync(sat, fiel, output)
    assert_no_third_download(sat)
    # Both downloads spent without a whole copy: the period is asked for again instead.
    assert resumed.packages == {"exhausted": 1}, resumed
    assert resumed.requests.get("replaced") == 1, resumed
    assert not resumed.complete


def test_a_damaged_file_after_the_second_download_is_not_downloaded_again(
    make_sat: MakeSat, fiel: Fiel, tmp_path: Path
) -> None:
    """The second transfer lands, the sync dies before recording it, and the file is then found
    damaged: it is set aside, SAT is not asked for it a third time, the period is asked again."""
    faults = FaultPlan()
    faults.add("Descargar", "http500")
    sat = make_sat(faults=faults)
    output = tmp_path / "out"
    with start_child(sat.base_url, output, crash_at="downloaded:1") as child:
        assert child.wait(timeout=120) == -9
    assert sat.stats()["calls"]["Descargar"] == 2
    (package,) = output.rglob("*.zip")
    intact = package.read_bytes()
    package.write_bytes(intact[: len(intact) // 2])

    resumed = sync(sat, fiel, output)
    assert_no_third_download(sat)
    # The damaged package had no download left: its period was asked for again, and the new
    # request's package (one more Descargar, of another IdPaquete) holds the documents.
    assert sat.stats()["calls"]["Descargar"] == 3
    assert resumed.packages == {"downloaded": 1, "exhausted": 1}, resumed
    assert resumed.complete and resumed.asked_again, resumed
    assert not package.exists(), "the damaged file was left where a good package belongs"
    kept = [
        path for path in package.parent.iterdir() if path.read_bytes() == intact[: len(intact) // 2]
    ]
    assert len(kept) == 1, "the damaged file was not kept aside"
