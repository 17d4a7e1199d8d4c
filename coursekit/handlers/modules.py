"""``/coursekit/api/modules``: the student's modules, their workspaces and their content."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..background_seeding import SeedingService
from ..modules import ModuleService
from .base import CourseKitHandler


class ModulesHandler(CourseKitHandler):
    def initialize(self, name: str, modules: ModuleService, seeding: SeedingService) -> None:
        super().initialize(name)
        self.modules = modules
        self.seeding = seeding

    @web.authenticated
    @authorized
    async def get(self) -> None:
        payload = self.modules.describe()
        states = self.seeding.states()
        for module in payload["modules"]:
            module["seed"] = states.get(module["id"])
        self.finish_json(payload)


class ModuleHandler(ModulesHandler):
    @web.authenticated
    @authorized
    async def get(self, module_id: str) -> None:
        payload = self.modules.describe_module(module_id)
        payload["seed"] = self.seeding.state(module_id)
        self.finish_json(payload)
