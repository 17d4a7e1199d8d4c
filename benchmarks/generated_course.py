"""A course's content made up on disk: notebooks, markdown and data files of a chosen size.

Deterministic (a seeded generator), so two runs measure the same tree. Text is drawn from a
small alphabet so it compresses about as well as real CSV and JSON do, while a share of the
data is random bytes, as images and parquet files are: git pays to pack both.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

# Most files are small (notebooks, markdown, scripts); a tenth are data files carrying
# most of the bytes, as in a real module.
DATA_SHARE = 0.10
SMALL_FILE_BYTES = 10_000
_TEXT = bytes((b"0123456789,.;-abcdef\n" * 13)[:256])


@dataclass
class GeneratedCourse:
    root: Path
    files: list[str]  # posix paths relative to root, sorted
    total_bytes: int


def _text(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size).translate(_TEXT)


def _notebook(rng: random.Random, size: int) -> bytes:
    cells = []
    per_cell = max(200, size // 6)
    while sum(len(json.dumps(c)) for c in cells) < size:
        source = _text(rng, per_cell).decode()
        if len(cells) % 2 == 0:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": source})
        else:
            cells.append(
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
            )
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1).encode()


def _body(rng: random.Random, rel: str, size: int) -> bytes:
    if rel.endswith(".ipynb"):
        return _notebook(rng, size)
    if rel.endswith(".bin"):
        return rng.randbytes(size)
    return _text(rng, size)


def generate(root: Path, files: int, total_bytes: int, seed: int = 351) -> GeneratedCourse:
    """Write ``files`` files of about ``total_bytes`` in all under ``root`` (created)."""
    rng = random.Random(seed)
    data_files = max(1, int(files * DATA_SHARE))
    small_files = files - data_files
    data_bytes = max(data_files, total_bytes - small_files * SMALL_FILE_BYTES)
    plan: list[tuple[str, int]] = []
    for i in range(small_files):
        week = f"week-{i % 20 + 1:02d}"
        kind = ("ipynb", "md", "py")[i % 3]
        size = int(SMALL_FILE_BYTES * rng.uniform(0.2, 1.8))
        plan.append((f"{week}/part-{i:04d}.{kind}", size))
    for i in range(data_files):
        # Half the data as text (CSV), half as random bytes (images, parquet).
        kind = "csv" if i % 2 == 0 else "bin"
        size = int(data_bytes / data_files * rng.uniform(0.5, 1.5))
        plan.append((f"data/set-{i // 25:02d}/table-{i:04d}.{kind}", size))
    written = 0
    for rel, size in plan:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        body = _body(rng, rel, size)
        path.write_bytes(body)
        written += len(body)
    return GeneratedCourse(root, sorted(rel for rel, _ in plan), written)


def change_share(course: GeneratedCourse, share: float, round_no: int) -> list[str]:
    """Rewrite ``share`` of the files (spread across the tree) with new content of about
    the same size, different for every ``round_no``; returns the paths changed."""
    count = max(1, round(len(course.files) * share))
    step = len(course.files) // count
    chosen = [course.files[(i * step + round_no) % len(course.files)] for i in range(count)]
    rng = random.Random(f"change-{round_no}")
    for rel in chosen:
        path = course.root / rel
        body = _body(rng, rel, path.stat().st_size)
        path.write_bytes(body)
    return chosen
