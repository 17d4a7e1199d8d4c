"""Course web apps through jupyter-server-proxy, against the same app reached directly.

On one server with the example course (TensorBoard and the desktop): the time from the
first request (a click on the card) to the app's first byte; then HTTP latency of a small
TensorBoard request through the proxy beside the same request to TensorBoard's own port,
and a VNC round trip (a 1x1 framebuffer update) through the proxied websocket beside the
same round trip on the VNC server's unix socket. Proxied and direct alternate in batches,
so a slow spell of the machine lands on both.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import struct
import time

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from tests.process_tree import command_line, descendants

from ..context import Context
from ..figures import BenchmarkError, Figure, percentile
from ..server import JupyterServer, coursekit_switch

NAME = "webapps"
BATCH = 50
RFB_VERSION = b"RFB 003.008\n"
# FramebufferUpdateRequest, not incremental, for the 1x1 region at 0,0: always answered.
UPDATE_REQUEST = struct.pack(">BBHHHH", 3, 0, 0, 0, 1, 1)


def _process_args(root: int, pattern: str, flag: str) -> list[str]:
    """The command line of the process under ``root`` that runs ``pattern`` with ``flag``."""
    for pid in descendants(root):
        try:
            args = command_line(pid)
        except OSError:
            continue
        if args and flag in args and re.search(pattern, " ".join(args[:2])):
            return args
    raise BenchmarkError(f"no {pattern} process with {flag} under the server")


class _Stream:
    """Bytes in order from a message stream (RFB over a websocket or a socket)."""

    def __init__(self, receive) -> None:
        self.receive = receive
        self.buffer = b""

    async def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = await self.receive()
            if not chunk:
                raise BenchmarkError("the VNC server closed the stream")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


async def _rfb_session(send, stream: _Stream) -> int:
    """The RFB 3.8 handshake with security None; returns the bytes per pixel."""
    if await stream.read(12) != RFB_VERSION:
        raise BenchmarkError("not an RFB 3.8 server")
    await send(RFB_VERSION)
    (count,) = struct.unpack("B", await stream.read(1))
    if 1 not in await stream.read(count):
        raise BenchmarkError("the VNC server does not offer security None")
    await send(b"\x01")
    if struct.unpack(">I", await stream.read(4))[0] != 0:
        raise BenchmarkError("VNC security handshake failed")
    await send(b"\x01")
    header = await stream.read(24)
    bits_per_pixel = header[4]
    (name_length,) = struct.unpack(">I", header[20:24])
    await stream.read(name_length)
    return bits_per_pixel // 8


async def _rfb_round_trips(send, stream: _Stream, count: int) -> list[float]:
    pixel = await _rfb_session(send, stream)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        await send(UPDATE_REQUEST)
        kind, _, rects = struct.unpack(">BBH", await stream.read(4))
        if kind != 0 or rects != 1:
            raise BenchmarkError(f"unexpected RFB message {kind} with {rects} rectangles")
        _, _, w, h, encoding = struct.unpack(">HHHHi", await stream.read(12))
        if encoding != 0:
            raise BenchmarkError(f"unexpected RFB encoding {encoding}")
        await stream.read(w * h * pixel)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def _proxied_rfb(server: JupyterServer, count: int) -> list[float]:
    url = server.url.replace("http://", "ws://") + "/desktop-websockify/"
    conn = await websocket_connect(HTTPRequest(url, headers=server.headers, request_timeout=90))
    try:

        async def send(data: bytes) -> None:
            await conn.write_message(data, binary=True)

        return await _rfb_round_trips(send, _Stream(conn.read_message), count)
    finally:
        conn.close()


async def _direct_rfb(socket_path: str, count: int) -> list[float]:
    reader, writer = await asyncio.open_unix_connection(socket_path)
    try:

        async def send(data: bytes) -> None:
            writer.write(data)
            await writer.drain()

        return await _rfb_round_trips(send, _Stream(lambda: reader.read(65536)), count)
    finally:
        writer.close()


async def _http(url: str, headers: dict, count: int) -> list[float]:
    client = AsyncHTTPClient(force_instance=True)
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            response = await client.fetch(HTTPRequest(url, headers=headers), raise_error=False)
            times.append((time.perf_counter() - start) * 1000)
            if response.code != 200:
                raise BenchmarkError(f"GET {url} answered {response.code}")
    finally:
        client.close()
    return times


async def _first_byte(url: str, headers: dict, timeout: float = 120) -> float:
    """Milliseconds from the request to the first byte of the answer (any status)."""
    client = AsyncHTTPClient(force_instance=True)
    first: list[float] = []
    start = time.perf_counter()
    try:
        await client.fetch(
            HTTPRequest(
                url,
                headers=headers,
                request_timeout=timeout,
                header_callback=lambda _line: first or first.append(time.perf_counter()),
            ),
            raise_error=False,
        )
    finally:
        client.close()
    if not first:
        raise BenchmarkError(f"GET {url} never answered")
    return (first[0] - start) * 1000


async def _measure(server: JupyterServer, total: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    samples["tensorboard start"] = [await _first_byte(server.url + "/tensorboard/", server.headers)]
    samples["desktop start"] = [
        await _first_byte(server.url + "/desktop-websockify/", server.headers)
    ]
    root = server.proc.pid
    tensorboard = _process_args(root, r"tensorboard", "--path_prefix")
    port = tensorboard[tensorboard.index("--port") + 1]
    prefix = tensorboard[tensorboard.index("--path_prefix") + 1]
    vnc_socket = _process_args(root, r"Xtigervnc|Xvnc", "-rfbunixpath")
    vnc_socket = vnc_socket[vnc_socket.index("-rfbunixpath") + 1]
    proxied_url = server.url + "/tensorboard/data/environment"
    direct_url = f"http://127.0.0.1:{port}{prefix}/data/environment"
    for key in ("http proxied", "http direct", "ws proxied", "ws direct"):
        samples[key] = []
    await _http(proxied_url, server.headers, 20)  # warm-up
    await _http(direct_url, {}, 20)
    for i in range(max(1, total // BATCH)):
        steps = [
            ("http proxied", _http(proxied_url, server.headers, BATCH)),
            ("http direct", _http(direct_url, {}, BATCH)),
            ("ws proxied", _proxied_rfb(server, BATCH)),
            ("ws direct", _direct_rfb(vnc_socket, BATCH)),
        ]
        if i % 2:
            steps.reverse()
        for key, step in steps:
            samples[key].extend(await step)
    return samples


def run(ctx: Context) -> list[Figure]:
    total = ctx.size(1000, 200)
    for program in ("tensorboard", "vncserver"):
        if shutil.which(program) is None:
            raise BenchmarkError(f"{program} is not installed: run scripts/install-apps")
    env = {"COURSEKIT_MANIFEST": str(ctx.repo / "images" / "example-course")}
    ctx.log(f"{NAME}: TensorBoard and the desktop, {total} requests each way")
    with JupyterServer(coursekit_switch(True), env, scratch=ctx.scratch) as server:
        samples = asyncio.run(_measure(server, total))
    note = f"{total} sequential requests each, loopback; direct = the app's own port or socket"
    p50 = {k: percentile(v, 50) for k, v in samples.items()}
    return [
        Figure(
            "TensorBoard GET p50 through the proxy vs direct",
            p50["http proxied"],
            p50["http direct"],
            note=note,
            detail={"requests": total},
        ),
        Figure(
            "Desktop VNC round trip p50 through the proxied websocket vs the unix socket",
            p50["ws proxied"],
            p50["ws direct"],
            note="1x1 framebuffer update request and answer, RFB over the raw socket proxy",
        ),
        Figure("TensorBoard: click to first byte (first start)", p50["tensorboard start"]),
        Figure("Desktop: click to first byte (first start)", p50["desktop start"]),
    ]
