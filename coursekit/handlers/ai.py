"""``/coursekit/api/ai``: the AI policy, and the guard on jupyter-ai's own routes."""

from __future__ import annotations

import asyncio
import inspect

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.routing import PathMatches, Router

from ..ai_policy import AIGate, check_gateway, is_ai_route
from .base import CourseKitHandler


class AIPolicyHandler(CourseKitHandler):
    def initialize(self, name: str, gate: AIGate) -> None:
        super().initialize(name)
        self.gate = gate

    @web.authenticated
    @authorized
    async def get(self) -> None:
        payload = self.gate.describe()
        endpoint = self.gate.endpoint()
        if endpoint and self.get_argument("check", None) is not None:
            loop = asyncio.get_running_loop()
            payload["gateway"] = await loop.run_in_executor(None, check_gateway, endpoint)
        self.finish_json(payload)


def guard_ai_routes(web_app: web.Application, gate: AIGate) -> list[str]:
    """Make every jupyter-ai route answer 403 while the gate is shut; returns the patterns.

    Run once every extension has added its handlers (the extension's start hook). The
    handlers are replaced by subclasses that check the gate after jupyter_server has
    authenticated the request, so nothing about the policy leaks to a stranger.
    """
    base_url = web_app.settings.get("base_url", "/")
    guarded = []
    for rule in _handler_rules(web_app.default_router):
        matcher = rule.matcher
        if not isinstance(matcher, PathMatches) or not inspect.isclass(rule.target):
            continue
        if not is_ai_route(matcher.regex.pattern.lstrip("^"), base_url):
            continue
        rule.target = _guarded(rule.target, gate)
        guarded.append(matcher.regex.pattern)
    return guarded


def _handler_rules(router: Router):
    for rule in getattr(router, "rules", []):
        if isinstance(rule.target, Router):
            yield from _handler_rules(rule.target)
        else:
            yield rule


def _guarded(handler: type[web.RequestHandler], gate: AIGate) -> type[web.RequestHandler]:
    class Guarded(handler):  # type: ignore[misc, valid-type]
        async def prepare(self):
            result = super().prepare()
            if inspect.isawaitable(result):
                await result
            if self._finished:
                return
            if self.current_user and not gate.open:
                raise web.HTTPError(403, gate.refusal())

    Guarded.__name__ = Guarded.__qualname__ = f"CourseKitAIGuarded{handler.__name__}"
    return Guarded


def disconnect_chats_while_shut(web_app: web.Application, gate: AIGate) -> bool:
    """Stop jupyter-ai's router answering chats while the gate is shut.

    Through the router's public API: a chat that opens is disconnected at once, and
    :func:`enforce_now` disconnects those already open when an exam window starts.
    Returns False when jupyter-ai's router is not loaded.
    """
    router = web_app.settings.get("jupyter-ai", {}).get("router")
    if router is None:
        return False

    def on_chat_init(chat_id, chat) -> None:
        if not gate.open:
            router.disconnect_chat(chat_id)

    router.observe_chat_init(on_chat_init)
    return True


def enforce_now(web_app: web.Application, gate: AIGate) -> int:
    """Disconnect every open chat from jupyter-ai's router if the gate is shut."""
    router = web_app.settings.get("jupyter-ai", {}).get("router")
    if router is None or gate.open:
        return 0
    chats = list(router.active_chats)
    for chat_id in chats:
        router.disconnect_chat(chat_id)
    return len(chats)
