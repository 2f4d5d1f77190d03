"""The database of record: engine factory, shared metadata, exact column types and migrations.

The order journal (:mod:`trimtab.execution.journal`) and the book (:mod:`trimtab.book.store`) keep their
tables in one database, declared on :data:`metadata` and created by the Alembic migrations shipped in
``trimtab/execution/migrations`` (run programmatically by :func:`open_database`; no ``alembic.ini`` is
needed).

Where the database is, first match wins:

1. an explicit URL (``--db URL``), e.g. ``sqlite:////home/me/book.db`` or
   ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
2. the environment variable ``TRIMTAB_DB``;
3. ``$XDG_DATA_HOME/trimtab/trimtab.db`` (default ``~/.local/share/trimtab/trimtab.db``), a SQLite file.

Money and quantities are stored as decimal text (:class:`DecimalText`), exact and identical on SQLite and
PostgreSQL; times as timezone-aware UTC (:class:`UtcDateTime`).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from trimtab.errors import InputError

__all__ = [
    "DB_ENV",
    "DatabaseError",
    "DecimalText",
    "UtcDateTime",
    "default_database_url",
    "make_engine",
    "metadata",
    "migrate",
    "open_database",
    "redact",
    "resolve_database_url",
    "sqlite_file",
]

#: Environment variable naming the database URL.
DB_ENV = "TRIMTAB_DB"

#: Shared metadata of every table (journal and book), with stable constraint names for migrations.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class DatabaseError(InputError):
    """The database URL is malformed, the server unreachable, or the schema cannot be brought up to date."""


class DecimalText(TypeDecorator[Decimal]):
    """A :class:`~decimal.Decimal` stored as exact text (no float on SQLite, no scale limit on PostgreSQL)."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            raise ValueError(f"cannot store non-finite decimal {value}")
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime (SQLite keeps naive text: UTC is assumed on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} cannot be stored: give it a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def default_database_url() -> str:
    """The per-user SQLite file: ``$XDG_DATA_HOME/trimtab/trimtab.db`` (``~/.local/share`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'trimtab' / 'trimtab.db'}"


def resolve_database_url(url: str | None = None) -> str:
    """The URL to use: ``url`` if given, else ``$TRIMTAB_DB``, else :func:`default_database_url`."""
    return url or os.environ.get(DB_ENV) or default_database_url()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for an in-memory database or another backend)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database)).expanduser()


def redact(url: str) -> str:
    """``url`` with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r":[^:@/]+@", ":***@", url)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout and ``BEGIN IMMEDIATE``.

    Raises
    ------
    DatabaseError
        When the URL cannot be parsed or names a driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise DatabaseError(
            "cannot parse the database URL",
            got=redact(url),
            fix="use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
        ) from err
    try:
        if parsed.get_backend_name() == "sqlite":
            memory = parsed.database in (None, "", ":memory:")
            if not memory:
                Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                parsed,
                connect_args={"timeout": 60, "check_same_thread": False},
                **({"poolclass": StaticPool} if memory else {}),
            )
            _sqlite_pragmas(engine, wal=not memory)
            return engine
        return create_engine(parsed)
    except (NoSuchModuleError, ImportError) as err:
        raise DatabaseError(
            f"no database driver for {parsed.drivername!r}",
            got=redact(url),
            fix="install the driver (pip install 'trimtab[postgres]') or use "
            "postgresql+psycopg://... or sqlite:///...",
        ) from err


def _sqlite_pragmas(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _migrations_dir() -> str:
    return str(resources.files("trimtab.execution").joinpath("migrations"))


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with the shipped Alembic migrations (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _migrations_dir())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def open_database(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """Connect to the database of record and bring its schema up to date.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default from :func:`resolve_database_url`.
    upgrade : bool
        Run the migrations (default). Without it the schema must already be current.

    Raises
    ------
    DatabaseError
        Malformed URL, missing driver, unreachable server or a failed migration; nothing is written then.
    """
    url = resolve_database_url(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as err:
        engine.dispose()
        reason = str(getattr(err, "orig", err)).strip().splitlines()[0] if str(err) else type(err).__name__
        raise DatabaseError(
            f"cannot reach the database ({reason})",
            got=redact(url),
            fix="start the server or correct --db / $TRIMTAB_DB "
            "(e.g. sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB)",
        ) from err
    if upgrade:
        try:
            migrate(engine)
        except (OperationalError, DBAPIError) as err:
            engine.dispose()
            raise DatabaseError(
                "cannot create or upgrade the trimtab tables",
                got=redact(url),
                fix="check that the user may create tables in this database",
            ) from err
    return engine
