"""The record of what a module was given: saved as JSON by hand, read back by json."""

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
    assert json.loads(book.record_path.read_text())["files"]["merged.ipynb"]["size"] is None
    assert Record.load(book).files == files
