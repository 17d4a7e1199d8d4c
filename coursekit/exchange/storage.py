"""Where the exchange keeps releases, submissions and feedback: the archives as files
in a folder on the service's own disk, what is known about them as rows in a database
(``catalog``: SQLite in the same folder by default, PostgreSQL in production). Plain
Python, no tornado, so it is tested without a hub.

Layout under ``root`` (every name is a validated id, so nothing escapes ``root``)::

    exchange.sqlite                                          the default database
    content/<course>/releases/<assignment>/<blob>.tar.gz
    content/<course>/submissions/<student>/<assignment>/<submission>.tar.gz
    content/<course>/feedback/<student>/<assignment>/<submission>/<blob>.tar.gz
    .incoming/<random>.tar.gz                                uploads being written

An upload is written under ``.incoming``, checked (size, sha256, archive members),
fsynced and renamed into ``content``; only then is its row committed. An entry exists
once its row does, and a row always has its archive: a crash mid-upload leaves a stray
file in ``.incoming``, a crash before the commit an archive no row names (an orphan), and
neither touches what was already submitted. Who may do what is decided by the caller
(``service``); this module only refuses what is malformed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import BadRequest, CourseKitError, NotFound

ARCHIVE_SUFFIX = ".tar.gz"
INCOMING = ".incoming"
SWEEP_AGE_SECONDS = 24 * 3600
CONTENT = "content"
DEFAULT_DATABASE = "exchange.sqlite"
DEFAULT_MAX_UPLOAD = 100 * 1024 * 1024

# Course ids are module ids (TM351-25J); assignment ids are nbgrader's; student ids are hub
# user names. One path component each: starts with a letter or digit, so never "." or "..".
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")
SUBMISSION_PATTERN = re.compile(r"^[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[A-Za-z0-9_-]{8}$")


class TooLarge(CourseKitError):
    code = "upload-too-large"
    status = 413


class IntegrityError(CourseKitError):
    """The bytes received are not the bytes the client sent."""

    code = "checksum-mismatch"
    status = 400


def check_id(kind: str, value: str) -> str:
    """``value`` if it is a safe id, else a BadRequest naming what was wrong."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise BadRequest(
            f"invalid {kind} id {value!r}: use letters, digits and _ . @ + - "
            "(starting with a letter or digit, at most 128 characters)",
            code="invalid-id",
        )
    return value


def check_submission_id(value: str) -> str:
    if not isinstance(value, str) or not SUBMISSION_PATTERN.match(value):
        raise BadRequest(f"invalid submission id {value!r}", code="invalid-id")
    return value


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def archive_members(path: Path) -> list[str]:
    """The file names inside a gzipped tar, refusing anything but plain relative files and
    folders (no links, devices, absolute paths or ``..``)."""
    files = []
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                name = member.name
                parts = Path(name).parts
                if name.startswith("/") or ".." in parts or not parts:
                    raise BadRequest(f"archive member {name!r} leaves its folder")
                if member.isdir():
                    continue
                if not member.isreg():
                    raise BadRequest(f"archive member {name!r} is not a regular file")
                files.append(name)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BadRequest(f"not a gzipped tar archive: {error}", code="bad-archive") from error
    return sorted(files)


@dataclass
class Upload:
    """An archive being received: feed it chunks, then ``finish`` checks it."""

    path: Path
    max_bytes: int
    size: int = 0

    def __post_init__(self) -> None:
        self._hash = hashlib.sha256()
        self._file: BinaryIO | None = self.path.open("wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise TooLarge(f"upload larger than the limit of {self.max_bytes} bytes")
        assert self._file is not None
        self._file.write(chunk)
        self._hash.update(chunk)

    def finish(self, expected_sha256: str | None) -> tuple[str, list[str]]:
        """Close, fsync and check the archive: its size on disk, its sha256 and its member
        names. Any failure removes it."""
        assert self._file is not None
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            on_disk = os.fstat(self._file.fileno()).st_size
            self._file.close()
            self._file = None
            if on_disk != self.size:
                raise IntegrityError(
                    f"{on_disk} bytes reached the disk of the {self.size} received; "
                    "nothing was stored"
                )
            digest = self._hash.hexdigest()
            if expected_sha256 is not None and expected_sha256.lower() != digest:
                raise IntegrityError(
                    f"sha256 of the upload is {digest}, the client sent {expected_sha256}: "
                    "the upload was damaged in transit; nothing was stored"
                )
            return digest, archive_members(self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_submission_id(at: dt.datetime) -> str:
    """Sortable in time order, unique even for two submissions in the same microsecond."""
    return at.strftime("%Y%m%dT%H%M%S.%fZ") + "-" + secrets.token_urlsafe(6)


class ExchangeStorage:
    """Releases, submissions and feedback for any number of courses: archives under one
    folder, rows in the database at ``db_url`` (default: SQLite in that folder)."""

    def __init__(
        self,
        root: str | os.PathLike,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD,
        db_url: str | None = None,
        upgrade_db: bool | None = None,
    ):
        # Imported here: single-user servers import ``check_id`` from this module and
        # never need SQLAlchemy; only the service does.
        from .catalog import Catalog

        self.root = Path(root).resolve()
        self.content = self.root / CONTENT
        self.max_upload_bytes = max_upload_bytes
        (self.root / INCOMING).mkdir(parents=True, exist_ok=True)
        self.content.mkdir(exist_ok=True)
        self.db_url = db_url or f"sqlite:///{self.root / DEFAULT_DATABASE}"
        # upgrade_db None: an older schema is upgraded for SQLite, refused for PostgreSQL.
        self.catalog = Catalog(self.db_url, upgrade_db)

    def close(self) -> None:
        """Close the database connections."""
        self.catalog.close()

    def sweep(self, older_than: float = SWEEP_AGE_SECONDS) -> int:
        """Delete what no row names and nothing is still writing: uploads abandoned in
        ``.incoming`` and archives left by a crash between their rename and their row.
        Only files older than ``older_than`` seconds, so an upload in flight, or one
        renamed into place a moment before its row commits, is never touched. Returns
        how many files went."""
        named = self.catalog.blobs()  # read first: a row committed after this is younger
        cutoff = time.time() - older_than
        removed = 0
        for top in (self.root / INCOMING, self.content):
            for folder, _dirs, files in os.walk(top):
                for name in files:
                    path = Path(folder, name)
                    blob = (
                        path.relative_to(self.content).as_posix() if top == self.content else None
                    )
                    try:
                        if path.stat().st_mtime > cutoff or blob in named:
                            continue
                        path.unlink()
                    except OSError:
                        continue
                    removed += 1
        return removed

    # -- uploads -------------------------------------------------------------------------
    def begin_upload(self, declared_size: int | None = None) -> Upload:
        """Start receiving an archive; refuses at once if its declared size is too big."""
        if declared_size is not None and declared_size > self.max_upload_bytes:
            raise TooLarge(
                f"upload of {declared_size} bytes is larger than the limit of "
                f"{self.max_upload_bytes} bytes"
            )
        path = self.root / INCOMING / f"{secrets.token_hex(8)}{ARCHIVE_SUFFIX}"
        return Upload(path, self.max_upload_bytes)

    def _store_blob(self, upload: Upload, blob: str) -> None:
        """Rename a finished upload to ``content/<blob>`` and make the rename durable: the
        archive is in place before any row names it."""
        destination = self.content / blob
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.rename(upload.path, destination)
        _fsync_dir(destination.parent)

    def _drop_blob(self, blob: str | None) -> None:
        """Delete an archive no row names any more (after the commit that replaced it)."""
        if blob is not None:
            (self.content / blob).unlink(missing_ok=True)

    def _located(self, row: tuple[str, dict] | None, missing: str) -> tuple[Path, dict]:
        if row is None:
            raise NotFound(missing)
        blob, meta = row
        return self.content / blob, meta

    # -- releases ------------------------------------------------------------------------
    def release(
        self,
        course: str,
        assignment: str,
        upload: Upload,
        sha256: str | None,
        due: str | None = None,
    ) -> dict:
        """Publish (or replace) an assignment's released files; ``due`` is the deadline
        from the instructor's gradebook, shown to students (ISO 8601, or None)."""
        if due is not None:
            try:
                due = dt.datetime.fromisoformat(due).isoformat()
            except ValueError:
                upload.abort()
                raise BadRequest(f"due date {due!r} is not an ISO 8601 date and time") from None
        check_id("course", course)
        check_id("assignment", assignment)
        digest, files = upload.finish(sha256)
        at = now_utc()
        meta = {
            "course_id": course,
            "assignment_id": assignment,
            "released_at": at.isoformat(),
            "due": due,
            "sha256": digest,
            "size": upload.size,
            "files": files,
        }
        blob = f"{course}/releases/{assignment}/{new_submission_id(at)}{ARCHIVE_SUFFIX}"
        self._store_blob(upload, blob)
        self._drop_blob(self.catalog.put_release(meta, blob))
        return meta

    def unrelease(self, course: str, assignment: str) -> None:
        blob = self.catalog.delete_release(
            check_id("course", course), check_id("assignment", assignment)
        )
        if blob is None:
            raise NotFound(f"{assignment} is not released in {course}")
        self._drop_blob(blob)

    def releases(self, course: str) -> list[dict]:
        return self.catalog.releases(check_id("course", course))

    def release_archive(self, course: str, assignment: str) -> tuple[Path, dict]:
        row = self.catalog.release(check_id("course", course), check_id("assignment", assignment))
        return self._located(row, f"{assignment} is not released in {course}")

    # -- submissions ---------------------------------------------------------------------
    def submit(
        self,
        course: str,
        assignment: str,
        student: str,
        upload: Upload,
        sha256: str | None,
        timestamp: str | None = None,
    ) -> dict:
        """Store a submission; it counts only once this returns (the receipt)."""
        check_id("student", student)
        self.release_archive(course, assignment)  # only what was released can be submitted
        digest, files = upload.finish(sha256)
        at = now_utc()
        submission = new_submission_id(at)
        meta = {
            "course_id": course,
            "assignment_id": assignment,
            "student_id": student,
            "submission_id": submission,
            "submitted_at": at.isoformat(),
            # nbgrader's own timestamp string, as written to timestamp.txt by the client
            "timestamp": timestamp or at.strftime("%Y-%m-%d %H:%M:%S.%f %Z"),
            "sha256": digest,
            "size": upload.size,
            "files": files,
        }
        blob = f"{course}/submissions/{student}/{assignment}/{submission}{ARCHIVE_SUFFIX}"
        self._store_blob(upload, blob)
        # Should the insert fail, the archive stays: the commit may have reached the
        # database before the connection broke, and a row must never lose its archive.
        self.catalog.add_submission(meta, blob)
        return meta

    def submissions(
        self, course: str, student: str | None = None, assignment: str | None = None
    ) -> list[dict]:
        """Complete submissions, oldest first, each with its ``feedback`` (or None)."""
        check_id("course", course)
        if student is not None:
            check_id("student", student)
        if assignment is not None:
            check_id("assignment", assignment)
        return self.catalog.submissions(course, student, assignment)

    def submission_archive(
        self, course: str, student: str, assignment: str, submission: str
    ) -> tuple[Path, dict]:
        ids = _submission_ids(course, student, assignment, submission)
        return self._located(
            self.catalog.submission(*ids), f"no such submission of {assignment} by {student}"
        )

    # -- feedback ------------------------------------------------------------------------
    def return_feedback(
        self,
        course: str,
        student: str,
        assignment: str,
        submission: str,
        upload: Upload,
        sha256: str | None,
    ) -> dict:
        """Store (or replace) the feedback on one submission."""
        try:
            self.submission_archive(course, student, assignment, submission)
        except CourseKitError:
            upload.abort()
            raise
        digest, files = upload.finish(sha256)
        at = now_utc()
        meta = {
            "course_id": course,
            "assignment_id": assignment,
            "student_id": student,
            "submission_id": submission,
            "released_at": at.isoformat(),
            "sha256": digest,
            "size": upload.size,
            "files": files,
        }
        folder = f"{course}/feedback/{student}/{assignment}/{submission}"
        blob = f"{folder}/{new_submission_id(at)}{ARCHIVE_SUFFIX}"
        self._store_blob(upload, blob)
        self._drop_blob(self.catalog.put_feedback(meta, blob))
        return meta

    def feedback_archive(
        self, course: str, student: str, assignment: str, submission: str
    ) -> tuple[Path, dict]:
        ids = _submission_ids(course, student, assignment, submission)
        return self._located(
            self.catalog.feedback(*ids), f"no feedback yet on {assignment} by {student}"
        )


def _submission_ids(course: str, student: str, assignment: str, submission: str):
    return (
        check_id("course", course),
        check_id("student", student),
        check_id("assignment", assignment),
        check_submission_id(submission),
    )
