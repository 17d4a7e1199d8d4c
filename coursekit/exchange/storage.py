"""Where the exchange keeps releases, submissions and feedback: a directory on the
service's own disk. Plain Python, no tornado, so it is tested without a hub.

Layout under ``root`` (every name is a validated id, so nothing escapes ``root``)::

    <course>/releases/<assignment>/{archive.tar.gz, meta.json}
    <course>/submissions/<student>/<assignment>/<submission>/{archive.tar.gz, meta.json}
    <course>/feedback/<student>/<assignment>/<submission>/{archive.tar.gz, meta.json}
    .incoming/<random>/                       uploads being written

An upload is written under ``.incoming``, checked (size, sha256, archive members),
fsynced, and only then renamed into place, so an entry exists complete or not at all: a
crash mid-upload leaves a stray ``.incoming`` folder and never touches what was already
submitted. Who may do what is decided by the caller (``service``); this module only
refuses what is malformed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import BadRequest, CourseKitError, NotFound

ARCHIVE = "archive.tar.gz"
META = "meta.json"
INCOMING = ".incoming"
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

    folder: Path
    max_bytes: int
    size: int = 0

    def __post_init__(self) -> None:
        self._hash = hashlib.sha256()
        self._file: BinaryIO | None = (self.folder / ARCHIVE).open("wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise TooLarge(f"upload larger than the limit of {self.max_bytes} bytes")
        assert self._file is not None
        self._file.write(chunk)
        self._hash.update(chunk)

    def finish(self, expected_sha256: str | None) -> tuple[str, list[str]]:
        """Close, fsync and check the archive: its sha256 and its member names."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        digest = self._hash.hexdigest()
        if expected_sha256 is not None and expected_sha256.lower() != digest:
            self.abort()
            raise IntegrityError(
                f"sha256 of the upload is {digest}, the client sent {expected_sha256}: "
                "the upload was damaged in transit; nothing was stored"
            )
        try:
            files = archive_members(self.folder / ARCHIVE)
        except CourseKitError:
            self.abort()
            raise
        return digest, files

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        shutil.rmtree(self.folder, ignore_errors=True)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_submission_id(at: dt.datetime) -> str:
    """Sortable in time order, unique even for two submissions in the same microsecond."""
    return at.strftime("%Y%m%dT%H%M%S.%fZ") + "-" + secrets.token_urlsafe(6)


class ExchangeStorage:
    """Releases, submissions and feedback for any number of courses under one folder."""

    def __init__(self, root: str | os.PathLike, max_upload_bytes: int = DEFAULT_MAX_UPLOAD):
        self.root = Path(root).resolve()
        self.max_upload_bytes = max_upload_bytes
        (self.root / INCOMING).mkdir(parents=True, exist_ok=True)

    # -- uploads -------------------------------------------------------------------------
    def begin_upload(self, declared_size: int | None = None) -> Upload:
        """Start receiving an archive; refuses at once if its declared size is too big."""
        if declared_size is not None and declared_size > self.max_upload_bytes:
            raise TooLarge(
                f"upload of {declared_size} bytes is larger than the limit of "
                f"{self.max_upload_bytes} bytes"
            )
        folder = self.root / INCOMING / secrets.token_hex(8)
        folder.mkdir()
        return Upload(folder, self.max_upload_bytes)

    def _commit(self, upload: Upload, meta: dict, destination: Path, replace: bool) -> dict:
        """Write the metadata, fsync, and rename the upload into place (atomically)."""
        meta_path = upload.folder / META
        with meta_path.open("w") as out:
            json.dump(meta, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        _fsync_dir(upload.folder)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            if not replace:
                upload.abort()
                raise CourseKitError(
                    f"{destination.name} exists already", code="exists", status=409
                )
            # Swap in: the old entry stays whole until the new one is in place.
            old = self.root / INCOMING / f"old-{secrets.token_hex(8)}"
            os.rename(destination, old)
            os.rename(upload.folder, destination)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(upload.folder, destination)
        _fsync_dir(destination.parent)
        return meta

    def _course(self, course: str) -> Path:
        return self.root / check_id("course", course)

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
        check_id("assignment", assignment)
        digest, files = upload.finish(sha256)
        meta = {
            "course_id": course,
            "assignment_id": assignment,
            "released_at": now_utc().isoformat(),
            "due": due,
            "sha256": digest,
            "size": upload.size,
            "files": files,
        }
        return self._commit(upload, meta, self._course(course) / "releases" / assignment, True)

    def unrelease(self, course: str, assignment: str) -> None:
        path = self._course(course) / "releases" / check_id("assignment", assignment)
        if not path.is_dir():
            raise NotFound(f"{assignment} is not released in {course}")
        old = self.root / INCOMING / f"old-{secrets.token_hex(8)}"
        os.rename(path, old)
        shutil.rmtree(old, ignore_errors=True)

    def releases(self, course: str) -> list[dict]:
        return [meta for _, meta in self._entries(self._course(course) / "releases")]

    def release_archive(self, course: str, assignment: str) -> tuple[Path, dict]:
        path = self._course(course) / "releases" / check_id("assignment", assignment)
        return self._entry(path, f"{assignment} is not released in {course}")

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
        check_id("assignment", assignment)
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
        path = self._course(course) / "submissions" / student / assignment / submission
        return self._commit(upload, meta, path, False)

    def submissions(
        self, course: str, student: str | None = None, assignment: str | None = None
    ) -> list[dict]:
        """Complete submissions, oldest first, each with its ``feedback`` (or None)."""
        base = self._course(course) / "submissions"
        students = [check_id("student", student)] if student is not None else self._names(base)
        found = []
        for who in students:
            assignments = (
                [check_id("assignment", assignment)]
                if assignment is not None
                else self._names(base / who)
            )
            for what in assignments:
                for _, meta in self._entries(base / who / what):
                    meta["feedback"] = self._feedback_meta(course, who, what, meta["submission_id"])
                    found.append(meta)
        return sorted(
            found, key=lambda m: (m["student_id"], m["assignment_id"], m["submission_id"])
        )

    def submission_archive(
        self, course: str, student: str, assignment: str, submission: str
    ) -> tuple[Path, dict]:
        path = self._submission_path(course, student, assignment, submission)
        return self._entry(path, f"no such submission of {assignment} by {student}")

    def _submission_path(self, course: str, student: str, assignment: str, submission: str) -> Path:
        return (
            self._course(course)
            / "submissions"
            / check_id("student", student)
            / check_id("assignment", assignment)
            / check_submission_id(submission)
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
        if not self._submission_path(course, student, assignment, submission).is_dir():
            upload.abort()
            raise NotFound(f"no such submission of {assignment} by {student}")
        digest, files = upload.finish(sha256)
        meta = {
            "course_id": course,
            "assignment_id": assignment,
            "student_id": student,
            "submission_id": submission,
            "released_at": now_utc().isoformat(),
            "sha256": digest,
            "size": upload.size,
            "files": files,
        }
        path = self._course(course) / "feedback" / student / assignment / submission
        return self._commit(upload, meta, path, True)

    def feedback_archive(
        self, course: str, student: str, assignment: str, submission: str
    ) -> tuple[Path, dict]:
        self._submission_path(course, student, assignment, submission)  # validates the ids
        path = self._course(course) / "feedback" / student / assignment / submission
        return self._entry(path, f"no feedback yet on {assignment} by {student}")

    def _feedback_meta(self, course: str, student: str, assignment: str, submission: str):
        path = self._course(course) / "feedback" / student / assignment / submission / META
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return None

    # -- reading entries -----------------------------------------------------------------
    @staticmethod
    def _names(folder: Path) -> list[str]:
        try:
            return sorted(p.name for p in folder.iterdir() if ID_PATTERN.match(p.name))
        except FileNotFoundError:
            return []

    def _entries(self, folder: Path) -> Iterator[tuple[Path, dict]]:
        try:
            children = sorted(folder.iterdir())
        except FileNotFoundError:
            return
        for child in children:
            try:
                yield child / ARCHIVE, json.loads((child / META).read_text())
            except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
                continue

    @staticmethod
    def _entry(path: Path, missing: str) -> tuple[Path, dict]:
        try:
            return path / ARCHIVE, json.loads((path / META).read_text())
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(missing) from None
