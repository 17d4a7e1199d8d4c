"""The record of what a module was given: saved as JSON, read back, old layout included."""

from __future__ import annotations

import json

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
    assert saved["version"] == 2
    assert saved["files"]["merged.ipynb"] == ["c" * 64, None, None, None]
    assert Record.load(book).files == files


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
