"""``benchmarks/run``: measure every row, print one table, write benchmarks/results.json.

Exit 0 when every row ran, whether or not its goals were met; 1 when a row could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from .context import REPO, Context
from .figures import BenchmarkError, Figure, format_ratio, format_value
from .rows import ON_REQUEST, ROWS

COLUMNS = ("row", "coursekit", "peer", "ratio", "goal", "verdict")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    names = ", ".join(row.NAME for row in ROWS)
    extra = ", ".join(row.NAME for row in ON_REQUEST)
    parser = argparse.ArgumentParser(
        prog="benchmarks/run",
        description="coursekit's performance figures beside a peer, measured in one run.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs (~2 minutes)")
    parser.add_argument(
        "--rows",
        help=f"comma-separated rows to run (default: {names}; on request only: {extra})",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).parent / "results.json",
        help="where to write the results (default benchmarks/results.json)",
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="a folder on the disk to measure on (default the system's temporary folder)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        help="stop with an error after this many seconds (default 1500, quick 600)",
    )
    args = parser.parse_args(argv)
    if args.rows:
        wanted = [name.strip() for name in args.rows.split(",") if name.strip()]
        unknown = set(wanted) - {row.NAME for row in ROWS + ON_REQUEST}
        if unknown:
            parser.error(
                f"unknown rows {', '.join(sorted(unknown))}; the rows are {names}, {extra}"
            )
        args.selected = [row for row in ROWS + ON_REQUEST if row.NAME in wanted]
    else:
        args.selected = list(ROWS)
    if args.time_limit is None:
        # A safety net, not a budget: a busy machine (2 cores shared with test runs) can
        # take twice the usual ~10 and ~2 minutes.
        args.time_limit = 600.0 if args.quick else 1500.0
    return args


class OutOfTime(BaseException):
    """The whole run went over --time-limit: a BaseException, so no row's ``except
    Exception`` swallows it and the run stops instead of moving on to the next row."""


def _out_of_time(signum, frame) -> None:
    raise OutOfTime()


def _terminated(signum, frame) -> None:
    # Unwind through every `with`, so servers and scratch folders are cleaned up.
    raise SystemExit(128 + signum)


def _table(figures: list[Figure]) -> str:
    rows = [COLUMNS]
    for f in figures:
        rows.append(
            (
                f.label,
                format_value(f.coursekit, f.unit),
                format_value(f.peer, f.unit.lstrip("+")),
                format_ratio(f.ratio),
                f.goal or "-",
                f.verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:4], widths[1:4], strict=True)]
        cells += [cell.ljust(width) for cell, width in zip(row[4:], widths[4:], strict=True)]
        return " | ".join(cells).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def _environment() -> dict:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    packages = ("coursekit", "jupyter_server", "jupyterlab", "tornado", "nbgrader", "nbgitpuller")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": {name: version(name) for name in packages},
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
    }


def _run_row(row, ctx: Context) -> tuple[dict, list[Figure]]:
    """Run one row; a row that cannot run is recorded as failed and the run goes on."""
    started = time.perf_counter()
    ctx.log(f"{row.NAME}: start")
    row_figures: list[Figure] = []
    error = None
    try:
        row_figures = row.run(ctx)
    except BenchmarkError as err:
        error = str(err)
    except Exception:  # a crash is a row that could not run, not the end of the run
        error = traceback.format_exc()
    seconds = time.perf_counter() - started
    status = "ok" if error is None else "failed"
    ctx.log(f"{row.NAME}: {status} in {seconds:.1f} s")
    result = {
        "row": row.NAME,
        "status": status,
        "error": error,
        "seconds": round(seconds, 2),
        "figures": [f.to_dict() for f in row_figures],
    }
    return result, row_figures


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="coursekit-bench-", dir=args.scratch))
    ctx = Context(quick=args.quick, scratch=scratch)
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(int(args.time_limit))
    figures: list[Figure] = []
    results: list[dict] = []
    failures: list[tuple[str, str]] = []
    try:
        for i, row in enumerate(args.selected):
            try:
                result, row_figures = _run_row(row, ctx)
            except OutOfTime:
                left = ", ".join(r.NAME for r in args.selected[i:])
                message = (
                    f"the run went over its time limit of {args.time_limit:.0f} s and was "
                    f"stopped; not measured: {left} (raise the limit with --time-limit)"
                )
                ctx.log(message)
                failures.append((row.NAME, message))
                results.append({"row": row.NAME, "status": "stopped", "error": message})
                break
            figures.extend(row_figures)
            results.append(result)
            if result["status"] != "ok":
                failures.append((row.NAME, result["error"]))
    finally:
        signal.alarm(0)
        shutil.rmtree(scratch, ignore_errors=True)

    total = time.perf_counter() - ctx.started
    mode = "quick" if args.quick else "full"
    print(f"coursekit benchmarks ({mode} run, {total:.0f} s)\n")
    print(_table(figures))
    notes = [f for f in figures if f.note]
    if notes:
        print("\nnotes:")
        for f in notes:
            print(f"  {f.label.strip()}: {f.note}")
    args.json.write_text(
        json.dumps(
            {
                "mode": mode,
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "seconds": round(total, 1),
                "environment": _environment(),
                "rows": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nresults: {os.path.relpath(args.json, REPO)}")
    if failures:
        for name, message in failures:
            print(f"\nbenchmark {name!r} could not run: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
