"""What a row measures: figures side by side with a peer, the goal they are judged by."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


class BenchmarkError(Exception):
    """A benchmark that could not run. The message says why, and what to do about it."""


@dataclass
class Figure:
    """One line of the table: coursekit's figure, its peer's, and the goal it is judged by.

    ``meets`` is None when the figure has no goal (it is shown for comparison only).
    """

    label: str
    coursekit: float | None
    peer: float | None = None
    unit: str = "ms"  # "ms", "+ms" (a signed difference), "bytes" or "count"
    goal: str = ""
    meets: bool | None = None
    note: str = ""
    detail: dict = field(default_factory=dict)  # raw samples and settings, for the JSON only

    @property
    def ratio(self) -> float | None:
        if self.coursekit is None or not self.peer:
            return None
        return self.coursekit / self.peer

    @property
    def verdict(self) -> str:
        if self.meets is None:
            return "-"
        return "meets" if self.meets else "misses"

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "coursekit": self.coursekit,
            "peer": self.peer,
            "unit": self.unit.lstrip("+"),
            "ratio": self.ratio,
            "goal": self.goal or None,
            "verdict": None if self.meets is None else self.verdict,
            "note": self.note or None,
            **({"detail": self.detail} if self.detail else {}),
        }


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("ms", "+ms"):
        sign = "+" if unit == "+ms" and value >= 0 else ""
        if abs(value) >= 100:
            return f"{sign}{value:,.0f} ms"
        if abs(value) >= 10:
            return f"{sign}{value:.1f} ms"
        return f"{sign}{value:.2f} ms"
    if unit == "bytes":
        for size, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if abs(value) >= size:
                return f"{value / size:,.1f} {name}"
        return f"{value:,.0f} B"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:g} {unit}"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" if ratio < 100 else f"{ratio:,.0f}x"


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating between the two nearest samples."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50)
