"""The Jupyter server the Galata specs run against.

A fresh, throwaway home each run (the student's home is the server root), the example
course from ../images/example-course, and Galata's test settings (no token, port $COURSEKIT_UI_PORT or 8888).
"""

import os
import shutil
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

HERE = Path(__file__).resolve().parent
HOME = tempfile.mkdtemp(prefix="coursekit-ui-home-")

c.ServerApp.port = int(os.environ.get("COURSEKIT_UI_PORT", "8888"))  # noqa: F821
c.ServerApp.root_dir = HOME  # noqa: F821
c.CourseKit.home_dir = HOME  # noqa: F821
c.CourseKit.manifest_paths = [str(HERE.parent / "images" / "example-course")]  # noqa: F821
# Every module the manifests describe, whatever the environment of the machine says.
c.CourseKit.enrolled_modules = None  # noqa: F821
c.CourseKit.seed_cache_dir = tempfile.mkdtemp(prefix="coursekit-ui-cache-")  # noqa: F821
# A first visit every run: no welcome-back dialog or stop notice left from an earlier run.
c.CourseKit.state_dir = tempfile.mkdtemp(prefix="coursekit-ui-state-")  # noqa: F821

if os.geteuid() == 0:
    c.ServerApp.allow_root = True  # noqa: F821

# Course web apps: a TensorBoard run in the module's log folder, so its page has a chart.
try:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError:  # scripts/install-apps installs it; without it there is no card
    pass
else:
    # Also kept outside the home: a spec that resets the module moves the home's copy to a
    # backup, and webapps.spec.ts puts it back from here (tensorboard-run-<port>).
    _port = os.environ.get("COURSEKIT_UI_PORT", "8888")
    _fixture = Path(tempfile.gettempdir()) / f"coursekit-ui-tensorboard-run-{_port}"
    shutil.rmtree(_fixture, ignore_errors=True)
    for _logdir in (Path(HOME) / "TM351-25J" / "logs" / "week-3-regression", _fixture):
        _writer = EventFileWriter(str(_logdir))
        for _step in range(40):
            _value = summary_pb2.Summary.Value(tag="loss", simple_value=1.0 / (1 + 0.2 * _step))
            _event = event_pb2.Event(
                step=_step, wall_time=1.7e9 + _step, summary=summary_pb2.Summary(value=[_value])
            )
            _writer.add_event(_event)
        _writer.close()
