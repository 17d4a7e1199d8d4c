"""nbgrader's instructor plugins hidden from students' JupyterLab, never unhiding what
someone else disabled."""

from __future__ import annotations

from coursekit.instructor_tools import (
    INSTRUCTOR_LAB_PLUGINS,
    hide_instructor_plugins,
    is_student,
    page_config_hook,
)


def test_only_a_hub_student_is_a_student():
    assert is_student({"COURSEKIT_ROLE": "student"})
    assert not is_student({"COURSEKIT_ROLE": "instructor"})
    assert not is_student({})  # no hub: nbgrader stays as installed


def test_instructor_plugins_are_added_to_disabled_extensions_keeping_others():
    config = {"disabledExtensions": {"other:plugin": True, "@jupyter/nbgrader:menu": False}}
    hidden = hide_instructor_plugins(config)["disabledExtensions"]
    assert hidden["other:plugin"] is True and hidden["@jupyter/nbgrader:menu"] is False
    assert all(hidden[p] is True for p in INSTRUCTOR_LAB_PLUGINS)
    listed = hide_instructor_plugins({"disabledExtensions": ["other:plugin"]})
    assert listed["disabledExtensions"] == ["other:plugin", *INSTRUCTOR_LAB_PLUGINS]


def test_the_hook_runs_the_previous_one_first():
    def previous(handler, config):
        return {**config, "seen": handler}

    config = page_config_hook(previous)("h", {})
    assert config["seen"] == "h"
    assert set(INSTRUCTOR_LAB_PLUGINS) <= set(config["disabledExtensions"])


async def test_a_students_lab_page_hides_the_instructor_plugins(
    jp_server_config, monkeypatch, jp_configurable_serverapp
):
    monkeypatch.setenv("COURSEKIT_ROLE", "student")
    app = jp_configurable_serverapp()
    app.web_app.settings["page_config_hook"] = lambda handler, config: {**config, "hub": 1}
    await app.extension_manager.start_all_extensions()
    hook = app.web_app.settings["page_config_hook"]
    assert hook(None, {})["hub"] == 1  # JupyterHub's hook still runs
    assert set(INSTRUCTOR_LAB_PLUGINS) <= set(hook(None, {})["disabledExtensions"])


async def test_an_instructors_server_keeps_them(
    jp_server_config, monkeypatch, jp_configurable_serverapp
):
    monkeypatch.setenv("COURSEKIT_ROLE", "instructor")
    app = jp_configurable_serverapp()
    await app.extension_manager.start_all_extensions()
    assert "page_config_hook" not in app.web_app.settings
