"""The coursekit nbgrader exchange against a real JupyterHub running it as a service.

Two students and one instructor, each with a real single-user server; nbgrader's own
commands run with each server's environment (its ``JUPYTERHUB_API_TOKEN`` and
``COURSEKIT_EXCHANGE_URL``), on nbgrader's quickstart course. Then the attacks a student
could try with their own token, each of which must be refused.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .test_exchange_storage import tar_of
from .test_hub_e2e import MODULE, Hub, running_hub

ASSIGNMENT = "ps1"
MAX_UPLOAD_MB = 2
NBGRADER_TIMEOUT = 300
# Only the course: the exchange plugins come from the nbgrader_config.json the hub puts on
# the servers' JUPYTER_CONFIG_PATH, as `jupyter coursekit apply` does in a course image.
EXCHANGE_CONFIG = """
c.CourseDirectory.course_id = "{course}"
"""


class Person:
    """A hub user with a running server; runs nbgrader as that server would."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.name = name
        self.session = hub.login(name)
        hub.spawn(self.session, name)
        self.env = hub.server_environ(name)
        self.token = self.env["JUPYTERHUB_API_TOKEN"]
        self.exchange = self.env["COURSEKIT_EXCHANGE_URL"].rstrip("/")
        self.home = hub.state / "homes" / name
        self.exchange_root = hub.state / "exchange"

    def nbgrader(self, cwd: Path, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=NBGRADER_TIMEOUT,
        )
        assert done.returncode == 0, (
            f"{self.name}: nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        )
        return done

    def api(self, method: str, path: str, token: str | None = "own", **kwargs):
        headers = kwargs.pop("headers", {})
        if token == "own":
            token = self.token
        if token is not None:
            headers["Authorization"] = f"token {token}"
        return requests.request(
            method, f"{self.exchange}/api/{path}", headers=headers, timeout=60, **kwargs
        )


@pytest.fixture(scope="module")
def exchange_database(postgres_server):
    with postgres_server.new_database() as url:
        yield url


@pytest.fixture(scope="module")
def hub(tmp_path_factory, exchange_database):
    """The reference hub, its exchange's catalog in PostgreSQL as in production (the
    storage and service tests cover the SQLite default)."""
    state = tmp_path_factory.mktemp("hub-state")
    environment = {
        "COURSEKIT_EXCHANGE_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB),
        "COURSEKIT_EXCHANGE_DB_URL": exchange_database,
    }
    with running_hub(state, environment) as started:
        yield started


@pytest.fixture(scope="module")
def people(hub):
    return {name: Person(hub, name) for name in ("instructor1", "student1", "student2")}


def release_quickstart(teacher: Person, due: str | None = None) -> Path:
    """The instructor makes nbgrader's quickstart course for the module, in their home,
    and releases its first assignment through the exchange (due at ``due``, a date
    nbgrader understands, if given); returns the course folder."""
    grading = teacher.home / "grading"
    grading.mkdir()
    teacher.nbgrader(grading, "quickstart", MODULE)
    course = grading / MODULE
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(EXCHANGE_CONFIG.format(course=MODULE))
    if due is not None:
        teacher.nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due}")
    teacher.nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    teacher.nbgrader(course, "release_assignment", ASSIGNMENT)
    return course


def return_feedback(teacher: Person, course: Path) -> None:
    """The instructor marks what was submitted and sends the feedback back."""
    teacher.nbgrader(course, "collect", ASSIGNMENT)
    teacher.nbgrader(course, "autograde", ASSIGNMENT)
    teacher.nbgrader(course, "generate_feedback", ASSIGNMENT)
    teacher.nbgrader(course, "release_feedback", ASSIGNMENT)


@pytest.fixture(scope="module")
def cycle(people):
    """nbgrader's whole cycle through the exchange; returns the course folder."""
    teacher, students = people["instructor1"], [people["student1"], people["student2"]]
    course = release_quickstart(teacher)

    for student in students:
        work = student.home / MODULE
        work.mkdir(exist_ok=True)
        (work / "nbgrader_config.py").write_text(EXCHANGE_CONFIG.format(course=MODULE))
        student.nbgrader(work, "fetch_assignment", ASSIGNMENT)
        assert (work / ASSIGNMENT / "problem1.ipynb").is_file()
        student.nbgrader(work, "submit", ASSIGNMENT)

    return_feedback(teacher, course)
    for student in students:
        student.nbgrader(student.home / MODULE, "fetch_feedback", ASSIGNMENT)
    return course


def test_the_whole_nbgrader_cycle_goes_through_the_exchange(people, cycle):
    for name in ("student1", "student2"):
        submitted = cycle / "submitted" / name / ASSIGNMENT
        assert (submitted / "problem1.ipynb").is_file()
        assert (submitted / "timestamp.txt").read_text().strip()
        assert (cycle / "autograded" / name / ASSIGNMENT / "problem1.ipynb").is_file()
        feedback = list((people[name].home / MODULE / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert {f.name for f in feedback} >= {"problem1.html", "problem2.html"}, feedback
        assert b"problem1" in (feedback[0].parent / "problem1.html").read_bytes()


def test_a_student_lists_only_their_own_submissions_with_feedback(people, cycle):
    listed = people["student1"].api("GET", f"courses/{MODULE}/submissions").json()
    assert {s["student_id"] for s in listed["submissions"]} == {"student1"}
    assert all(s["feedback"] for s in listed["submissions"])
    everyone = people["instructor1"].api("GET", f"courses/{MODULE}/submissions").json()
    assert {s["student_id"] for s in everyone["submissions"]} == {"student1", "student2"}


def test_the_servers_are_given_no_exchange_folder(people, cycle):
    for person in people.values():
        assert (person.exchange_root / "content" / MODULE / "submissions").is_dir()  # its disk
        assert not (person.exchange_root / "exchange.sqlite").exists()  # PostgreSQL instead
        assert str(person.exchange_root) not in json.dumps(person.env)
        assert person.exchange.startswith("http")


def submission_of(people, name: str) -> dict:
    listed = people["instructor1"].api(
        "GET", f"courses/{MODULE}/submissions", params={"student": name}
    )
    return listed.json()["submissions"][-1]


def test_a_student_cannot_read_another_students_submission_or_feedback(people, cycle):
    theirs = submission_of(people, "student1")
    attacker = people["student2"]
    base = f"courses/{MODULE}/submissions/student1/{ASSIGNMENT}/{theirs['submission_id']}"
    for path in (base, f"{base}/feedback"):
        answer = attacker.api("GET", path)
        assert answer.status_code == 403, (path, answer.status_code)
        assert b"problem" not in answer.content
    listing = attacker.api("GET", f"courses/{MODULE}/submissions", params={"student": "student1"})
    assert listing.status_code == 403
    # The owner and the instructor can.
    assert people["student1"].api("GET", f"{base}/feedback").status_code == 200
    assert people["instructor1"].api("GET", base).status_code == 200


def test_a_student_cannot_submit_as_someone_else(people, cycle):
    attacker = people["student2"]
    before = len(
        people["instructor1"]
        .api("GET", f"courses/{MODULE}/submissions", params={"student": "student1"})
        .json()["submissions"]
    )
    data = tar_of({"problem1.ipynb": b"{}"})
    answer = attacker.api(
        "POST",
        f"courses/{MODULE}/releases/{ASSIGNMENT}/submissions",
        params={"student": "student1", "student_id": "student1"},
        headers={
            "X-Jupyterhub-User": "student1",
            "X-Content-SHA256": hashlib.sha256(data).hexdigest(),
        },
        data=data,
    )
    assert answer.status_code == 201
    assert answer.json()["student_id"] == "student2"  # stored as who the token says
    after = people["instructor1"].api(
        "GET", f"courses/{MODULE}/submissions", params={"student": "student1"}
    )
    assert len(after.json()["submissions"]) == before


def test_students_cannot_release_or_return_feedback(people, cycle):
    student = people["student1"]
    data = tar_of({"problem1.ipynb": b"{}"})
    assert student.api("PUT", f"courses/{MODULE}/releases/ps2", data=data).status_code == 403
    assert student.api("DELETE", f"courses/{MODULE}/releases/{ASSIGNMENT}").status_code == 403
    mine = submission_of(people, "student1")
    path = f"courses/{MODULE}/submissions/student1/{ASSIGNMENT}/{mine['submission_id']}/feedback"
    assert student.api("PUT", path, data=tar_of({"problem1.html": b"100%"})).status_code == 403


def test_staff_of_one_course_cannot_touch_another(people, cycle):
    teacher = people["instructor1"]
    for method, path in (
        ("GET", "courses/M269-25J/releases"),
        ("GET", "courses/M269-25J/submissions"),
        ("PUT", "courses/M269-25J/releases/ps1"),
    ):
        answer = teacher.api(method, path, data=tar_of({"a.ipynb": b"{}"}))
        assert answer.status_code == 403, (method, path, answer.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "courses/%2E%2E/releases",
        f"courses/{MODULE}/releases/%2E%2E",
        f"courses/{MODULE}/releases/..%2F..%2Fetc",
        f"courses/{MODULE}/submissions/%2E%2E/{ASSIGNMENT}/x",
        f"courses/{MODULE}/submissions/student1/{ASSIGNMENT}/..%2F..",
    ],
)
def test_traversal_in_ids_is_refused(people, cycle, path):
    answer = people["instructor1"].api("GET", path)
    assert answer.status_code in (400, 404), (path, answer.status_code)
    assert answer.status_code == 400 or answer.json()["code"] != "not-found", answer.text


def test_an_oversize_upload_is_refused(people, cycle):
    big = b"x" * (MAX_UPLOAD_MB * 1024 * 1024 + 1)
    answer = people["student1"].api(
        "POST", f"courses/{MODULE}/releases/{ASSIGNMENT}/submissions", data=big
    )
    assert answer.status_code == 413
    assert "limit" in answer.json()["message"]


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_request_without_a_valid_token_is_refused(people, cycle, token):
    answer = people["student1"].api("GET", f"courses/{MODULE}/submissions", token=token)
    assert answer.status_code in (401, 403)
    assert "submissions" not in answer.json()
