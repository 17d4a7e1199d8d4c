"""A bad manifest never stops the server: the API reports it and the home is untouched."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def jp_server_config(jp_root_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_MODULES", raising=False)
    image = tmp_path / "bad-image"
    image.mkdir()
    (image / "course.yaml").write_text("modules:\n  - code: TM351\n    presentaton: 25J\n")
    return {
        "ServerApp": {"jpserver_extensions": {"coursekit": True}},
        "CourseKit": {"manifest_paths": [str(image)]},
    }


async def test_server_starts_and_reports_the_typo(jp_fetch, jp_root_dir):
    response = await jp_fetch("coursekit", "api", "modules")
    body = json.loads(response.body)
    assert body["modules"] == []
    messages = [p["message"] for p in body["problems"]]
    assert "unknown key 'presentaton'; did you mean 'presentation'?" in messages
    assert {p["line"] for p in body["problems"]} >= {3}
    assert list(jp_root_dir.iterdir()) == []
