"""Talking to the exchange service: the one client, used by the nbgrader plugins and by
the student side of the Modules panel. Blocking (stdlib ``urllib``): callers in a server
run it in an executor.

Every transfer is checked end to end: uploads carry their sha256 and the service's
receipt must echo it; downloads must match the sha256 the service sends.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import quote, urlencode

from ..errors import CourseKitError

SHA_HEADER = "X-Content-SHA256"
META_HEADER = "X-Exchange-Meta"


class ExchangeUnavailable(CourseKitError):
    code = "exchange-unavailable"
    status = 502


class ExchangeNotConfigured(CourseKitError):
    code = "exchange-not-configured"
    status = 409


def pack(folder: str | os.PathLike, ignore: Callable | None = None) -> bytes:
    """A gzipped tar of ``folder``'s regular files (names relative to it); ``ignore`` as
    for ``shutil.copytree``. Links are left out: they could point at anything."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for directory, dirnames, filenames in os.walk(folder):
            skipped = set(ignore(directory, dirnames + filenames)) if ignore else set()
            dirnames[:] = sorted(d for d in dirnames if d not in skipped)
            for name in sorted(filenames):
                path = os.path.join(directory, name)
                if name in skipped or os.path.islink(path) or not os.path.isfile(path):
                    continue
                tar.add(path, arcname=os.path.relpath(path, folder), recursive=False)
    return buffer.getvalue()


def unpack(archive: bytes, destination: str | os.PathLike) -> list[str]:
    """Extract with tarfile's ``data`` filter (no links, devices or paths outside
    ``destination``); returns the file names extracted."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        names = [m.name for m in tar.getmembers() if m.isreg()]
        tar.extractall(destination, filter="data")
    return names


class ExchangeClient:
    """One user's view of the exchange, through their JupyterHub token."""

    def __init__(self, url: str, token: str, timeout: float = 120.0) -> None:
        if not url:
            raise ExchangeNotConfigured(
                "no nbgrader exchange is configured for this server (COURSEKIT_EXCHANGE_URL)"
            )
        if not token:
            raise ExchangeNotConfigured("no JupyterHub token (JUPYTERHUB_API_TOKEN) to use it")
        self.url = url.rstrip("/") + "/api/"
        self.token = token
        self.timeout = timeout

    # -- transport -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        parts: list[str],
        params: dict | None = None,
        body: bytes | None = None,
        headers: dict | None = None,
    ) -> tuple[bytes, dict]:
        url = self.url + "/".join(quote(p, safe="") for p in parts)
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += "?" + urlencode(query)
        request = urllib.request.Request(
            url,
            data=body,
            method=method,
            headers={"Authorization": f"token {self.token}", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.read(), dict(answer.headers.items())
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                detail = json.loads(raw)
            except ValueError:
                detail = {"message": raw.decode(errors="replace")[:300] or error.reason}
            raise CourseKitError(
                f"the exchange refused: {detail.get('message')}",
                code=detail.get("code", "exchange-refused"),
                status=error.code,
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise ExchangeUnavailable(f"the exchange cannot be reached: {error}") from None

    def json(self, method: str, parts: list[str], **kwargs) -> dict:
        body, _ = self.request(method, parts, **kwargs)
        return json.loads(body) if body else {}

    def upload(self, method: str, parts: list[str], archive: bytes, **params) -> dict:
        digest = hashlib.sha256(archive).hexdigest()
        receipt = self.json(
            method,
            parts,
            params=params,
            body=archive,
            headers={SHA_HEADER: digest, "Content-Type": "application/gzip"},
        )
        if receipt.get("sha256") != digest:
            raise CourseKitError(
                f"the exchange stored sha256 {receipt.get('sha256')}, not {digest}",
                code="checksum-mismatch",
                status=502,
            )
        return receipt

    def download(self, parts: list[str]) -> tuple[bytes, dict]:
        body, headers = self.request("GET", parts)
        digest = hashlib.sha256(body).hexdigest()
        lower = {k.lower(): v for k, v in headers.items()}
        if lower.get(SHA_HEADER.lower()) != digest:
            raise CourseKitError(
                f"download damaged: sha256 {digest}, the exchange sent "
                f"{lower.get(SHA_HEADER.lower())}",
                code="checksum-mismatch",
                status=502,
            )
        return body, json.loads(lower.get(META_HEADER.lower(), "{}"))

    # -- the API ---------------------------------------------------------------------------
    def releases(self, course: str) -> list[dict]:
        return self.json("GET", ["courses", course, "releases"])["releases"]

    def release(self, course: str, assignment: str, archive: bytes, due: str | None = None):
        return self.upload("PUT", ["courses", course, "releases", assignment], archive, due=due)

    def release_archive(self, course: str, assignment: str) -> tuple[bytes, dict]:
        return self.download(["courses", course, "releases", assignment])

    def submit(self, course: str, assignment: str, archive: bytes, timestamp: str) -> dict:
        parts = ["courses", course, "releases", assignment, "submissions"]
        return self.upload("POST", parts, archive, timestamp=timestamp)

    def submissions(
        self, course: str, student: str | None = None, assignment: str | None = None
    ) -> list[dict]:
        params = {"student": student or None, "assignment": assignment or None}
        return self.json("GET", ["courses", course, "submissions"], params=params)["submissions"]

    def submission_archive(self, record: dict) -> tuple[bytes, dict]:
        return self.download(self._submission(record))

    def feedback_archive(self, record: dict) -> tuple[bytes, dict]:
        return self.download([*self._submission(record), "feedback"])

    def return_feedback(self, record: dict, archive: bytes) -> dict:
        return self.upload("PUT", [*self._submission(record), "feedback"], archive)

    @staticmethod
    def _submission(record: dict) -> list[str]:
        return [
            "courses",
            record["course_id"],
            "submissions",
            record["student_id"],
            record["assignment_id"],
            record["submission_id"],
        ]
