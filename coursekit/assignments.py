"""nbgrader assignments in a student's module: list, fetch, validate, submit, feedback.

The course id is the module id (``TM351-25J``), so there is nothing to configure and no
"No courses". Assignments live in the module directory (``~/TM351-25J/ps1/``). Talks to
the coursekit exchange service with the server's own JupyterHub token. Blocking methods
are meant for an executor; ``validate`` runs nbgrader's validator in a subprocess (it
changes the working directory and runs a kernel, neither of which belongs in a server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .errors import CourseKitError, NotFound
from .exchange.client import ExchangeClient, pack, unpack
from .exchange.storage import check_id
from .modules import ModuleService

RECEIPTS = "submission-receipts"
FEEDBACK = "feedback"
# What never goes into a submission: checkpoints, caches, earlier feedback.
SKIPPED = {".ipynb_checkpoints", "__pycache__", FEEDBACK}
VALIDATE_TIMEOUT = 300


def _skip(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n in SKIPPED]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# Work due within this long is named in the welcome-back summary.
DUE_SOON = dt.timedelta(days=7)


class AssignmentService:
    """One student's assignments, across their modules."""

    def __init__(
        self, modules: ModuleService, exchange_url: str, token: str, timeout: float = 120.0
    ) -> None:
        self.modules = modules
        self.exchange_url = exchange_url
        self.token = token
        self.timeout = timeout

    def client(self) -> ExchangeClient:
        return ExchangeClient(self.exchange_url, self.token, self.timeout)

    def folder(self, module_id: str, assignment: str) -> Path:
        check_id("assignment", assignment)
        return self.modules.workspace(module_id).path / assignment

    def _release(self, client: ExchangeClient, module_id: str, assignment: str) -> dict:
        for release in client.releases(module_id):
            if release["assignment_id"] == assignment:
                return release
        raise NotFound(f"{assignment} is not released in {module_id}", code="not-released")

    # -- listing ---------------------------------------------------------------------------
    def list(self, module_id: str) -> dict:
        """Released assignments with their due dates and where the student is with each."""
        workspace = self.modules.workspace(module_id)
        client = self.client()
        mine = client.submissions(module_id)
        found = []
        for release in client.releases(module_id):
            name = release["assignment_id"]
            folder = workspace.path / name
            submissions = [s for s in mine if s["assignment_id"] == name]
            latest = submissions[-1] if submissions else None
            missing = [f for f in release["files"] if not (folder / f).exists()]
            with_feedback = [s for s in submissions if s.get("feedback")]
            feedback_fetched = bool(with_feedback) and all(
                (folder / FEEDBACK / s["timestamp"]).is_dir() for s in with_feedback
            )
            if with_feedback:
                status = "feedback-ready"
            elif latest:
                status = "submitted"
            elif folder.is_dir():
                status = "fetched"
            else:
                status = "released"
            found.append(
                {
                    "id": name,
                    "due": release.get("due"),
                    "released_at": release["released_at"],
                    "status": status,
                    "path": str(folder.relative_to(self.modules.home)),
                    "files": release["files"],
                    "missing_files": missing,
                    "submitted_at": latest["submitted_at"] if latest else None,
                    "submissions": [self._receipt_view(s) for s in submissions],
                    "feedback_fetched": feedback_fetched,
                }
            )
        return {"module": module_id, "assignments": found}

    def welcome_items(self, workspace, since, now: dt.datetime | None = None) -> list[dict]:
        """The welcome-back summary's assignment news for one module (a WelcomeService
        source): feedback ready and not yet fetched, and work due within DUE_SOON that is
        not submitted. Nothing when there is no exchange or it cannot be reached: a summary
        never fails for it."""
        try:
            listing = self.list(workspace.module.id)
        except (CourseKitError, OSError):
            return []
        now = now or dt.datetime.now(dt.timezone.utc)
        items = []
        for assignment in listing["assignments"]:
            name, path = assignment["id"], assignment["path"]
            if assignment["status"] == "feedback-ready" and not assignment["feedback_fetched"]:
                items.append(
                    {"kind": "feedback", "text": f"Feedback is ready: {name}", "path": path}
                )
            elif assignment["status"] in ("released", "fetched") and assignment["due"]:
                due = dt.datetime.fromisoformat(assignment["due"])
                if due.tzinfo is None:
                    due = due.replace(tzinfo=dt.timezone.utc)
                if now <= due <= now + DUE_SOON:
                    when = due.astimezone(dt.timezone.utc).strftime("%a %d %b %H:%M UTC")
                    items.append({"kind": "due", "text": f"{name} is due {when}", "path": path})
        return items

    @staticmethod
    def _receipt_view(record: dict) -> dict:
        return {
            "submission_id": record["submission_id"],
            "submitted_at": record["submitted_at"],
            "sha256": record["sha256"],
            "files": record["files"],
            "feedback": bool(record.get("feedback")),
        }

    # -- fetching --------------------------------------------------------------------------
    def fetch(self, module_id: str, assignment: str) -> dict:
        """Copy the released files the student does not have; never overwrite one."""
        folder = self.folder(module_id, assignment)
        client = self.client()
        archive, _ = client.release_archive(module_id, assignment)
        fetched, kept = [], []
        with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".fetch-") as staging:
            for name in sorted(unpack(archive, staging)):
                target = folder / name
                if target.exists():
                    kept.append(name)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                # Same filesystem (staging is beside it): the file appears whole or not at all.
                os.replace(Path(staging) / name, target)
                fetched.append(name)
        return {
            "module": module_id,
            "assignment": assignment,
            "path": str(folder.relative_to(self.modules.home)),
            "fetched": fetched,
            "kept": kept,
        }

    # -- validating ------------------------------------------------------------------------
    async def validate(self, module_id: str, assignment: str) -> dict:
        """nbgrader's validator on each notebook of the assignment, in a subprocess."""
        folder = self.folder(module_id, assignment)
        if not folder.is_dir():
            raise NotFound(f"{assignment} has not been fetched into {module_id} yet")
        notebooks = sorted(
            str(p) for p in folder.rglob("*.ipynb") if not SKIPPED.intersection(p.parts)
        )
        if not notebooks:
            return {"assignment": assignment, "valid": True, "notebooks": []}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "coursekit.assignments", "validate", *notebooks,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=folder,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(process.communicate(), VALIDATE_TIMEOUT)
        except asyncio.TimeoutError:
            process.kill()
            raise CourseKitError(
                f"validating {assignment} took longer than {VALIDATE_TIMEOUT} s",
                code="validate-timeout",
                status=504,
            ) from None
        if process.returncode != 0:
            raise CourseKitError(
                f"nbgrader could not validate {assignment}: {err.decode(errors='replace')[-500:]}",
                code="validate-failed",
                status=500,
            )
        results = json.loads(out)
        for result in results:
            result["path"] = str(Path(result["path"]).relative_to(self.modules.home))
        return {
            "assignment": assignment,
            "valid": all(r["valid"] for r in results),
            "notebooks": results,
        }

    # -- submitting ------------------------------------------------------------------------
    def submit(self, module_id: str, assignment: str) -> dict:
        """Send the assignment folder; returns the receipt and writes it, as proof, into
        ``<module>/submission-receipts/``."""
        folder = self.folder(module_id, assignment)
        if not folder.is_dir():
            raise NotFound(f"{assignment} has not been fetched into {module_id} yet")
        client = self.client()
        self._release(client, module_id, assignment)
        at = dt.datetime.now(dt.timezone.utc)
        timestamp = at.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
        with tempfile.TemporaryDirectory() as staging:
            copy = Path(staging) / assignment
            shutil.copytree(folder, copy, ignore=_skip, symlinks=True)
            (copy / "timestamp.txt").write_text(timestamp)
            files = {
                str(p.relative_to(copy)): sha256_of(p)
                for p in sorted(copy.rglob("*"))
                if p.is_file() and not p.is_symlink()
            }
            archive = pack(copy)
        stored = client.submit(module_id, assignment, archive, timestamp)
        if sorted(stored["files"]) != sorted(files):
            raise CourseKitError(
                "the exchange stored other files than were sent",
                code="receipt-mismatch",
                status=502,
            )
        receipt = {
            "module": module_id,
            "assignment": assignment,
            "student": stored["student_id"],
            "submission_id": stored["submission_id"],
            "submitted_at": stored["submitted_at"],
            "archive_sha256": stored["sha256"],
            "archive_size": stored["size"],
            "files": [{"path": name, "sha256": digest} for name, digest in files.items()],
        }
        path = self.modules.workspace(module_id).path / RECEIPTS
        path.mkdir(exist_ok=True)
        receipt_file = path / f"{assignment}-{stored['submission_id']}.json"
        receipt_file.write_text(json.dumps(receipt, indent=1) + "\n")
        receipt["receipt_path"] = str(receipt_file.relative_to(self.modules.home))
        return receipt

    # -- feedback --------------------------------------------------------------------------
    def fetch_feedback(self, module_id: str, assignment: str) -> dict:
        """Every returned feedback on the student's submissions, into
        ``<assignment>/feedback/<timestamp>/`` (as nbgrader's own exchange does)."""
        folder = self.folder(module_id, assignment)
        client = self.client()
        fetched = []
        for record in client.submissions(module_id, assignment=assignment):
            if not record.get("feedback"):
                continue
            archive, _ = client.feedback_archive(record)
            dest = folder / FEEDBACK / record["timestamp"]
            dest.mkdir(parents=True, exist_ok=True)
            names = unpack(archive, dest)
            fetched.append(
                {
                    "submission_id": record["submission_id"],
                    "submitted_at": record["submitted_at"],
                    "html": [
                        str((dest / n).relative_to(self.modules.home))
                        for n in sorted(names)
                        if n.endswith(".html")
                    ],
                }
            )
        if not fetched:
            raise NotFound(f"no feedback on {assignment} yet", code="no-feedback")
        return {"module": module_id, "assignment": assignment, "feedback": fetched}


def _validate_main(paths: list[str]) -> None:
    from nbgrader.validator import Validator

    validator = Validator()
    results = []
    for path in paths:
        found = validator.validate(path)
        results.append(
            {
                "path": path,
                "valid": not any(found.get(k) for k in ("failed", "changed", "type_changed")),
                "failed": [
                    {"source": c["source"], "error": c.get("raw_error", "")}
                    for c in found.get("failed", [])
                ],
                "changed": [c["source"] for c in found.get("changed", [])],
                "type_changed": [c["source"] for c in found.get("type_changed", [])],
            }
        )
    print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "validate":
        raise SystemExit("usage: python -m coursekit.assignments validate NOTEBOOK...")
    _validate_main(sys.argv[2:])
