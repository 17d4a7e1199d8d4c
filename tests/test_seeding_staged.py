"""A first seed adds each new folder whole, with one rename: never half a folder visible,
never over something the student made, and nothing left behind by a killed seed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from coursekit.seeding.staged import FolderAppeared, StagedFile, add_folder

from .test_seeding_reliability import SEED_SCRIPT, student_files
from .test_seeding_rules import Course, notebook


@pytest.fixture
def nested(tmp_path) -> Course:
    course = Course(tmp_path)
    course.write("README.md", "# TM351\n")
    for week in range(1, 4):
        for n in range(5):
            course.write(f"week-{week}/part-{n}/notes-{n}.md", f"week {week} part {n}\n")
        course.write(f"week-{week}/lab.ipynb", notebook(f"week {week}", "x = 1"))
    (course.content / "week-1" / "run.sh").write_text("echo hi\n")
    os.chmod(course.content / "week-1" / "run.sh", 0o755)
    return course


def test_new_folders_arrive_whole_with_modes_and_a_record(nested):
    report = nested.seed()
    assert report.errors == []
    assert len(report.added) == 1 + 3 * 6 + 1
    files = student_files(nested.workspace)
    assert files["week-2/part-3/notes-3.md"] == b"week 2 part 3\n"
    assert os.stat(nested.mine("week-1/run.sh")).st_mode & 0o777 == 0o755
    assert os.stat(nested.mine("week-1/lab.ipynb")).st_mode & 0o777 == 0o644
    assert os.listdir(nested.workspace / ".coursekit" / "tmp") == []
    assert nested.seed().noop
    # The record names what was given, so a course fix still lands and a student edit stays.
    nested.write("week-2/part-3/notes-3.md", "fixed\n")
    nested.mine("week-3/part-0/notes-0.md").write_text("mine\n")
    nested.write("week-3/part-0/notes-0.md", "also fixed\n")
    report = nested.seed()
    assert report.updated == ["week-2/part-3/notes-3.md"]
    assert nested.mine("week-3/part-0/notes-0.md").read_text() == "mine\n"


def test_a_folder_the_student_already_has_is_filled_file_by_file(nested):
    nested.mine("week-2").mkdir(parents=True)
    nested.mine("week-2/lab.ipynb").write_text("my own lab")
    report = nested.seed()
    assert nested.mine("week-2/lab.ipynb").read_text() == "my own lab"
    assert "week-2/part-4/notes-4.md" in report.added
    assert [c["path"] for c in report.conflicts] == ["week-2/lab.ipynb"]


def test_a_folder_that_appears_before_the_rename_is_left_alone(tmp_path):
    root, tmp = tmp_path / "module", tmp_path / "tmp"
    root.mkdir()
    tmp.mkdir()
    source = tmp_path / "source.txt"
    source.write_text("course")

    def student_makes_the_folder(_file, _source):
        (root / "week-1").mkdir(exist_ok=True)
        (root / "week-1" / "mine.txt").write_text("mine")

    with pytest.raises(FolderAppeared):
        add_folder(
            root,
            tmp,
            "week-1",
            [StagedFile("week-1/a.txt", source, 0o644)],
            student_makes_the_folder,
        )
    assert os.listdir(root / "week-1") == ["mine.txt"]
    assert os.listdir(tmp) == []


@pytest.mark.parametrize("point", [2, 5, 9, 14])
def test_a_kill_while_staging_shows_no_half_folder(nested, point):
    env = {**os.environ, "COURSEKIT_FAULT_KILL_AT_WRITE": str(point)}
    args = [sys.executable, "-c", SEED_SCRIPT, *map(str, (nested.content, nested.workspace))]
    result = subprocess.run([*args, str(nested.cache)], env=env, capture_output=True)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-500:]
    visible = student_files(nested.workspace) if nested.workspace.exists() else {}
    for week in range(1, 4):
        in_week = [rel for rel in visible if rel.startswith(f"week-{week}/")]
        whole = len(list((nested.content / f"week-{week}").rglob("*.*")))
        assert len(in_week) in (0, whole), (point, in_week)  # all of a folder or none of it
    report = nested.seed()
    assert report.errors == []
    assert os.listdir(nested.workspace / ".coursekit" / "tmp") == []
    assert len(student_files(nested.workspace)) == 1 + 3 * 6 + 1
    assert nested.seed().noop


def test_only_what_carries_the_students_bytes_is_fsynced(nested, monkeypatch):
    """Course files are not fsynced (the image can give them again); a merged notebook,
    which holds the student's cells, and the record are, before they replace anything."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "sync", lambda: pytest.fail("sync() flushes every filesystem"))
    nested.seed()
    assert synced and all("/.coursekit/" in path for path in synced), synced
    synced.clear()
    nested.mine("week-1/lab.ipynb").write_text(notebook("week 1", "x = 1", "mine = 2"))
    nested.write("week-1/lab.ipynb", notebook("week 1 (fixed)", "x = 1"))
    report = nested.seed()
    assert report.merged == ["week-1/lab.ipynb"]
    merged = nested.mine("week-1/lab.ipynb").read_text()
    assert "mine = 2" in merged and "week 1 (fixed)" in merged
    # The merged notebook was written to a temporary file, fsynced, then renamed over.
    assert any("/.coursekit/tmp/" in path for path in synced), synced
