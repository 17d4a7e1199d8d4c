"""``/coursekit/api/modules``: the student's modules and their workspaces."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..modules import ModuleService
from .base import CourseKitHandler


class ModulesHandler(CourseKitHandler):
    def initialize(self, name: str, modules: ModuleService) -> None:
        super().initialize(name)
        self.modules = modules

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish_json(self.modules.describe())


class ModuleHandler(ModulesHandler):
    @web.authenticated
    @authorized
    async def get(self, module_id: str) -> None:
        workspace = self.modules.workspace(module_id)
        self.finish_json(workspace.to_dict(self.modules.home))
