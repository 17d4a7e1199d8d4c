"""Seeding inside the server: in the background, one module at a time, with progress.

The engine (:mod:`coursekit.seeding`) is synchronous file work; here it runs in a single
worker thread so it never blocks the event loop and never delays the server being ready.
One worker also means a reseed, a restore and a reset of the same home never overlap inside
one server (the engine's file lock covers other processes, such as a hub start hook).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .errors import CourseKitError
from .modules import ModuleService
from .workspaces import Workspace

log = logging.getLogger("coursekit")


@dataclass
class SeedState:
    """What the panel shows for one module: running with progress, or the last report."""

    state: str = "idle"  # "idle" | "queued" | "running" | "done" | "failed"
    progress: dict | None = None
    report: dict | None = None
    error: dict | None = None
    updated_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict:
        return {
            "state": self.state,
            "progress": self.progress,
            "report": self.report,
            "error": self.error,
            "updated_at": self.updated_at,
        }


class SeedingService:
    """Runs the seeding engine for the student's modules and keeps their state."""

    def __init__(
        self, modules: ModuleService, cache_dir: str | None = None, copy_threads: int = 2
    ) -> None:
        self.modules = modules
        self.cache_dir = cache_dir
        self.copy_threads = copy_threads
        self._states: dict[str, SeedState] = {}
        self._lock = threading.Lock()
        self._pending: dict[str, Future] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coursekit-seed")
        for workspace in modules.workspaces:
            self._states[workspace.module.id] = self._initial_state(workspace)

    # -- state -----------------------------------------------------------------------------

    def _initial_state(self, workspace: Workspace) -> SeedState:
        """The report of the seed before this server started, if the home keeps one."""
        if workspace.status != "ready":
            return SeedState()
        try:
            from .seeding import last_report

            report = last_report(workspace.path)
        except Exception:  # a damaged record must not stop the server; the next seed rewrites it
            log.warning(
                "coursekit: cannot read the last seed report of %s",
                workspace.module.id,
                exc_info=True,
            )
            return SeedState()
        return SeedState(state="done", report=report.to_dict()) if report else SeedState()

    def _set(self, module_id: str, **changes: Any) -> None:
        with self._lock:
            state = self._states.setdefault(module_id, SeedState())
            for key, value in changes.items():
                setattr(state, key, value)
            state.updated_at = time.time()

    def state(self, module_id: str) -> dict:
        self.modules.workspace(module_id)  # NotFound for a module the student does not take
        with self._lock:
            return self._states.setdefault(module_id, SeedState()).to_dict()

    def states(self) -> dict[str, dict]:
        with self._lock:
            return {key: value.to_dict() for key, value in self._states.items()}

    # -- work --------------------------------------------------------------------------------

    def _seedable(self, module_id: str) -> Workspace:
        workspace = self.modules.workspace(module_id)
        if workspace.status != "ready":
            message = (
                workspace.error.message if workspace.error else "the module folder is not ready"
            )
            raise CourseKitError(message, code="workspace-unavailable", status=409)
        return workspace

    def _progress_callback(self, module_id: str) -> Callable:
        def report(progress) -> None:
            self._set(module_id, state="running", progress=progress.to_dict())

        return report

    def _tracked(self, module_id: str, work: Callable[[Callable], Any]) -> Any:
        """Run ``work(progress_callback)`` in the worker, keeping the module's state: running
        with progress, then done with the engine's report, or failed with the error."""
        self._set(module_id, state="running", progress=None, error=None)
        try:
            result, report = work(self._progress_callback(module_id))
        except Exception as err:
            if isinstance(err, CourseKitError):
                error = err.to_dict()
                log.warning("coursekit: %s: %s", module_id, err.message)
            else:
                error = {"code": "seed-failed", "message": str(err)}
                log.exception("coursekit: seeding %s failed", module_id)
            self._set(module_id, state="failed", progress=None, error=error)
            raise
        self._set(module_id, state="done", progress=None, report=report.to_dict())
        log.info("coursekit: %s: %s", module_id, report.summary())
        return result

    def _run_seed(self, workspace: Workspace) -> dict:
        from .seeding import seed_module

        def work(progress):
            report = seed_module(
                workspace.module,
                workspace.path,
                cache_dir=self.cache_dir,
                progress=progress,
                copy_threads=self.copy_threads,
            )
            return report.to_dict(), report

        return self._tracked(workspace.module.id, work)

    def start(self, module_id: str) -> Future:
        """Queue a seed of one module; returns at once."""
        workspace = self._seedable(module_id)
        with self._lock:
            if self._states.get(module_id, SeedState()).state in ("queued", "running"):
                return self._pending[module_id]
        self._set(module_id, state="queued", error=None)
        future = self._executor.submit(self._run_seed, workspace)
        self._pending[module_id] = future
        future.add_done_callback(
            lambda f: f.exception()
        )  # errors are in the state; keep the log quiet
        return future

    def start_all(self) -> None:
        """Queue every ready module: what the server does once it is up."""
        for workspace in self.modules.workspaces:
            if workspace.status == "ready":
                self.start(workspace.module.id)

    async def restore(self, module_id: str, paths: list[str] | None) -> dict:
        from .seeding import restore_original

        workspace = self._seedable(module_id)
        return await self._in_worker(restore_original, workspace.module, workspace.path, paths)

    async def reset(self, module_id: str) -> dict:
        from .seeding import reset_module

        workspace = self._seedable(module_id)

        def work(progress):
            return reset_module(
                workspace.module,
                workspace.path,
                cache_dir=self.cache_dir,
                progress=progress,
                copy_threads=self.copy_threads,
            )

        backup = await self._in_worker(self._tracked, module_id, work)
        # The old folder's links went to the backup with it: the fresh one gets its own.
        workspace.link_shared()
        return {
            "backup": backup.relative_to(self.modules.home).as_posix(),
            "seed": self.state(module_id),
        }

    async def _in_worker(self, fn: Callable, *args: Any) -> Any:
        return await asyncio.wrap_future(self._executor.submit(fn, *args))

    def shutdown(self) -> None:
        # A seed in progress finishes its current file: every write is atomic, and the
        # record is written after the data, so stopping between files loses nothing.
        self._executor.shutdown(wait=False, cancel_futures=True)
