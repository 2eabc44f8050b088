"""Alembic environment: runs on the connection :func:`forensics.store.upgrade` hands over.

There is no alembic.ini; the script location is set in code, so the migrations travel with the
installed package. For ad-hoc use: ``alembic -x url=sqlite:///forensics.db upgrade head`` with
``script_location`` pointing here also works.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from forensics.store import metadata

target_metadata = metadata

#: Any fixed number: PostgreSQL advisory lock key that serialises concurrent migrations.
_MIGRATION_LOCK_KEY = 7_314_159


def _run(connection: sa.engine.Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two jobs opening a fresh database at once: the second waits, then finds head.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("alembic: pass -x url=<database URL> or set sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
