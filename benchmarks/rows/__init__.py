"""The registry of rows, in the order the table shows them.

A row is a module with a ``NAME`` (what ``--rows`` selects it by) and a
``run(ctx: Context) -> list[Figure]`` that raises :class:`BenchmarkError` when it cannot run.
``ROWS`` run by default; ``ON_REQUEST`` rows take too long for the default run's ten minutes
and run only when ``--rows`` names them.
"""

from __future__ import annotations

from types import ModuleType

from . import api_latency, bundle_size, exchange, seeding, spawn_storm, startup, webapps

ROWS: tuple[ModuleType, ...] = (startup, api_latency, bundle_size, seeding, webapps, exchange)
ON_REQUEST: tuple[ModuleType, ...] = (spawn_storm,)
