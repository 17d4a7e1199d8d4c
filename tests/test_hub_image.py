"""The hub's install script (which the hub Dockerfile runs) and its local configuration,
checked without Docker and without starting a hub."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from traitlets.config import PyFileConfigLoader

from .conftest import REPO

HUB_DIR = REPO / "images" / "hub"
INSTALL = HUB_DIR / "install-hub.sh"


def run_install(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL), *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_install_script_puts_coursekit_hub_on_the_hubs_python_path(tmp_path):
    result = run_install("--module-dir", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "coursekit_hub.py").read_text() == (
        HUB_DIR / "coursekit_hub.py"
    ).read_text()
    # The branded templates land beside it, where coursekit_hub.TEMPLATES points.
    page = tmp_path / "site" / "coursekit_hub_templates" / "page.html"
    assert page.read_text() == (HUB_DIR / "coursekit_hub_templates" / "page.html").read_text()
    templates = subprocess.run(
        [sys.executable, "-c", "import coursekit_hub; print(coursekit_hub.TEMPLATES)"],
        cwd="/",
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
    )
    assert templates.stdout.strip() == str(page.parent)


def test_install_script_installs_the_exchange_service_into_the_hubs_python(tmp_path, wheel):
    # A Python of its own standing in for the hub image's, with this machine's packages
    # (jupyterhub, tornado) as the image has them; this source tree kept off its path.
    hub_python = tmp_path / "hub-python"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(hub_python)],
        check=True,
    )
    env = {**os.environ, "PATH": f"{hub_python / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    result = run_install("--coursekit-wheel", str(wheel), env=env)
    assert result.returncode == 0, result.stderr
    where = subprocess.run(
        ["python3", "-c", "import coursekit.exchange.service as s; print(s.__file__)"],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(hub_python)), where.stdout + where.stderr
    missing = run_install("--coursekit-wheel", str(tmp_path / "coursekit-0-py3-none-any.whl"))
    assert missing.returncode == 1
    assert "no coursekit wheel" in missing.stderr


def single_user_modules(wheel: Path) -> list[str]:
    """The top-level modules of coursekit's own dependencies (the wheel's Requires-Dist,
    extras aside): what the hub image does not get, since the wheel goes in without them."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(name))
    wanted = {
        canonical(re.split(r"[<>=!~;\[ (]", requirement, maxsplit=1)[0])
        for requirement in metadata.get_all("Requires-Dist", [])
        if "extra ==" not in requirement
    }
    return sorted(
        module
        for module, dists in packages_distributions().items()
        if wanted.intersection(canonical(d) for d in dists)
    )


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_exchange_service_runs_without_coursekits_server_dependencies(wheel):
    blocked = single_user_modules(wheel)
    assert {"jupyter_server", "yaml", "nbformat"} <= set(blocked)
    # A module set to None in sys.modules cannot be imported: as if it were not installed.
    run = (
        "import runpy, sys\n"
        f"sys.modules.update(dict.fromkeys({blocked!r}))\n"
        "sys.argv = ['coursekit.exchange.service', '--help']\n"
        "runpy.run_module('coursekit.exchange.service', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", run], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "--root" in result.stdout


def test_install_script_finds_or_installs_the_proxy():
    result = run_install("--proxy-dir", str(HUB_DIR))
    assert result.returncode == 0, result.stderr
    proxy = Path(result.stdout.strip())
    assert proxy.is_absolute() and os.access(proxy, os.X_OK)


def test_install_script_rejects_unknown_options_and_missing_files(tmp_path):
    assert run_install("--frobnicate").returncode == 2
    missing = run_install("--requirements", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1
    assert "no requirements file" in missing.stderr


def test_dockerfile_runs_the_tested_script_with_the_tested_files():
    dockerfile = (HUB_DIR / "Dockerfile").read_text()
    assert "install-hub.sh" in dockerfile
    assert "--module-dir" in dockerfile and "requirements-hub.txt" in dockerfile
    assert "COPY dist/coursekit-*.whl" in dockerfile and "--coursekit-wheel" in dockerfile
    assert (REPO / "requirements-hub.txt").is_file()


@pytest.fixture
def hub_config(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("COURSEKIT_CULL_TIMEOUT", "1200")
    monkeypatch.delenv("COURSEKIT_MANIFEST", raising=False)
    loader = PyFileConfigLoader("jupyterhub_config.py", path=str(HUB_DIR))
    return loader.load_config()


def test_local_config_enrols_the_demo_users_by_group(hub_config):
    groups = hub_config.JupyterHub.load_groups
    assert groups["TM351-25J"]["users"] == ["student1", "student2"]
    assert groups["TM351-25J-instructors"]["users"] == ["instructor1"]
    assert hub_config.Authenticator.allowed_users == {"student1", "student2", "instructor1"}


def test_local_config_keeps_a_home_per_user_under_the_state_dir(hub_config, tmp_path):
    template = hub_config.SimpleLocalProcessSpawner.home_dir_template
    assert template == str((tmp_path / "state" / "homes" / "{username}").resolve())
    assert hub_config.JupyterHub.db_url.startswith("sqlite:///")


def test_local_config_runs_the_culler_and_tells_servers_its_timeout(hub_config):
    services = {s["name"]: s for s in hub_config.JupyterHub.services}
    assert "--timeout=1200" in services["idle-culler"]["command"]
    roles = {r["name"]: r for r in hub_config.JupyterHub.load_roles}
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    assert "tm351-25j-instructor" in roles
    env = hub_config.Spawner.environment
    assert env["COURSEKIT_CULL_TIMEOUT"] == "1200"
    assert env["COURSEKIT_MANIFEST"] == str(REPO / "images" / "example-course")


def test_local_config_runs_the_exchange_and_lets_servers_reach_it(hub_config):
    services = {s["name"]: s for s in hub_config.JupyterHub.services}
    exchange = services["coursekit-exchange"]
    assert exchange["command"][1:3] == ["-m", "coursekit.exchange.service"]
    roles = {r["name"]: r for r in hub_config.JupyterHub.load_roles}
    assert roles["coursekit-exchange"]["scopes"] == ["read:users:name", "read:users:groups"]
    users = roles["coursekit-exchange-users"]
    assert set(users["groups"]) == {"TM351-25J", "TM351-25J-instructors"}
    access = "access:services!service=coursekit-exchange"
    assert users["scopes"] == [access]
    assert access in hub_config.Spawner.server_token_scopes
    url = hub_config.Spawner.environment["COURSEKIT_EXCHANGE_URL"]
    assert url == f"{exchange['url']}/services/coursekit-exchange/"


def test_local_config_listens_on_loopback_only(hub_config):
    assert hub_config.JupyterHub.bind_url.startswith("http://127.0.0.1:")
    assert hub_config.JupyterHub.hub_bind_url.startswith("http://127.0.0.1:")
    assert hub_config.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")


def test_local_config_allows_root_only_when_root(hub_config):
    args = hub_config.Spawner.args
    assert ("--allow-root" in args) == (os.getuid() == 0)
