"""The AI policy per module (coursekit/ai_policy.py), against a fake OpenAI-compatible
gateway on loopback."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coursekit.ai_policy import (
    JUPYTER_AI_EXTENSIONS,
    AIGate,
    Endpoint,
    check_gateway,
    is_ai_route,
    server_config_fragment,
)
from coursekit.manifest import load_course
from tests.conftest import write_manifest

EXAM = "{start: 2026-05-12T09:00:00+01:00, end: 2026-05-12T12:00:00+01:00}"


def course(tmp_path, tm351_ai="", m269_ai=""):
    write_manifest(
        tmp_path,
        f"""
        modules:
          - code: TM351
            presentation: 25J
            {tm351_ai}
          - code: M269
            presentation: 25J
            {m269_ai}
        """,
    )
    loaded = load_course([str(tmp_path)])
    assert not loaded.problems, loaded.problems
    return loaded.modules


def at(text):
    return lambda: datetime.fromisoformat(text).astimezone(timezone.utc)


def test_ai_is_on_by_default(tmp_path):
    gate = AIGate.for_modules(course(tmp_path))
    assert gate.open
    assert server_config_fragment(course(tmp_path)) == {}


def test_off_for_every_module_leaves_jupyter_ai_unloaded(tmp_path):
    modules = course(tmp_path, "ai: {enabled: false}", "ai: {enabled: false}")
    fragment = server_config_fragment(modules)
    extensions = fragment["ServerApp"]["jpserver_extensions"]
    assert set(extensions) == set(JUPYTER_AI_EXTENSIONS)
    assert not any(extensions.values())
    assert "jupyter_ai_router" in extensions and "jupyter_ai_persona_manager" in extensions


def test_one_module_with_ai_keeps_jupyter_ai_loaded_but_the_gate_shut(tmp_path):
    modules = course(tmp_path, "ai: {enabled: false}")
    assert server_config_fragment(modules) == {}
    gate = AIGate.for_modules(modules)
    assert not gate.open
    assert "TM351-25J: off for this module" in gate.refusal()


def test_an_exam_window_shuts_the_gate_only_while_it_lasts(tmp_path):
    modules = course(tmp_path, f"ai: {{exam_windows: [{EXAM}]}}")
    assert server_config_fragment(modules) == {}
    assert AIGate.for_modules(modules, at("2026-05-12T08:59:00+01:00")).open
    during = AIGate.for_modules(modules, at("2026-05-12T09:00:00+01:00"))
    assert not during.open
    assert "exam" in during.describe()["modules"][0]["reason"]
    assert AIGate.for_modules(modules, at("2026-05-12T12:00:00+01:00")).open


def test_an_exam_window_without_a_time_zone_is_a_located_error(tmp_path):
    write_manifest(
        tmp_path,
        """
        modules:
          - code: TM351
            presentation: 25J
            ai: {exam_windows: [{start: "2026-05-12 09:00", end: 2026-05-12T12:00:00Z}]}
        """,
    )
    problems = load_course([str(tmp_path)]).problems
    assert len(problems) == 1
    assert problems[0].line == 4
    assert "time zone" in problems[0].message


def test_the_jupyter_ai_routes_are_recognised():
    assert is_ai_route("/api/ai/message/(.*)$")
    assert is_ai_route("/user/ab/ai/acp/permissions$", "/user/ab/")
    assert is_ai_route("/jupyter-ai-router/health/?$")
    assert not is_ai_route("/api/contents/ai/notes.md")
    assert not is_ai_route("/coursekit/api/ai")


class FakeGateway(BaseHTTPRequestHandler):
    """The OpenAI API's model listing, behind a bearer key."""

    def do_GET(self):
        if self.path != "/v1/models":
            self.send_error(404)
            return
        if self.headers.get("Authorization") != "Bearer sk-course":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps(
            {"object": "list", "data": [{"id": "course-assistant", "object": "model"}]}
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_the_gateway_offers_the_model(gateway, monkeypatch):
    monkeypatch.setenv("COURSEKIT_AI_KEY", "sk-course")
    endpoint = Endpoint(gateway, "course-assistant", "COURSEKIT_AI_KEY")
    assert check_gateway(endpoint) == {
        "reachable": True,
        "ok": True,
        "models": ["course-assistant"],
        "message": "ok",
    }
    assert endpoint.environment()["OPENAI_BASE_URL"] == gateway


def test_a_wrong_model_or_key_or_address_is_reported(gateway, monkeypatch):
    monkeypatch.setenv("COURSEKIT_AI_KEY", "sk-course")
    wrong_model = check_gateway(Endpoint(gateway, "gpt-9", "COURSEKIT_AI_KEY"))
    assert wrong_model["ok"] is False and "gpt-9" in wrong_model["message"]
    monkeypatch.setenv("COURSEKIT_AI_KEY", "sk-wrong")
    assert check_gateway(Endpoint(gateway, "course-assistant", "COURSEKIT_AI_KEY"))["message"] == (
        "the gateway answered 401"
    )
    unreachable = check_gateway(Endpoint("http://127.0.0.1:9/v1"), timeout=2)
    assert unreachable["reachable"] is False
