"""Errors as values with stable codes.

Raised where they happen, turned into HTTP (status + ``{code, message}``) once, in the
base handler, and into a one-line message plus a non-zero exit in the CLI. The codes are
stable so that the lab extension can branch on them.
"""

from __future__ import annotations


class CourseKitError(Exception):
    """Base of every error coursekit reports to a person."""

    code = "coursekit-error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class ManifestError(CourseKitError):
    """A course manifest that cannot be used as written."""

    code = "manifest-invalid"
    status = 422


class NotFound(CourseKitError):
    code = "not-found"
    status = 404


class BadRequest(CourseKitError):
    code = "bad-request"
    status = 400


class Forbidden(CourseKitError):
    code = "forbidden"
    status = 403


class WorkspaceError(CourseKitError):
    """A module directory that could not be created or used."""

    code = "workspace-unavailable"
    status = 409


class UnsafePath(CourseKitError):
    """A path that would leave the directory it is confined to."""

    code = "unsafe-path"
    status = 400
