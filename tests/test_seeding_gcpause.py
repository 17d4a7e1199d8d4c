"""The garbage collector is held off while a seed runs, and given back as it was."""

from __future__ import annotations

import gc
import threading

import pytest

from coursekit.seeding.gcpause import collector_paused

from .test_seeding_rules import Course


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_off_inside_and_back_on_after_even_on_an_error():
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a seed that fails")
    assert gc.isenabled()


def test_left_off_when_it_was_off_before():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_two_overlapping_seeds_give_it_back_when_the_last_ends():
    first_in, second_done, first_may_leave = (threading.Event() for _ in range(3))
    seen = []

    def first():
        with collector_paused():
            first_in.set()
            first_may_leave.wait(5)
        seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        second_done.set()
    seen.append(gc.isenabled())  # the first seed is still running: still off
    first_may_leave.set()
    thread.join(5)
    assert seen == [False, True]
    assert gc.isenabled()


def test_a_seed_runs_with_the_collector_off(tmp_path):
    course = Course(tmp_path)
    course.write("week-1/notes.md", "# notes\n")
    states = []
    report = course.seed(progress=lambda p: states.append(gc.isenabled()))
    assert report.added == ["week-1/notes.md"]
    assert states and not any(states)
    assert gc.isenabled()
