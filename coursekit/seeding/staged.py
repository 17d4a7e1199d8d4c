"""Adding a whole folder of course files with one rename.

A first seed writes every file of a folder the student does not have yet. Writing each file
to a temporary name and renaming it doubles the cost of creating it (measured on ext4: two
directory updates per file instead of one). Here the folder is built under the bookkeeping
folder's ``tmp/`` instead, files created in place, and then moved into the module with one
``rename``: the student (or a ``kill -9``) still never sees half a file, because nothing is
visible until the folder is complete. A folder left in ``tmp/`` by a killed seed is removed
by the next one (:meth:`Bookkeeping.clear_tmp`).

A big first seed copies with two threads (:func:`add_folders`): each file's copy is mostly
the kernel's, which runs without the GIL, so a second thread's opens and copies go on
while the first is in Python between files (on ext4, copying the benchmark's 2,000 files
took about 0.6 of the time, and the whole first seed about 0.8, measured). Folders are
still renamed in one by one, in order, once all their files are written.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from . import atomic
from .atomic import kernel_copy

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
# Files a copying thread takes at a time: few enough that both threads stay busy to the
# end, enough that handing out runs costs nothing next to copying them. Fewer than two
# runs in all, and one thread copies everything.
RUN = 64


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
    merge base without opening the file again). Raises :class:`FolderAppeared` when
    ``root/top`` exists by the time of the rename (nothing of the student's is touched), or
    an ``OSError`` from writing (the staged folder is removed).
    """
    files = list(files)
    staging = _stage(tmp_dir, top, files)
    try:
        written = _copy_files(staging, files, done)
        _move_in(root, top, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def add_folders(
    root: Path,
    tmp_dir: Path,
    folders: dict[str, list[StagedFile]],
    done: Callable[[StagedFile, int], None],
    threads: int = 1,
) -> Iterator[tuple[str, dict[str, os.stat_result] | FolderAppeared | OSError]]:
    """:func:`add_folder` for each of ``folders``, in order, yielding each folder's stats or
    the error that left it out (the caller then adds its files one by one).

    With ``threads`` above one, files are copied by that many threads, a :data:`RUN` at a
    time, while this thread renames each folder in once its files are all written; ``done``
    is then called from those threads and must be safe to call from several at once.
    Anything else raised (a kill, in the tests) stops the copying; staged folders left
    behind are the next seed's to clear."""
    if threads <= 1 or sum(len(files) for files in folders.values()) < 2 * RUN:
        for top, files in folders.items():
            try:
                yield top, add_folder(root, tmp_dir, top, files, done)
            except (FolderAppeared, OSError) as err:
                yield top, err
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="coursekit-copy") as pool:
        try:
            staged: list[tuple[str, str | OSError, list[Future]]] = []
            for top, files in folders.items():
                try:
                    staging = _stage(tmp_dir, top, files)
                except OSError as err:
                    staged.append((top, err, []))
                    continue
                runs = [
                    pool.submit(_copy_files, staging, files[at : at + RUN], done)
                    for at in range(0, len(files), RUN)
                ]
                staged.append((top, staging, runs))
            for top, staging, runs in staged:
                if isinstance(staging, OSError):
                    yield top, staging
                    continue
                try:
                    written: dict[str, os.stat_result] = {}
                    for run in runs:
                        written.update(run.result())
                    _move_in(root, top, staging)
                except (FolderAppeared, OSError) as err:
                    for run in runs:
                        run.cancel()
                    _wait_then_remove(runs, staging)
                    yield top, err
                    continue
                yield top, written
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _stage(tmp_dir: Path, top: str, files: list[StagedFile]) -> str:
    """The staging folder for ``top``, with every folder its files go in."""
    staging = os.path.join(os.fsdecode(tmp_dir), f"folder-{os.getpid()}-{top}")
    try:
        os.mkdir(staging, 0o755)
        made: set[str] = set()
        for file in files:
            folder = file.rel.split("/", 1)[1].rpartition("/")[0]
            if folder and folder not in made:
                _make_folders(staging, folder, made)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _copy_files(
    staging: str, files: list[StagedFile], done: Callable[[StagedFile, int], None]
) -> dict[str, os.stat_result]:
    written: dict[str, os.stat_result] = {}
    # Plain strings and descriptors: Path objects per file cost as much as the copy.
    for file in files:
        target = f"{staging}/{file.rel.split('/', 1)[1]}"
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
    return written


def _move_in(root: Path, top: str, staging: str) -> None:
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


def _wait_then_remove(runs: list[Future], staging: str) -> None:
    """Remove a staged folder once no thread writes in it any more."""
    wait(runs)
    shutil.rmtree(staging, ignore_errors=True)


def _make_folders(staging: str, folder: str, made: set[str]) -> None:
    """Create ``folder`` and each folder above it inside ``staging`` not made yet."""
    parts = folder.split("/")
    for depth in range(1, len(parts) + 1):
        path = "/".join(parts[:depth])
        if path not in made:
            os.mkdir(f"{staging}/{path}", 0o755)
            made.add(path)
