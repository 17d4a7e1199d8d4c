"""``python benchmarks/start_probe.py [server arguments]``: ``jupyter server``, timing each
server extension's own share of the start.

The startup row launches every server, coursekit on or off, through this script. It times
what the extension manager does per extension (import it and read its metadata, link,
load, start) in wall-clock and CPU time, and rewrites the totals as JSON to the file named by
``$COURSEKIT_BENCH_PROBE`` after each step, so they are there by the time the server answers.
An extension's share, measured in the process, is not drowned by the noise of a
seconds-long start on a busy machine, as the difference of two wall clocks is.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time

from jupyter_server.extension.manager import ExtensionManager

STEPS = ("add_extension", "link_extension", "load_extension", "start_extension")


def main() -> None:
    out = os.environ.pop("COURSEKIT_BENCH_PROBE")
    totals: dict[str, dict[str, float]] = {}

    def record(name: str, wall: float, cpu: float) -> None:
        entry = totals.setdefault(name, {"wall_ms": 0.0, "cpu_ms": 0.0})
        entry["wall_ms"] += wall * 1000
        entry["cpu_ms"] += cpu * 1000
        with open(f"{out}.tmp", "w") as file:
            json.dump(totals, file)
        os.replace(f"{out}.tmp", out)

    def timed(step):
        if step.__name__ == "start_extension":

            @functools.wraps(step)
            async def async_wrapper(self, name, *args, **kwargs):
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return await step(self, name, *args, **kwargs)
                finally:
                    record(name, time.perf_counter() - wall, time.thread_time() - cpu)

            return async_wrapper

        @functools.wraps(step)
        def wrapper(self, name, *args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return step(self, name, *args, **kwargs)
            finally:
                record(name, time.perf_counter() - wall, time.thread_time() - cpu)

        return wrapper

    for step in STEPS:
        setattr(ExtensionManager, step, timed(getattr(ExtensionManager, step)))

    from jupyter_server.serverapp import main as serve

    sys.exit(serve())


if __name__ == "__main__":
    main()
