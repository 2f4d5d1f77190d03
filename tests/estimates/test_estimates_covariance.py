"""Covariance estimators: sample, Ledoit-Wolf, EWMA; cleaning rules; configuration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import LedoitWolf

from trimtab.errors import ConfigError, DataError, SourceRef
from trimtab.estimates import (
    CovarianceEstimate,
    CovarianceEstimator,
    EwmaCovariance,
    LedoitWolfCovariance,
    SampleCovariance,
    StatisticalFactorModel,
    build_estimator,
)


def _returns(n_rows: int = 250, n_assets: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(n_assets, n_assets)) * 0.01
    dates = pd.bdate_range("2020-01-01", periods=n_rows)
    return pd.DataFrame(rng.normal(size=(n_rows, n_assets)) @ mix + 0.0003, index=dates,
                        columns=[f"S{i}" for i in range(n_assets)])


# -- known answers ------------------------------------------------------------------------------------------
def test_sample_covariance_equals_numpy_cov_times_periods_per_year() -> None:
    r = _returns()
    est = SampleCovariance().fit(r, periods_per_year=252)
    np.testing.assert_allclose(est.matrix, np.cov(r.to_numpy(), rowvar=False, ddof=1) * 252, rtol=1e-13)
    assert est.symbols == tuple(r.columns)
    assert est.n_observations == 250 and est.periods_per_year == 252.0 and est.method == "sample"


def test_sample_covariance_hand_example_three_rows() -> None:
    """var(A) of 0.01, -0.01, 0.02 is 7/30000 per period (ddof 1); cov(A, B) is -1/60000 per period."""
    r = pd.DataFrame({"A": [0.01, -0.01, 0.02], "B": [0.0, 0.01, 0.01]})
    est = SampleCovariance().fit(r, periods_per_year=12)
    assert est.matrix[0, 0] == pytest.approx(7 / 30000 * 12, rel=1e-12)
    assert est.matrix[0, 1] == pytest.approx(-1 / 60000 * 12, rel=1e-12)
    assert est.matrix[1, 1] == pytest.approx(1 / 30000 * 12, rel=1e-12)


def test_ledoit_wolf_equals_sklearn_times_periods_per_year() -> None:
    r = _returns(n_rows=60, n_assets=8, seed=3)
    est = LedoitWolfCovariance().fit(r, periods_per_year=252)
    model = LedoitWolf().fit(r.to_numpy())
    np.testing.assert_allclose(est.matrix, model.covariance_ * 252, rtol=1e-12)
    assert est.method.startswith("ledoit_wolf(shrinkage=")


def test_ewma_hand_example_three_rows_halflife_one() -> None:
    """Weights 1/4, 1/2, 1 (oldest first) on returns 0.07, 0, 0.

    Weighted mean 0.01; sum a (r - m)^2 = 0.25*0.0036 + 0.5*0.0001 + 1*0.0001 = 0.00105;
    V1 = 1.75, V2 = 1.3125, V1 - V2/V1 = 1, so the variance is 0.00105 per period (the un-corrected
    version, dividing by V1, would give 0.0006).
    """
    r = pd.DataFrame({"A": [0.07, 0.0, 0.0]})
    est = EwmaCovariance(halflife=1.0).fit(r, periods_per_year=1)
    assert est.matrix[0, 0] == pytest.approx(0.00105, rel=1e-12)


def test_ewma_two_rows_equals_sample_for_any_halflife() -> None:
    """With two rows the reliability-weights variance is (x1 - x2)^2 / 2 whatever the weights."""
    r = pd.DataFrame({"A": [0.01, 0.04], "B": [0.02, -0.01]})
    for halflife in (0.5, 1.0, 7.0, 1e6):
        est = EwmaCovariance(halflife=halflife).fit(r, periods_per_year=252)
        assert est.matrix[0, 0] == pytest.approx(0.03**2 / 2 * 252, rel=1e-12)
        assert est.matrix[0, 1] == pytest.approx(0.03 * -0.03 / 2 * 252, rel=1e-12)


def test_ewma_with_huge_halflife_is_the_sample_covariance() -> None:
    r = _returns(seed=5)
    ewma = EwmaCovariance(halflife=1e12).fit(r, 252)
    sample = SampleCovariance().fit(r, 252)
    np.testing.assert_allclose(ewma.matrix, sample.matrix, rtol=1e-9)


def test_ewma_equals_numpy_cov_with_reliability_weights() -> None:
    r = _returns(seed=6)
    estimator = EwmaCovariance(halflife=20)
    weights = estimator.weights(len(r))
    assert weights[-1] == 1.0 and weights[-21] == pytest.approx(0.5)
    expected = np.cov(r.to_numpy(), rowvar=False, aweights=weights, ddof=1) * 252
    np.testing.assert_allclose(estimator.fit(r, 252).matrix, expected, rtol=1e-10)


def test_ewma_weighs_recent_rows_more() -> None:
    calm, wild = np.full(100, 0.001), np.tile([0.05, -0.05], 50)
    alternating = np.tile([0.001, -0.001], 50)
    r_recent_wild = pd.DataFrame({"A": np.concatenate([calm + alternating, wild])})
    r_old_wild = pd.DataFrame({"A": np.concatenate([wild, calm + alternating])})
    est = EwmaCovariance(halflife=10)
    assert est.fit(r_recent_wild, 252).matrix[0, 0] > 100 * est.fit(r_old_wild, 252).matrix[0, 0]


# -- cleaning: lookback, missing values, too few rows ------------------------------------------------------
def test_rows_with_any_missing_value_are_dropped() -> None:
    r = _returns(n_rows=40)
    dirty = r.copy()
    dirty.iloc[3, 1] = np.nan
    dirty.iloc[10, 2] = np.inf
    expected = np.cov(r.drop(index=r.index[[3, 10]]).to_numpy(), rowvar=False) * 252
    for estimator in (SampleCovariance(), EwmaCovariance(halflife=1e12)):
        est = estimator.fit(dirty, 252)
        assert est.n_observations == 38
        np.testing.assert_allclose(est.matrix, expected, rtol=1e-8)


def test_lookback_uses_the_last_rows() -> None:
    r = _returns(n_rows=100)
    est = SampleCovariance(lookback=30).fit(r, 252)
    np.testing.assert_allclose(est.matrix, np.cov(r.iloc[-30:].to_numpy(), rowvar=False) * 252, rtol=1e-13)
    assert est.n_observations == 30


@pytest.mark.parametrize("estimator", [SampleCovariance(), LedoitWolfCovariance(), EwmaCovariance()],
                         ids=repr)
def test_fewer_than_two_complete_rows_raise_a_clear_data_error(estimator: CovarianceEstimator) -> None:
    r = pd.DataFrame({"OLD": [0.01, 0.02, -0.01, 0.0], "NEW": [np.nan, np.nan, np.nan, 0.01]})
    with pytest.raises(DataError, match=r"at least 2 periods.*only 1 of the 4.*NEW has 1"):
        estimator.fit(r, 252)


def test_factor_model_needs_n_factors_plus_two_rows() -> None:
    r = _returns(n_rows=4, n_assets=5)
    with pytest.raises(DataError, match="at least 5 periods"):
        StatisticalFactorModel(n_factors=3).fit(r, 252)
    assert StatisticalFactorModel(n_factors=2).fit(r, 252).n_observations == 4


def test_bad_inputs_to_fit() -> None:
    with pytest.raises(DataError, match="no symbols"):
        SampleCovariance().fit(pd.DataFrame(index=range(3)), 252)
    with pytest.raises(DataError, match="duplicate symbols in the returns: A"):
        SampleCovariance().fit(pd.DataFrame([[0.1, 0.2], [0.0, 0.1]], columns=["A", "A"]), 252)
    with pytest.raises(ConfigError, match="periods_per_year"):
        SampleCovariance().fit(_returns(), 0)
    with pytest.raises(TypeError, match="DataFrame"):
        SampleCovariance().fit(np.zeros((5, 2)), 252)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="lookback"):
        SampleCovariance(lookback=0).fit(_returns(), 252)
    with pytest.raises(ConfigError, match="halflife"):
        EwmaCovariance(halflife=-3).fit(_returns(), 252)
    with pytest.raises(DataError, match="longer halflife"):
        EwmaCovariance(halflife=1e-3).fit(_returns(), 252)


def test_single_asset_estimates() -> None:
    """One column: sample and factor give var (ddof 1); sklearn's Ledoit-Wolf gives the ddof-0 variance."""
    r = _returns(n_assets=1)
    x = r.to_numpy()[:, 0]
    assert SampleCovariance().fit(r, 252).matrix[0, 0] == pytest.approx(np.var(x, ddof=1) * 252, rel=1e-12)
    factor = StatisticalFactorModel().fit(r, 252).matrix[0, 0]
    assert factor == pytest.approx(np.var(x, ddof=1) * 252, rel=1e-12)
    shrunk = LedoitWolfCovariance().fit(r, 252).matrix[0, 0]
    assert shrunk == pytest.approx(np.var(x, ddof=0) * 252, rel=1e-12)
    a = EwmaCovariance().weights(len(x))
    assert EwmaCovariance().fit(r, 252).matrix[0, 0] == pytest.approx(
        float(np.cov(x, aweights=a, ddof=1)) * 252, rel=1e-12)


# -- configuration -----------------------------------------------------------------------------------------
def test_build_estimator_from_specs() -> None:
    assert isinstance(build_estimator(None), SampleCovariance)
    assert isinstance(build_estimator("sample"), SampleCovariance)
    assert isinstance(build_estimator("ledoit_wolf"), LedoitWolfCovariance)
    ewma = build_estimator({"kind": "ewma", "halflife": 60})
    assert isinstance(ewma, EwmaCovariance) and ewma.halflife == 60
    factor = build_estimator({"kind": "factor", "n_factors": 3, "base": {"kind": "ewma", "halflife": 20}})
    assert isinstance(factor, StatisticalFactorModel) and factor.n_factors == 3
    assert isinstance(factor.base, EwmaCovariance) and factor.base.halflife == 20
    assert repr(factor) == "StatisticalFactorModel(n_factors=3, base=EwmaCovariance(halflife=20))"
    assert repr(build_estimator({"kind": "factor"})) == "StatisticalFactorModel()"


@pytest.mark.parametrize(("spec", "message"), [
    ("garch", r"portfolio.yaml:7 risk.kind: unknown covariance estimator 'garch'.*Fix: use one of sample"),
    ({"halflife": 3}, r"risk: missing kind"),
    ({"kind": "ewma", "half_life": 3}, r"unknown parameter 'half_life' for the ewma estimator"),
    ({"kind": "ewma", "halflife": 0}, r"halflife must be a positive number"),
    ({"kind": "sample", "lookback": 2.5}, r"lookback must be a whole number"),
    ({"kind": "factor", "n_factors": 0}, r"n_factors must be a whole number >= 1"),
    ({"kind": "factor", "base": "magic"}, r"risk.base.kind: unknown covariance estimator 'magic'"),
    ({"kind": "factor", "base": {"kind": "factor"}}, r"base must be a covariance estimator"),
    (42, r"a risk model must be a kind or a mapping"),
])
def test_build_estimator_rejects_bad_specs_with_a_located_message(spec: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        build_estimator(spec, SourceRef("portfolio.yaml", 7, "risk"))  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


# -- properties -------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_rows=st.integers(2, 40), n_assets=st.integers(1, 6),
       halflife=st.floats(0.5, 500.0), ppy=st.sampled_from([1.0, 12.0, 52.0, 252.0]))
def test_every_estimate_is_symmetric_psd_and_read_only(seed: int, n_rows: int, n_assets: int, halflife: float,
                                                       ppy: float) -> None:
    r = _returns(n_rows=n_rows, n_assets=n_assets, seed=seed)
    for estimator in (SampleCovariance(), LedoitWolfCovariance(), EwmaCovariance(halflife=halflife)):
        est = estimator.fit(r, ppy)
        assert isinstance(est, CovarianceEstimate)
        assert np.array_equal(est.matrix, est.matrix.T)
        scale = max(float(np.abs(est.matrix).max()), 1e-300)
        assert np.linalg.eigvalsh(est.matrix).min() >= -1e-9 * scale
        assert not est.matrix.flags.writeable
        np.testing.assert_allclose(est.per_period() * ppy, est.matrix, rtol=1e-12)
