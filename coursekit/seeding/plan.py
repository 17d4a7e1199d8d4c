"""Deciding, file by file, what a seed does: the rules of issue 3 in one place.

Only files whose size or mtime differ from the record are hashed, so a home where the
student changed little is scanned with stats alone; a hash decides, never an mtime alone.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .atomic import hash_file, lstat_or_none, parents_are_real
from .index import ContentFile
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


def _disk_state(root: Path, rel: str) -> os.stat_result | None:
    path = PurePosixPath(rel)
    if not parents_are_real(root, path):
        current = root
        for part in path.parts[:-1]:
            current = current / part
            if lstat_or_none(current) is None:
                return None
        return _BLOCKED
    return lstat_or_none(root / path)


def _same(root: Path, rel: str, info: os.stat_result, sha: str) -> bool:
    if not stat.S_ISREG(info.st_mode):
        return False
    try:
        return hash_file(root / rel) == sha
    except OSError:
        return False


def plan(root: Path, files: dict[str, ContentFile], record: Record, complete: bool) -> list[Action]:
    """The actions that bring ``root`` up to ``files`` without losing a student's byte."""
    actions: list[Action] = []
    for rel, course in sorted(files.items()):
        given = record.files.get(rel)
        info = _disk_state(root, rel)
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
    for rel, given in sorted(record.files.items()):
        if rel in files:
            continue
        info = _disk_state(root, rel)
        if info is None:
            actions.append(Action("forget", rel, given=given))
        elif given.matches(info) or _same(root, rel, info, given.sha256):
            actions.append(Action("remove", rel, given=given, seen=info))
        else:
            actions.append(Action("release", rel, given=given, seen=info))
    return actions
