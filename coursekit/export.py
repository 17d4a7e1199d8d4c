"""Take my work away: a module folder as a zip, streamed while it is written.

The archive is produced chunk by chunk through the standard library's ``zipfile`` writing
to an unseekable sink (it then uses data descriptors), so a module of any size costs a
few MiB of memory. Entries are *stored*, not deflated: the download runs at disk speed and
costs no CPU on a node shared by many students, and the size announced up front (the sum
of the file sizes) lets the UI show honest progress.

Left out: coursekit's bookkeeping (the seeding record folder and content indexes), which
means nothing outside this server. Symbolic links are never followed out of the module.

Plain Python, no tornado: the handler pulls chunks in an executor.
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .seeding.atomic import BOOKKEEPING
from .seeding.index import INDEX_NAME

# Names that are coursekit's, not the student's: never in a take-away archive.
EXCLUDED_NAMES = frozenset({BOOKKEEPING, INDEX_NAME})
CHUNK = 1 << 20
SKIPPED_NOTE = "COURSEKIT-NOT-INCLUDED.txt"


@dataclass
class ExportPlan:
    """What goes into the archive: (absolute path, name in the archive) pairs."""

    root: Path
    prefix: str
    files: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # The sum of the file sizes when planned: the progress bar's 100%.
    total_bytes: int = 0


def plan_export(root: Path, prefix: str) -> ExportPlan:
    """Walk the module folder; every name in the archive starts with ``prefix/``."""
    root = Path(root)
    real_root = root.resolve()
    plan = ExportPlan(root=root, prefix=prefix)
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        # Sorted so that two downloads of the same folder list entries in the same order.
        dirs[:] = sorted(
            d for d in dirs if d not in EXCLUDED_NAMES and not _escapes(here / d, real_root)
        )
        for name in sorted(names):
            if name in EXCLUDED_NAMES:
                continue
            path = here / name
            rel = path.relative_to(root).as_posix()
            if _escapes(path, real_root):
                plan.skipped.append((rel, "a link to a place outside the module"))
                continue
            try:
                info = path.stat()
            except OSError as err:
                plan.skipped.append((rel, err.strerror or str(err)))
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            plan.total_bytes += info.st_size
            plan.files.append((path, f"{prefix}/{rel}"))
    return plan


def _escapes(path: Path, real_root: Path) -> bool:
    """True for a symbolic link whose target is outside the module folder."""
    if not path.is_symlink():
        return False
    try:
        return not path.resolve().is_relative_to(real_root)
    except (OSError, RuntimeError):
        return True


class _Sink:
    """An unseekable file zipfile writes into; the bytes are taken out as chunks."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def stream_zip(plan: ExportPlan, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """Yield the archive as chunks of about ``chunk_size`` bytes.

    A file that cannot be read (permissions, removed meanwhile) is left out and named in
    a note at the end of the archive, so the student knows what to fetch by hand.
    """
    sink = _Sink()
    skipped = list(plan.skipped)
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, strict_timestamps=False) as archive:
        for path, arcname in plan.files:
            try:
                source = open(path, "rb")  # noqa: SIM115 - closed below, chunks yielded between
            except OSError as err:
                skipped.append((arcname.split("/", 1)[1], err.strerror or str(err)))
                continue
            with source:
                info = zipfile.ZipInfo.from_file(path, arcname, strict_timestamps=False)
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=True) as entry:
                    while block := source.read(chunk_size):
                        entry.write(block)
                        if sink.size >= chunk_size:
                            yield sink.take()
            if sink.size >= chunk_size:
                yield sink.take()
        if skipped:
            note = "These files of the module are not in this archive:\n" + "".join(
                f"  {rel}: {why}\n" for rel, why in skipped
            )
            info = zipfile.ZipInfo(f"{plan.prefix}/{SKIPPED_NOTE}", time.localtime()[:6])
            archive.writestr(info, note)
    yield sink.take()
