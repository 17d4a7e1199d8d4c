"""nbgrader ``ExchangeFactory`` plugins that use the coursekit exchange service over HTTP.

Nothing is shared between servers: each talks to the service with its own JupyterHub
token (``JUPYTERHUB_API_TOKEN``), and the service decides what that user may see.
``jupyter coursekit apply`` turns them on for a course image (``nbgrader_config.json``);
elsewhere, in ``nbgrader_config.py`` (see docs/nbgrader.md)::

    from coursekit.exchange.nbgrader_plugins import use_coursekit_exchange
    use_coursekit_exchange(c)

Where no exchange service is given (no ``$COURSEKIT_EXCHANGE_URL``, no
``Exchange.service_url``: one machine, no hub), each class hands over to nbgrader's own
filesystem exchange class of the same name, so one image config serves both.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from pathlib import Path

from nbgrader.exchange import abc
from nbgrader.exchange import default as filesystem_exchange
from nbgrader.utils import find_all_notebooks, ignore_patterns, parse_utc
from traitlets import Bool, Float, Unicode, default

from ..errors import CourseKitError
from . import NBGRADER_PLUGINS as PLUGINS
from . import SERVICE_URL_ENV
from .client import ExchangeClient, pack, unpack


def use_coursekit_exchange(c) -> None:
    """Point every ``ExchangeFactory`` plugin of config ``c`` at this module's classes."""
    for trait, name in PLUGINS.items():
        setattr(c.ExchangeFactory, trait, f"{__name__}.{name}")


def _service_given(kwargs: dict) -> bool:
    """Whether a coursekit exchange service is named, by the environment or the config
    that nbgrader builds the plugin with."""
    if os.environ.get(SERVICE_URL_ENV):
        return True
    parent = kwargs.get("parent")
    config = kwargs.get("config") or getattr(parent, "config", None) or {}
    return bool(dict.get(dict.get(config, "Exchange", {}), "service_url"))


class Exchange(abc.Exchange):
    """What every coursekit plugin shares: the service's address, the token, the paths."""

    def __new__(cls, *args, **kwargs):
        if not _service_given(kwargs):
            # __init__ is not run again on an object of another class.
            return getattr(filesystem_exchange, cls.__name__)(*args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    service_url = Unicode(
        help="URL of the coursekit exchange service (default: $COURSEKIT_EXCHANGE_URL)."
    ).tag(config=True)
    api_token = Unicode(
        help="JupyterHub token sent to the service (default: $JUPYTERHUB_API_TOKEN)."
    ).tag(config=True)
    timeout = Float(120.0, help="Seconds to wait for the service on each request.").tag(config=True)
    path_includes_course = Bool(
        False,
        help="Whether student assignment folders are <course>/<assignment> (as nbgrader's "
        "own exchange option of the same name) rather than <assignment>.",
    ).tag(config=True)

    @default("service_url")
    def _service_url_default(self) -> str:
        return os.environ.get(SERVICE_URL_ENV, "")

    @default("api_token")
    def _api_token_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    def call(self, method: str, *args, **kwargs):
        """``ExchangeClient.method(*args)``, its errors turned into nbgrader's failure."""
        try:
            client = ExchangeClient(self.service_url, self.api_token, self.timeout)
            return getattr(client, method)(*args, **kwargs)
        except CourseKitError as error:
            self.fail(error.message)

    @property
    def course(self) -> str:
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def copy_filter(self):
        return ignore_patterns(
            exclude=self.coursedir.ignore,
            include=self.coursedir.include,
            max_file_size=self.coursedir.max_file_size,
            log=self.log,
        )

    def student_folder(self, assignment: str) -> str:
        if self.path_includes_course:
            return os.path.join(self.assignment_dir, self.coursedir.course_id, assignment)
        return os.path.join(self.assignment_dir, assignment)

    def releases(self) -> list[dict]:
        return self.call("releases", self.course)

    def submissions(self, student: str | None = None, assignment: str | None = None) -> list:
        return self.call("submissions", self.course, student, assignment)

    # The transfer steps of nbgrader's base class are folded into start().
    def init_src(self) -> None:
        pass

    def init_dest(self) -> None:
        pass

    def copy_files(self) -> None:
        pass


class ExchangeReleaseAssignment(Exchange, abc.ExchangeReleaseAssignment):
    def duedate(self) -> str | None:
        """The due date in the gradebook, if it has one, for students to see."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                due = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None
        return due.isoformat() + ("" if due.tzinfo else "+00:00") if due else None

    def start(self) -> None:
        self.set_timestamp()
        assignment = self.coursedir.assignment_id
        src = self.coursedir.format_path(self.coursedir.release_directory, ".", assignment)
        if not os.path.isdir(src):
            source = self.coursedir.format_path(self.coursedir.source_directory, ".", assignment)
            if os.path.isdir(source):
                self.fail(
                    f"Assignment found in '{source}' but not '{src}', "
                    "run `nbgrader generate_assignment` first."
                )
            self.fail(f"Assignment not found at: {src}")
        released = {r["assignment_id"] for r in self.releases()}
        if assignment in released and not self.force:
            self.fail(
                f"{assignment} is already released in {self.coursedir.course_id}; "
                "add --force to overwrite it"
            )
        receipt = self.call("release", self.course, assignment, pack(src), self.duedate())
        self.log.info(
            "Released %s to %s (%d files, sha256 %s)",
            assignment, self.coursedir.course_id, len(receipt["files"]), receipt["sha256"],
        )  # fmt: skip


class ExchangeFetchAssignment(Exchange, abc.ExchangeFetchAssignment):
    def start(self) -> None:
        self.set_timestamp()
        assignment = self.coursedir.assignment_id
        dest = self.student_folder(assignment)
        if os.path.isdir(dest) and not self.replace_missing_files:
            self.fail(
                f"You already have a copy of the assignment in this directory: {assignment}. "
                "Fetch with --replace to get only the files you are missing."
            )
        archive, _ = self.call("release_archive", self.course, assignment)
        with tempfile.TemporaryDirectory() as staging:
            unpack(archive, staging)
            # Never overwrite: only files the student does not have are copied.
            for path in sorted(Path(staging).rglob("*")):
                target = Path(dest) / path.relative_to(staging)
                if path.is_dir() or target.exists():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                self.log.info("Fetched %s", target)
        self.log.info("Fetched as: %s %s", self.coursedir.course_id, assignment)


class ExchangeSubmit(Exchange, abc.ExchangeSubmit):
    def start(self) -> dict:
        self.set_timestamp()
        assignment = self.coursedir.assignment_id
        src = os.path.abspath(self.student_folder(assignment))
        if not os.path.isdir(src):
            self.fail(f"Assignment not found at: {src}")
        released = {r["assignment_id"]: r for r in self.releases()}
        if assignment not in released:
            self.fail(f"{assignment} is not released in {self.coursedir.course_id}")
        self.check_notebooks(released[assignment]["files"], src)
        with tempfile.TemporaryDirectory() as staging:
            copy = os.path.join(staging, assignment)
            shutil.copytree(src, copy, ignore=self.copy_filter())
            with open(os.path.join(copy, "timestamp.txt"), "w") as out:
                out.write(self.timestamp)
            archive = pack(copy)
        self.receipt = self.call("submit", self.course, assignment, archive, self.timestamp)
        self.log.info(
            "Submitted as: %s %s %s (sha256 %s)",
            self.coursedir.course_id, assignment, self.timestamp, self.receipt["sha256"],
        )  # fmt: skip
        return self.receipt

    def check_notebooks(self, released_files: list[str], src: str) -> None:
        released = sorted(f for f in released_files if f.endswith(".ipynb"))
        submitted = find_all_notebooks(src)
        missing = [f for f in released if f not in submitted]
        extra = [f for f in submitted if f not in released]
        if missing and self.strict:
            self.fail(
                f"Assignment {self.coursedir.assignment_id} not submitted. "
                f"There are missing notebooks for the submission: {', '.join(missing)}"
            )
        if missing or extra:
            self.log.warning(
                "Possible missing notebooks (%s) and/or extra notebooks (%s) submitted",
                ", ".join(missing) or "none", ", ".join(extra) or "none",
            )  # fmt: skip


class ExchangeCollect(Exchange, abc.ExchangeCollect):
    def start(self) -> None:
        self.set_timestamp()
        assignment = self.coursedir.assignment_id
        student = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        chosen: dict[str, dict] = {}
        duedate = self.duedate() if self.before_duedate else None
        for record in self.submissions(student, assignment):
            when = parse_utc(record["timestamp"])
            best = chosen.get(record["student_id"])
            if duedate is not None and when > duedate and best is not None:
                continue  # a late one never displaces one made in time
            if (
                best is None
                or when >= parse_utc(best["timestamp"])
                or (duedate is not None and parse_utc(best["timestamp"]) > duedate)
            ):
                chosen[record["student_id"]] = record
        if not chosen:
            self.log.warning(
                "No submissions of '%s' for course '%s' to collect",
                assignment, self.coursedir.course_id,
            )  # fmt: skip
        for who, record in sorted(chosen.items()):
            self.collect_one(who, record)

    def duedate(self):
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None

    def collect_one(self, student: str, record: dict) -> None:
        assignment = record["assignment_id"]
        dest = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
        if os.path.isdir(dest):
            existing = self.coursedir.get_existing_timestamp(dest)
            newer = existing is None or parse_utc(record["timestamp"]) > existing
            if not (self.update and newer) and not (
                self.before_duedate and existing != parse_utc(record["timestamp"])
            ):
                self.log.info("Submission already exists, use --update to update: %s", dest)
                return
        archive, _ = self.call("submission_archive", record)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".collect-", dir=os.path.dirname(dest))
        try:
            unpack(archive, staging)
            with open(os.path.join(staging, "timestamp.txt"), "w") as out:
                out.write(record["timestamp"])
            if os.path.isdir(dest):
                shutil.rmtree(dest)
                self.log.info("Updating submission: %s %s", student, assignment)
            else:
                self.log.info("Collecting submission: %s %s", student, assignment)
            os.rename(staging, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


class ExchangeReleaseFeedback(Exchange, abc.ExchangeReleaseFeedback):
    def start(self) -> None:
        self.set_timestamp()
        assignment = self.coursedir.assignment_id
        student = self.coursedir.student_id or "*"
        excluded = set(filter(None, self.coursedir.student_id_exclude.split(",")))
        pattern = self.coursedir.format_path(self.coursedir.feedback_directory, student, assignment)
        submissions = {
            (s["student_id"], s["timestamp"]): s for s in self.submissions(None, assignment)
        }
        for folder in sorted(glob.glob(pattern)):
            who = self.student_of(folder)
            if who is None or who in excluded:
                continue
            stamp_file = os.path.join(folder, "timestamp.txt")
            if not os.path.isfile(stamp_file):
                self.log.warning("No timestamp.txt in %s: skipped", folder)
                continue
            timestamp = Path(stamp_file).read_text().strip()
            record = submissions.get((who, timestamp))
            if record is None:
                self.log.warning(
                    "No submission by %s at %s in the exchange: feedback not released",
                    who, timestamp,
                )  # fmt: skip
                continue
            archive = pack(folder, ignore=lambda d, names: [n for n in names if n.endswith(".txt")])
            self.call("return_feedback", record, archive)
            self.log.info(
                "Releasing feedback for student '%s' on assignment '%s/%s' (%s)",
                who, self.coursedir.course_id, assignment, timestamp,
            )  # fmt: skip

    def student_of(self, folder: str) -> str | None:
        """The student id in ``folder``, read through nbgrader's directory structure."""
        regexp = self.coursedir.format_path(
            self.coursedir.feedback_directory, "(?P<student_id>[^/]+)",
            self.coursedir.assignment_id, escape=True,
        )  # fmt: skip
        match = re.fullmatch(regexp, folder)
        return match.group("student_id") if match else None


class ExchangeFetchFeedback(Exchange, abc.ExchangeFetchFeedback):
    def start(self) -> None:
        self.set_timestamp()
        assignment = self.coursedir.assignment_id
        me = os.environ.get("JUPYTERHUB_USER") or None
        found = [s for s in self.submissions(me, assignment) if s.get("feedback")]
        if not found:
            self.log.warning("No feedback available to fetch for %s", assignment)
        for record in found:
            archive, _ = self.call("feedback_archive", record)
            dest = os.path.join(self.student_folder(assignment), "feedback", record["timestamp"])
            os.makedirs(dest, exist_ok=True)
            unpack(archive, dest)
            self.log.info("Fetched feedback into %s", dest)


class ExchangeList(Exchange, abc.ExchangeList):
    def start(self):
        if self.inbound and self.cached:
            self.fail("Options --inbound and --cached are incompatible.")
        self.set_timestamp()
        if self.remove:
            self.fail("Removing from the coursekit exchange is done by its instructors' tools.")
        if self.inbound or self.cached:
            return self.list_submissions()
        return self.list_releases()

    def list_releases(self) -> list[dict]:
        wanted = self.coursedir.assignment_id
        found = []
        for release in self.releases():
            if wanted and release["assignment_id"] != wanted:
                continue
            folder = self.student_folder(release["assignment_id"])
            fetched = os.path.isdir(folder)
            info = {
                "course_id": self.coursedir.course_id,
                "assignment_id": release["assignment_id"],
                "status": "fetched" if fetched else "released",
                "path": os.path.abspath(folder) if fetched else "",
                "notebooks": [
                    {
                        "notebook_id": os.path.splitext(os.path.basename(name))[0],
                        "path": os.path.abspath(os.path.join(folder, name)),
                    }
                    for name in release["files"]
                    if name.endswith(".ipynb") and "/" not in name
                ],
            }
            self.log.info(
                "%s %s%s", info["course_id"], info["assignment_id"],
                " (already downloaded)" if fetched else "",
            )  # fmt: skip
            found.append(info)
        return found

    def list_submissions(self) -> list[dict]:
        student = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        if self.cached and student is None:
            student = os.environ.get("JUPYTERHUB_USER") or None
        groups: dict[tuple, list] = {}
        for record in self.submissions(student, self.coursedir.assignment_id or None):
            folder = self.student_folder(record["assignment_id"])
            local = os.path.join(folder, "feedback", record["timestamp"])
            has_local = os.path.isdir(local)
            info = {
                "course_id": record["course_id"],
                "student_id": record["student_id"],
                "assignment_id": record["assignment_id"],
                "timestamp": record["timestamp"],
                "status": "submitted",
                "sha256": record["sha256"],
                "notebooks": [
                    {"notebook_id": os.path.splitext(os.path.basename(n))[0]}
                    for n in record["files"]
                    if n.endswith(".ipynb")
                ],
                "has_exchange_feedback": bool(record.get("feedback")),
                "has_local_feedback": has_local,
                "feedback_updated": False,
                "local_feedback_path": local if has_local else None,
            }
            self.log.info(
                "%s %s %s %s", info["course_id"], info["student_id"], info["assignment_id"],
                info["timestamp"],
            )  # fmt: skip
            key = (record["course_id"], record["student_id"], record["assignment_id"])
            groups.setdefault(key, []).append(info)
        return [
            {
                "course_id": key[0],
                "student_id": key[1],
                "assignment_id": key[2],
                "status": "submitted",
                "submissions": items,
            }
            for key, items in sorted(groups.items())
        ]
