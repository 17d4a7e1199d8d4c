"""``GET /coursekit/api/modules`` under 50 concurrent clients, beside the server's own
``GET /api/status`` under the same load on the same server.

Both endpoints are hit in alternating batches, so a slow spell of the machine lands on both.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from ..context import Context
from ..figures import BenchmarkError, Figure, percentile
from ..server import JupyterServer, coursekit_switch

NAME = "api"
CONCURRENCY = 50
BATCH = 250
WARM_UP = 100
MODULES = "/coursekit/api/modules"
STATUS = "/api/status"


async def _load(url: str, headers: dict[str, str], count: int) -> tuple[list[float], Counter]:
    """``count`` GETs from CONCURRENCY clients at once; latencies in ms, and failures."""
    client = AsyncHTTPClient(force_instance=True, max_clients=CONCURRENCY)
    latencies: list[float] = []
    failures: Counter = Counter()
    remaining = count

    async def one_client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            request = HTTPRequest(url, headers=headers, connect_timeout=10, request_timeout=30)
            start = time.perf_counter()
            try:
                response = await client.fetch(request, raise_error=False)
            except Exception as err:  # a refused or timed-out connection: counted, not fatal
                failures[type(err).__name__] += 1
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            if response.code != 200:
                failures[f"HTTP {response.code}"] += 1

    try:
        await asyncio.gather(*(one_client() for _ in range(CONCURRENCY)))
    finally:
        client.close()
    return latencies, failures


async def _measure(server: JupyterServer, total: int) -> dict[str, list[float]]:
    urls = {path: server.url + path for path in (MODULES, STATUS)}
    for url in urls.values():
        await _load(url, server.headers, WARM_UP)
    samples: dict[str, list[float]] = {path: [] for path in urls}
    failures: Counter = Counter()
    batches = max(1, total // BATCH)
    for i in range(batches):
        size = total // batches + (1 if i < total % batches else 0)
        order = list(urls) if i % 2 == 0 else list(reversed(urls))
        for path in order:
            latencies, failed = await _load(urls[path], server.headers, size)
            samples[path].extend(latencies)
            failures.update({f"{path}: {k}": v for k, v in failed.items()})
    if failures:
        summary = ", ".join(f"{k} x{v}" for k, v in failures.items())
        raise BenchmarkError(f"requests failed under load: {summary}")
    return samples


def run(ctx: Context) -> list[Figure]:
    total = ctx.size(2000, 500)
    manifest = ctx.repo / "images" / "example-course"
    env = {"COURSEKIT_MANIFEST": str(manifest)}
    ctx.log(f"{NAME}: {total} requests per endpoint, {CONCURRENCY} concurrent clients")
    with JupyterServer(coursekit_switch(True), env, scratch=ctx.scratch) as server:
        status, body = server.get(MODULES)
        if status != 200:
            raise BenchmarkError(f"GET {MODULES} answered {status}: {body[:200]!r}")
        started = time.perf_counter()
        samples = asyncio.run(_measure(server, total))
        seconds = time.perf_counter() - started
    ours, theirs = samples[MODULES], samples[STATUS]
    ctx.log(f"{NAME}: {len(ours) + len(theirs)} requests in {seconds:.1f} s")
    note = (
        f"{len(ours)} requests each, {CONCURRENCY} concurrent, loopback, "
        f"one new connection per request; peer GET {STATUS} on the same server"
    )
    detail = {"requests_per_endpoint": total, "concurrency": CONCURRENCY}
    return [
        Figure(
            f"GET {MODULES} p50 vs GET {STATUS}",
            percentile(ours, 50),
            percentile(theirs, 50),
            note=note,
            detail=detail,
        ),
        Figure(f"GET {MODULES} p99 vs GET {STATUS}", percentile(ours, 99), percentile(theirs, 99)),
    ]
