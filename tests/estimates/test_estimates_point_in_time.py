"""estimate_covariance: point-in-time returns from a snapshot, cash rows, the bundled data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trimtab.data.market import MarketData
from trimtab.data.samples import us_stocks
from trimtab.errors import LookaheadError, MissingPriceError
from trimtab.estimates import (
    EwmaCovariance,
    LedoitWolfCovariance,
    SampleCovariance,
    StatisticalFactorModel,
    estimate_covariance,
)


@pytest.fixture(scope="module")
def market() -> MarketData:
    return MarketData(us_stocks().iloc[-1200:, :8], source="builtin:us-stocks")


@pytest.mark.parametrize("estimator", [None, LedoitWolfCovariance(), EwmaCovariance(halflife=30),
                                       StatisticalFactorModel(n_factors=3)], ids=repr)
def test_estimate_at_t_ignores_data_after_t(market: MarketData, estimator: object) -> None:
    """Perturbing every row after t changes nothing in the estimate at t (and the rows are really used)."""
    t = market.dates[-300]
    symbols = list(market.symbols[:5])
    before = estimate_covariance(market.snapshot(t), symbols, estimator, lookback=500)  # type: ignore[arg-type]
    perturbed_prices = market.prices.copy()
    rng = np.random.default_rng(1)
    later = perturbed_prices.index > t
    perturbed_prices.loc[later] *= rng.uniform(0.5, 2.0, size=(int(later.sum()), market.prices.shape[1]))
    perturbed = MarketData(perturbed_prices, source="perturbed")
    after = estimate_covariance(perturbed.snapshot(t), symbols, estimator, lookback=500)  # type: ignore[arg-type]
    np.testing.assert_array_equal(before.matrix, after.matrix)
    assert before.n_observations == 500
    later_estimate = estimate_covariance(perturbed.snapshot(), symbols, estimator, lookback=500)  # type: ignore[arg-type]
    assert not np.allclose(later_estimate.matrix, before.matrix)


def test_snapshot_refuses_later_dates(market: MarketData) -> None:
    snap = market.snapshot(market.dates[-300])
    with pytest.raises(LookaheadError):
        snap.check_time(market.dates[-1])


def test_estimate_matches_sample_covariance_of_snapshot_returns(market: MarketData) -> None:
    snap = market.snapshot()
    symbols = list(market.symbols[:3])
    est = estimate_covariance(snap, symbols, lookback=252)
    returns = market.prices[symbols].pct_change(fill_method=None).iloc[-252:]
    np.testing.assert_allclose(est.matrix, np.cov(returns.to_numpy(), rowvar=False) * 252, rtol=1e-12)
    assert est.symbols == tuple(symbols) and est.periods_per_year == 252.0
    vols = est.volatilities()
    assert np.all((vols > 0.05) & (vols < 1.5))        # stocks: 5 % to 150 % a year
    assert np.all(np.abs(est.correlation()) <= 1 + 1e-12)


def test_cash_gets_zero_rows_in_dense_and_factor_form(market: MarketData) -> None:
    symbols = [market.symbols[0], "CASH", market.symbols[1]]
    est = estimate_covariance(market.snapshot(), symbols, StatisticalFactorModel(n_factors=1), lookback=252)
    assert est.symbols == tuple(symbols)
    assert np.all(est.matrix[1] == 0) and np.all(est.matrix[:, 1] == 0)
    assert est.factor is not None and np.all(est.factor.loadings[1] == 0) and est.factor.idio_var[1] == 0
    np.testing.assert_allclose(est.factor.dense(), est.matrix, rtol=1e-12)
    plain = estimate_covariance(market.snapshot(), [symbols[0], symbols[2]],
                                StatisticalFactorModel(n_factors=1), lookback=252)
    np.testing.assert_array_equal(est.select([symbols[0], symbols[2]]).matrix, plain.matrix)
    only_cash = estimate_covariance(market.snapshot(), ["CASH"])
    assert only_cash.matrix.shape == (1, 1) and only_cash.matrix[0, 0] == 0


def test_unknown_symbol_and_recent_listing(market: MarketData) -> None:
    with pytest.raises(MissingPriceError, match="NOPE"):
        estimate_covariance(market.snapshot(), ["NOPE"])
    prices = market.prices.iloc[:, :2].copy()
    prices.iloc[:-10, 1] = np.nan                       # listed ten days ago: nine returns
    est = estimate_covariance(MarketData(prices).snapshot(), list(prices.columns), SampleCovariance())
    assert est.n_observations == 9


def test_whole_bundled_history_all_estimators_psd() -> None:
    market = MarketData(us_stocks(), source="builtin:us-stocks")
    snap = market.snapshot(pd.Timestamp("2022-12-28"))
    for estimator in (SampleCovariance(), LedoitWolfCovariance(), EwmaCovariance(),
                      StatisticalFactorModel(n_factors=5, base=LedoitWolfCovariance())):
        est = estimate_covariance(snap, market.symbols, estimator)
        assert est.n_observations == 756
        assert np.linalg.eigvalsh(est.matrix).min() > 0
