"""Branding served by a real server, and a locked setting refused by JupyterLab's own route."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from .conftest import write_manifest
from .test_openapi import validate

THEMES = "@jupyterlab/apputils-extension:themes"
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


@pytest.fixture
def branded_course(tmp_path):
    folder = tmp_path / "coursekit"
    (folder / "content").mkdir(parents=True)
    write_manifest(
        folder,
        """
        modules:
          - code: TM351
            presentation: 25J
            title: Data management and analysis
            content:
              - source: content
            branding:
              colors: {accent: "#7a1fa2"}
              help:
                - {label: Module website, url: "https://example.invalid/tm351"}
            settings:
              "@jupyterlab/apputils-extension:themes":
                theme: JupyterLab Dark
            locked:
              "@jupyterlab/apputils-extension:themes": [theme]
        """,
    )
    write_manifest(
        folder,
        """
        branding:
          name: The Open University
          logo: logo.svg
          favicon: big.png
        """,
        name="branding.yaml",
    )
    (folder / "logo.svg").write_text(LOGO)
    (folder / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024))
    return folder


@pytest.fixture
def jp_server_config(jp_server_config, branded_course):
    config = json.loads(json.dumps(jp_server_config))
    config["ServerApp"]["jpserver_extensions"]["jupyterlab"] = True
    config["CourseKit"] = {"manifest_paths": [str(branded_course)], "seed_on_start": False}
    return config


async def started(jp_serverapp):
    await jp_serverapp.extension_manager.start_all_extensions()


async def test_branding_is_served_with_its_checked_assets(jp_fetch, jp_serverapp):
    await started(jp_serverapp)
    response = await jp_fetch("coursekit", "api", "branding")
    body = json.loads(response.body)
    validate(body, "Branding")
    assert body["module"] == "TM351-25J"
    assert body["app_name"] == "TM351-25J · The Open University"
    branding = body["branding"]
    assert branding["name"] == "The Open University"
    assert branding["colors"] == {"accent": "#7a1fa2"}
    assert branding["help"][0]["label"] == "Module website"
    assert branding["logo"].endswith("/coursekit/api/branding/assets/logo.svg")
    # The 600 KiB favicon was refused at start-up: not served, and said why.
    assert "favicon" not in branding
    assert body["locked"] == {THEMES: ["theme"]}

    logo = await jp_fetch("coursekit", "api", "branding", "assets", "logo.svg")
    assert logo.body.decode() == LOGO
    assert logo.headers["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in logo.headers["Content-Security-Policy"]

    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("coursekit", "api", "branding", "assets", "favicon.png")
    assert caught.value.code == 404

    modules = json.loads((await jp_fetch("coursekit", "api", "modules")).body)
    (problem,) = [p for p in modules["problems"] if p["path"] == "branding.favicon"]
    assert "is 600 KiB; the limit is 512 KiB" in problem["message"]
    assert problem["file"].endswith("branding.yaml")


async def test_a_locked_setting_cannot_be_changed_but_the_others_can(jp_fetch, jp_serverapp):
    await started(jp_serverapp)
    url = ("lab", "api", "settings", *THEMES.split("/"))
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            *url, method="PUT", body=json.dumps({"raw": '{"theme": "JupyterLab Light"}'})
        )
    assert caught.value.code == 403
    assert "'theme' of @jupyterlab/apputils-extension:themes is locked by your course" in (
        caught.value.response.body.decode()
    )

    saved = await jp_fetch(
        *url, method="PUT", body=json.dumps({"raw": '{"theme-scrollbars": true}'})
    )
    assert saved.code == 204
    # JupyterLab's own answer shows the lock, to the Settings Editor and to any client.
    plugin = json.loads((await jp_fetch(*url)).body)
    assert plugin["schema"]["properties"]["theme"]["readOnly"] is True
    assert plugin["schema"]["properties"]["theme"]["description"].endswith(
        "(Locked by your course.)"
    )
    assert plugin["schema"]["properties"]["theme"]["default"] == "JupyterLab Dark"
    assert "readOnly" not in plugin["schema"]["properties"]["theme-scrollbars"]
    listing = json.loads((await jp_fetch("lab", "api", "settings")).body)
    (themes,) = [p for p in listing["settings"] if p["id"] == THEMES]
    assert themes["schema"]["properties"]["theme"]["readOnly"] is True
    # The course's own value is not a change.
    saved = await jp_fetch(
        *url,
        method="PUT",
        body=json.dumps({"raw": '{"theme": "JupyterLab Dark", "theme-scrollbars": true}'}),
    )
    assert saved.code == 204


async def test_the_tab_is_named_after_the_module(jp_fetch, jp_serverapp):
    await started(jp_serverapp)
    page = (await jp_fetch("lab")).body.decode()
    assert '"appName": "TM351-25J \\u00b7 The Open University"' in page
