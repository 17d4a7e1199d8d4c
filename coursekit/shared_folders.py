"""Course shared folders: staff write them, students read them, each module folder links them.

The platform mounts each folder into the server: on Kubernetes one ReadWriteMany volume,
read-only in students' pods and writable in staff's (images/hub/values.yaml). coursekit
links it into the module directory under its name, so it sits beside the course material
in the file browser, and tells the Modules panel whether this server may write to it.
The mount, not coursekit, keeps students from writing: a link cannot grant anything.

Plain Python: the module service calls it whenever it describes the modules, so a
folder mounted later, or a name the student frees, is linked at the next look.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .manifest import SharedFolder

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class SharedLink:
    """One shared folder of a module, and what became of linking it."""

    folder: SharedFolder
    link: Path
    target: str | None  # the expanded path; None when it could not be expanded
    # "ready"; "unavailable": not mounted on this server; "blocked": something of the
    # student's already has the name (it is left alone).
    status: str = "unavailable"
    writable: bool = False
    message: str = ""

    def to_dict(self, home: Path) -> dict:
        return {
            "name": self.folder.name,
            "title": self.folder.title or self.folder.name,
            # Relative to the server's root, in the form JupyterLab's contents API uses.
            "path": self.link.relative_to(home).as_posix(),
            "target": self.target,
            "status": self.status,
            "writable": self.writable,
            "message": self.message,
        }


def expand_path(path: str, environ: Mapping[str, str]) -> tuple[str | None, str]:
    """``path`` with each ``${NAME}`` replaced from ``environ``, or None and why not."""
    missing = [name for name in _VARIABLE.findall(path) if not environ.get(name)]
    if missing:
        return None, (
            f"the shared folder's path {path} needs the environment variable {missing[0]}, "
            "which this server does not have; the platform team sets it"
        )
    expanded = _VARIABLE.sub(lambda match: environ[match.group(1)], path)
    if not os.path.isabs(expanded):
        return None, f"the shared folder's path {path} gives {expanded!r}, which is not absolute"
    return os.path.normpath(expanded), ""


def link_shared_folders(
    module_dir: Path, folders: Iterable[SharedFolder], environ: Mapping[str, str] | None = None
) -> list[SharedLink]:
    """Link each folder into ``module_dir``; never raises, never moves a student's file."""
    env = os.environ if environ is None else environ
    return [_link(Path(module_dir), folder, env) for folder in folders]


def _link(module_dir: Path, folder: SharedFolder, environ: Mapping[str, str]) -> SharedLink:
    link = module_dir / folder.name
    target, why = expand_path(folder.path, environ)
    shared = SharedLink(folder=folder, link=link, target=target)
    if target is None:
        shared.message = why
        return shared
    try:
        if link.is_symlink():
            if os.readlink(link) != target:
                if link.exists():
                    return _blocked(shared, "is a link of yours to another folder")
                # A link to nothing (the folder was mounted elsewhere before) holds no data.
                _replace_link(link, target)
        elif link.exists():
            kind = "folder" if link.is_dir() else "file"
            return _blocked(shared, f"is a {kind} of yours")
        else:
            os.symlink(target, link)
    except FileExistsError:
        return _blocked(shared, "was just made by something else")
    except OSError as err:
        shared.message = f"cannot link {link} to {target}: {err.strerror or err}"
        return shared
    if not os.path.isdir(target):
        shared.message = (
            f"{shared.folder.title or folder.name} is not mounted on this server "
            f"(expected at {target}); the course team can tell you when it will be"
        )
        return shared
    shared.status = "ready"
    shared.writable = os.access(target, os.W_OK)
    return shared


def _blocked(shared: SharedLink, what: str) -> SharedLink:
    shared.status = "blocked"
    shared.message = (
        f"{shared.link.parent.name}/{shared.folder.name} {what}, so the course's shared folder "
        "cannot be shown there; rename it, then refresh the Modules panel"
    )
    return shared


def _replace_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` in one step: the name never goes missing."""
    temporary = link.with_name(f".{link.name}.{secrets.token_hex(4)}.link")
    os.symlink(target, temporary)
    try:
        os.replace(temporary, link)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
