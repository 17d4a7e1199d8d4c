"""The processes below a process, read from /proc (Linux).

For what starts a real hub or server and must find, inspect or stop what it started: the
end-to-end tests (``tests/test_hub_e2e.py``) and the benchmark rows that start hubs and
servers (``benchmarks/rows/spawn_storm.py``, ``benchmarks/rows/webapps.py``).
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, at any depth.

    Found through parent ids, not process groups or sessions: the hub starts each server
    in its own session, so a process-group kill would miss them, but they stay its
    children."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        # The command name, in parentheses, may hold spaces: the parent id is the second
        # field after its closing parenthesis.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_line(pid: int) -> list[str]:
    """The arguments ``pid`` was started with (``OSError`` once it has gone)."""
    raw = (PROC / str(pid) / "cmdline").read_bytes()
    return raw.decode(errors="replace").split("\0")[:-1] if raw else []


def environ_of(pid: int) -> dict[str, str]:
    """The environment ``pid`` was started with (``OSError`` once it has gone)."""
    raw = (PROC / str(pid) / "environ").read_bytes()
    return dict(
        item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item
    )
