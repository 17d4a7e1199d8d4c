"""The policy one student's server applies: their module's branding and locked settings.

Built once at start-up from the checked :class:`~coursekit.policy.CoursePolicy` and the
modules the student takes. Plain Python, no tornado.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from .branding import Branding
from .lab_policy import Policy, deep_merge
from .policy import CoursePolicy


@dataclass
class RuntimePolicy:
    module_id: str | None  # the module whose branding shows (the first the student takes)
    module_title: str
    branding: Branding
    policy: Policy  # the institution's, under every module the student takes
    problems: list = field(default_factory=list)

    @classmethod
    def build(
        cls, course_policy: CoursePolicy, modules: Sequence[tuple[str, str]]
    ) -> RuntimePolicy:
        """``modules``: (id, title) of each module the student takes, in order."""
        module_id, title = modules[0] if modules else (None, "")
        branding, _ = course_policy.branding(module_id)
        policy = course_policy.module(None)
        for other_id, _ in modules:
            own = course_policy.module(other_id)
            for plugin_id, keys in own.locked.items():
                policy.locked[plugin_id] = sorted(set(policy.locked.get(plugin_id, [])) | set(keys))
            for plugin_id, values in own.settings.items():
                policy.settings.setdefault(plugin_id, {}).update(values)
        return cls(module_id, title, branding, policy, list(course_policy.problems))

    @property
    def app_name(self) -> str | None:
        """The name in the browser tab after the document's: JupyterLab's ``appName``."""
        values = self.branding.values
        name = values.get("name", "")
        fields = {"name": name, "module": self.module_id or "", "module_title": self.module_title}
        if "title" in values:
            return values["title"].format_map(fields)
        if name and self.module_id:
            return f"{self.module_id} · {name}"
        # No branding at all: JupyterLab keeps its own name.
        return name or None

    def refused_keys(self, plugin_id: str, user: dict) -> list[str]:
        """The locked keys a student's settings would change: present, and not the course's value."""
        forced = self.policy.settings.get(plugin_id, {})
        return [
            key
            for key in self.policy.locked.get(plugin_id, [])
            if key in user and (key not in forced or user[key] != forced[key])
        ]

    def rewrite_plugin(self, plugin: dict) -> None:
        """Rewrite one plugin of JupyterLab's settings answer for this student's modules.

        The course's values become the schema's defaults (the same as ``overrides.json``,
        which ``jupyter coursekit apply`` also writes for the image), and locked keys turn
        read-only, with a note, the student's own values for them dropped."""
        plugin_id = plugin.get("id", "")
        properties = (plugin.get("schema") or {}).get("properties") or {}
        for key, value in self.policy.settings.get(plugin_id, {}).items():
            if key in properties:
                default = properties[key].get("default")
                properties[key]["default"] = (
                    deep_merge(default, value)
                    if isinstance(default, dict) and isinstance(value, dict)
                    else value
                )
        keys = self.policy.locked.get(plugin_id, [])
        if not keys:
            return
        for key in keys:
            if key in properties:
                prop = properties[key]
                prop["readOnly"] = True
                prop["description"] = (
                    f"{prop.get('description', '')} (Locked by your course.)".strip()
                )
        user = plugin.get("settings")
        if isinstance(user, dict) and any(key in user for key in keys):
            for key in keys:
                user.pop(key, None)
            # The raw text keeps the student's comments only when nothing had to go.
            plugin["raw"] = json.dumps(user, indent=2)

    def describe(self, asset_url: str) -> dict:
        """What ``GET /coursekit/api/branding`` answers."""
        return {
            "module": self.module_id,
            "app_name": self.app_name,
            "branding": self.branding.to_dict(asset_url),
            "locked": self.policy.locked,
            "settings": {k: v for k, v in self.policy.settings.items() if k in self.policy.locked},
        }
