"""Factor form of a covariance, ``Sigma = B F B' + diag(d)``, and a statistical (PCA) factor model.

:class:`StatisticalFactorModel` takes the ``k`` leading principal components of a base covariance
``Sigma0 = V diag(lam) V'`` (eigenvalues in decreasing order):

* ``B = V[:, :k]`` (orthonormal columns; each column's sign fixed so its largest entry is positive),
* ``F = diag(lam[:k])`` (factor variances, per year),
* ``d_i = Sigma0_ii - (B F B')_ii`` so the diagonal (each asset's variance) is reproduced exactly.

``d_i`` is kept at least ``1e-10 * Sigma0_ii`` (strictly positive for every asset with positive variance,
which keeps ``x' Sigma x`` strictly convex in the optimizer). When the residual is smaller than that (``k``
close to ``n``), row ``i`` of ``B`` is scaled down by ``sqrt(1 - 1e-10 ...)`` so the diagonal stays exact;
off-diagonal entries then move by a relative ~5e-11. With ``k = n`` the base matrix is reproduced to that
precision. An asset with zero variance gets zero loadings and ``d_i = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trimtab.errors import ConfigError, SourceRef
from trimtab.estimates.base import (
    CovarianceEstimate,
    CovarianceEstimator,
    check_lookback,
    check_periods_per_year,
    clean_returns,
    describe_params,
    param_ref,
)
from trimtab.estimates.covariance import SampleCovariance
from trimtab.typing import FloatArray

__all__ = ["IDIO_FLOOR", "FactorModel", "StatisticalFactorModel", "pca_factor_model"]

#: Smallest idiosyncratic variance kept, relative to the asset's total variance.
IDIO_FLOOR = 1e-10


@dataclass(frozen=True, eq=False)
class FactorModel:
    """A covariance in factor form ``Sigma = B F B' + diag(d)`` (annualised).

    Parameters
    ----------
    loadings : ndarray of shape (n, k)
        ``B``: exposure of each asset to each factor.
    factor_cov : ndarray of shape (k, k)
        ``F``: covariance of the factors per year, symmetric PSD.
    idio_var : ndarray of shape (n,)
        ``d``: idiosyncratic variance of each asset per year, >= 0.
    """

    loadings: FloatArray
    factor_cov: FloatArray
    idio_var: FloatArray

    def __post_init__(self) -> None:
        b = np.array(self.loadings, dtype=np.float64, copy=True)
        f = np.array(self.factor_cov, dtype=np.float64, copy=True)
        d = np.array(self.idio_var, dtype=np.float64, copy=True)
        if b.ndim != 2:
            raise ValueError(f"loadings must be 2-D (n, k), got shape {b.shape}")
        n, k = b.shape
        if f.shape != (k, k):
            raise ValueError(f"factor_cov must have shape ({k}, {k}) for {k} factors, got {f.shape}")
        if d.shape != (n,):
            raise ValueError(f"idio_var must have shape ({n},), got {d.shape}")
        if not (np.all(np.isfinite(b)) and np.all(np.isfinite(f)) and np.all(np.isfinite(d))):
            raise ValueError("factor model entries must be finite")
        if np.any(d < 0):
            raise ValueError(f"idiosyncratic variances must be >= 0, got min {d.min():g}")
        scale = max(float(np.abs(f).max(initial=0.0)), 1e-300)
        if not np.allclose(f, f.T, rtol=0.0, atol=1e-10 * scale):
            raise ValueError("factor_cov must be symmetric")
        f = 0.5 * (f + f.T)
        for name, value in (("loadings", b), ("factor_cov", f), ("idio_var", d)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_assets(self) -> int:
        """``n``, the number of assets."""
        return int(self.loadings.shape[0])

    @property
    def n_factors(self) -> int:
        """``k``, the number of factors."""
        return int(self.loadings.shape[1])

    def dense(self) -> FloatArray:
        """``B F B' + diag(d)``, ndarray of shape (n, n), per year."""
        common = self.loadings @ self.factor_cov @ self.loadings.T
        out = 0.5 * (common + common.T)
        out[np.diag_indices_from(out)] += self.idio_var
        return np.asarray(out)

    def variances(self) -> FloatArray:
        """Diagonal of the dense matrix, ``diag(B F B') + d``, ndarray of shape (n,), without forming it."""
        common = np.einsum("ij,jk,ik->i", self.loadings, self.factor_cov, self.loadings)
        return np.asarray(common + self.idio_var)

    def matvec(self, x: FloatArray) -> FloatArray:
        """``Sigma @ x = B (F (B' x)) + d * x`` in O(n k), ndarray of shape (n,)."""
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(self.loadings @ (self.factor_cov @ (self.loadings.T @ x)) + self.idio_var * x)

    def quad_form(self, x: FloatArray) -> float:
        """``x' Sigma x = (B'x)' F (B'x) + sum d x^2`` without forming the dense matrix.

        Parameters
        ----------
        x : ndarray of shape (n,)
            Weights (or active weights), fractions of value.

        Returns
        -------
        float
            Variance per year (``x`` in fractions of value: squared fraction per year).
        """
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.n_assets,):
            raise ValueError(f"x must have shape ({self.n_assets},), got {x.shape}")
        y = self.loadings.T @ x
        return float(y @ self.factor_cov @ y + np.sum(self.idio_var * x * x))


class StatisticalFactorModel:
    """``k`` principal components of a base covariance plus idiosyncratic variances (see module docstring).

    Parameters
    ----------
    n_factors : int
        ``k`` >= 1. With fewer assets than ``k`` all ``n`` components are used (``method`` says so).
    base : CovarianceEstimator
        Estimator of the covariance to decompose (default :class:`SampleCovariance`).
    lookback : int, optional
        Use only the last ``lookback`` rows of returns before the base estimator sees them.
    """

    def __init__(self, *, n_factors: int = 5, base: CovarianceEstimator | None = None,
                 lookback: int | None = None) -> None:
        self.n_factors = n_factors
        self.base = SampleCovariance() if base is None else base
        self.lookback = lookback

    def check_params(self, where: SourceRef | None = None) -> None:
        """Raise :class:`~trimtab.errors.ConfigError` for a bad ``n_factors``, ``base`` or ``lookback``."""
        k = self.n_factors
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError("factor model n_factors must be a whole number >= 1", got=k,
                              fix="e.g. n_factors: 5", where=param_ref(where, "n_factors"))
        if isinstance(self.base, StatisticalFactorModel) or not callable(getattr(self.base, "fit", None)):
            raise ConfigError("factor model base must be a covariance estimator (not a factor model)",
                              got=repr(self.base), fix="use base: sample, ledoit_wolf or {kind: ewma}",
                              where=param_ref(where, "base"))
        if callable(getattr(self.base, "check_params", None)):
            self.base.check_params(param_ref(where, "base"))
        check_lookback(self.lookback, where, "factor model")

    def fit(self, returns: pd.DataFrame, periods_per_year: float) -> CovarianceEstimate:
        """Fit the base covariance on ``returns`` and decompose it; the estimate carries ``factor``."""
        self.check_params()
        ppy = check_periods_per_year(periods_per_year)
        n_assets = returns.shape[1] if isinstance(returns, pd.DataFrame) else 0
        k = min(int(self.n_factors), max(n_assets, 1))
        clean = clean_returns(returns, lookback=self.lookback, min_rows=k + 2,
                              method=f"factor model with {k} factors")
        base = self.base.fit(clean, ppy)
        factor = pca_factor_model(base.matrix, k)
        kept = f"{k}" if k == self.n_factors else f"{k} of {self.n_factors} asked"
        return CovarianceEstimate(symbols=base.symbols, matrix=factor.dense(), periods_per_year=ppy,
                                  n_observations=base.n_observations,
                                  method=f"factor(n_factors={kept}, base={base.method})", factor=factor)

    def __repr__(self) -> str:
        default_base = isinstance(self.base, SampleCovariance) and self.base.lookback is None
        params: dict[str, object] = {"n_factors": self.n_factors, "lookback": self.lookback}
        if not default_base:
            params["base"] = self.base
        return describe_params("StatisticalFactorModel", params, {"n_factors": 5, "lookback": None})


def pca_factor_model(sigma: FloatArray, n_factors: int) -> FactorModel:
    """Factor model of ``sigma`` from its ``n_factors`` leading eigenvectors (see the module docstring).

    Parameters
    ----------
    sigma : ndarray of shape (n, n)
        Symmetric PSD covariance (per year).
    n_factors : int
        ``k``, 1 <= k <= n.

    Returns
    -------
    FactorModel
        ``B`` (n, k) with orthonormal columns (rows rescaled where the floor binds), ``F`` diagonal (k, k),
        ``d`` (n,) with ``diag(B F B') + d == diag(sigma)``.
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    n = sigma.shape[0]
    if not 1 <= n_factors <= n:
        raise ValueError(f"n_factors must be between 1 and {n}, got {n_factors}")
    sigma = 0.5 * (sigma + sigma.T)
    eigenvalues, eigenvectors = np.linalg.eigh(sigma)
    order = np.argsort(eigenvalues)[::-1][:n_factors]
    lam = np.clip(eigenvalues[order], 0.0, None)
    loadings = eigenvectors[:, order].copy()
    for j in range(n_factors):               # deterministic signs: largest |entry| of each column positive
        if loadings[np.argmax(np.abs(loadings[:, j])), j] < 0:
            loadings[:, j] = -loadings[:, j]
    total = np.clip(np.diag(sigma), 0.0, None)
    common = (loadings * loadings) @ lam
    floor = IDIO_FLOOR * total
    short = (total - common < floor) & (common > 0)
    if np.any(short):                        # keep d >= floor and the diagonal exact: shrink those rows of B
        scale = np.sqrt(np.clip(total[short] - floor[short], 0.0, None) / common[short])
        loadings[short] *= scale[:, None]
        common = (loadings * loadings) @ lam
    idio = np.clip(total - common, 0.0, None)
    idio = np.where(total > 0, np.maximum(idio, floor), 0.0)
    loadings[total <= 0] = 0.0
    return FactorModel(loadings=loadings, factor_cov=np.diag(lam), idio_var=idio)
