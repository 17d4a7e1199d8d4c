"""The module's memory of what it was given, in ``<module>/.coursekit/``.

- ``record.json``: path -> [sha256 given, size, mtime_ns, ctime_ns of the file as written]
  (a later size or mtime that differs means "look closer", never "the student changed it"
  on its own: only a different hash says that), and ``record.journal``, the changes since
  it was last written in full (``journal.py``).
- ``applied``: the digest of the content last applied in full, so a start with nothing new
  reads one small file instead of hashing the home; and the paths that seed left unlike
  the course (a file the student deleted or that stood in the way).
- ``listings/``: the content indexes (layout 3) of that content, by checksum: an update
  compares their segments with the image's to find what the course changed without
  parsing either (``changed_paths``).
- ``bases/``: the notebooks given, by sha256, in one pack per seed (``bases.py``): the
  base of a three-way merge. Pruned to the versions the record still names.
- ``pending.json``: the course versions a seed is about to write, by path, written before
  its first change to the module and dropped once the record is saved: a seed stopped in
  between leaves it, so the next knows those files as the course's, not as the student's
  edits, and does not trust the record to say what the module holds.
- ``report.json``, ``lock``, ``tmp/`` (temporary files, same filesystem as the module),
  ``removed/`` (files the course dropped), ``init/`` (markers of first-run steps).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .atomic import (
    BOOKKEEPING,
    hash_file,
    lstat_or_none,
    parents_are_real,
    safe_relative,
    write_bytes,
)
from .bases import MergeBases
from .errors import UnsafePath
from .index import ContentIndex, read_header
from .journal import append_journal, read_journal
from .listing import (
    Listing,
    StoredSegments,
    differing_lines,
    encode,
    keys_of,
    split_header,
    tiles,
    with_header,
)
from .record_entries import Given, RecordEntries, given_from

__all__ = ["Bookkeeping", "Given", "Record", "wants_base"]

RECORD_VERSION = 4
# The whole record is rewritten once its journal holds this share of its entries (or
# JOURNAL_MIN_ENTRIES, for a small module): reading a long journal would cost more than
# the rewrites it saved. Now that an update reads record.json a path at a time, the journal
# is most of what it reads: with 20 paths an update, the rewrites and the reads cost least
# in all at a journal of about 300 entries in a 2,000-file module (sqrt(2 n k R / J), with
# a rewrite costing R per entry and a journal read J per entry, measured about equal).
JOURNAL_SHARE = 0.125
JOURNAL_MIN_ENTRIES = 256
_CHECKSUM = re.compile(r"[0-9a-f]{64}")


class Bookkeeping:
    """The paths of the bookkeeping folder, created safely."""

    def __init__(self, module_dir: Path) -> None:
        self.module_dir = Path(module_dir)
        self.dir = self.module_dir / BOOKKEEPING
        self.tmp = self.dir / "tmp"
        self.bases = self.dir / "bases"
        self.init = self.dir / "init"
        self.removed = self.dir / "removed"
        self.record_path = self.dir / "record.json"
        self.journal_path = self.dir / "record.journal"
        self.applied_path = self.dir / "applied"
        self.report_path = self.dir / "report.json"
        self.pending_path = self.dir / "pending.json"
        self.lock_path = self.dir / "lock"
        self.listings = self.dir / "listings"
        self._bases: MergeBases | None = None

    def prepare(self) -> None:
        for folder in (self.dir, self.tmp, self.bases, self.init, self.listings):
            info = lstat_or_none(folder)
            if info is None:
                os.makedirs(folder, 0o700, exist_ok=True)
            elif not stat.S_ISDIR(info.st_mode):
                raise UnsafePath(
                    f"{folder} is not a folder (a link or a file); coursekit will not use it",
                    code="bookkeeping-blocked",
                )

    def clear_tmp(self) -> None:
        """Temporary files and staged folders left by a seed that was killed: never the
        student's data (nothing here was ever visible in the module)."""
        for entry in os.scandir(self.tmp):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)

    # -- applied digest ----------------------------------------------------------------

    def applied(self) -> dict:
        try:
            return json.loads(self.applied_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def set_applied(
        self,
        digest: str | None,
        bookkeeping_bytes: int = 0,
        quick: str | None = None,
        applied: AppliedListings | None = None,
    ) -> None:
        """Say what content was applied in full (``digest``; None: not all of it), and
        which save of the record that seed ended with (see :meth:`record_as_applied`);
        with ``applied``, keep its listings for the next seed to compare with."""
        data = {
            "digest": digest,
            "bookkeeping_bytes": bookkeeping_bytes,
            "quick": quick,
            "record": self._record_stamp(),
        }
        if digest is not None and applied is not None:
            data.update(
                listings=self._keep_listings(applied.listings),
                layout=applied.layout,
                unsettled=sorted(applied.unsettled),
            )
        else:
            self._keep_listings([])
        # Not fsynced: the record it names was, before. Lost to a power cut, the note left
        # behind names an earlier save of the record, so the next seed looks at everything.
        write_bytes(self.applied_path, json.dumps(data).encode(), self.tmp, 0o600, sync=False)

    def _keep_listings(self, listings: Sequence[tuple[str, object]]) -> list[str]:
        """Write each index (checksum, the file's bytes) not kept yet, drop those no
        longer wanted, and return the checksums. Unsynced: one lost or torn fails its
        checksum when read, and that seed compares everything instead."""
        wanted = [checksum for checksum, _ in listings]
        kept = {entry.name for entry in os.scandir(self.listings)}  # a real folder: prepare()
        for checksum, data in listings:
            if checksum not in kept:
                write_bytes(self.listings / checksum, data, self.tmp, 0o600, sync=False)
        for name in kept.difference(wanted):
            with contextlib.suppress(OSError):
                os.unlink(self.listings / name)
        return wanted

    def changed_paths(
        self, indexes: Sequence[tuple[str, ContentIndex]], layout: str, applied: dict
    ) -> set[str] | None:
        """The paths a seed must look at when the record is as applied (see
        :meth:`record_as_applied`): those whose entry in the image's indexes (prefix and
        index per source) differs from the indexes that seed applied, and those it left
        unlike the course. Any other course file is still what the record says the
        student was given, as the last seed left it. None when there is nothing
        trustworthy to compare with: then every file is looked at."""
        named, unsettled = applied.get("listings"), applied.get("unsettled")
        if (
            applied.get("layout") != layout
            or not isinstance(named, list)
            or len(named) != len(indexes)
            or not isinstance(unsettled, list)
        ):
            return None
        paths = {rel for rel in unsettled if isinstance(rel, str)}
        for (prefix, index), old_checksum in zip(indexes, named, strict=True):
            if index.checksum == old_checksum:
                continue
            if not isinstance(old_checksum, str) or not _CHECKSUM.fullmatch(old_checksum):
                return None  # the note is in the student's home: no path from it unchecked
            try:
                fd = os.open(self.listings / old_checksum, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                return None
            try:
                found = read_header(fd)
                if found is None or found[0].get("checksum") != old_checksum:
                    raise ValueError("not the index it is named for")
                header, start = found
                if not tiles(header["segments"], os.fstat(fd).st_size - 1 - start):
                    raise ValueError("its segments do not cover its listing")
                old = StoredSegments(fd, start, header["segments"])
                differ = keys_of(differing_lines(old, index.listing))
            except (OSError, ValueError):
                # Torn by a power cut, say (it is not fsynced): compare everything, and
                # write it again at the end of this seed.
                with contextlib.suppress(OSError):
                    os.unlink(self.listings / old_checksum)
                return None
            finally:
                os.close(fd)
            paths.update(f"{prefix}{rel}" for rel in differ)
        return paths

    def record_as_applied(self, applied: dict) -> bool:
        """True when the record is the one saved by the last seed that applied all of its
        content, untouched since: no seed was killed or stopped after it, and no restore
        changed it, and no write is pending. Then every path it names with a hash was given
        that version whole, and a course file whose hash is unchanged needs no look at the
        student's copy."""
        if applied.get("digest") is None or lstat_or_none(self.pending_path) is not None:
            return False  # the last seed stopped, maybe between a write and its record
        stamp = self._record_stamp()
        return stamp is not None and applied.get("record") == stamp

    def _record_stamp(self) -> list[int] | None:
        """The record as saved: its file's and its journal's size, mtime, ctime and inode
        (every save appends to the one or replaces the other)."""
        info = lstat_or_none(self.record_path)
        if info is None:
            return None
        return [*_file_stamp(info), *_file_stamp(lstat_or_none(self.journal_path))]

    # -- writes under way ---------------------------------------------------------------

    def set_pending(self, versions: dict[str, str]) -> None:
        """Say, before a seed's first change to the module, which course version (path ->
        sha256) each file it adds or updates will hold; a note left by a stopped seed is
        kept in it, since its files may not be in the record yet. Written even with no
        versions (a seed that only moves dropped files away): while it exists, the record
        is not "as applied", so a seed stopped before saving it is never trusted. Not
        fsynced, like the course files it speaks for."""
        data = json.dumps({**self._pending(), **versions}, separators=(",", ":")).encode()
        write_bytes(self.pending_path, data, self.tmp, 0o600, sync=False)

    def clear_pending(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.pending_path)

    def _pending(self) -> dict[str, str]:
        try:
            versions = json.loads(self.pending_path.read_bytes())
        except (OSError, ValueError):
            return {}  # none, or damaged: the plan still loses nothing, it only keeps more
        return versions if isinstance(versions, dict) else {}

    def recover_pending(self, record: Record) -> None:
        """After a seed stopped part-way: a file it wrote before its record was saved holds
        the course version it was meant to, so it is recorded as given. Without this, a
        course that went back to the version before would find it "changed by the student"
        and leave it. A file whose bytes are anything else is left for the plan to judge."""
        for rel, sha in self._pending().items():
            given = record.files.get(rel)
            if not isinstance(sha, str) or (given is not None and given.sha256 == sha):
                continue
            try:
                inside = safe_relative(rel)  # the note is in the student's home: check it
            except UnsafePath:
                continue
            path = self.module_dir / inside
            info = lstat_or_none(path)
            if info is None or not stat.S_ISREG(info.st_mode):
                continue
            if not parents_are_real(self.module_dir, inside):
                continue
            with contextlib.suppress(OSError):
                if hash_file(path) == sha:
                    record.give(rel, sha, info)

    def moved_away_by_us(self, rel: str, given: Given) -> bool:
        """True when a seed moved ``rel`` (the very file it gave: same size, mtime and
        content) to ``removed/`` but was killed before its record said so. Then the file
        is missing by our doing, not deleted by the student."""
        try:
            stamps = os.scandir(self.removed)
        except OSError:
            return False
        with stamps:
            for stamp in stamps:
                candidate = Path(stamp.path, rel)
                info = lstat_or_none(candidate)
                if info is None or (info.st_size, info.st_mtime_ns) != (
                    given.size,
                    given.mtime_ns,
                ):
                    continue
                try:
                    if hash_file(candidate) == given.sha256:
                        return True
                except OSError:
                    continue
        return False

    # -- bases ---------------------------------------------------------------------------

    @property
    def bases_store(self) -> MergeBases:
        if self._bases is None:
            self._bases = MergeBases(self.bases, self.tmp)
        return self._bases

    def store_base(self, sha: str, source: str | Path) -> None:
        """Keep ``source`` as a merge base; written at the next record save, before it."""
        self.bases_store.add(sha, source)

    def read_base(self, sha: str) -> bytes | None:
        return self.bases_store.read(sha)

    def prune_bases(self, keep: set[str]) -> None:
        self.bases_store.prune(keep)

    def close(self) -> None:
        """Let go of a pack of bases left unsaved by a seed that stopped on an error."""
        if self._bases is not None:
            self._bases.discard()


@dataclass
class AppliedListings:
    """What a complete seed applied, for the next one to compare with: each source's
    index (checksum, the file's bytes), where the sources are (``Content.layout``), and the
    paths left unlike the course."""

    listings: list[tuple[str, object]]
    layout: str
    unsettled: list[str]


_BISECTABLE_HEAD = b'{"version":4,'


def _entries_of(data: bytes) -> tuple[RecordEntries, object]:
    """The entries of a record.json, and its id. Layout 4 is read a path at a time; any
    other (or one with a name that needed escaping) is parsed in full."""
    found = split_header(data) if data.startswith(_BISECTABLE_HEAD) else None
    if found is not None and data.endswith(b"}"):
        header, start = found
        base = Listing(data, start, len(data) - 1)
        if base.bisectable():
            return RecordEntries(base), header.get("id")
    document = json.loads(data)
    entries = document["files"]
    if document.get("version") == 1:  # the first layout: a dict per file
        files = {
            rel: Given(e["sha256"], e.get("size"), e.get("mtime_ns"), e.get("ctime_ns"))
            for rel, e in entries.items()
        }
    else:
        files = {rel: given_from(e) for rel, e in entries.items()}
        if not all(files.values()):
            raise ValueError("an entry is not well formed")
    return RecordEntries(parsed=files), document.get("id")


def _file_stamp(info: os.stat_result | None) -> tuple[int, int, int, int]:
    if info is None:
        return (0, 0, 0, 0)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def wants_base(path: str | Path) -> bool:
    """Only notebooks keep a merge base: they are the only files merged (any other file
    changed by both sides gets the course's copy beside it), and compressing a base for
    every text file made a first seed many times slower than a copy."""
    return os.fspath(path).endswith(".ipynb")


class Record:
    """path -> :class:`Given`, loaded from ``record.json`` and its journal, saved to the
    journal (the changed paths only) or, when that has grown long, to ``record.json``."""

    def __init__(self, book: Bookkeeping, files: dict[str, Given] | None = None) -> None:
        self.book = book
        self.files = RecordEntries(parsed=dict(files or {}))
        self._changed: set[str] = set(self.files)
        self._base_id: str | None = None  # the id of record.json as loaded or last written
        self._journal_entries = 0
        self._journal_intact = False  # until read: it may follow another record
        self._older_layout = False  # written by an earlier coursekit: rewritten at the next save

    @classmethod
    def load(cls, book: Bookkeeping) -> Record:
        record = cls(book)
        try:
            data = book.record_path.read_bytes()
        except OSError:
            return record  # none yet, or unreadable: as on a first run
        try:
            files, base_id = _entries_of(data)
            record._older_layout = not data.startswith(_BISECTABLE_HEAD)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            # A damaged record: start again as if on first run; files equal to the course are
            # adopted by hash, anything else is treated as the student's (nothing is lost).
            return record
        record.files = files
        record._changed = set()
        if isinstance(base_id, str):  # a record from before the journal has none
            journal = read_journal(book.journal_path, base_id)
            for entry in journal.entries:
                files.replay(entry[0], Given(*entry[1:]) if len(entry) > 1 else None)
            record._base_id = base_id
            record._journal_entries = len(journal.entries)
            record._journal_intact = journal.intact
        return record

    def named_bases(self) -> set[str]:
        return {given.sha256 for given in self.files.values()}

    def save(self) -> None:
        # The bases first: the record never names a notebook whose base is still to come.
        self.book.bases_store.flush()
        long = self._journal_entries + len(self._changed) > max(
            JOURNAL_MIN_ENTRIES, JOURNAL_SHARE * self.files.approximate_len()
        )
        if self._base_id is None or not self._journal_intact or long or self._older_layout:
            self._rewrite()
        elif self._changed:
            entries = [
                [rel] if (given := self.files.get(rel)) is None else [rel, *given.entry()]
                for rel in self._changed
            ]
            self._journal_intact = False  # until the append is known whole
            append_journal(self.book.journal_path, self._base_id, entries)
            self._journal_intact = True
            self._journal_entries += len(entries)
        self._changed.clear()

    def _rewrite(self) -> None:
        """Write the whole record under a new id, then drop the journal: a journal left by
        a kill in between names the old id, so it is ignored (its changes are in here)."""
        base_id = os.urandom(8).hex()
        # A list per file, not a dict: json's C encoder and decoder handle it at a fraction
        # of the cost. One per line, sorted, "files" last: read a path at a time.
        body, _ = encode({rel: given.entry() for rel, given in self.files.items()})
        data = with_header({"version": RECORD_VERSION, "id": base_id}, body)
        write_bytes(self.book.record_path, data, self.book.tmp, 0o600)
        self._base_id = base_id
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.book.journal_path)
        self._journal_entries = 0
        self._journal_intact = True
        self._older_layout = False

    def give(self, rel: str, sha: str, info: os.stat_result | None) -> None:
        if info is None:
            self.files[rel] = Given(sha, None, None, None)
        else:
            self.files[rel] = Given(sha, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        self._changed.add(rel)

    def drop(self, rel: str) -> None:
        """The module no longer holds the course's ``rel`` (removed, released, gone)."""
        if self.files.pop(rel, None) is not None:
            self._changed.add(rel)
