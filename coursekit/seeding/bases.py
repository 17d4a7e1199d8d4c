"""Merge bases: the notebooks a student was given, kept for three-way merges.

A base is needed only when the course and the student both change a notebook, long after
the seed that gave it, when the image no longer holds that version. Each seed appends the
bases it gives to one *pack*, ``bases/<name>.pack``, beside a small ``<name>.idx`` (JSON:
sha256 -> [offset, size]). One file per seed instead of one per notebook: a first seed of
600 notebooks creates two files, not 600, and the kernel copies each notebook into the pack
from the descriptor the seed already has open to copy it into the module.

Packs are not compressed (notebook outputs are mostly base64 images, which do not shrink,
and compressing cost a first seed more than copying the course) nor fsynced: every read is
checked against its sha256, and a base that fails the check is treated as missing, so that
notebook gets the course's copy beside the student's instead of a merge. Nothing is lost.

A pack is visible only once its index is in place (the index is renamed in last). Pruning
drops packs no longer named by the record and rewrites those that are mostly dead, or
gathers all but the largest into one when a module has collected many.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from .atomic import kernel_copy

PACK, INDEX = ".pack", ".idx"
MAX_PACKS = 8
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


class MergeBases:
    def __init__(self, folder: Path, tmp: Path) -> None:
        self.folder = Path(folder)
        self.tmp = Path(tmp)
        self._writer: _PackWriter | None = None  # the bases added since the last flush
        self._index: dict[str, tuple[str, int, int]] | None = None  # sha -> pack, offset, size
        self._added: set[str] = set()  # by this store, flushed or not

    # -- reading -------------------------------------------------------------------------

    def _packs(self) -> dict[str, dict[str, list[int]]]:
        """Every complete pack: name -> its index."""
        packs = {}
        for entry in os.scandir(self.folder):
            if not entry.name.endswith(INDEX):
                continue
            try:
                with open(entry.path, encoding="utf-8") as stream:
                    packs[entry.name[: -len(INDEX)]] = json.load(stream)
            except (OSError, ValueError):
                continue  # a damaged index: its bases are missing, merges fall back
        return packs

    def _loaded(self) -> dict[str, tuple[str, int, int]]:
        if self._index is None:
            self._index = {
                sha: (name, offset, size)
                for name, entries in self._packs().items()
                for sha, (offset, size) in entries.items()
            }
        return self._index

    def read(self, sha: str) -> bytes | None:
        """The base with this sha256, or None when it is missing or damaged."""
        found = self._loaded().get(sha)
        try:
            if found is None:
                data = self._read_loose(sha)
            else:
                name, offset, size = found
                with open(self.folder / f"{name}{PACK}", "rb") as stream:
                    stream.seek(offset)
                    data = stream.read(size)
        except (OSError, EOFError, gzip.BadGzipFile):
            return None
        return data if hashlib.sha256(data).hexdigest() == sha else None

    def _read_loose(self, sha: str) -> bytes:
        """A base kept as ``bases/<sha[:2]>/<sha>.gz`` by coursekit before packs."""
        return gzip.decompress((self.folder / sha[:2] / f"{sha}.gz").read_bytes())

    # -- writing -------------------------------------------------------------------------

    def add(self, sha: str, source: Path | str) -> None:
        """Keep ``source`` (whose content has this sha256) as a base from the next flush."""
        if not self._wanted(sha):
            return
        fd = os.open(source, os.O_RDONLY)
        try:
            self.add_open(sha, fd)
        finally:
            os.close(fd)

    def add_open(self, sha: str, fd: int) -> None:
        """:meth:`add` from an open descriptor of the file, read from its start; its
        position is left alone."""
        if self._wanted(sha):
            if self._writer is None:
                self._writer = _PackWriter(self.tmp)
            self._writer.append(sha, fd, 0)
            self._added.add(sha)

    def _wanted(self, sha: str) -> bool:
        # The packs' indexes are not read for this (that was a parse of every pack's index
        # at each update), only used once a merge or a prune has read them. So a version
        # the packs already hold (one the course brought back) may be written again; the
        # next prune, which gathers packs, keeps one copy.
        if sha in self._added or (self._index is not None and sha in self._index):
            return False
        return self._writer is None or sha not in self._writer

    def flush(self) -> None:
        """Put the pack of the bases added since the last flush in place."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        name, entries = writer.finish(self.folder)
        if self._index is not None:  # else read with the new pack when first needed
            for sha, (offset, size) in entries.items():
                self._index[sha] = (name, offset, size)

    def discard(self) -> None:
        """Close the pack being written without putting it in place (``tmp/`` is cleared
        by the next seed); the bases in it were never named by a saved record."""
        if self._writer is not None:
            os.close(self._writer.fd)
            self._added.difference_update(self._writer.entries)
            self._writer = None

    # -- pruning -------------------------------------------------------------------------

    def too_many_packs(self) -> bool:
        self.flush()
        with os.scandir(self.folder) as entries:
            return sum(entry.name.endswith(INDEX) for entry in entries) > MAX_PACKS

    def prune(self, keep: set[str]) -> None:
        """Drop bases the record no longer names; rewrite packs that are mostly dead."""
        self.flush()
        packs = self._packs()
        alive = {
            name: {sha: e for sha, e in entries.items() if sha in keep}
            for name, entries in packs.items()
        }
        live_bytes = {name: sum(s for _, s in live.values()) for name, live in alive.items()}
        # Too many packs: the small ones (one per update) are gathered, not the largest
        # (usually the first seed's, most of the bytes), which would be copied every time.
        largest = max(live_bytes, key=live_bytes.__getitem__, default=None)
        rewrite: dict[str, dict[str, list[int]]] = {}
        for name, live in alive.items():
            if not live:
                self._drop(name)
            elif (len(packs) > MAX_PACKS and name != largest) or 2 * live_bytes[name] < _size(
                self.folder / f"{name}{PACK}"
            ):
                rewrite[name] = live
        if len(rewrite) > 1 or any(len(packs[n]) != len(live) for n, live in rewrite.items()):
            writer = _PackWriter(self.tmp)
            for name, live in rewrite.items():
                fd = os.open(self.folder / f"{name}{PACK}", os.O_RDONLY)
                try:
                    for sha, (offset, size) in live.items():
                        if sha not in writer:
                            writer.append(sha, fd, offset, size)
                finally:
                    os.close(fd)
            writer.finish(self.folder)
            for name in rewrite:
                self._drop(name)
        self._prune_loose(keep)
        self._remove_strays()
        self._index = None
        self._added &= keep

    def _drop(self, name: str) -> None:
        for suffix in (INDEX, PACK):  # the index first: a pack without one is a stray
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.folder / f"{name}{suffix}")

    def _remove_strays(self) -> None:
        """Packs whose index never arrived (a seed killed while writing them)."""
        names = {e.name for e in os.scandir(self.folder)}
        for file in names:
            if file.endswith(PACK) and f"{file[: -len(PACK)]}{INDEX}" not in names:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.folder / file)

    def _prune_loose(self, keep: set[str]) -> None:
        for folder in list(os.scandir(self.folder)):
            if not folder.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(folder.path):
                if entry.name.removesuffix(".gz") not in keep:
                    os.unlink(entry.path)
            if not any(os.scandir(folder.path)):
                shutil.rmtree(folder.path, ignore_errors=True)


class _PackWriter:
    """One pack being written in ``tmp``, invisible until :meth:`finish`."""

    def __init__(self, tmp: Path) -> None:
        self.name = f"{os.getpid()}-{secrets.token_hex(6)}"
        self.tmp = Path(tmp)
        self.entries: dict[str, list[int]] = {}
        self.fd = os.open(self.tmp / f"{self.name}{PACK}", _CREATE, 0o600)
        self.at = 0

    def __contains__(self, sha: str) -> bool:
        return sha in self.entries

    def append(self, sha: str, fd: int, offset: int, size: int | None = None) -> None:
        """Append ``fd`` from ``offset`` (all of it, or ``size`` bytes of an older pack;
        a pack cut short loses that base, and its merges fall back)."""
        if size is None:
            kernel_copy(fd, self.fd, offset)
        else:
            data = os.pread(fd, size, offset)
            if len(data) != size:
                return
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]
        end = os.lseek(self.fd, 0, os.SEEK_CUR)
        self.entries[sha] = [self.at, end - self.at]
        self.at = end

    def finish(self, folder: Path) -> tuple[str, dict[str, list[int]]]:
        """Move the pack, then its index, into ``folder``; returns the name and index."""
        os.close(self.fd)
        index_tmp = self.tmp / f"{self.name}{INDEX}"
        index_tmp.write_text(json.dumps(self.entries, separators=(",", ":")), encoding="utf-8")
        os.rename(self.tmp / f"{self.name}{PACK}", folder / f"{self.name}{PACK}")
        os.rename(index_tmp, folder / f"{self.name}{INDEX}")
        return self.name, self.entries


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
