"""Shared fixtures: real course trees on disk and a real Jupyter server with coursekit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from . import postgres

pytest_plugins = ("pytest_jupyter.jupyter_server",)

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_COURSE = REPO / "images" / "example-course"


def write_manifest(folder: Path, text: str, name: str = "course.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """Two modules' worth of content and a manifest that describes both."""
    root = tmp_path / "image"
    for code in ("TM351", "M269"):
        content = root / "content" / code
        (content / "notebooks").mkdir(parents=True)
        (content / "README.md").write_text(f"# {code}\n")
    write_manifest(
        root,
        """
        modules:
          - code: TM351
            presentation: 25J
            title: Data management and analysis
            content:
              - source: content/TM351
          - code: M269
            presentation: 25J
            title: Algorithms, data structures and computability
            content:
              - source: content/M269
        """,
    )
    return root


@pytest.fixture
def jp_server_config(jp_root_dir, course_dir, monkeypatch):
    monkeypatch.delenv("COURSEKIT_MODULES", raising=False)
    return {
        "ServerApp": {
            "jpserver_extensions": {"coursekit": True},
            "allow_unauthenticated_access": False,
        },
        "CourseKit": {"manifest_paths": [str(course_dir)]},
    }


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole run (tests/postgres.py)."""
    with postgres.running_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def exchange_db_url(request):
    """The exchange's database, once per backend: None for the default (SQLite in the
    exchange's folder), else a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with request.getfixturevalue("postgres_server").new_database() as url:
        yield url


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """coursekit's wheel, built from this tree as an image build gets it (the course image
    and the hub image both install it)."""
    if not (REPO / "coursekit" / "labextension" / "package.json").is_file():
        pytest.fail(
            "build the lab extension first (scripts/install does): coursekit/labextension is missing"
        )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=600,
    )
    (built,) = out.glob("coursekit-*.whl")
    return built
