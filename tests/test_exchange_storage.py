"""The exchange's storage, without a hub: ids, limits, checksums, and all-or-nothing
submissions."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import make_url

from coursekit.errors import BadRequest, CourseKitError, NotFound
from coursekit.exchange.storage import (
    INCOMING,
    ExchangeStorage,
    IntegrityError,
    TooLarge,
    check_id,
)

from . import postgres

COURSE, ASSIGNMENT = "TM351-25J", "ps1"


def tar_of(files: dict[str, bytes]) -> bytes:
    """A gzipped tar holding ``files`` (name -> bytes), as a client would upload."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(storage: ExchangeStorage, data: bytes):
    up = storage.begin_upload(len(data))
    for start in range(0, len(data), 1000):
        up.write(data[start : start + 1000])
    return up


@pytest.fixture
def storage(tmp_path, exchange_db_url):
    """A storage with ps1 released, once with SQLite and once with PostgreSQL."""
    store = ExchangeStorage(tmp_path / "exchange", 64 * 1024, exchange_db_url)
    release = tar_of({"problem1.ipynb": b"{}", "data/input.csv": b"a,b\n"})
    store.release(COURSE, ASSIGNMENT, upload(store, release), sha(release))
    yield store
    store.close()


@contextlib.contextmanager
def reopened(storage: ExchangeStorage):
    """The same storage as a restarted service would open it."""
    again = ExchangeStorage(storage.root, storage.max_upload_bytes, storage.db_url)
    try:
        yield again
    finally:
        again.close()


def test_release_is_listed_with_its_files_and_checksum(storage):
    [release] = storage.releases(COURSE)
    assert release["assignment_id"] == ASSIGNMENT
    assert release["files"] == ["data/input.csv", "problem1.ipynb"]
    path, meta = storage.release_archive(COURSE, ASSIGNMENT)
    assert sha(path.read_bytes()) == meta["sha256"] == release["sha256"]


def test_submission_gives_a_receipt_and_is_listed_for_its_student_only(storage):
    data = tar_of({"problem1.ipynb": b'{"cells": []}'})
    receipt = storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, data), sha(data))
    assert receipt["sha256"] == sha(data)
    assert receipt["files"] == ["problem1.ipynb"]
    assert [s["submission_id"] for s in storage.submissions(COURSE, "alice")] == [
        receipt["submission_id"]
    ]
    assert storage.submissions(COURSE, "bob") == []


def test_every_submission_is_kept_in_time_order(storage):
    ids = []
    for n in range(3):
        data = tar_of({"problem1.ipynb": str(n).encode()})
        ids.append(storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, data), None))
    listed = [s["submission_id"] for s in storage.submissions(COURSE, "alice", ASSIGNMENT)]
    assert listed == [r["submission_id"] for r in ids] == sorted(listed)


@pytest.mark.parametrize(
    "bad", ["..", ".", "../etc", "a/b", "", "-x", "x" * 200, "a\x00b", "%2e%2e", " a"]
)
def test_ids_that_could_leave_the_exchange_are_refused(storage, bad):
    with pytest.raises(BadRequest):
        check_id("course", bad)
    with pytest.raises(BadRequest):
        storage.releases(bad)
    with pytest.raises(BadRequest):
        storage.submissions(COURSE, student=bad)
    with pytest.raises(BadRequest):
        storage.feedback_archive(COURSE, "alice", bad, "20260101T000000.000000Z-abcdefgh")


def test_an_oversize_upload_is_refused_and_leaves_nothing(storage):
    with pytest.raises(TooLarge):
        storage.begin_upload(10**9)
    up = storage.begin_upload(None)  # no declared size: refused while streaming
    with pytest.raises(TooLarge):
        up.write(b"x" * (storage.max_upload_bytes + 1))
    assert list((storage.root / INCOMING).iterdir()) == []


def test_a_damaged_upload_is_refused_and_stores_nothing(storage):
    data = tar_of({"problem1.ipynb": b"{}"})
    with pytest.raises(IntegrityError):
        storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, data), sha(b"other"))
    assert storage.submissions(COURSE, "alice") == []
    assert list((storage.root / INCOMING).iterdir()) == []


@pytest.mark.parametrize("member", ["../escape.txt", "/etc/passwd"])
def test_archives_reaching_outside_their_folder_are_refused(storage, member):
    data = tar_of({member: b"x"})
    with pytest.raises(BadRequest):
        storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, data), None)
    assert storage.submissions(COURSE, "alice") == []


def test_an_archive_with_a_link_is_refused(storage):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo("notes")
        link.type, link.linkname = tarfile.SYMTYPE, "/home/bob/ps1"
        tar.addfile(link)
    with pytest.raises(BadRequest):
        storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, buffer.getvalue()), None)


def test_a_crash_mid_upload_loses_nothing_already_submitted(storage):
    first = tar_of({"problem1.ipynb": b"first"})
    receipt = storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, first), sha(first))
    # A second upload dies half way: the process never reaches finish or commit.
    dying = storage.begin_upload(None)
    dying.write(tar_of({"problem1.ipynb": b"second"})[:20])
    assert_only_submission_is(storage, receipt, first)


def assert_only_submission_is(storage: ExchangeStorage, receipt: dict, data: bytes) -> None:
    """After a restart, alice's one submission is ``receipt``, its archive intact."""
    with reopened(storage) as again:
        [kept] = again.submissions(COURSE, "alice")
        assert kept["submission_id"] == receipt["submission_id"]
        path, meta = again.submission_archive(COURSE, "alice", ASSIGNMENT, kept["submission_id"])
        assert sha(path.read_bytes()) == meta["sha256"] == sha(data)


def test_a_crash_between_the_archive_and_its_row_shows_nothing_new(storage, monkeypatch):
    first = tar_of({"problem1.ipynb": b"first"})
    receipt = storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, first), sha(first))
    store_blob = storage._store_blob

    def killed_after_the_archive(upload, blob):
        store_blob(upload, blob)
        raise KeyboardInterrupt  # stands for a kill: the row is never written

    monkeypatch.setattr(storage, "_store_blob", killed_after_the_archive)
    second = tar_of({"problem1.ipynb": b"second"})
    with pytest.raises(KeyboardInterrupt):
        storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, second), sha(second))
    assert_only_submission_is(storage, receipt, first)
    # The second archive is on disk, named by no row: an orphan, never a row without one.
    archives = sorted((storage.content / COURSE / "submissions" / "alice").rglob("*.tar.gz"))
    assert len(archives) == 2


def test_the_sweep_removes_old_orphans_and_keeps_everything_named_or_recent(storage):
    kept = tar_of({"problem1.ipynb": b"kept"})
    receipt = storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, kept), sha(kept))
    orphan = storage.content / COURSE / "submissions" / "alice" / "orphan.tar.gz"
    orphan.write_bytes(b"left by a crash between the rename and the row")
    abandoned = storage.begin_upload(None)
    abandoned.write(b"half an upload")
    in_flight = storage.begin_upload(None)
    in_flight.write(b"still arriving")
    day_old = time.time() - 2 * 24 * 3600
    for path in (orphan, abandoned.path, *storage.content.rglob("*.tar.gz")):
        os.utime(path, (day_old, day_old))

    assert storage.sweep() == 2
    assert not orphan.exists() and not abandoned.path.exists()
    assert in_flight.path.exists()  # young: its writer may still be at it
    assert_only_submission_is(storage, receipt, kept)


def test_submissions_at_the_same_moment_are_all_recorded(storage):
    students = [f"student{n}" for n in range(8)]
    everyone_ready = threading.Barrier(len(students))

    def submit(student: str) -> dict:
        data = tar_of({"problem1.ipynb": student.encode()})
        up = upload(storage, data)
        everyone_ready.wait()
        return storage.submit(COURSE, ASSIGNMENT, student, up, sha(data))

    with ThreadPoolExecutor(len(students)) as pool:
        receipts = list(pool.map(submit, students))
    listed = storage.submissions(COURSE)
    assert sorted(s["submission_id"] for s in listed) == sorted(
        r["submission_id"] for r in receipts
    )
    for receipt in receipts:
        path, meta = storage.submission_archive(
            COURSE, receipt["student_id"], ASSIGNMENT, receipt["submission_id"]
        )
        assert sha(path.read_bytes()) == meta["sha256"] == receipt["sha256"]


def test_a_student_lists_and_opens_only_their_own_submissions(storage):
    data = tar_of({"problem1.ipynb": b"{}"})
    alice = storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, data), None)
    bob = storage.submit(COURSE, ASSIGNMENT, "bob", upload(storage, data), None)
    assert [s["student_id"] for s in storage.submissions(COURSE, "alice")] == ["alice"]
    assert [s["student_id"] for s in storage.submissions(COURSE, "bob")] == ["bob"]
    # A submission id is found only under its own student and course.
    with pytest.raises(NotFound):
        storage.submission_archive(COURSE, "bob", ASSIGNMENT, alice["submission_id"])
    with pytest.raises(NotFound):
        storage.submission_archive("M269-25J", "alice", ASSIGNMENT, alice["submission_id"])
    assert storage.submissions("M269-25J") == []
    storage.return_feedback(
        COURSE, "bob", ASSIGNMENT, bob["submission_id"], upload(storage, data), None
    )
    assert storage.submissions(COURSE, "alice")[0]["feedback"] is None
    with pytest.raises(NotFound):
        storage.feedback_archive(COURSE, "alice", ASSIGNMENT, bob["submission_id"])


def test_only_released_assignments_can_be_submitted(storage):
    data = tar_of({"x.ipynb": b"{}"})
    with pytest.raises(NotFound):
        storage.submit(COURSE, "ps9", "alice", upload(storage, data), None)


def test_feedback_attaches_to_one_submission(storage):
    data = tar_of({"problem1.ipynb": b"{}"})
    receipt = storage.submit(COURSE, ASSIGNMENT, "alice", upload(storage, data), None)
    submission = receipt["submission_id"]
    with pytest.raises(NotFound):
        storage.feedback_archive(COURSE, "alice", ASSIGNMENT, submission)
    feedback = tar_of({"problem1.html": b"<p>good</p>"})
    storage.return_feedback(
        COURSE, "alice", ASSIGNMENT, submission, upload(storage, feedback), sha(feedback)
    )
    [listed] = storage.submissions(COURSE, "alice")
    assert listed["feedback"]["files"] == ["problem1.html"]
    path, _ = storage.feedback_archive(COURSE, "alice", ASSIGNMENT, submission)
    assert path.read_bytes() == feedback
    with pytest.raises(NotFound):  # no submission of bob's: nowhere to put feedback
        storage.return_feedback(
            COURSE, "bob", ASSIGNMENT, submission, upload(storage, feedback), None
        )


def test_rereleasing_replaces_the_files_whole(storage):
    new = tar_of({"problem1.ipynb": b'{"v": 2}'})
    storage.release(COURSE, ASSIGNMENT, upload(storage, new), sha(new))
    path, meta = storage.release_archive(COURSE, ASSIGNMENT)
    assert path.read_bytes() == new and meta["files"] == ["problem1.ipynb"]
    released = storage.content / COURSE / "releases" / ASSIGNMENT
    assert list(released.iterdir()) == [path]  # the replaced archive is gone
    storage.unrelease(COURSE, ASSIGNMENT)
    assert storage.releases(COURSE) == []
    assert list(released.iterdir()) == []


def test_a_release_carries_its_due_date_and_refuses_a_bad_one(storage):
    data = tar_of({"problem1.ipynb": b"{}"})
    meta = storage.release(COURSE, "ps2", upload(storage, data), None, "2026-12-01T12:00:00+00:00")
    assert meta["due"] == "2026-12-01T12:00:00+00:00"
    with pytest.raises(BadRequest):
        storage.release(COURSE, "ps3", upload(storage, data), None, "next tuesday")
    assert [r["assignment_id"] for r in storage.releases(COURSE)] == [ASSIGNMENT, "ps2"]


def test_a_database_that_goes_away_is_a_503_with_a_code(tmp_path, postgres_server):
    with postgres_server.new_database() as url:
        store = ExchangeStorage(tmp_path / "exchange", db_url=url)
        postgres_server.execute(f"DROP DATABASE {make_url(url).database} WITH (FORCE)")
        with pytest.raises(CourseKitError) as refused:
            store.releases(COURSE)
        store.close()
    assert (refused.value.status, refused.value.code) == (503, "exchange-db-unavailable")
    assert "socket" not in refused.value.message  # where the database is stays in the log


@pytest.mark.parametrize("url", ["mysql://x@db/exchange", "oracle://x@db/exchange"])
def test_only_sqlite_and_postgresql_catalogs_are_accepted(tmp_path, url):
    with pytest.raises(CourseKitError, match="not supported"):
        ExchangeStorage(tmp_path / "exchange", db_url=url)


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_without_postgresql_ci_fails_and_a_workstation_skips(monkeypatch, ci, outcome):
    monkeypatch.setattr(postgres, "BIN", None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install postgresql"):
        postgres.require_binaries()
