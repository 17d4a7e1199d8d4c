"""The listing layout that updates read without parsing: lookups by bisection and the
lines two listings differ in, checked against plain dicts on random listings."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.seeding import listing
from coursekit.seeding.listing import Listing, StoredSegments, differing_lines, keys_of

names = st.text(alphabet=st.sampled_from('abcz019-_./ éü"\\'), min_size=1, max_size=12)
entries = st.dictionaries(names, st.lists(st.integers(0, 3), min_size=1, max_size=3), max_size=60)


def as_listing(files: dict, segmented: bool = True) -> Listing:
    data, segments = listing.encode(files, segmented=segmented)
    return Listing(b"xx" + data + b"yy", 2, 2 + len(data), segments)


@settings(max_examples=300, deadline=None)
@given(files=entries, asked=st.lists(names, max_size=10))
def test_every_entry_is_found_by_bisection_and_nothing_else(files, asked):
    found = as_listing(files)
    assert found.parsed() == files  # still one JSON document
    if not found.bisectable():
        assert any("\\" in rel or '"' in rel for rel in files)  # escaped: parsed in full
        return
    assert found.count() == len(files)
    for rel in [*files, *asked]:
        value = found.find(listing.entry_key(rel))
        assert (json.loads(value) if value is not None else None) == files.get(rel)


@settings(max_examples=300, deadline=None)
@given(old=entries, new=entries, every=st.sampled_from([1, 2, 3, 32]))
def test_the_differing_lines_name_every_path_whose_entry_changed(old, new, every):
    listing.SEGMENT_EVERY, saved = every, listing.SEGMENT_EVERY
    try:
        differ = set(keys_of(differing_lines(as_listing(old), as_listing(new))))
    finally:
        listing.SEGMENT_EVERY = saved
    changed = {rel for rel in old.keys() | new.keys() if old.get(rel) != new.get(rel)}
    assert changed <= differ


def test_segments_end_where_the_paths_say_so_an_insert_changes_one():
    files = {f"week-{n:03}.md": [n] for n in range(400)}
    before = as_listing(files).segments
    assert 400 / 24 < len(before) < 400 / 3  # about one in SEGMENT_EVERY lines ends a segment
    after = as_listing({**files, "week-200x.md": [0]}).segments
    assert len({s[2] for s in after} - {s[2] for s in before}) == 1


def test_a_stored_segment_that_does_not_match_its_digest_is_refused(tmp_path):
    files = {f"{n}.md": [n] for n in range(100)}
    data, segments = listing.encode(files, segmented=True)
    path = tmp_path / "stored"
    path.write_bytes(b"head" + data)
    fd = os.open(path, os.O_RDONLY)
    try:
        stored = StoredSegments(fd, 4, segments)
        assert stored.segment_lines(segments[0]) == as_listing(files).segment_lines(segments[0])
        path.write_bytes(b"head" + bytes(len(data)))  # its blocks lost: zeros
        with pytest.raises(ValueError):
            stored.segment_lines(segments[0])
    finally:
        os.close(fd)


@settings(deadline=None)  # a first example can be slow on a busy machine (seen once)
@given(files=entries)
def test_the_segments_of_a_listing_tile_it_and_a_gap_is_found(files):
    data, segments = listing.encode(files, segmented=True)
    assert listing.tiles(segments, len(data))
    if len(segments) > 1:
        assert not listing.tiles(segments[:-1], len(data))
        assert not listing.tiles([segments[0], *segments[2:]], len(data))


@settings(deadline=None)
@given(
    files=st.dictionaries(
        names,
        st.lists(st.one_of(st.integers(), st.none(), st.text(max_size=5)), min_size=1, max_size=4)
        | st.lists(st.lists(st.integers(), max_size=2), max_size=2)
        | st.integers(),
        max_size=20,
    )
)
def test_any_json_values_are_written_as_they_are(files):
    data, _ = listing.encode(files)
    assert json.loads(data) == files
