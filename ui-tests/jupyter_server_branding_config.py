"""The Galata server for branding.spec.ts: the usual test server, branded.

Its own port (COURSEKIT_UI_PORT + 1000), started by the spec itself, so the other specs'
screenshots stay unbranded. The course is ../images/example-branding: an institution
branding file and a module that overrides it and locks a setting.
"""

import os
from pathlib import Path

load_subconfig(str(Path(__file__).with_name("jupyter_server_test_config.py")))  # noqa: F821

EXAMPLE = Path(__file__).resolve().parent.parent / "images" / "example-branding"

c.ServerApp.port = int(os.environ.get("COURSEKIT_UI_PORT", "8888")) + 1000  # noqa: F821
c.CourseKit.manifest_paths = [str(EXAMPLE)]  # noqa: F821
c.CourseKit.branding_file = str(EXAMPLE / "branding.yaml")  # noqa: F821
