"""Content from git repositories, archives and indexed folders."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from coursekit.errors import UnsafePath
from coursekit.manifest import ContentSource, Module
from coursekit.seeding import build_index, fetch_git, index, seed_module
from coursekit.seeding.errors import UnsafeContent


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def make_repo(path: Path) -> Path:
    """A course repository at ``path``: README v1 tagged v1, then v2 with extra.txt."""
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    (path / "README.md").write_text("v1\n")
    git("add", ".", cwd=path)
    git("commit", "-q", "-m", "v1", cwd=path)
    git("tag", "v1", cwd=path)
    (path / "README.md").write_text("v2\n")
    (path / "extra.txt").write_text("extra\n")
    git("add", ".", cwd=path)
    git("commit", "-q", "-m", "v2", cwd=path)
    return path


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture(autouse=True)
def fresh_process_cache():
    # Each test is a new "server start": remote sources are fetched again.
    fetch_git._fetched.clear()
    yield
    fetch_git._fetched.clear()


def module(*sources: ContentSource) -> Module:
    return Module("TM351", "25J", content=sources)


def test_git_source_at_the_default_branch(repo, tmp_path):
    report = seed_module(
        module(ContentSource("git", f"file://{repo}")), tmp_path / "m", cache_dir=tmp_path / "c"
    )
    assert sorted(report.added) == ["README.md", "extra.txt"]
    assert (tmp_path / "m" / "README.md").read_text() == "v2\n"
    assert not (tmp_path / "m" / ".git").exists()


@pytest.mark.parametrize("ref", ["v1", "commit"])
def test_git_source_at_a_tag_or_a_commit(repo, tmp_path, ref):
    if ref == "commit":
        ref = git("rev-parse", "v1", cwd=repo)
    seed_module(
        module(ContentSource("git", str(repo), ref=ref)), tmp_path / "m", cache_dir=tmp_path / "c"
    )
    assert (tmp_path / "m" / "README.md").read_text() == "v1\n"
    assert not (tmp_path / "m" / "extra.txt").exists()


def test_git_source_is_fetched_once_per_process(repo, tmp_path):
    source = ContentSource("git", f"file://{repo}", ref="main")
    seed_module(module(source), tmp_path / "a", cache_dir=tmp_path / "c")
    (repo / "README.md").write_text("v3\n")
    git("commit", "-qam", "v3", cwd=repo)
    seed_module(module(source), tmp_path / "b", cache_dir=tmp_path / "c")
    assert (tmp_path / "b" / "README.md").read_text() == "v2\n"  # the cached fetch
    fetch_git._fetched.clear()  # a new server start
    report = seed_module(module(source), tmp_path / "b", cache_dir=tmp_path / "c")
    assert report.updated == ["README.md"]


def test_unreachable_git_source_is_reported_never_fatal(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "a.txt").write_text("a")
    m = module(
        ContentSource("directory", str(local)),
        ContentSource("git", f"file://{tmp_path}/nowhere", target="extra"),
    )
    report = seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.added == ["a.txt"]
    assert [e["code"] for e in report.errors] == ["source-unreachable"]
    assert not report.noop and not seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c").noop


def test_unreachable_git_source_does_not_remove_its_files(repo, tmp_path):
    source = ContentSource("git", f"file://{repo}")
    seed_module(module(source), tmp_path / "m", cache_dir=tmp_path / "c")
    fetch_git._fetched.clear()
    os.rename(repo, tmp_path / "gone")
    report = seed_module(module(source), tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.removed == [] and (tmp_path / "m" / "README.md").exists()
    assert report.errors[0]["code"] == "source-unreachable"


def make_tar(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return path


def test_tar_gz_archive_source(tmp_path):
    archive = make_tar(tmp_path / "course.tar.gz", {"nb/a.txt": b"a", "b.txt": b"b"})
    report = seed_module(
        module(ContentSource("archive", str(archive), target="unit1")),
        tmp_path / "m",
        cache_dir=tmp_path / "c",
    )
    assert sorted(report.added) == ["unit1/b.txt", "unit1/nb/a.txt"]


def test_zip_archive_source(tmp_path):
    archive = tmp_path / "course.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("x/y.txt", "y")
    seed_module(
        module(ContentSource("archive", str(archive))), tmp_path / "m", cache_dir=tmp_path / "c"
    )
    assert (tmp_path / "m" / "x" / "y.txt").read_text() == "y"


@pytest.mark.parametrize(
    "members,links",
    [
        ({"../evil.txt": b"x"}, {}),
        ({"/abs.txt": b"x"}, {}),
        ({"ok.txt": b"x"}, {"link": "../../etc/passwd"}),
    ],
    ids=["dotdot", "absolute", "link-outside"],
)
def test_unsafe_archive_is_refused(tmp_path, members, links):
    archive = make_tar(tmp_path / "bad.tar.gz", members, links)
    with pytest.raises(UnsafePath) as caught:
        seed_module(
            module(ContentSource("archive", str(archive))), tmp_path / "m", cache_dir=tmp_path / "c"
        )
    assert caught.value.code == "unsafe-content"
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "m" / "ok.txt").exists()


def test_zip_with_dotdot_member_is_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../evil.txt", "x")
    with pytest.raises(UnsafePath):
        seed_module(
            module(ContentSource("archive", str(archive))), tmp_path / "m", cache_dir=tmp_path / "c"
        )


def test_index_makes_the_noop_read_no_content_file(tmp_path, monkeypatch):
    content = tmp_path / "content"
    content.mkdir()
    for n in range(50):
        (content / f"{n}.txt").write_text(str(n))
    written = build_index(content)
    sha, size, mode, _mtime = json.loads(written.read_text())["files"]["7.txt"]
    assert (len(sha), size) == (64, 1)
    assert mode == (content / "7.txt").stat().st_mode & 0o7777
    m = module(ContentSource("directory", str(content)))
    report = seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert ".coursekit-index.json" not in report.added and len(report.added) == 50
    index._hash_cache.clear()
    monkeypatch.setattr(index, "content_hash", lambda f: pytest.fail(f"hashed {f.rel}"))
    assert seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c").noop


def test_stale_index_is_detected_and_the_content_hashed(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text("one")
    build_index(content)
    (content / "a.txt").write_text("two, longer")  # changed after the index was built
    m = module(ContentSource("directory", str(content)))
    report = seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.added == ["a.txt"] and (tmp_path / "m" / "a.txt").read_text() == "two, longer"
    # The record names what was given, not what the stale index said.
    record = json.loads((tmp_path / "m" / ".coursekit" / "record.json").read_text())
    assert record["files"]["a.txt"][0] == hashlib.sha256(b"two, longer").hexdigest()
    assert seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c").noop


def test_an_indexed_update_walks_no_content_and_checks_what_it_copies(tmp_path, monkeypatch):
    content = tmp_path / "content"
    content.mkdir()
    for n in range(20):
        (content / f"{n}.txt").write_text(f"file {n}")
    build_index(content)
    m = module(ContentSource("directory", str(content)))
    seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    (content / "3.txt").write_text("file 3, fixed")
    build_index(content)
    checked: list[str] = []
    real_stale = index.stale
    with monkeypatch.context() as patched:
        patched.setattr(index, "walk_content", lambda root: pytest.fail("walked the content"))
        patched.setattr(
            "coursekit.seeding.engine.stale",
            lambda file: checked.append(file.rel) or real_stale(file),
        )
        report = seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.updated == ["3.txt"] and checked == ["3.txt"]
    assert (tmp_path / "m" / "3.txt").read_text() == "file 3, fixed"


def test_an_index_still_serves_once_the_image_layers_dropped_the_nanoseconds(tmp_path, monkeypatch):
    """Docker and containerd write layer mtimes to the second: indexed at build time, the
    content runs with its mtimes truncated. That must not cost a walk or a hash."""
    content = tmp_path / "content"
    content.mkdir()
    for n in range(10):
        (content / f"{n}.txt").write_text(f"file {n}")
        os.utime(content / f"{n}.txt", ns=(1_700_000_000_123_456_789, 1_700_000_000_987_654_321))
    build_index(content)
    m = module(ContentSource("directory", str(content)))
    seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    (content / "3.txt").write_text("file 3, fixed")
    os.utime(content / "3.txt", ns=(1_700_000_100_555_000_000, 1_700_000_100_555_000_000))
    build_index(content)
    for n in range(10):  # as a pull of the image leaves them
        mtime = (content / f"{n}.txt").stat().st_mtime_ns
        os.utime(content / f"{n}.txt", ns=(mtime, mtime // 10**9 * 10**9))
    index._hash_cache.clear()
    with monkeypatch.context() as patched:
        patched.setattr(index, "walk_content", lambda root: pytest.fail("walked the content"))
        patched.setattr(index, "content_hash", lambda f: pytest.fail(f"hashed {f.rel}"))
        report = seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.updated == ["3.txt"] and report.errors == []
    assert index.hash_tree(content).index_digest is not None  # the walk agrees with it too


def test_a_link_put_in_place_of_an_indexed_file_is_refused(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text("one")
    build_index(content)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for students")
    (content / "a.txt").unlink()
    (content / "a.txt").symlink_to(secret)
    m = module(ContentSource("directory", str(content)))
    with pytest.raises(UnsafeContent, match="points outside"):
        seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert not (tmp_path / "m" / "a.txt").exists()


@pytest.mark.parametrize(
    "bad", ["../outside.txt", "/etc/hostname", "a/./b", "w//x", ".coursekit/record.json"]
)
def test_an_index_naming_a_path_outside_its_folder_is_not_used(tmp_path, bad):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text("one")
    (tmp_path / "outside.txt").write_text("not course content")
    path = build_index(content)
    data = json.loads(path.read_text())
    sha = data["files"]["a.txt"][0]
    listing = json.dumps({"a.txt": data["files"]["a.txt"], bad: [sha, 3, 420, 0]})
    checksum = hashlib.sha256(listing.replace(" ", "").encode()).hexdigest()
    path.write_text(
        f'{{"version":2,"digest":"{data["digest"]}","checksum":"{checksum}",'
        f'"files":{listing.replace(" ", "")}}}'
    )
    assert index.read_index(content) is not None  # intact, but not plainly inside
    assert index.indexed_tree(content) is None
    m = module(ContentSource("directory", str(content)))
    report = seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.added == ["a.txt"]


def test_indexed_noop_walks_no_content_and_a_rebuilt_index_delivers_changes(tmp_path, monkeypatch):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text("one")
    build_index(content)
    m = module(ContentSource("directory", str(content)))
    seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    with monkeypatch.context() as patched:
        patched.setattr(index, "walk_content", lambda root: pytest.fail("walked the content"))
        assert seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c").noop
    (content / "a.txt").write_text("two, longer")
    build_index(content)  # what every image build does after changing content
    report = seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.updated == ["a.txt"] and (tmp_path / "m" / "a.txt").read_text() == "two, longer"


def test_tampered_index_is_not_trusted(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text("one")
    path = build_index(content)
    assert index.read_index(content) is not None
    text = path.read_text()
    sha = json.loads(text)["files"]["a.txt"][0]
    path.write_text(text.replace(sha, "0" * 64))  # the listing edited, the checksum not
    assert index.read_index(content) is None


def test_excluded_patterns_are_never_seeded(tmp_path):
    content = tmp_path / "content"
    (content / "solutions").mkdir(parents=True)
    (content / "solutions" / "s.py").write_text("s")
    (content / "a.pyc").write_text("c")
    (content / "a.py").write_text("a")
    m = module(ContentSource("directory", str(content), exclude=("solutions", "*.pyc")))
    assert seed_module(m, tmp_path / "m", cache_dir=tmp_path / "c").added == ["a.py"]


def rewrite_index(path, entries: dict, segmented: bool = True) -> None:
    """Write ``entries`` as the index at ``path``, in layout 3 with a checksum that
    matches: an index made by hand, not by ``jupyter coursekit index``."""
    from coursekit.seeding import listing

    files, segments = listing.encode(entries, segmented=segmented)
    digest = json.loads(path.read_text())["digest"]
    checksum = index._checksum(digest, segments, files)
    header = {"version": 3, "digest": digest, "checksum": checksum, "segments": segments}
    path.write_bytes(listing.with_header(header, files))
