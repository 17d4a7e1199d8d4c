"""The rules of issue 3, one test each, on real trees in tmp_path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from coursekit.errors import CourseKitError, UnsafePath
from coursekit.manifest import ContentSource, Module
from coursekit.seeding import (
    build_index,
    last_report,
    plan,
    reset_module,
    restore_original,
    seed_module,
)
from coursekit.seeding import index as content_index


def notebook(*sources: str, outputs: dict[int, str] | None = None) -> str:
    cells = [new_markdown_cell(sources[0])] + [new_code_cell(s) for s in sources[1:]]
    for index, text in (outputs or {}).items():
        cells[index].outputs = [new_output("stream", text=text)]
    for n, cell in enumerate(cells):
        cell.id = f"cell-{n}"  # stable ids, so course and student versions line up
    return nbformat.writes(new_notebook(cells=cells))


class Course:
    """A course content folder, a student's home and the module that joins them."""

    def __init__(self, tmp_path: Path, indexed: bool = False, **source) -> None:
        self.root = tmp_path
        # Indexed: the content's index is rebuilt before every seed, as an image build
        # does after changing content; updates then compare listings (Bookkeeping.changed_paths).
        self.indexed = indexed
        self.content = tmp_path / "content"
        self.content.mkdir(exist_ok=True)
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.cache = tmp_path / "cache"
        self.module = Module(
            "TM351", "25J", content=(ContentSource("directory", str(self.content), **source),)
        )
        self.workspace = self.home / "TM351-25J"

    def write(self, rel: str, text: str) -> None:
        path = self.content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def seed(self, **kwargs):
        if self.indexed:
            # An image build is a process of its own: no hash remembered from the last
            # build (by size and mtime, which quick writes in a test may share).
            content_index._hash_cache.clear()
            build_index(self.content)
        return seed_module(self.module, self.workspace, cache_dir=self.cache, **kwargs)

    def mine(self, rel: str) -> Path:
        return self.workspace / rel


@pytest.fixture(params=[False, True], ids=["walked", "indexed"])
def course(tmp_path, request) -> Course:
    c = Course(tmp_path, indexed=request.param)
    c.write("README.md", "# TM351\n")
    c.write("notebooks/01.ipynb", notebook("intro", "x = 1", "y = 2"))
    c.write("data/big.bin", "\0" * 1000)
    return c


def test_first_seed_gives_the_module_its_content(course):
    (course.content / "run.sh").write_text("echo hi\n")
    os.chmod(course.content / "run.sh", 0o755)
    report = course.seed()
    assert sorted(report.added) == ["README.md", "data/big.bin", "notebooks/01.ipynb", "run.sh"]
    assert course.mine("README.md").read_text() == "# TM351\n"
    assert os.access(course.mine("run.sh"), os.X_OK)
    assert report.summary() == "4 files added"
    assert last_report(course.workspace).added == report.added


def test_unchanged_course_is_a_noop_that_reads_no_student_file(course, monkeypatch):
    course.seed()
    monkeypatch.setattr(plan, "hash_file", lambda *a: pytest.fail("hashed a student file"))
    report = course.seed()
    assert report.noop and report.added == report.updated == []
    assert report.summary() == "up to date"


def test_course_change_updates_a_file_the_student_never_touched(course):
    course.seed()
    course.write("README.md", "# TM351, corrected\n")
    report = course.seed()
    assert report.updated == ["README.md"]
    assert course.mine("README.md").read_text() == "# TM351, corrected\n"


def test_student_change_stays_when_the_course_did_not_change_that_file(course):
    course.seed()
    course.mine("README.md").write_text("my notes")
    course.write("other.txt", "new")
    report = course.seed()
    assert report.added == ["other.txt"]
    assert course.mine("README.md").read_text() == "my notes"
    # The course did not change README.md, so this seed had nothing to say about it.
    assert report.kept == [] and report.updated == []


def test_student_edit_that_keeps_size_and_mtime_is_still_seen(course):
    # Where mtimes lie (NFS, `touch -r`, an editor restoring them), an edit of the same size
    # must not pass for the course's file: the record's ctime catches it.
    course.seed()
    readme = course.mine("README.md")
    before = readme.stat()
    readme.write_text("# mine!\n")
    assert readme.stat().st_size == before.st_size
    os.utime(readme, ns=(before.st_atime_ns, before.st_mtime_ns))
    course.write("README.md", "# TM351, v2\n")
    report = course.seed()
    assert readme.read_text() == "# mine!\n"
    assert "README.md" not in report.updated


def test_text_file_changed_by_both_keeps_the_students_and_saves_the_course_copy_beside(course):
    course.seed()
    course.mine("README.md").write_text("my notes")
    course.write("README.md", "# TM351 v2\n")
    report = course.seed()
    assert course.mine("README.md").read_text() == "my notes"
    [conflict] = report.conflicts
    assert conflict["path"] == "README.md" and conflict["reason"] == "changed-by-both"
    assert conflict["course_copy"].startswith("README.course-") and conflict[
        "course_copy"
    ].endswith(".md")
    assert course.mine(conflict["course_copy"]).read_text() == "# TM351 v2\n"
    assert "1 conflict" in report.summary()


def test_notebook_changed_by_both_gets_the_course_fix_and_keeps_student_cells(course):
    course.seed()
    course.mine("notebooks/01.ipynb").write_text(
        notebook("intro", "x = 1", "y = 2 # mine", outputs={2: "2\n"})
    )
    course.write("notebooks/01.ipynb", notebook("intro (fixed)", "x = 1", "y = 2"))
    report = course.seed()
    assert report.merged == ["notebooks/01.ipynb"] and report.conflicts == []
    merged = nbformat.read(course.mine("notebooks/01.ipynb"), as_version=4)
    nbformat.validate(merged)
    assert [c.source for c in merged.cells] == ["intro (fixed)", "x = 1", "y = 2 # mine"]
    assert merged.cells[2].outputs[0]["text"] == "2\n"
    assert "<<<<<<<" not in course.mine("notebooks/01.ipynb").read_text()


def test_conflicting_notebook_change_keeps_the_students_cell_and_saves_the_course_copy(course):
    course.seed()
    course.mine("notebooks/01.ipynb").write_text(notebook("intro", "x = 10", "y = 2"))
    course.write("notebooks/01.ipynb", notebook("intro", "x = 100", "y = 2", "z = 3"))
    report = course.seed()
    [conflict] = report.conflicts
    merged = nbformat.read(course.mine("notebooks/01.ipynb"), as_version=4)
    nbformat.validate(merged)
    sources = [c.source for c in merged.cells]
    assert "x = 10" in sources and "x = 100" not in sources
    assert "<<<<<<<" not in json.dumps(merged)
    copy = nbformat.read(course.mine(conflict["course_copy"]), as_version=4)
    assert [c.source for c in copy.cells] == ["intro", "x = 100", "y = 2", "z = 3"]


def test_file_deleted_by_the_student_is_not_restored_until_asked(course):
    course.seed()
    course.mine("README.md").unlink()
    course.write("README.md", "# v2\n")
    report = course.seed()
    assert report.deleted_by_student == ["README.md"]
    assert not course.mine("README.md").exists()
    result = restore_original(course.module, course.workspace, ["README.md"])
    assert result == {"restored": ["README.md"], "backups": []}
    assert course.mine("README.md").read_text() == "# v2\n"


def test_restore_of_the_whole_module_brings_back_every_deleted_file(course):
    course.seed()
    course.mine("README.md").unlink()
    course.mine("data/big.bin").unlink()
    result = restore_original(course.module, course.workspace, None)
    assert sorted(result["restored"]) == ["README.md", "data/big.bin"]
    assert course.mine("data/big.bin").stat().st_size == 1000


def test_restore_moves_a_changed_file_aside_instead_of_deleting_it(course):
    course.seed()
    course.mine("README.md").write_text("my notes")
    result = restore_original(course.module, course.workspace, ["README.md"])
    [backup] = result["backups"]
    assert course.mine(backup["moved_to"]).read_text() == "my notes"
    assert course.mine("README.md").read_text() == "# TM351\n"


def test_restore_refuses_paths_outside_the_module_or_not_in_the_course(course):
    course.seed()
    with pytest.raises(UnsafePath):
        restore_original(course.module, course.workspace, ["../etc/passwd"])
    with pytest.raises(CourseKitError) as caught:
        restore_original(course.module, course.workspace, ["nope.txt"])
    assert caught.value.code == "not-a-course-file"


def test_file_removed_by_the_course_is_moved_aside_unless_the_student_changed_it(course):
    course.seed()
    course.mine("notebooks/01.ipynb").write_text(notebook("mine"))
    (course.content / "README.md").unlink()
    (course.content / "notebooks/01.ipynb").unlink()
    report = course.seed()
    [removed] = report.removed
    assert removed["path"] == "README.md" and not course.mine("README.md").exists()
    assert course.mine(removed["moved_to"]).read_text() == "# TM351\n"
    assert removed["moved_to"].startswith(".coursekit/removed/")
    assert report.kept == ["notebooks/01.ipynb"]
    assert "mine" in course.mine("notebooks/01.ipynb").read_text()


def test_reset_moves_the_module_to_a_backup_in_the_home_and_seeds_afresh(course):
    course.seed()
    course.mine("README.md").write_text("my notes")
    course.mine("mine.txt").write_text("my work")
    backup, report = reset_module(course.module, course.workspace, cache_dir=course.cache)
    assert backup.parent == course.home and backup.name.startswith("TM351-25J.backup-")
    assert (backup / "mine.txt").read_text() == "my work"
    assert (backup / "README.md").read_text() == "my notes"
    assert course.mine("README.md").read_text() == "# TM351\n"
    assert not course.mine("mine.txt").exists()
    assert "README.md" in report.added


def test_student_file_in_the_way_of_a_new_course_file_stays(course):
    course.seed()
    course.mine("solutions.py").write_text("my solutions")
    course.mine("scratch/notes.txt").parent.mkdir()
    course.mine("scratch/notes.txt").write_text("mine")
    course.write("solutions.py", "the course's")
    report = course.seed()
    assert course.mine("solutions.py").read_text() == "my solutions"
    [conflict] = report.conflicts
    assert conflict["reason"] == "your-file-in-the-way"
    assert course.mine(conflict["course_copy"]).read_text() == "the course's"
    assert course.mine("scratch/notes.txt").read_text() == "mine"


def test_symlink_in_the_home_is_never_followed_to_write_outside(course, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    course.seed()
    os.rename(course.mine("data"), tmp_path / "old-data")
    os.symlink(outside, course.mine("data"))
    course.write("data/new.csv", "a,b\n")
    report = course.seed()
    assert list(outside.iterdir()) == []
    assert [e["code"] for e in report.errors] == ["symlink-in-home"]


def test_symlink_in_the_content_pointing_outside_is_refused(course, tmp_path):
    (tmp_path / "secret").write_text("secret")
    os.symlink(tmp_path / "secret", course.content / "link")
    with pytest.raises(UnsafePath) as caught:
        course.seed()
    assert caught.value.code == "unsafe-content" and "link" in caught.value.message
    assert not course.mine("link").exists()


def test_target_outside_the_module_is_refused(tmp_path):
    c = Course(tmp_path, target="../elsewhere")
    c.write("a.txt", "a")
    with pytest.raises(UnsafePath):
        c.seed()


def test_missing_content_directory_is_an_error_with_a_code(tmp_path):
    c = Course(tmp_path)
    c.content.rmdir()
    with pytest.raises(CourseKitError) as caught:
        c.seed()
    assert caught.value.code == "source-missing"


def test_merge_bases_are_packed_pruned_and_counted(course, monkeypatch):
    course.seed()
    bases = course.workspace / ".coursekit" / "bases"
    first = sorted(p.name for p in bases.iterdir())
    assert [Path(name).suffix for name in first] == [".idx", ".pack"]
    given = (course.content / "notebooks/01.ipynb").read_bytes()
    assert next(bases.glob("*.pack")).read_bytes() == given  # only notebooks are merged
    course.write("notebooks/01.ipynb", notebook("intro, v2", "x = 1", "y = 2"))
    if course.indexed:
        # An update that reads the record a path at a time leaves the old version's base
        # until the packs grow many (or a seed reads every entry): here, at once.
        monkeypatch.setattr("coursekit.seeding.bases.MAX_PACKS", 1)
    report = course.seed()
    now = sorted(p.name for p in bases.iterdir())
    assert len(now) == 2 and now != first  # the old version's pack is gone with it
    assert (
        next(bases.glob("*.pack")).read_bytes()
        == (course.content / "notebooks/01.ipynb").read_bytes()
    )
    assert report.bookkeeping_bytes > 0


def test_an_update_keeps_a_dead_base_only_until_the_packs_grow_many(tmp_path):
    course = Course(tmp_path, indexed=True)
    course.write("nb.ipynb", notebook("v0", "x = 0"))
    course.seed()
    bases = course.workspace / ".coursekit" / "bases"
    for version in range(1, 11):
        # Each version of another size: the image build hashes a file again when its size
        # or mtime moved, and writes this quick may share an mtime.
        course.write("nb.ipynb", notebook(f"v{version}", "x = " + "1" * version))
        assert course.seed().updated == ["nb.ipynb"]
        packs = list(bases.glob("*.pack"))
        assert len(packs) <= 8  # MAX_PACKS: past it, the next update gathers them
    # Only the version given last is still named: after the gathering, the packs hold it
    # and the few updates' since.
    held = b"".join(p.read_bytes() for p in bases.glob("*.pack"))
    assert (course.content / "nb.ipynb").read_bytes() in held
    assert notebook("v0", "x = 0").encode() not in held


def test_progress_reaches_done_and_is_throttled(course):
    for n in range(300):
        course.write(f"many/{n}.txt", str(n))
    events = []
    course.seed(progress=events.append)
    assert events[-1].phase == "done"
    assert events[-1].to_dict()["module_id"] == "TM351-25J"
    assert len(events) < 60
    copying = [e for e in events if e.phase == "copying"]
    assert copying and copying[0].files_total == 303
