"""What every covariance estimator returns and accepts.

An estimator follows the scikit-learn convention: its constructor only stores keyword parameters, and
``fit(returns, periods_per_year)`` validates them, cleans the returns and returns a frozen
:class:`CovarianceEstimate`. The cleaning rules live here so that every estimator applies the same ones:

1. ``lookback``: only the last ``lookback`` rows of ``returns`` are used (all rows when ``None``);
2. rows where any column is missing (NaN or infinite) are dropped, so every estimate is computed on
   periods where *all* symbols have a return (pairwise-complete estimates are not PSD in general);
3. at least ``min_rows`` rows must remain (2 for a covariance), else :class:`~trimtab.errors.DataError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from trimtab.errors import ConfigError, DataError, SourceRef, UniverseMismatchError
from trimtab.typing import FloatArray

if TYPE_CHECKING:
    from trimtab.estimates.factor import FactorModel

__all__ = [
    "CovarianceEstimate",
    "CovarianceEstimator",
    "check_lookback",
    "check_periods_per_year",
    "clean_returns",
    "param_ref",
]


@dataclass(frozen=True, eq=False)
class CovarianceEstimate:
    """An annualised covariance of simple returns, with what it was estimated from.

    Parameters
    ----------
    symbols : tuple of str of length n
        Row and column labels of ``matrix``.
    matrix : ndarray of shape (n, n)
        Annualised covariance of simple returns (per-period covariance times ``periods_per_year``),
        symmetric positive semi-definite; read-only.
    periods_per_year : float
        Periods per year of the returns it was estimated from (252 daily, 12 monthly).
    n_observations : int
        Rows of returns used (after the lookback and after dropping rows with a missing value).
    method : str
        How it was estimated, e.g. ``"sample"``, ``"ewma(halflife=60)"``,
        ``"factor(n_factors=5, base=sample)"``.
    factor : FactorModel, optional
        The factor form ``B F B' + diag(d)`` of ``matrix`` when the estimator is a factor model
        (annualised, same symbol order).
    """

    symbols: tuple[str, ...]
    matrix: FloatArray
    periods_per_year: float
    n_observations: int
    method: str
    factor: FactorModel | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbols", tuple(str(s) for s in self.symbols))
        matrix = np.array(self.matrix, dtype=np.float64, copy=True)
        n = len(self.symbols)
        if matrix.shape != (n, n):
            raise ValueError(f"covariance matrix has shape {matrix.shape}, expected ({n}, {n}) "
                             f"for {n} symbols")
        if len(set(self.symbols)) != n:
            raise ValueError(f"duplicate symbols in a covariance estimate: {self.symbols}")
        if not np.all(np.isfinite(matrix)):
            raise DataError(f"covariance estimate ({self.method}) is not finite; check the returns for "
                            "infinite or absurd values")
        scale = max(float(np.abs(matrix).max(initial=0.0)), 1e-300)
        if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-10 * scale):
            raise ValueError("covariance matrix is not symmetric")
        matrix = 0.5 * (matrix + matrix.T)
        matrix.setflags(write=False)
        object.__setattr__(self, "matrix", matrix)
        if self.factor is not None and self.factor.n_assets != n:
            raise ValueError(f"factor model has {self.factor.n_assets} assets, the estimate {n}")

    # -- views ----------------------------------------------------------------------------------------
    @property
    def n_assets(self) -> int:
        """Number of symbols."""
        return len(self.symbols)

    def volatilities(self) -> FloatArray:
        """Annualised volatility of each symbol, ``sqrt(diag(matrix))``; ndarray of shape (n,)."""
        return np.sqrt(np.clip(np.diag(self.matrix), 0.0, None))

    def correlation(self) -> FloatArray:
        """Correlation matrix, ndarray of shape (n, n); symbols with zero variance get 0 off the diagonal."""
        vol = self.volatilities()
        inv = np.divide(1.0, vol, out=np.zeros_like(vol), where=vol > 0)
        corr = np.asarray(self.matrix * np.outer(inv, inv), dtype=np.float64)
        np.fill_diagonal(corr, 1.0)
        return corr

    def per_period(self) -> FloatArray:
        """Covariance per period, ``matrix / periods_per_year``; ndarray of shape (n, n)."""
        return np.asarray(self.matrix / self.periods_per_year)

    def to_frame(self) -> pd.DataFrame:
        """Return the annualised matrix as a DataFrame labelled by symbol."""
        return pd.DataFrame(np.array(self.matrix), index=list(self.symbols), columns=list(self.symbols))

    def index_of(self, symbols: Sequence[str]) -> list[int]:
        """Positions of ``symbols`` in this estimate; :class:`UniverseMismatchError` for unknown ones."""
        position = {s: i for i, s in enumerate(self.symbols)}
        missing = [s for s in symbols if s not in position]
        if missing:
            raise UniverseMismatchError(f"no covariance for {', '.join(missing)}; the estimate covers "
                                        f"{', '.join(self.symbols)}")
        return [position[s] for s in symbols]

    def select(self, symbols: Sequence[str]) -> CovarianceEstimate:
        """Return the estimate restricted to (and reordered as) ``symbols``."""
        idx = self.index_of(symbols)
        factor = None
        if self.factor is not None:
            from trimtab.estimates.factor import FactorModel  # runtime import; factor.py imports this module

            factor = FactorModel(loadings=self.factor.loadings[idx], factor_cov=self.factor.factor_cov,
                                 idio_var=self.factor.idio_var[idx])
        return CovarianceEstimate(symbols=tuple(symbols), matrix=self.matrix[np.ix_(idx, idx)],
                                  periods_per_year=self.periods_per_year, n_observations=self.n_observations,
                                  method=self.method, factor=factor)

    def __repr__(self) -> str:
        return (f"CovarianceEstimate(method={self.method!r}, symbols={len(self.symbols)}, "
                f"n_observations={self.n_observations}, periods_per_year={self.periods_per_year:g})")


@runtime_checkable
class CovarianceEstimator(Protocol):
    """Estimates an annualised covariance from a table of simple returns.

    ``fit(returns, periods_per_year)`` takes a DataFrame of shape (n_periods, n_assets), one column per
    symbol, rows in time order, and returns a :class:`CovarianceEstimate` over its columns.
    ``check_params(where)`` raises :class:`~trimtab.errors.ConfigError` for bad constructor parameters.
    """

    def fit(self, returns: pd.DataFrame, periods_per_year: float) -> CovarianceEstimate:
        """Estimate the annualised covariance of the columns of ``returns``."""
        ...

    def check_params(self, where: SourceRef | None = None) -> None:
        """Raise :class:`~trimtab.errors.ConfigError` when a parameter is invalid."""
        ...


# -- shared validation and cleaning -------------------------------------------------------------------
def param_ref(where: SourceRef | None, name: str) -> SourceRef | None:
    """``where`` with ``.name`` appended to its key (None stays None)."""
    if where is None:
        return None
    return SourceRef(where.file, where.row, f"{where.key}.{name}" if where.key else name)


def check_lookback(lookback: object, where: SourceRef | None = None, owner: str = "estimator") -> None:
    """``lookback`` must be ``None`` or a whole number >= 1 (rows of returns)."""
    if lookback is None:
        return
    if isinstance(lookback, bool) or not isinstance(lookback, (int, np.integer)) or lookback < 1:
        raise ConfigError(f"{owner} lookback must be a whole number of periods >= 1 (or omitted for all)",
                          got=lookback, fix="e.g. lookback: 756 for three years of daily returns",
                          where=param_ref(where, "lookback"))


def check_periods_per_year(periods_per_year: object) -> float:
    """``periods_per_year`` must be a positive finite number; returns it as a float."""
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, (int, float, np.number)) \
            or not math.isfinite(float(periods_per_year)) or float(periods_per_year) <= 0:
        raise ConfigError("periods_per_year must be a positive number", got=periods_per_year,
                          fix="252 for daily returns, 52 weekly, 12 monthly")
    return float(periods_per_year)


def clean_returns(returns: pd.DataFrame, *, lookback: int | None, min_rows: int, method: str) -> pd.DataFrame:
    """Apply the lookback, drop rows with any missing value, and check enough rows remain.

    Parameters
    ----------
    returns : pandas.DataFrame of shape (n_periods, n_assets)
        Simple returns per period, rows in time order, one column per symbol.
    lookback : int or None
        Keep only the last ``lookback`` rows (before dropping rows with missing values).
    min_rows : int
        Rows needed after cleaning.
    method : str
        Estimator name for the error message.

    Returns
    -------
    pandas.DataFrame of shape (n_rows, n_assets)
        float64, every value finite.
    """
    if not isinstance(returns, pd.DataFrame):
        raise TypeError(f"{method}: returns must be a pandas DataFrame (periods x symbols), "
                        f"got {type(returns).__name__}")
    if returns.shape[1] == 0:
        raise DataError(f"{method}: no symbols to estimate a covariance for; give at least one column")
    columns = [str(c) for c in returns.columns]
    if len(set(columns)) != len(columns):
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        raise DataError(f"{method}: duplicate symbols in the returns: {', '.join(duplicated)}")
    try:
        frame = returns.astype("float64")
    except (TypeError, ValueError) as err:
        raise DataError(f"{method}: returns must be numbers; {err}") from None
    frame.columns = columns
    if lookback is not None:
        frame = frame.iloc[-int(lookback):]
    values = frame.to_numpy()
    complete = np.all(np.isfinite(values), axis=1)
    kept = frame.loc[complete]
    if len(kept) < min_rows:
        counts = np.isfinite(values).sum(axis=0)
        shortest = sorted(zip(counts, columns, strict=True))[:3]
        detail = ", ".join(f"{c} has {k}" for k, c in shortest)
        window = f"the last {lookback}" if lookback is not None else "the"
        raise DataError(
            f"{method}: needs at least {min_rows} periods where every symbol has a return; only {len(kept)} "
            f"of {window} {len(frame)} periods qualify ({detail} valid returns). Fix: use a longer price "
            "history or a longer lookback, or leave out symbols with short histories")
    return kept


def describe_params(name: str, params: Mapping[str, object], defaults: Mapping[str, object]) -> str:
    """``name(a=1, b=2)`` showing only parameters that differ from their defaults."""
    shown = [f"{k}={v!r}" for k, v in params.items() if k not in defaults or defaults[k] != v]
    return f"{name}({', '.join(shown)})"
