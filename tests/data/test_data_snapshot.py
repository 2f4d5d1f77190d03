"""The point-in-time market snapshot: rows stamped on or before its date, read-only, later dates refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trimtab.data.market import MarketData
from trimtab.data.snapshot import MarketSnapshot
from trimtab.errors import LookaheadError, MissingPriceError


@pytest.fixture()
def market() -> MarketData:
    dates = pd.bdate_range("2024-01-01", periods=10)
    prices = pd.DataFrame({"A": np.arange(1.0, 11.0), "B": np.r_[np.nan, np.nan, np.arange(3.0, 11.0)]}, index=dates)
    return MarketData(prices, source="test")


def test_snapshot_holds_only_rows_up_to_its_date(market: MarketData) -> None:
    snap = market.snapshot("2024-01-05")
    assert snap.times[-1] == pd.Timestamp("2024-01-05")
    assert len(snap.times) == 5
    assert snap.price("A") == 5.0
    assert snap.prices().index.max() == pd.Timestamp("2024-01-05")


def test_asking_for_later_data_raises(market: MarketData) -> None:
    snap = market.snapshot("2024-01-05")
    with pytest.raises(LookaheadError, match="2024-01-08"):
        snap.price("A", at="2024-01-08")
    with pytest.raises(LookaheadError):
        snap.check_time(pd.Timestamp("2024-01-06"))


def test_a_snapshot_cannot_be_built_holding_the_future() -> None:
    times = pd.DatetimeIndex(["2024-01-01", "2024-01-02"])
    with pytest.raises(LookaheadError):
        MarketSnapshot(as_of=pd.Timestamp("2024-01-01"), times=times, symbols=("A",), close=np.ones((2, 1)))


def test_snapshot_arrays_are_read_only(market: MarketData) -> None:
    snap = market.snapshot("2024-01-05")
    with pytest.raises(ValueError):
        snap.close[0, 0] = 99.0
    frame = snap.prices()
    frame.iloc[0, 0] = 99.0                     # a copy: the snapshot is unchanged
    assert snap.price("A", at="2024-01-01") == 1.0


def test_missing_prices_are_named(market: MarketData) -> None:
    snap = market.snapshot("2024-01-02")
    with pytest.raises(MissingPriceError, match="B"):
        snap.price("B")
    with pytest.raises(MissingPriceError, match="C"):
        snap.price("C")
    with pytest.raises(MissingPriceError):
        market.snapshot("2023-12-29")


def test_later_rows_do_not_change_an_earlier_snapshot(market: MarketData) -> None:
    changed = market.prices.copy()
    changed.loc["2024-01-08":] *= 3.0
    other = MarketData(changed, source="test")
    a, b = market.snapshot("2024-01-05"), other.snapshot("2024-01-05")
    assert np.array_equal(a.close, b.close, equal_nan=True)
