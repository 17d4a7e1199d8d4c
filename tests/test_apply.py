"""``jupyter coursekit apply`` into a temporary prefix, read back by JupyterLab's own readers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_server.config_manager import BaseJSONConfigManager
from jupyterlab_server.settings_utils import _get_overrides
from nbgrader.exchange import ExchangeFactory
from traitlets.config.loader import JSONFileConfigLoader

from coursekit.exchange import nbgrader_plugins

from .conftest import write_manifest
from .test_cli import coursekit

MANIFEST = """
modules:
  - code: TM351
    presentation: 25J
    title: Data management and analysis
    settings:
      "@jupyterlab/notebook-extension:tracker": {maxNumberOutputs: 20}
    locked:
      "@jupyterlab/apputils-extension:themes": [theme]
    extensions:
      disable: ["@jupyter/nbgrader:formgrader"]
      lock: ["@jupyter/nbgrader"]
"""

BRANDING = """
branding:
  name: The Open University
  logo: logo.svg
settings:
  "@jupyterlab/apputils-extension:themes":
    theme: JupyterLab Dark
extensions:
  disable: ["@jupyter-ai/router"]
"""


@pytest.fixture
def image(tmp_path):
    folder = tmp_path / "coursekit"
    write_manifest(folder, MANIFEST)
    write_manifest(folder, BRANDING, name="branding.yaml")
    (folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return folder


def test_apply_writes_the_system_files_then_has_nothing_to_change(image, tmp_path):
    prefix = tmp_path / "prefix"
    settings_dir = prefix / "share" / "jupyter" / "lab" / "settings"
    # A site's own page config, which apply must leave alone.
    labconfig = prefix / "etc" / "jupyter" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text('{"disabledExtensions": {"site-ext": true}}')

    first = coursekit("apply", str(image), "--prefix", str(prefix))
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("written ") == 4

    overrides, error = _get_overrides(str(settings_dir))
    assert error == ""
    assert overrides["@jupyterlab/notebook-extension:tracker"] == {"maxNumberOutputs": 20}
    assert overrides["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}

    page = BaseJSONConfigManager(config_dir=str(labconfig), read_directory=True).get("page_config")
    assert page["disabledExtensions"] == {
        "site-ext": True,
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter-ai/router": True,
    }
    assert page["lockedExtensions"] == {"@jupyter/nbgrader": True}
    assert json.loads((labconfig / "page_config.json").read_text()) == {
        "disabledExtensions": {"site-ext": True}
    }
    server = prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "coursekit-branding.json"
    assert json.loads(server.read_text()) == {
        "CourseKit": {"branding_file": str((image / "branding.yaml").resolve())}
    }

    # nbgrader reads it as it reads any nbgrader_config.json on the Jupyter config path.
    nbgrader = JSONFileConfigLoader("nbgrader_config.json", str(prefix / "etc" / "jupyter"))
    factory = ExchangeFactory(config=nbgrader.load_config())
    assert factory.submit is nbgrader_plugins.ExchangeSubmit
    assert factory.fetch_feedback is nbgrader_plugins.ExchangeFetchFeedback

    second = coursekit("apply", str(image), "--prefix", str(prefix))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "nothing to change: the system files already match the policy"


def test_apply_refuses_a_policy_with_problems_and_writes_nothing(image, tmp_path):
    (image / "branding.yaml").write_text(
        'settings:\n  "@jupyterlab/apputils-extension:themes":\n    theme: 42\n'
    )
    prefix = tmp_path / "prefix"
    result = coursekit("apply", str(image), "--prefix", str(prefix))
    assert result.returncode == 1
    assert "branding.yaml:3: settings.@jupyterlab/apputils-extension:themes.theme:" in result.stderr
    assert "42 is not of type 'string'" in result.stderr
    assert not prefix.exists()


def test_apply_names_the_path_it_cannot_write(image, tmp_path):
    prefix = tmp_path / "prefix"
    etc = prefix / "etc"
    etc.mkdir(parents=True)
    # Root ignores permission bits, so block the path with a file where a folder must go.
    (etc / "jupyter").write_text("not a folder")
    result = coursekit("apply", str(image), "--prefix", str(prefix))
    assert result.returncode == 2
    target = etc / "jupyter" / "labconfig" / "page_config.d" / "coursekit.json"
    assert f"jupyter coursekit apply: cannot write {target}: Not a directory" in result.stderr


def test_validate_reports_a_misspelt_setting_with_the_nearest_name(tmp_path):
    manifest = write_manifest(
        tmp_path,
        """
        modules:
          - code: TM351
            presentation: 25J
            settings:
              "@jupyterlab/notebook-extension:tracker":
                maxNumberOutput: 20
        """,
    )
    result = coursekit("validate", str(manifest))
    assert result.returncode == 1
    assert (
        f"{manifest}:6: modules[0].settings.@jupyterlab/notebook-extension:tracker.maxNumberOutput: "
        "'@jupyterlab/notebook-extension:tracker' has no setting 'maxNumberOutput'; "
        "did you mean 'maxNumberOutputs'?"
    ) in result.stderr


def test_the_image_install_script_applies_the_course_policy(image, tmp_path):
    (image / "content").mkdir()
    root = tmp_path / "root"
    script = Path(__file__).resolve().parent.parent / "images" / "base" / "install-coursekit.sh"
    result = subprocess.run(
        ["bash", str(script), "--course", str(image), "--prefix", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    env = root / sys.prefix.lstrip("/")
    page = json.loads((env / "etc/jupyter/labconfig/page_config.d/coursekit.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    server = json.loads(
        (env / "etc/jupyter/jupyter_server_config.d/coursekit-branding.json").read_text()
    )
    installed = root / "opt/coursekit/courses/coursekit/branding.yaml"
    assert server["CourseKit"]["branding_file"] == str(installed)
    overrides = env / "share/jupyter/lab/settings/overrides.d/coursekit.json"
    assert json.loads(overrides.read_text())["@jupyterlab/apputils-extension:themes"] == {
        "theme": "JupyterLab Dark"
    }


def test_apply_leaves_jupyter_ai_unloaded_only_when_ai_is_off_for_every_module(image, tmp_path):
    prefix = tmp_path / "prefix"
    config_d = prefix / "etc" / "jupyter" / "jupyter_server_config.d"
    ai_file = config_d / "coursekit-ai.json"
    result = coursekit("apply", str(image), "--prefix", str(prefix))
    assert result.returncode == 0, result.stderr
    assert not ai_file.exists()  # AI is on (the default) for TM351-25J

    manifest = image / "course.yaml"
    manifest.write_text(manifest.read_text() + "    ai: {enabled: false}\n")
    result = coursekit("apply", str(image), "--prefix", str(prefix))
    assert result.returncode == 0, result.stderr
    # Read back the way the server reads its config: jupyter-ai's extensions switched off.
    loaded = BaseJSONConfigManager(config_dir=str(config_d.parent), read_directory=True)
    extensions = loaded.get("jupyter_server_config")["ServerApp"]["jpserver_extensions"]
    assert extensions["jupyter_ai_router"] is False and extensions["jupyter_ai"] is False

    manifest.write_text(manifest.read_text().replace("ai: {enabled: false}", "ai: {enabled: true}"))
    assert coursekit("apply", str(image), "--prefix", str(prefix)).returncode == 0
    assert not ai_file.exists()  # AI back on: the file that switched it off is gone
