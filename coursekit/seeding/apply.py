"""Carrying out a plan: each file written whole, the record saved after the data.

The record is saved every second or so and after every merge, so a seed that is killed
redoes little; whatever it did redo is found equal by hash and adopted, never duplicated.
A full disk stops the seed with a clear error; what was written stays consistent.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path, PurePosixPath

from ..errors import CourseKitError
from .atomic import (
    copy_file,
    ensure_parents,
    free_name,
    hash_file,
    lstat_or_none,
    move_within,
    release,
    write_bytes,
)
from .plan import Action
from .record import Bookkeeping, Record, wants_base
from .report import ProgressThrottle, SeedReport
from .staged import StagedFile, add_folders

WRITES = ("add", "update", "beside", "merge", "remove")
COPIES = ("add", "update", "beside", "merge")  # the actions that read the course's file
ORDER = {"forget": 0, "release": 0, "remove": 0, "add": 2, "update": 2, "beside": 2, "merge": 3}
CHECKPOINT_SECONDS = 1.0
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _unchanged_since(path: Path, seen) -> bool:
    """The student did not touch the file between our scan and our write."""
    now = lstat_or_none(path)
    if seen is None:
        return now is None
    return now is not None and (now.st_size, now.st_mtime_ns, now.st_ino, now.st_mode) == (
        seen.st_size,
        seen.st_mtime_ns,
        seen.st_ino,
        seen.st_mode,
    )


class Applier:
    def __init__(
        self,
        root: Path,
        book: Bookkeeping,
        record: Record,
        report: SeedReport,
        progress: ProgressThrottle,
        threads: int = 1,
    ) -> None:
        self.root = root
        self.threads = threads  # that copy new folders (staged.add_folders)
        self.book = book
        self.record = record
        self.report = report
        self.progress = progress
        self.today = time.strftime("%Y%m%d")
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self._saved_at = time.monotonic()
        # The versions the updates replaced, set aside to be freed once the seed is done
        # (atomic.release): freeing them inside each rename was a third of an update's time.
        self.replaced: list[str] = []

    def run(self, actions: list[Action]) -> bool:
        """Apply every action; True when all went through."""
        writes = [a for a in actions if a.kind in WRITES]
        self.progress.update(
            phase="copying",
            files_done=0,
            files_total=len(writes),
            bytes_done=0,
            bytes_total=sum(a.course.size for a in writes if a.course),
        )
        try:
            if writes:
                self.book.set_pending(
                    {a.rel: a.course.sha256 for a in writes if a.kind in ("add", "update")}
                )
        except OSError as err:
            self._write_failed(".coursekit", err)
            return False
        actions = sorted(actions, key=lambda a: ORDER.get(a.kind, 1))
        added_whole = self._add_new_folders(actions)
        for action in actions:
            if action.rel in added_whole:
                continue
            try:
                self._apply(action)
            except CourseKitError as err:
                self.report.error(action.rel, err.code, err.message)
            except OSError as err:
                if self._write_failed(action.rel, err):
                    break
            if action.kind in WRITES:
                self.progress.advance(action.course.size if action.course else 0, action.rel)
            if time.monotonic() - self._saved_at > CHECKPOINT_SECONDS:
                self.checkpoint()
        return not self.report.errors

    def _apply(self, action: Action) -> None:
        try:
            getattr(self, f"_{action.kind}")(action)
        except OSError as err:
            # The versions set aside by earlier updates still hold their blocks: where the
            # disk or the quota is full, free them now and try once more (an update that
            # fits file by file must not fail for what it has not released yet).
            if err.errno not in DISK_FULL or not self.replaced:
                raise
            release(self.replaced)
            self.replaced.clear()
            getattr(self, f"_{action.kind}")(action)

    def _write_failed(self, rel: str, err: OSError) -> bool:
        """Report a failed write at ``rel``; True when the disk is full (stop there)."""
        if err.errno in DISK_FULL:
            self.report.error(rel, "disk-full", _disk_full_message())
            return True
        self.report.error(rel, "write-failed", f"{err.strerror or err}")
        return False

    def _add_new_folders(self, actions: list[Action]) -> set[str]:
        """Add each top-level folder the module does not have yet in one piece (see
        staged.py); returns the paths added. Any trouble leaves a folder's files to the
        file-by-file path, which reports it precisely."""
        groups: dict[str, list[Action]] = {}
        for action in actions:
            if action.kind == "add" and "/" in action.rel:
                groups.setdefault(action.rel.split("/", 1)[0], []).append(action)
        by_rel = {a.rel: a for group in groups.values() for a in group}
        folders = {
            top: [
                StagedFile(a.rel, a.course.location, 0o755 if a.course.executable else 0o644)
                for a in group
            ]
            for top, group in groups.items()
            if lstat_or_none(self.root / top) is None
        }
        # Called from the copying threads: one at a time, as the pack and the progress
        # take one writer. What each folder advanced is undone if the folder is left out.
        lock = threading.Lock()
        advanced: dict[str, tuple[int, int]] = {}

        def written_one(file: StagedFile, source: int) -> None:
            course = by_rel[file.rel].course
            top = file.rel.split("/", 1)[0]
            with lock:
                if wants_base(course.location):
                    self.book.bases_store.add_open(course.sha256, source)
                self.progress.advance(course.size, file.rel)
                files, size = advanced.get(top, (0, 0))
                advanced[top] = (files + 1, size + course.size)

        added: set[str] = set()
        outcomes = add_folders(self.root, self.book.tmp, folders, written_one, self.threads)
        for top, outcome in outcomes:
            if isinstance(outcome, Exception):
                with lock:
                    files, size = advanced.pop(top, (0, 0))
                    state = self.progress.state
                    self.progress.update(
                        files_done=state.files_done - files, bytes_done=state.bytes_done - size
                    )
                continue
            for rel, info in outcome.items():
                # The base, if it wants one, was kept while the file was open (written_one).
                self.record.give(rel, by_rel[rel].course.sha256, info)
                self.report.added.append(rel)
            added.update(outcome)
        return added

    def checkpoint(self) -> None:
        self.record.save()
        self._saved_at = time.monotonic()

    # -- course files ------------------------------------------------------------------

    def _give(self, action: Action, sha: str, info) -> None:
        course = action.course
        if course is not None and sha == course.sha256 and wants_base(course.location):
            self.book.store_base(sha, course.location)
        self.record.give(action.rel, sha, info)

    def _copy(self, action: Action) -> None:
        mode = 0o755 if action.course.executable else 0o644
        sha, info = copy_file(
            action.course.path,
            self.root,
            PurePosixPath(action.rel),
            mode,
            self.book.tmp,
            known_sha256=action.course.sha256,
            replaced=self.replaced if action.kind == "update" else None,
        )
        self._give(action, sha, info)

    def _add(self, action: Action) -> None:
        if not _unchanged_since(self.root / action.rel, None):
            return self._beside(action, "your-file-in-the-way")
        self._copy(action)
        self.report.added.append(action.rel)

    def _update(self, action: Action) -> None:
        if not _unchanged_since(self.root / action.rel, action.seen):
            self.report.kept.append(action.rel)  # edited while we ran: the next seed decides
            return
        self._copy(action)
        self.report.updated.append(action.rel)

    def _adopt(self, action: Action) -> None:
        self._give(action, action.course.sha256, action.seen)

    def _refresh(self, action: Action) -> None:
        self.record.give(action.rel, action.given.sha256, action.seen)

    def _keep(self, action: Action) -> None:
        self.report.kept.append(action.rel)

    def _deleted(self, action: Action) -> None:
        self.report.deleted_by_student.append(action.rel)

    def _beside(self, action: Action, reason: str | None = None) -> None:
        """Save the course's version next to the student's file, under a clear name."""
        rel = PurePosixPath(action.rel)
        tag = f"course-{self.today}"
        copy = self._existing_copy(rel, tag, action.course.sha256)
        if copy is None:
            copy = free_name(self.root, rel, tag)
            mode = 0o755 if action.course.executable else 0o644
            copy_file(action.course.path, self.root, copy, mode, self.book.tmp)
        self.report.conflicts.append(
            {"path": action.rel, "course_copy": copy.as_posix(), "reason": reason or action.reason}
        )
        self.checkpoint()

    def _existing_copy(self, rel: PurePosixPath, tag: str, sha: str) -> PurePosixPath | None:
        stem, dot, ext = (
            rel.name.rpartition(".") if "." in rel.name.lstrip(".") else (rel.name, "", "")
        )
        for n in range(1, 100):
            suffix = tag if n == 1 else f"{tag}-{n}"
            candidate = rel.with_name(f"{stem}.{suffix}{dot}{ext}")
            info = lstat_or_none(self.root / candidate)
            if info is None:
                return None
            try:
                if hash_file(self.root / candidate) == sha:
                    return candidate
            except OSError:
                continue
        return None

    def _merge(self, action: Action) -> None:
        from .notebook_merge import merge_notebooks

        self.progress.update(phase="merging", current=action.rel)
        base = self.book.read_base(action.given.sha256)
        path = self.root / action.rel
        if base is None:
            return self._beside(action, "changed-by-both")
        with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as stream:
            local = stream.read()
        result = merge_notebooks(base, local, action.course.path.read_bytes())
        if result.merged is None:
            return self._beside(action, "notebook-conflict")
        if not _unchanged_since(path, action.seen):
            self.report.kept.append(action.rel)
            return
        ensure_parents(self.root, PurePosixPath(action.rel))
        write_bytes(path, result.merged, self.book.tmp, action.seen.st_mode & 0o777)
        # The file now differs from the base: no size/mtime, so it is always hashed.
        self.book.store_base(action.course.sha256, action.course.path)
        self.record.give(action.rel, action.course.sha256, None)
        if result.conflicts:
            self._beside(action, "notebook-conflict")
        else:
            self.report.merged.append(action.rel)
            self.checkpoint()
        self.progress.update(phase="copying")

    # -- files the course dropped -----------------------------------------------------

    def _remove(self, action: Action) -> None:
        if not _unchanged_since(self.root / action.rel, action.seen):
            return self._release(action)
        moved_to = PurePosixPath(".coursekit", "removed", self.stamp, action.rel)
        move_within(self.root, PurePosixPath(action.rel), moved_to)
        self.record.drop(action.rel)
        self.report.removed.append({"path": action.rel, "moved_to": moved_to.as_posix()})

    def _release(self, action: Action) -> None:
        self.record.drop(action.rel)
        self.report.kept.append(action.rel)

    def _forget(self, action: Action) -> None:
        self.record.drop(action.rel)


def _disk_full_message() -> str:
    return (
        "there is no space left (the disk is full or your quota is used up); "
        "none of your files was changed. Free some space and the next start finishes the update."
    )
