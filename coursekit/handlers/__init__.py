"""The REST API under ``/coursekit/api/``: one module per resource, one route table here.

Described in ``schema/openapi.yaml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ai import AIPolicyHandler
from .assignments import AssignmentActionHandler, AssignmentsHandler
from .branding import BrandingAssetHandler, BrandingHandler
from .export import DownloadHandler
from .idle import IdleHandler, PreviousStopHandler, StillWorkingHandler
from .modules import ModuleHandler, ModulesHandler
from .seeding import ResetHandler, RestoreHandler, SeedHandler
from .usage import DiskUsageHandler
from .welcome import WelcomeHandler, WelcomeSeenHandler

if TYPE_CHECKING:
    from ..app import CourseKit

API = "/coursekit/api"
MODULE = rf"{API}/modules/(?P<module_id>[A-Za-z0-9_]+-[A-Za-z0-9_]+)"


def route_table(app: CourseKit) -> list[tuple]:
    modules = {"modules": app.modules, "seeding": app.seeding}
    seeding = {"seeding": app.seeding}
    return [
        (f"{API}/modules", ModulesHandler, modules),
        (MODULE, ModuleHandler, modules),
        (f"{MODULE}/seed", SeedHandler, seeding),
        (f"{MODULE}/restore", RestoreHandler, seeding),
        (f"{MODULE}/reset", ResetHandler, seeding),
        (f"{API}/branding", BrandingHandler, {"runtime": app.runtime_policy}),
        (
            rf"{API}/branding/assets/(?P<name>[a-z]+\.[a-z]+)",
            BrandingAssetHandler,
            {"runtime": app.runtime_policy},
        ),
        *_webapp_routes(app),
        (f"{MODULE}/download", DownloadHandler, {"modules": app.modules}),
        (f"{API}/idle", IdleHandler, {"idle": app.idle}),
        (f"{API}/idle/activity", StillWorkingHandler, {"idle": app.idle}),
        (f"{API}/idle/previous-stop", PreviousStopHandler, {"idle": app.idle}),
        (f"{API}/ai", AIPolicyHandler, {"gate": app.ai}),
        (f"{API}/usage/disk", DiskUsageHandler, {"usage": app.disk_usage}),
        (f"{API}/welcome", WelcomeHandler, {"welcome": app.welcome}),
        (f"{API}/welcome/seen", WelcomeSeenHandler, {"welcome": app.welcome}),
        (f"{MODULE}/assignments", AssignmentsHandler, {"assignments": app.assignments}),
        (
            rf"{MODULE}/assignments/(?P<assignment>[A-Za-z0-9][A-Za-z0-9_.@+-]{{0,127}})"
            r"/(?P<action>fetch|validate|submit|feedback)",
            AssignmentActionHandler,
            {"assignments": app.assignments},
        ),
    ]


def _webapp_routes(app: CourseKit) -> list[tuple]:
    if not getattr(app, "webapps", None):
        return []
    from .webapps import webapp_routes

    return webapp_routes(app.webapps)
