"""What the exchange holds: one row per release, submission and feedback, in SQLite (the
default, a file beside the archives) or PostgreSQL (production), through SQLAlchemy Core.

A row names its archive (``blob``, a path under the storage's content folder) and carries
everything a client is told about it. ``storage`` puts the archive in place first and
only then adds the row, so a row always has its archive; this module never touches files.
Rows come back as ``(blob, meta)``: the blob path stays inside the service.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url

from ..errors import CourseKitError

log = logging.getLogger("coursekit.exchange")
SUPPORTED = ("sqlite", "postgresql")

schema = sa.MetaData()
ID = sa.String(128)
TIME = sa.String(64)  # ISO 8601 text: the receipt a client gets back, to the letter

SUBMISSION_KEY = ("course_id", "student_id", "assignment_id", "submission_id")


def _key(*names: str) -> list[sa.Column]:
    return [sa.Column(name, ID, primary_key=True) for name in names]


def _archive() -> list[sa.Column]:
    """What every row says of its archive: checksum, size, member files, where it is."""
    return [
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("blob", sa.Text, nullable=False),
    ]


releases = sa.Table(
    "exchange_releases",
    schema,
    *_key("course_id", "assignment_id"),
    sa.Column("released_at", TIME, nullable=False),
    sa.Column("due", TIME),
    *_archive(),
)

submissions = sa.Table(
    "exchange_submissions",
    schema,
    *_key(*SUBMISSION_KEY),
    sa.Column("submitted_at", TIME, nullable=False),
    sa.Column("timestamp", TIME, nullable=False),
    *_archive(),
    # An instructor collects one assignment: without it, every row of the course is read.
    sa.Index("ix_exchange_submissions_assignment", "course_id", "assignment_id"),
)

feedback = sa.Table(
    "exchange_feedback",
    schema,
    *_key(*SUBMISSION_KEY),
    sa.Column("released_at", TIME, nullable=False),
    *_archive(),
    sa.ForeignKeyConstraint(SUBMISSION_KEY, [submissions.c[name] for name in SUBMISSION_KEY]),
    sa.Index("ix_exchange_feedback_assignment", "course_id", "assignment_id"),
)

Row = tuple[str, dict]


class CatalogUnavailable(CourseKitError):
    """The database cannot be reached (or is locked for longer than the wait)."""

    code = "exchange-db-unavailable"
    status = 503


# Lists are sorted in Python, not by ORDER BY: a PostgreSQL collation may order ids
# differently from SQLite, and both backends must answer alike.
SUBMISSION_ORDER = ("student_id", "assignment_id", "submission_id")


def database_url(url: str) -> URL:
    """The SQLAlchemy URL for what an operator wrote: ``postgresql://`` (or ``postgres://``)
    means psycopg 3, the driver coursekit installs, not SQLAlchemy's default psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED:
        raise CourseKitError(
            f"exchange database {parsed.get_backend_name()!r} is not supported: use "
            "sqlite:///path or postgresql://user:password@host/database",
            code="exchange-db-unsupported",
        )
    return parsed


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    # WAL: readers never wait for the writer. FULL: a receipt means the row is on disk.
    # Foreign keys: feedback only on a submission that exists, as in PostgreSQL.
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class Catalog:
    """The exchange's rows. Every method is one transaction; safe from many threads.

    The schema is versioned with alembic (``migrate.py``): a new database is made by the
    migrations, and one left by an older coursekit is brought up to date, automatically
    for SQLite (after a backup beside it) and, for PostgreSQL, only with ``upgrade``."""

    def __init__(self, url: str, upgrade: bool | None = None) -> None:
        self.url = database_url(url)
        if self.url.get_backend_name() == "sqlite":
            # Writers queue for SQLite's one write lock instead of failing at once.
            self.engine = sa.create_engine(
                self.url, connect_args={"timeout": 60, "check_same_thread": False}
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        from .migrate import prepare  # alembic is loaded by the service only

        sqlite_file = self.url.database if self.url.get_backend_name() == "sqlite" else None
        try:
            prepare(self.engine, sqlite_file, upgrade)
        except sa.exc.OperationalError as error:
            log.error("exchange database %s: %s", self.describe(), error.orig)
            raise CatalogUnavailable(
                "the exchange's database is unavailable; try again in a moment"
            ) from error

    def close(self) -> None:
        self.engine.dispose()

    def describe(self) -> str:
        """The URL without its password, for logs."""
        return self.url.render_as_string(hide_password=True)

    def blobs(self) -> set[str]:
        """Every archive some row names."""
        with self._transaction() as conn:
            return {
                blob
                for table in (releases, submissions, feedback)
                for (blob,) in conn.execute(sa.select(table.c.blob))
            }

    # -- releases ------------------------------------------------------------------------
    def put_release(self, meta: dict, blob: str) -> str | None:
        """Add or replace a release; returns the archive it replaced (to delete), if any."""
        return self._put(releases, meta, blob)

    def delete_release(self, course: str, assignment: str) -> str | None:
        """Withdraw a release; returns its archive (to delete), or None if not released."""
        key = _where(releases, course_id=course, assignment_id=assignment)
        with self._transaction() as conn:
            old = _blob_where(conn, releases, key)
            conn.execute(releases.delete().where(key))
        return old

    def releases(self, course: str) -> list[dict]:
        query = releases.select().where(_where(releases, course_id=course))
        return sorted((meta for _, meta in self._rows(query)), key=lambda m: m["assignment_id"])

    def release(self, course: str, assignment: str) -> Row | None:
        return self._one(releases, course_id=course, assignment_id=assignment)

    # -- submissions ---------------------------------------------------------------------
    def add_submission(self, meta: dict, blob: str) -> None:
        with self._transaction() as conn:
            conn.execute(submissions.insert().values(**meta, blob=blob))

    def submissions(
        self, course: str, student: str | None = None, assignment: str | None = None
    ) -> list[dict]:
        """Submissions ordered by student, assignment and time (submission ids sort in
        time order), each with its ``feedback`` (or None)."""
        ids = {"course_id": course, "student_id": student, "assignment_id": assignment}
        found = self._rows(submissions.select().where(_where(submissions, **ids)))
        returned = {
            meta["submission_id"]: meta
            for _, meta in self._rows(feedback.select().where(_where(feedback, **ids)))
        }
        listed = [{**meta, "feedback": returned.get(meta["submission_id"])} for _, meta in found]
        return sorted(listed, key=lambda m: [m[k] for k in SUBMISSION_ORDER])

    def submission(self, *ids: str) -> Row | None:
        """One submission, by course, student, assignment and submission id."""
        return self._one(submissions, **dict(zip(SUBMISSION_KEY, ids, strict=True)))

    # -- feedback ------------------------------------------------------------------------
    def put_feedback(self, meta: dict, blob: str) -> str | None:
        """Add or replace the feedback on a submission; returns the archive it replaced."""
        return self._put(feedback, meta, blob)

    def feedback(self, *ids: str) -> Row | None:
        """The feedback on one submission, by course, student, assignment and submission id."""
        return self._one(feedback, **dict(zip(SUBMISSION_KEY, ids, strict=True)))

    # -- one transaction each ------------------------------------------------------------
    def _put(self, table: sa.Table, meta: dict, blob: str) -> str | None:
        key = _where(table, **{column.name: meta[column.name] for column in table.primary_key})
        with self._transaction() as conn:
            old = _blob_where(conn, table, key)
            _upsert(conn, table, {**meta, "blob": blob})
        return old

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A connection in a transaction, committed at the end. An unreachable database
        is a 503 with a code; its details (hosts, sockets) go to the log, not the client."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as error:
            log.error("exchange database %s: %s", self.describe(), error.orig)
            raise CatalogUnavailable(
                "the exchange's database is unavailable; try again in a moment"
            ) from error

    def _rows(self, query: sa.Select) -> list[Row]:
        with self._transaction() as conn:
            return [_split(row) for row in conn.execute(query)]

    def _one(self, table: sa.Table, **ids: str) -> Row | None:
        rows = self._rows(table.select().where(_where(table, **ids)))
        return rows[0] if rows else None


def _split(row: sa.Row) -> Row:
    meta = dict(row._mapping)
    return meta.pop("blob"), meta


def _where(table: sa.Table, **ids: str | None):
    """Rows of ``table`` whose columns equal every id given (None: any value)."""
    return sa.and_(*(table.c[name] == value for name, value in ids.items() if value is not None))


def _blob_where(conn: Connection, table: sa.Table, key) -> str | None:
    # FOR UPDATE (PostgreSQL): a concurrent replacement waits, so each replaced archive
    # is reported to one caller only. SQLite has one writer at a time and ignores it.
    return conn.execute(sa.select(table.c.blob).where(key).with_for_update()).scalar()


def _upsert(conn: Connection, table: sa.Table, values: dict) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    keys = [column.name for column in table.primary_key]
    changed = {name: statement.excluded[name] for name in values if name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed))
