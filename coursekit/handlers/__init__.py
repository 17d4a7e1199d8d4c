"""The REST API under ``/coursekit/api/``: one module per resource, one route table here.

Described in ``schema/openapi.yaml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .assignments import AssignmentActionHandler, AssignmentsHandler
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
        (f"{MODULE}/assignments", AssignmentsHandler, {"assignments": app.assignments}),
        (
            rf"{MODULE}/assignments/(?P<assignment>[A-Za-z0-9][A-Za-z0-9_.@+-]{{0,127}})"
            r"/(?P<action>fetch|validate|submit|feedback)",
            AssignmentActionHandler,
            {"assignments": app.assignments},
        ),
    ]
