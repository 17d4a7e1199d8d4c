"""A start-of-class storm on the reference hub: N students log in and start at once.

The same hub (images/hub/jupyterhub_config.py: JupyterHub, configurable-http-proxy, the local
spawner) runs twice, with coursekit enabled in the single-user servers and with it turned
off; each student's time is from asking for a server to JupyterLab answering through the
proxy. The hub's peak memory is its VmHWM at the end of the storm.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.process_tree import descendants

from ..context import Context
from ..figures import BenchmarkError, Figure, median
from ..server import coursekit_switch, free_port

NAME = "spawn_storm"
PASSWORD = "storm-password"
READY_TIMEOUT = 480.0  # 20 JupyterLab starts on 2 cores take minutes


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Hub:
    """The reference hub in a scratch folder; stops itself and everything it started."""

    def __init__(self, ctx: Context, students: list[str], coursekit: bool) -> None:
        hub_dir = ctx.repo / "images" / "hub"
        proxy = subprocess.run(
            ["bash", str(hub_dir / "install-hub.sh"), "--proxy-dir", str(hub_dir)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proxy.returncode != 0:
            raise BenchmarkError(f"configurable-http-proxy is not available: {proxy.stderr}")
        self.state = ctx.folder("hub")
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "COURSEKIT_HUB_STATE": str(self.state),
            "COURSEKIT_HUB_URL": self.url,
            "COURSEKIT_HUB_API_PORT": str(free_port()),
            "COURSEKIT_PROXY_API_PORT": str(free_port()),
            "COURSEKIT_HUB_PASSWORD": PASSWORD,
            "COURSEKIT_HUB_STUDENTS": ",".join(students),
            "COURSEKIT_HUB_SERVER_ARGS": " ".join(coursekit_switch(coursekit)),
            # The hub must not give up on a start before the benchmark does.
            "COURSEKIT_SPAWN_TIMEOUT": str(int(READY_TIMEOUT)),
            "PATH": f"{Path(proxy.stdout.strip()).parent}{os.pathsep}{os.environ['PATH']}",
        }
        env.pop("COURSEKIT_MODULES", None)
        self.log = self.state / "hub.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(hub_dir / "jupyterhub_config.py")],
                cwd=self.state,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def __enter__(self) -> Hub:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{self.url}/hub/health", timeout=2).status_code == 200:
                    return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise BenchmarkError(f"the hub did not start:\n{self.log_tail()}")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        below = descendants(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for pid in below:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def peak_rss_bytes(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return float(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024

    def login(self, username: str) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        answer = session.post(
            f"{self.url}/hub/login?next=",
            data={
                "username": username,
                "password": PASSWORD,
                "_xsrf": xsrf.group(1) if xsrf else "",
            },
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise BenchmarkError(f"{username} could not log in ({answer.status_code})")
        return session

    def time_to_ready(self, session: requests.Session, username: str) -> float:
        """Seconds from asking for a server to JupyterLab answering through the proxy."""
        lab = f"{self.url}/user/{username}/lab"
        started = time.perf_counter()
        session.get(f"{self.url}/hub/spawn/{username}", timeout=READY_TIMEOUT)
        while time.perf_counter() - started < READY_TIMEOUT:
            answer = session.get(lab, timeout=READY_TIMEOUT)
            if answer.status_code == 200 and answer.url.split("?")[0] == lab:
                return time.perf_counter() - started
            time.sleep(0.25)
        raise BenchmarkError(
            f"{username}'s server was not ready in {READY_TIMEOUT:.0f} s; the hub's log ends:\n"
            f"{self.log_tail()}"
        )


def _storm(ctx: Context, students: list[str], coursekit: bool) -> tuple[list[float], float]:
    with Hub(ctx, students, coursekit) as hub:
        sessions = {name: hub.login(name) for name in students}
        with ThreadPoolExecutor(max_workers=len(students)) as pool:
            futures = [pool.submit(hub.time_to_ready, sessions[n], n) for n in students]
            times = [f.result() * 1000 for f in futures]
        return times, hub.peak_rss_bytes()


def run(ctx: Context) -> list[Figure]:
    count = ctx.size(20, 5)
    students = [f"student{i}" for i in range(1, count + 1)]
    ctx.log(f"{NAME}: {count} students start at once, coursekit on, then off")
    on, memory_on = _storm(ctx, students, True)
    ctx.log(f"{NAME}: coursekit on: p50 {median(on):,.0f} ms, p95 {_percentile(on, 0.95):,.0f} ms")
    off, memory_off = _storm(ctx, students, False)
    ctx.log(
        f"{NAME}: coursekit off: p50 {median(off):,.0f} ms, p95 {_percentile(off, 0.95):,.0f} ms"
    )
    note = f"{count} students on {os.cpu_count()} CPUs, local spawner; load average {os.getloadavg()[0]:.1f}"
    return [
        Figure(
            f"spawn storm, {count} students at once: time to ready p50, coursekit on vs off",
            median(on),
            median(off),
            note=note,
            detail={"coursekit_on_ms": on, "coursekit_off_ms": off},
        ),
        Figure("  time to ready p95, on vs off", _percentile(on, 0.95), _percentile(off, 0.95)),
        Figure("  hub peak memory (VmHWM), on vs off", memory_on, memory_off, unit="bytes"),
    ]
