"""Hooks into JupyterLab's own routes: locked settings, and the tab title.

Locked settings are enforced where JupyterLab saves them.

JupyterLab has no per-setting lock (``lockedExtensions`` only stops a student switching an
extension on or off), so coursekit puts a subclass of jupyterlab_server's own settings
handler on ``/lab/api/settings/<plugin>`` once every extension has registered its routes:
the same handler with the same arguments, except that a PUT that gives a locked key a value
other than the course's is refused with 403 and a message naming the key, and a GET shows
the course's values as defaults and the locked keys read-only (JSON Schema ``readOnly``,
which the Settings Editor's form honours) with the course's value in place of the student's.
"""

from __future__ import annotations

import inspect
import json

from jupyterlab_server.settings_handler import SettingsHandler
from tornado import web
from tornado.routing import RuleRouter

from ..runtime_policy import RuntimePolicy


def locked_handler(runtime: RuntimePolicy) -> type[SettingsHandler]:
    class LockedSettingsHandler(SettingsHandler):
        @web.authenticated
        async def put(self, schema_name: str) -> None:
            try:
                import json5

                raw = json.loads(self.request.body or b"{}").get("raw", "{}")
                user = json5.loads(raw) or {}
            except ValueError:
                user = {}  # JupyterLab's own handler reports the bad body
            if isinstance(user, dict):
                refused = runtime.refused_keys(schema_name, user)
                if refused:
                    keys = ", ".join(f"'{k}'" for k in refused)
                    raise web.HTTPError(
                        403,
                        f"{keys} of {schema_name} is locked by your course; "
                        "remove it from your settings to save the others",
                    )
            saved = super().put(schema_name)
            if inspect.isawaitable(saved):  # a jupyterlab_server whose put is a coroutine
                await saved

        def finish(self, chunk=None):  # type: ignore[override]
            # GET answers (one plugin, or the list) show locked keys as read-only.
            if self.request.method == "GET" and isinstance(chunk, str):
                try:
                    payload = json.loads(chunk)
                except ValueError:
                    payload = None
                if isinstance(payload, dict):
                    plugins = (
                        payload.get("settings")
                        if "settings" in payload and "id" not in payload
                        else [payload]
                    )
                    for plugin in plugins or []:
                        if isinstance(plugin, dict):
                            runtime.rewrite_plugin(plugin)
                    chunk = json.dumps(payload)
            return super().finish(chunk)

    return LockedSettingsHandler


def install_settings_lock(web_app, runtime: RuntimePolicy) -> int:
    """Swap jupyterlab_server's settings handler for the locking one; return how many routes."""
    handler = locked_handler(runtime)
    swapped = 0

    def walk(router) -> None:
        nonlocal swapped
        for rule in getattr(router, "rules", []):
            target = rule.target
            if isinstance(target, RuleRouter):
                walk(target)
            elif (
                isinstance(target, type)
                and issubclass(target, SettingsHandler)
                and target is not handler
            ):
                rule.target = handler
                swapped += 1

    walk(web_app.default_router)
    walk(web_app.wildcard_router)
    return swapped


def install_page_config_hook(web_app, runtime: RuntimePolicy) -> None:
    """Name the browser tab after the module (JupyterLab's ``appName``).

    A hook another extension set first still runs, before ours."""
    app_name = runtime.app_name
    if not app_name:
        return
    previous = web_app.settings.get("page_config_hook")

    def hook(handler, page_config: dict) -> dict:
        if previous is not None:
            page_config = previous(handler, page_config)
        page_config["appName"] = app_name
        return page_config

    web_app.settings["page_config_hook"] = hook
