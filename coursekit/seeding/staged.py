"""Adding a whole folder of course files with one rename.

A first seed writes every file of a folder the student does not have yet. Writing each file
to a temporary name and renaming it doubles the cost of creating it (measured on ext4: two
directory updates per file instead of one). Here the folder is built under the bookkeeping
folder's ``tmp/`` instead, files created in place, and then moved into the module with one
``rename``: the student (or a ``kill -9``) still never sees half a file, because nothing is
visible until the folder is complete. A folder left in ``tmp/`` by a killed seed is removed
by the next one (:meth:`Bookkeeping.clear_tmp`).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import atomic
from .atomic import kernel_copy

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


@dataclass
class StagedFile:
    rel: str  # relative to the module folder; its first part is the staged folder
    source: str  # the course file's path
    mode: int


class FolderAppeared(Exception):
    """Something now stands where the staged folder was to go: add its files one by one."""


def add_folder(
    root: Path,
    tmp_dir: Path,
    top: str,
    files: Iterable[StagedFile],
    done: Callable[[StagedFile, int], None],
) -> dict[str, os.stat_result]:
    """Build ``top`` with ``files`` under ``tmp_dir`` and rename it to ``root/top``.

        Returns each file's stat (unchanged by the folder's rename). ``done`` is called after
        each file is written, with the course file still open (for progress, and to keep a
    merge base without opening the file again). Raises :class:`FolderAppeared` when ``root/top``
        exists by the time of the rename (nothing of the student's is touched), or an
        ``OSError`` from writing (the staged folder is removed).
    """
    staging = os.path.join(os.fsdecode(tmp_dir), f"folder-{os.getpid()}-{top}")
    made: set[str] = set()
    written: dict[str, os.stat_result] = {}
    try:
        os.mkdir(staging, 0o755)
        # Plain strings and descriptors: Path objects per file cost as much as the copy.
        for file in files:
            below = file.rel.split("/", 1)[1]  # the path inside the staged folder
            folder = below.rpartition("/")[0]
            if folder and folder not in made:
                _make_folders(staging, folder, made)
            target = f"{staging}/{below}"
            atomic.fault_point(target)  # looked up each time: tests replace it
            source = os.open(file.source, os.O_RDONLY)
            try:
                fd = os.open(target, _CREATE, 0o600)
                try:
                    kernel_copy(source, fd)
                    os.fchmod(fd, file.mode)
                    written[file.rel] = os.fstat(fd)
                finally:
                    os.close(fd)
                done(file, source)
            finally:
                os.close(source)
        atomic.fault_point(str(root / top))
        if os.path.lexists(root / top):
            raise FolderAppeared(top)
        try:
            os.rename(staging, root / top)
        except OSError as err:
            # A folder made (empty) by the student meanwhile would be replaced by rename();
            # one with files, or a file, makes it fail: either way, not ours to take.
            if err.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise FolderAppeared(top) from err
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def _make_folders(staging: str, folder: str, made: set[str]) -> None:
    """Create ``folder`` and each folder above it inside ``staging`` not made yet."""
    parts = folder.split("/")
    for depth in range(1, len(parts) + 1):
        path = "/".join(parts[:depth])
        if path not in made:
            os.mkdir(f"{staging}/{path}", 0o755)
            made.add(path)
