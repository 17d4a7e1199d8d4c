"""Welcome back: what changed in each module since the student's last visit.

Deterministic, from what is on disk: the module's last seeding report (what the course
updated, merged, and where it conflicted with the student's copy), the course team's
announcements, and items other features add through :attr:`WelcomeService.sources` (the
extension point for nbgrader's "feedback ready" and "due soon": a callable
``(module, since) -> list[dict]``, each dict ``{"kind", "text", "path"?, "date"?}``).

The last visit is kept in ``last-visit.json`` next to the idle record, in coursekit's
folder of the Jupyter data dir. A summary is offered when the last visit is older than
the gap (default 8 hours) and there is something to say.

Announcements: a module's manifest entry may name a YAML file (relative to the manifest)::

    announcements: announcements/TM351.yaml

holding a list of ``{date: 2026-03-02T09:00:00Z, title: ..., text: ...}``. The file is
read at each summary, so a course team can change it in the image or the content.

Plain Python; no tornado.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import yaml

from .modules import ModuleService
from .seeding.report import last_report
from .workspaces import Workspace

VISIT_RECORD = "last-visit.json"
SHOWN_PER_LIST = 5

WelcomeSource = Callable[[Workspace, datetime | None], list[dict]]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_announcements(workspace: Workspace) -> tuple[list[dict], str | None]:
    """The module's announcements, newest first, and a problem worded for a person."""
    name = workspace.module.raw.get("announcements")
    if not name:
        return [], None
    path = Path(workspace.module.manifest).parent / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as err:
        return [], f"cannot read the announcements {path}: {err}"
    items = []
    for index, entry in enumerate(data if isinstance(data, list) else []):
        date = _parse(entry.get("date")) if isinstance(entry, dict) else None
        if date is None or not entry.get("title"):
            return (
                items,
                f"{path}: announcement {index + 1} needs a date with a time zone and a title",
            )
        items.append(
            {"date": _iso(date), "title": str(entry["title"]), "text": str(entry.get("text", ""))}
        )
    items.sort(key=lambda a: a["date"], reverse=True)
    return items, None


class WelcomeService:
    def __init__(
        self,
        modules: ModuleService,
        folder: Path,
        gap_seconds: int = 8 * 3600,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.modules = modules
        self.path = Path(folder) / VISIT_RECORD
        self.gap_seconds = gap_seconds
        self.clock = clock
        # Other features add "feedback ready", "due soon"... here.
        self.sources: list[WelcomeSource] = []

    def last_visit(self) -> datetime | None:
        try:
            return _parse(json.loads(self.path.read_text(encoding="utf-8"))["last_visit"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def seen(self) -> dict:
        """The student has opened JupyterLab: now is the last visit."""
        now = self.clock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{VISIT_RECORD}.tmp")
        tmp.write_text(json.dumps({"last_visit": _iso(now)}), encoding="utf-8")
        os.replace(tmp, self.path)
        return {"last_visit": _iso(now)}

    def summary(self) -> dict:
        """What to tell the student now; ``show`` is false when there is nothing to say."""
        now = self.clock()
        since = self.last_visit()
        modules = [self._module(w, since) for w in self.modules.workspaces if w.status == "ready"]
        away = since is None or (now - since).total_seconds() >= self.gap_seconds
        # A first visit has nothing to come back to: the Modules panel shows the first seed.
        show = since is not None and away and any(m["has_news"] for m in modules)
        return {
            "show": show,
            "last_visit": _iso(since) if since else None,
            "now": _iso(now),
            "modules": modules,
        }

    def _module(self, workspace: Workspace, since: datetime | None) -> dict:
        module = workspace.module
        updates = None
        report = last_report(workspace.path)
        if report and not report.noop and (since is None or report.finished_at > since.timestamp()):
            updates = {
                "finished_at": _iso(datetime.fromtimestamp(report.finished_at, timezone.utc)),
                "added": report.added[:SHOWN_PER_LIST],
                "updated": report.updated[:SHOWN_PER_LIST],
                "merged": report.merged[:SHOWN_PER_LIST],
                "conflicts": [c["path"] for c in report.conflicts[:SHOWN_PER_LIST]],
                "counts": {
                    "added": len(report.added),
                    "updated": len(report.updated),
                    "merged": len(report.merged),
                    "conflicts": len(report.conflicts),
                },
            }
            if not any(updates["counts"].values()):
                updates = None
        announcements, problem = read_announcements(workspace)
        if since is not None:
            announcements = [a for a in announcements if _parse(a["date"]) > since]
        items: list[dict] = []
        for source in self.sources:
            items.extend(source(workspace, since))
        return {
            "id": module.id,
            "title": module.title,
            "path": workspace.path.relative_to(self.modules.home).as_posix(),
            "updates": updates,
            "announcements": announcements,
            "items": items,
            "problem": problem,
            "has_news": bool(updates or announcements or items),
        }
