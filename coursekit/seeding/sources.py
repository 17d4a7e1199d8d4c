"""A module's content: every source of the manifest resolved to files with their hashes,
placed at their target inside the module, and one digest for the lot."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..manifest import ContentSource, Module
from . import fetch_archive, fetch_git
from .atomic import safe_relative
from .errors import SourceMissing
from .index import (
    INDEX_NAME,
    ContentFile,
    ContentIndex,
    IndexUnusable,
    Tree,
    hash_tree,
    indexed_tree,
)

# Bump when the meaning of a digest changes, so every home reseeds once.
ENGINE_VERSION = 1


def default_cache_dir() -> Path:
    """The same place the server uses (``CourseKit.seed_cache_dir``'s default)."""
    return Path(tempfile.gettempdir()) / f"coursekit-cache-{os.getuid()}"


@dataclass
class Content:
    """What the course gives a module, by path relative to the module folder."""

    files: Mapping[str, ContentFile] = field(default_factory=dict)
    digest: str = ""
    # False when a source could not be reached: then nothing is treated as removed by the
    # course, and the digest is not recorded, so the next seed tries again.
    complete: bool = True
    errors: list[dict] = field(default_factory=list)
    # False when some source gave nothing at all (first-run steps then wait).
    reached: bool = True
    # Each source's index listing, when every source is a folder read from its index:
    # what the next seed compares with to find the files the course changed.
    listings: list[SourceListing] | None = None
    # Stands for where each source is and what it takes: listings compare only under it.
    layout: str = ""


@dataclass
class SourceListing:
    """One source's index (its listing of layout 3), and where its files go."""

    prefix: str
    index: ContentIndex


def excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    """A pattern excludes a path when it matches the path or any folder above it."""
    if not patterns:
        return False
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatchcase(p, pat) or fnmatch.fnmatchcase(parts[i], pat)
        for pat in patterns
        for i, p in enumerate(prefixes)
    )


def _root_of(source: ContentSource, module: Module, cache: Path) -> tuple[Path, str | None]:
    if source.kind == "directory":
        root = Path(source.location)
        if not root.is_dir():
            raise SourceMissing(f"the content directory '{root}' of {module.id} does not exist")
        return root, None
    if source.kind == "git":
        url = fetch_git.resolve_location(source.location, module.manifest)
        return fetch_git.checkout(url, source.ref, cache)
    if source.kind == "archive":
        archive, note = fetch_archive.local_archive(source.location, cache)
        return fetch_archive.unpack(archive, cache), note
    raise SourceMissing(f"unknown kind of content source '{source.kind}'", code="source-invalid")


def gather(module: Module, cache_dir: Path | str | None, walk: bool = False) -> Content:
    """Resolve every source of ``module``. A local source that is missing or unsafe raises;
    a remote one that cannot be reached is reported in ``errors`` and skipped.

    A folder in the image with an intact index is read from its index, not walked (see
    :func:`~coursekit.seeding.index.indexed_tree`), unless ``walk``."""
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    content = Content(listings=[])
    merged: dict[str, ContentFile] = {}
    parts = [ENGINE_VERSION]
    layout = []
    for source in module.content:
        target = PurePosixPath(".") if source.target in ("", ".") else safe_relative(source.target)
        layout.append([source.kind, source.location, source.ref, target.as_posix(), source.exclude])
        try:
            root, note = _root_of(source, module, cache)
        except (fetch_git.FetchFailed, fetch_archive.DownloadFailed) as err:
            content.complete = content.reached = False
            content.listings = None
            content.errors.append(
                {
                    "path": source.target,
                    "code": "source-unreachable",
                    "message": f"{source.kind} source {source.location}: {err}",
                }
            )
            continue
        if note:
            content.listings = None
            content.errors.append(
                {"path": source.target, "code": "source-unreachable", "message": note}
            )
            content.complete = False
        # Several sources are merged into one mapping, which reads every entry.
        whole = len(module.content) > 1
        tree = None if walk or source.kind != "directory" else indexed_tree(root)
        try:
            chosen = _placed(tree, target, source.exclude, whole) if tree is not None else None
        except IndexUnusable:  # found while reading every entry: walk instead
            tree = chosen = None
        if tree is None:
            tree = hash_tree(root)
            chosen = _placed(tree, target, source.exclude, whole)
        prefix = "" if target == PurePosixPath(".") else f"{target.as_posix()}/"
        if tree.index is None or not tree.index.comparable() or content.listings is None:
            content.listings = None
        else:
            content.listings.append(SourceListing(prefix, tree.index))
        if len(module.content) == 1:
            content.files = chosen  # as listed: its files are built only when asked for
        else:
            # Later sources win where two give the same path, as the manifest's order says.
            merged.update(chosen)
            content.files = merged
        if tree.index_digest is not None and not source.exclude:
            # The index's digest already stands for this very listing: no need to build
            # and hash another of 2,000 entries.
            parts.append(["index", prefix, tree.index_digest])
        else:
            parts.append(sorted((p, f.sha256, f.size, f.executable) for p, f in chosen.items()))
    content.digest = hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()
    content.layout = hashlib.sha256(json.dumps(layout).encode()).hexdigest()
    return content


def _placed(
    tree: Tree, target: PurePosixPath, exclude: tuple[str, ...], whole: bool
) -> Mapping[str, ContentFile]:
    """The tree's files by their path in the module, without those excluded; read in
    full when ``whole``, else, where nothing is renamed or left out, as listed (an entry
    is read when asked for)."""
    prefix = "" if target == PurePosixPath(".") else f"{target.as_posix()}/"
    # No name here starts with coursekit's own folder: a walk skips it, an index that
    # names it is not used, and a target naming it was refused above.
    if not prefix and not exclude:
        return dict(tree.files) if whole else tree.files
    return {
        f"{prefix}{rel}": file for rel, file in tree.files.items() if not excluded(rel, exclude)
    }


def indexed_fingerprint(module: Module) -> str | None:
    """A fingerprint of the module's content from a stat of each source's index, or None
    unless every source is a local directory with an index.

    The index is written as the last step of an image build (``jupyter coursekit index``),
    so an unchanged index file means unchanged content: a student's no-op start then reads
    a constant number of small files, however large the course. Content edited after its
    index was written is not noticed on this path; rebuild the index after changing it.
    """
    parts: list = [ENGINE_VERSION]
    for source in module.content:
        if source.kind != "directory":
            return None
        try:
            info = os.stat(Path(source.location) / INDEX_NAME)
        except OSError:
            return None
        parts.append(
            [
                source.location,
                source.target,
                list(source.exclude),
                info.st_size,
                info.st_mtime_ns,
                info.st_ino,
            ]
        )
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
