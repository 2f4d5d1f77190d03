"""Shared pytest setup: the ``slow`` marker runs only with ``--runslow``."""

from __future__ import annotations

import os

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
