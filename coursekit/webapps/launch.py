"""Start one course app in its working directory with its output in a log file.

jupyter-server-proxy starts commands in the server's own working directory and sends
their output to the server's log; coursekit wants the module directory as the working
directory and the app's last lines on the page a failed start shows. The log is appended
to (coursekit empties it before each start, not each run: an app that crashes is
restarted, and its first words are the useful ones). So every app
command is ``python -m coursekit.webapps.launch --cwd DIR --log FILE -- COMMAND...``,
which sets both up and then *replaces itself* with the app (``exec``): the process the
proxy supervises and stops is the app itself.
"""

from __future__ import annotations

import os
import sys


def _stop_with_parent() -> None:
    """Ask Linux to send the app SIGTERM if the Jupyter server dies without stopping it
    (killed, out of memory): a VNC server would otherwise outlive it. Kept across exec."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not fatal: the server still stops its apps when it shuts down cleanly


def main(argv: list[str]) -> int:
    cwd = log = None
    args = list(argv)
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag == "--cwd" and args:
            cwd = args.pop(0)
        elif flag == "--log" and args:
            log = args.pop(0)
        else:
            print(f"coursekit launch: unknown argument {flag!r}", file=sys.stderr)
            return 2
    command = args[1:]
    if not command:
        print("coursekit launch: no command after --", file=sys.stderr)
        return 2
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    if cwd:
        os.chdir(cwd)
    _stop_with_parent()
    try:
        os.execvp(command[0], command)
    except OSError as err:
        print(f"coursekit: could not run {command[0]}: {err.strerror}", file=sys.stderr)
        return 127
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
