"""The record's entries: what the student was given at each path, read from ``record.json``
a path at a time.

``record.json`` (layout 4) lists one entry per line, sorted (``listing.py``): an update looks
up the handful of paths the course changed by bisecting its bytes, where parsing all 2,000
entries and building an object for each was a good part of its time. Changes are kept in
memory over it; the whole is parsed only for what needs every entry (a plan of every file,
rewriting the record, pruning the merge bases).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass

from .listing import Listing, entry_key


@dataclass(slots=True)
class Given:
    """What the student was given at one path. ``size``/``mtime_ns``/``ctime_ns`` are None
    once the file on disk is known to differ from it (after a merge), so it is always hashed.

    ctime is in the check because mtime can lie: an editor or ``touch -r`` can restore it,
    and NFS clients may round it; ctime cannot be set by the student, so an edit that keeps
    size and mtime still leads to a hash."""

    sha256: str
    size: int | None
    mtime_ns: int | None
    ctime_ns: int | None = None

    def entry(self) -> list:
        """As stored, in the record and its journal."""
        return [self.sha256, self.size, self.mtime_ns, self.ctime_ns]

    def matches(self, info: os.stat_result) -> bool:
        return (
            stat.S_ISREG(info.st_mode)
            and self.size == info.st_size
            and self.mtime_ns == info.st_mtime_ns
            and self.ctime_ns == info.st_ctime_ns
        )


def given_from(entry: object) -> Given | None:
    """A stored entry as a Given, or None if it is not one (the record is in the student's
    home: an entry that is not well formed counts as not given, and nothing is lost)."""
    if (
        type(entry) is list
        and len(entry) == 4
        and type(entry[0]) is str
        and all(value is None or type(value) is int for value in entry[1:])
    ):
        return Given(*entry)
    return None


_DROPPED = None


class RecordEntries(MutableMapping[str, Given]):
    """path -> Given: the entries of a record.json listing, found one by one, with the
    changes made since it was read (a journal's, this seed's) held over them."""

    def __init__(self, base: Listing | None = None, parsed: dict[str, Given] | None = None):
        self._base = base
        self._changes: dict[str, Given | None] = {}  # None: no longer given
        self._read: dict[str, Given | None] = {}  # looked up in the base, as found there
        self._all = parsed if parsed is not None else ({} if base is None else None)

    @property
    def materialized(self) -> bool:
        """Every entry has been parsed (as every seed that looks at all files does)."""
        return self._all is not None

    def approximate_len(self) -> int:
        if self._all is not None:
            return len(self._all)
        return self._base.count() + len(self._changes)

    def replay(self, rel: str, given: Given | None) -> None:
        """A change read from the journal: held over the base, without looking it up."""
        if self._all is not None:
            if given is None:
                self._all.pop(rel, None)
            else:
                self._all[rel] = given
        else:
            self._changes[rel] = given

    def _everything(self) -> dict[str, Given]:
        if self._all is None:
            try:
                parsed = self._base.parsed()
                entries = {rel: given_from(e) for rel, e in parsed.items()}
            except (ValueError, AttributeError):
                entries = {}  # damaged: as on a first run, files are adopted by hash
            entries = {rel: g for rel, g in entries.items() if g is not None}
            for rel, given in self._changes.items():
                if given is None:
                    entries.pop(rel, None)
                else:
                    entries[rel] = given
            self._all = entries
            self._changes = {}
        return self._all

    def _lookup(self, rel: str) -> Given | None:
        if self._all is not None:
            return self._all.get(rel)
        if rel in self._changes:
            return self._changes[rel]
        if rel in self._read:  # a plan and its seed ask for a path several times
            return self._read[rel]
        value = self._base.find(entry_key(rel))
        given = None
        if value is not None:
            try:
                given = given_from(json.loads(value))
            except ValueError:
                given = None
        self._read[rel] = given
        return given

    def __getitem__(self, rel: str) -> Given:
        given = self._lookup(rel)
        if given is None:
            raise KeyError(rel)
        return given

    def get(self, rel: str, default: Given | None = None) -> Given | None:
        given = self._lookup(rel)
        return default if given is None else given

    def __contains__(self, rel: object) -> bool:
        return isinstance(rel, str) and self._lookup(rel) is not None

    def __setitem__(self, rel: str, given: Given) -> None:
        if self._all is not None:
            self._all[rel] = given
        else:
            self._changes[rel] = given

    def __delitem__(self, rel: str) -> None:
        if self._lookup(rel) is None:
            raise KeyError(rel)
        if self._all is not None:
            del self._all[rel]
        else:
            self._changes[rel] = _DROPPED

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())
