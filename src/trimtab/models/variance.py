# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Absolute variance of the portfolio after trading, on a dense covariance or in factor form.

``Variance()`` is ``w_plus' Sigma w_plus`` with ``w_plus = w + z`` (cash is riskless): the annualised
variance of the portfolio's return, a fraction squared per year.  Unlike :class:`TrackingError` it does not
look at the target, so it pulls toward the least-risky portfolio the constraints allow (pair it with a
budget, weight bounds or a distance penalty).

DPP: ``Sigma w_target`` would multiply two Parameters, so the target's part enters as its own Parameter,
computed when the data is bound:

* dense: ``||S dv + s0||^2`` with ``S' S = Sigma`` and ``s0 = S w_target``;
* factor (``Sigma = B F B' + diag(d)``): ``||F_half (y + y0)||^2 + ||d_half * dv + e0||^2`` with
  ``y = B' dv`` (shared with :class:`TrackingError`), ``y0 = B' w_target``, ``e0 = d_half * w_target``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from trimtab.errors import DataError, ModelError
from trimtab.models.base import CvxVars, FactorRisk, ProblemData, Term, psd_sqrt
from trimtab.typing import FloatArray

__all__ = ["Variance", "factor_parts"]


def factor_parts(v: CvxVars) -> tuple[cp.Parameter, cp.Parameter, cp.Parameter, cp.Variable]:
    """The factor-form Parameters ``B``, ``F_half``, ``d_half`` and exposures ``y == B' dv`` shared by risk terms.

    The same shared keys as :class:`~trimtab.models.risk.TrackingError`, so the two terms use one copy.
    """
    k = v.n_factors
    if k < 1:
        raise ModelError("a risk term in factor form needs at least one factor")
    loadings = v.shared("factor.B", lambda: cp.Parameter((v.n, k), name="B"))
    f_half = v.shared("factor.F_half", lambda: cp.Parameter((k, k), name="F_half"))
    d_half = v.shared("factor.d_half", lambda: cp.Parameter(v.n, nonneg=True, name="d_half"))

    def exposures() -> cp.Variable:
        y = cp.Variable(k, name="y")
        v.epigraphs.append(y == loadings.T @ v.dv)
        return y

    return loadings, f_half, d_half, v.shared("factor.y", exposures)


def bind_factor_parts(v: CvxVars, factors: FactorRisk) -> None:
    """Assign the shared factor-form Parameters (see :func:`factor_parts`)."""
    if factors.n_factors != v.n_factors:
        raise DataError(
            f"problem compiled for {v.n_factors} factors, the factor model has {factors.n_factors}"
        )
    loadings, f_half, d_half, _ = factor_parts(v)
    v.assign(loadings, factors.loadings)
    v.assign(f_half, psd_sqrt(factors.factor_cov))
    v.assign(d_half, np.sqrt(factors.idio_var))


@dataclass(frozen=True, repr=False, eq=False)
class Variance(Term):
    """Annualised variance of the portfolio after trading, ``w_plus' Sigma w_plus`` (cash riskless).

    Uses ``data.factors`` when given (factor form), else ``data.covariance`` (dense form).
    """

    label = "variance"

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return data.risk_quad(data.w + np.asarray(z, dtype=float), needed_by="variance")

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        return 2.0 * data.risk_matvec(data.w + np.asarray(z, dtype=float), needed_by="variance")

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        if v.risk_form == "dense":
            s = v.parameter(self, "S", (v.n, v.n))
            s0 = v.parameter(self, "s0", v.n)
            return cp.sum_squares(s @ v.dv + s0)
        _, f_half, d_half, y = factor_parts(v)
        y0 = v.parameter(self, "y0", v.n_factors)
        e0 = v.parameter(self, "e0", v.n)
        exposure = cp.Variable(v.n_factors, name="y_total")
        v.epigraphs.append(exposure == y + y0)
        return cp.sum_squares(f_half @ exposure) + cp.sum_squares(cp.multiply(d_half, v.dv) + e0)

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        if v.risk_form == "dense":
            if data.covariance is None:
                raise DataError("variance (dense form) needs a covariance of the symbols' returns")
            s = psd_sqrt(data.covariance)
            v.assign(v.parameter(self, "S", (v.n, v.n)), s)
            v.assign(v.parameter(self, "s0", v.n), s @ data.w_target)
            return
        if data.factors is None:
            raise DataError("variance (factor form) needs a factor model of the symbols' returns")
        f = data.factors
        bind_factor_parts(v, f)
        v.assign(v.parameter(self, "y0", v.n_factors), f.loadings.T @ data.w_target)
        v.assign(v.parameter(self, "e0", v.n), np.sqrt(f.idio_var) * data.w_target)

    def needs(self) -> frozenset[str]:
        return frozenset({"risk"})

    def __repr__(self) -> str:
        return "Variance()"
