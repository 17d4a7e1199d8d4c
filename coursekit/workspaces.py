"""Module workspaces: ``~/<CODE>-<PRESENTATION>``, one per module a student takes.

Plain Python: the server, the CLI and a hub start hook all use it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UnsafePath, WorkspaceError
from .manifest import Course, Module, parse_module_ids
from .shared_folders import SharedLink, link_shared_folders

DEFAULT_TEMPLATE = "{code}-{presentation}"


@dataclass
class Workspace:
    """A module and the directory it lives in, with what became of creating it."""

    module: Module
    path: Path
    status: str = "pending"  # "ready" or "error" once ensure_workspace has run
    error: WorkspaceError | None = None
    shared: list[SharedLink] = field(default_factory=list)

    def link_shared(self) -> None:
        """Link the module's shared folders into its directory, once that exists."""
        if self.status == "ready" and self.module.shared:
            self.shared = link_shared_folders(self.path, self.module.shared)

    def to_dict(self, home: Path) -> dict:
        return {
            "id": self.module.id,
            "code": self.module.code,
            "presentation": self.module.presentation,
            "title": self.module.title,
            "description": self.module.description,
            # Relative to the server's root, in the form JupyterLab's contents API uses.
            "path": self.path.relative_to(home).as_posix(),
            "status": self.status,
            "error": self.error.to_dict() if self.error else None,
            "shared": [link.to_dict(home) for link in self.shared],
        }


def select_modules(
    course: Course, enrolled: Iterable[str] | None
) -> tuple[list[Module], list[str]]:
    """The modules a student gets: all of the manifests', narrowed by ``enrolled`` when given.

    Returns the modules and the enrolled ids that no manifest describes (so they can be
    reported: a hub group naming a module the image does not carry is a platform mistake).
    """
    if enrolled is None:
        return list(course.modules), []
    wanted = list(dict.fromkeys(enrolled))
    modules = [m for m in course.modules if m.id in wanted]
    unknown = [i for i in wanted if course.module(i) is None]
    return modules, unknown


def enrolled_from_env(environ: dict | None = None) -> list[str] | None:
    """``COURSEKIT_MODULES`` as set by the hub, or None when it is not set."""
    value = (environ if environ is not None else os.environ).get("COURSEKIT_MODULES")
    return None if value is None else parse_module_ids(value)


def workspace_path(home: Path, module: Module, template: str = DEFAULT_TEMPLATE) -> Path:
    """Where a module lives in a home; the template may not lead outside the home."""
    try:
        name = template.format(code=module.code, presentation=module.presentation, id=module.id)
    except (KeyError, IndexError) as err:
        raise WorkspaceError(
            f"workspace template {template!r} uses an unknown field {err}; use {{code}}, {{presentation}} or {{id}}",
            code="workspace-template-invalid",
        ) from err
    relative = Path(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        raise UnsafePath(
            f"workspace template {template!r} gives {name!r}, which is not a folder inside the home"
        )
    return home / relative


def ensure_workspace(workspace: Workspace) -> Workspace:
    """Create the module directory if missing, private to the user; record what happened.

    Never raises for a directory that cannot be made: the error is kept on the workspace so
    the panel can show it while the server carries on.
    """
    path = workspace.path
    try:
        if path.is_symlink():
            raise WorkspaceError(
                f"{path} is a symbolic link; coursekit will not follow it",
                code="workspace-is-symlink",
            )
        if path.exists() and not path.is_dir():
            raise WorkspaceError(
                f"{path} is a file, so the module folder cannot be created there; rename or move that file",
                code="workspace-blocked",
            )
        if not path.exists():
            path.mkdir(mode=0o700, parents=True)
            # mkdir's mode is filtered by the umask; make the intent explicit.
            os.chmod(path, stat.S_IRWXU)
        if not os.access(path, os.W_OK | os.X_OK):
            raise WorkspaceError(
                f"{path} exists but you cannot write to it", code="workspace-not-writable"
            )
    except WorkspaceError as err:
        workspace.status, workspace.error = "error", err
    except OSError as err:
        workspace.status = "error"
        workspace.error = WorkspaceError(
            f"cannot create {path}: {err.strerror or err}", code="workspace-unavailable"
        )
    else:
        workspace.status, workspace.error = "ready", None
    return workspace


def plan_workspaces(
    home: Path, modules: Iterable[Module], template: str = DEFAULT_TEMPLATE
) -> list[Workspace]:
    return [Workspace(module=m, path=workspace_path(home, m, template)) for m in modules]
