"""Fixtures for backtest tests (helpers live in ``backtest_helpers.py``)."""

from __future__ import annotations

import pytest
from backtest_helpers import daily_market

from trimtab.data.market import MarketData


@pytest.fixture(scope="session")
def market3() -> MarketData:
    """Three seeded daily assets, 2018-2020."""
    return daily_market()
