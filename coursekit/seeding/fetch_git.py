"""Git content sources: a shallow fetch into the cache, once per process.

Students never get a clone: the checkout lives in the server's cache and is seeded like
any content folder, so a course team can publish a fix with a push, and a student is never
stuck behind a detached HEAD, a lock file or a deleted ``.git``.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
from pathlib import Path

from filelock import FileLock

_fetched: dict[tuple[str, str | None], Path] = {}
_lock = threading.Lock()
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")


class FetchFailed(Exception):
    """The repository could not be reached or the ref does not exist."""


def _git(*args: str, cwd: Path, timeout: float = 300) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise FetchFailed(f"git {args[0]}: {err}") from err
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise FetchFailed(lines[-1] if lines else f"git {args[0]} failed")
    return result.stdout.strip()


def checkout(url: str, ref: str | None, cache_dir: Path) -> tuple[Path, str | None]:
    """A checkout of ``url`` at ``ref`` in the cache, fetched at most once per process.

    Returns the folder and, when the remote could not be reached but an earlier fetch is in
    the cache, a message saying the earlier copy is used. Raises :class:`FetchFailed` when
    there is nothing to use.
    """
    key = (url, ref)
    with _lock:
        if key in _fetched and _fetched[key].is_dir():
            return _fetched[key], None
    name = hashlib.sha256(f"{url}\0{ref or ''}".encode()).hexdigest()[:16]
    repo = Path(cache_dir) / "git" / name
    repo.parent.mkdir(parents=True, exist_ok=True)
    # A hub start hook and the server may fetch the same repository at the same time.
    with FileLock(str(repo) + ".lock", timeout=600):
        try:
            _fetch(url, ref, repo)
        except FetchFailed as err:
            if _has_checkout(repo):
                message = f"cannot fetch {url} ({err}); using the copy fetched earlier"
                with _lock:
                    _fetched[key] = repo
                return repo, message
            raise
    with _lock:
        _fetched[key] = repo
    return repo, None


def _has_checkout(repo: Path) -> bool:
    try:
        _git("rev-parse", "--verify", "HEAD", cwd=repo, timeout=30)
    except (FetchFailed, FileNotFoundError, NotADirectoryError):
        return False
    return True


def _fetch(url: str, ref: str | None, repo: Path) -> None:
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git("init", "-q", cwd=repo)
    wanted = ref or "HEAD"
    try:
        _git("fetch", "-q", "--depth", "1", "--no-tags", url, wanted, cwd=repo)
        target = "FETCH_HEAD"
    except FetchFailed:
        if not (ref and _SHA.match(ref)):
            raise
        # A server that refuses to send a bare commit: fetch the history and find it there.
        _git("fetch", "-q", "--no-tags", url, "+refs/heads/*:refs/remotes/origin/*", cwd=repo)
        target = ref
    _git("checkout", "-q", "--force", "--detach", target, cwd=repo)
    _git("clean", "-q", "-fdx", cwd=repo)


def resolve_location(location: str, manifest: str) -> str:
    """A relative path in a manifest is relative to the manifest's folder, as for 'source:'."""
    if "://" in location or re.match(r"^[\w.-]+@[\w.-]+:", location):
        return location
    path = Path(location).expanduser()
    if not path.is_absolute() and manifest:
        path = Path(manifest).resolve().parent / path
    return str(path)
