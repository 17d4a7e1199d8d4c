"""First-run steps (``init:`` in the manifest), run once per student and module.

Each step runs in the module folder after the content is in place. Success leaves a marker
in the bookkeeping folder; a failure is reported and the step is tried again at the next
seed. Nothing here raises: a broken step must never keep a student's server from starting.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from ..manifest import InitStep, Module
from .record import Bookkeeping

OUTPUT_TAIL = 2000


def run_steps(module: Module, book: Bookkeeping, ready: bool) -> list[dict]:
    """Run every step without a marker, in order; stop at the first that fails.

    ``ready`` is False when the content is not all in place (a failed seed): then no step
    runs, because a step may depend on the files.
    """
    results = []
    blocked = "" if ready else "the content is not all in place yet; it will run at the next seed"
    for step in module.init:
        marker = book.init / f"{step.name}.done"
        if marker.exists():
            continue
        if blocked:
            results.append({"name": step.name, "status": "skipped", "message": blocked})
            continue
        ok, message = _run(step, book.module_dir, module)
        if ok:
            data = {"finished_at": time.time(), "output": message}
            tmp = marker.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, marker)
        else:
            blocked = f"the step '{step.name}' failed; it will run after it at the next seed"
        results.append({"name": step.name, "status": "ok" if ok else "failed", "message": message})
    return results


def _run(step: InitStep, workspace: Path, module: Module) -> tuple[bool, str]:
    shell = isinstance(step.run, str)
    env = {
        **os.environ,
        "COURSEKIT_MODULE": module.id,
        "COURSEKIT_MODULE_DIR": str(workspace),
    }
    try:
        process = subprocess.Popen(
            step.run if shell else list(step.run),
            shell=shell,
            cwd=workspace,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a timeout stops the whole group, not just the shell
        )
    except OSError as err:
        return False, f"cannot run {step.run!r}: {err.strerror or err}"
    try:
        output, _ = process.communicate(timeout=step.timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return False, f"stopped after {step.timeout:g} s without finishing"
    text = output.decode("utf-8", "replace").strip()[-OUTPUT_TAIL:]
    if process.returncode != 0:
        return False, f"exited with status {process.returncode}: {text}".rstrip(": ")
    return True, text
