"""A first seed adds each new folder whole, with one rename: never half a folder visible,
never over something the student made, and nothing left behind by a killed seed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from coursekit.seeding import atomic
from coursekit.seeding.staged import RUN, FolderAppeared, StagedFile, add_folder, add_folders

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


@pytest.fixture
def big(tmp_path) -> Course:
    """Enough files in new folders for the first seed to copy with two threads."""
    course = Course(tmp_path)
    for top in ("week-1", "week-2", "data"):
        for n in range(50):
            course.write(f"{top}/part-{n // 10}/file-{n}.md", f"{top} file {n}\n")
    course.write("week-1/lab.ipynb", notebook("week 1", "x = 1"))
    return course


def test_a_big_first_seed_copies_with_two_threads_and_arrives_whole(big, monkeypatch):
    assert 2 * RUN <= 3 * 50  # or one thread copies everything
    threads: set[str] = set()
    real_fault_point = atomic.fault_point

    def noting_the_thread(what):
        threads.add(threading.current_thread().name)
        real_fault_point(what)

    monkeypatch.setattr(atomic, "fault_point", noting_the_thread)
    report = big.seed()
    assert report.errors == [] and len(report.added) == 151
    assert len({name for name in threads if name.startswith("coursekit-copy")}) == 2
    files = student_files(big.workspace)
    assert files == {
        p.relative_to(big.content).as_posix(): p.read_bytes()
        for p in big.content.rglob("*")
        if p.is_file()
    }
    assert os.listdir(big.workspace / ".coursekit" / "tmp") == []
    # The record names every file (a merge base for the notebook too): a fix still lands.
    assert big.seed().noop
    big.mine("week-1/lab.ipynb").write_text(notebook("week 1", "x = 1", "mine = 2"))
    big.write("week-1/lab.ipynb", notebook("week 1 (fixed)", "x = 1"))
    big.write("data/part-4/file-49.md", "fixed\n")
    report = big.seed()
    assert report.merged == ["week-1/lab.ipynb"] and report.updated == ["data/part-4/file-49.md"]


@pytest.mark.parametrize("point", [3, 40, 90, 140])
def test_a_kill_while_two_threads_copy_shows_no_half_folder(big, point):
    env = {**os.environ, "COURSEKIT_FAULT_KILL_AT_WRITE": str(point)}
    args = [sys.executable, "-c", SEED_SCRIPT, *map(str, (big.content, big.workspace))]
    result = subprocess.run([*args, str(big.cache)], env=env, capture_output=True)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-500:]
    visible = student_files(big.workspace) if big.workspace.exists() else {}
    for top in ("week-1", "week-2", "data"):
        in_top = [rel for rel in visible if rel.startswith(f"{top}/")]
        whole = len(list((big.content / top).rglob("*.*")))
        assert len(in_top) in (0, whole), (point, top, len(in_top))
    report = big.seed()
    assert report.errors == []
    assert os.listdir(big.workspace / ".coursekit" / "tmp") == []
    assert len(student_files(big.workspace)) == 151
    assert big.seed().noop


def staged_files(tmp_path, tops: list[str], count: int) -> dict[str, list[StagedFile]]:
    folders = {}
    for top in tops:
        folders[top] = []
        for n in range(count):
            source = tmp_path / "content" / top / f"{n}.txt"
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_text(f"{top} {n}")
            folders[top].append(StagedFile(f"{top}/sub/{n}.txt", str(source), 0o644))
    return folders


def test_with_threads_a_folder_in_trouble_is_left_out_and_the_others_arrive(tmp_path):
    root, tmp = tmp_path / "module", tmp_path / "tmp"
    root.mkdir()
    tmp.mkdir()
    folders = staged_files(tmp_path, ["a", "b", "c"], RUN)
    os.unlink(folders["b"][RUN - 1].source)  # b cannot be written whole

    def student_makes_c(file, _source):
        if file.rel == "c/sub/0.txt":
            (root / "c").mkdir()
            (root / "c" / "mine.txt").write_text("mine")

    outcomes = dict(add_folders(root, tmp, folders, student_makes_c, threads=2))
    assert sorted(outcomes["a"]) == sorted(f.rel for f in folders["a"])
    assert isinstance(outcomes["b"], FileNotFoundError)
    assert isinstance(outcomes["c"], FolderAppeared)
    assert sorted(os.listdir(root)) == ["a", "c"]
    assert os.listdir(root / "c") == ["mine.txt"]
    assert (root / "a" / "sub" / "3.txt").read_text() == "a 3"
    assert os.listdir(tmp) == []


def test_with_threads_a_kill_in_a_copying_thread_stops_the_seed(tmp_path, monkeypatch):
    root, tmp = tmp_path / "module", tmp_path / "tmp"
    root.mkdir()
    tmp.mkdir()
    folders = staged_files(tmp_path, ["a", "b"], RUN)
    real_fault_point = atomic.fault_point

    def killed_in_b(what):
        if what.endswith("/sub/5.txt") and "-b/" in what:
            raise KeyboardInterrupt
        real_fault_point(what)

    monkeypatch.setattr(atomic, "fault_point", killed_in_b)
    added = []
    with pytest.raises(KeyboardInterrupt):
        for top, _outcome in add_folders(root, tmp, folders, lambda *_: None, threads=2):
            added.append(top)
    assert added == ["a"] and os.listdir(root) == ["a"]
