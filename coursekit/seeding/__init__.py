"""Content seeding: course material into a student's module folder, never losing their work.

The engine is synchronous file work with no server imports; the server runs it in a worker
thread (:mod:`coursekit.background_seeding`) and the CLI runs it directly.
"""

from __future__ import annotations

from .engine import last_report, reset_module, restore_original, seed_module
from .index import build_index
from .report import Progress, SeedReport

__all__ = [
    "Progress",
    "SeedReport",
    "build_index",
    "last_report",
    "reset_module",
    "restore_original",
    "seed_module",
]
