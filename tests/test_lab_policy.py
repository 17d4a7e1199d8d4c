"""Settings, locks and extension policy: precedence, and checks against the real JupyterLab
schemas installed on this machine (no fake schemas)."""

from __future__ import annotations

import pytest

from coursekit.lab_policy import (
    LabSchemas,
    effective_setting,
    find_branding_file,
    image_policy,
    load_policy,
    module_policy,
)
from coursekit.manifest import find_manifests, load_course

from .conftest import write_manifest

TRACKER = "@jupyterlab/notebook-extension:tracker"
THEMES = "@jupyterlab/apputils-extension:themes"


@pytest.fixture(scope="module")
def lab() -> LabSchemas:
    return LabSchemas.installed()


def course(tmp_path, module_yaml: str, branding_yaml: str | None = None):
    (tmp_path / "content").mkdir(exist_ok=True)
    write_manifest(tmp_path, module_yaml)
    if branding_yaml is not None:
        write_manifest(tmp_path, branding_yaml, name="branding.yaml")
    return load_course([str(tmp_path)]), find_branding_file([str(tmp_path)], environ={})


MODULE = """
modules:
  - code: TM351
    presentation: 25J
    settings:
      "@jupyterlab/notebook-extension:tracker":
        maxNumberOutputs: 20
      "@jupyterlab/apputils-extension:themes":
        theme: JupyterLab Dark
    locked:
      "@jupyterlab/apputils-extension:themes": [theme]
    extensions:
      enable: ["@jupyter/nbgrader:formgrader"]
      disable: ["@jupyter-ai/router"]
"""

INSTITUTION = """
branding:
  name: The Open University
settings:
  "@jupyterlab/notebook-extension:tracker":
    maxNumberOutputs: 100
    scrollPastEnd: false
  "@jupyterlab/apputils-extension:themes":
    theme: JupyterLab Light
extensions:
  disable: ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
"""


def test_the_branding_file_beside_the_manifests_is_found_and_is_not_a_manifest(tmp_path):
    loaded, branding_file = course(tmp_path, MODULE, INSTITUTION)
    assert branding_file == str(tmp_path / "branding.yaml")
    assert find_manifests([str(tmp_path)])[0] == [str(tmp_path / "course.yaml")]
    assert [m.id for m in loaded.modules] == ["TM351-25J"]
    assert not loaded.problems


def test_module_beats_institution_and_locks_add_up(tmp_path, lab):
    (loaded, branding_file) = course(tmp_path, MODULE, INSTITUTION)
    institution, modules, problems = load_policy(loaded, branding_file, lab)
    assert problems == []
    policy = module_policy(institution, modules["TM351-25J"])
    assert policy.settings[TRACKER] == {"maxNumberOutputs": 20, "scrollPastEnd": False}
    assert policy.settings[THEMES] == {"theme": "JupyterLab Dark"}
    assert policy.locked == {THEMES: ["theme"]}
    # The module switches formgrader back on, keeps create-assignment off, adds its own.
    assert policy.disabled == ["@jupyter-ai/router", "@jupyter/nbgrader:create-assignment"]
    assert policy.enabled == ["@jupyter/nbgrader:formgrader"]


def test_precedence_default_institution_module_student_unless_locked(tmp_path, lab):
    (loaded, branding_file) = course(tmp_path, MODULE, INSTITUTION)
    institution, modules, _ = load_policy(loaded, branding_file, lab)
    schema_tracker, schema_themes = lab.schema(TRACKER), lab.schema(THEMES)
    only_institution = module_policy(institution, None)
    both = module_policy(institution, modules["TM351-25J"])

    # JupyterLab's default when nobody sets it
    assert effective_setting(schema_tracker, both, TRACKER)["kernelShutdown"] is False
    # institution over default, module over institution
    assert effective_setting(schema_tracker, only_institution, TRACKER)["maxNumberOutputs"] == 100
    assert effective_setting(schema_tracker, both, TRACKER)["maxNumberOutputs"] == 20
    # the student over the module ...
    student = {"maxNumberOutputs": 5}
    assert effective_setting(schema_tracker, both, TRACKER, student)["maxNumberOutputs"] == 5
    # ... unless the key is locked
    mine = {"theme": "JupyterLab Light", "theme-scrollbars": True}
    seen = effective_setting(schema_themes, both, THEMES, mine)
    assert seen["theme"] == "JupyterLab Dark"
    assert seen["theme-scrollbars"] is True


@pytest.mark.parametrize(
    ("yaml_settings", "path", "message"),
    [
        (
            '"@jupyterlab/notebook-extension:trackr":\n        scrollPastEnd: false',
            "modules[0].settings.@jupyterlab/notebook-extension:trackr",
            "did you mean '@jupyterlab/notebook-extension:tracker'?",
        ),
        (
            '"@jupyterlab/notebook-extension:tracker":\n        scrolPastEnd: false',
            "modules[0].settings.@jupyterlab/notebook-extension:tracker.scrolPastEnd",
            "has no setting 'scrolPastEnd'; did you mean 'scrollPastEnd'?",
        ),
        (
            '"@jupyterlab/notebook-extension:tracker":\n        maxNumberOutputs: lots',
            "modules[0].settings.@jupyterlab/notebook-extension:tracker.maxNumberOutputs",
            "invalid value: 'lots' is not of type 'number'",
        ),
    ],
)
def test_a_wrong_setting_is_a_located_error_with_the_nearest_name(
    tmp_path, lab, yaml_settings, path, message
):
    text = f"""
modules:
  - code: TM351
    presentation: 25J
    settings:
      {yaml_settings}
"""
    (loaded, branding_file) = course(tmp_path, text)
    _, _, problems = load_policy(loaded, branding_file, lab)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.path == path
    assert message in problem.message
    assert problem.file.endswith("course.yaml")
    assert problem.line in (5, 6)


def test_an_unknown_lock_key_and_an_unknown_extension_in_the_institution_file(tmp_path, lab):
    branding = """
locked:
  "@jupyterlab/apputils-extension:themes": [theem]
extensions:
  disable: ["@jupyter/nbgrder:formgrader"]
"""
    (loaded, branding_file) = course(
        tmp_path, "modules:\n  - {code: A, presentation: B}\n", branding
    )
    _, _, problems = load_policy(loaded, branding_file, lab)
    messages = [str(p) for p in problems]
    assert len(messages) == 2
    assert "branding.yaml:2: locked.@jupyterlab/apputils-extension:themes[0]:" in messages[0]
    assert "did you mean 'theme'?" in messages[0]
    assert "branding.yaml:4: extensions.disable[0]:" in messages[1]
    assert "did you mean '@jupyter/nbgrader'?" in messages[1]


def test_the_branding_file_is_checked_against_its_schema(tmp_path):
    branding = """
branding:
  name: OU
  colours:
    accent: "#123456"
"""
    (loaded, branding_file) = course(
        tmp_path, "modules:\n  - {code: A, presentation: B}\n", branding
    )
    _, _, problems = load_policy(loaded, branding_file, None)
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'branding.yaml'}:3: branding.colours: unknown key 'colours'; did you mean 'colors'?"
    ]


def test_a_bad_colour_in_a_module_is_a_manifest_problem(tmp_path):
    text = """
modules:
  - code: A
    presentation: B
    branding:
      colors: {accent: blue-ish}
"""
    (loaded, _) = course(tmp_path, text)
    assert loaded.modules == []
    assert "is not a CSS colour" in str(loaded.problems[0])
    assert loaded.problems[0].line == 5


def test_modules_of_one_image_that_disagree_are_a_problem(tmp_path, lab):
    text = """
modules:
  - code: A
    presentation: B
    settings:
      "@jupyterlab/notebook-extension:tracker": {maxNumberOutputs: 1}
  - code: C
    presentation: D
    settings:
      "@jupyterlab/notebook-extension:tracker": {maxNumberOutputs: 2, scrollPastEnd: false}
"""
    (loaded, branding_file) = course(tmp_path, text)
    institution, modules, problems = load_policy(loaded, branding_file, lab)
    assert problems == []
    policy, problems = image_policy(institution, modules)
    assert policy.settings[TRACKER] == {"maxNumberOutputs": 1, "scrollPastEnd": False}
    assert len(problems) == 1
    assert problems[0].line == 9
    assert "C-D sets 'maxNumberOutputs' differently from A-B" in problems[0].message
