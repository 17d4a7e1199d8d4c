"""First-run steps with a real initdb, and ``jupyter coursekit seed|index`` as a hub hook runs them."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

from coursekit.manifest import ContentSource, InitStep, Module
from coursekit.seeding import seed_module

from .conftest import EXAMPLE_COURSE, write_manifest
from .postgres import require_binaries, unprivileged, unprivileged_folder


def test_init_step_runs_a_real_initdb_once_after_the_first_seed():
    # initdb refuses to run as root, so as root the step runs it as 'nobody' in a folder
    # 'nobody' can reach (pytest's tmp_path is private to root).
    root = unprivileged_folder("coursekit-initdb-")
    content = root / "content"
    content.mkdir()
    (content / "README.md").write_text("db module")
    initdb = f"{require_binaries()}/initdb -D pgdata -A trust -U student >/dev/null"
    command = shlex.join(unprivileged(["sh", "-c", initdb]))
    step = InitStep("postgres", command, timeout=120)
    module = Module(
        "TM351", "25J", content=(ContentSource("directory", str(content)),), init=(step,)
    )
    workspace = root / "TM351-25J"
    workspace.mkdir(mode=0o777)
    os.chmod(workspace, 0o777)
    try:
        report = seed_module(module, workspace, cache_dir=root / "cache")
        assert report.init == [{"name": "postgres", "status": "ok", "message": ""}], report.init
        assert (workspace / "pgdata" / "PG_VERSION").exists()
        again = seed_module(module, workspace, cache_dir=root / "cache")
        assert again.init == [] and again.noop
    finally:
        subprocess.run(["rm", "-rf", str(root)], check=True)


def test_failed_init_step_is_reported_and_retried_at_the_next_seed(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text("a")
    flag = tmp_path / "may-succeed"
    step = InitStep(
        "setup", f"test -e {flag} && echo configured > setup.log || (echo nope >&2; exit 3)"
    )
    later = InitStep("after", ("touch", "after.done"))
    module = Module(
        "TM351", "25J", content=(ContentSource("directory", str(content)),), init=(step, later)
    )
    workspace = tmp_path / "m"
    report = seed_module(module, workspace, cache_dir=tmp_path / "c")
    assert [(s["name"], s["status"]) for s in report.init] == [
        ("setup", "failed"),
        ("after", "skipped"),
    ]
    assert "nope" in report.init[0]["message"] and "1 first-run step failed" in report.summary()
    flag.touch()
    report = seed_module(module, workspace, cache_dir=tmp_path / "c")
    assert [(s["name"], s["status"]) for s in report.init] == [("setup", "ok"), ("after", "ok")]
    assert (workspace / "setup.log").read_text() == "configured\n" and (
        workspace / "after.done"
    ).exists()


def test_init_step_that_hangs_is_stopped_at_its_timeout(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    module = Module(
        "TM351",
        "25J",
        content=(ContentSource("directory", str(content)),),
        init=(InitStep("slow", "sleep 30", timeout=0.5),),
    )
    report = seed_module(module, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.init[0]["status"] == "failed" and "0.5 s" in report.init[0]["message"]


def coursekit(*args: str) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("COURSEKIT_MODULES", "COURSEKIT_MANIFEST")
    }
    return subprocess.run(
        [sys.executable, "-m", "coursekit.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_seed_json_reports_each_module_and_a_second_run_is_a_noop(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = coursekit("seed", "--manifest", str(EXAMPLE_COURSE), "--home", str(home), "--json")
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)["modules"]
    assert report["module_id"] == "TM351-25J" and "README.md" in report["added"]
    assert (home / "TM351-25J" / "README.md").exists()
    again = coursekit("seed", "--manifest", str(EXAMPLE_COURSE), "--home", str(home))
    assert again.returncode == 0 and again.stdout.strip() == "TM351-25J: up to date"


def test_cli_seed_copies_with_the_threads_it_is_given(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    args = ["seed", "--manifest", str(EXAMPLE_COURSE), "--home", str(home)]
    result = coursekit(*args, "--copy-threads=1")
    assert result.returncode == 0, result.stderr
    assert (home / "TM351-25J" / "README.md").exists()
    refused = coursekit(*args, "--copy-threads=0")
    assert refused.returncode != 0 and "copy_threads" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_cli_seed_with_a_bad_manifest_fails_with_one_line(tmp_path):
    manifest = write_manifest(tmp_path, "modules:\n  - code: TM351\n    presentaton: 25J\n")
    result = coursekit("seed", "--manifest", str(manifest), "--home", str(tmp_path))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "presentaton" in result.stderr


def test_cli_seed_with_a_missing_home_fails_with_one_line(tmp_path):
    result = coursekit("seed", "--manifest", str(EXAMPLE_COURSE), "--home", str(tmp_path / "nope"))
    assert result.returncode == 2 and "is not a directory" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_index_writes_the_content_index(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    result = coursekit("index", str(tmp_path))
    assert result.returncode == 0, result.stderr
    index = json.loads((tmp_path / ".coursekit-index.json").read_text())
    assert list(index["files"]) == ["a.txt"] and len(index["digest"]) == 64
