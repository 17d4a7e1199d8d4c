"""My usage: the disk the student's home uses against its real quota.

Memory and CPU come from jupyter-resource-usage (its /api/metrics/v1 and its own
indicators); coursekit does not measure them again.

The quota must be the student's, never the whole shared disk. In order:

1. ``CourseKit.home_quota_bytes`` when the operator sets it (for instance the size of the
   student's volume claim);
2. the filesystem's own figures (``statvfs``) when the home is a mount point of its own on
   a filesystem whose figures are the home's: a per-student block volume (ext4, xfs,
   btrfs...) or CephFS, which reports a directory's quota as its size;
3. otherwise no quota: an NFS, SMB or overlay home reports the size of the whole export,
   which is not the student's (``quota`` is null and ``reason`` says why).

Used space is the filesystem's when its figures are the home's, else the sum of the
allocated blocks under the home, walked in an executor and cached briefly.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

# Filesystems whose statvfs figures describe the volume mounted at the home.
OWN_VOLUME_TYPES = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "ceph", "f2fs"})


def mount_type(path: Path, mounts: str = "/proc/self/mounts") -> tuple[str | None, bool]:
    """(filesystem type of the mount holding ``path``, whether ``path`` is that mount point)."""
    target = os.path.realpath(path)
    best, best_type = "", None
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return None, False
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(
            best
        ):
            best, best_type = point, fields[2]
    return best_type, best == target


def allocated_bytes(root: Path) -> int:
    """What ``du`` says: allocated blocks under ``root``, links not followed."""
    total = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        for name in names + dirs:
            try:
                info = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            total += info.st_blocks * 512
    return total


class DiskUsage:
    """The home's disk usage and quota, as the usage route answers it."""

    def __init__(
        self,
        home: Path,
        quota_bytes: int = 0,
        mounts: str = "/proc/self/mounts",
        clock: Callable[[], float] = time.monotonic,
        cache_seconds: float = 60.0,
    ) -> None:
        self.home = Path(home)
        self.quota_bytes = quota_bytes
        self.mounts = mounts
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, dict] | None = None

    def measure(self) -> dict:
        """Blocking (it may walk the home): call it in an executor."""
        now = self.clock()
        if self._cached and now - self._cached[0] < self.cache_seconds:
            return self._cached[1]
        fs_type, own_mount = mount_type(self.home, self.mounts)
        own_volume = own_mount and fs_type in OWN_VOLUME_TYPES
        result: dict = {"path": str(self.home), "filesystem": fs_type}
        if own_volume:
            stats = os.statvfs(self.home)
            size = stats.f_blocks * stats.f_frsize
            result["used"] = size - stats.f_bfree * stats.f_frsize
            result["quota"] = self.quota_bytes or size
            result["source"] = "configured" if self.quota_bytes else "filesystem"
        else:
            result["used"] = allocated_bytes(self.home)
            if self.quota_bytes:
                result["quota"], result["source"] = self.quota_bytes, "configured"
            else:
                result["quota"], result["source"] = None, None
                result["reason"] = (
                    f"your home is on a shared {fs_type or 'unknown'} filesystem that does not "
                    "report a quota of its own"
                )
        self._cached = (now, result)
        return result
