"""``/coursekit/api/branding``: what the student's JupyterLab looks like, and its assets."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..branding import asset_file
from ..runtime_policy import RuntimePolicy
from .base import CourseKitHandler


class BrandingHandler(CourseKitHandler):
    def initialize(self, name: str, runtime: RuntimePolicy) -> None:
        super().initialize(name)
        self.runtime = runtime

    @web.authenticated
    @authorized
    async def get(self) -> None:
        asset_url = self.base_url.rstrip("/") + "/coursekit/api/branding/assets"
        self.finish_json(self.runtime.describe(asset_url))


class BrandingAssetHandler(BrandingHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        path, content_type = asset_file(self.runtime.branding, name)
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        # An SVG opened on its own must not run script in the server's origin.
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.set_header("Cache-Control", "private, max-age=300")
        self.write(path.read_bytes())
        # APIHandler.finish would relabel the image as JSON: finish as a plain handler.
        super(APIHandler, self).finish()
