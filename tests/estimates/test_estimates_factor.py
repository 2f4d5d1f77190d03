"""Statistical (PCA) factor model and the factor form B F B' + diag(d)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.estimates import (
    EwmaCovariance,
    FactorModel,
    LedoitWolfCovariance,
    SampleCovariance,
    StatisticalFactorModel,
    pca_factor_model,
)


def _returns(n_rows: int = 300, n_assets: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(n_assets, n_assets)) * 0.01
    return pd.DataFrame(rng.normal(size=(n_rows, n_assets)) @ mix, columns=[f"S{i}" for i in range(n_assets)])


def test_factor_model_with_k_equal_n_reproduces_the_base_matrix() -> None:
    r = _returns()
    base = SampleCovariance().fit(r, 252).matrix
    est = StatisticalFactorModel(n_factors=6).fit(r, 252)
    np.testing.assert_allclose(est.matrix, base, rtol=1e-8, atol=1e-9 * np.abs(base).max())
    np.testing.assert_allclose(est.factor.dense(), est.matrix, rtol=1e-12)
    assert np.all(est.factor.idio_var > 0)


def test_factor_model_keeps_the_base_estimator_conventions() -> None:
    r = _returns(seed=2)
    for base in (LedoitWolfCovariance(), EwmaCovariance(halflife=30)):
        expected = base.fit(r, 12).matrix
        est = StatisticalFactorModel(n_factors=6, base=base).fit(r, 12)
        np.testing.assert_allclose(est.matrix, expected, rtol=1e-8, atol=1e-9 * np.abs(expected).max())
        assert base.fit(r, 12).method in est.method


def test_loadings_are_the_leading_principal_components() -> None:
    r = _returns(seed=4)
    sigma = SampleCovariance().fit(r, 252).matrix
    est = StatisticalFactorModel(n_factors=2).fit(r, 252)
    eigenvalues = np.sort(np.linalg.eigvalsh(sigma))[::-1]
    np.testing.assert_allclose(np.diag(est.factor.factor_cov), eigenvalues[:2], rtol=1e-10)
    np.testing.assert_allclose(est.factor.loadings.T @ est.factor.loadings, np.eye(2), atol=1e-10)
    np.testing.assert_allclose(sigma @ est.factor.loadings, est.factor.loadings * eigenvalues[:2], rtol=1e-8,
                               atol=1e-12)
    assert est.method == "factor(n_factors=2, base=sample)"


def test_more_factors_than_assets_are_capped_and_say_so() -> None:
    est = StatisticalFactorModel(n_factors=10).fit(_returns(n_assets=3), 252)
    assert est.factor.n_factors == 3
    assert est.method == "factor(n_factors=3 of 10 asked, base=sample)"


def test_zero_variance_asset_gets_no_loadings() -> None:
    r = _returns(n_assets=3)
    r["FLAT"] = 0.0
    est = StatisticalFactorModel(n_factors=2).fit(r, 252)
    assert np.all(est.factor.loadings[3] == 0) and est.factor.idio_var[3] == 0
    assert np.all(est.matrix[3] == 0)


def test_factor_model_validates_shapes() -> None:
    with pytest.raises(ValueError, match="factor_cov must have shape"):
        FactorModel(loadings=np.zeros((3, 2)), factor_cov=np.eye(3), idio_var=np.ones(3))
    with pytest.raises(ValueError, match="idio_var must have shape"):
        FactorModel(loadings=np.zeros((3, 2)), factor_cov=np.eye(2), idio_var=np.ones(2))
    with pytest.raises(ValueError, match=">= 0"):
        FactorModel(loadings=np.zeros((3, 2)), factor_cov=np.eye(2), idio_var=-np.ones(3))
    with pytest.raises(ValueError, match="symmetric"):
        FactorModel(loadings=np.zeros((2, 2)), factor_cov=np.array([[1.0, 0.5], [0.0, 1.0]]),
                    idio_var=np.ones(2))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_assets=st.integers(1, 8), data=st.data())
def test_any_k_reproduces_the_diagonal_exactly_is_psd_and_quad_form_matches_dense(
        seed: int, n_assets: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, n_assets), label="k")
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_assets, n_assets + 2)) * rng.uniform(0.001, 0.5, size=(n_assets, 1))
    sigma = a @ a.T
    model = pca_factor_model(sigma, k)
    dense = model.dense()
    np.testing.assert_allclose(np.diag(dense), np.diag(sigma), rtol=1e-12)
    np.testing.assert_allclose(model.variances(), np.diag(sigma), rtol=1e-12)
    assert np.all(model.idio_var > 0)
    assert np.linalg.eigvalsh(dense).min() >= -1e-12 * np.abs(dense).max()
    x = rng.normal(size=n_assets)
    assert model.quad_form(x) == pytest.approx(float(x @ dense @ x), rel=1e-9, abs=1e-15)
    np.testing.assert_allclose(model.matvec(x), dense @ x, rtol=1e-9, atol=1e-15)
    if k == n_assets:
        np.testing.assert_allclose(dense, sigma, rtol=1e-8, atol=1e-9 * np.abs(sigma).max())
