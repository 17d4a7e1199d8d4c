"""The REST API under ``/coursekit/api/``: one module per resource, one route table here.

Described in ``schema/openapi.yaml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .modules import ModuleHandler, ModulesHandler

if TYPE_CHECKING:
    from ..app import CourseKit

API = "/coursekit/api"
MODULE_ID = r"(?P<module_id>[A-Za-z0-9_]+-[A-Za-z0-9_]+)"


def route_table(app: CourseKit) -> list[tuple]:
    services = {"modules": app.modules}
    return [
        (f"{API}/modules", ModulesHandler, services),
        (f"{API}/modules/{MODULE_ID}", ModuleHandler, services),
    ]
