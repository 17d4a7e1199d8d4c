"""Module workspaces: which modules, which folders, and errors that never stop the server."""

from __future__ import annotations

import stat

import pytest

from coursekit.errors import NotFound, UnsafePath
from coursekit.manifest import load_course
from coursekit.modules import ModuleService
from coursekit.workspaces import enrolled_from_env, select_modules, workspace_path


def test_every_module_gets_a_private_folder(course_dir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    service = ModuleService([str(course_dir)], home).load()
    assert [w.status for w in service.workspaces] == ["ready", "ready"]
    for name in ("TM351-25J", "M269-25J"):
        folder = home / name
        assert folder.is_dir()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_enrolment_narrows_and_reports_unknown(course_dir, tmp_path):
    course = load_course([str(course_dir)])
    modules, unknown = select_modules(course, ["M269-25J", "XX1-25J"])
    assert [m.id for m in modules] == ["M269-25J"]
    assert unknown == ["XX1-25J"]
    service = ModuleService([str(course_dir)], tmp_path, ["M269-25J", "XX1-25J"]).load()
    assert [w.module.id for w in service.workspaces] == ["M269-25J"]
    assert not (tmp_path / "TM351-25J").exists()
    assert [p.code for p in service.problems] == ["module-not-in-image"]


def test_enrolment_from_environment():
    assert enrolled_from_env({"COURSEKIT_MODULES": "TM351-25J, M269-25J"}) == [
        "TM351-25J",
        "M269-25J",
    ]
    assert enrolled_from_env({"COURSEKIT_MODULES": ""}) == []
    assert enrolled_from_env({}) is None


def test_file_in_the_way_is_an_error_not_a_crash(course_dir, tmp_path):
    (tmp_path / "TM351-25J").write_text("my notes")
    service = ModuleService([str(course_dir)], tmp_path).load()
    blocked, other = service.workspaces
    assert blocked.status == "error"
    assert blocked.error.code == "workspace-blocked"
    assert "rename or move" in blocked.error.message
    assert (tmp_path / "TM351-25J").read_text() == "my notes"
    assert other.status == "ready"


def test_unwritable_home_is_an_error_not_a_crash(course_dir, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pathlib.Path.mkdir", refuse)
    service = ModuleService([str(course_dir)], home).load()
    assert {w.status for w in service.workspaces} == {"error"}
    assert "Permission denied" in service.workspaces[0].error.message


def test_symlinked_workspace_is_not_followed(course_dir, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    (home / "TM351-25J").symlink_to(outside)
    service = ModuleService([str(course_dir)], home).load()
    assert service.workspaces[0].error.code == "workspace-is-symlink"


def test_template_cannot_leave_the_home(course_dir, tmp_path):
    module = load_course([str(course_dir)]).modules[0]
    assert (
        workspace_path(tmp_path, module, "courses/{code}/{presentation}")
        == tmp_path / "courses/TM351/25J"
    )
    with pytest.raises(UnsafePath):
        workspace_path(tmp_path, module, "../{id}")
    service = ModuleService([str(course_dir)], tmp_path, template="{nope}").load()
    assert service.workspaces == []
    assert service.problems[0].code == "workspace-template-invalid"


def test_bad_manifest_touches_nothing_in_home(tmp_path):
    (tmp_path / "image").mkdir()
    (tmp_path / "image" / "course.yaml").write_text(
        "modules:\n  - code: ../x\n    presentation: 25J\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    service = ModuleService([str(tmp_path / "image")], home).load()
    assert service.workspaces == []
    assert list(home.iterdir()) == []
    assert service.describe()["problems"][0]["path"] == "modules[0].code"


def test_unknown_module_is_not_found(course_dir, tmp_path):
    service = ModuleService([str(course_dir)], tmp_path).load()
    with pytest.raises(NotFound):
        service.workspace("NOPE-25J")
