# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Trading cost as an optimizer term: the cost models of :mod:`trimtab.models.costs` over weights.

``TradingCost(model)`` is the cost of trades ``z`` (weights) as a fraction of portfolio value ``v``:
``model.total(z * v, inputs) / v``.  Its cvxpy form reuses the models' own per-asset coefficients, so both
front ends compute one formula:

* :class:`~trimtab.models.costs.LinearCost`: ``rate @ tau`` with ``tau >= |z|`` (shared epigraph) and
  ``rate = LinearCost.rate(inputs)`` (dollars per dollar traded);
* :class:`~trimtab.models.costs.MarketImpact`: ``coef @ power(100 tau, alpha)`` (a power cone, trades in
  percent as DESIGN 3.14 asks: with weight units Clarabel lost accuracy at large n) with
  ``coef = MarketImpact.coefficient(inputs) * v**(alpha - 1) / 100**alpha``;
* :class:`~trimtab.models.costs.FixedCost` is not convex: compiling it raises :class:`ModelError` (leave
  ticket costs to the trade generator's minimum trade value, or evaluate them outside the optimizer).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from trimtab.errors import DataError, ModelError
from trimtab.models.base import CvxVars, FactorRisk, ProblemData, Term, psd_sqrt
from trimtab.models.costs import CostModel, CostTerm, FixedCost, LinearCost, MarketImpact
from trimtab.typing import FloatArray

__all__ = ["PERCENT", "QuadraticTradingCost", "TradingCost"]

#: Trades enter the impact power cone in percent of portfolio value.
PERCENT = 100.0


@dataclass(frozen=True, repr=False, eq=False)
class TradingCost(Term):
    """Trading cost of ``z`` as a fraction of portfolio value, from a :class:`CostModel` (or one model).

    Parameters
    ----------
    model : CostModel or CostTerm
        E.g. ``LinearCost(half_spread_bps=2) + MarketImpact()``.
    """

    model: CostModel | CostTerm

    label = "trading cost"

    def __post_init__(self) -> None:
        model = self.model if isinstance(self.model, CostModel) else CostModel(self.model)
        object.__setattr__(self, "model", model)

    @property
    def _terms(self) -> tuple[CostTerm, ...]:
        assert isinstance(self.model, CostModel)
        return self.model.terms

    def check_convex(self) -> None:
        for part in self._terms:
            if isinstance(part, FixedCost) and part.per_trade > 0:
                raise ModelError(
                    f"{part!r} is a fixed cost per trade, which is not convex and cannot go into "
                    "the convex optimizer; drop it from the optimizer's costs and use a minimum "
                    "trade value instead"
                )
            if not isinstance(part, (LinearCost, MarketImpact, FixedCost)):
                raise ModelError(f"{part!r}: the optimizer knows LinearCost and MarketImpact only")

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        u = np.asarray(z, dtype=float) * data.v
        return self.model.total(u, data.cost_inputs()) / data.v

    def _impact_coef(self, part: MarketImpact, data: ProblemData) -> FloatArray:
        """``c v^(alpha-1)``: impact in weight form is ``sum(c v^(alpha-1) |z|^alpha)``."""
        return part.coefficient(data.cost_inputs()) * data.v ** (part.alpha - 1.0)

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        z = np.asarray(z, dtype=float)
        out = np.zeros(data.n)
        sign = np.sign(z)
        inputs = data.cost_inputs()
        for part in self._terms:
            if isinstance(part, LinearCost):
                out += sign * part.rate(inputs)
            elif isinstance(part, MarketImpact):
                out += sign * part.alpha * self._impact_coef(part, data) * np.abs(z) ** (part.alpha - 1.0)
        return out

    def kink(self, data: ProblemData) -> FloatArray:
        out = np.zeros(data.n)
        inputs = data.cost_inputs()
        for part in self._terms:
            if isinstance(part, LinearCost):
                out += part.rate(inputs)
            elif isinstance(part, MarketImpact) and part.alpha == 1.0:
                out += self._impact_coef(part, data)
        return out

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        self.check_convex()
        tau = v.abs_z()
        pieces: list[cp.Expression] = []
        for i, part in enumerate(self._terms):
            if isinstance(part, LinearCost):
                pieces.append(v.parameter(self, f"rate{i}", v.n, nonneg=True) @ tau)
            elif isinstance(part, MarketImpact):
                coef = v.parameter(self, f"impact{i}", v.n, nonneg=True)
                if part.alpha == 1.0:
                    pieces.append(coef @ (PERCENT * tau))
                else:
                    pieces.append(coef @ cp.power(PERCENT * tau, part.alpha, approx=False))
        return cp.sum(cp.hstack(pieces)) if pieces else cp.Constant(0.0)

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        inputs = data.cost_inputs()
        for i, part in enumerate(self._terms):
            if isinstance(part, LinearCost):
                v.assign(v.parameter(self, f"rate{i}", v.n, nonneg=True), part.rate(inputs))
            elif isinstance(part, MarketImpact):
                coef = self._impact_coef(part, data) / PERCENT**part.alpha
                v.assign(v.parameter(self, f"impact{i}", v.n, nonneg=True), coef)

    def needs(self) -> frozenset[str]:
        out = (
            {"prices"}
            if any(isinstance(p, LinearCost) and p.commission_per_share for p in self._terms)
            else set()
        )
        if any(isinstance(p, MarketImpact) for p in self._terms):
            out |= {"sigma", "volume"}
        return frozenset(out)

    def convex_part(self) -> TradingCost:
        """The same costs without fixed ticket costs (which the convex optimizer cannot price)."""
        return TradingCost(CostModel(*(p for p in self._terms if not isinstance(p, FixedCost))))

    def __repr__(self) -> str:
        return f"TradingCost({self.model!r})"


@dataclass(frozen=True, repr=False, eq=False)
class QuadraticTradingCost(Term):
    """Quadratic trading cost ``z' Sigma z`` proportional to the covariance (Garleanu and Pedersen 2013).

    Their cost matrix ``Lambda = lam Sigma`` with cost ``(1/2) dx' Lambda dx`` is ``(lam / 2) *
    QuadraticTradingCost()``.  Uses ``data.factors`` when given, else ``data.covariance``.
    """

    label = "quadratic trading cost"

    def _risk(self, data: ProblemData) -> FactorRisk | FloatArray:
        if data.factors is not None:
            return data.factors
        if data.covariance is None:
            raise DataError("a quadratic trading cost needs a covariance or a factor model")
        return data.covariance

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        z = np.asarray(z, dtype=float)
        risk = self._risk(data)
        return risk.quad(z) if isinstance(risk, FactorRisk) else float(z @ risk @ z)

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        z = np.asarray(z, dtype=float)
        risk = self._risk(data)
        return 2.0 * (risk.matvec(z) if isinstance(risk, FactorRisk) else risk @ z)

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        z = v.z_variable()
        if v.risk_form == "dense":
            return cp.sum_squares(v.parameter(self, "S", (v.n, v.n)) @ z)
        k = v.n_factors
        loadings = v.parameter(self, "B", (v.n, k))
        f_half = v.parameter(self, "F_half", (k, k))
        d_half = v.parameter(self, "d_half", v.n, nonneg=True)

        def exposures() -> cp.Variable:
            y = cp.Variable(k, name="y_z")
            v.epigraphs.append(y == loadings.T @ z)
            return y

        y = v.shared(f"quadratic_cost.y.{id(self)}", exposures)
        return cp.sum_squares(f_half @ y) + cp.sum_squares(cp.multiply(d_half, z))

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        risk = self._risk(data)
        if v.risk_form == "dense":
            if isinstance(risk, FactorRisk):
                raise DataError("problem compiled for a dense covariance, data has a factor model")
            v.assign(v.parameter(self, "S", (v.n, v.n)), psd_sqrt(risk))
            return
        if not isinstance(risk, FactorRisk):
            raise DataError("problem compiled for a factor model, data has a dense covariance")
        v.assign(v.parameter(self, "B", (v.n, v.n_factors)), risk.loadings)
        v.assign(v.parameter(self, "F_half", (v.n_factors, v.n_factors)), psd_sqrt(risk.factor_cov))
        v.assign(v.parameter(self, "d_half", v.n, nonneg=True), np.sqrt(risk.idio_var))

    def needs(self) -> frozenset[str]:
        return frozenset({"risk"})

    def __repr__(self) -> str:
        return "QuadraticTradingCost()"
