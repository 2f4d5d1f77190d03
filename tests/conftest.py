"""Shared pytest setup: the ``slow`` marker runs only with ``--runslow``; ``db_url`` for database tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Keep BLAS single-threaded in tests: small LAPACK calls are much slower with threads, and xdist runs 2 workers.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run studies marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow study: run with --runslow or via benchmarks/")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in ``tmp_path``, or a new PostgreSQL schema.

    Every test that asks for ``db_url`` runs on both. PostgreSQL is the local server at 127.0.0.1:5432, database
    ``test`` (or ``$TRIMTAB_TEST_POSTGRES``); each test gets its own schema, dropped afterwards. Without a server
    the PostgreSQL case skips with the reason.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trimtab.db'}"
        return
    from trimtab.testing.fakes import postgres_test_url, temporary_schema

    base, reason = postgres_test_url()
    if base is None:
        pytest.skip(reason)
    with temporary_schema(base) as url:
        yield url
