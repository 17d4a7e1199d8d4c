"""What a seed tells the student: progress while it runs, a report when it is done."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .record import Bookkeeping


@dataclass
class Progress:
    """One progress event; the server forwards :meth:`to_dict` to the Modules panel."""

    module_id: str
    phase: str  # "fetching" | "scanning" | "copying" | "merging" | "init" | "done"
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    current: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SeedReport:
    """What one seed did to one module. Paths are relative to the module folder (posix)."""

    module_id: str
    started_at: float = 0.0
    finished_at: float = 0.0
    noop: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)  # {"path", "course_copy", "reason"}
    removed: list[dict] = field(default_factory=list)  # {"path", "moved_to"}
    deleted_by_student: list[str] = field(default_factory=list)
    init: list[dict] = field(default_factory=list)  # {"name", "status", "message"}
    errors: list[dict] = field(default_factory=list)  # {"path", "code", "message"}
    bookkeeping_bytes: int = 0

    def to_dict(self) -> dict:
        # Not asdict(): it deep-copies every path of a first seed (2,000 of them), which cost
        # more than writing the report. The lists are copied; their entries are not changed.
        data = {
            f.name: list(value) if isinstance(value := getattr(self, f.name), list) else value
            for f in fields(self)
        }
        data["summary"] = self.summary()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SeedReport:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def error(self, path: str, code: str, message: str) -> None:
        self.errors.append({"path": path, "code": code, "message": message})

    def summary(self) -> str:
        """One line for the panel and the CLI, e.g. "3 notebooks updated, 1 merged, 1 conflict"."""
        parts = []
        if self.added:
            parts.append(_count(self.added, "added"))
        if self.updated:
            parts.append(_count(self.updated, "updated"))
        if self.merged:
            parts.append(f"{len(self.merged)} merged")
        if self.conflicts:
            parts.append(_plural(len(self.conflicts), "conflict"))
        if self.removed:
            parts.append(f"{len(self.removed)} removed by the course")
        failed = sum(s["status"] == "failed" for s in self.init)
        if failed:
            parts.append(_plural(failed, "first-run step") + " failed")
        if self.errors:
            parts.append(_plural(len(self.errors), "error"))
        return ", ".join(parts) if parts else "up to date"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _count(paths: list[str], verb: str) -> str:
    notebooks = sum(p.endswith(".ipynb") for p in paths)
    return f"{_plural(len(paths), 'notebook' if notebooks == len(paths) else 'file')} {verb}"


class ProgressThrottle:
    """Calls the server's callback at most ``rate`` times a second, and always on a new
    phase, so a 2,000-file seed does not flood the panel with events."""

    def __init__(
        self, module_id: str, callback: Callable[[Progress], None] | None, rate: float = 20.0
    ) -> None:
        self.callback = callback
        self.interval = 1.0 / rate
        self.state = Progress(module_id, "scanning", 0, 0, 0, 0)
        self._last = 0.0

    def update(self, force: bool = False, **changes) -> None:
        if self.callback is None:
            return
        new_phase = "phase" in changes and changes["phase"] != self.state.phase
        for key, value in changes.items():
            setattr(self.state, key, value)
        now = time.monotonic()
        if force or new_phase or now - self._last >= self.interval:
            self._last = now
            self.callback(Progress(**asdict(self.state)))

    def advance(self, nbytes: int, current: str) -> None:
        self.update(
            files_done=self.state.files_done + 1,
            bytes_done=self.state.bytes_done + nbytes,
            current=current,
        )


def last_report(workspace: Path) -> SeedReport | None:
    """The report of the last seed of this module folder, if there was one."""
    try:
        data = json.loads(Bookkeeping(Path(workspace)).report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return SeedReport.from_dict(data) if isinstance(data, dict) else None
