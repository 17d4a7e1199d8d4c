"""The lab extension's JavaScript, gzipped as a browser downloads it, beside nbgrader's."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from ..context import Context
from ..figures import BenchmarkError, Figure

NAME = "bundle"
# tornado's GZipContentEncoding compresses at level 6; so does a typical proxy.
GZIP_LEVEL = 6


def _static_js(labextension: Path, who: str, remedy: str) -> list[Path]:
    files = sorted((labextension / "static").glob("*.js"))
    if not files:
        raise BenchmarkError(f"{who}: no JavaScript under {labextension / 'static'}; {remedy}")
    return files


def _gzipped(files: list[Path]) -> tuple[int, int]:
    raw = zipped = 0
    for file in files:
        data = file.read_bytes()
        raw += len(data)
        zipped += len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))
    return raw, zipped


def _build_mode(labextension: Path) -> str:
    """The build mode ``jupyter labextension build`` recorded: production or development."""
    try:
        log = json.loads((labextension / "build_log.json").read_text())
    except (OSError, ValueError):
        return "unknown"
    modes = {entry.get("mode") for entry in log if isinstance(entry, dict)}
    return modes.pop() if len(modes) == 1 and None not in modes else "unknown"


def _nbgrader_labextension() -> Path:
    root = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    candidates = [p for p in root.glob("**/package.json") if "nbgrader" in p.parent.name]
    if not candidates:
        raise BenchmarkError(
            f"nbgrader's lab extension is not under {root}: pip install -r benchmarks/requirements.txt"
        )
    return min(candidates, key=lambda p: len(p.parts)).parent


def run(ctx: Context) -> list[Figure]:
    ours = ctx.repo / "coursekit" / "labextension"
    theirs = _nbgrader_labextension()
    our_files = _static_js(ours, "coursekit", "build it with `jlpm build:prod`")
    their_files = _static_js(theirs, "nbgrader", "reinstall nbgrader")
    our_raw, our_zipped = _gzipped(our_files)
    their_raw, their_zipped = _gzipped(their_files)
    mode = _build_mode(ours)
    note = (
        f"sum of static/*.js gzip -{GZIP_LEVEL}; coursekit {len(our_files)} files "
        f"{our_raw / 1024:,.1f} KiB raw, {mode} build"
        f"{' (jlpm build:prod for the shipped size)' if mode != 'production' else ''}; "
        f"nbgrader {len(their_files)} files {their_raw / 1024:,.1f} KiB raw"
    )
    ctx.log(f"{NAME}: coursekit {our_zipped} B gzipped, nbgrader {their_zipped} B")
    return [
        Figure(
            "lab extension JavaScript, gzipped: coursekit vs nbgrader",
            our_zipped,
            their_zipped,
            unit="bytes",
            note=note,
            detail={
                "coursekit_dir": str(ours),
                "coursekit_build": mode,
                "coursekit_raw_bytes": our_raw,
                "nbgrader_dir": str(theirs),
                "nbgrader_raw_bytes": their_raw,
            },
        )
    ]
