"""Database fixtures for the book tests: every ``db_url`` test runs on SQLite and on PostgreSQL.

PostgreSQL is the local server at 127.0.0.1:5432, database ``test`` (or ``$TRIMTAB_TEST_POSTGRES``); each test
gets its own schema, dropped afterwards. Without a server the PostgreSQL cases skip with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trimtab.testing.fakes import postgres_test_url, temporary_schema


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in ``tmp_path``, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trimtab.db'}"
        return
    base, reason = postgres_test_url()
    if base is None:
        pytest.skip(reason)
    with temporary_schema(base) as url:
        yield url
