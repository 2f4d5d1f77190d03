"""No look-ahead: perturbing the data after a cut changes no signal reading at or before the cut."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.signals import (
    RegimeDetector,
    TrendSignal,
    absorption_ratio_series,
    absorption_shift,
    turbulence,
)

CUT = 700


def _market(seed: int = 5, rows: int = 900, n: int = 4) -> MarketData:
    sessions = nyse_sessions()
    index = sessions[sessions >= pd.Timestamp("2010-01-04")][:rows]
    rng = np.random.default_rng(seed)
    vol = np.where(np.arange(rows)[:, None] % 300 < 240, 0.008, 0.03)  # calm and turbulent stretches
    steps = rng.normal(0.0003, 1.0, size=(rows, n)) * vol
    prices = 100 * np.exp(np.cumsum(steps, axis=0))
    return MarketData(pd.DataFrame(prices, index=index, columns=[f"A{i}" for i in range(n)]), source="pit")


def _perturbed(market: MarketData, cut: int, seed: int = 1) -> MarketData:
    prices = market.prices.copy()
    rng = np.random.default_rng(seed)
    later = prices.iloc[cut + 1 :].to_numpy()
    prices.iloc[cut + 1 :] = later * np.exp(np.cumsum(rng.normal(0, 0.05, size=later.shape), axis=0))
    return MarketData(prices, source="perturbed")


def test_array_signals_before_the_cut_do_not_change() -> None:
    """Turbulence, absorption ratio and its shift, and both trend signals: rows <= cut identical."""
    base, other = _market(), _perturbed(_market(), CUT)
    for market in (base, other):
        assert market.prices.shape == (900, 4)
    r_base = base.prices.pct_change().to_numpy()[1:]
    r_other = other.prices.pct_change().to_numpy()[1:]
    cut_r = CUT - 1  # returns row of the cut date
    pairs = [
        (turbulence(r_base, window=250), turbulence(r_other, window=250)),
        (absorption_ratio_series(r_base, window=250), absorption_ratio_series(r_other, window=250)),
    ]
    pairs.append(
        (absorption_shift(pairs[1][0], short=15, long=100), absorption_shift(pairs[1][1], short=15, long=100))
    )
    for a, b in pairs:
        np.testing.assert_array_equal(a[: cut_r + 1], b[: cut_r + 1])
        assert not np.allclose(a[cut_r + 30 :], b[cut_r + 30 :], equal_nan=True)
    for signal in (TrendSignal(), TrendSignal("moving_average", 10.0, 0.0)):
        a = signal.compute(base.prices.to_numpy(), 252.0)
        b = signal.compute(other.prices.to_numpy(), 252.0)
        np.testing.assert_array_equal(a[: CUT + 1], b[: CUT + 1])
        assert not np.allclose(a[CUT + 30 :], b[CUT + 30 :])


def test_trend_reading_on_a_snapshot_equals_the_full_series_at_its_row() -> None:
    market = _market()
    prices = market.prices.to_numpy()
    for signal in (TrendSignal(), TrendSignal("moving_average", 10.0, 0.0)):
        full = signal.compute(prices, 252.0)
        for row in (300, 512, CUT):
            snapshot = market.snapshot(market.dates[row])
            np.testing.assert_allclose(signal.at(snapshot, market.symbols), full[row], rtol=1e-12)


@pytest.mark.parametrize("seed", [1, 2])
def test_regime_readings_before_the_cut_do_not_change(seed: int) -> None:
    """The HMM crisis probability at every date up to the cut is the same when later data change (two
    refits before the cut, quarterly refits, 1-year minimum history)."""
    base, other = _market(), _perturbed(_market(), CUT, seed=seed)
    weights = np.full(4, 0.25)
    readers = (
        RegimeDetector(min_history_years=1.0, window_years=3.0),
        RegimeDetector(min_history_years=1.0, window_years=3.0),
    )
    rows = list(range(240, CUT + 1, 23)) + [CUT]
    for row in rows:
        a = readers[0].reading(base.snapshot(base.dates[row]), base.symbols, weights)
        b = readers[1].reading(other.snapshot(other.dates[row]), other.symbols, weights)
        assert (np.isnan(a.crisis_probability) and np.isnan(b.crisis_probability)) or (
            a.crisis_probability == b.crisis_probability
        )
    late = [
        readers[i].reading(m.snapshot(m.dates[880]), m.symbols, weights).crisis_probability
        for i, m in enumerate((base, other))
    ]
    assert late[0] != late[1]


def test_regime_reading_is_high_in_the_turbulent_stretch() -> None:
    """The simulated market is calm (0.8 % daily) with 60-day stretches at 3 %: the reading follows."""
    market = _market()
    reader = RegimeDetector(min_history_years=1.0, window_years=3.0)
    weights = np.full(4, 0.25)
    early = reader.reading(market.snapshot(market.dates[560]), market.symbols, weights)
    turbulent = reader.reading(market.snapshot(market.dates[590]), market.symbols, weights)
    quiet = reader.reading(market.snapshot(market.dates[700]), market.symbols, weights)
    assert turbulent.crisis_probability > 0.9
    assert quiet.crisis_probability < 0.1
    assert early.known and early.fitted_to is not None and early.fitted_to <= market.dates[560]
