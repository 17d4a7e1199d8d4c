"""A real PostgreSQL server for the tests, from Debian's ``postgresql`` package.

initdb and postgres refuse to run as root, and the tests run as root in CI: there they
run as ``nobody`` (``unprivileged``), in a folder ``nobody`` owns. The server listens on a
unix socket in that folder only, so parallel runs never fight over a port.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
BIN = BIN_DIRS[-1] if BIN_DIRS else None
UNPRIVILEGED_USER = "nobody"


def unprivileged(argv: list[str]) -> list[str]:
    """``argv``, run as ``nobody`` when we are root (PostgreSQL's tools refuse root)."""
    if os.getuid() != 0:
        return argv
    return ["setpriv", f"--reuid={UNPRIVILEGED_USER}", "--regid=nogroup", "--clear-groups", *argv]


def require_binaries() -> str:
    """The folder of PostgreSQL's programs; without them, a skip on a workstation and a
    failure under CI (``CI=true``), so CI cannot pass by skipping."""
    if BIN is not None:
        return BIN
    message = (
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin): apt-get install postgresql"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def unprivileged_folder(prefix: str) -> Path:
    """A new folder under the system's temporary folder that ``unprivileged`` may write
    (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.getuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(folder, user.pw_uid, user.pw_gid)
    return folder


class PostgresServer:
    """One running server; ``new_database`` gives each test a database of its own."""

    def __init__(self, folder: Path, bin_dir: str) -> None:
        self.folder = folder
        self.bin_dir = bin_dir
        self.data = folder / "data"

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            unprivileged([f"{self.bin_dir}/{program}", *args]),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(
                f"{program} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                + (log.read_text() if log.exists() else "")
            )

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-locale", "--encoding=UTF8", "--no-sync")  # fmt: skip
        # No TCP; fsync off: the tests check the exchange's logic, not the disk's.
        options = f"-k {self.folder} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.folder), user="postgres", autocommit=True) as conn:
            conn.execute(sql)

    @contextlib.contextmanager
    def new_database(self) -> Iterator[str]:
        """A fresh, empty database's URL, dropped afterwards (with any connection left)."""
        name = f"test_{secrets.token_hex(6)}"
        self.execute(f"CREATE DATABASE {name}")
        try:
            yield self.url(name)
        finally:
            self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    bin_dir = require_binaries()
    folder = unprivileged_folder("coursekit-postgres-")
    server = PostgresServer(folder, bin_dir)
    try:
        server.start()
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
