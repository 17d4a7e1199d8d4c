"""The public operations: seed, restore an original, reset a module, read the last report.

Each takes the module's lock (a file lock in its bookkeeping folder) so a hub start hook and
the server never seed the same home at once; the lock is an ``flock``, which the kernel
drops when its holder dies, so a culled server's lock never blocks anyone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from filelock import FileLock, Timeout

from ..errors import WorkspaceError
from ..manifest import Module
from .apply import COPIES, DISK_FULL, Applier
from .atomic import (
    copy_file,
    free_name,
    hash_file,
    lstat_or_none,
    move_within,
    release,
    safe_relative,
    tree_size,
    write_bytes,
)
from .errors import NotACourseFile, SeedLocked
from .gcpause import collector_paused
from .index import IndexUnusable, sha256_of, stale
from .init_steps import run_steps
from .plan import Action, plan
from .record import AppliedListings, Bookkeeping, Record, wants_base
from .report import Progress, ProgressThrottle, SeedReport, last_report  # noqa: F401 (re-exported)
from .sources import Content, gather, indexed_fingerprint


def _ready_workspace(workspace: Path) -> Path:
    """The module folder, created if missing; never a link (it could lead out of the home)."""
    info = lstat_or_none(workspace)
    if info is None:
        workspace.mkdir(mode=0o700)
    elif stat.S_ISLNK(info.st_mode):
        raise WorkspaceError(
            f"{workspace} is a symbolic link; coursekit will not follow it",
            code="workspace-is-symlink",
        )
    elif not stat.S_ISDIR(info.st_mode):
        raise WorkspaceError(f"{workspace} is a file, not a folder", code="workspace-blocked")
    return workspace


@contextmanager
def module_lock(book: Bookkeeping, timeout: float) -> Iterator[None]:
    lock = FileLock(str(book.lock_path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise SeedLocked(
            f"another seed of {book.module_dir.name} is still running after {timeout:g} s; "
            "try again when it has finished"
        ) from None
    try:
        yield
    finally:
        lock.release()


@collector_paused()
def seed_module(
    module: Module,
    workspace: Path,
    *,
    cache_dir: Path | str | None = None,
    progress: Callable[[Progress], None] | None = None,
    lock_timeout: float = 60.0,
    copy_threads: int = 2,
) -> SeedReport:
    """Bring ``workspace`` up to the module's content by the rules of issue 3.

    ``copy_threads`` copy the folders a first seed adds (1: this thread alone).

    Raises a :class:`~coursekit.errors.CourseKitError` for bad input (a missing or unsafe
    source, a module folder that is a link) or when the lock cannot be had; problems with
    single files, an unreachable remote source or a full disk go into the report.
    """
    workspace = _ready_workspace(Path(workspace))
    report = SeedReport(module.id, started_at=time.time())
    replaced: list[str] = []
    throttle = ProgressThrottle(module.id, progress)
    throttle.update(phase="fetching", force=True)
    book = Bookkeeping(workspace)
    book.prepare()
    quick = indexed_fingerprint(module)
    content = None
    if quick is None or book.applied().get("quick") != quick:
        content = gather(module, cache_dir)
        report.errors.extend(content.errors)
    with module_lock(book, lock_timeout), contextlib.closing(book):
        book.clear_tmp()
        applied = book.applied()
        # A seed killed or stopped after the last complete one has saved the record since,
        # so it is no longer "as applied": then no shortcut, even if the content is again
        # what that complete seed applied.
        as_applied = book.record_as_applied(applied)
        if quick is not None and applied.get("quick") == quick and as_applied:
            # The image's indexes are the ones applied last time: nothing to walk or hash.
            report.noop = True
            report.bookkeeping_bytes = applied.get("bookkeeping_bytes", 0)
            ready = True
        else:
            # Read only now: the record grows with the course, and a no-op never needs it.
            record = Record.load(book)
            book.recover_pending(record)
            if content is None:  # another seeder changed what was applied meanwhile
                content = gather(module, cache_dir)
                report.errors.extend(content.errors)
            if content.complete and applied.get("digest") == content.digest and as_applied:
                report.noop = True
                report.bookkeeping_bytes = applied.get("bookkeeping_bytes", 0)
                ready = True
                if quick is not None:
                    book.set_applied(
                        content.digest,
                        report.bookkeeping_bytes,
                        quick,
                        _applied_listings(content, record, _left_unsettled(applied, content)),
                    )
            else:
                throttle.update(phase="scanning")
                scope = _changed_paths(book, content, applied) if as_applied else None
                content, actions, scope = _planned(
                    module, cache_dir, workspace, content, record, as_applied, scope
                )
                applier = Applier(workspace, book, record, report, throttle, copy_threads)
                ready = applier.run(actions)
                replaced = applier.replaced
                complete = content.complete and ready
                ready = (
                    _finish(
                        book,
                        record,
                        report,
                        content.digest if complete else None,
                        quick if complete else None,
                        _applied_listings(content, record, scope) if complete else None,
                    )
                    and ready
                )
            ready = ready and content.reached
        throttle.update(phase="init")
        report.init = run_steps(module, book, ready)
        report.finished_at = time.time()
        _save_report(book, report)
    throttle.update(phase="done", force=True)
    _release_later(replaced)
    return report


_releasing: list[threading.Thread] = []
_releasing_lock = threading.Lock()


def _release_later(paths: list[str]) -> None:
    """Free the versions an update replaced, in a thread of its own: the seed has reported,
    and the student need not wait while the filesystem frees their blocks. Not a daemon,
    so a seed from the command line frees them before it exits; whatever a killed process
    leaves in the tmp folder, the next seed clears under the lock."""
    if not paths:
        return
    thread = threading.Thread(target=release, args=(paths,), name="coursekit-release")
    with _releasing_lock:
        # Only the ones still at work: a server that seeds all term keeps no list of all.
        _releasing[:] = [t for t in _releasing if t.is_alive()]
        _releasing.append(thread)
    thread.start()


def wait_for_release() -> None:
    """Return once the versions replaced by this process's seeds are freed."""
    while True:
        with _releasing_lock:
            if not _releasing:
                return
            thread = _releasing.pop()
        thread.join()


def _planned(
    module: Module,
    cache_dir: Path | str | None,
    workspace: Path,
    content: Content,
    record: Record,
    as_applied: bool,
    scope: set[str] | None,
) -> tuple[Content, list[Action], set[str] | None]:
    """The plan, the content it is for, and the paths it looked at (None: all). From the
    index where it serves; from a walk of the content where a file it would copy no
    longer matches its entry (changed after the index was written) or an entry cannot be
    used (the index names what it should not). The walk's errors, if any, are the ones
    already reported."""
    try:
        actions = plan(
            workspace,
            content.files,
            record,
            content.complete,
            record_as_applied=as_applied,
            only=scope,
        )
        if not any(a.kind in COPIES and stale(a.course) for a in actions):
            return content, actions, scope
    except IndexUnusable:
        pass
    content = gather(module, cache_dir, walk=True)
    actions = plan(workspace, content.files, record, content.complete, record_as_applied=as_applied)
    return content, actions, None


def _changed_paths(book: Bookkeeping, content: Content, applied: dict) -> set[str] | None:
    if content.listings is None:
        return None
    indexes = [(s.prefix, s.index) for s in content.listings]
    return book.changed_paths(indexes, content.layout, applied)


def _left_unsettled(applied: dict, content: Content) -> list[str] | None:
    """The paths the last seed left unlike the course, if it noted them for this layout."""
    unsettled = applied.get("unsettled")
    if applied.get("layout") != content.layout or not isinstance(unsettled, list):
        return None
    return [rel for rel in unsettled if isinstance(rel, str)]


def _applied_listings(
    content: Content, record: Record, looked_at: Collection[str] | None
) -> AppliedListings | None:
    """What the next seed compares with, after a complete seed that looked at
    ``looked_at`` (None: every file): the content's listings, and the course files whose
    record names another version or none (the student deleted it, or it stood in the way
    and the course's copy went beside it). Those stay in every update's plan, as they
    would in a plan of every file."""
    if content.listings is None:
        return None
    files = content.files
    paths = files if looked_at is None else [rel for rel in looked_at if rel in files]
    unsettled = [
        rel
        for rel in paths
        if (given := record.files.get(rel)) is None or given.sha256 != sha256_of(files, rel)
    ]
    listings = [(s.index.checksum, s.index.listing.buf) for s in content.listings]
    return AppliedListings(listings, content.layout, unsettled)


def _finish(
    book: Bookkeeping,
    record: Record,
    report: SeedReport,
    digest: str | None,
    quick: str | None,
    applied: AppliedListings | None,
) -> bool:
    """Save the record, then (only if everything went through) the digest applied."""
    try:
        record.save()
        book.clear_pending()  # the record now names every file written
        # Bases no longer named only take room: they are pruned when every entry has been
        # read anyway, or when the packs grow many, not at each update.
        if record.files.materialized or book.bases_store.too_many_packs():
            book.prune_bases(record.named_bases())
        report.bookkeeping_bytes = tree_size(book.dir, skip=book.tmp)
        book.set_applied(digest, report.bookkeeping_bytes, quick, applied)
    except OSError as err:
        code = "disk-full" if err.errno in DISK_FULL else "write-failed"
        report.error(".coursekit", code, f"cannot save the seeding record: {err.strerror or err}")
        return False
    return True


def _save_report(book: Bookkeeping, report: SeedReport) -> None:
    # Only the panel's memory of the last seed (the record is what matters): unsynced, and
    # a failure to write it is not a failure of the seed.
    with contextlib.suppress(OSError):
        data = json.dumps(report.to_dict()).encode()
        write_bytes(book.report_path, data, book.tmp, 0o600, sync=False)


def restore_original(module: Module, workspace: Path, paths: list[str] | None) -> dict:
    """Bring back the course's version of ``paths`` (None: every course file the student
    deleted). A file the student changed is moved aside first (``name.mine-<stamp>.ext``),
    never deleted. Returns ``{"restored": [...], "backups": [{"path", "moved_to"}]}``."""
    workspace = _ready_workspace(Path(workspace))
    wanted = None if paths is None else [safe_relative(p).as_posix() for p in paths]
    content = gather(module, None)
    for rel in wanted or ():
        if rel not in content.files:
            raise NotACourseFile(f"'{rel}' is not a file the course provides")
    book = Bookkeeping(workspace)
    book.prepare()
    restored, backups = [], []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with module_lock(book, 60.0), contextlib.closing(book):
        book.clear_tmp()
        record = Record.load(book)
        if wanted is None:
            wanted = [
                r
                for r in sorted(record.files)
                if r in content.files and lstat_or_none(workspace / r) is None
            ]
        for rel in wanted:
            course = content.files[rel]
            info = lstat_or_none(workspace / rel)
            if info is not None:
                if stat.S_ISREG(info.st_mode) and hash_file(workspace / rel) == course.sha256:
                    record.give(rel, course.sha256, info)
                    restored.append(rel)
                    continue
                aside = free_name(workspace, PurePosixPath(rel), f"mine-{stamp}")
                move_within(workspace, PurePosixPath(rel), aside)
                backups.append({"path": rel, "moved_to": aside.as_posix()})
            mode = 0o755 if course.executable else 0o644
            sha, written = copy_file(course.path, workspace, PurePosixPath(rel), mode, book.tmp)
            if wants_base(course.location):
                book.store_base(sha, course.location)
            record.give(rel, sha, written)
            restored.append(rel)
        record.save()
    return {"restored": restored, "backups": backups}


def reset_module(
    module: Module,
    workspace: Path,
    *,
    cache_dir: Path | str | None = None,
    progress: Callable[[Progress], None] | None = None,
    copy_threads: int = 2,
) -> tuple[Path, SeedReport]:
    """Move the whole module folder to ``<name>.backup-<stamp>`` beside it, then seed afresh.

    Nothing is deleted: the backup holds the student's files and the old bookkeeping.
    """
    workspace = Path(workspace)
    gather(module, cache_dir)  # a bad source fails here, before anything moves
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = workspace.parent / f"{workspace.name}.backup-{stamp}"
    n = 1
    while lstat_or_none(backup) is not None:
        n += 1
        backup = workspace.parent / f"{workspace.name}.backup-{stamp}-{n}"
    _ready_workspace(workspace)
    book = Bookkeeping(workspace)
    book.prepare()
    with module_lock(book, 60.0):
        try:
            os.rename(workspace, backup)
        except OSError as err:
            if err.errno in (errno.EXDEV,):
                raise WorkspaceError(f"cannot move {workspace} aside: {err.strerror}") from err
            raise
    return backup, seed_module(
        module, workspace, cache_dir=cache_dir, progress=progress, copy_threads=copy_threads
    )
