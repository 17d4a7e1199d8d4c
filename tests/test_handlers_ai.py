"""The AI policy enforced by the server: jupyter-ai's real routes refused while AI is off."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from tests.conftest import write_manifest

AI_EXTENSIONS = {"jupyter_ai_router": True, "jupyter_ai_persona_manager": True}


def ai_course(folder, ai):
    write_manifest(
        folder,
        f"""
        modules:
          - code: TM351
            presentation: 25J
            ai: {ai}
        """,
    )
    return folder


@pytest.fixture
def ai_setting():
    return "{enabled: true}"


@pytest.fixture
def jp_server_config(jp_server_config, tmp_path, ai_setting):
    server = jp_server_config["ServerApp"]
    return {
        **jp_server_config,
        "ServerApp": {
            **server,
            "jpserver_extensions": {**server["jpserver_extensions"], **AI_EXTENSIONS},
        },
        "CourseKit": {
            "manifest_paths": [str(ai_course(tmp_path / "ai-course", ai_setting))],
            "seed_on_start": False,
        },
    }


async def started(serverapp):
    await serverapp.extension_manager.start_all_extensions()


async def cancel(jp_fetch):
    return await jp_fetch(
        "api", "ai", "personas", "cancel", method="POST", body=b"", params={"chat_id": "x"}
    )


@pytest.mark.parametrize(
    ("ai_setting", "why"),
    [
        ("{enabled: false}", b"TM351-25J: off for this module"),
        ("{exam_windows: [{start: 2020-01-01T00:00:00Z, end: 2099-01-01T00:00:00Z}]}", b"exam"),
    ],
)
async def test_jupyter_ai_routes_are_refused_while_ai_is_off(
    jp_serverapp, jp_fetch, ai_setting, why
):
    await started(jp_serverapp)
    with pytest.raises(HTTPClientError) as caught:
        await cancel(jp_fetch)
    assert caught.value.code == 403
    assert why in caught.value.response.body
    policy = json.loads((await jp_fetch("coursekit", "api", "ai")).body)
    assert policy["on"] is False


async def test_jupyter_ai_routes_work_while_ai_is_on(jp_serverapp, jp_fetch):
    await started(jp_serverapp)
    try:
        response = await cancel(jp_fetch)
        code = response.code
    except HTTPClientError as err:
        code = err.code
    assert code != 403
    assert code in (200, 204, 404), code  # reached jupyter-ai itself


@pytest.mark.parametrize("ai_setting", ["{enabled: false}"])
async def test_a_stranger_gets_401_not_the_policy(jp_serverapp, jp_fetch, ai_setting):
    await started(jp_serverapp)
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "api",
            "ai",
            "personas",
            "cancel",
            method="POST",
            body=b"",
            headers={"Authorization": ""},
        )
    assert caught.value.code in (401, 403)
    assert b"TM351" not in (caught.value.response.body or b"")


class Chat:
    """The two methods jupyter-ai's router calls on a chat."""

    def observe_messages(self, callback):
        return "observer"

    def unobserve_messages(self, observer):
        pass


@pytest.mark.parametrize("ai_setting", ["{enabled: false}"])
async def test_chats_are_not_answered_while_ai_is_off(jp_serverapp, ai_setting):
    await started(jp_serverapp)
    router = jp_serverapp.web_app.settings["jupyter-ai"]["router"]
    router.connect_chat("chat-1", Chat())
    assert "chat-1" not in router.active_chats


async def test_chats_are_answered_while_ai_is_on(jp_serverapp):
    await started(jp_serverapp)
    router = jp_serverapp.web_app.settings["jupyter-ai"]["router"]
    router.connect_chat("chat-1", Chat())
    assert "chat-1" in router.active_chats


@pytest.mark.parametrize(
    "ai_setting", ["{exam_windows: [{start: 2030-01-01T09:00:00Z, end: 2030-01-01T12:00:00Z}]}"]
)
async def test_an_exam_window_that_opens_mid_session_disconnects_open_chats(
    jp_serverapp, ai_setting
):
    from datetime import datetime, timezone

    from coursekit.handlers.ai import enforce_now

    await started(jp_serverapp)
    app = jp_serverapp.web_app
    coursekit = next(iter(jp_serverapp.extension_manager.extension_apps["coursekit"]))
    gate = coursekit.ai
    router = app.settings["jupyter-ai"]["router"]
    gate.clock = lambda: datetime(2030, 1, 1, 8, 59, tzinfo=timezone.utc)
    router.connect_chat("chat-1", Chat())
    assert enforce_now(app, gate) == 0 and "chat-1" in router.active_chats
    gate.clock = lambda: datetime(2030, 1, 1, 9, 1, tzinfo=timezone.utc)  # the exam starts
    assert enforce_now(app, gate) == 1
    assert "chat-1" not in router.active_chats
    # A server that started before the exam runs the same check every 30 seconds.
    assert coursekit._ai_enforcer.callback_time == 30_000
