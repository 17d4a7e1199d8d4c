"""Submissions storm: N students submit a 4 MB assignment at the same moment, through the
coursekit exchange service over loopback HTTP, beside nbgrader's own filesystem exchange
(``ExchangeSubmit``, the same N submissions from N threads) on the same disk.

Figures: submissions per second (higher is better) and submissions kept (every one must
be listed afterwards, with its sha256 intact). The service runs in a thread with its own
event loop; the hub's token check is replaced by a table (no hub here), so the figure is
the exchange's own cost, not JupyterHub's.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer

from ..context import Context
from ..figures import BenchmarkError, Figure

NAME = "exchange"
COURSE, ASSIGNMENT = "TM351-25J", "ps1"
SIZE = 4 * 1024 * 1024  # the field's soak tests: a 4.3 MB assignment


class _Students:
    """Stands in for the hub: every token is its own student of the course."""

    async def user(self, token: str) -> str:
        return token

    async def groups(self, username: str) -> set[str]:
        return {COURSE, f"{COURSE}-instructors"} if username == "teacher" else {COURSE}


def _assignment(folder: Path) -> Path:
    """A released assignment: a notebook and 4 MB of incompressible data."""
    (folder / ASSIGNMENT).mkdir(parents=True)
    (folder / ASSIGNMENT / "problem1.ipynb").write_text('{"cells": [], "metadata": {}}')
    (folder / ASSIGNMENT / "data.bin").write_bytes(os.urandom(SIZE))
    return folder / ASSIGNMENT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _coursekit(ctx: Context, students: int, source: Path) -> tuple[float, int]:
    from coursekit.exchange.client import pack
    from coursekit.exchange.service import make_app
    from coursekit.exchange.storage import ExchangeStorage

    # The default catalog, SQLite beside the archives: what a single-machine hub runs.
    storage = ExchangeStorage(ctx.folder("exchange-service"), max_upload_bytes=64 << 20)
    archive = pack(source)
    digest = hashlib.sha256(archive).hexdigest()
    upload = storage.begin_upload(len(archive))
    upload.write(archive)
    storage.release(COURSE, ASSIGNMENT, upload, digest)

    port, loop, ready = _free_port(), asyncio.new_event_loop(), threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        app = make_app(storage, _Students(), "/")
        HTTPServer(app, max_body_size=128 << 20).listen(port, "127.0.0.1")
        loop.call_soon(ready.set)
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    if not ready.wait(10):
        raise BenchmarkError("the exchange service did not start")
    url = f"http://127.0.0.1:{port}/api/courses/{COURSE}/releases/{ASSIGNMENT}/submissions"

    async def storm() -> list[int]:
        client = AsyncHTTPClient(force_instance=True, max_clients=students)

        async def submit(n: int) -> int:
            request = HTTPRequest(
                url,
                method="POST",
                body=archive,
                headers={"Authorization": f"token student{n}", "X-Content-SHA256": digest},
                request_timeout=600,
            )
            return (await client.fetch(request, raise_error=False)).code

        try:
            return await asyncio.gather(*(submit(n) for n in range(students)))
        finally:
            client.close()

    try:
        started = time.perf_counter()
        codes = asyncio.run(storm())
        seconds = time.perf_counter() - started
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
    failed = [c for c in codes if c != 201]
    if failed:
        raise BenchmarkError(f"{len(failed)} submissions refused: {sorted(set(failed))}")
    kept = [s for s in storage.submissions(COURSE) if s["sha256"] == digest]
    storage.close()
    return round(students / seconds, 1), len(kept)


def _nbgrader(ctx: Context, students: int, source: Path) -> tuple[float, int]:
    try:
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange.default import ExchangeSubmit
    except ImportError as err:
        raise BenchmarkError(f"nbgrader is needed for the peer ({err})") from err
    root = ctx.folder("nbgrader-exchange")
    for sub in ("inbound", "outbound"):
        (root / COURSE / sub).mkdir(parents=True)
    os.symlink(source, root / COURSE / "outbound" / ASSIGNMENT)
    cache = ctx.folder("nbgrader-cache")

    def submit(n: int) -> None:
        coursedir = CourseDirectory(course_id=COURSE, assignment_id=ASSIGNMENT)
        coursedir.student_id = f"student{n}"
        exchange = ExchangeSubmit(
            coursedir=coursedir,
            authenticator=Authenticator(),
            root=str(root),
            cache=str(cache),
            assignment_dir=str(source.parent),
        )
        exchange.start()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=students) as pool:
        list(pool.map(submit, range(students)))
    seconds = time.perf_counter() - started
    kept = [
        entry
        for entry in (root / COURSE / "inbound").iterdir()
        if (entry / "data.bin").stat().st_size == SIZE
    ]
    return round(students / seconds, 1), len(kept)


def run(ctx: Context) -> list[Figure]:
    students = ctx.size(250, 50)
    source = _assignment(ctx.folder("assignment"))
    ctx.log(f"{NAME}: {students} students submit {SIZE >> 20} MB each, at once")
    ours_rate, ours_kept = _coursekit(ctx, students, source)
    peer_rate, peer_kept = _nbgrader(ctx, students, source)
    ctx.log(f"{NAME}: coursekit {ours_rate:.1f}/s, nbgrader filesystem {peer_rate:.1f}/s")
    note = (
        f"{students} concurrent submissions of {SIZE >> 20} MB; coursekit: HTTP over loopback "
        "to the service (sha256 checked, fsynced, atomic rename, a row in its SQLite "
        "catalog); peer: nbgrader's filesystem "
        "exchange copying into inbound/ and its cache on the same disk"
    )
    return [
        Figure(
            f"submissions per second, {students} x {SIZE >> 20} MB at once (higher is better)",
            ours_rate,
            peer_rate,
            unit="submissions/s",
            note=note,
            detail={"students": students, "bytes": SIZE},
        ),
        Figure(
            "submissions kept, sha256 intact",
            ours_kept,
            peer_kept,
            unit="count",
            goal=f"all {students}",
            meets=ours_kept == students,
        ),
    ]
