"""An update looks only at what the course changed, as long as the record is the one the
last complete seed saved; after a seed that was stopped part-way, it looks at everything."""

from __future__ import annotations

import contextlib
import json
import os

import pytest

from coursekit.seeding import apply
from coursekit.seeding.record import Bookkeeping, Record

from .test_seeding_reliability import crashing_at, student_files
from .test_seeding_rules import Course


@pytest.fixture(params=[False, True], ids=["walked", "indexed"])
def course(tmp_path, request) -> Course:
    course = Course(tmp_path, indexed=request.param)
    for n in range(30):
        course.write(f"week-{n % 3}/part-{n}.md", f"part {n}, first version\n")
    course.seed()
    return course


def lstats_in(workspace, monkeypatch) -> list[str]:
    looked: list[str] = []
    real = os.lstat

    def counting(path, *args, **kwargs):
        text = os.fsdecode(path)
        if text.startswith(str(workspace)) and "/.coursekit" not in text:
            looked.append(os.path.relpath(text, workspace))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", counting)
    return looked


def test_an_update_looks_only_at_the_files_the_course_changed(course, monkeypatch):
    course.mine("week-1/part-4.md").write_text("my notes\n")
    course.mine("week-2/part-5.md").unlink()
    course.write("week-0/part-3.md", "part 3, fixed\n")
    looked = lstats_in(course.workspace, monkeypatch)
    report = course.seed()
    assert report.updated == ["week-0/part-3.md"]
    assert {p for p in looked if p.endswith(".md")} == {"week-0/part-3.md"}
    assert course.mine("week-1/part-4.md").read_text() == "my notes\n"
    assert not course.mine("week-2/part-5.md").exists()
    assert report.kept == [] and report.deleted_by_student == []


def test_after_a_restore_the_next_update_looks_at_everything(course):
    """A restore saves the record outside a seed: the next update does not trust it."""
    book = Bookkeeping(course.workspace)
    course.mine("week-1/part-4.md").write_text("my notes\n")
    record = Record.load(book)  # saved as a restore, or a checkpoint of a stopped seed, would
    record.give("week-0/part-0.md", record.files["week-0/part-0.md"].sha256, None)
    record.save()
    course.write("week-0/part-3.md", "part 3, fixed\n")
    report = course.seed()
    assert report.updated == ["week-0/part-3.md"]
    assert report.kept == ["week-1/part-4.md"]  # looked at, and left alone
    # That seed completed: the one after it looks only at what changes.
    course.write("week-0/part-6.md", "part 6, fixed\n")
    assert course.seed().kept == []


@pytest.mark.parametrize("point", range(2, 64, 3))
def test_content_back_to_what_was_applied_after_a_stopped_seed_is_not_a_no_op(
    tmp_path, monkeypatch, point
):
    """A seed of a new version stops part-way (its checkpoints saved the record); then the
    course goes back to the version applied before. The home must follow it back: a file
    the stopped seed wrote is the course's, not an edit of the student's to keep."""
    course = Course(tmp_path)
    versions = ("first", "second")
    for n in range(30):
        course.write(f"week-{n % 3}/part-{n}.md", f"part {n}, {versions[0]} version\n")
    course.seed()
    first = student_files(course.workspace)
    for n in range(30):
        course.write(f"week-{n % 3}/part-{n}.md", f"part {n}, {versions[1]} version\n")
    monkeypatch.setattr(apply, "CHECKPOINT_SECONDS", 0.0)  # save the record after each file
    with crashing_at(point), contextlib.suppress(KeyboardInterrupt):
        course.seed()
    for n in range(30):
        course.write(f"week-{n % 3}/part-{n}.md", f"part {n}, {versions[0]} version\n")
    report = course.seed()
    assert student_files(course.workspace) == first
    assert report.kept == [] and report.conflicts == []
    assert course.seed().noop


def test_paths_in_the_bookkeeping_that_lead_outside_are_ignored(course):
    """The record and the pending note live in the student's home, where anything can
    write them: a path in them that leaves the module is never read, moved or recorded."""
    outside = course.home / "outside.txt"  # what "../outside.txt" names from the module
    outside.write_text("not the module's")
    book = Bookkeeping(course.workspace)
    record = Record.load(book)
    record.give("../outside.txt", "0" * 64, os.lstat(outside))
    record.give("/etc/hostname", "0" * 64, None)
    record.save()
    book.pending_path.write_text(json.dumps({"../outside.txt": "1" * 64, "/etc/passwd": "2"}))
    course.write("week-0/part-3.md", "part 3, fixed\n")
    report = course.seed()
    assert report.updated == ["week-0/part-3.md"]
    assert report.errors == [] and report.removed == []
    assert outside.read_text() == "not the module's"
    assert not book.pending_path.exists()
    assert course.seed().noop


@pytest.mark.parametrize("point", range(1, 6))
def test_a_seed_stopped_after_moving_a_dropped_file_away_is_not_trusted(course, point):
    """Found by the property test: the course drops a file, and the seed that moves it to
    .coursekit/removed/ stops before its record says so; then the course brings the same
    version back. The record (unchanged, still "as applied") names that version as given,
    so without a note of the stopped seed the file was passed over, and stayed away."""
    dropped = course.content / "week-1/part-4.md"
    original = dropped.read_bytes()
    dropped.unlink()
    with crashing_at(point), contextlib.suppress(KeyboardInterrupt):
        course.seed()
    dropped.write_bytes(original)
    course.seed()
    assert course.mine("week-1/part-4.md").read_bytes() == original
    assert course.seed().noop
