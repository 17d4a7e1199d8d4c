"""An update looks only at what the course changed, as long as the record is the one the
last complete seed saved; after a seed that was stopped part-way, it looks at everything."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil

import pytest

from coursekit.errors import UnsafePath
from coursekit.manifest import ContentSource, Module
from coursekit.seeding import apply, atomic, build_index, engine, seed_module
from coursekit.seeding.listing import Listing
from coursekit.seeding.record import Bookkeeping, Record

from .test_seeding_reliability import crashing_at, student_files
from .test_seeding_rules import Course
from .test_seeding_sources import rewrite_index


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


@pytest.mark.parametrize("indexed", [False, True], ids=["walked", "indexed"])
@pytest.mark.parametrize("point", range(2, 64, 3))
def test_content_back_to_what_was_applied_after_a_stopped_seed_is_not_a_no_op(
    tmp_path, monkeypatch, point, indexed
):
    """A seed of a new version stops part-way (its checkpoints saved the record); then the
    course goes back to the version applied before. The home must follow it back: a file
    the stopped seed wrote is the course's, not an edit of the student's to keep."""
    course = Course(tmp_path, indexed=indexed)
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


# -- updates from an indexed image: listings compared, nothing parsed in full ----------


@pytest.fixture
def indexed(tmp_path) -> Course:
    course = Course(tmp_path, indexed=True)
    for n in range(300):
        course.write(f"week-{n % 7}/part-{n}.md", f"part {n}, first version\n")
    course.seed()
    return course


def test_an_indexed_update_parses_neither_the_index_nor_the_record_in_full(indexed, monkeypatch):
    indexed.write("week-3/part-3.md", "part 3, fixed\n")
    (indexed.content / "week-4/part-4.md").unlink()
    indexed.write("week-9/new.md", "a new part\n")
    with monkeypatch.context() as patched:
        patched.setattr(Listing, "parsed", lambda self: pytest.fail("parsed a listing in full"))
        report = indexed.seed()
    assert report.updated == ["week-3/part-3.md"] and report.added == ["week-9/new.md"]
    assert [r["path"] for r in report.removed] == ["week-4/part-4.md"]
    assert indexed.mine("week-3/part-3.md").read_text() == "part 3, fixed\n"
    assert indexed.seed().noop


def test_a_course_file_left_beside_a_students_file_is_looked_at_by_every_update(indexed):
    """A new course file that found a file of the student's in its place went beside it;
    once the student moves theirs away, the next update gives it, as a plan of every file
    would, though the course did not change it again."""
    indexed.mine("week-8").mkdir()
    indexed.mine("week-8/extra.md").write_text("mine\n")
    indexed.write("week-8/extra.md", "the course's extra\n")
    report = indexed.seed()
    assert [c["path"] for c in report.conflicts] == ["week-8/extra.md"]
    indexed.mine("week-8/extra.md").rename(indexed.mine("week-8/mine.md"))
    indexed.write("week-0/part-0.md", "part 0, fixed\n")  # some other change
    report = indexed.seed()
    assert sorted(report.updated + report.added) == ["week-0/part-0.md", "week-8/extra.md"]
    assert indexed.mine("week-8/extra.md").read_text() == "the course's extra\n"


def test_a_torn_copy_of_the_applied_index_makes_the_update_compare_everything(indexed, monkeypatch):
    kept = list((indexed.workspace / ".coursekit" / "listings").iterdir())
    assert len(kept) == 1
    data = kept[0].read_bytes()
    start = data.index(b',"files":')
    # A power cut before its data reached the disk: its blocks read as zeros. (A segment
    # the update does not read may be damaged harmlessly: each it reads is checked.)
    kept[0].write_bytes(data[:start] + bytes(len(data) - start))
    parsed = []
    real = Listing.parsed
    monkeypatch.setattr(Listing, "parsed", lambda self: parsed.append(1) or real(self))
    indexed.write("week-2/part-2.md", "part 2, fixed\n")
    assert indexed.seed().updated == ["week-2/part-2.md"]
    assert parsed  # every entry compared with the record
    # Written again whole: the next update compares listings.
    parsed.clear()
    indexed.write("week-5/part-5.md", "part 5, fixed\n")
    assert indexed.seed().updated == ["week-5/part-5.md"]
    assert parsed == []


def test_two_indexed_sources_are_compared_each_with_what_it_gave(tmp_path):
    notes, data = tmp_path / "notes", tmp_path / "data"
    for folder, count in ((notes, 40), (data, 40)):
        folder.mkdir()
        for n in range(count):
            (folder / f"{n}.txt").write_text(f"{folder.name} {n}\n")
    module = Module(
        "TM351",
        "25J",
        content=(
            ContentSource("directory", str(notes)),
            ContentSource("directory", str(data), target="data", exclude=("9.txt",)),
        ),
    )
    home = tmp_path / "home" / "TM351-25J"
    home.parent.mkdir()

    def seed():
        build_index(notes)
        build_index(data)
        return seed_module(module, home, cache_dir=tmp_path / "cache")

    assert len(seed().added) == 79
    (notes / "3.txt").write_text("notes 3, fixed\n")
    (data / "3.txt").write_text("data 3, fixed\n")
    (data / "9.txt").write_text("still excluded\n")
    (data / "7.txt").unlink()
    report = seed()
    assert sorted(report.updated) == ["3.txt", "data/3.txt"]
    assert [r["path"] for r in report.removed] == ["data/7.txt"]
    assert not (home / "data/9.txt").exists()
    assert (home / "data/3.txt").read_text() == "data 3, fixed\n"
    assert seed().noop


def test_an_index_of_layout_3_naming_a_path_outside_is_not_used(tmp_path):
    """Read entry by entry, such an index is found out when the seed comes to the path,
    and the content is walked, as for an index of the older layout."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text("one")
    (tmp_path / "outside.txt").write_text("not course content")
    path = build_index(content)
    entry = json.loads(path.read_text())["files"]["a.txt"]
    rewrite_index(path, {"a.txt": entry, "../outside.txt": entry})
    module = Module("TM351", "25J", content=(ContentSource("directory", str(content)),))
    report = seed_module(module, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.added == ["a.txt"]
    assert (tmp_path / "outside.txt").read_text() == "not course content"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [".coursekit", "a.txt"]


def test_a_file_the_student_changed_back_gets_the_update_it_missed(course):
    """Changed by both, the file kept the student's version and the course's went beside
    it. Once the student undoes their change, the next update gives the course's version,
    with or without an index, though the course did not change that file again."""
    original = course.mine("week-1/part-1.md").read_text()
    course.mine("week-1/part-1.md").write_text("my notes\n")
    course.write("week-1/part-1.md", "part 1, fixed\n")
    assert [c["path"] for c in course.seed().conflicts] == ["week-1/part-1.md"]
    course.mine("week-1/part-1.md").write_text(original)
    course.write("week-0/part-0.md", "part 0, fixed\n")  # some other change
    report = course.seed()
    assert sorted(report.updated) == ["week-0/part-0.md", "week-1/part-1.md"]
    assert course.mine("week-1/part-1.md").read_text() == "part 1, fixed\n"


@pytest.mark.parametrize("folder", ["listings", "bases", "tmp"])
def test_a_link_in_place_of_a_bookkeeping_folder_stops_the_seed_and_is_never_followed(
    indexed, tmp_path, folder
):
    """The bookkeeping folder is in the student's home: a link put in place of one of its
    folders would have the seed write where the link leads."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    place = indexed.workspace / ".coursekit" / folder
    shutil.rmtree(place)
    place.symlink_to(elsewhere)
    indexed.write("week-2/part-2.md", "part 2, fixed\n")
    with pytest.raises(UnsafePath, match="not a folder") as raised:
        indexed.seed()
    assert raised.value.code == "bookkeeping-blocked"
    assert list(elsewhere.iterdir()) == []
    assert indexed.mine("week-2/part-2.md").read_text() == "part 2, first version\n"


def test_an_index_without_segments_is_compared_in_full(indexed):
    """Made by another tool, say: nothing tells which lines changed, so every entry is
    compared with the record, and nothing the course changed is missed."""
    indexed.indexed = False  # this test writes the index itself
    indexed.write("week-2/part-2.md", "part 2, fixed\n")
    indexed.write("week-9/new.md", "a new part\n")
    entries = json.loads(build_index(indexed.content).read_text())["files"]
    rewrite_index(indexed.content / ".coursekit-index.json", entries, segmented=False)
    report = indexed.seed()
    assert report.updated == ["week-2/part-2.md"] and report.added == ["week-9/new.md"]


def test_a_home_seeded_by_the_coursekit_before_is_updated_and_brought_to_the_new_layout(
    indexed,
):
    """An image with this coursekit starts on a home whose record (layout 3, one line) and
    applied note (no listings) the previous one wrote: the first update compares every
    entry, and leaves what the next update reads a path at a time."""
    book = Bookkeeping(indexed.workspace)
    whole = json.loads(book.record_path.read_text())
    files = {rel: given.entry() for rel, given in Record.load(book).files.items()}
    third = {"version": 3, "id": whole["id"], "files": files}
    book.record_path.write_text(json.dumps(third, separators=(",", ":")))
    applied = json.loads(book.applied_path.read_text())
    for key in ("listings", "layout", "unsettled"):
        del applied[key]
    applied["record"] = book._record_stamp()  # as the previous coursekit stamped it
    book.applied_path.write_text(json.dumps(applied))
    shutil.rmtree(book.listings)
    indexed.mine("week-1/part-1.md").write_text("my notes\n")
    indexed.write("week-2/part-2.md", "part 2, fixed\n")
    report = indexed.seed()
    assert report.updated == ["week-2/part-2.md"]
    assert indexed.mine("week-1/part-1.md").read_text() == "my notes\n"
    assert book.record_path.read_bytes().startswith(b'{"version":4,')
    assert len(list(book.listings.iterdir())) == 1
    indexed.write("week-3/part-3.md", "part 3, fixed\n")
    assert indexed.seed().updated == ["week-3/part-3.md"]


def test_an_unusable_index_among_several_sources_is_walked(tmp_path):
    notes, data = tmp_path / "notes", tmp_path / "data"
    for folder in (notes, data):
        folder.mkdir()
        (folder / "a.txt").write_text(f"{folder.name} a\n")
    (tmp_path / "outside.txt").write_text("not course content")
    build_index(notes)
    path = build_index(data)
    entry = json.loads(path.read_text())["files"]["a.txt"]
    rewrite_index(path, {"a.txt": entry, "../outside.txt": entry})
    module = Module(
        "TM351",
        "25J",
        content=(ContentSource("directory", str(notes)), ContentSource("directory", str(data))),
    )
    report = seed_module(module, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.added == ["a.txt"] and report.errors == []
    assert (tmp_path / "m" / "a.txt").read_text() == "data a\n"  # the later source wins


def test_an_update_frees_the_versions_it_replaced_once_it_has_reported(course, monkeypatch):
    """Each replaced version gets a second name in tmp before the rename, so the rename does
    not free its blocks; they are freed after the seed, and nothing is left behind."""
    changed = ["week-0/part-0.md", "week-1/part-1.md"]
    before = {rel: os.lstat(course.mine(rel)).st_ino for rel in changed}
    for rel in changed:
        course.write(rel, f"{rel}, fixed\n")
    released: list[list[str]] = []
    real_release = atomic.release

    def noting(paths):
        released.append([os.lstat(p).st_ino for p in paths])
        real_release(paths)

    monkeypatch.setattr(atomic, "release", noting)
    monkeypatch.setattr(engine, "release", noting)
    report = course.seed()
    engine.wait_for_release()
    assert sorted(report.updated) == changed
    assert released == [[before[rel] for rel in sorted(changed)]]
    for rel in changed:
        assert course.mine(rel).read_text() == f"{rel}, fixed\n"
        assert os.lstat(course.mine(rel)).st_ino != before[rel]
    tmp = course.workspace / ".coursekit" / "tmp"
    assert os.listdir(tmp) == []
    # What the report says the bookkeeping takes does not count what was only passing.
    assert report.bookkeeping_bytes == atomic.tree_size(course.workspace / ".coursekit")


def test_an_update_where_no_second_name_can_be_made_replaces_in_one_step(course, monkeypatch):
    def no_links(*args, **kwargs):
        raise OSError(errno.EXDEV, "cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    course.write("week-2/part-2.md", "part 2, fixed\n")
    report = course.seed()
    engine.wait_for_release()
    assert report.updated == ["week-2/part-2.md"] and report.errors == []
    assert course.mine("week-2/part-2.md").read_text() == "part 2, fixed\n"
    assert os.listdir(course.workspace / ".coursekit" / "tmp") == []


@pytest.mark.parametrize("when", ["between-the-name-and-the-rename", "before-the-release"])
def test_a_seed_killed_with_versions_set_aside_leaves_the_module_whole(course, monkeypatch, when):
    """Killed between a second name and its rename, or after the renames but before the
    release: the module holds one whole version of each file, and the next seed clears tmp."""
    changed = [f"week-{n % 3}/part-{n}.md" for n in range(6)]
    for rel in changed:
        course.write(rel, f"{rel}, fixed\n")
    asides = 0
    real_fault_point = atomic.fault_point

    def killed_at_the_second_aside(what):
        nonlocal asides
        asides += what.endswith(".replaced")
        if asides == 2:
            raise KeyboardInterrupt
        real_fault_point(what)

    def killed(paths):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        if when == "before-the-release":
            patched.setattr(engine, "_release_later", killed)
        else:
            patched.setattr(atomic, "fault_point", killed_at_the_second_aside)
        with contextlib.suppress(KeyboardInterrupt):
            course.seed()
    tmp = course.workspace / ".coursekit" / "tmp"
    left = [name for name in os.listdir(tmp) if name.endswith(".replaced")]
    assert len(left) == (2 if when == "between-the-name-and-the-rename" else len(changed))
    for n, rel in enumerate(changed):
        assert course.mine(rel).read_text() in (f"{rel}, fixed\n", f"part {n}, first version\n")
    report = course.seed()
    engine.wait_for_release()
    assert report.errors == []
    for rel in changed:
        assert course.mine(rel).read_text() == f"{rel}, fixed\n"
    assert os.listdir(tmp) == []
