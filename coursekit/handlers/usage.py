"""``/coursekit/api/usage/disk``: the home's disk use against its real quota."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..usage import DiskUsage
from .base import CourseKitHandler


class DiskUsageHandler(CourseKitHandler):
    # Reading one's usage is not working: it must not keep the server from being culled.
    _track_activity = False

    def initialize(self, name: str, usage: DiskUsage) -> None:
        super().initialize(name)
        self.usage = usage

    @web.authenticated
    @authorized
    async def get(self) -> None:
        loop = asyncio.get_running_loop()
        self.finish_json(await loop.run_in_executor(None, self.usage.measure))
