"""The reference hub end to end: real JupyterHub, configurable-http-proxy and single-user
servers on loopback, driven over HTTP the way a browser drives them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import REPO
from .process_tree import command_line, descendants, environ_of

HUB_DIR = REPO / "images" / "hub"
PASSWORD = "e2e-password"
MODULE = "TM351-25J"
HUB_START_TIMEOUT = 45
SPAWN_TIMEOUT = 60
SEED_TIMEOUT = 60
CULL_TIMEOUT = "900"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Hub:
    def __init__(self, url: str, state: Path, process: subprocess.Popen, log: Path) -> None:
        self.url, self.state, self.process, self.log = url, state, process, log

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def login(self, username: str) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=10)
        assert page.status_code == 200, page.text[:500]
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        assert xsrf, "the login form has no _xsrf field"
        answer = session.post(
            f"{self.url}/hub/login?next=",
            data={"username": username, "password": PASSWORD, "_xsrf": xsrf.group(1)},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, f"login of {username} failed: {answer.status_code}"
        return session

    def spawn(self, session: requests.Session, username: str) -> None:
        """Start the server as the spawn page does, then open JupyterLab: that page view
        runs the OAuth handshake that gives the session its cookie for the server."""
        session.get(f"{self.url}/hub/spawn/{username}", timeout=SPAWN_TIMEOUT)
        lab = f"{self.url}/user/{username}/lab"
        deadline = time.monotonic() + SPAWN_TIMEOUT
        while True:
            answer = session.get(lab, timeout=SPAWN_TIMEOUT)
            if answer.status_code == 200 and answer.url.split("?")[0] == lab:
                return
            assert self.process.poll() is None, f"the hub exited:\n{self.log_tail()}"
            assert time.monotonic() < deadline, (
                f"{username}'s server never answered ({answer.status_code} {answer.url}):\n"
                f"{self.log_tail()}"
            )
            time.sleep(0.5)

    def server_environ(self, username: str) -> dict[str, str]:
        home = str(self.state / "homes" / username)
        for pid in descendants(self.process.pid):
            try:
                env = environ_of(pid)
                args = command_line(pid)
            except OSError:
                continue
            if env.get("HOME") == home and any("jupyterhub-singleuser" in a for a in args):
                return env
        raise AssertionError(f"no single-user server process for {username}")


@contextlib.contextmanager
def running_hub(state: Path, extra_env: dict[str, str] | None = None) -> Iterator[Hub]:
    """The reference hub started from images/hub/jupyterhub_config.py on free loopback
    ports, its state in ``state``; stopped with everything below it on exit."""
    proxy = subprocess.run(
        ["bash", str(HUB_DIR / "install-hub.sh"), "--proxy-dir", str(HUB_DIR)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proxy.returncode == 0, f"configurable-http-proxy is not available: {proxy.stderr}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COURSEKIT_HUB_STATE": str(state),
        "COURSEKIT_HUB_URL": url,
        "COURSEKIT_HUB_API_PORT": str(free_port()),
        "COURSEKIT_PROXY_API_PORT": str(free_port()),
        "COURSEKIT_EXCHANGE_PORT": str(free_port()),
        "COURSEKIT_HUB_PASSWORD": PASSWORD,
        "COURSEKIT_CULL_TIMEOUT": CULL_TIMEOUT,
        "PATH": f"{Path(proxy.stdout.strip()).parent}{os.pathsep}{os.environ['PATH']}",
        **(extra_env or {}),
    }
    for leaked in ("COURSEKIT_MODULES", "COURSEKIT_MANIFEST", "JUPYTERHUB_API_TOKEN"):
        env.pop(leaked, None)
    log = state / "hub.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(HUB_DIR / "jupyterhub_config.py")],
            cwd=state,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(url, state, process, log)
    try:
        deadline = time.monotonic() + HUB_START_TIMEOUT
        while True:
            try:
                if requests.get(f"{url}/hub/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, f"the hub exited:\n{hub.log_tail()}"
            assert time.monotonic() < deadline, f"the hub never came up:\n{hub.log_tail()}"
            time.sleep(0.2)
        yield hub
    finally:
        stop(process)


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub-state")) as started:
        yield started


def stop(process: subprocess.Popen) -> None:
    """SIGTERM lets the hub stop the servers and the proxy; whatever outlives it is killed."""
    below = descendants(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def student1(hub: Hub) -> requests.Session:
    session = hub.login("student1")
    hub.spawn(session, "student1")
    return session


def test_student_lands_in_their_module_through_the_proxy(hub, student1):
    answer = student1.get(f"{hub.url}/user/student1/coursekit/api/modules", timeout=10)
    assert answer.status_code == 200
    modules = answer.json()["modules"]
    assert [m["id"] for m in modules] == [MODULE]
    assert modules[0]["status"] == "ready"
    assert (hub.state / "homes" / "student1" / MODULE).is_dir()
    # The course shared folder: the hub's stand-in volume, linked into the module folder.
    [shared] = modules[0]["shared"]
    assert shared["status"] == "ready", shared
    assert shared["target"] == str(hub.state / "shared" / MODULE)
    readme = student1.get(
        f"{hub.url}/user/student1/api/contents/{MODULE}/shared/README.md", timeout=10
    )
    assert readme.status_code == 200 and "shared folder" in readme.json()["content"]


def test_login_and_spawn_pages_carry_the_institutions_branding(hub, student1):
    # The example institution's branding.yaml, the same file JupyterLab's branding reads.
    login = requests.get(f"{hub.url}/hub/login", timeout=10)
    assert login.status_code == 200
    assert "<title>Open University</title>" in login.text
    assert 'src="data:image/svg+xml;base64,' in login.text  # the logo, inline
    assert "--coursekit-accent: #0b5cab" in login.text
    home = student1.get(f"{hub.url}/hub/home", timeout=10)
    assert "<title>Open University</title>" in home.text


def test_hub_tells_the_server_the_enrolment_and_the_cull_timeout(hub, student1):
    env = hub.server_environ("student1")
    assert env["COURSEKIT_MODULES"] == MODULE
    assert env["COURSEKIT_ROLE"] == "student"
    assert env["COURSEKIT_CULL_TIMEOUT"] == CULL_TIMEOUT
    assert env["COURSEKIT_MANIFEST"] == str(REPO / "images" / "example-course")


def test_student_module_is_seeded(hub, student1):
    url = f"{hub.url}/user/student1/coursekit/api/modules/{MODULE}/seed"
    deadline = time.monotonic() + SEED_TIMEOUT
    while True:
        answer = student1.get(url, timeout=10)
        assert answer.status_code == 200, answer.text
        seed = answer.json()
        if seed["state"] in ("done", "failed"):
            break
        assert time.monotonic() < deadline, f"seeding never finished: {seed}\n{hub.log_tail()}"
        time.sleep(0.5)
    assert seed["state"] == "done", seed
    assert (hub.state / "homes" / "student1" / MODULE / "README.md").is_file()


def test_another_student_cannot_reach_the_first_ones_server(hub, student1):
    student2 = hub.login("student2")
    for path in ("lab", "coursekit/api/modules", f"api/contents/{MODULE}"):
        answer = student2.get(f"{hub.url}/user/student1/{path}", timeout=30)
        denied = answer.status_code == 403 or "/hub/login" in answer.url
        assert denied, f"student2 got {answer.status_code} at {answer.url}"
        assert MODULE not in answer.text


def test_instructor_sees_the_roster_of_their_presentation(hub):
    instructor = hub.login("instructor1")
    xsrf = instructor.cookies.get("_xsrf", path="/hub/")
    answer = instructor.get(
        f"{hub.url}/hub/api/users", headers={"X-XSRFToken": xsrf or ""}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert {u["name"] for u in answer.json()} >= {"student1", "student2"}


def test_a_student_cannot_list_users(hub):
    student2 = hub.login("student2")
    xsrf = student2.cookies.get("_xsrf", path="/hub/")
    answer = student2.get(
        f"{hub.url}/hub/api/users", headers={"X-XSRFToken": xsrf or ""}, timeout=10
    )
    assert answer.status_code == 403 or [u["name"] for u in answer.json()] == ["student2"]


@pytest.fixture(scope="module")
def instructor1(hub: Hub) -> requests.Session:
    session = hub.login("instructor1")
    hub.spawn(session, "instructor1")
    return session


def test_instructor_sees_the_formgrader_and_a_student_has_none(hub, student1, instructor1):
    # nbgrader's formgrader server extension: on in the instructor's server, switched off
    # by the spawn hook in a student's (coursekit_hub.INSTRUCTOR_SERVER_EXTENSIONS).
    formgrader = instructor1.get(f"{hub.url}/user/instructor1/formgrader", timeout=60)
    assert formgrader.status_code == 200, formgrader.text[:500]
    # It redirects to its first page, the instructor's assignments.
    assert formgrader.url == f"{hub.url}/user/instructor1/formgrader/manage_assignments"
    assert "<title>nbgrader formgrade</title>" in formgrader.text
    assert "Manage Assignments" in formgrader.text
    refused = student1.get(f"{hub.url}/user/student1/formgrader", timeout=60)
    assert refused.status_code == 404, (refused.status_code, refused.url)
    # The matching JupyterLab plugins are hidden from the student only.
    for session, name, hidden in (
        (student1, "student1", True),
        (instructor1, "instructor1", False),
    ):
        lab = session.get(f"{hub.url}/user/{name}/lab", timeout=60)
        disabled = page_config(lab.text)["disabledExtensions"]
        assert ("@jupyter/nbgrader:formgrader" in disabled) == hidden, (name, disabled)
        assert ("@jupyter/nbgrader:create-assignment" in disabled) == hidden, name


def page_config(html: str) -> dict:
    """JupyterLab's page config, as the page carries it."""
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the page has no jupyter-config-data"
    return json.loads(found.group(1))
