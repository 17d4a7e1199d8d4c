"""The real apps this machine installs (scripts/install-apps) behind the real proxy:
TensorBoard from PyPI, TigerVNC with a window manager from Debian. code-server cannot be
installed here (see docs/webapps.md), so VS Code is covered by its shim only."""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
from pathlib import Path

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from .conftest import write_manifest
from .test_handlers_webapps import (
    SHIMS,
    jp_base_url,  # noqa: F401  (a hub's base URL)
    server_config,
    stop_apps,  # noqa: F401  (autouse: the apps stop with the server)
)


def real(binary: str) -> str:
    """The real program, never a shim; a clear failure when it is missing."""
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != SHIMS)
    found = shutil.which(binary, path=path)
    assert found, f"{binary} is not installed: run scripts/install-apps"
    return found


@pytest.fixture
def jp_server_config(jp_root_dir, tmp_path, monkeypatch):
    real("tensorboard")
    real("vncserver")
    root = tmp_path / "image"
    write_manifest(
        root,
        """
        modules:
          - code: TM351
            presentation: 25J
            apps:
              tensorboard: {logdir: runs}
              desktop: {geometry: 1024x768}
        """,
    )
    monkeypatch.setenv("COURSEKIT_MODULES", "TM351-25J")
    # The apps start with the server's environment: keep the shims off it.
    monkeypatch.setenv(
        "PATH", os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"])
    )
    return server_config(root, tmp_path / "state")


def write_scalar(logdir: Path, tag: str, values: list[float]) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(logdir))
    for step, value in enumerate(values):
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]
        )
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0 + step, summary=summary))
    writer.close()


async def test_real_tensorboard_shows_the_module_runs(jp_fetch, jp_root_dir):
    write_scalar(jp_root_dir / "TM351-25J" / "runs" / "first", "loss", [1.0, 0.5, 0.25])
    env = json.loads(
        (await jp_fetch("tensorboard", "data", "environment", request_timeout=90)).body
    )
    assert env["data_location"] == str(jp_root_dir / "TM351-25J" / "runs")
    page = await jp_fetch("tensorboard", "index.html")
    assert b"<tf-tensorboard" in page.body or b"tensorboard" in page.body.lower()
    # TensorBoard loads event files in the background: ask until the run shows.
    import asyncio

    for _ in range(100):
        tags = json.loads((await jp_fetch("tensorboard", "data", "plugin", "scalars", "tags")).body)
        if tags:
            break
        await asyncio.sleep(0.2)
    assert set(tags) == {"first"} and set(tags["first"]) == {"loss"}
    scalars = json.loads(
        (
            await jp_fetch(
                "tensorboard",
                "data",
                "plugin",
                "scalars",
                "scalars",
                params={"run": "first", "tag": "loss"},
            )
        ).body
    )
    assert [value for _, _, value in scalars] == [1.0, 0.5, 0.25]


async def test_real_desktop_speaks_rfb_through_the_proxy(
    jp_fetch, jp_http_port, jp_serverapp, jp_auth_header
):
    url = f"ws://127.0.0.1:{jp_http_port}{jp_serverapp.base_url}desktop-websockify/"
    conn = await websocket_connect(HTTPRequest(url, headers=jp_auth_header, request_timeout=90))
    buffer = b""

    async def read(n: int) -> bytes:
        nonlocal buffer
        while len(buffer) < n:
            message = await conn.read_message()
            assert message is not None, "the desktop closed the stream"
            buffer += message
        out, buffer = buffer[:n], buffer[n:]
        return out

    # RFB 3.8 handshake (RFC 6143): version, security type None, then ServerInit.
    assert await read(12) == b"RFB 003.008\n"
    await conn.write_message(b"RFB 003.008\n", binary=True)
    (count,) = struct.unpack("B", await read(1))
    types = await read(count)
    assert 1 in types, f"security types {list(types)}: None (1) expected"
    await conn.write_message(b"\x01", binary=True)
    assert struct.unpack(">I", await read(4))[0] == 0  # SecurityResult OK
    await conn.write_message(b"\x01", binary=True)  # ClientInit, shared
    width, height = struct.unpack(">HH", await read(4))
    assert (width, height) == (1024, 768)
    conn.close()
    page = await jp_fetch("desktop")
    assert b"./novnc/core/rfb.js" in page.body
    rfb = await jp_fetch("desktop", "novnc", "core", "rfb.js")
    assert b"export default class RFB" in rfb.body
