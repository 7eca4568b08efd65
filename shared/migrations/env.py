"""Alembic environment of the review store.

shared.store runs it programmatically with an open connection (config.attributes["connection"]),
inside the transaction that holds the store's migration lock. Run from the alembic command line
(for writing a new revision), it connects to sqlalchemy.url, else JYJG_DB, else sqlite:///jyjg.db.
"""
from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")


def run(conn) -> None:
    context.configure(connection=conn, target_metadata=None, render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    from shared.store import default_db_url

    url = context.config.get_main_option("sqlalchemy.url") or default_db_url()
    with create_engine(url).begin() as conn:
        run(conn)
