"""The one base handler: authentication, authorization, JSON in and out, errors as values."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from ..errors import BadRequest, CourseKitError


class CourseKitHandler(ExtensionHandlerMixin, APIHandler):
    """Every coursekit route derives from this.

    Subclasses decorate each verb with ``@web.authenticated`` then ``@authorized``; the
    resource they are authorized against is ``coursekit``, so a hub or an identity provider
    can grant or deny coursekit as a whole.
    """

    auth_resource = "coursekit"

    def get_json_body(self) -> Any:
        try:
            return super().get_json_body()
        except web.HTTPError as err:
            raise BadRequest("the request body is not valid JSON", code="invalid-json") from err

    def finish_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, CourseKitError):
            body = exc.to_dict()
        else:
            message = getattr(exc, "log_message", None) or self._reason
            body = {"code": f"http-{status_code}", "message": message}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[override]
        if isinstance(value, CourseKitError):
            # An expected failure, already worded for a person: no traceback in the log.
            self.log.info(
                "coursekit %s %s: %s", self.request.method, self.request.path, value.message
            )
            return
        super().log_exception(typ, value, tb)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, CourseKitError):
            status_code = exc.status
        super().send_error(status_code, **kwargs)
