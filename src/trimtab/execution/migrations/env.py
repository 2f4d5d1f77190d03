"""Alembic environment: runs on the connection :func:`trimtab.db.migrate` passes in (no alembic.ini needed).

Run by hand (``alembic -c <cfg> upgrade head``) it connects to :func:`trimtab.db.resolve_database_url`.
"""

from __future__ import annotations

from alembic import context

from trimtab.db import make_engine, metadata, resolve_database_url

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True,
                      compare_type=False)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=resolve_database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    _run(connection)
else:
    engine = make_engine(resolve_database_url())
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
