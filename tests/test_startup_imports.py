"""What a student's server start pays for: the seeding engine's heavy imports stay in the
worker thread that needs them (not timed: checked by which modules are loaded)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["coursekit.seeding.engine", "filelock", "nbdime", "coursekit.cli"]


def test_the_server_side_start_path_does_not_import_the_engine(course_dir, tmp_path):
    script = f"""
import json, sys
from pathlib import Path
from coursekit.app import CourseKit
from coursekit.background_seeding import SeedingService
from coursekit.modules import ModuleService
service = ModuleService([{str(course_dir)!r}], Path({str(tmp_path)!r})).load()
SeedingService(service)
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
