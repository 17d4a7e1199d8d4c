"""The student's modules: which ones, where they live, and what state they are in.

This is the service the handlers, the seeder and the CLI share. It knows nothing of
tornado, so it is tested with plain pytest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from .errors import NotFound, WorkspaceError
from .manifest import Course, ManifestProblem, load_course
from .workspaces import (
    DEFAULT_TEMPLATE,
    Workspace,
    ensure_workspace,
    plan_workspaces,
    select_modules,
)

log = logging.getLogger("coursekit")


class ModuleService:
    """Loads the manifests and keeps one :class:`Workspace` per module the student takes."""

    def __init__(
        self,
        manifest_paths: Sequence[str],
        home: Path,
        enrolled: Sequence[str] | None = None,
        template: str = DEFAULT_TEMPLATE,
    ) -> None:
        self.manifest_paths = list(manifest_paths)
        self.home = Path(home)
        self.enrolled = None if enrolled is None else list(enrolled)
        self.template = template
        self.course = Course()
        self.workspaces: list[Workspace] = []
        self.problems: list[ManifestProblem] = []

    def load(self, create: bool = True) -> ModuleService:
        """Read the manifests, choose the modules and (when ``create``) make their folders.

        Never raises for bad input: every problem lands in :attr:`problems` or on a workspace.
        """
        self.course = load_course(self.manifest_paths)
        self.problems = list(self.course.problems)
        modules, unknown = select_modules(self.course, self.enrolled)
        for module_id in unknown:
            self.problems.append(
                ManifestProblem(
                    "COURSEKIT_MODULES",
                    None,
                    "",
                    f"you are enrolled on {module_id}, but this image has no manifest for it",
                    "module-not-in-image",
                )
            )
        try:
            self.workspaces = plan_workspaces(self.home, modules, self.template)
        except WorkspaceError as err:
            self.workspaces = []
            self.problems.append(
                ManifestProblem("CourseKit.workspace_template", None, "", err.message, err.code)
            )
        if create:
            for workspace in self.workspaces:
                ensure_workspace(workspace)
                workspace.link_shared()
                if workspace.error:
                    log.warning(
                        "coursekit: module %s: %s", workspace.module.id, workspace.error.message
                    )
        for problem in self.problems:
            log.warning("coursekit: %s", problem)
        return self

    def workspace(self, module_id: str) -> Workspace:
        for workspace in self.workspaces:
            if workspace.module.id == module_id:
                return workspace
        raise NotFound(
            f"you are not enrolled on a module called {module_id!r}", code="module-not-found"
        )

    def describe_module(self, module_id: str) -> dict:
        """What ``GET /coursekit/api/modules/<id>`` answers (shared folders linked again)."""
        workspace = self.workspace(module_id)
        workspace.link_shared()
        return workspace.to_dict(self.home)

    def describe(self) -> dict:
        """What ``GET /coursekit/api/modules`` answers.

        The shared folders are linked again at each look (a few system calls each): one
        mounted since the start, or a name the student has freed, shows up at the next.
        """
        for workspace in self.workspaces:
            workspace.link_shared()
        return {
            "modules": [w.to_dict(self.home) for w in self.workspaces],
            "problems": [p.to_dict() for p in self.problems],
            "manifests": self.course.files,
        }
