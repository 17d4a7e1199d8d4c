"""The record of what a module was given: saved as JSON and a journal of changes, read
back, old layouts included."""

from __future__ import annotations

import json
import os

import pytest

from coursekit.seeding import record as record_module
from coursekit.seeding.record import Bookkeeping, Given, Record


def test_the_record_round_trips_awkward_names_and_unknown_stats(tmp_path):
    book = Bookkeeping(tmp_path)
    book.prepare()
    files = {
        'week 1/"quoted" \\ back.ipynb': Given("a" * 64, 12, 1_700_000_000_123_456_789, 5),
        "données/été.csv": Given("b" * 64, 0, 0, 0),
        "merged.ipynb": Given("c" * 64, None, None, None),  # after a merge: always hashed
    }
    Record(book, dict(files)).save()
    saved = json.loads(book.record_path.read_text())
    assert saved["version"] == 4
    assert saved["files"]["merged.ipynb"] == ["c" * 64, None, None, None]
    assert Record.load(book).files == files
    # The same names through the journal.
    record = Record.load(book)
    for rel, given in files.items():
        record.give(rel, given.sha256, None)
    record.save()
    assert book.journal_path.exists()
    assert Record.load(book).files == {
        rel: Given(g.sha256, None, None, None) for rel, g in files.items()
    }


def test_a_record_in_the_first_layout_is_still_read(tmp_path):
    """Homes seeded by an earlier coursekit keep what they were given after an upgrade."""
    book = Bookkeeping(tmp_path)
    book.prepare()
    first_layout = {
        "version": 1,
        "files": {
            "a.ipynb": {"sha256": "a" * 64, "size": 3, "mtime_ns": 7, "ctime_ns": 8},
            "b.md": {"sha256": "b" * 64, "size": None, "mtime_ns": None},
        },
    }
    book.record_path.write_text(json.dumps(first_layout))
    assert Record.load(book).files == {
        "a.ipynb": Given("a" * 64, 3, 7, 8),
        "b.md": Given("b" * 64, None, None, None),
    }


def test_a_damaged_record_reads_as_empty(tmp_path):
    book = Bookkeeping(tmp_path)
    book.prepare()
    for damaged in ('{"version": 2, "files": {"a": ["x"]}}', '{"files": 3}', "[1", "null"):
        book.record_path.write_text(damaged)
        assert Record.load(book).files == {}, damaged


def _seeded_book(tmp_path, count=40) -> tuple[Bookkeeping, dict[str, Given]]:
    book = Bookkeeping(tmp_path)
    book.prepare()
    files = {
        f"week-{n % 4}/part-{n}.md": Given(f"{n:064x}", n, n * 10, n * 11) for n in range(count)
    }
    Record(book, dict(files)).save()
    return book, files


def test_a_record_is_read_a_path_at_a_time(tmp_path):
    """An update asks for a few paths: none of it parses every entry."""
    book, files = _seeded_book(tmp_path, count=300)
    lines = book.record_path.read_bytes().split(b"\n")
    assert len(lines) == 302 and lines[1:-1] == sorted(lines[1:-1])  # one entry a line
    record = Record.load(book)
    for rel in ("week-0/part-0.md", "week-3/part-299.md", "week-2/part-150.md"):
        assert record.files[rel] == files[rel]
    assert "week-0/part-1.md" not in record.files  # part 1 is in week 1
    assert record.files.get("nothing/here.md") is None
    record.give("week-0/part-0.md", "f" * 64, None)
    record.drop("week-1/part-1.md")
    record.save()  # a journal append
    again = Record.load(book)
    assert again.files["week-0/part-0.md"] == Given("f" * 64, None, None, None)
    assert "week-1/part-1.md" not in again.files
    assert not again.files.materialized
    # Everything, when asked for: the journal's changes over the listing.
    expected = {**files, "week-0/part-0.md": Given("f" * 64, None, None, None)}
    del expected["week-1/part-1.md"]
    assert dict(again.files) == expected and again.files.materialized


def test_a_record_of_the_third_layout_is_still_read(tmp_path):
    """Written on one line by the coursekit before: parsed in full, its journal applied."""
    book = Bookkeeping(tmp_path)
    book.prepare()
    third = {"version": 3, "id": "0123456789abcdef", "files": {"a.md": ["a" * 64, 1, 2, 3]}}
    book.record_path.write_text(json.dumps(third, separators=(",", ":")))
    book.journal_path.write_text(
        '{"base": "0123456789abcdef"}\n["b.md","' + "b" * 64 + '",4,5,6]\n'
    )
    record = Record.load(book)
    assert record.files == {"a.md": Given("a" * 64, 1, 2, 3), "b.md": Given("b" * 64, 4, 5, 6)}
    record.give("c.md", "c" * 64, None)
    record._journal_intact = False  # as a damaged journal would: rewritten in layout 4
    record.save()
    assert json.loads(book.record_path.read_text())["version"] == 4
    assert set(Record.load(book).files) == {"a.md", "b.md", "c.md"}


def test_an_entry_damaged_in_a_record_read_by_path_counts_as_not_given(tmp_path):
    book, files = _seeded_book(tmp_path, count=10)
    data = book.record_path.read_bytes()
    line = next(x for x in data.split(b"\n") if x.startswith(b'"week-1/part-5.md":'))
    book.record_path.write_bytes(data.replace(line, b'"week-1/part-5.md":["short"],'))
    record = Record.load(book)
    assert "week-1/part-5.md" not in record.files  # the seed then adopts it by hash
    assert record.files["week-2/part-6.md"] == files["week-2/part-6.md"]


def test_a_save_appends_only_what_changed_to_the_journal(tmp_path):
    book, files = _seeded_book(tmp_path)
    whole = book.record_path.read_bytes()
    record = Record.load(book)
    record.give("week-0/part-0.md", "f" * 64, os.lstat(book.record_path))
    record.drop("week-1/part-1.md")
    record.drop("not/in/the/record.md")  # nothing to say
    record.save()
    assert book.record_path.read_bytes() == whole  # not rewritten
    lines = book.journal_path.read_text().splitlines()
    assert len(lines) == 3  # the header and two changes
    again = Record.load(book)
    assert again.files["week-0/part-0.md"].sha256 == "f" * 64
    assert "week-1/part-1.md" not in again.files
    assert len(again.files) == len(files) - 1
    Record.load(book).save()  # nothing changed: nothing written
    assert book.journal_path.read_text().splitlines() == lines


def test_a_long_journal_is_folded_into_the_record(tmp_path, monkeypatch):
    monkeypatch.setattr(record_module, "JOURNAL_MIN_ENTRIES", 10)
    monkeypatch.setattr(record_module, "JOURNAL_SHARE", 0.5)
    book, files = _seeded_book(tmp_path, count=40)
    for round_no in range(5):  # 5 saves of 5 changes: past half of 40 entries at the fifth
        record = Record.load(book)
        for n in range(5):
            record.give(f"week-{n % 4}/part-{n}.md", f"{round_no:064x}", None)
        record.save()
    assert not book.journal_path.exists()
    saved = json.loads(book.record_path.read_text())
    assert saved["files"]["week-0/part-0.md"][0] == f"{4:064x}"
    assert Record.load(book).files["week-0/part-0.md"].sha256 == f"{4:064x}"


@pytest.mark.parametrize(
    "tail",
    [
        b'["week-0/part-0.md","' + b"e" * 64 + b'",1,2',  # torn: no newline
        b"\0\0\0\0\0\0\n",  # an append whose data never reached the disk
        b'["week-0/part-0.md",3]\n',  # well-formed JSON, not an entry
    ],
)
def test_a_torn_or_damaged_journal_line_ends_what_is_read(tmp_path, tail):
    """Changes before the damage are read; the damage and what follows are not, and the
    next save rewrites the whole record instead of appending after it."""
    book, files = _seeded_book(tmp_path)
    record = Record.load(book)
    record.give("week-1/part-1.md", "d" * 64, None)
    record.save()
    with open(book.journal_path, "ab") as journal:
        journal.write(tail)
        journal.write(b'["week-2/part-2.md"]\n')
    loaded = Record.load(book)
    assert loaded.files["week-1/part-1.md"].sha256 == "d" * 64
    assert loaded.files["week-0/part-0.md"] == files["week-0/part-0.md"]
    assert "week-2/part-2.md" in loaded.files  # after the damage: not read
    loaded.give("week-3/part-3.md", "c" * 64, None)
    loaded.save()
    assert not book.journal_path.exists()
    assert Record.load(book).files == loaded.files


def test_a_journal_left_from_before_a_rewrite_is_ignored(tmp_path):
    """A kill between writing the whole record and deleting the journal leaves a journal
    that names the record before: its changes are already in the new one."""
    book, files = _seeded_book(tmp_path)
    record = Record.load(book)
    record.give("week-1/part-1.md", "d" * 64, None)
    record.save()
    left = book.journal_path.read_bytes()
    record._rewrite()
    book.journal_path.write_bytes(left)  # as if the kill came before the delete
    assert Record.load(book).files["week-1/part-1.md"].sha256 == "d" * 64
    after_the_kill = Record.load(book)
    after_the_kill.give("week-1/part-1.md", "e" * 64, None)
    after_the_kill.save()  # the journal is not this record's: rewritten, not appended to
    assert Record.load(book).files["week-1/part-1.md"].sha256 == "e" * 64
    assert not book.journal_path.exists()


def test_a_link_in_place_of_the_journal_is_not_written_through(tmp_path):
    book, _files = _seeded_book(tmp_path / "m")
    outside = tmp_path / "outside.txt"
    outside.write_text("not the module's")
    record = Record.load(book)
    os.symlink(outside, book.journal_path)  # put there while the seed runs
    record.give("week-1/part-1.md", "d" * 64, None)
    with pytest.raises(OSError):
        record.save()
    assert outside.read_text() == "not the module's"
    record.save()  # the next save replaces the record whole, and the link goes
    assert outside.read_text() == "not the module's"
    assert not book.journal_path.is_symlink()
    assert Record.load(book).files["week-1/part-1.md"].sha256 == "d" * 64
