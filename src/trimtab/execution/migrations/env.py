"""Alembic environment: runs on the connection :func:`trimtab.db.migrate` passes in (no alembic.ini needed).

Run by hand (``alembic -c <cfg> upgrade head``) it connects to :func:`trimtab.db.resolve_database_url`.
Imported outside an Alembic run (e.g. by doctest collection) it does nothing.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from trimtab.db import make_engine, metadata, resolve_database_url


def _run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _main(config: Any) -> None:
    connection = config.attributes.get("connection")
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


_config: Any
try:
    _config = context.config
except AttributeError:  # not inside an Alembic command
    _config = None
if _config is not None:
    _main(_config)
