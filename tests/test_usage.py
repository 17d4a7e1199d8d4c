"""My usage: the home's disk use against its real quota (coursekit/usage.py)."""

from __future__ import annotations

import json
import os

from coursekit.usage import DiskUsage, allocated_bytes, mount_type


def mounts_file(tmp_path, home, fs_type, point=None):
    path = tmp_path / "mounts"
    path.write_text(
        "overlay / overlay rw 0 0\n"
        f"server:/export {point or os.path.realpath(home)} {fs_type} rw 0 0\n"
    )
    return str(path)


def make_home(tmp_path):
    home = tmp_path / "home"
    (home / "TM351-25J").mkdir(parents=True)
    (home / "TM351-25J" / "data.bin").write_bytes(b"x" * 100_000)
    return home


def test_a_shared_nfs_home_has_no_quota_rather_than_the_whole_disk(tmp_path):
    home = make_home(tmp_path)
    usage = DiskUsage(home, mounts=mounts_file(tmp_path, home, "nfs4")).measure()
    assert usage["quota"] is None
    assert "nfs4" in usage["reason"]
    assert usage["used"] >= 100_000  # the home's own blocks, walked


def test_an_nfs_subfolder_is_not_the_students_volume_either(tmp_path):
    home = make_home(tmp_path)
    usage = DiskUsage(
        home, mounts=mounts_file(tmp_path, home, "ext4", point=str(tmp_path))
    ).measure()
    assert usage["quota"] is None  # the mount is above the home: a shared disk


def test_a_volume_of_its_own_reports_its_size_as_the_quota(tmp_path):
    home = make_home(tmp_path)
    usage = DiskUsage(home, mounts=mounts_file(tmp_path, home, "ext4")).measure()
    stats = os.statvfs(home)
    assert usage["quota"] == stats.f_blocks * stats.f_frsize
    assert usage["source"] == "filesystem"


def test_a_configured_quota_wins(tmp_path):
    home = make_home(tmp_path)
    usage = DiskUsage(
        home, quota_bytes=5 << 30, mounts=mounts_file(tmp_path, home, "nfs")
    ).measure()
    assert usage["quota"] == 5 << 30
    assert usage["source"] == "configured"


def test_the_walk_is_cached_for_a_minute(tmp_path):
    home = make_home(tmp_path)
    now = [0.0]
    usage = DiskUsage(home, mounts=mounts_file(tmp_path, home, "nfs"), clock=lambda: now[0])
    first = usage.measure()["used"]
    (home / "more.bin").write_bytes(b"y" * 200_000)
    assert usage.measure()["used"] == first
    now[0] = 61.0
    assert usage.measure()["used"] > first


def test_links_are_not_followed(tmp_path):
    home = make_home(tmp_path)
    (home / "link").symlink_to(home / "TM351-25J", target_is_directory=True)
    assert allocated_bytes(home) < 2 * allocated_bytes(home / "TM351-25J") + 8192


def test_mount_type_finds_the_deepest_mount(tmp_path):
    home = make_home(tmp_path)
    path = tmp_path / "mounts"
    path.write_text(f"a / overlay rw 0 0\nb {tmp_path} xfs rw 0 0\n")
    assert mount_type(home, str(path)) == ("xfs", False)


async def test_the_route_answers_and_is_not_activity(jp_serverapp, jp_fetch):
    before = jp_serverapp.web_app.last_activity()
    usage = json.loads((await jp_fetch("coursekit", "api", "usage", "disk")).body)
    assert usage["path"] == str(jp_serverapp.root_dir) or usage["path"].endswith(
        jp_serverapp.root_dir
    )
    assert usage["used"] >= 0
    assert jp_serverapp.web_app.last_activity() == before
