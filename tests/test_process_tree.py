"""The /proc reader the end-to-end tests and the hub benchmarks use to find what they started."""

from __future__ import annotations

import os
import subprocess
import sys

from .process_tree import command_line, descendants, environ_of

# A child that starts a grandchild in a session of its own (as the hub starts servers),
# prints its pid, and waits for it.
PARENT = """
import subprocess, sys
grandchild = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(60)", "--marker"], start_new_session=True
)
print(grandchild.pid, flush=True)
grandchild.wait()
"""


def test_descendants_finds_children_and_grandchildren_in_other_sessions():
    child = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PROCESS_TREE_TEST": "1"},
    )
    try:
        grandchild = int(child.stdout.readline())
        assert descendants(os.getpid()) >= {child.pid, grandchild}
        assert descendants(child.pid) == {grandchild}
        assert descendants(grandchild) == set()
        assert command_line(grandchild)[-1] == "--marker"
        assert environ_of(grandchild)["PROCESS_TREE_TEST"] == "1"
    finally:
        for pid in descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()
