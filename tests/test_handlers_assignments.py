"""A student's assignments through the Modules API, against a real exchange service (its
hub identity stood in for by a token table, as in test_exchange_service)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from tornado.httpclient import HTTPClientError
from tornado.httpserver import HTTPServer

from coursekit.exchange.client import pack
from coursekit.exchange.service import make_app
from coursekit.exchange.storage import ExchangeStorage

from .test_exchange_service import TokenTable
from .test_openapi import validate

MODULE = "TM351-25J"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def exchange_port() -> int:
    return free_port()


@pytest.fixture
def jp_server_config(jp_server_config, exchange_port, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t-alice")
    url = f"http://127.0.0.1:{exchange_port}/services/coursekit-exchange/"
    jp_server_config["CourseKit"]["exchange_url"] = url
    jp_server_config["CourseKit"]["seed_on_start"] = False
    return jp_server_config


def release(storage: ExchangeStorage, folder, assignment="ps1", due=None) -> None:
    archive = pack(folder)
    upload = storage.begin_upload(len(archive))
    upload.write(archive)
    storage.release(MODULE, assignment, upload, hashlib.sha256(archive).hexdigest(), due)


@pytest.fixture
def exchange(tmp_path, exchange_port):
    """A real exchange service in a thread of its own (its own event loop)."""
    storage = ExchangeStorage(tmp_path / "exchange")
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        app = make_app(storage, TokenTable(), "/services/coursekit-exchange/")
        HTTPServer(app).listen(exchange_port, "127.0.0.1")
        loop.call_soon(ready.set)
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    source = tmp_path / "release" / "ps1"
    (source / "data").mkdir(parents=True)
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nbformat.write(nb, source / "problem1.ipynb")
    (source / "data" / "input.csv").write_text("a,b\n1,2\n")
    release(storage, source, due="2026-12-01T12:00:00+00:00")
    yield storage
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


async def api(jp_fetch, *path, method="GET"):
    try:
        answer = await jp_fetch(
            "coursekit", "api", "modules", MODULE, "assignments", *path,
            method=method, body=b"" if method == "POST" else None, request_timeout=240,
        )  # fmt: skip
    except HTTPClientError as error:
        answer = error.response
    return answer.code, json.loads(answer.body)


async def test_released_assignments_are_listed_with_due_date_and_status(
    jp_serverapp, jp_fetch, exchange
):
    code, body = await api(jp_fetch)
    assert code == 200, body
    [ps1] = body["assignments"]
    assert ps1["id"] == "ps1" and ps1["status"] == "released"
    assert ps1["due"] == "2026-12-01T12:00:00+00:00"
    assert ps1["path"] == f"{MODULE}/ps1"


async def test_fetch_never_overwrites_and_fetching_again_gives_only_missing_files(
    jp_serverapp, jp_fetch, exchange, jp_root_dir
):
    code, body = await api(jp_fetch, "ps1", "fetch", method="POST")
    assert code == 200, body
    assert body["fetched"] == ["data/input.csv", "problem1.ipynb"]
    folder = jp_root_dir / MODULE / "ps1"
    (folder / "problem1.ipynb").write_text("my work")
    (folder / "data" / "input.csv").unlink()
    code, body = await api(jp_fetch, "ps1", "fetch", method="POST")
    assert body["fetched"] == ["data/input.csv"] and body["kept"] == ["problem1.ipynb"]
    assert (folder / "problem1.ipynb").read_text() == "my work"
    assert (await api(jp_fetch))[1]["assignments"][0]["status"] == "fetched"


async def test_validate_runs_nbgraders_validator(jp_serverapp, jp_fetch, exchange):
    await api(jp_fetch, "ps1", "fetch", method="POST")
    code, body = await api(jp_fetch, "ps1", "validate", method="POST")
    assert code == 200, body
    assert body["valid"] is True
    assert [n["path"] for n in body["notebooks"]] == [f"{MODULE}/ps1/problem1.ipynb"]


async def test_submit_gives_a_receipt_kept_in_the_module(
    jp_serverapp, jp_fetch, exchange, jp_root_dir
):
    await api(jp_fetch, "ps1", "fetch", method="POST")
    code, receipt = await api(jp_fetch, "ps1", "submit", method="POST")
    assert code == 201, receipt
    assert receipt["student"] == "alice"
    notebook = jp_root_dir / MODULE / "ps1" / "problem1.ipynb"
    files = {f["path"]: f["sha256"] for f in receipt["files"]}
    assert files["problem1.ipynb"] == hashlib.sha256(notebook.read_bytes()).hexdigest()
    assert "timestamp.txt" in files
    validate(receipt, "SubmissionReceipt")
    proof = json.loads((jp_root_dir / receipt["receipt_path"]).read_text())
    assert proof["archive_sha256"] == receipt["archive_sha256"]
    listing = (await api(jp_fetch))[1]
    validate(listing, "AssignmentList")
    [ps1] = listing["assignments"]
    assert ps1["status"] == "submitted"
    assert ps1["submissions"][0]["sha256"] == receipt["archive_sha256"]


async def test_feedback_is_fetched_into_the_assignment(
    jp_serverapp, jp_fetch, exchange, jp_root_dir, tmp_path
):
    await api(jp_fetch, "ps1", "fetch", method="POST")
    assert (await api(jp_fetch, "ps1", "feedback", method="POST"))[0] == 404
    _, receipt = await api(jp_fetch, "ps1", "submit", method="POST")
    [record] = exchange.submissions(MODULE, "alice")
    html = tmp_path / "fb"
    html.mkdir()
    (html / "problem1.html").write_text("<p>2/2</p>")
    archive = pack(html)
    upload = exchange.begin_upload(len(archive))
    upload.write(archive)
    exchange.return_feedback(MODULE, "alice", "ps1", record["submission_id"], upload, None)
    assert (await api(jp_fetch))[1]["assignments"][0]["status"] == "feedback-ready"
    code, body = await api(jp_fetch, "ps1", "feedback", method="POST")
    assert code == 200, body
    [page] = body["feedback"][0]["html"]
    assert (jp_root_dir / page).read_text() == "<p>2/2</p>"
    assert (await api(jp_fetch))[1]["assignments"][0]["feedback_fetched"] is True


async def test_errors_are_statuses_a_student_can_read(jp_serverapp, jp_fetch, exchange):
    code, body = await api(jp_fetch, "ps9", "fetch", method="POST")
    assert code == 404 and "ps9" in body["message"]
    code, body = await api(jp_fetch, "ps1", "submit", method="POST")
    assert code == 404 and "fetched" in body["message"]
    with pytest.raises(HTTPClientError) as refused:  # no route: the id pattern refuses it
        await jp_fetch("coursekit", "api", "modules", MODULE, "assignments", "%2E%2E", "fetch",
                       method="POST", body=b"")  # fmt: skip
    assert refused.value.code == 404


async def test_without_an_exchange_the_panel_says_so(jp_serverapp, jp_fetch):
    # The server runs; no exchange listens on its port.
    code, body = await api(jp_fetch)
    assert code == 502 and body["code"] == "exchange-unavailable"
