"""Content seeding: course material into a student's module folder, never losing their work.

The engine is synchronous file work with no server imports; the server runs it in a worker
thread (:mod:`coursekit.background_seeding`) and the CLI runs it directly.

Names are imported on first use (PEP 562): the server asks for ``last_report`` while it
starts, and that must not pay for filelock, nbformat and nbdime, which only the worker
thread needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import reset_module, restore_original, seed_module
    from .index import build_index
    from .report import Progress, SeedReport, last_report

_WHERE = {
    "Progress": ".report",
    "SeedReport": ".report",
    "build_index": ".index",
    "last_report": ".report",
    "reset_module": ".engine",
    "restore_original": ".engine",
    "seed_module": ".engine",
}

__all__ = [
    "Progress",
    "SeedReport",
    "build_index",
    "last_report",
    "reset_module",
    "restore_original",
    "seed_module",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
