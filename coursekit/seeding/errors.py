"""The seeding engine's errors: bad input raises one of these, with a stable code.

Problems with a single file during a seed (a student's symlink in the way, a full disk)
are not raised: they go into the report's ``errors`` so the rest of the module still seeds.
"""

from __future__ import annotations

from ..errors import CourseKitError, NotFound, UnsafePath


class SourceMissing(CourseKitError):
    """A local content directory or archive that the manifest names is not there."""

    code = "source-missing"
    status = 422


class UnsafeContent(UnsafePath):
    """Content that would write outside the module: an escaping symlink or archive member."""

    code = "unsafe-content"


class SeedLocked(CourseKitError):
    """Another seeder kept the module's lock for longer than we were willing to wait."""

    code = "seed-locked"
    status = 409


class NotACourseFile(NotFound):
    """A restore asked for a path the course does not provide."""

    code = "not-a-course-file"


__all__ = ["NotACourseFile", "SeedLocked", "SourceMissing", "UnsafeContent", "UnsafePath"]
