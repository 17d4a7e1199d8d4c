"""``jupyter coursekit validate|list``, run as a course team or an image build runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import EXAMPLE_COURSE, write_manifest


def coursekit(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, **(env or {})}
    environ.pop("COURSEKIT_MODULES", None)
    return subprocess.run(
        [sys.executable, "-m", "coursekit.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def test_validate_example_course():
    result = coursekit("validate", str(EXAMPLE_COURSE))
    assert result.returncode == 0, result.stderr
    assert "TM351-25J" in result.stdout


def test_validate_reports_each_problem_and_exits_1(tmp_path):
    manifest = write_manifest(tmp_path, "modules:\n  - code: TM351\n    presentaton: 25J\n")
    result = coursekit("validate", str(manifest))
    assert result.returncode == 1
    assert (
        f"{manifest}:3: modules[0].presentaton: unknown key 'presentaton'; did you mean 'presentation'?"
        in result.stderr
    )
    assert f"{manifest}:2: modules[0]: missing the required key 'presentation'" in result.stderr


def test_validate_json(tmp_path):
    manifest = write_manifest(tmp_path, "modules: [\n")
    result = coursekit("validate", "--json", str(manifest))
    assert result.returncode == 1
    assert json.loads(result.stdout)["problems"][0]["code"] == "manifest-not-yaml"


def test_validate_with_nothing_to_read_fails_clearly(tmp_path):
    result = coursekit("validate", str(tmp_path / "empty-folder"))
    assert result.returncode == 2
    assert "no manifest found" in result.stderr


def test_list_uses_the_environment_variable(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = coursekit("list", "--home", str(home), env={"COURSEKIT_MANIFEST": str(EXAMPLE_COURSE)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\t")[0] == "TM351-25J"
    assert str(home / "TM351-25J") in result.stdout
    assert not (home / "TM351-25J").exists(), "list must not create anything"


def test_list_narrowed_by_module(tmp_path, course_dir):
    result = coursekit(
        "list",
        "--json",
        "--manifest",
        str(course_dir),
        "--module",
        "M269-25J",
        "--home",
        str(tmp_path),
    )
    assert [m["id"] for m in json.loads(result.stdout)["modules"]] == ["M269-25J"]


def test_no_subcommand_prints_help_and_fails():
    result = coursekit()
    assert result.returncode == 2
    assert "validate" in result.stderr + result.stdout
