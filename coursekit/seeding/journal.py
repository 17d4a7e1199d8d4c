"""The record's journal: what changed in the record since ``record.json`` was last written.

An update of 20 files in a 2,000-file module used to rewrite (and fsync) the whole record;
most of its time went on encoding, writing and parsing entries that had not changed. Now a
save appends one line per changed path to ``record.journal`` and fsyncs that, and the whole
record is rewritten only when the journal has grown to a good part of it.

The journal's first line names the ``record.json`` it follows (``{"base": "<id>"}``). A
rewrite gives the record a new id before it deletes the journal, so a journal left by a
seed killed in between names an older record, whose changes the new one already holds:
it is ignored. A line counts only whole (ended by its newline) and well formed; reading
stops at the first that is not, as at a torn append, and the next save rewrites the record.
An entry lost that way only makes the record older than the home, which the seed already
handles without losing a byte (files are adopted by hash, or kept as the student's).

Lines: ``[path, sha256, size, mtime_ns, ctime_ns]`` (given), ``[path]`` (no longer given).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import atomic


@dataclass
class Journal:
    entries: list[list]
    # False when the file had a torn or damaged line (its entries end before it), or
    # follows another record: it must not be appended to, and the record is rewritten.
    intact: bool


def read_journal(path: Path, base_id: str) -> Journal:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Journal([], True)
    except OSError:
        return Journal([], False)
    *lines, tail = data.split(b"\n")
    try:
        header = json.loads(lines[0]) if lines else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("base") != base_id:
        return Journal([], not data)
    try:
        # One parse for every line: as fast per entry as the record itself.
        entries = json.loads(b"[" + b",".join(lines[1:]) + b"]")
    except ValueError:
        entries = _whole_lines(lines[1:])
        return Journal(_valid_prefix(entries), False)
    valid = _valid_prefix(entries)
    return Journal(valid, not tail and len(valid) == len(entries))


def _whole_lines(lines: list[bytes]) -> list:
    """The lines up to the first one that does not parse."""
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            break
    return parsed


def _valid_prefix(entries: list) -> list[list]:
    for n, entry in enumerate(entries):
        if not (
            isinstance(entry, list)
            and len(entry) in (1, 5)
            and isinstance(entry[0], str)
            and (len(entry) == 1 or isinstance(entry[1], str))
            and all(value is None or type(value) is int for value in entry[2:])
        ):
            return entries[:n]
    return entries


def append_journal(path: Path, base_id: str, entries: list[list]) -> None:
    """Append ``entries`` and fsync; the journal is created, with its header, if missing.
    Never through a link put in its place (the bookkeeping folder is in the student's home)."""
    atomic.fault_point(str(path))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        lines = [json.dumps(entry, separators=(",", ":")) for entry in entries]
        if os.fstat(fd).st_size == 0:
            lines.insert(0, json.dumps({"base": base_id}))
        view = memoryview("".join(f"{line}\n" for line in lines).encode())
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
