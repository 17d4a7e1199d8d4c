#!/usr/bin/env python3
"""A stand-in for a course app's binary, for tests on machines without the real app.

Installed on PATH under the real names (rserver, matlab-proxy-app, vncserver, code-server,
tensorboard). Each checks the flags and environment coursekit gives the real program and
exits with status 2 and a message when one is wrong, so a test fails on a wrong command
line; then it serves what the real app would: HTTP and a websocket (an echo), or for
vncserver an RFB banner on its unix socket. GET answers JSON describing the request, the
working directory and the command line, for tests to check.

COURSEKIT_SHIM_FAIL=<app> makes that app print a few log lines and exit with status 3.
COURSEKIT_SHIM_DELAY=<seconds> makes every app wait that long before it listens.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import sys
import time

NAME = os.path.basename(sys.argv[0])
ARGS = sys.argv[1:]


def die(message: str) -> None:
    print(f"{NAME} (coursekit test shim): {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def flag(name: str, *, required: bool = True) -> str | None:
    """The value of ``--name=value``, ``--name value`` or ``-name value``."""
    for i, arg in enumerate(ARGS):
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
        if arg == name:
            if i + 1 >= len(ARGS):
                die(f"{name} has no value")
            return ARGS[i + 1]
    if required:
        die(f"missing {name} in {ARGS}")
    return None


def expect(name: str, value: str) -> None:
    got = flag(name)
    if got != value:
        die(f"{name} is {got!r}, expected {value!r}")


def check() -> dict:
    """Check the command line for this app; return how to listen."""
    cwd = os.getcwd()
    if NAME == "rserver":
        expect("--auth-none", "1")
        expect("--www-frame-origin", "same")
        expect("--www-verify-user-agent", "0")
        root = flag("--www-root-path")
        if not root.endswith("/rstudio/"):
            die(f"--www-root-path {root!r} does not end in /rstudio/")
        for f in ("--database-config-file", "--rsession-config-file"):
            if not os.path.isfile(flag(f)):
                die(f"{f} {flag(f)!r} does not exist")
        with open(flag("--rsession-config-file")) as conf:
            if f"session-default-working-dir={cwd}\n" not in conf.read():
                die("rsession.conf does not open the working directory")
        if not os.path.isdir(flag("--server-data-dir")):
            die("--server-data-dir does not exist")
        flag("--server-user")
        return {"unix": flag("--www-socket"), "prefix": ""}
    if NAME == "matlab-proxy-app":
        env = os.environ
        if env.get("MWI_APP_HOST") != "127.0.0.1":
            die("MWI_APP_HOST is not 127.0.0.1")
        if env.get("MWI_ENABLE_TOKEN_AUTH") != "false" or env.get("MWI_ENABLE_SSL") != "false":
            die("MWI_ENABLE_TOKEN_AUTH and MWI_ENABLE_SSL must be false behind the proxy")
        if not env.get("MWI_BASE_URL", "").endswith("/matlab"):
            die(f"MWI_BASE_URL {env.get('MWI_BASE_URL')!r} does not end in /matlab")
        return {"port": int(env["MWI_APP_PORT"]), "prefix": env["MWI_BASE_URL"]}
    if NAME == "code-server":
        expect("--auth", "none")
        expect("--socket-mode", "600")
        for required in ("--disable-telemetry", "--disable-update-check"):
            if required not in ARGS:
                die(f"missing {required}")
        if "--bind-addr" in " ".join(ARGS):
            die("code-server must listen on its unix socket only")
        if ARGS[-1] != cwd:
            die(f"the folder to open {ARGS[-1]!r} is not the working directory {cwd!r}")
        return {"unix": flag("--socket"), "prefix": "", "mode": 0o600}
    if NAME == "tensorboard":
        expect("--host", "127.0.0.1")
        logdir = flag("--logdir", required=False)
        spec = flag("--logdir_spec", required=False)
        dirs = [logdir] if logdir else [p.split(":", 1)[1] for p in (spec or "").split(",") if p]
        if not dirs:
            die("neither --logdir nor --logdir_spec")
        for d in dirs:
            if not os.path.isdir(d):
                die(f"log directory {d!r} does not exist")
        prefix = flag("--path_prefix")
        if not prefix.endswith("/tensorboard"):
            die(f"--path_prefix {prefix!r} does not end in /tensorboard")
        return {"port": int(flag("--port")), "prefix": prefix}
    if NAME == "vncserver":
        expect("-rfbport", "-1")
        expect("-SecurityTypes", "None")
        expect("-rfbunixmode", "0600")
        if "-fg" not in ARGS:
            die("vncserver must stay in the foreground (-fg) for the proxy to supervise it")
        xstartup = flag("-xstartup")
        if not os.access(xstartup, os.X_OK):
            die(f"-xstartup {xstartup!r} is not executable")
        return {"rfb": flag("-rfbunixpath"), "mode": 0o600}
    die("unknown shim name")
    return {}


async def serve_rfb(path: str, mode: int) -> None:
    async def client(reader, writer):
        writer.write(b"RFB 003.008\n")
        await writer.drain()
        while data := await reader.read(4096):
            writer.write(data)  # an echo after the banner, for round-trip tests
            await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(client, path)
    os.chmod(path, mode)
    print(f"{NAME}: RFB on {path}", flush=True)
    async with server:
        await server.serve_forever()


def serve_http(how: dict) -> None:
    from tornado import httpserver, ioloop, netutil, web, websocket

    prefix = how.get("prefix", "")

    class Echo(websocket.WebSocketHandler):
        def check_origin(self, origin):
            return True

        def on_message(self, message):
            self.write_message(message, binary=isinstance(message, bytes))

    class Describe(web.RequestHandler):
        def get(self, rest):
            self.write(
                {
                    "app": NAME,
                    "path": self.request.path,
                    "cwd": os.getcwd(),
                    "argv": ARGS,
                    "headers": dict(self.request.headers),
                }
            )

        post = get

    app = web.Application([(rf"{prefix}/ws", Echo), (rf"{prefix}(/.*)?", Describe)])
    server = httpserver.HTTPServer(app)
    if "unix" in how:
        sock = netutil.bind_unix_socket(how["unix"], mode=how.get("mode", 0o600))
        if "mode" in how and stat.S_IMODE(os.stat(how["unix"]).st_mode) != how["mode"]:
            die("socket mode not applied")
        server.add_socket(sock)
        print(f"{NAME}: listening on {how['unix']}", flush=True)
    else:
        server.add_sockets(netutil.bind_sockets(how["port"], "127.0.0.1"))
        print(f"{NAME}: listening on 127.0.0.1:{how['port']}", flush=True)
    ioloop.IOLoop.current().start()


def main() -> None:
    how = check()
    if os.environ.get("COURSEKIT_SHIM_FAIL") == NAME:
        print(f"{NAME}: starting", flush=True)
        print(f"{NAME}: error: licence server unreachable (shim failure)", flush=True)
        sys.exit(3)
    time.sleep(float(os.environ.get("COURSEKIT_SHIM_DELAY", "0")))
    if "rfb" in how:
        asyncio.run(serve_rfb(how["rfb"], how["mode"]))
    else:
        serve_http(how)


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
