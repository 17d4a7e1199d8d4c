"""What each course app needs, and the jupyter-server-proxy specs for one student.

Each app is served at a fixed path under the server's base URL (``rstudio/``,
``matlab/``, ``desktop/``, ``vscode/``, ``tensorboard/``). The command lines are ported
from the upstream proxy packages, with their attribution at each builder; coursekit
changes what makes those packages unsafe or awkward on a teaching hub: no entry points that
cannot be switched off, no launcher card when the binary is missing, unix sockets instead
of ports where the app supports them, no app bound to every interface or without auth.
"""

from __future__ import annotations

import getpass
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..workspaces import Workspace

STATIC = Path(__file__).resolve().parent / "static"
CATEGORY = "Course apps"


@dataclass
class AppContext:
    """What a command builder knows: where the app runs and what its modules asked for."""

    name: str
    binary: str  # the resolved path of the app's binary
    cwd: Path
    modules: list[tuple[str, Path, dict]]  # (module id, module directory, options)
    state_dir: Path  # private to this user: logs, generated configuration
    options: dict  # the first enabling module's options
    env: Mapping[str, str]
    files: dict[Path, tuple[str, int]] = field(default_factory=dict)  # path -> (text, mode)
    dirs: list[Path] = field(default_factory=list)

    def config_file(self, name: str, text: str, mode: int = 0o600) -> str:
        path = self.state_dir / name
        self.files[path] = (text, mode)
        return str(path)


@dataclass(frozen=True)
class AppDefinition:
    """One app coursekit knows how to start behind the proxy."""

    name: str  # the fixed URL path segment, and the manifest key
    title: str
    binary: str  # looked up on PATH; no card when it is missing
    timeout: float  # seconds to wait for the first response before the start fails
    build: Callable[[AppContext], dict]
    # The name jupyter-server-proxy knows the app by, when its HTTP path is a page of
    # coursekit's own (the desktop: a noVNC page at desktop/, the VNC stream beside it).
    proxy_name: str = ""
    requires: tuple[str, ...] = ()  # files besides the binary that must exist

    @property
    def server_name(self) -> str:
        return self.proxy_name or self.name

    @property
    def icon(self) -> Path:
        return STATIC / f"{self.name}.svg"


def _literal(value: str | Path) -> str:
    """Keep braces in a path from being read as a jupyter-server-proxy template field."""
    return str(value).replace("{", "{{").replace("}", "}}")


# RStudio -------------------------------------------------------------------------------
# Ported from jupyter-rsession-proxy (BSD-3-Clause, Ryan Lovett and contributors): rserver
# with auth off (the Jupyter server authenticates every request), same-origin framing, no
# user-agent check, a private data directory and a sqlite database configuration.
RSTUDIO_EVENTS = r".*/rstudio/events/get_events"


def _rstudio(ctx: AppContext) -> dict:
    data_dir = ctx.state_dir / "rstudio-data"
    ctx.dirs.append(data_dir)
    database = ctx.config_file("rstudio-database.conf", f"provider=sqlite\ndirectory={data_dir}\n")
    # rsession starts in the home unless told otherwise: open the module directory.
    rsession = ctx.config_file(
        "rsession.conf",
        f"session-default-working-dir={ctx.cwd}\nsession-default-new-project-dir={ctx.cwd}\n",
    )
    return {
        "command": [
            ctx.binary,
            "--auth-none=1",
            "--www-frame-origin=same",
            "--www-verify-user-agent=0",
            "--www-socket={unix_socket}",
            "--www-root-path={base_url}rstudio/",
            f"--server-user={_literal(getpass.getuser())}",
            f"--server-data-dir={_literal(data_dir)}",
            f"--database-config-file={_literal(database)}",
            f"--rsession-config-file={_literal(rsession)}",
            f"--server-working-dir={_literal(ctx.cwd)}",
        ],
        "unix_socket": True,
        # RStudio long-polls get_events all the time it is open: that is not a person at
        # work, and counting it would keep an idle server from ever being culled.
        "exclude_last_activity_patterns": [RSTUDIO_EVENTS],
    }


# MATLAB --------------------------------------------------------------------------------
# Ported from jupyter-matlab-proxy (BSD-3-Clause, The MathWorks, Inc.): matlab-proxy-app
# configured through MWI_* variables, on loopback, with its own token auth off because
# the Jupyter server authenticates every request, and the absolute URL passed through.
def _matlab(ctx: AppContext) -> dict:
    return {
        "command": [ctx.binary],
        "environment": {
            "MWI_APP_PORT": "{port}",
            "MWI_APP_HOST": "127.0.0.1",
            "MWI_BASE_URL": "{base_url}matlab",
            "MWI_ENABLE_SSL": "false",
            "MWI_ENABLE_TOKEN_AUTH": "false",
        },
        "absolute_url": True,
    }


# Desktop -------------------------------------------------------------------------------
# Ported from jupyter-remote-desktop-proxy (BSD-3-Clause, Jupyter contributors): TigerVNC's
# vncserver in the foreground on a unix socket (no TCP port at all), no VNC password
# because only the authenticated websocket reaches the socket, proxied as a raw stream
# (jupyter-server-proxy's raw_socket_proxy, no websockify process), with the noVNC page
# served by coursekit at desktop/.
NOVNC_DIRS = ("/usr/share/novnc",)

XSTARTUP = """#!/bin/sh
# Written by coursekit: the session the course desktop starts.
unset SESSION_MANAGER DBUS_SESSION_BUS_ADDRESS
cd {cwd}
if command -v xfce4-session >/dev/null 2>&1; then
  exec dbus-launch --exit-with-session xfce4-session
fi
command -v xterm >/dev/null 2>&1 && xterm &
if command -v openbox-session >/dev/null 2>&1; then
  exec openbox-session
fi
wait
"""


def novnc_dir() -> Path | None:
    """Where noVNC's client (core/rfb.js) is installed, if anywhere."""
    for folder in NOVNC_DIRS:
        if (Path(folder) / "core" / "rfb.js").is_file():
            return Path(folder)
    return None


def _desktop(ctx: AppContext) -> dict:
    import shlex

    xstartup = ctx.config_file("xstartup", XSTARTUP.format(cwd=shlex.quote(str(ctx.cwd))), 0o700)
    geometry = ctx.options.get("geometry", "1280x800")
    return {
        "command": [
            ctx.binary,
            "-rfbunixpath",
            "{unix_socket}",
            "-rfbunixmode",
            "0600",
            "-rfbport",
            "-1",
            "-fg",
            "-verbose",
            "-geometry",
            geometry,
            "-SecurityTypes",
            "None",
            "-xstartup",
            _literal(xstartup),
        ],
        "unix_socket": True,
        "raw_socket_proxy": True,
    }


# VS Code -------------------------------------------------------------------------------
# Ported from jupyter-vscode-proxy (BSD-3-Clause, Tim Head and contributors), made safe:
# code-server's own auth is off only because it listens on a 0600 unix socket that the
# authenticated proxy alone can reach (upstream binds a TCP port on every interface), and
# the hub's public origin is trusted so code-server's websockets pass its origin check.
def _trusted_origins(env: Mapping[str, str]) -> list[str]:
    from urllib.parse import urlsplit

    origins = []
    for var in ("JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_EXTERNAL_URL"):
        host = urlsplit(env.get(var, "")).netloc
        if host and host not in origins:
            origins.append(host)
    return origins


def _vscode(ctx: AppContext) -> dict:
    command = [
        ctx.binary,
        "--auth",
        "none",
        "--socket",
        "{unix_socket}",
        "--socket-mode",
        "600",
        "--disable-telemetry",
        "--disable-update-check",
    ]
    for origin in _trusted_origins(ctx.env):
        command += ["--trusted-origins", _literal(origin)]
    command.append(_literal(ctx.cwd))
    return {"command": command, "unix_socket": True}


# TensorBoard ---------------------------------------------------------------------------
# Ported from jupyter-tensorboard-proxy (MIT, Chris Holdgraf and contributors), without its
# fixed port: TensorBoard cannot listen on a unix socket, so it gets a free loopback port
# chosen by the proxy, and serves under the proxy's path so its links stay inside it.
def _tensorboard(ctx: AppContext) -> dict:
    logdirs = []
    for module_id, module_dir, options in ctx.modules:
        logdir = module_dir / options.get("logdir", "logs")
        ctx.dirs.append(logdir)
        logdirs.append((module_id, logdir))
    if len(logdirs) == 1:
        where = ["--logdir", _literal(logdirs[0][1])]
    else:
        # One named group of runs per module, so a student taking two modules sees both.
        where = ["--logdir_spec", ",".join(f"{m}:{_literal(d)}" for m, d in logdirs)]
    return {
        "command": [
            ctx.binary,
            *where,
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--path_prefix",
            "{base_url}tensorboard",
        ],
        "absolute_url": True,
    }


APPS: dict[str, AppDefinition] = {
    app.name: app
    for app in (
        AppDefinition("rstudio", "RStudio", "rserver", 60, _rstudio),
        AppDefinition("matlab", "MATLAB", "matlab-proxy-app", 120, _matlab),
        AppDefinition(
            "desktop",
            "Desktop",
            "vncserver",
            45,
            _desktop,
            proxy_name="desktop-websockify",
            requires=("noVNC",),
        ),
        AppDefinition("vscode", "VS Code", "code-server", 45, _vscode),
        AppDefinition("tensorboard", "TensorBoard", "tensorboard", 60, _tensorboard),
    )
}


@dataclass
class AppPlan:
    """One app for one student: whether it can run here, and its proxy spec."""

    app: AppDefinition
    modules: list[str]
    cwd: Path
    binary: str | None  # None: not installed in this image
    missing: str  # what is missing, worded for a person ("" when installed)
    log: Path
    spec: dict
    files: dict[Path, tuple[str, int]] = field(default_factory=dict)
    dirs: list[Path] = field(default_factory=list)

    @property
    def installed(self) -> bool:
        return not self.missing

    def prepare(self) -> None:
        """Write the configuration files and create the directories the app needs."""
        for folder in self.dirs:
            folder.mkdir(parents=True, exist_ok=True)
        for path, (text, mode) in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(path, mode)

    def to_dict(self) -> dict:
        return {
            "name": self.app.name,
            "title": self.app.title,
            "binary": self.app.binary,
            "installed": self.installed,
            "missing": self.missing,
            "modules": self.modules,
            "path": f"{self.app.name}/",
        }


def enabled_apps(raw_module: Mapping) -> dict[str, dict]:
    """The apps a manifest's module entry enables, with their options."""
    apps = {}
    for name, value in (raw_module.get("apps") or {}).items():
        if value is False or value is None:
            continue
        apps[name] = dict(value) if isinstance(value, Mapping) else {}
    return apps


def plan_apps(
    workspaces: Sequence[Workspace],
    home: Path,
    state_dir: Path,
    *,
    which: Callable[[str], str | None] = shutil.which,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
) -> list[AppPlan]:
    """The apps the student's modules enable, in catalogue order, each with its spec."""
    env = os.environ if env is None else env
    wanted: dict[str, list[tuple[str, Path, dict]]] = {}
    for workspace in workspaces:
        for name, options in enabled_apps(workspace.module.raw).items():
            if name in APPS:  # the manifest schema refuses any other name
                wanted.setdefault(name, []).append(
                    (workspace.module.id, Path(workspace.path), options)
                )
    plans = []
    for name, app in APPS.items():
        if name not in wanted:
            continue
        modules = wanted[name]
        # One module: its directory. Several: the home that holds them all.
        cwd = modules[0][1] if len(modules) == 1 else Path(home)
        binary = which(app.binary)
        missing = "" if binary else f"{app.binary} is not installed in this image"
        if not missing and "noVNC" in app.requires and novnc_dir() is None:
            missing = "noVNC is not installed in this image"
        ctx = AppContext(
            name=name,
            binary=_literal(binary or app.binary),
            cwd=cwd,
            modules=modules,
            state_dir=Path(state_dir),
            options=modules[0][2],
            env=env,
        )
        spec = app.build(ctx)
        log = Path(state_dir) / f"{name}.log"
        spec["command"] = [
            _literal(python),
            "-m",
            "coursekit.webapps.launch",
            "--cwd",
            _literal(cwd),
            "--log",
            _literal(log),
            "--",
            *spec["command"],
        ]
        timeout = modules[0][2].get("timeout", app.timeout)
        spec.update(
            timeout=float(timeout),
            new_browser_tab=True,
            launcher_entry={
                "enabled": not missing,
                "title": app.title,
                "icon_path": str(app.icon),
                # The card opens coursekit's start page, which shows progress while the
                # app starts and the failure page if it does not.
                "path_info": f"coursekit/apps/{name}/start",
                "category": CATEGORY,
            },
        )
        plans.append(
            AppPlan(
                app=app,
                modules=[m for m, _, _ in modules],
                cwd=cwd,
                binary=binary,
                missing=missing,
                log=log,
                spec=spec,
                files=ctx.files,
                dirs=ctx.dirs,
            )
        )
    return plans


def log_tail(path: Path, lines: int = 20, limit: int = 64 * 1024) -> list[str]:
    """The last lines of an app's log (read from the end: logs can be large)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-lines:]
