"""Seeding a module from a generated course: first seed, no-op, a 1% update, bookkeeping.

The peers: ``cp -a`` of the same tree on the same disk for the first seed, and nbgitpuller
1.3 pulling the same content from a file:// bare repository for everything. Every seed and
every pull runs in a fresh process (a student's server start does), with the disk's dirty
pages flushed first so one measurement's writes do not land on the next.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from ..context import Context
from ..figures import BenchmarkError, Figure, median
from ..generated_course import GeneratedCourse, change_share, generate

NAME = "seeding"
MODULE = "BENCH-25J"
SMALL_MODULE = "SMALL-25J"
BRANCH = "main"
GOAL_FIRST_VS_CP = 1.3
GOAL_NOOP_MS = 20.0
GOAL_UPDATE_SHARE = 0.10
CHANGED = 0.01
INDEX_NAME = ".coursekit-index.json"
TEXT_SUFFIXES = (".ipynb", ".md", ".py", ".csv")
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "course team",
    "GIT_AUTHOR_EMAIL": "team@example.invalid",
    "GIT_COMMITTER_NAME": "course team",
    "GIT_COMMITTER_EMAIL": "team@example.invalid",
}


class _Bench:
    """The generated course, its manifests and bare repository, and the tools run on them."""

    def __init__(self, ctx: Context, root: Path) -> None:
        self.ctx = ctx
        self.root = root
        home = root / "git-home"
        home.mkdir()
        # nbgitpuller and git run with a throwaway HOME: the developer's git config plays no part.
        self.env = {**os.environ, **_GIT_ENV, "HOME": str(home)}
        self.cache = root / "cache"

    def manifest(self, code: str, content: Path) -> Path:
        path = self.root / f"{code}.yaml"
        path.write_text(
            "modules:\n"
            f"  - code: {code.split('-')[0]}\n"
            "    presentation: 25J\n"
            "    title: A generated course for the benchmarks\n"
            "    content:\n"
            f"      - source: {json.dumps(str(content))}\n"
            "        target: .\n"
        )
        return path

    def worker(self, *args: str | Path) -> dict:
        command = [sys.executable, "-m", "benchmarks.seeding_worker", *map(str, args)]
        done = subprocess.run(
            command,
            cwd=self.ctx.repo,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise BenchmarkError(
                f"{' '.join(map(str, args[:1]))} failed (exit {done.returncode}):\n"
                f"{done.stderr.strip()[-2000:]}"
            )
        return json.loads(done.stdout)

    def seed(self, manifest: Path, workspace: Path, count_opens: bool = False) -> dict:
        os.sync()
        extra = ["--count-opens"] if count_opens else []
        result = self.worker("seed", manifest, workspace, self.cache, *extra)
        if result["errors"]:
            raise BenchmarkError(f"the seed reported errors: {result['errors'][:3]}")
        return result

    def pull(self, url: str, repo_dir: Path) -> float:
        os.sync()
        return self.worker("pull", url, repo_dir, BRANCH)["seconds"]

    def copy(self, source: Path, target: Path) -> float:
        os.sync()
        started = time.perf_counter()
        subprocess.run(["cp", "-a", str(source), str(target)], check=True)
        return time.perf_counter() - started

    def git(self, *args: str | Path) -> None:
        done = subprocess.run(
            ["git", *map(str, args)], env=self.env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise BenchmarkError(f"git {args[0]} failed: {done.stderr.strip()[-1000:]}")

    def publish(self, bare: Path, content: Path, message: str) -> None:
        """Commit the content folder as it is now to the bare repository's main branch."""
        tree = ["--git-dir", bare, "--work-tree", content]
        self.git(*tree, "add", "-A")
        self.git(*tree, "commit", "-q", "-m", message)


def _bytes(root: Path, rels: list[str] | None = None) -> int:
    if rels is not None:
        return sum((root / rel).stat().st_size for rel in rels)
    return sum(
        os.lstat(os.path.join(folder, name)).st_size
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def _remove(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def _check_engine() -> None:
    try:
        import coursekit.seeding  # noqa: F401
    except ImportError as err:
        raise BenchmarkError(f"coursekit.seeding cannot be imported ({err})") from err
    try:
        import nbgitpuller.pull  # noqa: F401
    except ImportError as err:
        raise BenchmarkError(
            f"nbgitpuller, the peer, is not installed ({err}): pip install 'nbgitpuller==1.3.*'"
        ) from err


def run(ctx: Context) -> list[Figure]:
    _check_engine()
    from coursekit.seeding import build_index

    files, total = ctx.size((2000, 200 << 20), (200, 20 << 20))
    rounds = ctx.size(3, 2)
    bench = _Bench(ctx, ctx.folder("seeding"))
    root = bench.root

    ctx.log(f"{NAME}: generating a course of {files} files, {total >> 20} MiB")
    course = generate(root / "content", files, total)
    small = generate(root / "content-small", files // 10, total // 10, seed=352)
    started = time.perf_counter()
    build_index(course.root)
    index_seconds = time.perf_counter() - started
    build_index(small.root)
    manifest = bench.manifest(MODULE, course.root)
    small_manifest = bench.manifest(SMALL_MODULE, small.root)

    bare = root / "course.git"
    bench.git("init", "-q", "--bare", "-b", BRANCH, bare)
    (bare / "info" / "exclude").write_text(f"{INDEX_NAME}\n")  # coursekit's, not the course's
    ctx.log(f"{NAME}: committing the course to a bare repository for nbgitpuller")
    bench.publish(bare, course.root, "the course")
    url = bare.as_uri()

    # -- first seed, beside cp -a and nbgitpuller's first clone --------------------------------
    seeds, copies, clones = [], [], []
    for i in range(rounds):
        workspace = root / f"home-{i}" / MODULE
        workspace.parent.mkdir()
        copy_target, clone = root / f"copy-{i}", root / f"clone-{i}"
        steps = [
            (copies, partial(bench.copy, course.root, copy_target)),
            (seeds, partial(bench.seed, manifest, workspace)),
            (clones, partial(bench.pull, url, clone)),
        ]
        for results, step in steps[i % 3 :] + steps[: i % 3]:  # each goes first in turn
            results.append(step())
        if seeds[-1]["added"] != len(course.files):
            raise BenchmarkError(
                f"the first seed added {seeds[-1]['added']} files of {len(course.files)}"
            )
        ctx.log(
            f"{NAME}: first seed {seeds[-1]['seconds']:.2f} s, cp -a {copies[-1]:.2f} s, "
            f"nbgitpuller clone {clones[-1]:.2f} s"
        )
        _remove(copy_target)
        if i < rounds - 1:
            _remove(workspace.parent, clone)
    first = median([s["seconds"] for s in seeds]) * 1000
    cp = median(copies) * 1000
    clone_ms = median(clones) * 1000

    # -- no-op: nothing changed --------------------------------------------------------------
    noop_runs = ctx.size(5, 3)
    noops, noop_pulls = [], []
    for _ in range(noop_runs):
        noops.append(bench.seed(manifest, workspace))
        noop_pulls.append(bench.pull(url, clone))
    noop_ms = median([r["seconds"] for r in noops]) * 1000
    noop_pull_ms = median(noop_pulls) * 1000
    all_noop = all(r["noop"] for r in noops)
    ctx.log(f"{NAME}: no-op seed {noop_ms:.1f} ms, nbgitpuller no-op pull {noop_pull_ms:.0f} ms")

    # Files read by a no-op seed, at two sizes of course: they must not grow with it.
    counted = bench.seed(manifest, workspace, count_opens=True)
    small_workspace = root / "home-small" / SMALL_MODULE
    small_workspace.parent.mkdir()
    bench.seed(small_manifest, small_workspace)
    small_counted = bench.seed(small_manifest, small_workspace, count_opens=True)
    small_noop_ms = median(
        [bench.seed(small_manifest, small_workspace)["seconds"] for _ in range(noop_runs)]
    )
    small_noop_ms *= 1000
    reads, small_reads = len(counted["reads"]), len(small_counted["reads"])

    # -- the course team changes 1% of the files --------------------------------------------
    updates, update_pulls, index_rebuilds = [], [], []
    changed: list[str] = []
    changed_bytes = 0
    for i in range(rounds):
        changed = change_share(course, CHANGED, i)
        changed_bytes = _bytes(course.root, changed)
        started = time.perf_counter()
        build_index(course.root)  # what the image build does
        index_rebuilds.append(time.perf_counter() - started)
        bench.publish(bare, course.root, f"update {i + 1}")
        if i % 2:
            update_pulls.append(bench.pull(url, clone))
            updates.append(bench.seed(manifest, workspace))
        else:
            updates.append(bench.seed(manifest, workspace))
            update_pulls.append(bench.pull(url, clone))
        if updates[-1]["updated"] != len(changed):
            raise BenchmarkError(
                f"the update seed updated {updates[-1]['updated']} files, not the "
                f"{len(changed)} the course changed"
            )
        ctx.log(
            f"{NAME}: update of {len(changed)} files {updates[-1]['seconds'] * 1000:.0f} ms, "
            f"nbgitpuller pull {update_pulls[-1] * 1000:.0f} ms"
        )
    update_ms = median([u["seconds"] for u in updates]) * 1000
    update_pull_ms = median(update_pulls) * 1000

    # -- what the bookkeeping costs in the student's home ---------------------------------------
    bookkeeping = _bytes(workspace / ".coursekit")
    text_files = [rel for rel in course.files if rel.endswith(TEXT_SUFFIXES)]
    text = _bytes(course.root, text_files)
    git_dir = _bytes(clone / ".git")

    size = f"{len(course.files):,} files / {course.total_bytes / (1 << 20):,.0f} MiB"
    return _figures(
        first=first,
        cp=cp,
        clone_ms=clone_ms,
        noop_ms=noop_ms,
        noop_pull_ms=noop_pull_ms,
        all_noop=all_noop,
        reads=reads,
        small_reads=small_reads,
        counted=counted,
        small_counted=small_counted,
        small_noop_ms=small_noop_ms,
        update_ms=update_ms,
        update_pull_ms=update_pull_ms,
        bookkeeping=bookkeeping,
        text=text,
        text_files=len(text_files),
        git_dir=git_dir,
        size=size,
        course=course,
        small=small,
        changed=len(changed),
        changed_bytes=changed_bytes,
        index_seconds=index_seconds,
        index_rebuild=median(index_rebuilds),
        detail={
            "files": len(course.files),
            "bytes": course.total_bytes,
            "first_seed_s": [s["seconds"] for s in seeds],
            "cp_a_s": copies,
            "nbgitpuller_clone_s": clones,
            "noop_seed_s": [r["seconds"] for r in noops],
            "nbgitpuller_noop_pull_s": noop_pulls,
            "update_seed_s": [u["seconds"] for u in updates],
            "nbgitpuller_update_pull_s": update_pulls,
            "noop_reads": counted["reads"],
            "noop_reads_small": small_counted["reads"],
            "index_build_s": index_seconds,
        },
    )


def _figures(**m) -> list[Figure]:
    course: GeneratedCourse = m["course"]
    small: GeneratedCourse = m["small"]
    first, update_ms = m["first"], m["update_ms"]
    return [
        Figure(
            f"first seed, {m['size']}: coursekit vs cp -a",
            first,
            m["cp"],
            goal=f"<= {GOAL_FIRST_VS_CP}x",
            meets=first <= GOAL_FIRST_VS_CP * m["cp"],
            note=(
                "the seed hashes, fsyncs and renames every file and keeps gzip merge bases; "
                f"the content index (built once per image, {m['index_seconds']:.2f} s) "
                "saves hashing the source"
            ),
            detail=m["detail"],
        ),
        Figure("  first seed vs nbgitpuller first clone", first, m["clone_ms"]),
        Figure(
            "no-op seed vs nbgitpuller no-op pull",
            m["noop_ms"],
            m["noop_pull_ms"],
            goal=f"< {GOAL_NOOP_MS:.0f} ms",
            meets=m["noop_ms"] < GOAL_NOOP_MS and m["all_noop"],
            note=(
                f"in a fresh process, imports excluded; {len(small.files):,}-file course "
                f"{m['small_noop_ms']:.1f} ms"
                + ("" if m["all_noop"] else "; the engine did NOT report a no-op")
            ),
        ),
        Figure(
            f"  no-op seed files read, {len(course.files):,} files vs {len(small.files):,}",
            m["reads"],
            m["small_reads"],
            unit="count",
            goal="no growth",
            meets=m["reads"] <= m["small_reads"],
            note=(
                "opens for reading via open(), io.open() and os.open(); files opened to "
                f"write {m['counted']['writes']} vs {m['small_counted']['writes']}"
            ),
        ),
        Figure(
            f"update after {CHANGED:.0%} changed ({m['changed']} files) vs nbgitpuller pull",
            update_ms,
            m["update_pull_ms"],
            goal=f"<= {GOAL_UPDATE_SHARE:.0%} of first seed",
            meets=update_ms <= GOAL_UPDATE_SHARE * first,
            note=(
                f"{update_ms / first:.1%} of the first seed; {m['changed_bytes'] / (1 << 20):.1f} "
                f"MiB changed; rebuilding the image's index took {m['index_rebuild']:.2f} s"
            ),
        ),
        Figure(
            "bookkeeping .coursekit/ vs the course's notebooks and text",
            m["bookkeeping"],
            m["text"],
            unit="bytes",
            note=(
                f"{m['text_files']:,} notebooks and text files; "
                f"nbgitpuller's .git holds {m['git_dir'] / (1 << 20):,.1f} MiB"
            ),
        ),
    ]
