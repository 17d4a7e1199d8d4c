"""The coursekit server extension: its configuration, its services and its routes."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, List, Unicode, default

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

    @default("seed_cache_dir")
    def _default_seed_cache_dir(self) -> str:
        import os
        import tempfile

        return os.path.join(tempfile.gettempdir(), f"coursekit-cache-{os.getuid()}")

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
        self.seeding = SeedingService(self.modules, cache_dir=self.seed_cache_dir)
        self.assignments = AssignmentService(
            self.modules, self.exchange_url, os.environ.get("JUPYTERHUB_API_TOKEN", "")
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

    async def stop_extension(self) -> None:
        self.seeding.shutdown()

    def initialize_handlers(self) -> None:
        from .handlers import route_table

        self.handlers.extend(route_table(self))


main = launch_new_instance = CourseKit.launch_instance
