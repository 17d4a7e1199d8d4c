"""A JSON object written for reading without parsing it: the content index's listing and
the record's entries.

One entry per line, ``"<path>":<value>``, lines sorted by their bytes and joined by ",\\n"
between ``{\\n`` and ``\\n}`` (``{}`` when empty). It is still one JSON document, which a
walk of every file parses at once. An update needs a handful of entries out of thousands,
and finds each by bisecting the bytes. Parsing two 2,000-entry documents faulted in 700
new pages, at 6-7 us a fault in a new process on a VM: the index, in the image, is mapped
with its pages populated at once; the record, in the student's home, is read whole (a
file there can be truncated under a mapping, and touching it then kills the process).

Names are written as UTF-8, so a line has a backslash only where a name needed escaping;
a listing with one anywhere is parsed in full instead (bisection compares bytes, and an
escape could be written more than one way).

A listing can also be cut into *segments*: runs of lines that end after a line whose path
hashes to a multiple of ``SEGMENT_EVERY`` (content-defined, so a file added or changed
changes only its own segment), each with a digest of its bytes. Eight lines on average: an
update of 20 files reads about 20 segments of the old listing and of the new, and the
header that lists them (250 for 2,000 files) is parsed whole. Two listings then differ
only in the segments whose digests differ (:func:`differing_lines`).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

SEGMENT_EVERY = 8
SEPARATOR = b",\n"
FILES_KEY = b',"files":'


def entry_key(rel: str) -> bytes:
    """How a path's line starts: the path as JSON, then ``:``."""
    try:
        return json.dumps(rel, ensure_ascii=False).encode() + b":"
    except UnicodeEncodeError:  # a name that is not UTF-8, kept by os.fsdecode as surrogates
        return json.dumps(rel).encode() + b":"


def encode(entries: dict[str, object], segmented: bool = False) -> tuple[bytes, list[list]]:
    """The listing of ``entries`` and, if ``segmented``, its segments: [start, end,
    digest] each, offsets into the listing."""
    if not entries:
        return b"{}", []
    keyed = sorted(zip(_keys(list(entries)), _values(list(entries.values())), strict=True))
    listing = b"{\n" + SEPARATOR.join(key + value for key, value in keyed) + b"\n}"
    if not segmented:
        return listing, []
    segments, start, offset = [], 2, 2
    for n, (key, value) in enumerate(keyed):
        offset += len(key) + len(value)
        if zlib.crc32(key) % SEGMENT_EVERY == 0 or n == len(keyed) - 1:
            digest = segment_digest(memoryview(listing)[start:offset])
            segments.append([start, offset, digest])
            start = offset + len(SEPARATOR)
        offset += len(SEPARATOR)
    return listing, segments


def _keys(rels: list[str]) -> list[bytes]:
    """:func:`entry_key` of each path, encoded in one call of json's C encoder (one call
    per path was most of the time a first seed took to write its record). Split where
    one string ends and the next begins: a quote inside a string is always escaped, so
    '","' is found only there."""
    try:
        joined = json.dumps(rels, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        return [entry_key(rel) for rel in rels]
    return [b'"' + name + b'":' for name in joined[2:-2].split(b'","')]


def _values(values: list) -> list[bytes]:
    """Each value as compact JSON, in one call. The values of a listing are lists of
    hashes and numbers, so '],[' is found between two of them and nowhere else; as every
    boundary is one, a value that held one too would make a piece more, and is told by
    the count."""
    if all(type(v) is list and v for v in values):
        joined = json.dumps(values, separators=(",", ":")).encode()
        pieces = joined[2:-2].split(b"],[")
        if len(pieces) == len(values):
            return [b"[" + piece + b"]" for piece in pieces]
    return [json.dumps(v, separators=(",", ":")).encode() for v in values]


def segment_digest(data: bytes | memoryview) -> str:
    """What tells one segment from another: 128 bits of its sha256 (the index's checksum,
    over everything, is what guards against damage)."""
    return hashlib.sha256(data).hexdigest()[:32]


def with_header(header: dict, files_listing: bytes) -> bytes:
    """A document of the header's keys and, last, "files" holding the listing: a reader
    finds the listing after the first ``FILES_KEY`` without parsing it (:func:`split_header`)."""
    head = json.dumps(header, separators=(",", ":"))[:-1].encode()
    return head + FILES_KEY + files_listing + b"}"


def split_header(data: bytes | mmap.mmap) -> tuple[dict, int] | None:
    """The keys before "files" of a document written by :func:`with_header`, and where its
    listing starts; None when there is no such key or header (ValueError when the header
    is not JSON)."""
    end = data.find(FILES_KEY)
    if end <= 0:
        return None
    header = json.loads(data[:end] + b"}")
    return (header, end + len(FILES_KEY)) if isinstance(header, dict) else None


def map_file(fd: int) -> mmap.mmap | bytes:
    """A file's bytes, mapped with its pages populated at once (an empty file cannot be
    mapped: its empty bytes then)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return b""
    return mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE | mmap.MAP_POPULATE, prot=mmap.PROT_READ)


@dataclass
class Listing:
    """A listing in ``buf[start:end]`` (``buf`` a mapped file or bytes), and its segments
    with offsets into the listing."""

    buf: mmap.mmap | bytes
    start: int
    end: int
    segments: list[list] = field(default_factory=list)

    def bisectable(self) -> bool:
        """Written one entry per line with no name escaped: entries can be found by bytes."""
        if self.end - self.start == 2:
            return self.buf[self.start : self.end] == b"{}"
        return (
            self.buf[self.start : self.start + 2] == b"{\n"
            and self.buf[self.end - 2 : self.end] == b"\n}"
            and self.buf.find(b"\\", self.start, self.end) < 0
        )

    def parsed(self) -> dict:
        return json.loads(self.buf[self.start : self.end])

    def count(self) -> int:
        """The number of entries of a bisectable listing."""
        if self.end - self.start == 2:
            return 0
        return self.buf.count(b"\n", self.start, self.end) - 1

    def find(self, key: bytes) -> bytes | None:
        """The value (JSON, without the separator) of the line that starts with ``key``."""
        if self.end - self.start == 2:
            return None
        buf, lo, hi = self.buf, self.start + 2, self.end - 2
        end = hi
        # lo is always a line's start; the first line not below key starts in [lo, hi].
        while lo < hi:
            mid = (lo + hi) // 2
            line_start = buf.rfind(b"\n", lo, mid) + 1 or lo
            line_end = buf.find(b"\n", line_start, end)
            line_end = end if line_end < 0 else line_end
            if buf[line_start : line_start + len(key)] < key:
                lo = min(line_end + 1, hi)
            else:
                hi = line_start
        # The first line not below key: one whose path is the key's starts with it, and no
        # other line does (a path's JSON ends at its first unescaped quote).
        if lo >= end or buf[lo : lo + len(key)] != key:
            return None
        line_end = buf.find(b"\n", lo, end)
        line_end = end if line_end < 0 else line_end
        value = buf[lo + len(key) : line_end]
        return value[:-1] if value.endswith(b",") else value

    def segment_lines(self, segment: list) -> list[bytes]:
        start, end = self.start + segment[0], self.start + segment[1]
        return self.buf[start:end].split(SEPARATOR)


class Segmented(Protocol):
    segments: list[list]

    def segment_lines(self, segment: list) -> list[bytes]: ...


@dataclass
class StoredSegments:
    """The segments of a listing kept in a file of the student's home, each read with
    ``pread`` when asked for and checked against its digest (never mapped: a file there
    can be truncated under a mapping, and reading it then kills the process). A segment
    that fails its check raises ValueError."""

    fd: int
    start: int  # where the listing starts in the file
    segments: list[list]

    def segment_lines(self, segment: list) -> list[bytes]:
        length = segment[1] - segment[0]
        data = os.pread(self.fd, length, self.start + segment[0]) if length > 0 else b""
        if len(data) != length or segment_digest(data) != segment[2]:
            raise ValueError("a stored listing segment does not match its digest")
        return data.split(SEPARATOR)


def tiles(segments: list[list], length: int) -> bool:
    """The segments cover a listing of ``length`` bytes end to end, as :func:`encode` cuts
    it: a line outside every segment would never be compared."""
    if length == 2:
        return not segments
    at = 2
    for start, end, _digest in segments:
        if start != at or end < start:
            return False
        at = end + len(SEPARATOR)
    return bool(segments) and at - len(SEPARATOR) == length - 2


def differing_lines(old: Segmented, new: Segmented) -> set[bytes]:
    """The lines in one listing and not the other, read only from the segments whose
    digests the other does not have (a line that moved to another segment is in both
    sets read, and cancels out)."""
    old_digests = {segment[2] for segment in old.segments}
    new_digests = {segment[2] for segment in new.segments}
    old_lines: set[bytes] = set()
    new_lines: set[bytes] = set()
    for segment in old.segments:
        if segment[2] not in new_digests:
            old_lines.update(old.segment_lines(segment))
    for segment in new.segments:
        if segment[2] not in old_digests:
            new_lines.update(new.segment_lines(segment))
    return old_lines.symmetric_difference(new_lines)


def keys_of(lines: Iterable[bytes]) -> list[str]:
    """The paths named by some lines of a listing."""
    lines = list(lines)
    if not lines:
        return []
    return list(json.loads(b"{" + b",".join(lines) + b"}"))
