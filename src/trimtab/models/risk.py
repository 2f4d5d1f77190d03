# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Tracking error to the target, on a dense covariance or in factor form.

``TrackingError()`` is ``TE^2 = (w + z - w_target)' Sigma (w + z - w_target)``: the annualised variance of the
active weights ``dv`` (a fraction squared per year; its square root is the tracking error).

* dense: ``||S dv||^2`` with ``S' S = Sigma`` (a Parameter of shape (n, n));
* factor: ``||F_half y||^2 + ||d_half * dv||^2`` with ``y == B' dv`` (DESIGN 3.14), for
  ``Sigma = B F B' + diag(d)``; no n-by-n matrix is ever formed.

The form is chosen when the problem is compiled (``CvxVars.risk_form``); by default a policy switches to the
factor form above 200 assets.  :func:`factor_risk_from_returns` builds a statistical factor model from a
return history by a thin SVD, also without forming ``Sigma``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from trimtab.errors import DataError, ModelError
from trimtab.models.base import CvxVars, FactorRisk, ProblemData, Term, psd_sqrt
from trimtab.typing import FloatArray

__all__ = ["TrackingError", "factor_risk_from_returns"]


@dataclass(frozen=True, repr=False, eq=False)
class TrackingError(Term):
    """Squared tracking error to the target, annualised: ``dv' Sigma dv`` with ``dv = w + z - w_target``.

    Uses ``data.factors`` when given (factor form), else ``data.covariance`` (dense form); see the module
    docstring.
    """

    label = "tracking error²"

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return data.risk_quad(data.d0 + np.asarray(z, dtype=float), needed_by="tracking error")

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        return 2.0 * data.risk_matvec(data.d0 + np.asarray(z, dtype=float), needed_by="tracking error")

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        if v.risk_form == "dense":
            s = v.parameter(self, "S", (v.n, v.n))
            return cp.sum_squares(s @ v.dv)
        k = v.n_factors
        if k < 1:
            raise ModelError("tracking error in factor form needs at least one factor")
        loadings = v.shared("factor.B", lambda: cp.Parameter((v.n, k), name="B"))
        f_half = v.shared("factor.F_half", lambda: cp.Parameter((k, k), name="F_half"))
        d_half = v.shared("factor.d_half", lambda: cp.Parameter(v.n, nonneg=True, name="d_half"))

        def exposures() -> cp.Variable:
            y = cp.Variable(k, name="y")
            v.epigraphs.append(y == loadings.T @ v.dv)
            return y

        y = v.shared("factor.y", exposures)
        return cp.sum_squares(f_half @ y) + cp.sum_squares(cp.multiply(d_half, v.dv))

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        if v.risk_form == "dense":
            if data.covariance is None:
                raise DataError("tracking error (dense form) needs a covariance of the symbols' returns")
            v.assign(v.parameter(self, "S", (v.n, v.n)), psd_sqrt(data.covariance))
            return
        if data.factors is None:
            raise DataError("tracking error (factor form) needs a factor model of the symbols' returns")
        f = data.factors
        if f.n_factors != v.n_factors:
            raise DataError(f"problem compiled for {v.n_factors} factors, the factor model has {f.n_factors}")
        v.assign(v.shared("factor.B", lambda: None), f.loadings)
        v.assign(v.shared("factor.F_half", lambda: None), psd_sqrt(f.factor_cov))
        v.assign(v.shared("factor.d_half", lambda: None), np.sqrt(f.idio_var))

    def needs(self) -> frozenset[str]:
        return frozenset({"risk"})

    def __repr__(self) -> str:
        return "TrackingError()"


def factor_risk_from_returns(
    returns: FloatArray, *, n_factors: int, periods_per_year: float, idio_floor: float = 1e-10
) -> FactorRisk:
    """A statistical (principal-component) factor model from returns, without forming ``Sigma``.

    Parameters
    ----------
    returns : ndarray of shape (t, n)
        Simple returns per period, rows without missing values.
    n_factors : int
        ``k``; reduced to ``min(k, t - 1, n)``.
    periods_per_year : float
        Annualises the variances (252 for daily returns).
    idio_floor : float
        Smallest idiosyncratic variance kept, relative to each asset's total variance.

    Returns
    -------
    FactorRisk
        ``B`` the leading right singular vectors (n, k), ``F`` their variances (k, k, diagonal), ``d`` the
        rest of each asset's variance, so each asset's variance is reproduced.
    """
    r = np.asarray(returns, dtype=float)
    if r.ndim != 2 or r.shape[0] < 2 or not np.isfinite(r).all():
        raise DataError(f"a factor model needs at least 2 complete rows of returns; got shape {r.shape}")
    t, n = r.shape
    k = max(1, min(int(n_factors), t - 1, n))
    x = (r - r.mean(axis=0)) / np.sqrt(t - 1)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    loadings = vt[:k].T
    factor_var = s[:k] ** 2 * periods_per_year
    total = np.sum(x * x, axis=0) * periods_per_year
    explained = (loadings**2) @ factor_var
    idio = np.maximum(total - explained, idio_floor * total)
    return FactorRisk(loadings=loadings, factor_cov=np.diag(factor_var), idio_var=idio)
