"""Seeding through the server: in the background at start, then reseed, restore and reset."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError


async def call(jp_fetch, module_id, action, method="GET", body=None):
    response = await jp_fetch(
        "coursekit",
        "api",
        "modules",
        module_id,
        action,
        method=method,
        body=None if body is None else json.dumps(body),
    )
    return response.code, json.loads(response.body)


async def start_extensions(serverapp) -> None:
    """pytest-jupyter builds the server but does not run its post-start hook; a real server
    does, and that is where coursekit queues the background seed."""
    await serverapp.extension_manager.start_all_extensions()


async def settled(jp_fetch, module_id="TM351-25J", timeout=30.0):
    """The module's seed state once it is neither queued nor running."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        _, state = await call(jp_fetch, module_id, "seed")
        if state["state"] not in ("queued", "running"):
            return state
        assert asyncio.get_running_loop().time() < deadline, f"seeding never finished: {state}"
        await asyncio.sleep(0.05)


async def test_server_seeds_every_module_in_the_background(jp_serverapp, jp_fetch, jp_root_dir):
    await start_extensions(jp_serverapp)
    state = await settled(jp_fetch)
    assert state["state"] == "done", state
    assert "README.md" in state["report"]["added"]
    assert (jp_root_dir / "TM351-25J" / "README.md").read_text() == "# TM351\n"
    assert (await settled(jp_fetch, "M269-25J"))["state"] == "done"
    listing = json.loads((await jp_fetch("coursekit", "api", "modules")).body)
    assert listing["modules"][0]["seed"]["state"] == "done"


async def test_reseed_is_a_noop_when_nothing_changed(jp_serverapp, jp_fetch):
    await start_extensions(jp_serverapp)
    await settled(jp_fetch)
    code, state = await call(jp_fetch, "TM351-25J", "seed", "POST", {})
    assert code == 202
    state = await settled(jp_fetch)
    assert state["report"]["noop"] is True
    assert state["report"]["added"] == []


async def test_restore_brings_back_a_deleted_file(jp_serverapp, jp_fetch, jp_root_dir):
    await start_extensions(jp_serverapp)
    await settled(jp_fetch)
    readme = jp_root_dir / "TM351-25J" / "README.md"
    readme.unlink()
    code, body = await call(jp_fetch, "TM351-25J", "restore", "POST", {"paths": ["README.md"]})
    assert code == 200
    assert body["restored"] == ["README.md"]
    assert readme.read_text() == "# TM351\n"


async def test_reset_moves_the_module_aside_and_seeds_afresh(jp_serverapp, jp_fetch, jp_root_dir):
    await start_extensions(jp_serverapp)
    await settled(jp_fetch)
    mine = jp_root_dir / "TM351-25J" / "my-notes.txt"
    mine.write_text("my work")
    code, body = await call(jp_fetch, "TM351-25J", "reset", "POST", {})
    assert code == 200
    backup = jp_root_dir / body["backup"]
    assert (backup / "my-notes.txt").read_text() == "my work"
    assert not mine.exists()
    assert (jp_root_dir / "TM351-25J" / "README.md").exists()
    assert body["seed"]["state"] == "done"


async def test_restore_with_a_bad_body_is_a_400(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await call(jp_fetch, "TM351-25J", "restore", "POST", {"paths": "README.md"})
    assert caught.value.code == 400
    assert json.loads(caught.value.response.body)["code"] == "bad-request"


async def test_seed_of_an_unknown_module_is_a_404(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await call(jp_fetch, "XX999-25J", "seed", "POST", {})
    assert caught.value.code == 404


async def test_the_server_copies_with_the_configured_threads(jp_serverapp):
    coursekit = next(iter(jp_serverapp.extension_manager.extension_apps["coursekit"]))
    assert coursekit.seed_copy_threads == 2  # the default: a second core while one waits
    assert coursekit.seeding.copy_threads == coursekit.seed_copy_threads
