"""Known answers of the signals: KAT-31 (turbulence), KAT-32 (absorption ratio), KAT-33 (regimes), trend."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.signals import (
    absorption_ratio,
    absorption_ratio_series,
    absorption_shift,
    chi2_percentile,
    expected_durations,
    filtered_probabilities,
    fit_regimes,
    momentum_12_1,
    moving_average_trend,
    stationary_distribution,
    turbulence,
    turbulence_in_sample,
)
from trimtab.signals.regime import continue_filter

# -- KAT-31 turbulence ------------------------------------------------------------------------------------
KAT31 = {
    2: (1.38629, 2.30259, 2.99573),
    10: (1.25489, 1.59872, 1.83070),
    20: (1.19138, 1.42060, 1.57052),
}


@pytest.mark.parametrize("n", sorted(KAT31))
def test_kat31_chi_squared_percentiles(n: int) -> None:
    """KAT-31: with the true moments ``n d ~ chi2_n``; the 75/90/95th percentiles of ``d`` are chi2/n."""
    for p, expected in zip((0.75, 0.90, 0.95), KAT31[n], strict=True):
        assert chi2_percentile(n, p) == pytest.approx(expected, abs=1e-5)


@settings(max_examples=200, deadline=None)
@given(
    t_count=st.integers(min_value=8, max_value=80),
    n=st.integers(min_value=1, max_value=5),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    scale=st.floats(min_value=1e-3, max_value=1e2),
)
def test_kat31_in_sample_mean_is_exactly_one(t_count: int, n: int, seed: int, scale: float) -> None:
    """KAT-31 exact identity: sample mean and ddof=0 covariance give an in-sample mean of exactly 1;
    ddof=1 gives exactly (T-1)/T (any data, 1e-10)."""
    rng = np.random.default_rng(seed)
    returns = rng.standard_t(4, size=(t_count, n)) * scale + rng.normal(size=n)
    assert turbulence_in_sample(returns, ddof=0).mean() == pytest.approx(1.0, abs=1e-10)
    assert turbulence_in_sample(returns, ddof=1).mean() == pytest.approx((t_count - 1) / t_count, abs=1e-10)


def test_kat31_trailing_turbulence_of_iid_normal_returns_matches_chi_squared() -> None:
    """Trailing-window turbulence on i.i.d. normal returns (n = 10, 2,000-period window): mean about 1
    (a finite window inflates it by about (n + 2) / W = 0.6 %) and percentiles about chi2/n."""
    rng = np.random.default_rng(31)
    n, window = 10, 2000
    cov = 0.5 * np.eye(n) + 0.5
    returns = rng.multivariate_normal(np.full(n, 0.001), cov * 1e-4, size=window + 10_000)
    d = turbulence(returns, window=window)[window:]
    assert np.isnan(turbulence(returns, window=window)[: n + 2]).all()
    assert d.mean() == pytest.approx(1.0 + (n + 2) / window, abs=0.015)
    for p, expected in zip((0.75, 0.90, 0.95), KAT31[n], strict=True):
        assert np.quantile(d, p) == pytest.approx(expected, rel=0.025)


def test_turbulence_reading_uses_only_the_rows_before_it() -> None:
    """Row t is measured against rows t - window .. t - 1 (hand check with numpy)."""
    rng = np.random.default_rng(3)
    r = rng.normal(size=(60, 3))
    d = turbulence(r, window=40)
    history = r[59 - 40 : 59]
    mu = history.mean(axis=0)
    sigma = np.cov(history, rowvar=False, ddof=1)
    expected = (r[59] - mu) @ np.linalg.solve(sigma, r[59] - mu) / 3
    assert d[59] == pytest.approx(expected, rel=1e-9)


# -- KAT-32 absorption ratio ------------------------------------------------------------------------------
def _common(n: int, rho: float) -> np.ndarray:
    return (1.0 - rho) * np.eye(n) + rho * np.ones((n, n))


@pytest.mark.parametrize(
    ("n", "rho", "k", "expected"),
    [(10, 0.5, 2, 0.60), (10, 0.5, 1, 0.55), (20, 0.3, 4, 0.44), (5, 0.9, 1, 0.92), (10, 0.0, 2, 0.20)],
)
def test_kat32_absorption_ratio_of_common_correlation(n: int, rho: float, k: int, expected: float) -> None:
    """KAT-32: AR = (1 + (N-1) rho + (k-1)(1-rho)) / N for unit variances and common correlation rho."""
    assert absorption_ratio(_common(n, rho), k) == pytest.approx(expected, abs=1e-10)
    formula = (1 + (n - 1) * rho + (k - 1) * (1 - rho)) / n
    assert formula == pytest.approx(expected, abs=1e-12)


def test_kat32_absorption_ratio_does_not_depend_on_a_common_scale() -> None:
    assert absorption_ratio(7.3 * _common(10, 0.5), 2) == pytest.approx(0.60, abs=1e-10)


def test_absorption_series_recovers_the_common_correlation_value() -> None:
    """On simulated returns with rho = 0.5, N = 10 the trailing 500-period ratio (k = 2) is near 0.60, and
    it rises when correlation rises (the shift turns positive)."""
    rng = np.random.default_rng(32)
    calm = rng.multivariate_normal(np.zeros(10), _common(10, 0.5), size=1500)
    tight = rng.multivariate_normal(np.zeros(10), _common(10, 0.9), size=200)
    ar = absorption_ratio_series(np.vstack([calm, tight]), window=500, n_components=2)
    assert np.nanmean(ar[500:1500]) == pytest.approx(0.60, abs=0.02)
    assert ar[-1] > ar[1499] + 0.05
    shift = absorption_shift(ar, short=15, long=252)
    assert shift[-1] > 1.0  # the paper's signal: beyond one standard deviation


# -- KAT-33 regimes ----------------------------------------------------------------------------------------
def test_kat33_durations_and_stationary_probabilities_of_the_true_chain() -> None:
    """KAT-33: p11 = 0.98, p22 = 0.90 -> durations 50 and 10, stationary 5/6 and 1/6 (exact)."""
    p = np.array([[0.98, 0.02], [0.10, 0.90]])
    np.testing.assert_allclose(expected_durations(p), [50.0, 10.0], rtol=1e-12)
    np.testing.assert_allclose(stationary_distribution(p), [5 / 6, 1 / 6], rtol=1e-12)
    assert min(np.abs(np.linalg.eigvals(p))) == pytest.approx(0.88, abs=1e-12)


def _simulate_hmm(t_count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.array([[0.98, 0.02], [0.10, 0.90]])
    states = np.zeros(t_count, dtype=int)
    u = rng.random(t_count)
    for t in range(1, t_count):
        states[t] = int(u[t] < p[states[t - 1], 1])
    means, sds = np.array([0.0005, -0.0015]), np.array([0.008, 0.025])
    return rng.normal(means[states], sds[states]), states


def test_kat33_fitted_hmm_recovers_durations_and_shares_within_sampling_error() -> None:
    """KAT-33 on 10,000 simulated periods: fitted durations within 3 standard errors of 50 and 10
    (SE about 3.8 and 0.75 from the binomial error of p11, p22), stationary shares within 0.03 of 5/6 and
    1/6, persistence within 0.02 of 0.88, filtered decoding accuracy above 90 %."""
    x, states = _simulate_hmm(10_000, seed=33)
    fit = fit_regimes(x, seed=0)
    durations = fit.durations
    assert durations[0] == pytest.approx(50.0, abs=3 * 3.8)
    assert durations[1] == pytest.approx(10.0, abs=3 * 0.75)
    np.testing.assert_allclose(fit.stationary, [5 / 6, 1 / 6], atol=0.03)
    assert fit.persistence == pytest.approx(0.88, abs=0.02)
    assert fit.volatilities[0] < fit.volatilities[1]  # state 0 is calm
    probabilities = filtered_probabilities(fit, x)
    accuracy = np.mean((probabilities[:, 1] > 0.5) == (states == 1))
    assert accuracy > 0.90
    # continuing the filter from a row equals filtering the whole series
    np.testing.assert_allclose(
        continue_filter(fit, probabilities[999], x[1000:1500]), probabilities[1499], atol=1e-12
    )


# -- trend --------------------------------------------------------------------------------------------------
def test_momentum_12_1_by_hand() -> None:
    """p_{t-1m} / p_{t-12m} - 1 on a geometric path with 1 % per period: (1.01)^(12-1) - 1 for monthly rows."""
    prices = 100 * 1.01 ** np.arange(30, dtype=float)
    m = momentum_12_1(prices[:, None], lookback=12, skip=1)[:, 0]
    assert np.isnan(m[:12]).all()
    np.testing.assert_allclose(m[12:], 1.01**11 - 1.0, rtol=1e-12)


def test_moving_average_trend_by_hand() -> None:
    prices = np.array([[1.0], [2.0], [3.0], [4.0], [np.nan], [6.0]])
    trend = moving_average_trend(prices, 3)[:, 0]
    assert np.isnan(trend[:2]).all()
    assert trend[2] == pytest.approx(3.0 / 2.0 - 1.0)
    assert trend[3] == pytest.approx(4.0 / 3.0 - 1.0)
    assert np.isnan(trend[4]) and np.isnan(trend[5])  # a gap in the window leaves it unknown
