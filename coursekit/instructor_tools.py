"""nbgrader's instructor tools (formgrader, create-assignment, course list) for a
module's instructors only.

The hub tells the server who it serves (``COURSEKIT_ROLE``, set by
``images/hub/coursekit_hub.py``). For a student, the hub starts the server with nbgrader's
instructor server extensions switched off, so their routes do not exist
(``coursekit_hub.INSTRUCTOR_SERVER_EXTENSIONS``); and this module hides the matching
JupyterLab plugins through the page config, adding entries to ``disabledExtensions`` and
never removing one that someone else put there. Without a hub (no role), nbgrader is left
as installed.

The isolation itself does not rest on this: a student who re-enabled formgrader would
grade only their own home, since the exchange service refuses them everyone else's work.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)


def is_student(environ: Mapping[str, str] | None = None) -> bool:
    """True when the hub says this server's user teaches none of its modules."""
    environ = os.environ if environ is None else environ
    return environ.get("COURSEKIT_ROLE") == "student"


def hide_instructor_plugins(page_config: dict) -> dict:
    """``page_config`` with nbgrader's instructor plugins disabled (dict or list form)."""
    disabled = page_config.get("disabledExtensions")
    if isinstance(disabled, list):
        page_config["disabledExtensions"] = disabled + [
            p for p in INSTRUCTOR_LAB_PLUGINS if p not in disabled
        ]
    else:
        disabled = dict(disabled or {})
        for plugin in INSTRUCTOR_LAB_PLUGINS:
            disabled[plugin] = True
        page_config["disabledExtensions"] = disabled
    return page_config


def page_config_hook(previous: Callable | None) -> Callable[[Any, dict], dict]:
    """A ``page_config_hook`` for jupyterlab_server that runs ``previous`` first."""

    def hook(handler: Any, page_config: dict) -> dict:
        if previous is not None:
            page_config = previous(handler, page_config)
        return hide_instructor_plugins(page_config)

    return hook
