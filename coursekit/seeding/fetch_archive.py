"""Archive content sources (.tar.gz, .tgz, .zip; a path or an https URL), unpacked safely
into the cache once per archive.

An archive comes from outside the image's review, so every member is checked before
anything is written: no absolute names, no '..', no links that lead outside, no devices.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import threading
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from filelock import FileLock

from .errors import SourceMissing, UnsafeContent

_downloaded: dict[str, Path] = {}
_lock = threading.Lock()


class DownloadFailed(Exception):
    """An archive URL that could not be fetched."""


def _suffix(location: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".zip"):
        if location.lower().split("?")[0].endswith(suffix):
            return suffix
    return ".tar.gz"


def local_archive(location: str, cache_dir: Path) -> tuple[Path, str | None]:
    """The archive as a local file: the path itself, or a download cached once per process.

    Returns the file and, when a download failed but an earlier one is cached, a message.
    """
    if not location.startswith(("https://", "http://")):
        path = Path(location)
        if not path.is_file():
            raise SourceMissing(f"the archive '{location}' does not exist")
        return path, None
    with _lock:
        if location in _downloaded and _downloaded[location].is_file():
            return _downloaded[location], None
    name = hashlib.sha256(location.encode()).hexdigest()[:16] + _suffix(location)
    target = Path(cache_dir) / "downloads" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with (
                urllib.request.urlopen(location, timeout=60) as response,
                os.fdopen(fd, "wb") as out,
            ):
                shutil.copyfileobj(response, out, 1 << 20)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, ValueError) as err:
        if target.is_file():
            return target, f"cannot download {location} ({err}); using the copy downloaded earlier"
        raise DownloadFailed(f"cannot download {location}: {err}") from err
    with _lock:
        _downloaded[location] = target
    return target, None


def unpack(archive: Path, cache_dir: Path) -> Path:
    """Unpack ``archive`` into the cache (once per archive content) and return the tree."""
    with open(archive, "rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()[:24]
    dest = Path(cache_dir) / "archives" / digest
    done = dest / ".complete"
    if done.exists():
        return dest / "tree"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock", timeout=600):
        if done.exists():
            return dest / "tree"
        if dest.exists():
            shutil.rmtree(dest)  # an unpacking that was interrupted: our own cache, not a home
        tree = dest / "tree"
        tree.mkdir(parents=True)
        if archive.name.lower().endswith(".zip"):
            _unzip(archive, tree)
        else:
            _untar(archive, tree)
        done.touch()
    return tree


def _check_name(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith(("/", "\\")):
        raise UnsafeContent(
            f"the archive {archive.name} has a member '{name}' that would land outside its folder"
        )
    return path


def _check_link(member_dir: PurePosixPath, target: str, archive: Path, name: str) -> None:
    if target.startswith("/"):
        raise UnsafeContent(
            f"the archive {archive.name} has a link '{name}' to the absolute path '{target}'"
        )
    depth = 0
    for part in (*member_dir.parts, *PurePosixPath(target).parts):
        depth = depth - 1 if part == ".." else depth + (part != ".")
        if depth < 0:
            raise UnsafeContent(
                f"the archive {archive.name} has a link '{name}' that points outside it ('{target}')"
            )


def _untar(archive: Path, tree: Path) -> None:
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                path = _check_name(member.name, archive)
                if member.issym():
                    _check_link(path.parent, member.linkname, archive, member.name)
                elif member.islnk():
                    _check_link(PurePosixPath(), member.linkname, archive, member.name)
                elif not (member.isfile() or member.isdir()):
                    raise UnsafeContent(
                        f"the archive {archive.name} has a special file '{member.name}'"
                    )
            # The 'data' filter repeats these checks inside tarfile itself.
            tar.extractall(tree, members=members, filter="data")
    except tarfile.FilterError as err:
        raise UnsafeContent(f"the archive {archive.name} is unsafe: {err}") from err
    except (tarfile.TarError, EOFError) as err:
        raise UnsafeContent(
            f"the archive {archive.name} cannot be read: {err}", code="archive-invalid"
        ) from err


def _unzip(archive: Path, tree: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                path = _check_name(info.filename, archive)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    _check_link(path.parent, zf.read(info).decode(), archive, info.filename)
                    raise UnsafeContent(
                        f"the archive {archive.name} has a link '{info.filename}'; zip links are not supported"
                    )
            for info in zf.infolist():
                zf.extract(info, tree)
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    os.chmod(tree / info.filename, mode | 0o600)
    except zipfile.BadZipFile as err:
        raise UnsafeContent(
            f"the archive {archive.name} cannot be read: {err}", code="archive-invalid"
        ) from err
