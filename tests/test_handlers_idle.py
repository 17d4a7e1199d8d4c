"""/coursekit/api/idle through a real server: jupyter_server's own last activity."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from coursekit.idle import iso


@pytest.fixture
def jp_server_config(jp_server_config):
    return {
        **jp_server_config,
        "CourseKit": {**jp_server_config["CourseKit"], "cull_timeout": 3600},
    }


async def get_json(jp_fetch, *parts, **kwargs):
    response = await jp_fetch(*parts, **kwargs)
    return json.loads(response.body) if response.body else None


async def test_polling_the_idle_status_is_not_activity(jp_serverapp, jp_fetch):
    web_app = jp_serverapp.web_app
    before = web_app.last_activity()
    status = await get_json(jp_fetch, "coursekit", "api", "idle")
    assert status["culling"] is True and status["timeout"] == 3600
    assert web_app.last_activity() == before
    assert status["last_activity"] == iso(before)


async def test_still_working_moves_the_servers_last_activity(jp_serverapp, jp_fetch):
    web_app = jp_serverapp.web_app
    # As if the student had been away 55 minutes.
    past = web_app.last_activity() - timedelta(minutes=55)
    web_app.settings["started"] = past
    for key in [k for k in web_app.settings if k.endswith("_last_activity")]:
        web_app.settings[key] = past
    web_app.settings["last_activity_times"].clear()
    web_app.settings["kernel_manager"].last_kernel_activity = past
    status = await get_json(jp_fetch, "coursekit", "api", "idle")
    assert status["warn"] is True
    status = await get_json(
        jp_fetch, "coursekit", "api", "idle", "activity", method="POST", body=b""
    )
    assert status["warn"] is False
    assert web_app.last_activity() > past + timedelta(minutes=54)
    # The value jupyter_server reports at /api/status, which the hub's activity comes from.
    api_status = await get_json(jp_fetch, "api", "status")
    assert api_status["last_activity"].startswith(status["last_activity"][:19])


async def test_the_stop_is_recorded_at_shutdown_and_acknowledged(jp_serverapp, jp_fetch):
    ext = jp_serverapp.extension_manager.extension_apps["coursekit"]
    app = next(iter(ext))
    await app.stop_extension()  # what the server runs when it is stopped
    assert app.idle.record.path.is_relative_to(jp_serverapp.data_dir)
    app.idle.previous_stop = app.idle.record.read()  # what the next start reads
    status = await get_json(jp_fetch, "coursekit", "api", "idle")
    assert status["previous_stop"]["reason"] == "stopped"
    response = await jp_fetch("coursekit", "api", "idle", "previous-stop", method="DELETE")
    assert response.code == 204
    assert not app.idle.record.path.exists()
