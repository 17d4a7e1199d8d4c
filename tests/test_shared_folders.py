"""Course shared folders: linked into each module folder, read-only where the mount is.

The last tests run a real Jupyter server behind a real read-only bind mount, as Kubernetes
mounts a volume with ``readOnly: true`` in a student's pod, and a second one on the same
folder writable, as in a member of staff's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from coursekit.background_seeding import SeedingService
from coursekit.export import plan_export
from coursekit.manifest import ManifestProblem, SharedFolder, load_course
from coursekit.modules import ModuleService
from coursekit.shared_folders import expand_path, link_shared_folders
from coursekit.usage import allocated_bytes

from .conftest import write_manifest
from .test_demo import free_port

MANIFEST = """
modules:
  - code: TM351
    presentation: 25J
    content:
      - source: content
    shared:
      - name: shared
        title: Course shared folder
        path: ${COURSEKIT_SHARED_ROOT}/TM351-25J
"""


@pytest.fixture
def shared_root(tmp_path: Path) -> Path:
    """The volume as staff fill it: one folder per presentation, with a dataset."""
    folder = tmp_path / "volume" / "TM351-25J"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "cities.csv").write_text("city,population\nLeeds,812000\n")
    return tmp_path / "volume"


@pytest.fixture
def image(tmp_path: Path) -> Path:
    root = tmp_path / "image"
    (root / "content").mkdir(parents=True)
    (root / "content" / "README.md").write_text("# TM351\n")
    write_manifest(root, MANIFEST)
    return root


def test_the_folder_is_linked_into_the_module_and_described(
    tmp_path, image, shared_root, monkeypatch
):
    monkeypatch.setenv("COURSEKIT_SHARED_ROOT", str(shared_root))
    home = tmp_path / "home"
    service = ModuleService([str(image)], home).load()
    link = home / "TM351-25J" / "shared"
    assert link.is_symlink()
    assert os.readlink(link) == str(shared_root / "TM351-25J")
    assert (link / "data" / "cities.csv").read_text().startswith("city,")
    [module] = service.describe()["modules"]
    assert module["shared"] == [
        {
            "name": "shared",
            "title": "Course shared folder",
            "path": "TM351-25J/shared",
            "target": str(shared_root / "TM351-25J"),
            "status": "ready",
            "writable": os.access(shared_root / "TM351-25J", os.W_OK),
            "message": "",
        }
    ]


def test_a_reset_module_folder_gets_its_link_again(tmp_path, image, shared_root, monkeypatch):
    monkeypatch.setenv("COURSEKIT_SHARED_ROOT", str(shared_root))
    home = tmp_path / "home"
    service = ModuleService([str(image)], home).load()
    seeding = SeedingService(service)
    try:
        answer = asyncio.run(seeding.reset("TM351-25J"))
    finally:
        seeding.shutdown()
    assert (home / "TM351-25J" / "shared" / "data" / "cities.csv").is_file()
    assert (home / "TM351-25J" / "README.md").is_file()
    # The backup keeps the old link as it was: nothing of the shared folder was copied.
    backup_link = home / answer["backup"] / "shared"
    assert backup_link.is_symlink()
    assert sorted(os.listdir(shared_root / "TM351-25J")) == ["data"]


def test_a_folder_not_mounted_here_is_reported_and_linked_once_it_is(
    tmp_path, image, shared_root, monkeypatch
):
    monkeypatch.setenv("COURSEKIT_SHARED_ROOT", str(tmp_path / "not-yet"))
    home = tmp_path / "home"
    service = ModuleService([str(image)], home).load()
    [shared] = service.describe()["modules"][0]["shared"]
    assert shared["status"] == "unavailable"
    assert "is not mounted on this server" in shared["message"]
    assert str(tmp_path / "not-yet" / "TM351-25J") in shared["message"]
    # The platform mounts it later: the next look finds it through the same link.
    shutil.copytree(shared_root, tmp_path / "not-yet")
    [shared] = service.describe()["modules"][0]["shared"]
    assert shared["status"] == "ready"
    assert (home / "TM351-25J" / "shared" / "data" / "cities.csv").is_file()


def test_a_missing_variable_is_named_and_nothing_is_linked(tmp_path, image, monkeypatch):
    monkeypatch.delenv("COURSEKIT_SHARED_ROOT", raising=False)
    home = tmp_path / "home"
    service = ModuleService([str(image)], home).load()
    [shared] = service.describe()["modules"][0]["shared"]
    assert shared["status"] == "unavailable"
    assert shared["target"] is None
    assert "environment variable COURSEKIT_SHARED_ROOT" in shared["message"]
    assert not os.path.lexists(home / "TM351-25J" / "shared")


def test_expand_path():
    assert expand_path("${A}/x/../y", {"A": "/srv"}) == ("/srv/y", "")
    assert expand_path("/srv/${B}", {"B": "TM351"}) == ("/srv/TM351", "")
    target, why = expand_path("${A}/x", {"A": "relative"})
    assert target is None and "not absolute" in why


@pytest.mark.parametrize("kind", ["folder", "file", "live link"])
def test_a_name_the_student_uses_is_left_alone(tmp_path, shared_root, kind):
    module = tmp_path / "home" / "TM351-25J"
    module.mkdir(parents=True)
    mine = module / "shared"
    elsewhere = tmp_path / "my-notes"
    elsewhere.mkdir()
    if kind == "folder":
        mine.mkdir()
        (mine / "notes.md").write_text("mine")
    elif kind == "file":
        mine.write_text("mine")
    else:
        mine.symlink_to(elsewhere)
    folder = SharedFolder(name="shared", path=str(shared_root / "TM351-25J"))
    [link] = link_shared_folders(module, [folder], environ={})
    assert link.status == "blocked"
    assert "TM351-25J/shared is a" in link.message and "rename it" in link.message
    if kind == "folder":
        assert (mine / "notes.md").read_text() == "mine"
    elif kind == "file":
        assert mine.read_text() == "mine"
    else:
        assert os.readlink(mine) == str(elsewhere)


def test_a_link_to_a_folder_no_longer_mounted_is_pointed_at_the_new_place(tmp_path, shared_root):
    module = tmp_path / "home" / "TM351-25J"
    module.mkdir(parents=True)
    (module / "shared").symlink_to(tmp_path / "old-mount")  # leads nowhere now
    folder = SharedFolder(name="shared", path=str(shared_root / "TM351-25J"))
    [link] = link_shared_folders(module, [folder], environ={})
    assert link.status == "ready"
    assert os.readlink(module / "shared") == str(shared_root / "TM351-25J")
    assert sorted(os.listdir(module)) == ["shared"]  # no temporary link left behind


def refused(folder: Path, module_keys: str) -> ManifestProblem:
    """The one problem of a manifest whose only module, TM351-25J with ``module_keys``
    (YAML from line 4 on), is refused."""
    keys = textwrap.indent(textwrap.dedent(module_keys).strip(), "    ")
    text = f"modules:\n  - code: TM351\n    presentation: 25J\n{keys}\n"
    course = load_course([str(write_manifest(folder, text))])
    assert course.modules == []
    [problem] = course.problems
    return problem


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{name: ../up, path: /srv/x}", "modules[0].shared[0].name"),
        ("{name: .hidden, path: /srv/x}", "modules[0].shared[0].name"),
        ("{name: a/b, path: /srv/x}", "modules[0].shared[0].name"),
        ("{name: shared, path: srv/x}", "modules[0].shared[0].path"),
        ("{name: shared, path: /srv/x, mode: rw}", "modules[0].shared[0].mode"),
    ],
)
def test_a_bad_entry_is_refused_with_where_and_why(tmp_path, entry, expected):
    problem = refused(tmp_path, f"shared:\n  - {entry}")
    assert (problem.path, problem.line) == (expected, 5), problem


def test_two_folders_may_not_share_a_name(tmp_path):
    problem = refused(
        tmp_path,
        """
        shared:
          - {name: shared, path: /srv/a}
          - {name: shared, path: /srv/b}
        """,
    )
    assert (problem.path, problem.line) == ("modules[0].shared[1].name", 6)
    assert "two shared folders are named 'shared'" in problem.message


def test_content_that_uses_the_name_is_refused(tmp_path):
    (tmp_path / "content" / "shared").mkdir(parents=True)
    problem = refused(
        tmp_path,
        """
        content:
          - source: content
        shared:
          - {name: shared, path: /srv/a}
        """,
    )
    assert (problem.path, problem.line) == ("modules[0].shared[0].name", 7)
    assert "the course content (content[0]) already has 'shared'" in problem.message


def test_seeding_export_and_disk_use_never_go_through_the_link(
    tmp_path, image, shared_root, monkeypatch
):
    from coursekit.seeding import seed_module

    monkeypatch.setenv("COURSEKIT_SHARED_ROOT", str(shared_root))
    home = tmp_path / "home"
    service = ModuleService([str(image)], home).load()
    workspace = service.workspaces[0]
    before = sorted(p.relative_to(shared_root).as_posix() for p in shared_root.rglob("*"))
    (image / "content" / "notebooks").mkdir()
    (image / "content" / "notebooks" / "week1.md").write_text("week 1")
    for _ in range(2):  # a first seed, then an update
        report = seed_module(workspace.module, workspace.path)
        assert report.errors == [], report.errors
    after = sorted(p.relative_to(shared_root).as_posix() for p in shared_root.rglob("*"))
    assert after == before
    assert os.readlink(workspace.path / "shared") == str(shared_root / "TM351-25J")

    exported = [name for _, name in plan_export(workspace.path, "TM351-25J").files]
    assert not any("cities.csv" in name for name in exported), exported
    assert "TM351-25J/README.md" in exported
    big = shared_root / "TM351-25J" / "big.bin"
    base = allocated_bytes(home)
    big.write_bytes(os.urandom(4 << 20))
    assert allocated_bytes(home) == base


# -- a real server behind a real read-only mount ------------------------------------------


def _server(home: Path, image: Path, shared_root: Path, read_only_source: Path | None):
    """A Jupyter server with coursekit for ``home``; with ``read_only_source``, in a mount
    namespace of its own where ``shared_root`` is that folder bound read-only."""
    port = free_port()
    token = "shared-folders-test"
    server = [
        sys.executable,
        "-m",
        "jupyter_server",
        f"--port={port}",
        "--ip=127.0.0.1",
        "--no-browser",
        f"--ServerApp.root_dir={home}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.jpserver_extensions=jupyter_server_mcp=False",
    ]
    if os.getuid() == 0:
        server.append("--allow-root")
    argv = server
    if read_only_source is not None:
        # What Kubernetes does for a volume mounted readOnly: the same files, no writes.
        argv = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount --bind -o ro "$0" "$1" && shift && exec "$@"',
            str(read_only_source),
            str(shared_root),
            *server,
        ]
    env = {
        **os.environ,
        "COURSEKIT_MANIFEST": str(image),
        "COURSEKIT_SHARED_ROOT": str(shared_root),
        "HOME": str(home),
    }
    env.pop("COURSEKIT_MODULES", None)
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    return process, f"http://127.0.0.1:{port}", token


def _call(base: str, token: str, method: str, path: str, body: dict | None = None):
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@contextlib.contextmanager
def _running(home: Path, image: Path, shared_root: Path, read_only_source: Path | None):
    """The server's API as ``call(method, path, body=None)``, and the module's one shared
    folder as the server first describes it."""
    home.mkdir()
    process, base, token = _server(home, image, shared_root, read_only_source)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                status, body = _call(base, token, "GET", "/coursekit/api/modules")
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.3)
        [module] = body["modules"]
        [shared] = module["shared"]
        yield functools.partial(_call, base, token), shared
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


EDIT = {"type": "file", "format": "text", "content": "city\nMine\n"}


def test_a_student_reads_the_shared_folder_and_cannot_write_to_it(tmp_path, image, shared_root):
    """A real read-only bind mount in the server's own mount namespace; needs root (CI is)."""
    if shutil.which("unshare") is None or os.getuid() != 0:
        pytest.fail("this test mounts a folder read-only: it needs util-linux's unshare, as root")
    staff_copy = tmp_path / "staff-volume"
    shutil.copytree(shared_root, staff_copy)
    with _running(tmp_path / "student", image, shared_root, staff_copy) as (call, shared):
        assert (shared["status"], shared["writable"]) == ("ready", False), shared

        # The student browses and opens the course's files through the link...
        status, listing = call("GET", "/api/contents/TM351-25J/shared/data")
        assert status == 200 and [item["name"] for item in listing["content"]] == ["cities.csv"]
        status, model = call("GET", "/api/contents/TM351-25J/shared/data/cities.csv")
        assert status == 200 and model["content"].startswith("city,population")
        # ...staff add a file, and the student sees it at once: one folder, not a copy...
        (staff_copy / "TM351-25J" / "week2.csv").write_text("new\n")
        status, listing = call("GET", "/api/contents/TM351-25J/shared")
        assert "week2.csv" in [item["name"] for item in listing["content"]]
        # ...but cannot change, add or delete anything there, and is told why.
        for method, path, body in [
            ("PUT", "shared/data/cities.csv", EDIT),
            ("PUT", "shared/mine.txt", EDIT),
            ("DELETE", "shared/week2.csv", None),
        ]:
            status, answer = call(method, f"/api/contents/TM351-25J/{path}", body)
            # jupyter_server's words: EACCES-style for an existing file, the OS's for a new one.
            refusal = ("Permission denied", "Read-only file system")
            assert status in (403, 500) and any(w in answer["message"] for w in refusal), answer
        assert (staff_copy / "TM351-25J" / "data" / "cities.csv").read_text().startswith("city,")
        assert sorted(os.listdir(staff_copy / "TM351-25J")) == ["data", "week2.csv"]
        # Their own module folder stays theirs to write.
        status, _ = call("PUT", "/api/contents/TM351-25J/mine.txt", EDIT)
        assert status == 201


def test_staff_write_to_the_shared_folder_where_it_is_mounted_writable(
    tmp_path, image, shared_root
):
    with _running(tmp_path / "staff", image, shared_root, None) as (call, shared):
        assert (shared["status"], shared["writable"]) == ("ready", True), shared
        status, _ = call("PUT", "/api/contents/TM351-25J/shared/week3.md", EDIT)
        assert status == 201
        assert (shared_root / "TM351-25J" / "week3.md").read_text() == EDIT["content"]
