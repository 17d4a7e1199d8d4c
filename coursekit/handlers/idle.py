"""``/coursekit/api/idle``: the idle warning and why the previous server stopped."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..idle import IdleService
from .base import CourseKitHandler


class IdleHandler(CourseKitHandler):
    # Asking how long until the cull must not count as activity, or the poll would keep
    # every open tab's server alive forever.
    _track_activity = False

    def initialize(self, name: str, idle: IdleService) -> None:
        super().initialize(name)
        self.idle = idle

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish_json(self.idle.status())


class StillWorkingHandler(IdleHandler):
    """The "I'm still working" button: activity the culler sees."""

    _track_activity = True

    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.finish_json(self.idle.still_working())


class PreviousStopHandler(IdleHandler):
    @web.authenticated
    @authorized
    async def delete(self) -> None:
        """The student has seen why the previous server stopped."""
        self.idle.acknowledge_previous_stop()
        self.set_status(204)
        self.finish()
