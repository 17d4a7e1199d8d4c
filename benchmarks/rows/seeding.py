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
from dataclasses import dataclass
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

    def copy_over(self, source: Path, rels: list[str], target: Path) -> float:
        """``cp -a`` of just ``rels`` over the copies ``target`` already holds: the bytes an
        update has to write, with nothing decided and nothing atomic."""
        os.sync()
        started = time.perf_counter()
        subprocess.run(["cp", "-a", "--parents", *rels, str(target)], cwd=source, check=True)
        return time.perf_counter() - started

    def fsync_tree(self, root: Path) -> float:
        """What making a copy durable costs, file by file, as the seed does (not timed
        into cp -a's figure; shown beside it)."""
        started = time.perf_counter()
        for folder, _dirs, names in os.walk(root):
            for name in names:
                fd = os.open(os.path.join(folder, name), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
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
        # A hosted repository keeps what it is pushed as packs, not loose objects, and a
        # clone from loose objects is several times slower. No delta search (--window=0):
        # the generated files share no content, and the search would take half a minute.
        self.git("--git-dir", bare, "repack", "-d", "-q", "--window=0")


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
            f"nbgitpuller, the peer, is not installed ({err}): pip install -r benchmarks/requirements.txt"
        ) from err


@dataclass
class _Setup:
    """The generated courses, their manifests, and the bare repository nbgitpuller pulls."""

    course: GeneratedCourse
    small: GeneratedCourse
    manifest: Path
    small_manifest: Path
    bare: Path
    url: str
    index_seconds: float


@dataclass
class _Seeded:
    """The module folder and the clone left by the first-seed rounds, for what follows,
    and the small course's module folder once the no-op rows have seeded it."""

    workspace: Path
    clone: Path
    small_workspace: Path | None = None


def _prepare(ctx: Context, bench: _Bench) -> _Setup:
    from coursekit.seeding import build_index

    files, total = ctx.size((2000, 200 << 20), (200, 20 << 20))
    ctx.log(f"{NAME}: generating a course of {files} files, {total >> 20} MiB")
    course = generate(bench.root / "content", files, total)
    small = generate(bench.root / "content-small", files // 10, total // 10, seed=352)
    started = time.perf_counter()
    build_index(course.root)  # as the image build does: jupyter coursekit index
    index_seconds = time.perf_counter() - started
    build_index(small.root)
    bare = bench.root / "course.git"
    bench.git("init", "-q", "--bare", "-b", BRANCH, bare)
    (bare / "info" / "exclude").write_text(f"{INDEX_NAME}\n")  # coursekit's, not the course's
    ctx.log(f"{NAME}: committing the course to a bare repository for nbgitpuller")
    bench.publish(bare, course.root, "the course")
    return _Setup(
        course=course,
        small=small,
        manifest=bench.manifest(MODULE, course.root),
        small_manifest=bench.manifest(SMALL_MODULE, small.root),
        bare=bare,
        url=bare.as_uri(),
        index_seconds=index_seconds,
    )


def _first_seed(ctx: Context, bench: _Bench, setup: _Setup) -> tuple[list[Figure], _Seeded]:
    """Rounds of a first seed and cp -a side by side, then nbgitpuller's first clone.

    This machine's disk speeds up and slows down by several times within minutes (a cloud
    disk's write credits), so a seed and a copy measured a minute apart can differ by the
    disk alone. Each round measures the two back to back, in turns going first, and the
    figure is the round with the median of the per-round ratios: a paired comparison."""
    course = setup.course
    pairs: list[tuple[dict, float]] = []
    clones, fsyncs = [], []
    rounds = ctx.size(5, 2)
    # One pair first, not counted: right after the course is generated and committed, the
    # first writes of a run were 2-3 times slower for whichever came second, measured.
    warm_up = bench.root / "warm-up"
    (warm_up / "home").mkdir(parents=True)
    bench.copy(course.root, warm_up / "copy")
    bench.seed(setup.manifest, warm_up / "home" / MODULE)
    for i in range(rounds):
        workspace = bench.root / f"home-{i}" / MODULE
        workspace.parent.mkdir()
        copy_target, clone = bench.root / f"copy-{i}", bench.root / f"clone-{i}"
        if i % 2 == 0:
            copied = bench.copy(course.root, copy_target)
            seeded = bench.seed(setup.manifest, workspace)
        else:
            seeded = bench.seed(setup.manifest, workspace)
            copied = bench.copy(course.root, copy_target)
        pairs.append((seeded, copied))
        fsyncs.append(bench.fsync_tree(copy_target))
        if seeded["added"] != len(course.files):
            raise BenchmarkError(
                f"the first seed added {seeded['added']} files of {len(course.files)}"
            )
        cloned = i >= rounds - ctx.size(3, 2)  # the last round's clone is pulled later
        if cloned:
            clones.append(bench.pull(setup.url, clone))
        ctx.log(
            f"{NAME}: first seed {seeded['seconds']:.2f} s, cp -a {copied:.2f} s"
            + (f", nbgitpuller clone {clones[-1]:.2f} s" if cloned else "")
        )
    # Removed only now: freeing 200 MB leaves the disk work to do (discards, the journal)
    # that slowed whichever of seed and copy came next by 2-4 times, measured.
    _remove(warm_up)
    for i in range(rounds):
        _remove(bench.root / f"copy-{i}")
        if i < rounds - 1:
            _remove(bench.root / f"home-{i}", bench.root / f"clone-{i}")
    ratios = [s["seconds"] / c for s, c in pairs]
    middle = sorted(range(rounds), key=lambda i: ratios[i])[rounds // 2]
    first, cp = pairs[middle][0]["seconds"] * 1000, pairs[middle][1] * 1000
    size = f"{len(course.files):,} files / {course.total_bytes / (1 << 20):,.0f} MiB"
    figures = [
        Figure(
            f"first seed, {size}: coursekit vs cp -a",
            first,
            cp,
            goal=f"<= {GOAL_FIRST_VS_CP}x",
            meets=first <= GOAL_FIRST_VS_CP * cp,
            note=(
                f"the round with the median ratio of {rounds} rounds after one not counted, "
                f"each a seed and a copy back to back (ratios {', '.join(f'{r:.2f}' for r in ratios)}); cp -a then "
                f"an fsync of every copied file takes {median(fsyncs) * 1000:,.0f} ms more; "
                "the seed copies each new folder whole, with two threads, and packs the notebooks' merge bases "
                f"into one file; the content index (built once per image, "
                f"{setup.index_seconds:.2f} s) saves hashing the source"
            ),
            detail={
                "files": len(course.files),
                "bytes": course.total_bytes,
                "first_seed_s": [s["seconds"] for s, _ in pairs],
                "cp_a_s": [c for _, c in pairs],
                "ratios": ratios,
                "fsync_after_cp_a_s": fsyncs,
                "nbgitpuller_clone_s": clones,
                "index_build_s": setup.index_seconds,
            },
        ),
        Figure("  first seed vs nbgitpuller first clone", first, median(clones) * 1000),
    ]
    return figures, _Seeded(workspace, clone)


def _noop(ctx: Context, bench: _Bench, setup: _Setup, seeded: _Seeded) -> list[Figure]:
    """Nothing changed: the seed every later start makes, and what it reads."""
    runs = ctx.size(5, 3)
    seeds, pulls = [], []
    for _ in range(runs):
        seeds.append(bench.seed(setup.manifest, seeded.workspace))
        pulls.append(bench.pull(setup.url, seeded.clone))
    noop = median([r["seconds"] for r in seeds]) * 1000
    pull = median(pulls) * 1000
    all_noop = all(r["noop"] for r in seeds)
    ctx.log(f"{NAME}: no-op seed {noop:.1f} ms, nbgitpuller no-op pull {pull:.0f} ms")

    # The files a no-op seed reads, at two sizes of course: they must not grow with it.
    counted = bench.seed(setup.manifest, seeded.workspace, count_opens=True)
    small_workspace = bench.root / "home-small" / SMALL_MODULE
    small_workspace.parent.mkdir()
    bench.seed(setup.small_manifest, small_workspace)
    seeded.small_workspace = small_workspace
    small_counted = bench.seed(setup.small_manifest, small_workspace, count_opens=True)
    small_noop = median(
        [bench.seed(setup.small_manifest, small_workspace)["seconds"] for _ in range(runs)]
    )
    reads, small_reads = len(counted["reads"]), len(small_counted["reads"])
    files, small_files = len(setup.course.files), len(setup.small.files)
    return [
        Figure(
            "no-op seed vs nbgitpuller no-op pull",
            noop,
            pull,
            goal=f"< {GOAL_NOOP_MS:.0f} ms",
            meets=noop < GOAL_NOOP_MS and all_noop,
            note=(
                f"median of {runs}, each in a fresh process, imports excluded; "
                f"the {small_files:,}-file course's {small_noop * 1000:.1f} ms"
                + ("" if all_noop else "; the engine did NOT report a no-op")
            ),
            detail={
                "noop_seed_s": [r["seconds"] for r in seeds],
                "nbgitpuller_noop_pull_s": pulls,
                "noop_reads": counted["reads"],
                "noop_reads_small_course": small_counted["reads"],
            },
        ),
        Figure(
            f"  no-op seed files read, {files:,} files vs {small_files:,}",
            reads,
            small_reads,
            unit="count",
            goal="no growth",
            meets=reads <= small_reads,
            note=(
                "files opened to read through open(), io.open() and os.open(); opened to "
                f"write {counted['writes']} vs {small_counted['writes']}"
            ),
        ),
    ]


def _update(ctx: Context, bench: _Bench, setup: _Setup, seeded: _Seeded) -> list[Figure]:
    """The course team changes 1% of the files: the seed and the pull that bring it in.

    The goal compares the update with a first seed, so each round also makes a first seed
    of the same content into an empty module, back to back with the update (in turns going
    first), and the share is the median of the per-round shares: the disk's speed, which
    drifts by several times (see _first_seed), is then the same for both."""
    from coursekit.seeding import build_index

    seeds, pulls, rebuilds, firsts, overs, smalls = [], [], [], [], [], []
    changed: list[str] = []
    rounds = ctx.size(3, 2)
    for i in range(rounds):
        changed = change_share(setup.course, CHANGED, i)
        started = time.perf_counter()
        build_index(setup.course.root)
        rebuilds.append(time.perf_counter() - started)
        bench.publish(setup.bare, setup.course.root, f"update {i + 1}")
        fresh = bench.root / f"fresh-{i}" / MODULE
        fresh.parent.mkdir()
        steps = [
            (seeds, partial(bench.seed, setup.manifest, seeded.workspace)),
            (firsts, partial(bench.seed, setup.manifest, fresh)),
        ]
        for results, step in steps[i % 2 :] + steps[: i % 2]:
            results.append(step())
        pulls.append(bench.pull(setup.url, seeded.clone))
        # The same files copied over the fresh module's (which already has them whole).
        overs.append(bench.copy_over(setup.course.root, changed, fresh))
        # As many files changed in a course a tenth the size: the update should cost what
        # changed, not what the course is.
        change_share(setup.small, len(changed) / len(setup.small.files), i)
        build_index(setup.small.root)
        smalls.append(bench.seed(setup.small_manifest, seeded.small_workspace))
        if seeds[-1]["updated"] != len(changed):
            raise BenchmarkError(
                f"the update seed updated {seeds[-1]['updated']} files, not the "
                f"{len(changed)} the course changed"
            )
        ctx.log(
            f"{NAME}: update of {len(changed)} files {seeds[-1]['seconds'] * 1000:.0f} ms "
            f"(a first seed beside it {firsts[-1]['seconds'] * 1000:.0f} ms), "
            f"nbgitpuller pull {pulls[-1] * 1000:.0f} ms"
        )
    for i in range(rounds):
        _remove(bench.root / f"fresh-{i}")  # only now: see _first_seed
    shares = [u["seconds"] / f["seconds"] for u, f in zip(seeds, firsts, strict=True)]
    share = median(shares)
    update = median([s["seconds"] for s in seeds]) * 1000
    changed_mib = _bytes(setup.course.root, changed) / (1 << 20)
    return [
        Figure(
            f"update after {CHANGED:.0%} changed ({len(changed)} files) vs nbgitpuller pull",
            update,
            median(pulls) * 1000,
            goal=f"<= {GOAL_UPDATE_SHARE:.0%} of first seed",
            meets=share <= GOAL_UPDATE_SHARE,
            note=(
                f"median of {rounds}; {share:.1%} of a first seed made back to back with it "
                f"(per round {', '.join(f'{x:.1%}' for x in shares)}); {changed_mib:.1f} MiB "
                f"changed; freeing the versions it replaced finished "
                f"{median(s['released_after_seconds'] for s in seeds) * 1000:.1f} ms after the "
                "seed returned; "
                f"cp -a of just those files over a copy of the course took "
                f"{median(overs) * 1000:.0f} ms; rebuilding the image's content index took "
                f"{median(rebuilds):.2f} s"
            ),
            detail={
                "update_seed_s": [s["seconds"] for s in seeds],
                "released_after_update_s": [s["released_after_seconds"] for s in seeds],
                "first_seed_beside_s": [f["seconds"] for f in firsts],
                "shares": shares,
                "cp_changed_over_copy_s": overs,
                "nbgitpuller_update_pull_s": pulls,
                "update_small_course_s": [s["seconds"] for s in smalls],
            },
        ),
        Figure(
            f"  update of {len(changed)} files, {len(setup.course.files):,}-file course vs "
            f"{len(setup.small.files):,}",
            update,
            median([s["seconds"] for s in smalls]) * 1000,
            note=(
                f"the same number of files changed in each; median of {rounds}; the bookkeeping "
                "an update reads does not grow with the course"
            ),
        ),
    ]


def _bookkeeping(setup: _Setup, seeded: _Seeded) -> list[Figure]:
    """What coursekit keeps in the student's module, beside what it keeps it for."""
    text_files = [rel for rel in setup.course.files if rel.endswith(TEXT_SUFFIXES)]
    git_dir = _bytes(seeded.clone / ".git") / (1 << 20)
    return [
        Figure(
            "bookkeeping .coursekit/ vs the course's notebooks and text",
            _bytes(seeded.workspace / ".coursekit"),
            _bytes(setup.course.root, text_files),
            unit="bytes",
            note=(
                f"{len(text_files):,} notebooks and text files; "
                f"nbgitpuller's .git in the student's folder holds {git_dir:,.1f} MiB"
            ),
        )
    ]


def run(ctx: Context) -> list[Figure]:
    _check_engine()
    bench = _Bench(ctx, ctx.folder("seeding"))
    setup = _prepare(ctx, bench)
    figures, seeded = _first_seed(ctx, bench, setup)
    figures += _noop(ctx, bench, setup, seeded)
    figures += _update(ctx, bench, setup, seeded)
    figures += _bookkeeping(setup, seeded)
    return figures
