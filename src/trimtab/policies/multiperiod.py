# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Model predictive control: plan trades over ``H`` periods with the same terms, execute the first.

``MultiPeriodRebalancer(holding, trading, horizon=H, discount=rho)`` minimises

    sum_{t=0}^{H-1} (1 - rho)^t [ trading(z_t) + (1 - rho) * holding(dv_t) ]

where period ``t`` trades ``z_t = dv_t - dv_{t-1}`` (``dv_{-1} = w - w_target``), ``holding`` is a term of
the deviation after trading (e.g. ``(gamma / 2) * TrackingError()``) and ``trading`` a term of the trades
(e.g. ``TradingCost(...)`` or ``(lam / 2) * QuadraticTradingCost()``).  Forecasts are static: every period
sees the same data (target, risk, costs).  Each constraint applies in every period.  The discounting follows
Garleanu and Pedersen (2013): a position held after trading at ``t`` is scored at ``t + 1``.

With ``holding = (gamma/2) TE^2`` and ``trading = (lam/2) z' Sigma z`` this is Garleanu-Pedersen's problem
with a static aim; certainty equivalence makes the first-period trade the fraction ``a / lam`` of the gap
(KAT-08), which the tests check.

The problem is compiled once per universe (one set of variables per period, chained by
:meth:`CvxVars.next_period`) and re-solved like :class:`~trimtab.models.problem.RebalanceProblem`;
:class:`MultiPeriodRebalancer` is a :class:`~trimtab.policies.optimizer.ConvexRebalancer` whose decisions
(reasons, fallbacks) work the same way, with the whole plan in ``details["plan"]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError, ModelError
from trimtab.models.base import (
    OBJECTIVE_SCALE,
    Constraint,
    CvxVars,
    ProblemData,
    RiskForm,
    Term,
    constraint_names,
)
from trimtab.models.problem import RebalanceProblem, Solution
from trimtab.policies.base import Decision, DecisionContext
from trimtab.policies.optimizer import ConvexRebalancer
from trimtab.typing import FloatArray

__all__ = ["MultiPeriodProblem", "MultiPeriodRebalancer", "gp_trading_fraction"]


def gp_trading_fraction(gamma: float, lam: float, rho: float) -> float:
    """KAT-08: Garleanu-Pedersen fraction ``a / lam`` of the gap traded each period.

    ``a = [-(gamma (1-rho) + lam rho) + sqrt((gamma (1-rho) + lam rho)^2 + 4 gamma lam (1-rho)^2)] / (2 (1-rho))``.
    """
    s = gamma * (1 - rho) + lam * rho
    a = (-s + math.sqrt(s * s + 4 * gamma * lam * (1 - rho) ** 2)) / (2 * (1 - rho))
    return a / lam


class MultiPeriodProblem(RebalanceProblem):
    """The ``H``-period problem; :meth:`solve` returns the first period's trades (plan in :attr:`plan`)."""

    _qp_allowed = False  # the plan is read from the Clarabel object's variables

    def __init__(
        self,
        holding: Term,
        trading: Term,
        constraints: Sequence[Constraint] = (),
        *,
        symbols: Sequence[str],
        horizon: int,
        discount: float = 0.0,
        risk_form: RiskForm = "dense",
        n_factors: int = 0,
        solvers: Sequence[str] = ("CLARABEL",),
        fast: bool = True,
    ) -> None:
        if horizon < 1:
            raise ConfigError("multi-period horizon must be at least 1 period", got=horizon, fix="e.g. 20")
        if not 0.0 <= discount < 1.0:
            raise ConfigError("multi-period discount rho must be in [0, 1)", got=discount, fix="e.g. 0.01")
        holding.check_convex()
        trading.check_convex()
        self.holding, self.trading = holding, trading
        self.objective = trading + holding
        self.constraints = tuple(constraints)
        self.solvers = tuple(s.upper() for s in solvers)
        unknown = [s for s in self.solvers if s not in cp.installed_solvers()]
        if unknown:
            raise ModelError(f"solver(s) {unknown} not installed; installed: {cp.installed_solvers()}")
        self.horizon, self.discount = int(horizon), float(discount)
        first = CvxVars(symbols, risk_form=risk_form, n_factors=n_factors)
        self.periods = [first]
        for _ in range(self.horizon - 1):
            self.periods.append(self.periods[-1].next_period())
        self.v = first
        parts, rows = [], []
        for t, v in enumerate(self.periods):
            weight = (1.0 - self.discount) ** t
            parts.append(
                weight * self.trading.to_cvxpy(v) + weight * (1.0 - self.discount) * self.holding.to_cvxpy(v)
            )
            rows += [row for c in self.constraints for row in (c.compile(v) if t == 0 else c.to_cvxpy(v))]
        epigraphs = [row for v in self.periods for row in v.epigraphs]
        self.problem = cp.Problem(cp.Minimize(OBJECTIVE_SCALE * cp.sum(cp.hstack(parts))), rows + epigraphs)
        if not (self.problem.is_dcp() and self.problem.is_dpp()):
            raise ModelError(
                f"multi-period {self.objective!r} with {constraint_names(self.constraints) or 'no constraints'}"
                " is not DPP"
            )
        self.solves = 0
        self.fast = fast
        self._direct = None

    @classmethod
    def build(
        cls,
        holding: Term,
        trading: Term,
        constraints: Sequence[Constraint],
        data: ProblemData,
        *,
        horizon: int,
        discount: float = 0.0,
        solvers: Sequence[str] = ("CLARABEL",),
        fast: bool = True,
    ) -> MultiPeriodProblem:
        """Compile for ``data``'s universe and risk form."""
        k = data.factors.n_factors if data.factors is not None else 0
        return cls(
            holding,
            trading,
            constraints,
            symbols=data.symbols,
            horizon=horizon,
            discount=discount,
            risk_form=data.risk_form(),
            n_factors=k,
            solvers=solvers,
            fast=fast,
        )

    def bind(self, data: ProblemData) -> None:
        """Set every period's Parameters from ``data`` (static forecasts)."""
        self.periods[0].bind(data)
        for v in self.periods:
            self.holding.bind(v, data)
            self.trading.bind(v, data)
            for c in self.constraints:
                c.bind(v, data)

    def plan(self) -> FloatArray:
        """Planned trades of the last solve, shape (horizon, n) (first row executed)."""
        if self._direct is not None:
            self._direct.unpack()  # the fast path loads variable values only on request
        rows = []
        previous = None
        for v in self.periods:
            dv = np.asarray(v.dv.value, dtype=float)
            rows.append(dv - (np.asarray(self.periods[0].d0.value) if previous is None else previous))
            previous = dv
        return np.array(rows)

    def solve_plan(self, data: ProblemData) -> tuple[Solution, FloatArray]:
        """The first-period solution and the whole plan (trades per period, shape (horizon, n))."""
        solution = self.solve(data)
        return solution, self.plan()


class MultiPeriodRebalancer(ConvexRebalancer):
    """MPC policy: plan ``horizon`` periods with ``holding`` and ``trading`` terms, trade the first period.

    Parameters
    ----------
    holding : Term
        Cost of the deviation after trading, per period (e.g. ``(gamma/2) * TrackingError()`` with a
        per-period covariance or ``gamma`` scaled to the period).
    trading : Term
        Cost of each period's trades.
    horizon : int
        Periods planned.
    discount : float
        ``rho``: the per-period discount ``(1 - rho)``.
    constraints, **options
        As for :class:`~trimtab.policies.optimizer.ConvexRebalancer`.
    """

    def __init__(
        self,
        holding: Term,
        trading: Term,
        constraints: Sequence[Constraint] = (),
        *,
        horizon: int,
        discount: float = 0.0,
        **options: Any,
    ) -> None:
        super().__init__(trading + holding, constraints, **options)
        if horizon < 1:
            raise ConfigError("multi-period horizon must be at least 1 period", got=horizon, fix="e.g. 20")
        self.holding, self.trading = holding, trading
        self.horizon, self.discount = int(horizon), float(discount)
        self._plan: FloatArray | None = None
        if self.spec is None:
            self.spec = f"mpc(horizon={self.horizon}, discount={self.discount!r}, holding={holding!r}, trading={trading!r})"

    def compiled_for(self, data: ProblemData) -> MultiPeriodProblem:
        """The compiled multi-period problem for ``data``'s universe."""
        k = data.factors.n_factors if data.factors is not None else 0
        key = (data.symbols, data.risk_form(), k)
        problem = self._compiled.get(key)
        if problem is None:
            problem = MultiPeriodProblem.build(
                self.holding,
                self.trading,
                self.constraints,
                data,
                horizon=self.horizon,
                discount=self.discount,
                solvers=self.solvers,
            )
            self._compiled[key] = problem
            while len(self._compiled) > 4:
                self._compiled.popitem(last=False)
        return problem  # type: ignore[return-value]

    def optimize(self, data: ProblemData) -> Solution:
        """Solve the plan; the first period's trades are returned, the plan kept for :meth:`decide`."""
        solution, self._plan = self.compiled_for(data).solve_plan(data)
        return solution

    def decide(self, ctx: DecisionContext) -> Decision:
        """As :meth:`ConvexRebalancer.decide`, with the planned trades per period in ``details["plan"]``."""
        self._plan = None
        decision = super().decide(ctx)
        if "fallback" in decision.details or self._plan is None:
            return decision
        plan = self._plan
        details = dict(decision.details)
        details["plan"] = [
            {s: float(x) for s, x in zip(ctx.symbols, row, strict=True) if abs(x) > 1e-9} for row in plan
        ]
        return Decision(
            action=decision.action,
            target_weights=decision.target_weights,
            reasons=decision.reasons,
            policy=decision.policy,
            details=details,
        )
