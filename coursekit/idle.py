"""Warn before the idle culler stops the server, and say afterwards why it stopped.

The hub runs jupyterhub-idle-culler with ``--timeout`` and ``--cull-every`` and passes
both to the server as ``COURSEKIT_CULL_TIMEOUT`` and ``COURSEKIT_CULL_EVERY`` (see
images/hub/coursekit_hub.py ``cull_environment``). The culler stops a server whose last
activity is older than the timeout, checking every ``every`` seconds; so the earliest stop
is ``last_activity + timeout`` and the warning is due ``warn_before`` seconds earlier.
The last activity is jupyter_server's own (``web_app.last_activity()``, the value the
hub's activity reports are made from), not a guess kept by the browser.

When the server stops, :func:`record_stop` writes ``last-stop.json`` in coursekit's
folder of the Jupyter data dir (``~/.local/share/jupyter/coursekit/`` in a course image:
in the persistent home, outside the module folders, so it is never downloaded or seeded).
The next start reads it once, so JupyterLab can say why and when, and deletes it when
the student has seen it.

Plain Python with an injectable clock; no tornado.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

STOP_RECORD = "last-stop.json"
# The culler's own clock and ours differ by the time its request takes: a stop this close
# to the timeout is still the culler's.
CULL_SLACK_SECONDS = 60


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def env_seconds(name: str, environ: Mapping[str, str] | None = None) -> int:
    """A whole number of seconds from the environment; 0 when unset or not a number."""
    value = (environ if environ is not None else os.environ).get(name, "").strip()
    try:
        return max(0, int(value))
    except ValueError:
        return 0


@dataclass(frozen=True)
class CullPolicy:
    """What the hub's culler does, as far as the server knows."""

    timeout: int  # seconds of inactivity before a stop; 0: no culler
    every: int = 0  # how often the culler looks
    warn_before: int = 600  # when to warn, in seconds before the earliest stop

    @property
    def active(self) -> bool:
        return self.timeout > 0

    def status(self, last_activity: datetime, now: datetime) -> dict:
        """What the idle warning needs, computed on the server's clock."""
        if not self.active:
            return {"culling": False, "timeout": 0, "every": 0, "warn_before": self.warn_before}
        idle = max(0.0, (now - last_activity).total_seconds())
        until = self.timeout - idle
        return {
            "culling": True,
            "timeout": self.timeout,
            "every": self.every,
            "warn_before": self.warn_before,
            "last_activity": iso(last_activity),
            "now": iso(now),
            "idle_seconds": round(idle),
            # The earliest moment the culler may stop the server (it may be up to
            # `every` seconds later).
            "seconds_until_cull": max(0, round(until)),
            "warn": until <= self.warn_before,
        }

    def stop_reason(self, last_activity: datetime, now: datetime) -> str:
        """``idle`` when the server stopped as the culler would stop it, else ``stopped``."""
        idle = (now - last_activity).total_seconds()
        if self.active and idle >= self.timeout - CULL_SLACK_SECONDS:
            return "idle"
        return "stopped"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class StopRecord:
    """``last-stop.json``: why and when the previous server stopped."""

    def __init__(self, folder: Path, clock: Callable[[], datetime] = utcnow) -> None:
        self.path = Path(folder) / STOP_RECORD
        self.clock = clock

    def write(self, policy: CullPolicy, last_activity: datetime) -> dict:
        now = self.clock()
        record = {
            "reason": policy.stop_reason(last_activity, now),
            "stopped_at": iso(now),
            "last_activity": iso(last_activity),
            "idle_seconds": round(max(0.0, (now - last_activity).total_seconds())),
            "timeout": policy.timeout,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{STOP_RECORD}.tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, self.path)
        return record

    def read(self) -> dict | None:
        """The record, or None when there is none or it is unreadable (never fatal)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("reason") not in ("idle", "stopped"):
            return None
        return data

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class IdleService:
    """The idle warning's server side: status, "I'm still working", the stop record.

    ``last_activity`` and ``touch`` come from jupyter_server (the app wires them), so this
    class stays testable with a fake clock.
    """

    def __init__(
        self,
        policy: CullPolicy,
        record: StopRecord,
        last_activity: Callable[[], datetime],
        touch: Callable[[datetime], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.policy = policy
        self.record = record
        self.last_activity = last_activity
        self.touch = touch
        self.clock = clock
        # Read once at start: the stop of the previous server, until the student saw it.
        self.previous_stop = record.read()

    def status(self) -> dict:
        payload = self.policy.status(self.last_activity(), self.clock())
        payload["previous_stop"] = self.previous_stop
        return payload

    def still_working(self) -> dict:
        """Record activity now, as the culler will see it, and answer the new status."""
        self.touch(self.clock())
        return self.status()

    def acknowledge_previous_stop(self) -> None:
        self.previous_stop = None
        self.record.clear()

    def record_stop(self) -> dict | None:
        """At shutdown: remember why, for the next start. Nothing to say without a culler."""
        if not self.policy.active:
            return None
        return self.record.write(self.policy, self.last_activity())
