"""Merge bases kept in packs: written whole, read back checked, pruned and compacted."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest

from coursekit.seeding import bases as bases_module
from coursekit.seeding.bases import MergeBases


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path) -> MergeBases:
    (tmp_path / "bases").mkdir()
    (tmp_path / "tmp").mkdir()
    return MergeBases(tmp_path / "bases", tmp_path / "tmp")


def given(tmp_path: Path, name: str, data: bytes) -> tuple[str, Path]:
    path = tmp_path / name
    path.write_bytes(data)
    return sha(data), path


def reopened(store: MergeBases) -> MergeBases:
    """A later seed's view of the same folder (nothing cached in memory)."""
    return MergeBases(store.folder, store.tmp)


def test_bases_added_in_one_seed_share_one_pack_and_read_back(tmp_path, store):
    notebooks = {f"{n}.ipynb": f'{{"cells": [{n}]}}'.encode() * (n + 1) for n in range(5)}
    for name, data in notebooks.items():
        store.add(*given(tmp_path, name, data))
    assert store.read(sha(notebooks["0.ipynb"])) is None  # nothing is visible before flush
    store.flush()
    assert sorted(p.suffix for p in store.folder.iterdir()) == [".idx", ".pack"]
    later = reopened(store)
    for data in notebooks.values():
        assert later.read(sha(data)) == data


def test_a_base_given_twice_is_kept_once(tmp_path, store):
    digest, path = given(tmp_path, "a.ipynb", b"same")
    store.add(digest, path)
    store.flush()
    store.add(digest, path)
    store.flush()
    assert len(list(store.folder.glob("*.pack"))) == 1


def test_a_damaged_base_reads_as_missing_not_as_wrong_bytes(tmp_path, store):
    digest, path = given(tmp_path, "a.ipynb", b"the notebook as given")
    store.add(digest, path)
    store.flush()
    pack = next(store.folder.glob("*.pack"))
    pack.write_bytes(b"THE" + pack.read_bytes()[3:])
    assert reopened(store).read(digest) is None
    pack.write_bytes(b"short")
    assert reopened(store).read(digest) is None


def test_a_pack_whose_index_never_arrived_is_ignored_then_removed(tmp_path, store, monkeypatch):
    digest, path = given(tmp_path, "a.ipynb", b"a notebook")
    renames = []
    real_rename = bases_module.os.rename

    def killed_before_the_index(src, dst):
        renames.append(dst)
        if str(dst).endswith(".idx"):
            raise KeyboardInterrupt("killed")
        real_rename(src, dst)

    monkeypatch.setattr(bases_module.os, "rename", killed_before_the_index)
    store.add(digest, path)
    with pytest.raises(KeyboardInterrupt):
        store.flush()
    monkeypatch.setattr(bases_module.os, "rename", real_rename)
    assert len(renames) == 2 and list(store.folder.glob("*.pack"))
    later = reopened(store)
    assert later.read(digest) is None
    later.prune({digest})
    assert list(store.folder.iterdir()) == []


def test_prune_drops_dead_packs_and_compacts_mostly_dead_ones(tmp_path, store):
    old = [given(tmp_path, f"old{n}.ipynb", bytes([n]) * 1000) for n in range(4)]
    for digest, path in old:
        store.add(digest, path)
    store.flush()
    gone, path = given(tmp_path, "gone.ipynb", b"dropped by the course")
    store.add(gone, path)
    store.flush()
    assert len(list(store.folder.glob("*.pack"))) == 2

    keep = {old[0][0]}  # three quarters of the first pack are dead, all of the second
    store.prune(keep)
    packs = list(store.folder.glob("*.pack"))
    assert len(packs) == 1 and packs[0].stat().st_size == 1000
    later = reopened(store)
    assert later.read(old[0][0]) == bytes([0]) * 1000
    assert later.read(old[1][0]) is None and later.read(gone) is None


def test_many_packs_are_gathered_into_one_beside_the_largest(tmp_path, store):
    first, path = given(tmp_path, "first.ipynb", b"the first seed's notebooks " * 100)
    store.add(first, path)
    store.flush()
    largest = next(store.folder.glob("*.pack"))
    kept = []
    for n in range(bases_module.MAX_PACKS + 2):  # one update seed after another
        digest, path = given(tmp_path, f"{n}.ipynb", f"version {n}".encode())
        store.add(digest, path)
        store.flush()
        kept.append(digest)
    untouched = os.stat(largest)
    store.prune({first, *kept})
    packs = sorted(store.folder.glob("*.pack"))
    assert len(packs) == 2 and largest in packs
    assert os.stat(largest).st_ino == untouched.st_ino  # not copied again
    gathered = next(p for p in packs if p != largest).with_suffix(".idx")
    assert sorted(json.loads(gathered.read_text())) == sorted(kept)
    later = reopened(store)
    assert later.read(first) == b"the first seed's notebooks " * 100
    assert all(later.read(d) == f"version {n}".encode() for n, d in enumerate(kept))


def test_bases_kept_one_file_each_by_older_versions_are_still_read_and_pruned(store):
    data = b'{"cells": []}'
    digest = sha(data)
    loose = store.folder / digest[:2] / f"{digest}.gz"
    loose.parent.mkdir()
    loose.write_bytes(gzip.compress(data))
    assert store.read(digest) == data
    store.prune(set())
    assert not loose.parent.exists()


def test_a_base_taken_from_an_open_file_leaves_its_position_alone(tmp_path, store):
    digest, path = given(tmp_path, "a.ipynb", b"0123456789" * 100)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.lseek(fd, 500, os.SEEK_SET)  # where the seed's own copy of the file stopped
        store.add_open(digest, fd)
        assert os.lseek(fd, 0, os.SEEK_CUR) == 500
    finally:
        os.close(fd)
    store.flush()
    assert reopened(store).read(digest) == b"0123456789" * 100


def test_a_pack_discarded_after_an_error_is_never_visible(tmp_path, store):
    digest, path = given(tmp_path, "a.ipynb", b"a notebook")
    store.add(digest, path)
    store.discard()
    store.flush()  # nothing left to flush
    assert list(store.folder.iterdir()) == []
    assert reopened(store).read(digest) is None
