"""The app image variants (images/desktop, images/vscode, images/rstudio) and the install
script they share with CI, checked without Docker."""

from __future__ import annotations

import re
import subprocess

import pytest

from .conftest import REPO

INSTALL_APPS = REPO / "scripts" / "install-apps"


def install_apps(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL_APPS), *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("variant", "app"), [("desktop", "desktop"), ("vscode", "vscode"), ("rstudio", "rstudio")]
)
def test_each_variant_installs_its_app_with_the_shared_script(variant, app):
    dockerfile = (REPO / "images" / variant / "Dockerfile").read_text()
    assert "COPY scripts/install-apps /usr/local/bin/install-apps" in dockerfile
    (run,) = re.findall(r"^RUN install-apps (.*)$", dockerfile, re.M)
    assert run.split()[0] == app
    # Students never run as root in the image.
    assert dockerfile.rstrip().splitlines()[-1] == "USER ${NB_UID}"


def test_the_apps_ci_installs_are_installed_and_a_rerun_does_nothing():
    # scripts/test runs scripts/install-apps before the Python tests.
    result = install_apps("--dry-run", "desktop")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", f"still to install: {result.stdout}"


def test_vscode_comes_from_npm():
    result = install_apps("--dry-run", "vscode")
    assert result.returncode == 0, result.stderr
    assert "npm_config_unsafe_perm=true npm install -g --unsafe-perm code-server" in result.stdout


def test_rstudio_needs_the_deb_and_says_so():
    result = install_apps("--dry-run", "rstudio")
    assert result.returncode == 1
    assert "rstudio needs --rstudio-deb" in result.stderr
    result = install_apps("--dry-run", "rstudio", "--rstudio-deb", "https://example.invalid/r.deb")
    assert result.returncode == 0, result.stderr
    assert "curl -fsSL -o /tmp/rstudio-server.deb https://example.invalid/r.deb" in result.stdout


def test_an_unknown_app_is_refused():
    result = install_apps("jupyterlab-desktop")
    assert result.returncode == 2
    assert "unknown app or option jupyterlab-desktop" in result.stderr
