"""The exchange catalog's schema, versioned with alembic (``migrations/versions/``).

A presentation runs for most of a year and its exchange holds every submission and
feedback of it: an image updated mid-presentation to a coursekit whose catalog changed
must bring the database along, not fail on it. The rules, as JupyterHub and its Helm
chart apply them to the hub's own database:

- a new database is made by running every migration (so the migrations are what tests
  and production run, not a second copy of the schema);
- a catalog made before migrations existed (tables, no ``alembic_version``) is taken to be
  at the first revision;
- an older revision is upgraded at start for SQLite, after a copy of the file is kept
  beside it (``<file>.backup-<stamp>``); for PostgreSQL only when the operator asks
  (``--upgrade-db``): back it up first, then start the service with it once;
- a revision this coursekit does not know (written by a newer one) is refused.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import CourseKitError

log = logging.getLogger("coursekit.exchange")
FIRST = "0001"
TABLES = {"exchange_releases", "exchange_submissions", "exchange_feedback"}


class SchemaMismatch(CourseKitError):
    code = "exchange-db-outdated"
    status = 503


def _config(connection: sa.Connection | None) -> Config:
    config = Config()
    config.set_main_option("script_location", "coursekit.exchange:migrations")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(_config(None)).get_current_head()


def prepare(engine: sa.Engine, sqlite_file: str | None, upgrade: bool | None) -> None:
    """Make or upgrade the catalog's tables, or raise :class:`SchemaMismatch` saying what
    to do. ``upgrade`` None: upgrade SQLite, not PostgreSQL."""
    scripts = ScriptDirectory.from_config(_config(None))
    latest = scripts.get_current_head()
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current is None:
            if not TABLES & set(sa.inspect(connection).get_table_names()):
                command.upgrade(_config(connection), "head")
                return
            command.stamp(_config(connection), FIRST)
            current = FIRST
        if current == latest:
            return
        known = {script.revision for script in scripts.walk_revisions()}
        if current not in known:
            raise SchemaMismatch(
                f"the exchange database is at schema revision {current}, written by a newer "
                f"coursekit (this one knows up to {latest}); run that version, or restore a "
                "backup taken before it",
                code="exchange-db-newer",
            )
        if upgrade is False or (upgrade is None and sqlite_file is None):
            raise SchemaMismatch(
                f"the exchange database is at schema revision {current}; this coursekit "
                f"needs {latest}. Back the database up, then start the exchange service "
                "once with --upgrade-db (or COURSEKIT_EXCHANGE_UPGRADE_DB=1)"
            )
    if sqlite_file:
        backup = f"{sqlite_file}.backup-{time.strftime('%Y%m%d-%H%M%S')}"
        _copy_sqlite(sqlite_file, backup)
        log.info("exchange database copied to %s before its upgrade", backup)
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    log.info("exchange database upgraded from schema revision %s to %s", current, latest)


def _copy_sqlite(source: str, target: str) -> None:
    """A consistent copy, write-ahead log included (sqlite3's online backup)."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
