"""Course web apps at the edge: the proxy specs jupyter-server-proxy serves, the start page
a launcher card opens, the failure page, and the desktop's noVNC page.

The proxying itself is jupyter-server-proxy's (authentication of every request and
websocket included); coursekit only adds, around its handler class, a check that the
binary exists, early detection of an app that exits while starting, and a page that says
what failed instead of a bare 500.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import AuthenticatedFileHandler, JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from jupyter_server_proxy.config import ServerProcess
from tornado import web
from traitlets import Instance, Unicode

from ..webapps.catalogue import STATIC, AppPlan, log_tail, novnc_dir


class AppStartFailed(web.HTTPError):
    """An app did not start; the page names the app, its binary and its last log lines."""

    def __init__(self, title: str, binary: str, reason: str, log: list[str]) -> None:
        super().__init__(503, f"{title} could not start: {reason}")
        self.title, self.binary, self.reason, self.log = title, binary, reason, log


class _AppExited(Exception):
    def __init__(self, returncode: int | None) -> None:
        super().__init__(returncode)
        self.returncode = returncode


def _empty(path: Path) -> None:
    try:
        with open(path, "w"):
            pass
    except OSError:
        pass


def failure_page(error: AppStartFailed) -> str:
    log = "\n".join(error.log) or "(the app wrote nothing to its log)"
    e = html.escape
    return (
        STATIC.joinpath("failed.html")
        .read_text(encoding="utf-8")
        .replace("{title}", e(error.title))
        .replace("{binary}", e(error.binary))
        .replace("{reason}", e(error.reason))
        .replace("{log}", e(log))
    )


class RunningApps:
    """The course apps' process states, shared with jupyter-server-proxy's handlers, so
    coursekit can stop the apps with the server (a VNC server or RStudio left running
    would outlive it). Not copied when the proxy copies its configuration."""

    def __init__(self) -> None:
        self.states: dict[str, dict] = {}

    def __deepcopy__(self, memo: dict) -> RunningApps:
        return self

    async def stop_all(self) -> None:
        for state in self.states.values():
            proc = state.get("proc")
            if proc is not None and not isinstance(proc, str):
                await proc.terminate()
                state.pop("proc", None)


class CourseAppProcess(ServerProcess):
    """jupyter-server-proxy's ServerProcess for one course app, with coursekit's checks."""

    title = Unicode(help="The app's name as students see it.")
    binary = Unicode(help="The program the app runs, as the failure page names it.")
    missing = Unicode(help="Why the app cannot run here; empty when it is installed.")
    log_path = Unicode(help="The file the app's output goes to.")
    running = Instance(RunningApps, allow_none=True, help="Where the app's state is kept.")

    def make_proxy_handler(self):
        cls, kwargs = super().make_proxy_handler()
        if cls is None:
            return cls, kwargs
        if self.running is not None and "state" in kwargs:
            self.running.states[self.name] = kwargs["state"]
        title, binary, missing, log_path = self.title, self.binary, self.missing, self.log_path

        class CourseAppProxyHandler(cls):
            async def ensure_process(self):
                if missing:
                    raise AppStartFailed(title, binary, missing, [])
                if "proc" not in self.state:
                    _empty(Path(log_path))
                try:
                    await super().ensure_process()
                except _AppExited as exited:
                    status = (
                        "" if exited.returncode is None else f" (exit status {exited.returncode})"
                    )
                    reason = f"{binary} stopped while starting{status}"
                    raise AppStartFailed(title, binary, reason, log_tail(Path(log_path))) from None
                except web.HTTPError as err:
                    if err.status_code != 500:
                        raise
                    reason = f"{binary} did not answer within {self.get_timeout():g} seconds"
                    raise AppStartFailed(title, binary, reason, log_tail(Path(log_path))) from None

            async def _http_ready_func(self, p):
                # simpervisor restarts an app that exits with an error, and the proxy would
                # keep waiting for the full timeout: stop at the first exit instead.
                first = self.__dict__.setdefault("_coursekit_first_proc", p.proc)
                if p.proc is not first or p.proc.returncode is not None:
                    code = first.returncode  # the first run's, even after a restart
                    await p.kill()
                    raise _AppExited(code)
                return await super()._http_ready_func(p)

            # Over a websocket, only what the student sends is activity: a desktop's screen
            # updates or an app's heartbeats from the server side would keep an idle
            # server from ever being culled. (Plain HTTP requests count as before.)
            def on_message(self, message):
                self._coursekit_from_client = True
                try:
                    return super().on_message(message)
                finally:
                    self._coursekit_from_client = False

            def _record_activity(self):
                if self.ws_connection is None or getattr(self, "_coursekit_from_client", False):
                    super()._record_activity()

            def write_error(self, status_code: int, **kwargs: Any) -> None:
                exc = kwargs.get("exc_info", (None, None, None))[1]
                if not isinstance(exc, AppStartFailed):
                    return super().write_error(status_code, **kwargs)
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.set_header("Cache-Control", "no-store")
                self.finish(failure_page(exc))

        return CourseAppProxyHandler, kwargs


def server_processes(
    plans: list[AppPlan], running: RunningApps | None = None
) -> dict[str, CourseAppProcess]:
    """The ``ServerProxy.servers`` entries for the student's apps."""
    servers = {}
    for plan in plans:
        name = plan.app.server_name
        servers[name] = CourseAppProcess(
            name=name,
            title=plan.app.title,
            binary=plan.app.binary,
            missing=plan.missing,
            log_path=str(plan.log),
            running=running,
            **plan.spec,
        )
    return servers


class _CourseAppPage(ExtensionHandlerMixin, JupyterHandler):
    auth_resource = "coursekit"

    def initialize(self, name: str, plans: dict[str, AppPlan]) -> None:  # type: ignore[override]
        super().initialize(name)
        self.plans = plans

    def _plan(self, app: str) -> AppPlan:
        plan = self.plans.get(app)
        if plan is None:
            raise web.HTTPError(404, f"no course app {app!r} for your modules")
        return plan


class AppStartHandler(_CourseAppPage):
    """The page a launcher card opens: progress while the app starts, then the app."""

    @web.authenticated
    @authorized
    def get(self, app: str) -> None:
        plan = self._plan(app)
        base = self.base_url
        page = {
            "title": plan.app.title,
            # What to request to start the app: the proxied path itself (for the desktop,
            # its stream, which answers a plain GET with 405 once VNC is up).
            "probe": url_path_join(base, plan.app.server_name) + "/",
            "open": url_path_join(base, plan.app.name) + "/",
            "timeout": plan.spec["timeout"],
        }
        text = STATIC.joinpath("start.html").read_text(encoding="utf-8")
        text = text.replace("{title}", html.escape(plan.app.title))
        # JSON inside a script element: keep "</" out so it cannot close the element.
        text = text.replace("{page_json}", json.dumps(page).replace("</", "<\\/"))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(text)


class DesktopPageHandler(_CourseAppPage):
    """The noVNC page at ``desktop/``; the VNC stream is the proxied ``desktop-websockify/``."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self._plan("desktop")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(STATIC.joinpath("desktop.html").read_text(encoding="utf-8"))


class NoVNCFileHandler(AuthenticatedFileHandler):
    """noVNC's client files, for logged-in users only."""

    auth_resource = "coursekit"


def webapp_routes(plans: list[AppPlan]) -> list[tuple]:
    """Routes for the start pages, and the desktop's page when the desktop is enabled."""
    by_name = {plan.app.name: plan for plan in plans}
    kwargs = {"plans": by_name}
    routes: list[tuple] = [(r"/coursekit/apps/(?P<app>[a-z]+)/start", AppStartHandler, kwargs)]
    desktop = by_name.get("desktop")
    folder = novnc_dir()
    if desktop is not None:
        routes.append((r"/desktop/?", DesktopPageHandler, kwargs))
        if folder is not None:
            routes.append((r"/desktop/novnc/(.*)", NoVNCFileHandler, {"path": str(folder)}))
    return routes
