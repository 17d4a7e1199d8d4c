"""The reference hub for tests/assignments-hub.spec.ts, with the instructor's side of
nbgrader done here so the spec can click through the student's side in a browser.

Starts images/hub/jupyterhub_config.py (with its exchange service) on free loopback ports
and a throwaway state folder, as tests/test_hub_e2e.py does; the instructor makes
nbgrader's quickstart course and releases ps1 with a due date, as
tests/test_exchange_hub.py does (its helpers, imported).

Talks to the spec in JSON lines: it prints ``{"event": "ready", ...}`` (the hub's URL,
state folder, module, assignment and due date) once ps1 is released, then answers each
command line on stdin:

  return-feedback   the instructor collects, autogrades, generates and releases feedback;
                    answers {"event": "feedback-returned", "collected": {file: sha256}}

A failed command answers ``{"event": "error", "message": ...}``. When stdin closes (the spec
is done, or its worker died) or on SIGTERM or SIGINT, the hub is stopped with every process
under it and the state folder removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.test_exchange_hub import (  # noqa: E402
    ASSIGNMENT,
    Person,
    release_quickstart,
    return_feedback,
)
from tests.test_hub_e2e import MODULE, PASSWORD, running_hub  # noqa: E402

# nbgrader's form for the gradebook; the spec shows it in the browser's own time zone.
DUE = "2027-01-15 17:00:00 UTC"
DUE_ISO = "2027-01-15T17:00:00+00:00"


def say(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def stop_on_signal(signum, frame) -> None:
    # Unwinds through running_hub's finally, which stops the hub and what is under it.
    raise SystemExit(128 + signum)


def collected(course: Path, student: str) -> dict[str, str]:
    """What the instructor received from ``student``: each file's sha256."""
    folder = course / "submitted" / student / ASSIGNMENT
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def commands_from_stdin():
    """The spec's pipe, kept to this process. Children get /dev/null instead: Node
    (configurable-http-proxy) makes an inherited pipe non-blocking, which would make the
    next read here look like the end of input and stop the hub."""
    private = os.dup(sys.stdin.fileno())  # not inherited by children
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, sys.stdin.fileno())
    os.close(devnull)
    return os.fdopen(private, "r", encoding="utf-8")


def main() -> None:
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    commands = commands_from_stdin()
    state = Path(tempfile.mkdtemp(prefix="coursekit-ui-hub-"))
    try:
        with running_hub(state) as hub:
            teacher = Person(hub, "instructor1")
            course = release_quickstart(teacher, due=DUE)
            say(
                "ready",
                url=hub.url,
                password=PASSWORD,
                state=str(state),
                module=MODULE,
                assignment=ASSIGNMENT,
                due=DUE_ISO,
            )
            for line in commands:
                command = line.strip()
                try:
                    if command == "return-feedback":
                        return_feedback(teacher, course)
                        say("feedback-returned", collected=collected(course, "student1"))
                    else:
                        say("error", message=f"unknown command {command!r}")
                except Exception:  # noqa: BLE001 (the spec shows it and fails)
                    say("error", message=traceback.format_exc())
    except Exception:
        # Before "ready" the spec has nothing else to go on; the hub's log is gone after.
        log = state / "hub.log"
        if log.is_file():
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
