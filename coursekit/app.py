"""The coursekit server extension: its configuration, its services and its routes."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Int, List, Unicode, default

from .assignments import AssignmentService
from .background_seeding import SeedingService
from .instructor_tools import is_student, page_config_hook
from .manifest import default_manifest_paths
from .modules import ModuleService
from .workspaces import DEFAULT_TEMPLATE, enrolled_from_env


class CourseKit(ExtensionApp):
    """Module workspaces and course content for a teaching JupyterHub.

    Configure it as ``c.CourseKit.<trait>`` in any Jupyter server config file.
    """

    name = "coursekit"
    # coursekit adds panels to JupyterLab; it serves no page of its own.
    load_other_extensions = True

    manifest_paths = List(
        Unicode(),
        help="""Course manifests: files, or folders whose *.yaml files are manifests.
        Default: $COURSEKIT_MANIFEST (paths separated by the OS path separator) when set,
        else a coursekit/ folder under every Jupyter config path.""",
    ).tag(config=True)

    enrolled_modules = List(
        Unicode(),
        allow_none=True,
        help="""The modules this student takes, as CODE-PRESENTATION. None means every
        module the manifests describe. Default: $COURSEKIT_MODULES (comma separated),
        which the hub sets from the student's groups.""",
    ).tag(config=True)

    workspace_template = Unicode(
        DEFAULT_TEMPLATE,
        help="""The name of a module's folder in the home. Fields: {code}, {presentation},
        {id} (CODE-PRESENTATION). It must stay inside the home.""",
    ).tag(config=True)

    home_dir = Unicode(
        "",
        help="""The folder the module workspaces are created in. Default: the server's
        root directory, which in a course image is the student's home.""",
    ).tag(config=True)

    seed_on_start = Bool(
        True,
        help="""Seed every module's content in the background once the server is up. The
        server is ready before seeding starts; progress shows in the Modules panel.""",
    ).tag(config=True)

    seed_cache_dir = Unicode(
        help="""Where git and downloaded archive sources are cached while the server runs.
        Default: a private folder under the system's temporary directory, so the cache
        does not count against the student's home quota.""",
    ).tag(config=True)

    seed_copy_threads = Int(
        2,
        min=1,
        help="""Threads that copy the folders a first seed adds. A copy is mostly the kernel's
        work, so a second thread keeps a second core busy while the first is between files;
        1 copies with the seeding thread alone (a node whose students all start at once
        gains nothing from more).""",
    ).tag(config=True)

    branding_file = Unicode(
        "",
        help="""The institution's branding file (branding, setting defaults, locks, extension
        policy). Default: $COURSEKIT_BRANDING, else branding.yaml beside the manifests;
        `jupyter coursekit apply` sets it.""",
    ).tag(config=True)

    cull_timeout = Int(
        help="""Seconds of inactivity after which the hub's idle culler stops this server;
        0: no culler, no warning. Default: $COURSEKIT_CULL_TIMEOUT, which the reference hub
        sets from the culler's --timeout.""",
    ).tag(config=True)

    cull_every = Int(
        help="""How often, in seconds, the culler checks. Default: $COURSEKIT_CULL_EVERY.""",
    ).tag(config=True)

    idle_warning_seconds = Int(
        600,
        help="""Warn the student this many seconds before the server may be stopped for
        inactivity.""",
    ).tag(config=True)

    home_quota_bytes = Int(
        0,
        help="""The student's disk quota in bytes, when the operator knows it (for example
        the size of the home's volume claim). 0: the filesystem's own figures where the home
        is a volume of its own, else none (never the size of a shared NFS disk).""",
    ).tag(config=True)

    welcome_gap_seconds = Int(
        8 * 3600,
        help="""Offer the welcome-back summary when the student's last visit is at least
        this many seconds old (and something changed).""",
    ).tag(config=True)

    state_dir = Unicode(
        "",
        help="""Where coursekit keeps the student's own small state (why the last server
        stopped, the last visit). Default: coursekit/ in the Jupyter data dir
        (~/.local/share/jupyter/coursekit), in the persistent home and outside every module.""",
    ).tag(config=True)

    def _state_path(self) -> Path:
        return Path(self.state_dir or Path(self.serverapp.data_dir) / "coursekit").expanduser()

    @default("cull_timeout")
    def _default_cull_timeout(self) -> int:
        from .idle import env_seconds

        return env_seconds("COURSEKIT_CULL_TIMEOUT")

    @default("cull_every")
    def _default_cull_every(self) -> int:
        from .idle import env_seconds

        return env_seconds("COURSEKIT_CULL_EVERY")

    @default("seed_cache_dir")
    def _default_seed_cache_dir(self) -> str:
        import os
        import tempfile

        return os.path.join(tempfile.gettempdir(), f"coursekit-cache-{os.getuid()}")

    webapps_state_dir = Unicode(
        help="""Where course web apps keep their logs and generated configuration (a
        private folder). Default: coursekit-webapps under the Jupyter runtime directory.""",
    ).tag(config=True)

    @default("webapps_state_dir")
    def _default_webapps_state_dir(self) -> str:
        from jupyter_core.paths import jupyter_runtime_dir

        return str(Path(jupyter_runtime_dir()) / "coursekit-webapps")

    @default("manifest_paths")
    def _default_manifest_paths(self) -> list[str]:
        return default_manifest_paths()

    exchange_url = Unicode(
        help="URL of the coursekit nbgrader exchange service, for the assignments in the "
        "Modules panel (default: $COURSEKIT_EXCHANGE_URL, which the reference hub sets). "
        "Requests carry the server's $JUPYTERHUB_API_TOKEN.",
    ).tag(config=True)

    @default("exchange_url")
    def _default_exchange_url(self) -> str:
        return os.environ.get("COURSEKIT_EXCHANGE_URL", "")

    @default("enrolled_modules")
    def _default_enrolled_modules(self) -> list[str] | None:
        return enrolled_from_env()

    def initialize_settings(self) -> None:
        home = Path(self.home_dir or self.serverapp.root_dir).expanduser()
        self.modules = ModuleService(
            self.manifest_paths, home, self.enrolled_modules, self.workspace_template
        ).load()
        self.seeding = SeedingService(
            self.modules, cache_dir=self.seed_cache_dir, copy_threads=self.seed_copy_threads
        )
        self.runtime_policy = self._load_policy()
        self._register_webapps(home)
        self.idle = self._idle_service()
        self.ai = self._ai_gate()
        from .usage import DiskUsage

        self.disk_usage = DiskUsage(home, self.home_quota_bytes)
        from .welcome import WelcomeService

        # Other features add items (feedback ready, due soon) to app.welcome.sources.
        self.welcome = WelcomeService(self.modules, self._state_path(), self.welcome_gap_seconds)
        self.assignments = AssignmentService(
            self.modules, self.exchange_url, os.environ.get("JUPYTERHUB_API_TOKEN", "")
        )
        self.welcome.sources.append(self.assignments.welcome_items)

    def _register_webapps(self, home: Path) -> None:
        """Plan the course apps the student's modules enable and hand their specs to
        jupyter-server-proxy. Its extension loads after this one (the server loads
        extensions in name order), and reads ``ServerProxy.servers`` from the server's
        configuration when it does."""
        from .webapps.catalogue import plan_apps

        self.webapps = plan_apps(self.modules.workspaces, home, Path(self.webapps_state_dir))
        if not self.webapps:
            return
        from .handlers.webapps import RunningApps, server_processes

        Path(self.webapps_state_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        for plan in self.webapps:
            if plan.installed:
                plan.prepare()
        proxy = self.serverapp.config.ServerProxy
        configured = dict(proxy.get("servers", {}))
        self.webapps_running = RunningApps()
        for name, process in server_processes(self.webapps, self.webapps_running).items():
            if name in configured:
                self.log.warning(
                    "coursekit: ServerProxy.servers[%r] is configured already; "
                    "coursekit's %s app is not registered",
                    name,
                    name,
                )
                continue
            configured[name] = process
        proxy.servers = configured

    def _load_policy(self):
        # Checked against the real schemas at every start, so a wrong key shows in the
        # Modules panel; JupyterLab is loaded in this process already, so this is cheap.
        from .lab_policy import LabSchemas
        from .policy import CoursePolicy
        from .runtime_policy import RuntimePolicy

        try:
            lab = LabSchemas.installed()
        except ImportError:  # a server without JupyterLab: nothing to check settings against
            lab = None
        course_policy = CoursePolicy.load(
            self.modules.course, self.manifest_paths, self.branding_file or None, lab
        )
        for problem in course_policy.problems:
            self.log.warning("coursekit: %s", problem)
        self.modules.problems.extend(course_policy.problems)
        enrolled = [(w.module.id, w.module.title) for w in self.modules.workspaces]
        return RuntimePolicy.build(course_policy, enrolled)

    def _ai_gate(self):
        import os

        from .ai_policy import AIGate

        gate = AIGate.for_modules(w.module for w in self.modules.workspaces)
        endpoint = gate.endpoint()
        if endpoint:
            # Kernels and the agents jupyter-ai starts inherit it; an operator's own
            # environment wins.
            for key, value in endpoint.environment().items():
                os.environ.setdefault(key, value)
        return gate

    def _idle_service(self):
        from .idle import CullPolicy, IdleService, StopRecord

        settings = self.serverapp.web_app.settings

        def touch(moment) -> None:
            # jupyter_server counts every settings key ending in _last_activity.
            settings["coursekit_last_activity"] = moment

        return IdleService(
            CullPolicy(self.cull_timeout, self.cull_every, self.idle_warning_seconds),
            StopRecord(self._state_path()),
            last_activity=lambda: self.serverapp.web_app.last_activity(),
            touch=touch,
        )

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        if is_student():
            # Here, once every extension is set up: JupyterHub's own sets the hook during
            # its initialisation, and this wraps whichever hook is there.
            settings = serverapp.web_app.settings
            settings["page_config_hook"] = page_config_hook(settings.get("page_config_hook"))
        # Called once the event loop runs: queue the seeds and return at once, so the
        # server is ready (and JupyterLab loads) while content arrives.
        if self.seed_on_start:
            self.seeding.start_all()
        self._hook_into_jupyterlab(serverapp.web_app)
        self._enforce_ai_policy(serverapp.web_app)

    def _hook_into_jupyterlab(self, web_app) -> None:
        # After every extension has registered its routes, so JupyterLab's are there.
        try:
            from .handlers.lab_hooks import install_page_config_hook, install_settings_lock
        except ImportError:  # no JupyterLab in this server: no settings routes to guard
            return
        policy = self.runtime_policy.policy
        if (policy.locked or policy.settings) and not install_settings_lock(
            web_app, self.runtime_policy
        ):
            self.log.warning("coursekit: no JupyterLab settings route found to lock settings on")
        install_page_config_hook(web_app, self.runtime_policy)

    def _enforce_ai_policy(self, web_app) -> None:
        # Every extension has added its routes by now.
        from tornado.ioloop import PeriodicCallback

        from .handlers.ai import disconnect_chats_while_shut, enforce_now, guard_ai_routes

        guarded = guard_ai_routes(web_app, self.ai)
        if guarded and disconnect_chats_while_shut(web_app, self.ai):
            # An exam window may open while the server runs.
            self._ai_enforcer = PeriodicCallback(lambda: enforce_now(web_app, self.ai), 30_000)
            self._ai_enforcer.start()
        self.log.debug("coursekit: AI policy guards %d jupyter-ai routes", len(guarded))

    async def stop_extension(self) -> None:
        self.seeding.shutdown()
        if getattr(self, "_ai_enforcer", None):
            self._ai_enforcer.stop()
        if getattr(self, "webapps_running", None) is not None:
            await self.webapps_running.stop_all()
        try:
            self.idle.record_stop()
        except OSError as err:
            self.log.warning("coursekit: cannot record why the server stopped: %s", err)

    def initialize_handlers(self) -> None:
        from .handlers import route_table

        self.handlers.extend(route_table(self))


main = launch_new_instance = CourseKit.launch_instance
