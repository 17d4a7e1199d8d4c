"""One seed or one pull in a fresh process, as a student's server start would run it.

``python -m benchmarks.seeding_worker seed MANIFEST WORKSPACE CACHE [--count-opens]``
``python -m benchmarks.seeding_worker pull GIT_URL REPO_DIR BRANCH``

Prints one JSON object: the seconds the operation took (imports excluded) and what it did.
A fresh process per operation means no in-memory cache of an earlier seed helps the next.
"""

from __future__ import annotations

import argparse
import builtins
import io
import json
import os
import sys
import time
from collections.abc import Callable

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT


class OpenCounter:
    """Counts the files opened in this process, through open(), io.open() and os.open()."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.writes = 0
        self._saved: list[tuple[object, str, Callable]] = []

    def __enter__(self) -> OpenCounter:
        real_open, real_os_open = builtins.open, os.open

        def counted_open(file, mode="r", *args, **kwargs):
            if not isinstance(file, int):  # an fd from os.open was counted there
                self._count(str(file), not any(c in mode for c in "wax+"))
            return real_open(file, mode, *args, **kwargs)

        def counted_os_open(path, flags, *args, **kwargs):
            self._count(os.fsdecode(path), not flags & _WRITE_FLAGS)
            return real_os_open(path, flags, *args, **kwargs)

        for owner, name, replacement in (
            (builtins, "open", counted_open),
            (io, "open", counted_open),
            (os, "open", counted_os_open),
        ):
            self._saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, replacement)
        return self

    def __exit__(self, *exc_info) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)

    def _count(self, path: str, read: bool) -> None:
        if read:
            self.reads.append(path)
        else:
            self.writes += 1


def seed(args: argparse.Namespace) -> dict:
    from coursekit.manifest import load_course
    from coursekit.seeding import seed_module
    from coursekit.seeding.engine import wait_for_release

    course = load_course([args.manifest])
    if course.problems or len(course.modules) != 1:
        raise SystemExit(f"the generated manifest is not valid: {course.problems}")
    module = course.modules[0]
    counter = OpenCounter() if args.count_opens else None
    started = time.perf_counter()
    if counter:
        with counter:
            report = seed_module(module, args.workspace, cache_dir=args.cache)
    else:
        report = seed_module(module, args.workspace, cache_dir=args.cache)
    seconds = time.perf_counter() - started
    # The versions an update replaced are freed after the seed returns, while the server
    # goes on: timed apart, so the figures show that work too.
    started = time.perf_counter()
    wait_for_release()
    released = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "released_after_seconds": released,
        "noop": report.noop,
        "added": len(report.added),
        "updated": len(report.updated),
        "conflicts": len(report.conflicts),
        "errors": report.errors,
        "bookkeeping_bytes": report.bookkeeping_bytes,
    }
    if counter:
        result.update(reads=counter.reads, writes=counter.writes)
    return result


def pull(args: argparse.Namespace) -> dict:
    from nbgitpuller.pull import GitPuller

    started = time.perf_counter()
    lines = sum(1 for _ in GitPuller(args.url, args.repo_dir, branch=args.branch).pull())
    return {"seconds": time.perf_counter() - started, "lines": lines}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seeding_worker")
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("manifest")
    seeding.add_argument("workspace")
    seeding.add_argument("cache")
    seeding.add_argument("--count-opens", action="store_true")
    pulling = commands.add_parser("pull")
    pulling.add_argument("url")
    pulling.add_argument("repo_dir")
    pulling.add_argument("branch")
    args = parser.parse_args(argv)
    result = seed(args) if args.command == "seed" else pull(args)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
