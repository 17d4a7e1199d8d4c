"""Deciding, file by file, what a seed does: the rules of issue 3 in one place.

Only files whose size or mtime differ from the record are hashed, so a home where the
student changed little is scanned with stats alone; a hash decides, never an mtime alone.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from .atomic import hash_file, safe_relative
from .errors import UnsafePath
from .index import ContentFile, sha256_of
from .record import Given, Record

# Stands for "something of the student's blocks this path" (a parent that is a link or a
# file): never a regular file, so it is never overwritten or taken for the course's.
_BLOCKED = os.stat_result((0,) * 10)


@dataclass
class Action:
    """One thing to do at one path.

    kinds: add (new course file), update (course changed, student did not), adopt (the
    disk already holds the course's version: record it), refresh (unchanged, new stat),
    beside (the course's version goes next to the student's file), merge (notebook changed
    by both), keep (the student's change stays), deleted (the student deleted it), remove
    (course dropped it, student did not change it: move it aside), release (course dropped
    it, student changed it: it is theirs now), forget (gone from both).
    """

    kind: str
    rel: str
    course: ContentFile | None = None
    given: Given | None = None
    seen: os.stat_result | None = None
    reason: str = ""


class _DiskState:
    """What stands at a path of the module, each folder above it checked once per plan."""

    def __init__(self, root: Path) -> None:
        self.root = os.fspath(root)
        self.folders: dict[str, bool | None] = {"": True}  # real folder / blocked / absent

    def _folder(self, rel: str) -> bool | None:
        """True: a real folder. False: a link or a file (blocked). None: absent."""
        if rel in self.folders:
            return self.folders[rel]
        parent, _, _name = rel.rpartition("/")
        above = self._folder(parent)
        if above is not True:
            state = above
        else:
            try:
                state = stat.S_ISDIR(os.lstat(os.path.join(self.root, rel)).st_mode)
            except (FileNotFoundError, NotADirectoryError):
                state = None
        self.folders[rel] = state
        return state

    def __call__(self, rel: str) -> os.stat_result | None:
        folder = self._folder(rel.rpartition("/")[0])
        if folder is None:
            return None
        if folder is False:
            return _BLOCKED
        try:
            return os.lstat(os.path.join(self.root, rel))
        except (FileNotFoundError, NotADirectoryError):
            return None


def _same(root: Path, rel: str, info: os.stat_result, sha: str) -> bool:
    if not stat.S_ISREG(info.st_mode):
        return False
    try:
        return hash_file(root / rel) == sha
    except OSError:
        return False


def plan(
    root: Path,
    files: Mapping[str, ContentFile],
    record: Record,
    complete: bool,
    record_as_applied: bool = False,
    only: Collection[str] | None = None,
) -> list[Action]:
    """The actions that bring ``root`` up to ``files`` without losing a student's byte.

    With ``record_as_applied`` (:meth:`Bookkeeping.record_as_applied`), a course file
    whose hash the record already names is passed over without a look at the disk: the
    course did not change it, so whatever the student did to it stays (rules 2, 4 and 6),
    and an update touches the student's home only where the course changed. On an NFS
    home that is the difference between a stat per changed file and one per course file.
    Such files then appear in neither ``kept`` nor ``deleted_by_student``: the report says
    what the course's changes did.

    ``only`` narrows the plan to those paths (:meth:`Bookkeeping.changed_paths`, given
    with ``record_as_applied``): the course files among them, and the record's files among
    them that the course no longer has. An update then costs what the course changed, not
    what the course is.
    """
    actions: list[Action] = []
    disk_state = _DiskState(root)
    course_paths = sorted(files) if only is None else sorted(r for r in only if r in files)
    for rel in course_paths:
        given = record.files.get(rel)
        if record_as_applied and given is not None and given.sha256 == sha256_of(files, rel):
            continue
        course = files[rel]
        info = disk_state(rel)
        if given is None:
            if info is None:
                actions.append(Action("add", rel, course))
            elif _same(root, rel, info, course.sha256):
                actions.append(Action("adopt", rel, course, seen=info))
            else:
                actions.append(
                    Action("beside", rel, course, seen=info, reason="your-file-in-the-way")
                )
            continue
        if info is None:
            if record.book.moved_away_by_us(rel, given):
                # An earlier seed moved it aside for a course that had dropped it, and was
                # killed before saving the record: the course has it again, so give it.
                actions.append(Action("add", rel, course))
            else:
                actions.append(Action("deleted", rel, course, given))
            continue
        if given.matches(info):
            student_changed = False
        elif _same(root, rel, info, given.sha256):
            student_changed = False
            actions.append(Action("refresh", rel, course, given, info))
        else:
            student_changed = True
        if course.sha256 == given.sha256:
            if student_changed:
                actions.append(Action("keep", rel, course, given, info))
        elif not student_changed:
            actions.append(Action("update", rel, course, given, info))
        elif _same(root, rel, info, course.sha256):
            actions.append(Action("adopt", rel, course, given, info))
        elif rel.endswith(".ipynb") and stat.S_ISREG(info.st_mode):
            actions.append(Action("merge", rel, course, given, info))
        else:
            actions.append(Action("beside", rel, course, given, info, reason="changed-by-both"))
    if not complete:
        return actions  # a source is missing: its files are not "removed by the course"
    if only is None:
        dropped = sorted(record.files.items())
    else:
        dropped = sorted((r, g) for r in only if (g := record.files.get(r)) is not None)
    for rel, given in dropped:
        if rel in files:
            continue
        try:
            safe_relative(rel)  # the record is in the student's home: never trust a path
        except UnsafePath:
            continue
        info = disk_state(rel)
        if info is None:
            actions.append(Action("forget", rel, given=given))
        elif given.matches(info) or _same(root, rel, info, given.sha256):
            actions.append(Action("remove", rel, given=given, seen=info))
        else:
            actions.append(Action("release", rel, given=given, seen=info))
    return actions
