"""The exchange service's rules over HTTP, with the hub's identity answers stood in for.

The real HubAuth is exercised in tests/test_exchange_hub.py; here a token table plays the
hub, so each rule is checked fast and in isolation."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys

import pytest
import pytest_asyncio
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.httpserver import HTTPServer

from coursekit.exchange.service import Unauthenticated, make_app
from coursekit.exchange.storage import ExchangeStorage

from .test_exchange_storage import tar_of
from .test_hub_e2e import free_port

pytestmark = pytest.mark.asyncio

COURSE = "TM351-25J"
TOKENS = {"t-alice": "alice", "t-bob": "bob", "t-ines": "ines", "t-otto": "otto"}
GROUPS = {
    "alice": {COURSE},
    "bob": {COURSE},
    "ines": {f"{COURSE}-instructors"},
    "otto": {"M269-25J-instructors", "M269-25J"},
}


class TokenTable:
    async def user(self, token: str) -> str:
        if token not in TOKENS:
            raise Unauthenticated("unknown token")
        return TOKENS[token]

    async def groups(self, username: str) -> set[str]:
        return GROUPS[username]


@pytest_asyncio.fixture
async def exchange(tmp_path, exchange_db_url):
    """The service on a free port, once with SQLite and once with PostgreSQL."""
    storage = ExchangeStorage(tmp_path / "x", 256 * 1024, exchange_db_url)
    app = make_app(storage, TokenTable(), "/services/coursekit-exchange/")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = HTTPServer(app, max_body_size=2 * 1024 * 1024)
    server.listen(port, "127.0.0.1")
    client = AsyncHTTPClient()
    base = f"http://127.0.0.1:{port}/services/coursekit-exchange/api/courses"

    async def call(method, path, token="t-alice", body=None, headers=None):
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"token {token}"
        if body is not None:
            all_headers.setdefault("X-Content-SHA256", hashlib.sha256(body).hexdigest())
        try:
            return await client.fetch(
                f"{base}/{path}",
                method=method,
                headers=all_headers,
                body=body,
                allow_nonstandard_methods=True,
            )
        except HTTPClientError as error:
            return error.response

    release = tar_of({"problem1.ipynb": b"{}"})
    answer = await call("PUT", f"{COURSE}/releases/ps1", "t-ines", release)
    assert answer.code == 201, answer.body
    yield call
    server.stop()
    storage.close()


async def submit(call, token: str) -> dict:
    data = tar_of({"problem1.ipynb": token.encode()})
    answer = await call("POST", f"{COURSE}/releases/ps1/submissions", token, data)
    assert answer.code == 201, answer.body
    return json.loads(answer.body)


async def test_a_student_sees_releases_and_fetches_them(exchange):
    listed = json.loads((await exchange("GET", f"{COURSE}/releases")).body)
    assert [r["assignment_id"] for r in listed["releases"]] == ["ps1"]
    answer = await exchange("GET", f"{COURSE}/releases/ps1")
    assert hashlib.sha256(answer.body).hexdigest() == answer.headers["X-Content-SHA256"]


async def test_a_submission_is_stored_as_the_tokens_owner(exchange):
    receipt = await submit(exchange, "t-alice")
    assert receipt["student_id"] == "alice"
    bob = json.loads((await exchange("GET", f"{COURSE}/submissions", "t-bob")).body)
    assert bob["submissions"] == []


async def test_a_student_cannot_open_anothers_submission_or_feedback(exchange):
    receipt = await submit(exchange, "t-alice")
    base = f"{COURSE}/submissions/alice/ps1/{receipt['submission_id']}"
    feedback = tar_of({"problem1.html": b"<p>well done</p>"})
    assert (await exchange("PUT", f"{base}/feedback", "t-ines", feedback)).code == 201
    for path in (base, f"{base}/feedback", f"{COURSE}/submissions?student=alice"):
        answer = await exchange("GET", path, "t-bob")
        assert answer.code == 403, path
    assert (await exchange("GET", f"{base}/feedback", "t-alice")).body == feedback


async def test_only_instructors_release_and_return_feedback(exchange):
    receipt = await submit(exchange, "t-alice")
    data = tar_of({"x.html": b"x"})
    path = f"{COURSE}/submissions/alice/ps1/{receipt['submission_id']}/feedback"
    assert (await exchange("PUT", path, "t-alice", data)).code == 403
    assert (await exchange("PUT", f"{COURSE}/releases/ps2", "t-alice", data)).code == 403
    assert (await exchange("DELETE", f"{COURSE}/releases/ps1", "t-alice")).code == 403


async def test_instructors_of_another_course_are_refused(exchange):
    for method, path, body in (
        ("GET", f"{COURSE}/releases", None),
        ("GET", f"{COURSE}/submissions", None),
        ("PUT", f"{COURSE}/releases/ps1", tar_of({"a": b"a"})),
    ):
        answer = await exchange(method, path, "t-otto", body)
        assert answer.code == 403, (method, path)


@pytest.mark.parametrize("token", [None, "forged"])
async def test_no_valid_token_no_access(exchange, token):
    answer = await exchange("GET", f"{COURSE}/releases", token)
    assert answer.code == 401
    assert json.loads(answer.body)["code"] == "unauthenticated"


async def test_an_oversize_upload_gets_a_413_with_a_message(exchange):
    big = b"x" * (300 * 1024)
    answer = await exchange("POST", f"{COURSE}/releases/ps1/submissions", "t-alice", big)
    assert answer.code == 413
    assert "limit" in json.loads(answer.body)["message"]


async def test_a_damaged_upload_is_refused(exchange):
    data = tar_of({"problem1.ipynb": b"{}"})
    answer = await exchange(
        "POST",
        f"{COURSE}/releases/ps1/submissions",
        "t-alice",
        data,
        {"X-Content-SHA256": "0" * 64},
    )
    assert answer.code == 400
    listed = json.loads((await exchange("GET", f"{COURSE}/submissions")).body)
    assert listed["submissions"] == []


@pytest.mark.parametrize(
    "path", ["%2E%2E/releases", f"{COURSE}/releases/%2E%2E", f"{COURSE}/releases/..%2Fx"]
)
async def test_traversal_in_ids_is_a_400(exchange, path):
    answer = await exchange("GET", path, "t-ines")
    assert answer.code == 400
    assert json.loads(answer.body)["code"] == "invalid-id"


async def test_the_service_listens_on_the_address_it_is_given(tmp_path):
    # In a Kubernetes hub pod the service's URL names the hub's Service (http://hub:8090),
    # an address the pod cannot listen on: --ip says where to listen instead.
    port = free_port()
    prefix = "/services/coursekit-exchange/"
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coursekit.exchange.service",
            f"--root={tmp_path}",
            "--ip=127.0.0.1",
        ],
        env={
            **os.environ,
            "JUPYTERHUB_SERVICE_URL": f"http://hub.invalid:{port}",
            "JUPYTERHUB_SERVICE_PREFIX": prefix,
            "JUPYTERHUB_API_TOKEN": "not-used-here",
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            assert service.poll() is None, service.stderr.read()
            try:
                answer = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}{prefix}health")
            except (ConnectionError, OSError):
                await asyncio.sleep(0.2)
                continue
            assert json.loads(answer.body) == {"status": "ok"}
            return
        pytest.fail("the service never answered on 127.0.0.1")
    finally:
        service.kill()
        service.wait()
