"""The AI assistant per module: on, off, off during an exam window, and which gateway.

A module's manifest entry may carry ``ai:`` (schema/course.schema.json ``$defs/ai``)::

    ai:
      enabled: true              # false for an assessed module
      exam_windows:              # off during these, although enabled
        - {start: 2026-05-12T09:00:00+01:00, end: 2026-05-12T12:00:00+01:00}
      endpoint:                  # the institution's OpenAI-compatible gateway
        base_url: https://ai.example.ac.uk/v1
        model: course-assistant
        api_key_env: COURSEKIT_AI_KEY

Enforcement happens at two levels:

* at image level, :func:`server_config_fragment`: when AI is off for every module of the
  image, jupyter-ai's server extensions are not loaded at all (``jupyter coursekit apply``
  writes the fragment into the server config);
* at run time, :class:`AIGate`: one server serves every module a student takes, and
  jupyter-ai's routes and chats are not per module, so AI is available only while it is
  on for *every* module the student takes (an exam in one module switches it off for the
  whole server during the window). The app refuses jupyter-ai's routes and disconnects
  its chats while the gate is shut.

Plain Python; no tornado.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .manifest import Module

# jupyter-ai's server extensions (jupyter-ai 3 splits into these packages; "jupyter_ai"
# is the 2.x name). Setting an absent one to false is harmless.
JUPYTER_AI_EXTENSIONS = (
    "jupyter_ai",
    "jupyter_ai_router",
    "jupyter_ai_persona_manager",
    "jupyter_ai_acp_client",
    "jupyter_ai_chat_commands",
    "jupyter_ai_tools",
)
# The URL prefixes (after the base URL) of jupyter-ai's REST routes.
JUPYTER_AI_ROUTE_PREFIXES = ("api/ai/", "ai/", "jupyter-ai-")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str = ""
    api_key_env: str = ""

    def environment(self) -> dict[str, str]:
        """What OpenAI-compatible clients (and the agents jupyter-ai starts) read."""
        env = {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_BASE": self.base_url}
        if self.model:
            env["COURSEKIT_AI_MODEL"] = self.model
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            env["OPENAI_API_KEY"] = key
        return env


@dataclass(frozen=True)
class ModuleAI:
    """One module's AI policy."""

    module_id: str
    enabled: bool = True
    windows: tuple[tuple[datetime, datetime], ...] = ()
    endpoint: Endpoint | None = None

    def state(self, now: datetime) -> tuple[bool, str]:
        """(on, why) at ``now``."""
        if not self.enabled:
            return False, "off for this module"
        for start, end in self.windows:
            if start <= now < end:
                return False, f"off during the exam until {end.isoformat()}"
        return True, "on"


def module_ai(module: Module) -> ModuleAI:
    """The policy in a module's manifest entry (already validated by the schema)."""
    raw = module.raw.get("ai") or {}
    windows = tuple(
        (_parse_time(w["start"]), _parse_time(w["end"])) for w in raw.get("exam_windows", [])
    )
    endpoint = raw.get("endpoint")
    return ModuleAI(
        module_id=module.id,
        enabled=raw.get("enabled", True),
        windows=windows,
        endpoint=Endpoint(**endpoint) if endpoint else None,
    )


def server_config_fragment(modules: Iterable[Module]) -> dict:
    """The server config that leaves jupyter-ai unloaded when AI is off for every module.

    Empty when any module may use AI (exam windows do not count: they end). For
    ``jupyter coursekit apply`` to merge into the image's server config.
    """
    policies = [module_ai(m) for m in modules]
    if not policies or any(p.enabled for p in policies):
        return {}
    return {"ServerApp": {"jpserver_extensions": dict.fromkeys(JUPYTER_AI_EXTENSIONS, False)}}


def is_ai_route(path: str, base_url: str = "/") -> bool:
    rel = path[len(base_url) :] if path.startswith(base_url) else path.lstrip("/")
    return rel.startswith(JUPYTER_AI_ROUTE_PREFIXES)


@dataclass
class AIGate:
    """Whether AI may be used in this server now, over every module the student takes."""

    policies: list[ModuleAI] = field(default_factory=list)
    clock: Callable[[], datetime] = _utcnow

    @classmethod
    def for_modules(cls, modules: Iterable[Module], clock=_utcnow) -> AIGate:
        return cls([module_ai(m) for m in modules], clock)

    def describe(self) -> dict:
        now = self.clock()
        modules = []
        for policy in self.policies:
            on, why = policy.state(now)
            modules.append(
                {
                    "id": policy.module_id,
                    "on": on,
                    "reason": why,
                    "model": policy.endpoint.model if policy.endpoint else None,
                    "gateway": policy.endpoint.base_url if policy.endpoint else None,
                }
            )
        return {"on": all(m["on"] for m in modules), "modules": modules}

    @property
    def open(self) -> bool:
        now = self.clock()
        return all(p.state(now)[0] for p in self.policies)

    def refusal(self) -> str:
        off = [m for m in self.describe()["modules"] if not m["on"]]
        return "The AI assistant is switched off: " + "; ".join(
            f"{m['id']}: {m['reason']}" for m in off
        )

    def endpoint(self) -> Endpoint | None:
        """The gateway: the modules' one, when they name one (the first, if several)."""
        return next((p.endpoint for p in self.policies if p.endpoint), None)


def check_gateway(endpoint: Endpoint, timeout: float = 5.0) -> dict:
    """Ask the gateway for its models (GET {base_url}/models, the OpenAI API's listing).

    Blocking: run it in an executor. Never raises; says what is wrong.
    """
    url = endpoint.base_url.rstrip("/") + "/models"
    request = urllib.request.Request(url)
    key = endpoint.environment().get("OPENAI_API_KEY")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, schema-checked
            data = json.loads(response.read())
    except urllib.error.HTTPError as err:
        return {"reachable": True, "ok": False, "message": f"the gateway answered {err.code}"}
    except (urllib.error.URLError, OSError, ValueError) as err:
        return {"reachable": False, "ok": False, "message": f"cannot reach {url}: {err}"}
    models = [m.get("id") for m in data.get("data", []) if isinstance(m, dict)]
    if endpoint.model and endpoint.model not in models:
        return {
            "reachable": True,
            "ok": False,
            "models": models,
            "message": f"the gateway does not offer the model {endpoint.model!r}",
        }
    return {"reachable": True, "ok": True, "models": models, "message": "ok"}
