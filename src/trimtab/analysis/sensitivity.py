# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Sensitivity of the optimizer's decision: dual values of the constraints and derivatives in each multiplier.

* **Dual values** (marginal costs of the constraints): for every constraint, the rate at which the
  objective would fall if the constraint were relaxed, read from the solver's dual values.  The compiled
  objective is ``1e4 * objective`` (basis points), so a dual value is basis points of portfolio value per unit
  of the constraint's row; reported per percentage point (``bp_per_pp``).  For the turnover cap, whose row is
  ``sum(|z|) <= 2 * limit``, the marginal value of the *limit* is twice the row's dual.
* **Derivatives in the multipliers**: central finite differences of the decision (trades ``z``, turnover,
  tracking error, trading cost, tax) in each multiplier ``lam`` present in the objective, at
  ``lam * (1 +- step)``, re-solving the same compiled :class:`~trimtab.analysis.frontier.TradeoffProblem`.
  The decision is piecewise smooth in ``lam`` (a kink wherever a trade starts or stops, or a constraint starts
  to bind); the difference straddles such a kink when one lies within the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trimtab.analysis.frontier import FrontierPoint, TradeoffProblem
from trimtab.models.base import Constraint, ProblemData
from trimtab.models.constraints import CashBounds, TurnoverAtMost, _SymbolList
from trimtab.models.problem import ZERO_TRADE, Solution

__all__ = [
    "ConstraintDual",
    "LambdaDerivative",
    "Sensitivity",
    "constraint_duals",
    "lambda_derivatives",
    "sensitivity",
]

#: Dual values below this (bp per unit of the row) count as zero: the constraint does not bind.
DUAL_ZERO = 1e-6


def _r(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


@dataclass(frozen=True)
class ConstraintDual:
    """The marginal value of one constraint.

    Parameters
    ----------
    constraint : str
        Its repr.
    binding : bool
        Whether any row has a non-zero dual value.
    bp_per_pp : float
        Largest absolute dual value over its rows, in basis points of portfolio value per percentage point of
        relaxation (how much the objective would fall).
    per_symbol : mapping of str to float
        For per-asset rows: the non-zero values by symbol (same unit).
    sentence : str
        The same in words.
    """

    constraint: str
    binding: bool
    bp_per_pp: float
    per_symbol: Mapping[str, float] = field(default_factory=dict)
    sentence: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "constraint": self.constraint,
            "binding": self.binding,
            "bp_per_pp": _r(self.bp_per_pp),
            "per_symbol": {k: _r(v) for k, v in self.per_symbol.items()},
            "sentence": self.sentence,
        }


def _row_duals(rows: list[Any], s_te: float) -> list[np.ndarray]:
    out = []
    for row in rows:
        value = row.dual_value
        if value is not None:
            out.append(np.atleast_1d(np.asarray(value, dtype=float)) * s_te / 100.0)  # bp per pp
    return out


def constraint_duals(problem: TradeoffProblem, solution: Solution, s_te: float = 1.0) -> list[ConstraintDual]:
    """Dual values of every constraint of ``problem`` at ``solution`` (which must be its latest solve)."""
    _ = solution.binding  # loads the dual values into the cvxpy constraints
    data = solution.data
    v = problem.problem.v
    out: list[ConstraintDual] = []
    for c in problem.problem.constraints:
        duals = _row_duals(v.constraints_of.get(id(c), []), s_te)
        size = max((float(np.max(np.abs(d), initial=0.0)) for d in duals), default=0.0)
        per_symbol: dict[str, float] = {}
        for d in duals:
            if d.size == data.n:
                names: list[str] = list(data.symbols)
            elif isinstance(c, _SymbolList):
                names = [s for s, m in zip(data.symbols, c.mask(data.symbols), strict=True) if m]
            else:
                continue
            if len(names) != d.size:
                continue
            for name, x in zip(names, d, strict=True):
                if abs(x) > DUAL_ZERO / 100.0:
                    per_symbol[name] = per_symbol.get(name, 0.0) + float(abs(x))
        binding = size > DUAL_ZERO / 100.0
        size = size if binding else 0.0
        out.append(
            ConstraintDual(repr(c), binding, size, per_symbol, _sentence(c, binding, size, per_symbol))
        )
    return out


def _sentence(c: Constraint, binding: bool, size: float, per_symbol: Mapping[str, float]) -> str:
    if not binding:
        return f"{c!r} does not bind (relaxing it would not change the decision)"
    if isinstance(c, TurnoverAtMost):
        return (
            f"raising the turnover cap by 1 pp would lower the objective by {2 * size:.4g} bp "
            f"of portfolio value"
        )
    if isinstance(c, CashBounds):
        return f"moving the binding cash bound by 1 pp would lower the objective by {size:.4g} bp"
    if per_symbol:
        top = sorted(per_symbol.items(), key=lambda kv: -kv[1])[:5]
        listed = ", ".join(f"{s} {x:.4g} bp" for s, x in top)
        return f"relaxing {c!r} by 1 pp would lower the objective by: {listed}"
    return f"relaxing {c!r} by 1 pp would lower the objective by {size:.4g} bp"


@dataclass(frozen=True)
class LambdaDerivative:
    """Finite-difference derivatives of the decision in one multiplier.

    ``d_trades`` is ``dz/dlam`` per symbol (weights per unit of ``lam``; zero entries left out);
    ``d_turnover``, ``d_tracking_error`` (annualised), ``d_trading_cost`` and ``d_tax`` (fractions of value)
    are per unit of ``lam`` too.  ``method`` is ``central`` with ``step`` relative to ``value``.
    """

    key: str
    value: float
    step: float
    d_trades: Mapping[str, float]
    d_turnover: float
    d_tracking_error: float
    d_trading_cost: float
    d_tax: float
    method: str = "central"

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "value": _r(self.value),
            "step": _r(self.step),
            "method": self.method,
            "d_trades": {k: _r(v) for k, v in self.d_trades.items()},
            "d_turnover": _r(self.d_turnover),
            "d_tracking_error": _r(self.d_tracking_error),
            "d_trading_cost_bp": _r(1e4 * self.d_trading_cost),
            "d_tax_bp": _r(1e4 * self.d_tax),
        }


def lambda_derivatives(
    problem: TradeoffProblem, data: ProblemData, *, step: float = 0.05
) -> dict[str, LambdaDerivative]:
    """Central differences of the decision in each multiplier present (see the module docstring)."""
    out: dict[str, LambdaDerivative] = {}
    for key in problem.keys:
        lam = problem.base[key]
        h = step * lam
        up: FrontierPoint = problem.point(data, {key: lam + h})
        down: FrontierPoint = problem.point(data, {key: lam - h})
        dz = (up.z - down.z) / (2 * h)
        out[key] = LambdaDerivative(
            key=key,
            value=lam,
            step=step,
            # entries whose two solves differ by less than solver noise (ZERO_TRADE) are left out
            d_trades={
                s: float(x) for s, x in zip(data.symbols, dz, strict=True) if abs(x) * 2 * h > ZERO_TRADE
            },
            d_turnover=(up.turnover - down.turnover) / (2 * h),
            d_tracking_error=(up.tracking_error - down.tracking_error) / (2 * h),
            d_trading_cost=(up.trading_cost - down.trading_cost) / (2 * h),
            d_tax=(up.tax - down.tax) / (2 * h),
        )
    return out


@dataclass(frozen=True)
class Sensitivity:
    """Dual values and multiplier derivatives at the policy's multipliers."""

    lambdas: Mapping[str, float]
    duals: tuple[ConstraintDual, ...]
    derivatives: Mapping[str, LambdaDerivative]

    def to_json(self) -> dict[str, Any]:
        """JSON form (``duals`` lists every constraint, binding or not)."""
        return {
            "lambdas": {k: _r(v) for k, v in self.lambdas.items()},
            "duals": [d.to_json() for d in self.duals],
            "derivatives": {k: d.to_json() for k, d in self.derivatives.items()},
        }


def sensitivity(problem: TradeoffProblem, data: ProblemData, *, step: float = 0.05) -> Sensitivity:
    """Dual values at the policy's multipliers, then the derivatives in each multiplier."""
    solution, s_te = problem.solve(data)
    duals = tuple(constraint_duals(problem, solution, s_te))
    return Sensitivity(dict(problem.base), duals, lambda_derivatives(problem, data, step=step))
