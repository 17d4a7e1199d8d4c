"""The exchange as a JupyterHub service: ``python -m coursekit.exchange.service``.

Every request carries a JupyterHub token (``Authorization: token ...``, the single-user
server's ``JUPYTERHUB_API_TOKEN``); the hub says whose it is (``HubAuth``) and the service
asks the hub for that user's groups with its own token. Group ``<COURSE>`` makes a
student of a course, ``<COURSE>-instructors`` an instructor (course id = module id). A
student only ever acts as themselves: there is no parameter naming the submitter.

Routes, under ``$JUPYTERHUB_SERVICE_PREFIX``::

    GET    api/courses/C/releases                        members: released assignments
    GET    api/courses/C/releases/A                      members: the release archive
    PUT    api/courses/C/releases/A                      instructors: release (replace)
    DELETE api/courses/C/releases/A                      instructors: withdraw
    POST   api/courses/C/releases/A/submissions          members: submit as oneself
    GET    api/courses/C/submissions[?student=&assignment=]  own, or all for instructors
    GET    api/courses/C/submissions/S/A/ID              owner or instructors: archive
    GET    api/courses/C/submissions/S/A/ID/feedback     owner or instructors: archive
    PUT    api/courses/C/submissions/S/A/ID/feedback     instructors: return feedback

Uploads are gzipped tars, streamed to disk with a size limit and checked against the
``X-Content-SHA256`` header; downloads carry the same header. Archives live under
``--root``; the catalog of them in SQLite there, or in PostgreSQL with ``--db-url`` (or
``$COURSEKIT_EXCHANGE_DB_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from tornado import httpclient, web
from tornado.httpserver import HTTPServer

from ..errors import CourseKitError, Forbidden
from .storage import ExchangeStorage, Upload, check_id

log = logging.getLogger("coursekit.exchange")

INSTRUCTOR_SUFFIX = "-instructors"
SHA_HEADER = "X-Content-SHA256"
GROUP_CACHE_SECONDS = 10
CHUNK = 256 * 1024
DB_URL_ENV = "COURSEKIT_EXCHANGE_DB_URL"
UPGRADE_DB_ENV = "COURSEKIT_EXCHANGE_UPGRADE_DB"


class Unauthenticated(CourseKitError):
    code = "unauthenticated"
    status = 401


class HubIdentity:
    """Who a token belongs to and which groups they are in, both asked of the hub."""

    def __init__(self, hub_auth, api_url: str, api_token: str) -> None:
        self.hub_auth = hub_auth
        self.api_url = api_url.rstrip("/")
        self.api_token = api_token
        self._groups: dict[str, tuple[float, set[str]]] = {}

    async def user(self, token: str) -> str:
        model = await self.hub_auth.user_for_token(token, sync=False)
        if not model or model.get("kind", "user") != "user":
            raise Unauthenticated("the token is not a hub user's token")
        if not self.hub_auth.check_scopes(self.hub_auth.access_scopes, model):
            raise Forbidden(
                f"the token may not use this service (it needs {sorted(self.hub_auth.access_scopes)})"
            )
        return model["name"]

    async def groups(self, username: str) -> set[str]:
        cached = self._groups.get(username)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        response = await httpclient.AsyncHTTPClient().fetch(
            f"{self.api_url}/users/{username}",
            headers={"Authorization": f"token {self.api_token}"},
            raise_error=False,
        )
        if response.code != 200:
            raise CourseKitError(
                f"the hub did not give {username}'s groups ({response.code})", status=502
            )
        groups = set(json.loads(response.body).get("groups") or [])
        self._groups[username] = (time.monotonic() + GROUP_CACHE_SECONDS, groups)
        return groups


@web.stream_request_body
class ExchangeHandler(web.RequestHandler):
    """Authenticates in ``prepare`` (before any body is read), streams uploads to disk."""

    def initialize(self, storage: ExchangeStorage, identity: HubIdentity) -> None:
        self.storage = storage
        self.identity = identity
        self.upload: Upload | None = None
        self.username = ""
        self.groups: set[str] = set()

    def check_xsrf_cookie(self) -> None:
        # Token-only API: cookies are never read, so there is nothing to forge.
        return

    async def prepare(self) -> None:
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token.strip():
            raise Unauthenticated("no JupyterHub token: send 'Authorization: token <token>'")
        self.username = await self.identity.user(token.strip())
        self.groups = await self.identity.groups(self.username)
        course = self.path_kwargs.get("course")
        if course is not None:
            check_id("course", course)
            if course not in self.groups and self.instructor_group not in self.groups:
                raise Forbidden(f"{self.username} is not enrolled on {course}")
        if self.request.method in ("PUT", "POST"):
            self.authorize_upload()
            declared = self.request.headers.get("Content-Length")
            self.upload = self.storage.begin_upload(int(declared) if declared else None)

    def authorize_upload(self) -> None:
        """Overridden by handlers that accept uploads."""
        raise web.HTTPError(405)

    @property
    def instructor_group(self) -> str:
        return f"{self.path_kwargs['course']}{INSTRUCTOR_SUFFIX}"

    @property
    def is_instructor(self) -> bool:
        return self.instructor_group in self.groups

    def require_instructor(self, action: str) -> None:
        if not self.is_instructor:
            raise Forbidden(f"only instructors of {self.path_kwargs['course']} may {action}")

    def data_received(self, chunk: bytes) -> None:
        if self.upload is not None:
            self.upload.write(chunk)

    def on_connection_close(self) -> None:
        # The client went away mid-upload: drop the partial archive.
        if self.upload is not None and self.upload._file is not None:
            self.upload.abort()

    async def in_executor(self, function: Callable, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: function(*args, **kwargs)
        )

    async def send_archive(self, located: Awaitable) -> None:
        path, meta = await located
        self.set_header("Content-Type", "application/gzip")
        self.set_header(SHA_HEADER, meta["sha256"])
        self.set_header("X-Exchange-Meta", json.dumps(meta))
        with open(path, "rb") as archive:
            while chunk := archive.read(CHUNK):
                self.write(chunk)
                await self.flush()

    def write_json(self, body, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs) -> None:
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, CourseKitError):
            body = error.to_dict()
        else:
            reason = self._reason
            if isinstance(error, web.HTTPError) and error.log_message:
                reason = error.log_message
            body = {"code": f"http-{status_code}", "message": reason}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, CourseKitError):
            log.warning("%s %s: %s", self.request.method, self.request.path, value.message)
        else:
            super().log_exception(typ, value, tb)

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, CourseKitError):
            if self.upload is not None:
                self.upload.abort()
            self.log_exception(type(e), e, None)
            if not self._finished:
                self.send_error(e.status, exc_info=(type(e), e, None))
            return
        super()._handle_request_exception(e)


class ReleasesHandler(ExchangeHandler):
    async def get(self, course: str) -> None:
        self.write_json({"releases": await self.in_executor(self.storage.releases, course)})


class ReleaseHandler(ExchangeHandler):
    def authorize_upload(self) -> None:
        self.require_instructor("release assignments")

    async def get(self, course: str, assignment: str) -> None:
        await self.send_archive(self.in_executor(self.storage.release_archive, course, assignment))

    async def put(self, course: str, assignment: str) -> None:
        meta = await self.in_executor(
            self.storage.release, course, assignment, self.upload,
            self.request.headers.get(SHA_HEADER), self.get_query_argument("due", None),
        )  # fmt: skip
        self.upload = None
        self.write_json(meta, 201)

    async def delete(self, course: str, assignment: str) -> None:
        self.require_instructor("withdraw assignments")
        await self.in_executor(self.storage.unrelease, course, assignment)
        self.set_status(204)
        self.finish()


class SubmitHandler(ExchangeHandler):
    def authorize_upload(self) -> None:
        return  # any member, and always as themselves

    async def post(self, course: str, assignment: str) -> None:
        meta = await self.in_executor(
            self.storage.submit, course, assignment, self.username, self.upload,
            self.request.headers.get(SHA_HEADER), self.get_query_argument("timestamp", None),
        )  # fmt: skip
        self.upload = None
        self.write_json(meta, 201)


class SubmissionsHandler(ExchangeHandler):
    async def get(self, course: str) -> None:
        student = self.get_query_argument("student", None)
        if not self.is_instructor:
            if student not in (None, self.username):
                raise Forbidden("students may list only their own submissions")
            student = self.username
        assignment = self.get_query_argument("assignment", None)
        found = await self.in_executor(self.storage.submissions, course, student, assignment)
        self.write_json({"submissions": found})


class SubmissionHandler(ExchangeHandler):
    def check_owner(self, student: str) -> None:
        if student != self.username and not self.is_instructor:
            raise Forbidden("students may open only their own submissions and feedback")

    async def get(self, course: str, student: str, assignment: str, submission: str) -> None:
        self.check_owner(student)
        located = self.in_executor(
            self.storage.submission_archive, course, student, assignment, submission
        )
        await self.send_archive(located)


class FeedbackHandler(SubmissionHandler):
    def authorize_upload(self) -> None:
        self.require_instructor("return feedback")

    async def get(self, course: str, student: str, assignment: str, submission: str) -> None:
        self.check_owner(student)
        located = self.in_executor(
            self.storage.feedback_archive, course, student, assignment, submission
        )
        await self.send_archive(located)

    async def put(self, course: str, student: str, assignment: str, submission: str) -> None:
        meta = await self.in_executor(
            self.storage.return_feedback, course, student, assignment, submission,
            self.upload, self.request.headers.get(SHA_HEADER),
        )  # fmt: skip
        self.upload = None
        self.write_json(meta, 201)


class HealthHandler(web.RequestHandler):
    def get(self) -> None:
        self.finish({"status": "ok"})


def make_app(storage: ExchangeStorage, identity: HubIdentity, prefix: str = "/") -> web.Application:
    """The tornado application; ``identity`` decides who a token is and their groups."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"

    def seg(name: str) -> str:
        return rf"(?P<{name}>[^/]+)"

    api = f"{prefix}api/courses/{seg('course')}"
    one = f"{api}/submissions/{seg('student')}/{seg('assignment')}/{seg('submission')}"
    kwargs = {"storage": storage, "identity": identity}
    return web.Application(
        [
            (prefix, HealthHandler),  # the hub checks the service answers here
            (f"{prefix}health", HealthHandler),
            (f"{api}/releases", ReleasesHandler, kwargs),
            (f"{api}/releases/{seg('assignment')}", ReleaseHandler, kwargs),
            (f"{api}/releases/{seg('assignment')}/submissions", SubmitHandler, kwargs),
            (f"{api}/submissions", SubmissionsHandler, kwargs),
            (one, SubmissionHandler, kwargs),
            (f"{one}/feedback", FeedbackHandler, kwargs),
        ]
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.exchange.service",
        description="The coursekit nbgrader exchange, run by JupyterHub as a service.",
    )
    parser.add_argument("--root", required=True, help="folder for the exchange's files")
    parser.add_argument(
        "--max-upload-mb", type=float, default=100, help="largest upload accepted, in MB"
    )
    parser.add_argument(
        "--db-url",
        default=os.environ.get(DB_URL_ENV),
        help=f"the catalog's database: postgresql://user:password@host/database (needs "
        f"coursekit[exchange-postgres]); default ${DB_URL_ENV}, else SQLite in --root. "
        "Prefer the variable for a URL with a password: a command line is visible to all",
    )
    parser.add_argument(
        "--upgrade-db",
        action="store_true",
        default=os.environ.get(UPGRADE_DB_ENV, "") not in ("", "0"),
        help=f"bring a PostgreSQL catalog made by an older coursekit up to this one's schema "
        f"(back it up first); default ${UPGRADE_DB_ENV}. SQLite catalogs are upgraded "
        "anyway, after a copy of the file is kept beside it",
    )
    parser.add_argument(
        "--ip",
        help="address to listen on (default: the host of $JUPYTERHUB_SERVICE_URL); 0.0.0.0 in "
        "a Kubernetes hub pod, where that host is the hub's Service name, not the pod's own",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(name)s] %(message)s")

    from jupyterhub.services.auth import HubAuth

    hub_auth = HubAuth(cache_max_age=10)
    identity = HubIdentity(hub_auth, hub_auth.api_url, hub_auth.api_token)
    try:
        storage = ExchangeStorage(
            args.root,
            int(args.max_upload_mb * 1024 * 1024),
            args.db_url,
            upgrade_db=True if args.upgrade_db else None,
        )
    except CourseKitError as error:  # a database it cannot use: say why, in one line
        log.error("coursekit exchange cannot start (%s): %s", error.code, error.message)
        raise SystemExit(1) from None
    log.info("coursekit exchange catalog: %s", storage.catalog.describe())
    swept = storage.sweep()
    if swept:
        log.info("removed %d archives that no release, submission or feedback names", swept)
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8789"))
    app = make_app(storage, identity, prefix)
    asyncio.run(serve(app, url, storage.max_upload_bytes, ip=args.ip))


async def serve(app: web.Application, url, max_upload_bytes: int, ip: str | None = None) -> None:
    # The upload limit is enforced by the handlers (a 413 with a message); tornado's own
    # cap, which just drops the connection, sits above it.
    server = HTTPServer(app, max_body_size=max_upload_bytes + 1024 * 1024)
    server.listen(url.port or 80, ip or url.hostname or "127.0.0.1")
    log.info("coursekit exchange listening on %s", url.geturl())
    await asyncio.Event().wait()


if __name__ == "__main__":
    main()
