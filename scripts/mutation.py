"""Driver of scripts/mutation: run mutmut 2 per module with that module's tests, report scores."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "scripts" / "mutation-equivalents.toml"
TARGET = 0.90

#: Module -> the test files that guard it (mutmut runs only these for each of its mutants).
MODULES: dict[str, list[str]] = {
    # signing and the request verifier
    "sat_zeep/signing/request_signature.py": [
        "tests/test_request_signature.py",
        "tests/test_request_signature_forms.py",
    ],
    "sat_zeep/signing/security_header.py": [
        "tests/test_security_header.py",
        "tests/fake_sat/test_autentica_rules.py",
    ],
    "sat_zeep/signing/fiel.py": ["tests/test_fiel.py"],
    "sat_zeep/testing/fake_sat/authentication.py": ["tests/fake_sat/test_autentica_rules.py"],
    # token handling and redaction
    "sat_zeep/cli/redact.py": ["tests/cli/test_secrets.py", "tests/cli/test_redaction.py"],
    "sat_zeep/cli/tokens.py": ["tests/cli/test_token_file.py"],
    "sat_zeep/soap/plugins.py": ["tests/test_client.py", "tests/test_golden_envelopes.py"],
    "sat_zeep/client/sat_client.py": ["tests/test_client.py"],
    # packages: the ZIP directory, the download's ZIP check, the safe ZIP reader
    "sat_zeep/packages/archive/directory.py": [
        "tests/test_zipdirectory_records.py",
        # not test_many_entries (70,000 entries, seconds per mutant): the records test writes
        # its ZIP64 end records by hand
        "tests/test_zipdirectory.py::test_the_listing_is_zipfiles",
        "tests/test_zipdirectory.py::test_a_listing_that_differs_in_one_field_is_not_the_same",
        "tests/test_zipdirectory.py::test_damage_is_a_bad_zip",
        "tests/test_zipdirectory.py::test_sizes_only_in_a_zip64_extra_are_left_to_zipfile",
    ],
    "sat_zeep/packages/archive/stream_check.py": ["tests/test_zipcheck.py"],
    "sat_zeep/packages/archive/walk.py": ["tests/test_zipcheck.py"],
    "sat_zeep/packages/download.py": ["tests/test_download_decode.py"],
    "sat_zeep/packages/archive/safe_reader.py": [
        "tests/packages/test_zipsafe.py",
        "tests/packages/test_zipsafe_limits.py",
    ],
    # the sync: downloads, store, engine (run after the rewrite has landed)
    "sat_zeep/sync/downloads.py": [
        "tests/sync/test_sync.py",
        "tests/sync/test_sync_guards.py",
        "tests/sync/test_third_download.py",
    ],
    # its own tests read the state back after a close; test_sync's full runs take a minute
    "sat_zeep/sync/store.py": ["tests/sync/test_store.py"],
    "sat_zeep/sync/engine.py": ["tests/sync/test_sync.py", "tests/cli/test_sync_cli.py"],
    "sat_zeep/sync/retry.py": ["tests/sync/test_retry.py"],
    "sat_zeep/sync/destination.py": ["tests/sync/test_destination.py"],
    # the fleet's store (its conditional download count is SQL in sat_zeep/sync/fleet/sql, which
    # mutmut does not mutate: the store's Python around it is) and the catalog's reasons
    "sat_zeep/sync/fleet/store.py": ["tests/fleet/test_store.py", "tests/fleet/test_store_reads.py"],
    "sat_zeep/catalog/reasons.py": ["tests/catalog/test_reasons.py"],
}


def copy_checkout(target: Path) -> None:
    """The files git tracks, as they are in the working tree, under ``target``."""
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    for raw in names:
        if not raw:
            continue
        name = raw.decode()
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def equivalents() -> list[dict[str, str]]:
    if not EQUIVALENTS.exists():
        return []
    return list(tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", []))


def mutant_lines(workdir: Path, mutant: str) -> tuple[str, str, str]:
    """(diff, original line, mutated line) of one mutant, from ``mutmut show``."""
    diff = run_mutmut(workdir, ["show", mutant]).stdout
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+")]
    removed = [line for line in removed if not line.startswith("--")]
    added = [line for line in added if not line.startswith("++")]
    return diff, " ".join(removed), " ".join(added)


def run_mutmut(workdir: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    mutmut = Path(sys.executable).with_name("mutmut")
    return subprocess.run(
        [str(mutmut), *args], cwd=workdir, env=env, capture_output=True, text=True
    )


def mutate(module: str, tests: list[str], known: list[dict[str, str]]) -> bool:
    with tempfile.TemporaryDirectory(prefix="sat-zeep-mutation-") as directory:
        workdir = Path(directory)
        copy_checkout(workdir)
        # mutmut 2 counts a mutant killed only when the runner exits 1, but pytest exits 2 or 4
        # when the mutant breaks an import: any failure becomes 1.
        pytest = f"{sys.executable} -m pytest -x -q -p no:cacheprovider " + " ".join(tests)
        runner = (
            f"{sys.executable} -c 'import subprocess, sys;"
            f" sys.exit(1 if subprocess.call(sys.argv[1:]) else 0)' {pytest}"
        )
        run = run_mutmut(
            workdir,
            [
                "run",
                "--paths-to-mutate",
                module,
                "--tests-dir",
                "tests",
                "--runner",
                runner,
                "--simple-output",
                "--no-progress",
                "--CI",
            ],
        )
        if run.returncode != 0:
            print(f"{module}: mutmut failed\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
            return False
        statuses = _statuses(workdir)
        total = len(statuses)
        # ok_suspicious is mutmut's "killed, but the tests took long": a kill on a loaded machine.
        survivors = [m for m, status in statuses.items() if status == "bad_survived"]
        timeouts = [m for m, status in statuses.items() if status == "bad_timeout"]
        untested = [m for m, status in statuses.items() if status == "untested"]
        if untested:
            print(f"{module}: {len(untested)} mutants were not run")
        real: list[str] = []
        justified = 0
        for mutant in survivors:
            diff, before, after = mutant_lines(workdir, mutant)
            if any(
                entry["module"] == module and entry["line"] == before and entry["mutant"] == after
                for entry in known
            ):
                justified += 1
            else:
                real.append(f"  survivor #{mutant}:\n" + _indent(diff))
        counted = total - justified
        killed = counted - len(real)
        score = killed / counted if counted else 1.0
        verdict = "ok" if score >= TARGET else f"below {TARGET:.0%}"
        print(
            f"{module}: {killed} killed, {len(real)} survived, {justified} equivalent, "
            f"{len(timeouts)} timed out (killed) of {total} mutants: {score:.1%} {verdict}"
        )
        for text in real:
            print(text)
        return score >= TARGET


def _statuses(workdir: Path) -> dict[str, str]:
    """Mutant id -> mutmut's status (ok_killed, bad_survived, bad_timeout, …), from its cache."""
    with sqlite3.connect(workdir / ".mutmut-cache") as cache:
        rows = cache.execute("SELECT id, status FROM Mutant ORDER BY id").fetchall()
    return {str(mutant): str(status) for mutant, status in rows}


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.strip().splitlines())


def main(argv: list[str]) -> int:
    modules = argv or list(MODULES)
    unknown = [module for module in modules if module not in MODULES]
    if unknown:
        print(f"not listed in scripts/mutation.py: {unknown}", file=sys.stderr)
        return 2
    known = equivalents()
    results = [mutate(module, MODULES[module], known) for module in modules]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
