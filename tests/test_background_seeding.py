"""The seeding worker inside the server: queued, running, done or failed, never raising out."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from coursekit.background_seeding import SeedingService
from coursekit.errors import CourseKitError
from coursekit.modules import ModuleService


@pytest.fixture
def service(course_dir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    seeding = SeedingService(
        ModuleService([str(course_dir)], home).load(), cache_dir=str(tmp_path / "cache")
    )
    yield seeding
    seeding.shutdown()


def test_a_seed_runs_in_the_worker_and_keeps_its_report(service):
    service.start("TM351-25J").result(timeout=60)
    state = service.state("TM351-25J")
    assert state["state"] == "done"
    assert "README.md" in state["report"]["added"]
    assert service.states()["M269-25J"]["state"] == "idle"


def test_a_failed_seed_is_a_state_with_an_error_not_a_crash(service, course_dir):
    shutil.rmtree(course_dir / "content" / "TM351")
    future = service.start("TM351-25J")
    with pytest.raises(CourseKitError):
        future.result(timeout=60)
    state = service.state("TM351-25J")
    assert state["state"] == "failed"
    assert state["error"]["code"]
    assert state["error"]["message"]


def test_the_next_server_start_shows_the_last_report(service, course_dir, tmp_path):
    service.start("TM351-25J").result(timeout=60)
    again = SeedingService(ModuleService([str(course_dir)], tmp_path / "home").load())
    assert again.state("TM351-25J")["state"] == "done"
    assert again.state("TM351-25J")["report"]["added"]


def test_reset_goes_through_the_same_worker(service, tmp_path):
    service.start("TM351-25J").result(timeout=60)
    answer = asyncio.run(service.reset("TM351-25J"))
    assert answer["backup"].startswith("TM351-25J.backup-")
    assert (tmp_path / "home" / answer["backup"] / "README.md").is_file()
    assert answer["seed"]["state"] == "done"


def test_a_module_whose_folder_failed_cannot_be_seeded(course_dir, tmp_path):
    (tmp_path / "TM351-25J").write_text("in the way")
    seeding = SeedingService(ModuleService([str(course_dir)], tmp_path).load())
    with pytest.raises(CourseKitError) as caught:
        seeding.start("TM351-25J")
    assert caught.value.status == 409
    seeding.shutdown()


def test_the_service_copies_with_the_threads_it_was_given(course_dir, tmp_path, monkeypatch):
    from coursekit.seeding import apply

    given: list[int] = []
    real_add_folders = apply.add_folders

    def noting(*args, **kwargs):
        given.append(args[4])
        return real_add_folders(*args, **kwargs)

    monkeypatch.setattr(apply, "add_folders", noting)
    home = tmp_path / "home"
    home.mkdir()
    seeding = SeedingService(ModuleService([str(course_dir)], home).load(), copy_threads=1)
    try:
        seeding.start("TM351-25J").result(timeout=60)
    finally:
        seeding.shutdown()
    assert given == [1] and seeding.state("TM351-25J")["state"] == "done"
