"""Take my work away: the module folder as a streamed zip (coursekit/export.py)."""

from __future__ import annotations

import io
import os
import zipfile

from coursekit.export import SKIPPED_NOTE, plan_export, stream_zip


def make_module(root):
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "week1.ipynb").write_text('{"cells": []}')
    (root / "my-notes.txt").write_text("mine")
    (root / ".coursekit" / "removed").mkdir(parents=True)
    (root / ".coursekit" / "record.json").write_text("{}")
    (root / ".coursekit-index.json").write_text("{}")
    return root


def archive(plan, chunk_size=1 << 20):
    return zipfile.ZipFile(io.BytesIO(b"".join(stream_zip(plan, chunk_size))))


def test_the_archive_holds_the_students_files_under_the_module_id(tmp_path):
    plan = plan_export(make_module(tmp_path / "TM351-25J"), "TM351-25J")
    with archive(plan) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == [
            "TM351-25J/my-notes.txt",
            "TM351-25J/notebooks/week1.ipynb",
        ]
        assert zf.read("TM351-25J/my-notes.txt") == b"mine"
    assert plan.total_bytes == len("mine") + len('{"cells": []}')


def test_coursekit_bookkeeping_is_left_out_at_any_depth(tmp_path):
    root = make_module(tmp_path / "M")
    (root / "notebooks" / ".coursekit-index.json").write_text("{}")
    with archive(plan_export(root, "M")) as zf:
        assert not [n for n in zf.namelist() if ".coursekit" in n]


def test_large_files_stream_in_many_chunks_and_survive_intact(tmp_path):
    root = tmp_path / "M"
    root.mkdir()
    data = os.urandom(300_000)
    (root / "data.bin").write_bytes(data)
    chunks = list(stream_zip(plan_export(root, "M"), chunk_size=64 * 1024))
    assert len(chunks) > 4
    assert max(len(c) for c in chunks) < 200 * 1024
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as zf:
        assert zf.read("M/data.bin") == data


def test_links_out_of_the_module_are_not_followed_but_named(tmp_path):
    root = make_module(tmp_path / "M")
    secret = tmp_path / "other-student"
    secret.mkdir()
    (secret / "answers.txt").write_text("not yours")
    (root / "escape-file").symlink_to(secret / "answers.txt")
    (root / "escape-dir").symlink_to(secret, target_is_directory=True)
    (root / "inside-link.txt").symlink_to(root / "my-notes.txt")
    with archive(plan_export(root, "M")) as zf:
        names = zf.namelist()
        assert not [n for n in names if n.startswith("M/escape")]
        assert zf.read("M/inside-link.txt") == b"mine"
        assert all(b"not yours" not in zf.read(name) for name in names)
        note = zf.read(f"M/{SKIPPED_NOTE}").decode()
    assert "escape-file" in note


def test_an_unreadable_file_is_named_in_a_note_and_the_rest_is_kept(tmp_path):
    root = make_module(tmp_path / "M")
    plan = plan_export(root, "M")
    (root / "my-notes.txt").unlink()  # gone between planning and streaming
    with archive(plan) as zf:
        assert zf.read("M/notebooks/week1.ipynb") == b'{"cells": []}'
        assert "my-notes.txt" in zf.read(f"M/{SKIPPED_NOTE}").decode()


def test_files_dated_before_1980_do_not_break_the_archive(tmp_path):
    root = tmp_path / "M"
    root.mkdir()
    old = root / "old.txt"
    old.write_text("old")
    os.utime(old, (0, 0))
    with archive(plan_export(root, "M")) as zf:
        assert zf.read("M/old.txt") == b"old"


def test_an_empty_module_gives_a_valid_empty_archive(tmp_path):
    (tmp_path / "M").mkdir()
    with archive(plan_export(tmp_path / "M", "M")) as zf:
        assert zf.namelist() == []
