"""Course web apps through the real jupyter-server-proxy, with shim binaries on PATH that
check the flags and environment coursekit gives them (tests/shims)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from .conftest import write_manifest

SHIMS = Path(__file__).resolve().parent / "shims"
ALL_APPS = ("rstudio", "matlab", "desktop", "vscode", "tensorboard")


@pytest.fixture
def jp_base_url() -> str:
    # A hub's base URL. (pytest-jupyter's default, /a%40b/, meets a jupyter-server-proxy
    # quirk: with absolute_url it quotes the path again, so MATLAB and TensorBoard would
    # see /a%2540b/ where they were told /a%40b/.)
    return "/user/student/"


@pytest.fixture
def apps_course(tmp_path: Path) -> Path:
    root = tmp_path / "apps-image"
    write_manifest(
        root,
        """
        modules:
          - code: TM351
            presentation: 25J
            apps:
              rstudio: true
              matlab: {timeout: 30}
              desktop: {geometry: 1024x768}
              vscode: true
              tensorboard: {logdir: runs}
          - code: M269
            presentation: 25J
            apps:
              tensorboard: false
          - code: M250
            presentation: 25J
            apps:
              vscode: true
        """,
    )
    return root


@pytest.fixture
def shim_path(monkeypatch) -> None:
    monkeypatch.setenv("PATH", f"{SHIMS}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def fake_novnc(tmp_path, monkeypatch):
    """noVNC's client where the Debian package puts it, unless it is installed."""
    from coursekit.webapps import catalogue

    if catalogue.novnc_dir() is None:
        folder = tmp_path / "novnc"
        (folder / "core").mkdir(parents=True)
        (folder / "core" / "rfb.js").write_text("export default class RFB {}\n")
        monkeypatch.setattr(catalogue, "NOVNC_DIRS", (str(folder),))


@pytest.fixture
def jp_server_config(jp_root_dir, apps_course, shim_path, fake_novnc, tmp_path, monkeypatch):
    # TM351 and M269: the student does not take M250, so its VS Code does not count.
    monkeypatch.setenv("COURSEKIT_MODULES", "TM351-25J,M269-25J")
    monkeypatch.delenv("COURSEKIT_SHIM_FAIL", raising=False)
    return server_config(apps_course, tmp_path / "webapps-state")


def server_config(manifests: Path, state_dir: Path) -> dict:
    """coursekit and jupyter-server-proxy in one server, every route behind a login."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"coursekit": True, "jupyter_server_proxy": True},
            "allow_unauthenticated_access": False,
        },
        "CourseKit": {"manifest_paths": [str(manifests)], "webapps_state_dir": str(state_dir)},
    }


@pytest.fixture(autouse=True)
async def stop_apps(jp_serverapp):
    """Stop the apps with the server, as a real server's shutdown does."""
    yield
    await jp_serverapp.extension_manager.stop_all_extensions()


async def servers_info(jp_fetch) -> dict:
    response = await jp_fetch("server-proxy", "servers-info")
    return {s["name"]: s for s in json.loads(response.body)["server_processes"]}


async def test_launcher_lists_exactly_the_enabled_installed_apps(jp_fetch):
    info = await servers_info(jp_fetch)
    assert set(info) == {"rstudio", "matlab", "desktop-websockify", "vscode", "tensorboard"}
    for name, server in info.items():
        entry = server["launcher_entry"]
        assert entry["enabled"] is True, name
        assert entry["category"] == "Course apps"
        app = name.replace("-websockify", "")
        assert entry["path_info"] == f"coursekit/apps/{app}/start"
        assert server["new_browser_tab"] is True
    icon = await jp_fetch("server-proxy", "icon", "tensorboard")
    assert b"<svg" in icon.body


@pytest.mark.parametrize("app", ["rstudio", "matlab", "vscode", "tensorboard"])
async def test_each_app_is_reached_at_its_path_in_the_module_directory(
    app, jp_fetch, jp_root_dir, jp_base_url
):
    response = await jp_fetch(app, "some", "page", request_timeout=60)
    body = json.loads(response.body)
    assert body["app"] == {"matlab": "matlab-proxy-app", "vscode": "code-server"}.get(
        app, "rserver" if app == "rstudio" else app
    )
    assert Path(body["cwd"]) == jp_root_dir / "TM351-25J"
    if app in ("matlab", "tensorboard"):
        # These serve under the proxy's absolute path.
        assert body["path"] == f"{jp_base_url}{app}/some/page"
    else:
        assert body["path"] == "/some/page"


async def test_tensorboard_gets_the_module_log_directory(jp_fetch, jp_root_dir):
    body = json.loads((await jp_fetch("tensorboard", "x", request_timeout=60)).body)
    assert body["argv"][body["argv"].index("--logdir") + 1] == str(
        jp_root_dir / "TM351-25J" / "runs"
    )
    assert (jp_root_dir / "TM351-25J" / "runs").is_dir()
    assert "--port" in body["argv"] and "6006" not in body["argv"]


async def test_rstudio_event_polling_does_not_count_as_activity(jp_serverapp, jp_fetch):
    await jp_fetch("rstudio", "x", request_timeout=60)
    times = jp_serverapp.web_app.settings.setdefault("last_activity_times", {})
    times.pop("jupyter-server-proxy", None)
    await jp_fetch("rstudio", "events", "get_events", method="POST", body="{}")
    assert "jupyter-server-proxy" not in times
    await jp_fetch("rstudio", "rpc", "console_input", method="POST", body="{}")
    assert "jupyter-server-proxy" in times


async def test_over_a_websocket_only_what_the_student_sends_is_activity(
    jp_serverapp, jp_fetch, jp_http_port, jp_base_url, jp_auth_header
):
    times = jp_serverapp.web_app.settings.setdefault("last_activity_times", {})
    request = HTTPRequest(
        ws_url(jp_http_port, jp_base_url, "desktop-websockify", ""),
        headers=jp_auth_header,
        request_timeout=60,
    )
    conn = await websocket_connect(request)
    assert (await conn.read_message()).startswith(b"RFB")  # sent by the VNC server
    assert "jupyter-server-proxy" not in times
    await conn.write_message(b"key", binary=True)  # the student types
    assert await conn.read_message() == b"key"  # the shim's echo
    assert "jupyter-server-proxy" in times
    times.pop("jupyter-server-proxy")
    await conn.write_message(b"", binary=True)
    conn.close()


def ws_url(jp_http_port, jp_base_url, *path) -> str:
    return f"ws://127.0.0.1:{jp_http_port}{jp_base_url}{'/'.join(path)}"


@pytest.mark.parametrize("app", ["rstudio", "vscode", "tensorboard"])
async def test_websocket_round_trip_through_the_proxy(
    app, jp_fetch, jp_http_port, jp_base_url, jp_auth_header
):
    await jp_fetch(app, "x", request_timeout=60)
    request = HTTPRequest(ws_url(jp_http_port, jp_base_url, app, "ws"), headers=jp_auth_header)
    conn = await websocket_connect(request)
    await conn.write_message("ping")
    assert await conn.read_message() == "ping"
    conn.close()


async def test_desktop_stream_carries_the_rfb_banner(
    jp_fetch, jp_http_port, jp_base_url, jp_auth_header
):
    request = HTTPRequest(
        ws_url(jp_http_port, jp_base_url, "desktop-websockify", ""),
        headers=jp_auth_header,
        request_timeout=60,
    )
    conn = await websocket_connect(request)
    assert (await conn.read_message()).startswith(b"RFB 003.008")
    conn.close()
    page = await jp_fetch("desktop")
    assert b"novnc/core/rfb.js" in page.body
    rfb = await jp_fetch("desktop", "novnc", "core", "rfb.js")
    assert rfb.code == 200


@pytest.mark.parametrize(
    "path", [("tensorboard", "ws"), ("desktop-websockify", ""), ("vscode", "ws")]
)
async def test_an_unauthenticated_websocket_is_refused(
    path, jp_fetch, jp_http_port, jp_base_url, jp_auth_header
):
    # CVE-2024-28179: websockets to proxied apps once skipped authentication, which made
    # a proxied terminal-like app (RStudio, VNC, code-server) a remote shell for anyone.
    for headers in ({}, {"Authorization": "token not-the-token"}):
        request = HTTPRequest(ws_url(jp_http_port, jp_base_url, *path), headers=headers)
        with pytest.raises(HTTPClientError) as refused:
            await websocket_connect(request)
        # Refused before any upgrade: a 403, or the server's redirect to its login page.
        assert refused.value.code in (302, 403)
        if refused.value.code == 302:
            assert "/login" in refused.value.response.headers["Location"]
    # The same request with the user's token is let through.
    request = HTTPRequest(
        ws_url(jp_http_port, jp_base_url, *path), headers=jp_auth_header, request_timeout=60
    )
    (await websocket_connect(request)).close()


@pytest.mark.parametrize(
    "path", [("tensorboard", "x"), ("desktop",), ("coursekit", "apps", "vscode", "start")]
)
async def test_pages_need_a_login(path, jp_fetch):
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(*path, headers={"Authorization": ""}, follow_redirects=False)
    assert refused.value.code in (302, 403)


async def test_start_page_names_the_app_and_where_to_go(jp_fetch, jp_base_url):
    page = (await jp_fetch("coursekit", "apps", "desktop", "start")).body.decode()
    assert "Starting Desktop" in page
    assert f'"probe": "{jp_base_url}desktop-websockify/"' in page
    assert f'"open": "{jp_base_url}desktop/"' in page
    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch("coursekit", "apps", "matlabx", "start")
    assert missing.value.code == 404


async def test_a_failed_start_shows_the_app_binary_and_log(jp_fetch, monkeypatch):
    monkeypatch.setenv("COURSEKIT_SHIM_FAIL", "matlab-proxy-app")
    with pytest.raises(HTTPClientError) as failed:
        await jp_fetch("matlab", "x", request_timeout=60)
    assert failed.value.code == 503
    page = failed.value.response.body.decode()
    assert "MATLAB could not start" in page
    assert "<code>matlab-proxy-app</code>" in page
    assert "exit status 3" in page
    assert "licence server unreachable (shim failure)" in page
    # Started again once the cause is gone.
    monkeypatch.delenv("COURSEKIT_SHIM_FAIL")
    assert (await jp_fetch("matlab", "x", request_timeout=60)).code == 200


class TestNotInstalled:
    @pytest.fixture
    def shim_path(self, monkeypatch, tmp_path):
        # Only TensorBoard and code-server are installed in this image.
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for name in ("tensorboard", "code-server"):
            (bin_dir / name).symlink_to(SHIMS / name)
        # Python's own folder stays, for the shims' interpreter; no system folders.
        python_dir = os.path.dirname(sys.executable)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{python_dir}")

    async def test_no_card_and_a_page_naming_the_missing_binary(self, jp_fetch):
        info = await servers_info(jp_fetch)
        cards = {name for name, s in info.items() if s["launcher_entry"]["enabled"]}
        assert cards == {"vscode", "tensorboard"}
        with pytest.raises(HTTPClientError) as failed:
            await jp_fetch("rstudio", "x")
        assert failed.value.code == 503
        page = failed.value.response.body.decode()
        assert "RStudio could not start" in page
        assert "rserver is not installed in this image" in page


class TestNoApps:
    @pytest.fixture
    def apps_course(self, course_dir):
        return course_dir

    async def test_no_module_enables_an_app_so_nothing_is_registered(self, jp_fetch):
        assert await servers_info(jp_fetch) == {}
        with pytest.raises(HTTPClientError) as missing:
            await jp_fetch("tensorboard", "x")
        assert missing.value.code == 404


class TestAuthorization:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        from .test_handlers_auth import DenyCourseKit

        # Logged in, but not granted the "coursekit" resource: coursekit's pages refuse.
        # (The proxied apps themselves are jupyter-server-proxy's, authorized as it does.)
        server = {**jp_server_config["ServerApp"], "authorizer_class": DenyCourseKit}
        return {**jp_server_config, "ServerApp": server}

    @pytest.mark.parametrize(
        "path",
        [
            ("coursekit", "apps", "tensorboard", "start"),
            ("desktop",),
            ("desktop", "novnc", "core", "rfb.js"),
        ],
    )
    async def test_coursekit_pages_need_the_coursekit_resource(self, jp_fetch, path):
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch(*path)
        assert refused.value.code == 403
