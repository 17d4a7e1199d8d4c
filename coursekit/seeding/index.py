"""What the course provides: walking a content tree, hashing it, and the content index.

``jupyter coursekit index DIR`` writes ``DIR/.coursekit-index.json`` at image build time:
every file's sha256, size, mode and mtime, plus a digest of the whole list. With it, a
student's start reads the index instead of walking and hashing the content: a start with
nothing new stats one file, and an update lstats only the files it copies, each checked
against its entry.

The listing is written for reading without parsing (layout 3, see ``listing.py``): an
update finds a path by bisecting the mapped file, and what the course changed by comparing
the listing's segments with those of the index the home last applied
(``Bookkeeping.changed_paths``). The checksum covers the digest, the segments and the
listing. Without an index, the engine walks and hashes the content, which is slower but
just as correct, and so it does when a file it is about to copy no longer matches the index
(content changed after the index was written). Content added or changed after the index
without touching a file the seed copies goes unnoticed until the index is rebuilt, so
``jupyter coursekit index`` is the last step of an image build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import listing
from .atomic import BOOKKEEPING
from .errors import UnsafeContent

INDEX_NAME = ".coursekit-index.json"
INDEX_VERSION = 3
# Layout 2 wrote the listing on one line: still read, parsed in full.
READABLE_VERSIONS = (2, 3)
# Never course material: version control, our own index, a stray bookkeeping folder.
SKIPPED_NAMES = frozenset({".git", INDEX_NAME, BOOKKEEPING})


@dataclass(slots=True)
class ContentFile:
    """One file the course provides, relative to its source's root (posix)."""

    rel: str
    location: str  # a str, not a Path: building 2,000 Path objects was most of a no-op walk
    size: int
    mode: int
    mtime_ns: int
    sha256: str | None = None
    # True when taken from the index without a look at the file (see indexed_tree): the
    # seed checks such a file with an lstat before it copies it.
    listed: bool = False

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def executable(self) -> bool:
        return bool(self.mode & 0o111)


def walk_content(root: Path) -> dict[str, ContentFile]:
    """Every regular file under ``root`` by relative path, stat only (no reads).

    A symbolic link is followed only if it stays inside ``root``; one that points outside is
    refused, because copying it would hand a student whatever file the link names.
    """
    root = Path(root)
    real_root = root.resolve()
    found: dict[str, ContentFile] = {}
    stack = [(os.fspath(root), "", str(real_root))]
    visited = {str(real_root)}
    while stack:
        folder, prefix, real_folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name in SKIPPED_NAMES:
                    continue
                rel = f"{prefix}{entry.name}"
                if entry.is_symlink():
                    target = Path(entry.path).resolve()
                    if target != real_root and real_root not in target.parents:
                        raise UnsafeContent(
                            f"the course content has a link '{rel}' that points outside it "
                            f"(to {target}); coursekit refuses to copy it"
                        )
                    if not target.exists():
                        raise UnsafeContent(f"the course content has a broken link '{rel}'")
                if entry.is_dir():
                    real = (
                        os.path.realpath(entry.path)
                        if entry.is_symlink()
                        else os.path.join(real_folder, entry.name)
                    )
                    if real in visited:
                        continue  # a link back into the tree: its files are seeded once
                    visited.add(real)
                    stack.append((entry.path, f"{rel}/", real))
                elif entry.is_file():
                    info = entry.stat()
                    found[rel] = ContentFile(
                        rel, entry.path, info.st_size, info.st_mode, info.st_mtime_ns
                    )
    return found


_hash_cache: dict[tuple, str] = {}
_hash_lock = threading.Lock()


def content_hash(file: ContentFile) -> str:
    """sha256 of a content file, remembered for the life of the process (the server
    reseeds from the same image many times)."""
    key = (file.location, file.size, file.mtime_ns)
    with _hash_lock:
        known = _hash_cache.get(key)
    if known is None:
        with open(file.location, "rb") as stream:
            known = hashlib.file_digest(stream, "sha256").hexdigest()
        with _hash_lock:
            _hash_cache[key] = known
    return known


def files_digest(entries: dict[str, tuple[str, int, bool]]) -> str:
    """One sha256 for a set of files: (sha256, size, executable) by path, in a canonical form."""
    canonical = json.dumps(sorted((k, *v) for k, v in entries.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_index(content_dir: Path) -> Path:
    """Hash every file of a content folder and write ``.coursekit-index.json`` into it."""
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        from .errors import SourceMissing

        raise SourceMissing(f"'{content_dir}' is not a directory")
    files = walk_content(content_dir)
    entries = {}
    for rel, file in sorted(files.items()):
        entries[rel] = [content_hash(file), file.size, stat.S_IMODE(file.mode), file.mtime_ns]
    digest = files_digest({rel: (e[0], e[1], bool(e[2] & 0o111)) for rel, e in entries.items()})
    files_listing, segments = listing.encode(entries, segmented=True)
    checksum = _checksum(digest, segments, files_listing)
    # "files" last, so a reader can check the listing's bytes against the checksum without
    # rebuilding the canonical digest from 2,000 parsed entries (see read_index).
    header = {
        "version": INDEX_VERSION,
        "digest": digest,
        "checksum": checksum,
        "segments": segments,
    }
    data = listing.with_header(header, files_listing)
    target = content_dir / INDEX_NAME
    tmp = target.with_name(f".{INDEX_NAME}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target


class IndexUnusable(UnsafeContent):
    """The index names a path that is not plainly inside its folder, or an entry that is
    not of the layout this version writes: the content is walked instead."""

    code = "index-unusable"


@dataclass
class ContentIndex:
    """An intact index, written by :func:`build_index`: its listing (path -> [sha256, size,
    mode, mtime_ns]) and segments in the mapped file ``listing.buf``, the checksum over
    them, and the digest of its entries (:func:`files_digest`)."""

    listing: listing.Listing
    digest: str
    checksum: str
    version: int
    _files: Mapping[str, list] | None = field(default=None, repr=False)

    @property
    def files(self) -> Mapping[str, list]:
        if self._files is None:
            self._files = SortedListing(self.listing) if self.bisectable() else self._parsed()
        return self._files

    def bisectable(self) -> bool:
        return self.version >= 3 and self.listing.bisectable()

    def comparable(self) -> bool:
        """Its segments can be compared with another index's (see ``listing.py``)."""
        length = self.listing.end - self.listing.start
        return self.bisectable() and listing.tiles(self.listing.segments, length)

    def _parsed(self) -> dict[str, list]:
        try:
            files = self.listing.parsed()
        except ValueError:
            files = None
        if not isinstance(files, dict):
            raise IndexUnusable("the content index's listing is not an object")
        return checked_entries(files)

    def entries(self) -> dict[str, list]:
        """Every entry, parsed: for a walk that looks at all of them."""
        files = self.files
        return files.parsed() if isinstance(files, SortedListing) else files


def read_index(root: Path) -> ContentIndex | None:
    """The index of ``root`` if there is one and it is intact (its listing's bytes match
    the checksum written with them)."""
    try:
        fd = os.open(Path(root) / INDEX_NAME, os.O_RDONLY)
    except OSError:
        return None
    try:
        return read_index_file(fd)
    finally:
        os.close(fd)


def read_index_file(fd: int) -> ContentIndex | None:
    """An index from an open file, if intact. The file is mapped, not read: the checksum
    is taken over the mapping, and an update reads a few of its pages' lines."""
    try:
        data = listing.map_file(fd)
        found = listing.split_header(data)
        if found is None:
            return None
        header, start = found
        version = header.get("version")
        if version not in READABLE_VERSIONS or data[-1:] != b"}":
            return None
        checksum, digest = header.get("checksum"), header["digest"]
        segments = header.get("segments", [])
        if not isinstance(digest, str) or not _well_formed_segments(segments):
            return None
        listed = memoryview(data)[start:-1]
        if version < 3:  # the checksum covered the listing only
            found_checksum = hashlib.sha256(listed).hexdigest()
        else:
            found_checksum = _checksum(digest, segments, listed)
        if found_checksum != checksum:
            return None
        files = listing.Listing(data, start, len(data) - 1, segments)
        return ContentIndex(files, digest, checksum, version)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def read_header(fd: int, limit: int = 1 << 24) -> tuple[dict, int] | None:
    """An index file's header and where its listing starts, read without the listing."""
    data, size = b"", 1 << 15  # 250 segments for 2,000 files: 13 KB
    while True:
        data = os.pread(fd, size, 0)
        if data.find(listing.FILES_KEY) > 0:
            break
        if len(data) < size or size >= limit:
            return None
        size *= 4
    try:
        found = listing.split_header(data)
    except ValueError:
        return None
    if found is None or not _well_formed_segments(found[0].get("segments")):
        return None
    return found


def _checksum(digest: str, segments: list, files_listing: bytes | memoryview) -> str:
    """Over the whole statement: the digest, the segments and the listing's bytes."""
    checksum = hashlib.sha256(f"{digest}\n{json.dumps(segments, separators=(',', ':'))}\n".encode())
    checksum.update(files_listing)
    return checksum.hexdigest()


def _well_formed_segments(segments: object) -> bool:
    return isinstance(segments, list) and all(
        type(s) is list and len(s) == 3 and type(s[0]) is type(s[1]) is int and type(s[2]) is str
        for s in segments
    )


@dataclass
class Tree:
    """Every file of a content folder with its sha256, and, when the folder's index
    listed exactly these files as they are, that index's digest of them."""

    files: Mapping[str, ContentFile]
    index_digest: str | None
    index: ContentIndex | None = None  # the index the files were read from, if they were


def hash_tree(root: Path) -> Tree:
    """Every file of ``root`` with its sha256: from the index where the index still matches
    the file's size and mtime, by reading the file otherwise."""
    files = walk_content(root)
    index = read_index(root)
    try:
        listed = index.entries() if index else {}
    except IndexUnusable:
        index, listed = None, {}
    matched = 0
    for rel, file in files.items():
        known = listed.get(rel)
        if known is not None and known[1] == file.size and same_second(known[3], file.mtime_ns):
            file.sha256 = known[0]
            matched += 1
        else:
            file.sha256 = content_hash(file)
    exact = index is not None and matched == len(files) == len(listed)
    return Tree(files, index.digest if exact else None)


def indexed_tree(root: Path) -> Tree | None:
    """The files of ``root`` as its intact index lists them, without walking the folder.

    The index is the image build's statement of its content (``jupyter coursekit index``
    is its last step), as the no-op check already takes it to be. Files are marked
    ``listed``: before one is copied, :func:`stale` compares it with its entry, and a
    mismatch sends the seed back to a full walk. None when there is no intact index, or
    it names a path that is not plainly inside the folder (a listing read entry by entry
    raises :class:`IndexUnusable` when it comes to one, and the seed walks then).
    """
    index = read_index(root)
    if index is None:
        return None
    try:
        files = index.files
    except IndexUnusable:
        return None
    return Tree(ListedFiles(files, os.path.join(os.fspath(root), "")), index.digest, index)


def checked_entries(files: dict[str, list]) -> dict[str, list]:
    """``files``, if every path is plainly inside and every entry well formed."""
    if _not_plainly_inside("\n".join(files)):
        raise IndexUnusable("the content index names a path outside its folder")
    if not all(_well_formed(e) for e in files.values()):
        raise IndexUnusable("the content index has an entry of another layout")
    return files


def _well_formed(entry: object) -> bool:
    return type(entry) is list and len(entry) == 4 and type(entry[0]) is str


class SortedListing(Mapping[str, list]):
    """The entries of an index listing of layout 3, each found by bisecting the mapped
    bytes and parsed alone; parsed in full only when iterated (a walk of every file,
    which a first seed needs and an update does not)."""

    __slots__ = ("_listing", "_parsed", "_found")

    def __init__(self, found: listing.Listing) -> None:
        self._listing = found
        self._parsed: dict[str, list] | None = None
        self._found: dict[str, list | None] = {}

    def __getitem__(self, rel: str) -> list:
        entry = self._lookup(rel)
        if entry is None:
            raise KeyError(rel)
        return entry

    def __contains__(self, rel: object) -> bool:
        return isinstance(rel, str) and self._lookup(rel) is not None

    def _lookup(self, rel: str) -> list | None:
        if self._parsed is not None:
            return self._parsed.get(rel)
        if rel in self._found:  # a plan asks for a path two or three times
            return self._found[rel]
        value = self._listing.find(listing.entry_key(rel))
        entry = None
        if value is not None:
            try:
                entry = json.loads(value)
            except ValueError:
                entry = None
            if not _well_formed(entry) or _not_plainly_inside(rel):
                raise IndexUnusable(f"the content index's entry for '{rel}' cannot be used")
        self._found[rel] = entry
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self.parsed())

    def __len__(self) -> int:
        return self._listing.count() if self._parsed is None else len(self._parsed)

    def parsed(self) -> dict[str, list]:
        if self._parsed is None:
            try:
                parsed = self._listing.parsed()
            except ValueError:
                raise IndexUnusable("the content index's listing cannot be read") from None
            self._parsed = checked_entries(parsed)
        return self._parsed


class ListedFiles(Mapping[str, ContentFile]):
    """The files an intact index lists, each made a :class:`ContentFile` only when asked
    for: an update needs the handful the course changed, and building all 2,000 took a
    good part of its time."""

    __slots__ = ("_entries", "_base")

    def __init__(self, entries: Mapping[str, list], base: str) -> None:
        self._entries = entries
        self._base = base  # the folder, with its trailing "/": joined by +

    def __getitem__(self, rel: str) -> ContentFile:
        sha, size, mode, mtime_ns = self._entries[rel]
        return ContentFile(rel, self._base + rel, size, mode, mtime_ns, sha, True)

    def __contains__(self, rel: object) -> bool:
        return rel in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def sha256_of(self, rel: str) -> str:
        return self._entries[rel][0]


def sha256_of(files: Mapping[str, ContentFile], rel: str) -> str:
    """The course's hash of ``rel``, without building its ContentFile where it is listed."""
    return files.sha256_of(rel) if isinstance(files, ListedFiles) else files[rel].sha256


# Checked on all the index's paths at once, one per line: an absolute path, an empty part,
# "." or "..", or coursekit's own folder (which a walk skips). A name with a newline in it
# may look like one of these, and only costs a walk.
_NOT_PLAINLY_INSIDE = re.compile(
    rf"^/|//|/$|^$|(^|/)\.\.?(/|$)|(^|/){re.escape(BOOKKEEPING)}(/|$)", re.MULTILINE
)


def _not_plainly_inside(paths: str) -> bool:
    # Substring tests first: a course without dot-files never needs the slower regex.
    suspect = (
        paths[:1] in ("", "/", ".")
        or paths.endswith("/")
        or any(mark in paths for mark in ("\n/", "\n.", "/.", "//", "/\n", "\n\n"))
    )
    return suspect and _NOT_PLAINLY_INSIDE.search(paths) is not None


def stale(file: ContentFile) -> bool:
    """A ``listed`` file that is no longer what its index entry says: gone, not a regular
    file (a link put in its place), or of another size or mtime."""
    if not file.listed:
        return False
    try:
        info = os.lstat(file.location)
    except OSError:
        return True
    return (
        not stat.S_ISREG(info.st_mode)
        or info.st_size != file.size
        or not same_second(file.mtime_ns, info.st_mtime_ns)
    )


def same_second(indexed_ns: int, actual_ns: int) -> bool:
    """mtimes compared to the second. An image's layers are tar files whose mtimes Docker
    and containerd truncate to whole seconds, so content indexed during the build has
    lost its nanoseconds by the time a pulled image runs: compared to the nanosecond,
    every file would look changed and be hashed again at every update."""
    return indexed_ns // 1_000_000_000 == actual_ns // 1_000_000_000
