"""alembic's entry point for the exchange catalog (see ``coursekit/exchange/migrate.py``,
which passes the connection in; there is no alembic.ini)."""

from alembic import context

from coursekit.exchange.catalog import schema

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=schema,
    # SQLite alters a table by copying it: batch mode does that where a migration asks.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
