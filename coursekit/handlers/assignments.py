"""``/coursekit/api/modules/<id>/assignments``: a student's nbgrader assignments in a module.

Thin: the work is in ``coursekit.assignments``; blocking calls (network, copying,
hashing) run in an executor so the server never waits on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..assignments import AssignmentService
from .base import CourseKitHandler


class AssignmentHandlerBase(CourseKitHandler):
    def initialize(self, name: str, assignments: AssignmentService) -> None:
        super().initialize(name)
        self.assignments = assignments

    async def off_loop(self, function: Callable, *args):
        return await asyncio.get_running_loop().run_in_executor(None, function, *args)


class AssignmentsHandler(AssignmentHandlerBase):
    @web.authenticated
    @authorized
    async def get(self, module_id: str) -> None:
        self.finish_json(await self.off_loop(self.assignments.list, module_id))


class AssignmentActionHandler(AssignmentHandlerBase):
    """POST .../assignments/<assignment>/<action>: fetch, validate, submit, feedback."""

    @web.authenticated
    @authorized
    async def post(self, module_id: str, assignment: str, action: str) -> None:
        service = self.assignments
        if action == "validate":
            result = await service.validate(module_id, assignment)
        else:
            function = {
                "fetch": service.fetch,
                "submit": service.submit,
                "feedback": service.fetch_feedback,
            }[action]
            result = await self.off_loop(function, module_id, assignment)
        self.finish_json(result, status=201 if action == "submit" else 200)
