"""Alembic environment: run with a connection handed in by `conversations.store.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from conversations.models import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    # Plain `alembic` use (autogenerate during development) with a synchronous URL.
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = create_engine(url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg"))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
