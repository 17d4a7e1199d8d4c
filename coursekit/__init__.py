"""coursekit: module workspaces, course content and the tools a course needs, for teaching hubs."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "coursekit"}]


def _jupyter_server_extension_points():
    # Imported here, not at module level, so `import coursekit` stays cheap for the CLI
    # and for tools that only want the version.
    from .app import CourseKit

    return [{"module": "coursekit", "app": CourseKit}]
