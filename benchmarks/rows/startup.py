"""Server start to ready, with coursekit enabled and with it disabled, runs interleaved.

The baseline is this environment's own start (jupyter-ai, nbgrader, jupyter-server-proxy and
the rest take seconds); the figure that matters is what coursekit adds to it.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from ..context import Context
from ..figures import BenchmarkError, Figure, median, percentile
from ..server import JupyterServer, coursekit_switch

NAME = "startup"
GOAL_ADDED_MS = 150.0
PEER_EXTENSION = "nbgrader"


def _arms(runs: int) -> list[bool]:
    """on, off, off, on, on, off, ...: each arm goes first as often, so drift cancels."""
    order: list[bool] = []
    while len(order) < 2 * runs:
        order.extend([True, False] if len(order) % 4 == 0 else [False, True])
    return order


@dataclass
class Start:
    wall_ms: float  # spawn to the first authenticated 200 from GET /api/status
    cpu_ms: float  # CPU time the server process had used by then
    extensions: dict[str, dict[str, float]]  # per extension: its own wall_ms and cpu_ms


def _start(ctx: Context, enabled: bool) -> Start:
    manifest = ctx.repo / "images" / "example-course"
    probe = ctx.folder("probe") / "extensions.json"
    env = {"COURSEKIT_MANIFEST": str(manifest), "COURSEKIT_BENCH_PROBE": str(probe)}
    launcher = [str(Path(__file__).parent.parent / "start_probe.py")]
    with JupyterServer(
        coursekit_switch(enabled), env, scratch=ctx.scratch, launcher=launcher
    ) as server:
        wall, cpu = server.startup_seconds, server.startup_cpu_seconds
        # Not timed: prove the arm measured what it claims to.
        status, _ = server.get("/coursekit/api/modules")
        expected = 200 if enabled else 404
        if status != expected:
            state = "enabled" if enabled else "disabled"
            raise BenchmarkError(
                f"with coursekit {state}, GET /coursekit/api/modules answered {status}, "
                f"not {expected}; server log:\n{server.log_tail()}"
            )
        try:
            extensions = json.loads(probe.read_text())
        except (OSError, ValueError) as err:
            raise BenchmarkError(f"the start probe wrote no timings ({err})") from err
    return Start(wall * 1000, cpu * 1000, extensions)


def _interval(on: list[float], off: list[float], resamples: int = 2000) -> tuple[float, float]:
    """A 95% bootstrap interval of median(on) - median(off): how far noise alone moves it."""
    rng = random.Random(0)
    differences = sorted(
        median(rng.choices(on, k=len(on))) - median(rng.choices(off, k=len(off)))
        for _ in range(resamples)
    )
    return percentile(differences, 2.5), percentile(differences, 97.5)


def _share(start: Start, package: str) -> float:
    """A package's own start work: nbgrader, for one, is several server extensions."""
    return sum(
        timing["wall_ms"]
        for name, timing in start.extensions.items()
        if name == package or name.startswith(f"{package}.")
    )


def run(ctx: Context) -> list[Figure]:
    runs = ctx.size(7, 3)
    ctx.log(f"{NAME}: warm-up start (not counted), then {runs} starts each way, interleaved")
    _start(ctx, True)
    starts: dict[bool, list[Start]] = {True: [], False: []}
    load_before = os.getloadavg()[0]
    for i, enabled in enumerate(_arms(runs), 1):
        start = _start(ctx, enabled)
        starts[enabled].append(start)
        ctx.log(
            f"{NAME}: {i}/{2 * runs} coursekit {'on ' if enabled else 'off'} "
            f"{start.wall_ms:,.0f} ms, CPU {start.cpu_ms:,.0f} ms, "
            f"coursekit's share {_share(start, 'coursekit'):,.1f} ms"
        )
    load_after = os.getloadavg()[0]

    on = [s.wall_ms for s in starts[True]]
    off = [s.wall_ms for s in starts[False]]
    added = median(on) - median(off)
    # Runs come in adjacent pairs; the median of the pairs' differences is a second
    # estimate of the same thing, less sensitive to a slow drift of the machine.
    paired = median([a - b for a, b in zip(on, off, strict=True)])
    low, high = _interval(on, off)
    cpu_on = median([s.cpu_ms for s in starts[True]])
    cpu_off = median([s.cpu_ms for s in starts[False]])
    ours = [_share(s, "coursekit") for s in starts[True]]
    theirs = [_share(s, PEER_EXTENSION) for s in starts[True]]
    everything = median([sum(e["wall_ms"] for e in s.extensions.values()) for s in starts[True]])
    if not any(theirs):
        names = ", ".join(sorted(starts[True][0].extensions))
        raise BenchmarkError(
            f"no {PEER_EXTENSION} server extension was loaded (loaded: {names}); "
            "pip install -r benchmarks/requirements.txt"
        )
    return [
        Figure(
            f"server start to ready, median of {runs}: coursekit on vs off",
            median(on),
            median(off),
            note=(
                f"range on {min(on):,.0f}-{max(on):,.0f} ms, off {min(off):,.0f}-{max(off):,.0f} ms; "
                f"server CPU time to ready, median on {cpu_on:,.0f} ms, off {cpu_off:,.0f} ms"
            ),
            detail={
                "coursekit_on": [asdict(s) for s in starts[True]],
                "coursekit_off": [asdict(s) for s in starts[False]],
            },
        ),
        Figure(
            "  time coursekit adds (median on - median off)",
            added,
            unit="+ms",
            goal=f"<= +{GOAL_ADDED_MS:.0f} ms",
            meets=added <= GOAL_ADDED_MS,
            note=(
                f"95% bootstrap interval {low:+,.0f} to {high:+,.0f} ms, median of the paired "
                f"differences {paired:+,.0f} ms; load average "
                f"{load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} CPUs: "
                "other work on the machine shows in the wall clock"
            ),
        ),
        Figure(
            f"  coursekit's own start work in-process vs {PEER_EXTENSION}'s",
            median(ours),
            median(theirs),
            goal=f"<= {GOAL_ADDED_MS:.0f} ms",
            meets=median(ours) <= GOAL_ADDED_MS,
            note=(
                "import, link, load and start, timed around jupyter_server's extension "
                f"manager; median of {runs}; all extensions together {everything:,.0f} ms"
            ),
        ),
    ]
