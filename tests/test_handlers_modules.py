"""``/coursekit/api/modules`` through a real Jupyter server (pytest-jupyter's jp_fetch)."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError


async def get_json(jp_fetch, *parts):
    response = await jp_fetch("coursekit", "api", *parts)
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def test_lists_modules_with_their_workspaces(jp_fetch, jp_root_dir):
    body = await get_json(jp_fetch, "modules")
    assert [m["id"] for m in body["modules"]] == ["TM351-25J", "M269-25J"]
    first = body["modules"][0]
    assert first["path"] == "TM351-25J"
    assert first["status"] == "ready"
    assert first["title"] == "Data management and analysis"
    assert body["problems"] == []
    assert (jp_root_dir / "TM351-25J").is_dir()


async def test_one_module(jp_fetch):
    body = await get_json(jp_fetch, "modules", "M269-25J")
    assert body["code"] == "M269"


async def test_unknown_module_is_a_404_with_a_code(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("coursekit", "api", "modules", "NOPE-25J")
    assert caught.value.code == 404
    body = json.loads(caught.value.response.body)
    assert body["code"] == "module-not-found"
    assert "NOPE-25J" in body["message"]
