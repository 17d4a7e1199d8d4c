"""The idle warning, on a fake clock (coursekit/idle.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from coursekit.idle import CullPolicy, IdleService, StopRecord, env_seconds

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class FakeServer:
    """jupyter_server's last activity: the max of its sources, as web_app.last_activity()."""

    def __init__(self, started):
        self.activity = {"started": started}

    def last_activity(self):
        return max(self.activity.values())

    def touch(self, moment):
        self.activity["coursekit"] = moment


def service(tmp_path, clock, timeout=3600, every=600, warn_before=600):
    server = FakeServer(clock())
    idle = IdleService(
        CullPolicy(timeout, every, warn_before),
        StopRecord(tmp_path / "coursekit", clock),
        last_activity=server.last_activity,
        touch=server.touch,
        clock=clock,
    )
    return idle, server


def test_no_warning_while_the_cull_is_further_than_the_warning(tmp_path):
    clock = FakeClock()
    idle, _ = service(tmp_path, clock)
    clock.advance(minutes=49)
    status = idle.status()
    assert status["culling"] is True
    assert status["seconds_until_cull"] == 11 * 60
    assert status["warn"] is False


def test_warning_ten_minutes_before_the_earliest_cull(tmp_path):
    clock = FakeClock()
    idle, _ = service(tmp_path, clock)
    clock.advance(minutes=50)
    status = idle.status()
    assert status["warn"] is True
    assert status["seconds_until_cull"] == 600
    assert status["last_activity"] == "2026-03-02T14:00:00Z"


def test_still_working_records_activity_the_server_reports(tmp_path):
    clock = FakeClock()
    idle, server = service(tmp_path, clock)
    clock.advance(minutes=55)
    status = idle.still_working()
    assert server.last_activity() == clock.now
    assert status["warn"] is False
    assert status["seconds_until_cull"] == 3600


def test_other_activity_moves_the_cull_too(tmp_path):
    clock = FakeClock()
    idle, server = service(tmp_path, clock)
    clock.advance(minutes=55)
    server.activity["kernel"] = clock.now - timedelta(minutes=1)
    assert idle.status()["warn"] is False


def test_no_culler_means_no_warning_and_no_stop_record(tmp_path):
    clock = FakeClock()
    idle, _ = service(tmp_path, clock, timeout=0)
    clock.advance(days=3)
    assert idle.status()["culling"] is False
    assert "warn" not in idle.status()
    assert idle.record_stop() is None
    assert not (tmp_path / "coursekit").exists()


def test_a_cull_is_recorded_and_told_at_the_next_start(tmp_path):
    clock = FakeClock()
    idle, _ = service(tmp_path, clock)
    clock.advance(minutes=61)
    idle.record_stop()
    clock.advance(hours=20)
    after, _ = service(tmp_path, clock)
    stop = after.status()["previous_stop"]
    assert stop["reason"] == "idle"
    assert stop["stopped_at"] == "2026-03-02T15:01:00Z"
    assert stop["idle_seconds"] == 61 * 60
    after.acknowledge_previous_stop()
    assert after.status()["previous_stop"] is None
    again, _ = service(tmp_path, clock)
    assert again.status()["previous_stop"] is None


def test_a_stop_while_active_is_not_called_idle(tmp_path):
    clock = FakeClock()
    idle, _ = service(tmp_path, clock)
    clock.advance(minutes=5)
    assert idle.record_stop()["reason"] == "stopped"


def test_a_damaged_stop_record_is_ignored(tmp_path):
    (tmp_path / "coursekit").mkdir()
    (tmp_path / "coursekit" / "last-stop.json").write_text("{not json")
    idle, _ = service(tmp_path, FakeClock())
    assert idle.status()["previous_stop"] is None


def test_the_timeout_comes_from_the_hubs_environment():
    assert env_seconds("COURSEKIT_CULL_TIMEOUT", {"COURSEKIT_CULL_TIMEOUT": "3600"}) == 3600
    assert env_seconds("COURSEKIT_CULL_TIMEOUT", {"COURSEKIT_CULL_TIMEOUT": "soon"}) == 0
    assert env_seconds("COURSEKIT_CULL_TIMEOUT", {}) == 0
