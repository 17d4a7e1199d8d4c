"""``jupyter coursekit apply``: the system-level files an image build writes from the policy.

Each file belongs to coursekit alone and sits in a ``.d`` folder, so a site's own
``overrides.json`` or ``page_config.json`` stays theirs and other packages (nbgrader's role
gating, for one) add their own entries beside ours; JupyterLab merges them all:

- ``{app_settings_dir}/overrides.d/coursekit.json``: setting defaults (``overrides.json``
  semantics: students can still change them);
- ``{prefix}/etc/jupyter/labconfig/page_config.d/coursekit.json``: ``disabledExtensions``
  and ``lockedExtensions``;
- ``{prefix}/etc/jupyter/jupyter_server_config.d/coursekit-branding.json``: where the
  server extension finds the branding file at run time;
- ``{prefix}/etc/jupyter/jupyter_server_config.d/coursekit-ai.json``: jupyter-ai's server
  extensions left unloaded when AI is off for every module of the image (about 1.5 s of
  every server start);
- ``{prefix}/etc/jupyter/nbgrader_config.json``: nbgrader's exchange plugins (nbgrader has
  no ``.d`` folder; a site's ``nbgrader_config.py`` beside it is still read).

More writers join through :data:`WRITERS`: a writer takes the :class:`ApplyContext` and returns the files it wants, as JSON values.
Writing is idempotent: a file whose content would not change is not touched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CourseKitError
from .lab_policy import Policy
from .manifest import Module
from .policy import CoursePolicy


class ApplyError(CourseKitError):
    code = "apply-failed"
    status = 500


@dataclass
class ApplyContext:
    """What a writer may read: the checked policy and where the system files go."""

    policy: CoursePolicy
    image: Policy
    prefix: Path
    app_settings_dir: Path
    modules: list[Module] = field(default_factory=list)

    @property
    def jupyter_config_dir(self) -> Path:
        return self.prefix / "etc" / "jupyter"


@dataclass
class PlannedFile:
    path: Path
    content: dict | None  # None: the file should not exist (nothing to say any more)


Writer = Callable[[ApplyContext], list[PlannedFile]]


def settings_overrides(ctx: ApplyContext) -> list[PlannedFile]:
    path = ctx.app_settings_dir / "overrides.d" / "coursekit.json"
    return [PlannedFile(path, ctx.image.settings or None)]


def page_config(ctx: ApplyContext) -> list[PlannedFile]:
    # Dicts, not lists: JupyterLab merges page config files key by key, so "x": false
    # here re-enables what a lower file disabled, and nobody's entries are overwritten.
    disabled = {name: True for name in ctx.image.disabled}
    disabled.update({name: False for name in ctx.image.enabled})
    content = {}
    if disabled:
        content["disabledExtensions"] = disabled
    if ctx.image.locked_extensions:
        content["lockedExtensions"] = {name: True for name in ctx.image.locked_extensions}
    path = ctx.jupyter_config_dir / "labconfig" / "page_config.d" / "coursekit.json"
    return [PlannedFile(path, content or None)]


def server_config(ctx: ApplyContext) -> list[PlannedFile]:
    file = ctx.policy.branding_file
    content = {"CourseKit": {"branding_file": str(Path(file).resolve())}} if file else None
    path = ctx.jupyter_config_dir / "jupyter_server_config.d" / "coursekit-branding.json"
    return [PlannedFile(path, content)]


def ai_server_config(ctx: ApplyContext) -> list[PlannedFile]:
    from .ai_policy import server_config_fragment

    path = ctx.jupyter_config_dir / "jupyter_server_config.d" / "coursekit-ai.json"
    return [PlannedFile(path, server_config_fragment(ctx.modules) or None)]


def nbgrader_config(ctx: ApplyContext) -> list[PlannedFile]:
    """nbgrader (its command line and formgrader alike) uses the coursekit exchange service
    where the hub gives one, and its own filesystem exchange elsewhere (see
    ``exchange.nbgrader_plugins``). Only in an image with nbgrader."""
    import importlib.util

    from .exchange import nbgrader_config as exchange_config

    content = exchange_config() if importlib.util.find_spec("nbgrader") else None
    return [PlannedFile(ctx.jupyter_config_dir / "nbgrader_config.json", content)]


WRITERS: list[Writer] = [
    settings_overrides,
    page_config,
    server_config,
    ai_server_config,
    nbgrader_config,
]


def plan(ctx: ApplyContext, writers: list[Writer] | None = None) -> list[PlannedFile]:
    return [f for writer in (WRITERS if writers is None else writers) for f in writer(ctx)]


def _render(content: dict) -> str:
    return json.dumps(content, indent=2, sort_keys=True) + "\n"


def write(files: list[PlannedFile]) -> list[tuple[Path, str]]:
    """Write every planned file; return (path, "written"|"removed"|"unchanged") for each.

    Raises ApplyError naming the path that could not be written."""
    results = []
    for planned in files:
        path = planned.path
        try:
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if planned.content is None:
                if current is None:
                    results.append((path, "unchanged"))
                else:
                    path.unlink()
                    results.append((path, "removed"))
                continue
            text = _render(planned.content)
            if current == text:
                results.append((path, "unchanged"))
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.coursekit-tmp")
            temporary.write_text(text, encoding="utf-8")
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
            results.append((path, "written"))
        except OSError as err:
            raise ApplyError(
                f"cannot write {path}: {err.strerror or err} (run apply as the user that "
                "owns the image's Jupyter folders, or choose another --prefix)"
            ) from err
    return results
