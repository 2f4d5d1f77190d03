"""Covariance estimators: sample, Ledoit-Wolf shrinkage and exponentially weighted (EWMA).

All return the covariance of *simple* returns, annualised by multiplying the per-period covariance by
``periods_per_year`` (the i.i.d. scaling). Rows with any missing value are dropped first (see
:mod:`trimtab.estimates.base`). Conventions:

sample
    ``np.cov(R, rowvar=False, ddof=1) * periods_per_year`` (unbiased, divides by T - 1).
ledoit_wolf
    ``sklearn.covariance.LedoitWolf().fit(R).covariance_ * periods_per_year``: shrinks the maximum-likelihood
    covariance (divides by T) toward ``mu * I``; Ledoit & Wolf (2004), "A well-conditioned estimator for
    large-dimensional covariance matrices", J. Multivariate Analysis 88.
ewma
    Weights ``a_t = 0.5 ** (age_t / halflife)`` with ``age = 0`` for the newest row; the mean is removed with
    the same weights; the weighted cross products are divided by ``V1 - V2 / V1`` (``V1 = sum a``,
    ``V2 = sum a^2``), the unbiased "reliability weights" correction that ``np.cov(R.T, aweights=a, ddof=1)``
    computes. As the half-life grows it tends to the sample covariance (ddof = 1); with two rows it equals
    it for any half-life.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trimtab.data.snapshot import MarketSnapshot
from trimtab.domain.targets import CASH
from trimtab.errors import ConfigError, DataError, SourceRef
from trimtab.estimates.base import (
    CovarianceEstimate,
    CovarianceEstimator,
    check_lookback,
    check_periods_per_year,
    clean_returns,
    describe_params,
    param_ref,
)

__all__ = [
    "DEFAULT_LOOKBACK",
    "ESTIMATOR_KINDS",
    "EwmaCovariance",
    "LedoitWolfCovariance",
    "SampleCovariance",
    "build_estimator",
    "estimate_covariance",
]

#: Default history for :func:`estimate_covariance`: three years of daily returns.
DEFAULT_LOOKBACK = 756


class SampleCovariance:
    """Sample covariance (ddof = 1), annualised.

    Parameters
    ----------
    lookback : int, optional
        Use only the last ``lookback`` rows of returns (all rows when omitted).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"A": [0.01, -0.01, 0.02], "B": [0.0, 0.01, 0.01]})
    >>> est = SampleCovariance().fit(r, periods_per_year=252)
    >>> round(float(est.matrix[0, 0]), 6)    # var(A) = 0.000233.. per day, times 252
    0.0588
    """

    def __init__(self, *, lookback: int | None = None) -> None:
        self.lookback = lookback

    def check_params(self, where: SourceRef | None = None) -> None:
        """Raise :class:`~trimtab.errors.ConfigError` for a bad ``lookback``."""
        check_lookback(self.lookback, where, "sample covariance")

    def fit(self, returns: pd.DataFrame, periods_per_year: float) -> CovarianceEstimate:
        """Annualised sample covariance of the columns of ``returns`` (simple returns per period)."""
        self.check_params()
        ppy = check_periods_per_year(periods_per_year)
        clean = clean_returns(returns, lookback=self.lookback, min_rows=2, method="sample covariance")
        values = clean.to_numpy()
        per_period = np.atleast_2d(np.cov(values, rowvar=False, ddof=1))
        return CovarianceEstimate(symbols=tuple(clean.columns), matrix=per_period * ppy, periods_per_year=ppy,
                                  n_observations=len(clean), method="sample")

    def __repr__(self) -> str:
        return describe_params("SampleCovariance", {"lookback": self.lookback}, {"lookback": None})


class LedoitWolfCovariance:
    """Ledoit-Wolf shrinkage toward a scaled identity (scikit-learn's ``LedoitWolf``), annualised.

    The shrinkage intensity is estimated from the data (Ledoit & Wolf 2004) and reported in the estimate's
    ``method`` (``ledoit_wolf(shrinkage=0.0123)``). scikit-learn shrinks the maximum-likelihood covariance,
    which divides by T, not T-1.

    Parameters
    ----------
    lookback : int, optional
        Use only the last ``lookback`` rows of returns (all rows when omitted).
    """

    def __init__(self, *, lookback: int | None = None) -> None:
        self.lookback = lookback

    def check_params(self, where: SourceRef | None = None) -> None:
        """Raise :class:`~trimtab.errors.ConfigError` for a bad ``lookback``."""
        check_lookback(self.lookback, where, "Ledoit-Wolf covariance")

    def fit(self, returns: pd.DataFrame, periods_per_year: float) -> CovarianceEstimate:
        """Annualised Ledoit-Wolf covariance of the columns of ``returns`` (simple returns per period)."""
        self.check_params()
        ppy = check_periods_per_year(periods_per_year)
        clean = clean_returns(returns, lookback=self.lookback, min_rows=2, method="Ledoit-Wolf covariance")
        from sklearn.covariance import LedoitWolf  # imported here: scikit-learn takes ~1 s to import

        model = LedoitWolf().fit(clean.to_numpy())
        return CovarianceEstimate(symbols=tuple(clean.columns), matrix=model.covariance_ * ppy,
                                  periods_per_year=ppy, n_observations=len(clean),
                                  method=f"ledoit_wolf(shrinkage={float(model.shrinkage_):.4g})")

    def __repr__(self) -> str:
        return describe_params("LedoitWolfCovariance", {"lookback": self.lookback}, {"lookback": None})


class EwmaCovariance:
    """Exponentially weighted covariance, annualised.

    Row ``t`` (``age_t`` rows before the newest, which has age 0) gets weight ``0.5 ** (age_t / halflife)``.
    The weighted mean is removed, and the weighted sum of cross products is divided by ``V1 - V2 / V1``
    (``V1``, ``V2`` the sum of the weights and of their squares): the unbiased correction for reliability
    weights, equal to ``np.cov(R.T, aweights=weights, ddof=1)``. With equal weights this is the sample
    covariance (ddof = 1), so a very long half-life gives the sample estimate.

    Parameters
    ----------
    halflife : float
        Half-life in periods (rows), > 0: a return ``halflife`` periods old counts half as much as the newest.
    lookback : int, optional
        Use only the last ``lookback`` rows (all rows when omitted; old rows then weigh almost nothing).
    """

    def __init__(self, *, halflife: float = 60.0, lookback: int | None = None) -> None:
        self.halflife = halflife
        self.lookback = lookback

    def check_params(self, where: SourceRef | None = None) -> None:
        """Raise :class:`~trimtab.errors.ConfigError` for a bad ``halflife`` or ``lookback``."""
        h = self.halflife
        if isinstance(h, bool) or not isinstance(h, (int, float, np.number)) or not math.isfinite(float(h)) \
                or float(h) <= 0:
            raise ConfigError("EWMA halflife must be a positive number of periods", got=h,
                              fix="e.g. halflife: 60 (about three months of daily returns)",
                              where=param_ref(where, "halflife"))
        check_lookback(self.lookback, where, "EWMA covariance")

    def weights(self, n_rows: int) -> np.ndarray:
        """Unnormalised weights of ``n_rows`` rows, oldest first; ndarray of shape (n_rows,), newest = 1."""
        age = np.arange(n_rows - 1, -1, -1, dtype=np.float64)
        return np.power(0.5, age / float(self.halflife))

    def fit(self, returns: pd.DataFrame, periods_per_year: float) -> CovarianceEstimate:
        """Annualised EWMA covariance of the columns of ``returns`` (simple returns per period)."""
        self.check_params()
        ppy = check_periods_per_year(periods_per_year)
        clean = clean_returns(returns, lookback=self.lookback, min_rows=2, method="EWMA covariance")
        values = clean.to_numpy()
        a = self.weights(len(values))
        a = a / a.sum()
        denominator = 1.0 - float(np.sum(a * a))        # (V1 - V2/V1) / V1 with normalised weights
        if denominator < 1e-9:
            raise DataError(f"EWMA covariance: halflife {self.halflife!r} puts almost all weight on one "
                            "period, "
                            "so no covariance can be estimated. Fix: use a longer halflife (e.g. 60)")
        centred = values - a @ values
        per_period = (centred * a[:, None]).T @ centred / denominator
        return CovarianceEstimate(symbols=tuple(clean.columns), matrix=per_period * ppy, periods_per_year=ppy,
                                  n_observations=len(clean), method=f"ewma(halflife={self.halflife:g})")

    def __repr__(self) -> str:
        return describe_params("EwmaCovariance", {"halflife": self.halflife, "lookback": self.lookback},
                               {"halflife": 60.0, "lookback": None})


# -- building from configuration -------------------------------------------------------------------------
#: Kinds accepted by :func:`build_estimator`, with their parameters.
ESTIMATOR_KINDS: Mapping[str, tuple[str, ...]] = {
    "sample": ("lookback",),
    "ledoit_wolf": ("lookback",),
    "ewma": ("halflife", "lookback"),
    "factor": ("n_factors", "base", "lookback"),
}
_ALIASES = {"ledoit-wolf": "ledoit_wolf", "ledoitwolf": "ledoit_wolf", "lw": "ledoit_wolf",
            "statistical_factor": "factor", "pca": "factor"}


def build_estimator(spec: Mapping[str, Any] | str | None,
                    where: SourceRef | None = None) -> CovarianceEstimator:
    """Build a covariance estimator from configuration.

    Parameters
    ----------
    spec : str, mapping or None
        ``None`` -> :class:`SampleCovariance`; a kind (``"sample"``, ``"ledoit_wolf"``, ``"ewma"``,
        ``"factor"``); or a mapping ``{kind: ewma, halflife: 60}``, ``{kind: factor, n_factors: 5,
        base: ledoit_wolf}`` (``base`` is itself a spec), each optionally with ``lookback``.
    where : SourceRef, optional
        File and key of the spec, for error messages.

    Raises
    ------
    ConfigError
        Unknown kind or parameter, or a bad parameter value.

    Examples
    --------
    >>> build_estimator({"kind": "ewma", "halflife": 30})
    EwmaCovariance(halflife=30)
    """
    key = where.key if where is not None and where.key else "risk"
    return _build(spec, where, key)


def _build(spec: Mapping[str, Any] | str | None, where: SourceRef | None, key: str) -> CovarianceEstimator:
    def located(sub: str = "") -> tuple[str, SourceRef | None]:
        """(prefix for the problem, where): the key goes into ``where`` when there is a file."""
        full = f"{key}.{sub}" if sub else key
        if where is None:
            return f"{full}: ", None
        return "", SourceRef(where.file, where.row, full)

    if spec is None:
        return SampleCovariance()
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, Mapping):
        prefix, ref = located()
        raise ConfigError(f"{prefix}a risk model must be a kind or a mapping with a kind", got=spec,
                          fix="e.g. ledoit_wolf or {kind: ewma, halflife: 60}", where=ref)
    params = dict(spec)
    raw_kind = params.pop("kind", None)
    if raw_kind is None:
        prefix, ref = located()
        raise ConfigError(f"{prefix}missing kind", fix=f"add kind: one of {', '.join(ESTIMATOR_KINDS)}",
                          where=ref)
    kind = _ALIASES.get(str(raw_kind).strip().lower(), str(raw_kind).strip().lower())
    if kind not in ESTIMATOR_KINDS:
        prefix, ref = located("kind")
        raise ConfigError(f"{prefix}unknown covariance estimator {raw_kind!r}",
                          fix=f"use one of {', '.join(ESTIMATOR_KINDS)}", where=ref)
    unknown = sorted(str(k) for k in params if k not in ESTIMATOR_KINDS[kind])
    if unknown:
        prefix, ref = located(unknown[0])
        raise ConfigError(f"{prefix}unknown parameter {unknown[0]!r} for the {kind} estimator",
                          fix=f"{kind} accepts {', '.join(ESTIMATOR_KINDS[kind])}", where=ref)
    estimator: CovarianceEstimator
    if kind == "sample":
        estimator = SampleCovariance(**params)
    elif kind == "ledoit_wolf":
        estimator = LedoitWolfCovariance(**params)
    elif kind == "ewma":
        estimator = EwmaCovariance(**params)
    else:
        from trimtab.estimates.factor import StatisticalFactorModel  # factor.py imports this module

        if "base" in params:
            params["base"] = _build(params["base"], where, f"{key}.base")
        estimator = StatisticalFactorModel(**params)
    estimator.check_params(located()[1] or where)
    return estimator


# -- point in time ---------------------------------------------------------------------------------------
def estimate_covariance(snapshot: MarketSnapshot, symbols: Sequence[str],
                        estimator: CovarianceEstimator | None = None,
                        lookback: int | None = DEFAULT_LOOKBACK) -> CovarianceEstimate:
    """Covariance of ``symbols`` from the snapshot's returns, using only data up to ``snapshot.as_of``.

    Parameters
    ----------
    snapshot : MarketSnapshot
        Point-in-time market data (rows stamped on or before its date only).
    symbols : sequence of str
        Symbols in the order wanted. ``"CASH"`` may appear: it gets zero variance and covariance (it is
        not taken from the market data).
    estimator : CovarianceEstimator, optional
        Default :class:`SampleCovariance`.
    lookback : int or None
        Rows of returns taken from the snapshot (the last ``lookback``; 756 = three years of daily data);
        ``None`` for the whole history. The estimator's own ``lookback``, if any, applies after it.

    Returns
    -------
    CovarianceEstimate
        Over ``symbols`` in the given order, annualised with ``snapshot.periods_per_year``.
    """
    estimator = SampleCovariance() if estimator is None else estimator
    check_lookback(lookback, None, "estimate_covariance")
    symbols = tuple(str(s) for s in symbols)
    risky = tuple(s for s in symbols if s != CASH)
    if not risky:
        return CovarianceEstimate(symbols=symbols, matrix=np.zeros((len(symbols), len(symbols))),
                                  periods_per_year=snapshot.periods_per_year, n_observations=0, method="cash")
    returns = snapshot.returns(list(risky), lookback)
    estimate = estimator.fit(returns, snapshot.periods_per_year)
    if risky == symbols:
        return estimate
    return _with_cash(estimate, symbols)


def _with_cash(estimate: CovarianceEstimate, symbols: tuple[str, ...]) -> CovarianceEstimate:
    """Embed ``estimate`` into ``symbols``, which adds ``CASH`` rows and columns of zeros."""
    n = len(symbols)
    rows = [i for i, s in enumerate(symbols) if s != CASH]
    matrix = np.zeros((n, n))
    matrix[np.ix_(rows, rows)] = estimate.matrix
    factor = None
    if estimate.factor is not None:
        from trimtab.estimates.factor import FactorModel  # factor.py imports this module

        loadings = np.zeros((n, estimate.factor.n_factors))
        loadings[rows] = estimate.factor.loadings
        idio = np.zeros(n)
        idio[rows] = estimate.factor.idio_var
        factor = FactorModel(loadings=loadings, factor_cov=estimate.factor.factor_cov, idio_var=idio)
    return CovarianceEstimate(symbols=symbols, matrix=matrix, periods_per_year=estimate.periods_per_year,
                              n_observations=estimate.n_observations, method=estimate.method, factor=factor)
