"""Welcome back (coursekit/welcome.py): deterministic, from the seeding report and files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from coursekit.modules import ModuleService
from coursekit.seeding.engine import seed_module
from coursekit.welcome import WelcomeService
from tests.conftest import write_manifest

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def setup(tmp_path, announcements=None):
    image = tmp_path / "image"
    (image / "content").mkdir(parents=True)
    (image / "content" / "README.md").write_text("# v1\n")
    extra = ""
    if announcements is not None:
        # In a folder of its own: every *.yaml beside the manifest is read as a manifest.
        (image / "announcements").mkdir()
        (image / "announcements" / "TM351.yaml").write_text(announcements)
        extra = "announcements: announcements/TM351.yaml"
    write_manifest(
        image,
        f"""
        modules:
          - code: TM351
            presentation: 25J
            title: Data management
            content: [{{source: content}}]
            {extra}
        """,
    )
    modules = ModuleService([str(image)], tmp_path / "home").load()
    assert not modules.problems, modules.problems
    clock = Clock()
    return image, modules, WelcomeService(modules, tmp_path / "data", clock=clock), clock


NEWS = """
- {date: 2026-03-01T12:00:00Z, title: Old news, text: before the last visit}
- {date: 2026-03-03T08:00:00Z, title: Week 5 notebook fixed, text: Update to get it}
"""


def test_a_first_visit_shows_nothing(tmp_path):
    _, _, welcome, _ = setup(tmp_path, NEWS)
    assert welcome.summary()["show"] is False


def test_after_a_gap_the_new_announcements_are_shown(tmp_path):
    _, _, welcome, clock = setup(tmp_path, NEWS)
    welcome.seen()
    clock.now = T0 + timedelta(days=2)
    summary = welcome.summary()
    assert summary["show"] is True
    assert summary["last_visit"] == "2026-03-02T09:00:00Z"
    (module,) = summary["modules"]
    assert [a["title"] for a in module["announcements"]] == ["Week 5 notebook fixed"]


def test_no_summary_within_the_gap(tmp_path):
    _, _, welcome, clock = setup(tmp_path, NEWS)
    welcome.seen()
    clock.now = T0 + timedelta(hours=2)
    assert welcome.summary()["show"] is False


def test_course_updates_since_the_last_visit_come_from_the_seeding_report(tmp_path):
    image, modules, welcome, clock = setup(tmp_path)
    workspace = modules.workspaces[0]
    seed_module(workspace.module, workspace.path)
    clock.now = datetime.now(timezone.utc)
    welcome.seen()
    (image / "content" / "README.md").write_text("# v2\n")
    (image / "content" / "week5.ipynb").write_text("{}")
    seed_module(workspace.module, workspace.path)
    clock.now += timedelta(days=1)
    summary = welcome.summary()
    assert summary["show"] is True
    updates = summary["modules"][0]["updates"]
    assert updates["updated"] == ["README.md"]
    assert updates["added"] == ["week5.ipynb"]
    assert updates["counts"] == {"added": 1, "updated": 1, "merged": 0, "conflicts": 0}
    assert summary["modules"][0]["path"] == "TM351-25J"


def test_a_seed_before_the_last_visit_is_not_news(tmp_path):
    _, modules, welcome, clock = setup(tmp_path)
    seed_module(modules.workspaces[0].module, modules.workspaces[0].path)
    clock.now = datetime.now(timezone.utc) + timedelta(seconds=1)
    welcome.seen()
    clock.now += timedelta(days=1)
    assert welcome.summary()["modules"][0]["updates"] is None


def test_other_features_add_items_through_sources(tmp_path):
    _, _, welcome, clock = setup(tmp_path)
    welcome.sources.append(
        lambda workspace, since: [
            {"kind": "feedback", "text": f"Feedback ready in {workspace.module.id}"}
        ]
    )
    welcome.seen()
    clock.now = T0 + timedelta(days=1)
    summary = welcome.summary()
    assert summary["show"] is True
    assert summary["modules"][0]["items"] == [
        {"kind": "feedback", "text": "Feedback ready in TM351-25J"}
    ]


def test_a_bad_announcements_file_is_reported_not_fatal(tmp_path):
    _, _, welcome, clock = setup(tmp_path, "- {title: no date}\n")
    welcome.seen()
    clock.now = T0 + timedelta(days=1)
    module = welcome.summary()["modules"][0]
    assert module["announcements"] == []
    assert "needs a date" in module["problem"]


async def test_the_routes(jp_serverapp, jp_fetch):
    summary = json.loads((await jp_fetch("coursekit", "api", "welcome")).body)
    assert summary["show"] is False and summary["last_visit"] is None
    seen = json.loads(
        (await jp_fetch("coursekit", "api", "welcome", "seen", method="POST", body=b"")).body
    )
    summary = json.loads((await jp_fetch("coursekit", "api", "welcome")).body)
    assert summary["last_visit"] == seen["last_visit"]


def test_assignments_tell_of_feedback_ready_and_work_due_soon(tmp_path, monkeypatch):
    from coursekit.assignments import AssignmentService
    from coursekit.exchange.client import ExchangeUnavailable

    _, modules, welcome, clock = setup(tmp_path)
    assignments = AssignmentService(modules, "http://127.0.0.1:9/exchange/", "token")
    listing = [
        # (id, status, due, feedback fetched)
        ("ps1", "feedback-ready", None, False),
        ("ps2", "feedback-ready", None, True),  # already fetched: no news
        ("ps3", "released", "2026-03-05T17:00:00+00:00", False),  # due within the week
        ("ps4", "fetched", "2026-04-30T17:00:00+00:00", False),  # due later
        ("ps5", "submitted", "2026-03-04T17:00:00+00:00", False),  # handed in
        ("ps6", "released", "2026-03-01T17:00:00+00:00", False),  # past due
    ]
    monkeypatch.setattr(
        assignments,
        "list",
        lambda module_id: {
            "module": module_id,
            "assignments": [
                {"id": i, "status": s, "due": d, "feedback_fetched": f, "path": f"TM351-25J/{i}"}
                for i, s, d, f in listing
            ],
        },
    )
    welcome.sources.append(lambda w, since: assignments.welcome_items(w, since, now=clock.now))
    welcome.seen()
    clock.now = T0 + timedelta(days=1)
    items = welcome.summary()["modules"][0]["items"]
    assert items == [
        {"kind": "feedback", "text": "Feedback is ready: ps1", "path": "TM351-25J/ps1"},
        {"kind": "due", "text": "ps3 is due Thu 05 Mar 17:00 UTC", "path": "TM351-25J/ps3"},
    ]

    def unreachable(module_id):
        raise ExchangeUnavailable("the exchange did not answer")

    monkeypatch.setattr(assignments, "list", unreachable)
    assert welcome.summary()["modules"][0]["items"] == []  # the summary still comes
