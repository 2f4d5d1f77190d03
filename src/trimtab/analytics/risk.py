"""Tracking error to target, its per-asset (Euler) contributions, and the diversification return.

With active weights ``d = w - w*`` (fractions of value) and the annualised covariance ``Sigma`` of simple
returns (per-period covariance times periods per year),

* ``TE = sqrt(d' Sigma d)`` per year, the same as ``sqrt(d' Sigma_period d * periods_per_year)``;
* ``c_i = d_i (Sigma d)_i / TE`` is asset ``i``'s contribution; the ``c_i`` sum to ``TE`` (Euler: ``TE`` is
  homogeneous of degree 1 in ``d``). A contribution can be negative (a hedging drift).
* When ``d' Sigma d`` is 0 (no drift, or drift only in zero-variance cash) ``TE = 0`` and every
  contribution is 0.

Cash has zero variance: its drift is part of the weight vector but adds no tracking error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trimtab.domain.targets import CASH, TargetAllocation
from trimtab.errors import DataError, UniverseMismatchError
from trimtab.estimates.base import CovarianceEstimate
from trimtab.estimates.factor import FactorModel
from trimtab.typing import FloatArray

__all__ = [
    "TrackingErrorReport",
    "diversification_return",
    "tracking_error",
    "tracking_error_to_target",
]

#: ``d' Sigma d`` below ``-NEGATIVE_TOLERANCE * scale`` means the covariance is not PSD.
NEGATIVE_TOLERANCE = 1e-10


@dataclass(frozen=True, eq=False)
class TrackingErrorReport:
    """Tracking error per year and each asset's contribution to it.

    Parameters
    ----------
    value : float
        ``TE = sqrt(d' Sigma d)``, annualised, as a fraction (0.0123 = 1.23 % per year).
    contributions : ndarray of shape (n,)
        ``d_i (Sigma d)_i / TE``; they sum to ``value`` (all 0 when ``value`` is 0).
    active : ndarray of shape (n,)
        The active weights ``d`` it was computed from.
    symbols : tuple of str, optional
        Labels of the entries, when known.
    """

    value: float
    contributions: FloatArray
    active: FloatArray
    symbols: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("contributions", "active"):
            array = np.array(getattr(self, name), dtype=np.float64, copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if self.symbols is not None:
            object.__setattr__(self, "symbols", tuple(self.symbols))
            if len(self.symbols) != self.contributions.shape[0]:
                raise ValueError(f"{len(self.symbols)} symbols for "
                                 f"{self.contributions.shape[0]} contributions")

    @property
    def variance(self) -> float:
        """``TE ** 2``, per year."""
        return self.value * self.value

    def by_symbol(self) -> dict[str, float]:
        """Contributions keyed by symbol (needs ``symbols``)."""
        if self.symbols is None:
            raise ValueError("this report has no symbols; pass symbols= to tracking_error")
        return {s: float(c) for s, c in zip(self.symbols, self.contributions, strict=True)}

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"TrackingErrorReport(value={self.value:.6g}, n={self.contributions.shape[0]})"


def _covariance_parts(covariance: FloatArray | FactorModel | CovarianceEstimate, n: int
                      ) -> tuple[FactorModel | FloatArray, float]:
    """Return the factor model or dense matrix to use, and a scale for the PSD tolerance."""
    if isinstance(covariance, CovarianceEstimate):
        covariance = covariance.factor if covariance.factor is not None else covariance.matrix
    if isinstance(covariance, FactorModel):
        if covariance.n_assets != n:
            raise UniverseMismatchError(f"active weights have {n} entries, the factor model "
                                        f"{covariance.n_assets}")
        return covariance, float(np.max(covariance.variances(), initial=0.0))
    sigma = np.asarray(covariance, dtype=np.float64)
    if sigma.shape != (n, n):
        raise UniverseMismatchError(f"active weights have {n} entries, the covariance has shape "
                                    f"{sigma.shape}")
    if not np.all(np.isfinite(sigma)):
        raise DataError("covariance has non-finite entries")
    return sigma, float(np.max(np.abs(np.diag(sigma)), initial=0.0))


def tracking_error(active: FloatArray | Sequence[float],
                   covariance: FloatArray | FactorModel | CovarianceEstimate,
                   symbols: Sequence[str] | None = None) -> TrackingErrorReport:
    """Tracking error ``sqrt(d' Sigma d)`` and per-asset contributions ``d_i (Sigma d)_i / TE``.

    Parameters
    ----------
    active : array_like of shape (n,)
        Active weights ``d = w - w*``, fractions of value.
    covariance : ndarray of shape (n, n), FactorModel or CovarianceEstimate
        Annualised covariance (a factor model is used without forming the dense matrix; an estimate's
        factor form is preferred when it has one). Cash, if present, has zero rows and columns.
    symbols : sequence of str, optional
        Labels for the report.

    Returns
    -------
    TrackingErrorReport
        ``value`` per year; contributions sum to it.

    Raises
    ------
    DataError
        ``d' Sigma d`` is clearly negative (the matrix is not positive semi-definite) or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> sigma = np.array([[0.04, 0.0], [0.0, 0.01]])      # 20 % and 10 % volatility, uncorrelated
    >>> report = tracking_error(np.array([0.05, -0.05]), sigma)
    >>> round(report.value, 6), [round(float(c), 6) for c in report.contributions]
    (0.01118, [0.008944, 0.002236])
    """
    d = np.asarray(active, dtype=np.float64)
    if d.ndim != 1:
        raise ValueError(f"active weights must be 1-D, got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise DataError("active weights must be finite numbers")
    cov, scale = _covariance_parts(covariance, d.shape[0])
    sigma_d = cov.matvec(d) if isinstance(cov, FactorModel) else cov @ d
    te_sq = float(d @ sigma_d)
    if not math.isfinite(te_sq):
        raise DataError("tracking error is not finite; check the covariance for huge values")
    if te_sq < -NEGATIVE_TOLERANCE * max(scale, 1e-300) * float(d @ d):
        raise DataError(f"d' Sigma d = {te_sq:.3g} < 0: the covariance is not positive semi-definite")
    if te_sq <= 0.0:
        return TrackingErrorReport(value=0.0, contributions=np.zeros_like(d), active=d,
                                   symbols=_labels(symbols))
    te = math.sqrt(te_sq)
    return TrackingErrorReport(value=te, contributions=d * sigma_d / te, active=d, symbols=_labels(symbols))


def _labels(symbols: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if symbols is None else tuple(symbols)


def tracking_error_to_target(weights: Mapping[str, float], targets: TargetAllocation | Mapping[str, float],
                             estimate: CovarianceEstimate) -> TrackingErrorReport:
    """Tracking error of current ``weights`` to ``targets`` with the covariance ``estimate``.

    Parameters
    ----------
    weights, targets : mapping of symbol to float
        Fractions of value, ``"CASH"`` included or not (cash adds no tracking error); a symbol missing
        from one side has weight 0 there.
    estimate : CovarianceEstimate
        Annualised covariance covering every non-cash symbol whose active weight is not zero.

    Returns
    -------
    TrackingErrorReport
        Labelled by ``estimate.symbols`` (plus ``"CASH"``, contribution 0, when either side has cash
        and the estimate does not).

    Raises
    ------
    UniverseMismatchError
        A symbol with non-zero drift has no covariance.
    """
    target_weights = targets.weights if isinstance(targets, TargetAllocation) else targets
    names = set(weights) | set(target_weights)
    active = {s: float(weights.get(s, 0.0)) - float(target_weights.get(s, 0.0)) for s in names}
    missing = sorted(s for s, x in active.items() if s != CASH and x != 0.0 and s not in estimate.symbols)
    if missing:
        raise UniverseMismatchError(f"no covariance for {', '.join(missing)} (drift but no risk estimate); "
                                    "estimate the covariance over every held and target symbol")
    symbols = list(estimate.symbols)
    if CASH in names and CASH not in symbols:
        symbols.append(CASH)
    d = np.array([active.get(s, 0.0) for s in symbols])
    if len(symbols) == estimate.n_assets:
        return tracking_error(d, estimate, symbols)
    report = tracking_error(d[:-1], estimate, estimate.symbols)
    return TrackingErrorReport(value=report.value, contributions=np.append(report.contributions, 0.0),
                               active=d, symbols=tuple(symbols))


def diversification_return(weights: FloatArray | Sequence[float],
                           covariance: FloatArray | FactorModel | CovarianceEstimate) -> float:
    """Extra log growth per year of a constantly rebalanced portfolio: ``(sum_i w_i s_i^2 - w' Sigma w) / 2``.

    For assets following geometric Brownian motion, the log growth rate of the portfolio rebalanced
    continuously to ``w`` exceeds the ``w``-weighted average of the assets' log growth rates by this amount
    (KAT-15; Fernholz & Shay 1982, Booth & Fama 1992). Weights summing to less than 1 leave the rest in
    zero-variance cash.

    Parameters
    ----------
    weights : array_like of shape (n,)
        Portfolio weights, fractions of value.
    covariance : ndarray of shape (n, n), FactorModel or CovarianceEstimate
        Annualised covariance of (log) returns; ``s_i^2`` is its diagonal.

    Returns
    -------
    float
        Per year, as a fraction (0.01 = 1 % per year).

    Examples
    --------
    >>> import numpy as np
    >>> round(diversification_return([0.5, 0.5], np.diag([0.04, 0.04])), 12)   # KAT-15: 1.00 %/yr
    0.01
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights must be 1-D, got shape {w.shape}")
    cov, _ = _covariance_parts(covariance, w.shape[0])
    if isinstance(cov, FactorModel):
        variances, portfolio = cov.variances(), cov.quad_form(w)
    else:
        variances, portfolio = np.diag(cov), float(w @ cov @ w)
    return 0.5 * (float(w @ variances) - portfolio)
