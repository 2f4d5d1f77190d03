"""Tracking error to target with Euler contributions; diversification return (KAT-15)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.analytics import diversification_return, tracking_error, tracking_error_to_target
from trimtab.errors import DataError, UniverseMismatchError
from trimtab.estimates import CovarianceEstimate, SampleCovariance, StatisticalFactorModel, pca_factor_model

# sigma 20 % and 30 % a year, correlation 1/6
SIGMA = np.array([[0.04, 0.01], [0.01, 0.09]])


# -- known answers ------------------------------------------------------------------------------------------
def test_two_asset_hand_example() -> None:
    """d = (+10 pp, -5 pp): Sigma d = (0.0035, -0.0035), d' Sigma d = 0.000525, TE = 2.29 %/yr.

    Contributions 0.00035 / TE and 0.000175 / TE: two thirds and one third of TE.
    """
    report = tracking_error(np.array([0.10, -0.05]), SIGMA, symbols=["A", "B"])
    assert report.value == pytest.approx(math.sqrt(0.000525), rel=1e-14)
    assert report.value == pytest.approx(0.0229128784747792, rel=1e-14)
    expected = [0.00035 / report.value, 0.000175 / report.value]
    np.testing.assert_allclose(report.contributions, expected, rtol=1e-13)
    assert report.by_symbol()["A"] == pytest.approx(2 / 3 * report.value)
    assert report.variance == pytest.approx(0.000525)


def test_annualised_equals_per_period_times_periods_per_year() -> None:
    rng = np.random.default_rng(7)
    returns = pd.DataFrame(rng.normal(0, 0.01, size=(500, 3)) @ rng.normal(size=(3, 3)), columns=list("XYZ"))
    est = SampleCovariance().fit(returns, periods_per_year=252)
    d = np.array([0.03, -0.01, -0.02])
    per_period = est.per_period()
    assert tracking_error(d, est).value == pytest.approx(math.sqrt(d @ per_period @ d * 252), rel=1e-13)


def test_zero_drift_gives_zero_without_dividing_by_zero() -> None:
    report = tracking_error(np.zeros(2), SIGMA)
    assert report.value == 0.0 and np.all(report.contributions == 0.0)
    padded = np.pad(SIGMA, ((0, 1), (0, 1)))
    cash_only = tracking_error(np.array([0.0, 0.0, 0.05]), padded, ["A", "B", "CASH"])
    assert cash_only.value == 0.0 and cash_only.by_symbol() == {"A": 0.0, "B": 0.0, "CASH": 0.0}


def test_cash_drift_adds_no_tracking_error() -> None:
    padded = np.pad(SIGMA, ((0, 1), (0, 1)))
    with_cash = tracking_error(np.array([0.10, -0.05, -0.05]), padded)
    assert with_cash.value == pytest.approx(tracking_error(np.array([0.10, -0.05]), SIGMA).value, rel=1e-15)
    assert with_cash.contributions[2] == 0.0


def test_tracking_error_to_target_aligns_symbols_and_handles_cash() -> None:
    est = CovarianceEstimate(symbols=("B", "A"), matrix=SIGMA[::-1, ::-1], periods_per_year=252,
                             n_observations=100, method="given")
    weights = {"A": 0.50, "B": 0.35, "CASH": 0.15}
    report = tracking_error_to_target(weights, {"A": 0.40, "B": 0.40, "CASH": 0.20}, est)
    assert report.symbols == ("B", "A", "CASH")
    assert report.value == pytest.approx(math.sqrt(0.000525), rel=1e-14)
    assert report.by_symbol()["CASH"] == 0.0 and report.active[2] == pytest.approx(-0.05)
    with pytest.raises(UniverseMismatchError, match="no covariance for C"):
        tracking_error_to_target({"A": 0.5, "C": 0.5}, {"A": 1.0}, est)
    # a symbol without covariance but with zero drift is fine
    assert tracking_error_to_target({"A": 0.5, "B": 0.5, "C": 0.0}, {"A": 0.5, "B": 0.5}, est).value == 0.0


def test_rejects_wrong_shapes_and_non_psd() -> None:
    with pytest.raises(UniverseMismatchError, match="3 entries"):
        tracking_error(np.zeros(3), SIGMA)
    with pytest.raises(DataError, match="not positive semi-definite"):
        tracking_error(np.array([1.0, 1.0]), np.array([[0.01, 0.05], [0.05, 0.01]]) * -1)
    with pytest.raises(DataError, match="finite"):
        tracking_error(np.array([np.nan, 0.0]), SIGMA)


def test_factor_form_gives_the_dense_answer() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 8)) * 0.1
    model = pca_factor_model(a @ a.T, 2)
    d = rng.normal(size=6) * 0.02
    dense = tracking_error(d, model.dense())
    factor = tracking_error(d, model)
    assert factor.value == pytest.approx(dense.value, rel=1e-12)
    np.testing.assert_allclose(factor.contributions, dense.contributions, rtol=1e-10, atol=1e-16)
    est = StatisticalFactorModel(n_factors=2).fit(pd.DataFrame(rng.normal(size=(50, 6)) * 0.01), 12)
    assert est.factor is not None
    assert tracking_error(d, est).value == pytest.approx(tracking_error(d, est.matrix).value, rel=1e-12)


# -- KAT-15: diversification return ----------------------------------------------------------------------
def test_kat15_diversification_return_formula() -> None:
    """KAT-15: 50/50 uncorrelated, sigma 20 % -> 1.00 %/yr; 60/40, sigma 20 %/10 %, rho 0.5 -> 0.36 %/yr."""
    assert diversification_return([0.5, 0.5], np.diag([0.04, 0.04])) == pytest.approx(0.01, abs=1e-12)
    cov = np.array([[0.04, 0.5 * 0.2 * 0.1], [0.5 * 0.2 * 0.1, 0.01]])
    assert diversification_return(np.array([0.6, 0.4]), cov) == pytest.approx(0.0036, abs=1e-12)
    model = pca_factor_model(cov, 2)                     # k = n: the same matrix
    assert diversification_return(np.array([0.6, 0.4]), model) == pytest.approx(0.0036, abs=1e-12)
    assert diversification_return([1.0, 0.0], cov) == pytest.approx(0.0, abs=1e-15)   # one asset: nothing


def test_kat15_simulated_rebalanced_growth_beats_average_log_growth_by_the_formula() -> None:
    """KAT-15 by simulation: daily-rebalanced 50/50 of two uncorrelated GBMs (sigma 20 %) over 200 years.

    The diffusion terms cancel exactly in continuous time, so the gap is nearly deterministic; the
    daily-discretisation noise has a standard deviation of about 6e-5 per year here (measured over seeds
    0-99).
    """
    rng = np.random.default_rng(15)
    dt, years, sigma = 1 / 252, 200, 0.2
    steps = int(years / dt)
    log_returns = (0.07 - sigma**2 / 2) * dt + sigma * math.sqrt(dt) * rng.standard_normal((steps, 2))
    w = np.array([0.5, 0.5])
    portfolio_log_growth = np.log1p(np.expm1(log_returns) @ w).sum() / years
    average_log_growth = (log_returns @ w).sum() / years
    gap = portfolio_log_growth - average_log_growth
    expected = diversification_return(w, np.diag([sigma**2, sigma**2]))
    assert gap == pytest.approx(expected, abs=5e-4)


# -- properties -------------------------------------------------------------------------------------------
def _psd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.normal(size=(n, max(1, n - 1))) * rng.uniform(0.01, 0.6, size=(n, 1))
    return a @ a.T


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10), zero_share=st.floats(0.0, 1.0))
def test_te_is_non_negative_and_contributions_sum_to_te(seed: int, n: int, zero_share: float) -> None:
    rng = np.random.default_rng(seed)
    sigma = _psd(rng, n)
    d = rng.normal(size=n) * 0.05
    d[rng.uniform(size=n) < zero_share] = 0.0
    for cov in (sigma, pca_factor_model(sigma, max(1, n // 2))):
        report = tracking_error(d, cov)
        assert report.value >= 0.0
        assert math.fsum(report.contributions) == pytest.approx(report.value, rel=1e-9, abs=1e-15)
        assert np.all(report.contributions[d == 0.0] == 0.0)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), extra=st.integers(1, 4))
def test_te_is_invariant_to_adding_zero_drift_assets(seed: int, n: int, extra: int) -> None:
    rng = np.random.default_rng(seed)
    big = _psd(rng, n + extra) + np.diag(rng.uniform(0.0, 0.05, size=n + extra))
    d = np.concatenate([rng.normal(size=n) * 0.05, np.zeros(extra)])
    small = tracking_error(d[:n], big[:n, :n])
    full = tracking_error(d, big)
    assert full.value == pytest.approx(small.value, rel=1e-12, abs=1e-16)
    np.testing.assert_allclose(full.contributions[:n], small.contributions, rtol=1e-10, atol=1e-16)
    assert np.all(full.contributions[n:] == 0.0)
