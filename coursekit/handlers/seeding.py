"""``/coursekit/api/modules/{id}/seed|restore|reset``: course content in the student's module."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..background_seeding import SeedingService
from ..errors import BadRequest
from .base import CourseKitHandler


class SeedingHandler(CourseKitHandler):
    def initialize(self, name: str, seeding: SeedingService) -> None:
        super().initialize(name)
        self.seeding = seeding


class SeedHandler(SeedingHandler):
    @web.authenticated
    @authorized
    async def get(self, module_id: str) -> None:
        self.finish_json(self.seeding.state(module_id))

    @web.authenticated
    @authorized
    async def post(self, module_id: str) -> None:
        self.seeding.start(module_id)
        self.finish_json(self.seeding.state(module_id), status=202)


class RestoreHandler(SeedingHandler):
    @web.authenticated
    @authorized
    async def post(self, module_id: str) -> None:
        body = self.get_json_body() or {}
        if not isinstance(body, dict):
            raise BadRequest('the body must be a JSON object such as {"paths": [...]}')
        paths = body.get("paths")
        if paths is not None and (
            not isinstance(paths, list) or not all(isinstance(p, str) for p in paths)
        ):
            raise BadRequest(
                "'paths' must be a list of paths inside the module, or null for every deleted file"
            )
        self.finish_json(await self.seeding.restore(module_id, paths))


class ResetHandler(SeedingHandler):
    @web.authenticated
    @authorized
    async def post(self, module_id: str) -> None:
        self.finish_json(await self.seeding.reset(module_id))
