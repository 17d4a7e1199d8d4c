"""The REST API under ``/coursekit/api/``: one module per resource, one route table here.

Described in ``schema/openapi.yaml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .branding import BrandingAssetHandler, BrandingHandler
from .modules import ModuleHandler, ModulesHandler
from .seeding import ResetHandler, RestoreHandler, SeedHandler

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
    ]


def _webapp_routes(app: CourseKit) -> list[tuple]:
    if not getattr(app, "webapps", None):
        return []
    from .webapps import webapp_routes

    return webapp_routes(app.webapps)
