"""``/coursekit/api/modules/{id}/download``: the module folder as a zip, streamed."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from ..errors import WorkspaceError
from ..modules import ModuleService
from .base import CourseKitHandler


class DownloadHandler(CourseKitHandler):
    def initialize(self, name: str, modules: ModuleService) -> None:
        super().initialize(name)
        self.modules = modules

    @web.authenticated
    @authorized
    async def get(self, module_id: str) -> None:
        from ..export import plan_export, stream_zip

        workspace = self.modules.workspace(module_id)
        if workspace.status != "ready":
            raise WorkspaceError(
                f"the folder of {module_id} is not ready, so there is nothing to download yet",
                code="workspace-not-ready",
            )
        loop = asyncio.get_running_loop()
        # Walking a large module folder is disk work: off the event loop.
        plan = await loop.run_in_executor(None, plan_export, workspace.path, module_id)
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="{module_id}.zip"')
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Coursekit-Expected-Bytes", str(plan.total_bytes))
        chunks = stream_zip(plan)
        try:
            while (chunk := await loop.run_in_executor(None, next, chunks, None)) is not None:
                self.write(chunk)
                # Waits until the chunk is handed to the socket: memory stays at one chunk.
                await self.flush()
        except StreamClosedError:
            self.log.info("coursekit: download of %s stopped by the browser", module_id)
            return
        finally:
            chunks.close()
        self.finish()
