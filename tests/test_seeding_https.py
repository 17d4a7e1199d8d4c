"""Remote content over real TLS on loopback: an https archive and git's smart HTTP protocol
(``git http-backend``), with a certificate made for the test and trusted through the
variables an image sets for its institution's CA (SSL_CERT_FILE, GIT_SSL_CAINFO)."""

from __future__ import annotations

import contextlib
import os
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from coursekit.manifest import ContentSource, Module
from coursekit.seeding import fetch_archive, fetch_git, seed_module

from .test_seeding_sources import git, make_repo, make_tar


@pytest.fixture(autouse=True)
def fresh_process_caches():
    # Each test is a new server start: remote sources are fetched again.
    fetch_git._fetched.clear()
    fetch_archive._downloaded.clear()
    yield
    fetch_git._fetched.clear()
    fetch_archive._downloaded.clear()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def https_server(handler: type[BaseHTTPRequestHandler], certificate: tuple[Path, Path]):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def files_handler(folder: Path) -> type[BaseHTTPRequestHandler]:
    class Files(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    return Files


def git_handler(project_root: Path) -> type[BaseHTTPRequestHandler]:
    """git's smart HTTP protocol through ``git http-backend`` run as a CGI program."""

    class GitBackend(BaseHTTPRequestHandler):
        def do_GET(self):
            self._cgi()

        def do_POST(self):
            self._cgi()

        def _cgi(self):
            path, _, query = self.path.partition("?")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            env = {
                "PATH": os.environ["PATH"],
                "GIT_PROJECT_ROOT": str(project_root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_ADDR": "127.0.0.1",
            }
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            headers = [line.split(": ", 1) for line in head.decode().split("\r\n") if line]
            status = next((int(v.split()[0]) for k, v in headers if k == "Status"), 200)
            self.send_response(status)
            for name, value in headers:
                if name != "Status":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return GitBackend


@pytest.fixture
def projects(tmp_path) -> Path:
    """A folder of bare repositories served over https: course.git, tagged v1, then v2."""
    work = make_repo(tmp_path / "work")
    folder = tmp_path / "projects"
    git("clone", "-q", "--bare", str(work), str(folder / "course.git"), cwd=tmp_path)
    return folder


def module(source: ContentSource) -> Module:
    return Module("TM351", "25J", content=(source,))


def test_https_archive_is_downloaded_cached_and_used_when_the_server_is_gone(
    tmp_path, certificate, monkeypatch
):
    served = tmp_path / "served"
    served.mkdir()
    make_tar(served / "course.tar.gz", {"unit1/a.txt": b"a", "b.txt": b"b"})
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with https_server(files_handler(served), certificate) as url:
        source = ContentSource("archive", f"{url}/course.tar.gz")
        report = seed_module(module(source), tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.errors == []
    assert sorted(report.added) == ["b.txt", "unit1/a.txt"]
    # The next server start cannot reach it: the cached copy serves, and the panel says so.
    fetch_archive._downloaded.clear()
    (tmp_path / "m" / "b.txt").unlink()
    report = seed_module(module(source), tmp_path / "m", cache_dir=tmp_path / "c")
    assert [e["code"] for e in report.errors] == ["source-unreachable"]
    assert "using the copy downloaded earlier" in report.errors[0]["message"]
    assert (tmp_path / "m" / "unit1" / "a.txt").read_bytes() == b"a"


def test_https_archive_with_an_untrusted_certificate_is_reported_never_fatal(
    tmp_path, certificate, monkeypatch
):
    served = tmp_path / "served"
    served.mkdir()
    make_tar(served / "course.tar.gz", {"a.txt": b"a"})
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
    with https_server(files_handler(served), certificate) as url:
        source = ContentSource("archive", f"{url}/course.tar.gz")
        report = seed_module(module(source), tmp_path / "m", cache_dir=tmp_path / "c")
    assert [e["code"] for e in report.errors] == ["source-unreachable"]
    assert "CERTIFICATE_VERIFY_FAILED" in report.errors[0]["message"]
    assert report.added == []


@pytest.mark.parametrize(("ref", "readme"), [(None, "v2\n"), ("v1", "v1\n")])
def test_git_over_https_smart_protocol(tmp_path, certificate, monkeypatch, projects, ref, readme):
    monkeypatch.setenv("GIT_SSL_CAINFO", str(certificate[0]))
    with https_server(git_handler(projects), certificate) as url:
        source = ContentSource("git", f"{url}/course.git", ref=ref)
        report = seed_module(module(source), tmp_path / "m", cache_dir=tmp_path / "c")
    assert report.errors == []
    assert (tmp_path / "m" / "README.md").read_text() == readme
    assert ("extra.txt" in report.added) == (ref is None)


def test_git_over_https_without_trust_is_reported_never_fatal(
    tmp_path, certificate, monkeypatch, projects
):
    monkeypatch.setenv("GIT_SSL_CAINFO", str(tmp_path / "no-such-ca.pem"))
    with https_server(git_handler(projects), certificate) as url:
        source = ContentSource("git", f"{url}/course.git")
        report = seed_module(module(source), tmp_path / "m", cache_dir=tmp_path / "c")
    assert [e["code"] for e in report.errors] == ["source-unreachable"]
    assert report.added == []
