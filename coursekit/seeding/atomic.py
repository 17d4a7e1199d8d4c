"""Every write the engine makes to a student's home: inside the module, whole, or not at all.

A file is written to a temporary name in the module's bookkeeping folder (same filesystem),
then renamed over its target, so a reader (or a ``kill -9``) never sees half a file. Course
files are not fsynced: they hold no byte of the student's, and a course file damaged by a
power cut is either updated by the next seed or brought back by "Restore" (an fsync per
file made a first seed dozens of times slower than ``cp -a``, and a sync() per seed flushed
every filesystem of a node shared by many students). What carries the student's bytes (a
merged notebook replacing theirs) and the record are fsynced before they are renamed into
place. No path component below the module folder is followed if it is a symbolic link: a
student's link must never lead the seeder to write outside their home.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import os
import signal
import stat
import tempfile
from pathlib import Path, PurePosixPath

from .errors import UnsafePath

BOOKKEEPING = ".coursekit"
CHUNK = 1 << 20

# Fault injection for the crash tests: SIGKILL ourselves at the Nth write. Read once, so the
# cost in production is one integer comparison per write.
_KILL_AT = int(os.environ.get("COURSEKIT_FAULT_KILL_AT_WRITE", "0") or 0)
_writes = 0


def fault_point(what: str) -> None:
    """Called before every write and rename; tests replace it to raise ENOSPC at the Nth."""
    global _writes
    _writes += 1
    if _KILL_AT and _writes == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)


def safe_relative(rel: str) -> PurePosixPath:
    """A path relative to the module folder that cannot leave it, or :class:`UnsafePath`."""
    path = PurePosixPath(rel.replace("\\", "/"))
    if not rel or path.is_absolute() or ".." in path.parts or path == PurePosixPath("."):
        raise UnsafePath(f"'{rel}' is not a path inside the module folder")
    if path.parts[0] == BOOKKEEPING:
        raise UnsafePath(f"'{rel}' is inside coursekit's own bookkeeping folder")
    return path


def ensure_parents(root: Path, rel: PurePosixPath) -> Path:
    """Create the folders above ``rel`` inside ``root``; refuse a link or a file among them."""
    current = root
    for part in rel.parts[:-1]:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(current, 0o755)
            info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode):
            raise UnsafePath(
                f"'{current.relative_to(root).as_posix()}' is a symbolic link; "
                "coursekit does not write through links in your home",
                code="symlink-in-home",
            )
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafePath(
                f"'{current.relative_to(root).as_posix()}' is a file where the course has a folder",
                code="path-blocked",
            )
    return root / rel


def parents_are_real(root: Path, rel: PurePosixPath) -> bool:
    """True when every folder above ``rel`` exists and is a real folder (not a link)."""
    current = root
    for part in rel.parts[:-1]:
        current = current / part
        try:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                return False
        except FileNotFoundError:
            return False
    return True


def lstat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def hash_file(path: Path) -> str:
    """sha256 of a regular file, refusing to follow a link in its last component."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


_temp_names = itertools.count()
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _temp_in(tmp_dir: Path) -> tuple[int, str]:
    """A new file in the bookkeeping's private tmp folder (emptied under the module's
    lock before each seed): named by process and count, created exclusively. tempfile's
    random names cost a tenth of a millisecond each, a good part of writing a small file."""
    while True:
        path = os.path.join(tmp_dir, f"seed-{os.getpid()}-{next(_temp_names)}.tmp")
        try:
            return os.open(path, _TEMP_FLAGS, 0o600), path
        except FileExistsError:
            continue


def _replace(tmp: str, target: Path, replaced: list[str] | None = None) -> None:
    fault_point(str(target))
    if replaced is not None:
        _set_aside(target, tmp, replaced)
    try:
        os.replace(tmp, target)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
        # The module spans filesystems (a mount inside it): write beside the target instead.
        fd, beside = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with open(tmp, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(beside, os.stat(tmp).st_mode & 0o7777)
            os.replace(beside, target)
        except BaseException:
            _unlink_quietly(beside)
            raise
        os.unlink(tmp)


def _set_aside(target: Path, tmp: str, replaced: list[str]) -> None:
    """Give the version about to be replaced a second name in the tmp folder, so the
    rename that replaces it does not free its blocks. Freeing a file's blocks was a third
    of an update's time (about 0.25 ms a file on ext4, measured); :func:`release` does it once
    the seed has reported. A hard link, not a rename or an exchange: the path never goes
    missing, a folder cannot be linked (one in the way stays where it is), and whatever a
    killed seed leaves is a second name in tmp, which the next seed clears. Where no link
    can be made (another filesystem, none allowed), the rename frees the blocks itself."""
    aside = tmp[: -len(".tmp")] + ".replaced"
    try:
        os.link(target, aside, follow_symlinks=False)
    except OSError:
        return
    replaced.append(aside)
    fault_point(aside)


def release(paths: list[str]) -> None:
    """Drop the names :func:`_set_aside` gave the versions an update replaced."""
    for path in paths:
        _unlink_quietly(path)


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def copy_file(
    source: Path,
    root: Path,
    rel: PurePosixPath,
    mode: int,
    tmp_dir: Path,
    known_sha256: str | None = None,
    replaced: list[str] | None = None,
) -> tuple[str, os.stat_result]:
    """Copy ``source`` to ``root/rel`` atomically; returns the sha256 of what was written and
    the target's stat (the record keeps both, to tell a student's later change cheaply).

    With ``known_sha256`` (from the content index, or a hash taken while gathering), the
    kernel copies the bytes and nothing is hashed twice: this is most of a first seed.
    With ``replaced``, the version replaced is set aside there for :func:`release`.
    """
    target = ensure_parents(root, rel)
    fault_point(str(target))
    fd, tmp = _temp_in(tmp_dir)
    try:
        # Descriptors, not file objects: an update writes a few files, and building two
        # buffered objects per file (each with its own fstat) was a good part of its cost.
        src = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if known_sha256 is None:
                sha = _copy_hashing(src, fd)
            else:
                kernel_copy(src, fd)
                sha = known_sha256
        finally:
            os.close(src)
        os.fchmod(fd, mode)
        _replace(tmp, target, replaced)
        # The stat the record keeps is the file's once in place (a rename sets its ctime),
        # taken from the descriptor: no second walk of the path. (Not where the module
        # spans filesystems: _replace wrote another file there, and this one is gone.)
        info = os.fstat(fd)
        if info.st_nlink == 0:
            info = os.lstat(target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    finally:
        os.close(fd)
    return sha, info


def _copy_hashing(src: int, dst: int) -> str:
    digest = hashlib.sha256()
    while chunk := os.read(src, CHUNK):
        digest.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst, view) :]
    return digest.hexdigest()


def kernel_copy(src: int, dst: int, src_offset: int | None = None) -> None:
    """Copy a whole file between descriptors in the kernel (no bytes through Python).

    With ``src_offset``, ``src`` is read from there on without moving its position."""
    while True:
        try:
            sent = os.copy_file_range(src, dst, CHUNK * 8, src_offset)
        except OSError as err:
            # Not supported between these filesystems (or by this kernel): copy by hand
            # from where the kernel stopped.
            if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            break
        if sent == 0:
            return
        if src_offset is not None:
            src_offset += sent
    while True:
        if src_offset is None:
            chunk = os.read(src, CHUNK)
        else:
            chunk = os.pread(src, CHUNK, src_offset)
            src_offset += len(chunk)
        if not chunk:
            return
        view = memoryview(chunk)
        while view:  # a write may be short (a nearly full disk): the next one says why
            view = view[os.write(dst, view) :]


def write_bytes(
    target: Path, data: bytes, tmp_dir: Path, mode: int = 0o644, sync: bool = True
) -> os.stat_result:
    """Write ``data`` to ``target`` atomically (bookkeeping files, merged notebooks).

    ``sync=False`` for what can be rebuilt (a merge base, the last report)."""
    fault_point(str(target))
    fd, tmp = _temp_in(tmp_dir)
    try:
        with os.fdopen(fd, "wb") as dst:
            dst.write(data)
            dst.flush()
            os.fchmod(dst.fileno(), mode)
            if sync:
                os.fsync(dst.fileno())
        _replace(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return os.lstat(target)


def move_within(root: Path, rel_from: PurePosixPath, rel_to: PurePosixPath) -> None:
    """Rename a file to another place in the module; never over an existing file."""
    source = root / rel_from
    if not parents_are_real(root, rel_from):
        raise UnsafePath(f"'{rel_from}' is behind a symbolic link", code="symlink-in-home")
    target = ensure_parents(root, rel_to)
    if lstat_or_none(target) is not None:
        raise FileExistsError(errno.EEXIST, "will not overwrite", str(target))
    fault_point(str(target))
    os.rename(source, target)


def free_name(
    root: Path, rel: PurePosixPath, tag: str, taken: set[str] = frozenset()
) -> PurePosixPath:
    """``dir/name.<tag>.ext``, or ``dir/name.<tag>-2.ext`` and so on if that is taken."""
    name = rel.name
    stem, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    for n in range(1, 1000):
        suffix = tag if n == 1 else f"{tag}-{n}"
        candidate = rel.with_name(f"{stem}.{suffix}{dot}{ext}")
        if candidate.as_posix() not in taken and lstat_or_none(root / candidate) is None:
            return candidate
    raise FileExistsError(errno.EEXIST, "no free name beside", str(root / rel))


def tree_size(path: Path, skip: Path | None = None) -> int:
    """The space the files under ``path`` take, but for those under ``skip``."""
    total = 0
    for folder, dirs, files in os.walk(path):
        if skip is not None:
            dirs[:] = [d for d in dirs if os.path.join(folder, d) != os.fspath(skip)]
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
    return total
