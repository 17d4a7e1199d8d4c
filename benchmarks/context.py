"""What every row is handed: the run's size, where the repository is, a scratch folder."""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Context:
    quick: bool
    scratch: Path
    repo: Path = REPO
    started: float = field(default_factory=time.perf_counter)

    def size(self, full: T, quick: T) -> T:
        """The full run's value, or the quick run's."""
        return quick if self.quick else full

    def folder(self, name: str) -> Path:
        """A fresh folder under the scratch folder; the runner removes it at the end."""
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))

    def log(self, message: str) -> None:
        """Progress, on stderr, so the table on stdout stays clean."""
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)
