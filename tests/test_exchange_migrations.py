"""The exchange catalog's schema versions: a new database is made by the migrations, an
older one is brought up to date (SQLite at once, after a backup; PostgreSQL when asked),
and one written by a newer coursekit is refused. Each on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from coursekit.exchange import migrate, service
from coursekit.exchange.catalog import database_url, releases, schema
from coursekit.exchange.storage import DEFAULT_DATABASE, ExchangeStorage

RELEASE = {
    "course_id": "TM351-25J",
    "assignment_id": "ps1",
    "released_at": "2026-10-01T09:00:00+00:00",
    "due": None,
    "sha256": "0" * 64,
    "size": 3,
    "files": ["problem1.ipynb"],
    "blob": "releases/ps1.tar.gz",
}


@pytest.fixture
def url(tmp_path, exchange_db_url) -> str:
    (tmp_path / "exchange").mkdir()
    return exchange_db_url or f"sqlite:///{tmp_path / 'exchange' / DEFAULT_DATABASE}"


def revision(url: str) -> str | None:
    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def older_catalog(url: str, *, stamped: bool = True) -> None:
    """The catalog as the first coursekit release made it, with one release in it;
    ``stamped=False``: made before coursekit had migrations (no alembic_version)."""
    engine = sa.create_engine(database_url(url))
    try:
        with engine.begin() as conn:
            command.upgrade(migrate._config(conn), migrate.FIRST)
            conn.execute(releases.insert(), RELEASE)  # a table revision 0001 already had
            if not stamped:
                conn.execute(sa.text("DROP TABLE alembic_version"))
    finally:
        engine.dispose()


def open_storage(tmp_path, url: str, **kwargs) -> ExchangeStorage:
    return ExchangeStorage(tmp_path / "exchange", db_url=url, **kwargs)


def test_a_new_catalog_is_made_by_the_migrations_and_matches_the_code(tmp_path, url):
    open_storage(tmp_path, url).close()
    assert revision(url) == migrate.head()
    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as conn:
            # What the migrations made is what catalog.py describes: no drift either way.
            assert compare_metadata(MigrationContext.configure(conn), schema) == []
    finally:
        engine.dispose()
    open_storage(tmp_path, url).close()  # a restart changes nothing
    assert revision(url) == migrate.head()


def test_a_catalog_from_before_migrations_is_kept_and_upgraded(tmp_path, url):
    older_catalog(url, stamped=False)
    kwargs = {} if url.startswith("sqlite") else {"upgrade_db": True}
    store = open_storage(tmp_path, url, **kwargs)
    try:
        assert revision(url) == migrate.head()
        assert store.catalog.releases("TM351-25J")[0]["assignment_id"] == "ps1"
    finally:
        store.close()


def test_an_older_sqlite_catalog_is_upgraded_after_a_backup(tmp_path):
    (tmp_path / "exchange").mkdir()
    url = f"sqlite:///{tmp_path / 'exchange' / DEFAULT_DATABASE}"
    older_catalog(url)
    store = open_storage(tmp_path, url)
    try:
        assert revision(url) == migrate.head()
        assert store.catalog.releases("TM351-25J")[0]["assignment_id"] == "ps1"
    finally:
        store.close()
    (backup,) = (tmp_path / "exchange").glob(f"{DEFAULT_DATABASE}.backup-*")
    assert revision(f"sqlite:///{backup}") == migrate.FIRST  # the file as it was


def test_an_older_postgresql_catalog_waits_for_the_operator(tmp_path, postgres_server):
    (tmp_path / "exchange").mkdir()
    with postgres_server.new_database() as url:
        older_catalog(url)
        with pytest.raises(migrate.SchemaMismatch) as refused:
            open_storage(tmp_path, url)
        assert refused.value.code == "exchange-db-outdated"
        assert "--upgrade-db" in refused.value.message and migrate.FIRST in refused.value.message
        assert revision(url) == migrate.FIRST  # untouched
        store = open_storage(tmp_path, url, upgrade_db=True)
        try:
            assert revision(url) == migrate.head()
            assert store.catalog.releases("TM351-25J")[0]["assignment_id"] == "ps1"
        finally:
            store.close()


def test_a_catalog_from_a_newer_coursekit_is_refused(tmp_path, url):
    open_storage(tmp_path, url).close()
    engine = sa.create_engine(database_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9001'"))
    finally:
        engine.dispose()
    with pytest.raises(migrate.SchemaMismatch) as refused:
        open_storage(tmp_path, url, upgrade_db=True)
    assert refused.value.code == "exchange-db-newer"
    assert "9001" in refused.value.message
    assert revision(url) == "9001"


@pytest.mark.parametrize(
    "argv, environ, asked",
    [
        ([], {}, False),
        (["--upgrade-db"], {}, True),
        ([], {"COURSEKIT_EXCHANGE_UPGRADE_DB": "1"}, True),
        ([], {"COURSEKIT_EXCHANGE_UPGRADE_DB": "0"}, False),
    ],
)
def test_the_operator_asks_for_an_upgrade_by_flag_or_variable(monkeypatch, argv, environ, asked):
    monkeypatch.delenv("COURSEKIT_EXCHANGE_UPGRADE_DB", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert service.parse_args(["--root", "/srv/x", *argv]).upgrade_db is asked


def test_the_service_says_why_it_cannot_start_in_one_line(tmp_path):
    """What the hub's log shows an operator: the reason and what to do, not a traceback."""
    root = tmp_path / "exchange"
    root.mkdir()
    url = f"sqlite:///{root / DEFAULT_DATABASE}"
    open_storage(tmp_path, url).close()
    engine = sa.create_engine(database_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9001'"))
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "coursekit.exchange.service", f"--root={root}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "JUPYTERHUB_API_TOKEN": "x",
            "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
        },
    )
    assert done.returncode == 1
    assert "exchange-db-newer" in done.stderr and "9001" in done.stderr
    assert "Traceback" not in done.stderr
