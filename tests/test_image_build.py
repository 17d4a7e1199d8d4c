"""The course image's install logic and the wheel it installs, checked without Docker."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from coursekit.manifest import load_course

from .conftest import EXAMPLE_COURSE, REPO, write_manifest

INSTALL = REPO / "images" / "base" / "install-coursekit.sh"


def run_install(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL), *args], capture_output=True, text=True, timeout=300
    )


def test_install_script_lays_out_the_course(tmp_path):
    result = run_install("--course", str(EXAMPLE_COURSE), "--prefix", str(tmp_path))
    assert result.returncode == 0, result.stderr
    link = tmp_path / "etc/jupyter/coursekit/TM351-25J.yaml"
    assert link.is_symlink()
    course = load_course([str(link.parent)])
    assert course.problems == []
    (source,) = course.modules[0].content
    assert Path(source.location) == tmp_path / "opt/coursekit/courses/example-course/content/TM351"
    assert (Path(source.location) / "notebooks" / "01-getting-started.ipynb").is_file()
    assert oct(Path(source.location).stat().st_mode & 0o777) == "0o755"


def test_install_script_fails_the_build_on_a_bad_manifest(tmp_path):
    course = tmp_path / "bad-course"
    write_manifest(
        course,
        "modules:\n  - code: TM351\n    presentation: 25J\n    tittle: x\n",
        "TM351-25J.yaml",
    )
    result = run_install("--course", str(course), "--prefix", str(tmp_path / "root"))
    assert result.returncode != 0
    assert "did you mean 'title'?" in result.stderr


def test_install_script_rejects_unknown_options():
    result = run_install("--frobnicate")
    assert result.returncode == 2
    assert "unknown option --frobnicate" in result.stderr


def test_wheel_carries_the_prebuilt_lab_extension_and_enables_the_server_extension(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    share = f"{data}/data/share/jupyter/labextensions/coursekit"
    assert f"{share}/package.json" in names
    assert f"{share}/install.json" in names
    assert any(n.startswith(f"{share}/static/remoteEntry.") for n in names)
    assert f"{data}/data/etc/jupyter/jupyter_server_config.d/coursekit.json" in names
    assert "coursekit/schema/course.schema.json" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_wheel_carries_the_translations_where_jupyterlab_looks(wheel):
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert "coursekit/locale/fr_FR/LC_MESSAGES/coursekit.json" in names
    (points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "[jupyterlab.locale]\ncoursekit = coursekit" in archive.read(points).decode()
