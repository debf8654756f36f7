"""A throwaway PostgreSQL server for tests: initdb in a temporary folder, a Unix socket, no trace.

    with PostgresServer.start_new() as server:
        url = server.url          # postgresql://postgres@/sat_zeep?host=/tmp/sat-zeep-pg-…&port=…
        server.crash()            # pg_ctl stop -m immediate: what a power cut does
        server.start()            # back, with everything that was committed

It listens on a Unix socket in its own folder (no TCP port at all, so nothing outside the
machine can reach it), trusts local connections and keeps nothing once stopped. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` user and its commands
run through ``runuser``. Binaries are looked for on ``PATH`` and then in Debian's
``/usr/lib/postgresql/<version>/bin``; when there are none, ``PostgresUnavailable`` says how to
install them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from ..errors import SatError

_DEBIAN_ROOT = Path("/usr/lib/postgresql")
#: The database the tests use (``postgres`` stays the maintenance database).
DATABASE = "sat_zeep"
_PROGRAMS = ("initdb", "pg_ctl", "createdb")


class PostgresUnavailable(SatError):
    """A throwaway PostgreSQL server could not be started; the message says why and what to do."""


def find_binaries() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``createdb`` (Debian's newest first)."""
    debian = sorted(
        (p for p in _DEBIAN_ROOT.glob("*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    for folder in [*debian, *on_path]:
        if all((folder / program).is_file() for program in _PROGRAMS):
            return folder
    raise PostgresUnavailable(
        "PostgreSQL's server programs (initdb, pg_ctl, createdb) are not installed: "
        "run `apt-get install -y postgresql` (Debian/Ubuntu) or put them on PATH"
    )


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, reached through a Unix socket."""

    def __init__(self, folder: Path, binaries: Path, port: int = 5432) -> None:
        self.folder = folder
        self.binaries = binaries
        self.port = port
        self._as_postgres = os.geteuid() == 0

    @classmethod
    def start_new(cls, port: int = 5432) -> PostgresServer:
        """initdb a new cluster in a new temporary folder, start it and create ``sat_zeep``."""
        binaries = find_binaries()
        # A short path: a Unix socket's path may not exceed about 100 bytes.
        folder = Path(tempfile.mkdtemp(prefix="sat-zeep-pg-", dir="/tmp"))
        server = cls(folder, binaries, port)
        try:
            server._initdb()
            server.start()
            server._create_database()
        except BaseException:
            server.remove()
            raise
        return server

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder

    @property
    def url(self) -> str:
        """A libpq URL for the ``sat_zeep`` database (what ``--db`` takes)."""
        return f"postgresql://postgres@/{DATABASE}?host={self.socket_dir}&port={self.port}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        log = self.folder / "server.log"
        self._run(
            "pg_ctl",
            "start",
            "--wait",
            "--timeout=60",
            "-D",
            str(self.data),
            "-l",
            str(log),
            "-o",
            f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=on",
            what="start the server",
            log=log,
        )

    def stop(self) -> None:
        """A clean shutdown (``pg_ctl stop -m fast``)."""
        self._run("pg_ctl", "stop", "--wait", "-m", "fast", "-D", str(self.data), what="stop")

    def crash(self) -> None:
        """Stop at once, as a power cut would (``pg_ctl stop -m immediate``)."""
        self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self.data), what="crash")

    def is_running(self) -> bool:
        status = self._command("pg_ctl", "status", "-D", str(self.data))
        return subprocess.run(status, capture_output=True, check=False).returncode == 0

    def remove(self) -> None:
        """Stop (if running) and delete the cluster's folder."""
        if self.data.exists() and self.is_running():
            self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self.data), what="stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()

    # -- plumbing -----------------------------------------------------------------------------

    def _initdb(self) -> None:
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            what="create the cluster (initdb)",
        )

    def _create_database(self) -> None:
        self._run(
            "createdb",
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            DATABASE,
            what="create the database",
        )

    def _command(self, program: str, *arguments: str) -> list[str]:
        command = [str(self.binaries / program), *arguments]
        if self._as_postgres:
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, program: str, *arguments: str, what: str, log: Path | None = None) -> None:
        done = subprocess.run(
            self._command(program, *arguments), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            if log is not None and log.exists():
                detail += log.read_text(errors="replace").strip().splitlines()[-5:]
            raise PostgresUnavailable(
                f"could not {what} of the throwaway PostgreSQL in {self.folder}: "
                + " | ".join(detail)
            )
