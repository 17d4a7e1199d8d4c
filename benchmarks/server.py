"""A real ``jupyter server`` on loopback, for as long as a ``with`` block lasts.

Each server gets a free port on 127.0.0.1, a throwaway root folder and HOME (so the
developer's own ~/.jupyter plays no part), a known token, and its own process group, which
is always killed on the way out, whatever happened inside the block.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .figures import BenchmarkError

READY_PATH = "/api/status"
POLL_SECONDS = 0.02

# Inherited settings that would point the server at the developer's own files or token.
_PRIVATE_ENV = ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_TOKEN")


def coursekit_switch(enabled: bool) -> list[str]:
    """Server arguments that turn coursekit off; none when it stays on as installed.

    Only coursekit's entry changes: jupyter_server still adds every other extension that
    ``jupyter_server_config.d`` enables.
    """
    return [] if enabled else ["--ServerApp.jpserver_extensions=coursekit=False"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterServer:
    """``with JupyterServer(args, env, scratch=...) as server:`` a server that is ready.

    ``launcher`` is what follows the Python interpreter on the command line: by default
    ``-m jupyter_server``, which is what ``jupyter server`` runs.

    ``server.startup_seconds`` is the time from spawning the process to the first
    authenticated ``GET /api/status`` that answers 200, polled every 20 ms;
    ``server.startup_cpu_seconds`` the CPU time the server had used by then, which a busy
    machine disturbs far less than the wall clock.
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        *,
        scratch: Path,
        ready_timeout: float = 120.0,
        launcher: Sequence[str] = ("-m", "jupyter_server"),
    ) -> None:
        self.args = list(args)
        self.launcher = list(launcher)
        self.env = dict(env or {})
        self.scratch = scratch
        self.ready_timeout = ready_timeout
        self.host = "127.0.0.1"
        self.port = 0
        self.token = secrets.token_hex(16)
        self.startup_seconds = float("nan")
        self.startup_cpu_seconds = float("nan")
        self.proc: subprocess.Popen | None = None
        self.folder: Path | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    @property
    def log_path(self) -> Path:
        assert self.folder is not None
        return self.folder / "server.log"

    def __enter__(self) -> JupyterServer:
        self.folder = Path(tempfile.mkdtemp(prefix="server-", dir=self.scratch))
        home, root = self.folder / "home", self.folder / "root"
        home.mkdir()
        root.mkdir()
        self.port = free_port()
        command = [
            sys.executable,
            *self.launcher,
            "--no-browser",
            f"--ip={self.host}",
            f"--port={self.port}",
            "--port-retries=0",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={self.token}",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        command.extend(self.args)
        env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
        env = {k: v for k, v in env.items() if not k.startswith("COURSEKIT_")}
        env.update(HOME=str(home), **self.env)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in _stop
        spawned = time.perf_counter()
        self.proc = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kernels and helpers die too
        )
        try:
            self.startup_seconds = self._wait_until_ready() - spawned
            self.startup_cpu_seconds = self.cpu_seconds()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop()

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        """An authenticated GET; returns the status and the body."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=self.headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server process (all its threads) so far."""
        assert self.proc is not None
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def _wait_until_ready(self) -> float:
        assert self.proc is not None
        deadline = time.perf_counter() + self.ready_timeout
        last = "no answer"
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise BenchmarkError(
                    f"jupyter server exited with code {self.proc.returncode} before it was "
                    f"ready; its log ends:\n{self.log_tail()}"
                )
            try:
                status, _ = self.get(READY_PATH, timeout=2.0)
            except OSError as err:
                last = f"{type(err).__name__}: {err}"
            else:
                if status == 200:
                    return time.perf_counter()
                last = f"HTTP {status}"
            time.sleep(POLL_SECONDS)
        raise BenchmarkError(
            f"jupyter server was not ready after {self.ready_timeout:.0f} s "
            f"(GET {READY_PATH}: {last}); its log ends:\n{self.log_tail()}"
        )

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            # Whatever is left of the group (a stuck server, a helper it started) goes now.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
