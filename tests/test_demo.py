"""The README's first command: the example course in a throwaway home, as a student sees it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

from .conftest import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_serves_the_example_module_in_a_throwaway_home():
    port = free_port()
    env = {**os.environ, "COURSEKIT_SKIP_INSTALL": "1", "PORT": str(port)}
    env.pop("COURSEKIT_MODULES", None)
    demo = subprocess.Popen(
        [str(REPO / "scripts" / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        url = home = shared = None
        deadline = time.monotonic() + 90
        while url is None or home is None or shared is None:
            assert time.monotonic() < deadline, "the demo printed no URL"
            line = demo.stdout.readline()
            assert line or demo.poll() is None, "the demo exited early"
            if match := re.search(r"open:\s+(http://\S+)", line):
                url = match.group(1)
            if match := re.search(r"home:\s+(\S+)", line):
                home = match.group(1)
            if match := re.search(r"shared folder volume:\s+(\S+)", line):
                shared = match.group(1)
        token = url.split("token=")[1]
        api = f"http://127.0.0.1:{port}/coursekit/api/modules"
        while True:
            try:
                request = urllib.request.Request(api, headers={"Authorization": f"token {token}"})
                body = json.loads(urllib.request.urlopen(request, timeout=5).read())
                break
            except OSError:
                assert time.monotonic() < deadline, "the demo's server never answered"
                time.sleep(0.2)
        assert [m["id"] for m in body["modules"]] == ["TM351-25J"]
        assert body["modules"][0]["status"] == "ready"
        # The course shared folder, from the demo's stand-in for the platform's volume.
        [folder] = body["modules"][0]["shared"]
        assert folder["status"] == "ready", folder
        assert os.path.isfile(os.path.join(home, "TM351-25J", "shared", "README.md"))
        assert os.path.isdir(os.path.join(home, "TM351-25J"))
        # The real server queues the seed once it is up: the course arrives by itself.
        readme = os.path.join(home, "TM351-25J", "notebooks", "01-getting-started.ipynb")
        while not os.path.exists(readme):
            assert time.monotonic() < deadline, "the example course was never seeded"
            time.sleep(0.2)
        assert home.startswith(os.environ.get("TMPDIR", "/tmp"))
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
        for folder in (home, shared):
            if folder:
                subprocess.run(["chmod", "-R", "u+w", folder], check=False)
                shutil.rmtree(folder, ignore_errors=True)
