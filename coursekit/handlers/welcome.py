"""``/coursekit/api/welcome``: the welcome-back summary and the last visit."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..welcome import WelcomeService
from .base import CourseKitHandler


class WelcomeHandler(CourseKitHandler):
    def initialize(self, name: str, welcome: WelcomeService) -> None:
        super().initialize(name)
        self.welcome = welcome

    @web.authenticated
    @authorized
    async def get(self) -> None:
        # Reads every module's report and announcements: disk work, off the event loop.
        loop = asyncio.get_running_loop()
        self.finish_json(await loop.run_in_executor(None, self.welcome.summary))


class WelcomeSeenHandler(WelcomeHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.finish_json(self.welcome.seen())
