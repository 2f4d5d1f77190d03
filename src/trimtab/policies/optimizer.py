# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""ConvexRebalancer: the optimal-rebalancing policy (compiled once per universe, Parameters set per step).

It chooses trades ``z`` (weights) minimising an objective made of :class:`~trimtab.models.base.Term` objects,
by default ``lam_te * TE^2(w + z - w_target) + lam_tc * TradingCost(z) [+ lam_tax * Tax(z)]``, subject to
:class:`~trimtab.models.base.Constraint` objects, and returns a :class:`~trimtab.policies.base.Decision`
whose reasons come from the terms (per-trade gains and costs) and the binding constraints (dual values).

* The cvxpy problem is compiled once per universe (symbols, risk form, number of factors) and re-solved by
  setting Parameter values (DPP), warm-starting the solver.
* Risk is dense up to ``factor_threshold`` assets (200) and in factor form above it (a statistical factor
  model from the snapshot's returns; no n-by-n matrix is formed).
* A solver failure or infeasible constraints give an explicit ``hold`` whose ``details["fallback"]`` records
  what failed and why (``on_failure=None`` re-raises instead).

The portfolio file's ``{kind: optimizer, ...}`` is built by :func:`build_optimizer_policy`; its parameters
are documented there and in ``docs/optimizer.md``.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from trimtab.domain.lots import ReliefMethod
from trimtab.domain.settings import CostSettings, ImpactSettings
from trimtab.errors import ConfigError, DataError, OptimizationError, SourceRef
from trimtab.models.base import Constraint, ProblemData, Term
from trimtab.models.constraints import (
    CashBounds,
    DoNotBuy,
    DoNotSell,
    DoNotTrade,
    LongOnly,
    TurnoverAtMost,
    WeightBounds,
)
from trimtab.models.costs import CostModel, FixedCost
from trimtab.models.mixed_integer import DEFAULT_MAX_NODES, MixedIntegerProblem, has_integer_parts
from trimtab.models.problem import RebalanceProblem, Solution
from trimtab.models.risk import factor_risk_from_returns
from trimtab.models.tax import (
    TAX_KEY,
    RealizedGainAtMost,
    TaxInputs,
    cell_problem_patterns,
    describe_cells,
    harvest_candidates,
    initial_cells,
    uses_trade_cells,
    with_cells,
)
from trimtab.models.trading_cost import TradingCost
from trimtab.policies.base import Action, Decision, DecisionContext
from trimtab.policies.optimizer_terms import TERM_PARAMETERS, parse_optimizer_terms
from trimtab.policies.registry import PolicyParams, register_policy
from trimtab.typing import FloatArray
from trimtab.units import parse_decimal

__all__ = ["OPTIMIZER_KEYS", "OPTIMIZER_PARAMETERS", "ConvexRebalancer", "build_optimizer_policy", "explain"]

#: Weights within this distance of the target count as "on target" (solver accuracy on weights is ~1e-6).
ON_TARGET = 1e-5
#: Compiled problems kept per policy (one per universe seen recently).
_CACHE_SIZE = 4


def _bp(x: float) -> str:
    return f"{1e4 * x:.2f} bp"


def _pp(x: float) -> str:
    return f"{100 * x:.2f} pp"


def _clean(weights: dict[str, float], noise: float = 1e-6) -> dict[str, float]:
    """Weights with solver noise below zero (``-noise < x < 0``, e.g. cash at ``-6e-9`` under a no-borrowing
    bound) set to 0, so the trade planner accepts them; larger negatives (a permitted short) are kept."""
    return {k: (0.0 if -noise < x < 0.0 else x) for k, x in weights.items()}


def _deviation(d: float) -> str:
    if abs(d) < 5e-5:
        return "on"
    return f"{_pp(abs(d))} {'over' if d > 0 else 'under'}"


class ConvexRebalancer:
    """Optimal rebalancing by convex optimization.

    Parameters
    ----------
    objective : Term
        Convex objective in fractions of portfolio value, e.g.
        ``TrackingError() + 2.0 * TradingCost(LinearCost(half_spread_bps=3))``.
    constraints : sequence of Constraint
        Hard constraints, e.g. ``[LongOnly(), CashBounds(), TurnoverAtMost(0.1)]``.
    solvers : sequence of str
        cvxpy solver names tried in order (Clarabel default).
    on_failure : {"hold", None}
        ``"hold"``: a failed or infeasible solve returns a recorded hold; ``None`` re-raises.
    risk : {"auto", "dense", "factor"}
        ``auto`` uses a dense covariance up to ``factor_threshold`` assets and factor form above.
    factor_threshold : int
        See ``risk``.
    n_factors : int
        Factors of the statistical factor model (factor form).
    lookback : int
        Return rows used to estimate risk when the context gives no covariance (and always in factor form).
    volatility_lookback, volume_lookback : int
        Rows used for the per-period volatility and the average traded value (market impact only).
    extra_data : callable, optional
        ``extra_data(ctx) -> mapping`` stored in ``ProblemData.extras`` for plug-in terms (e.g. tax lots).
    spec : str, optional
        What :meth:`describe` returns (the factory passes the portfolio-file form).
    notes : sequence of str
        Sentences added to every decision's details (e.g. costs the optimizer does not price).
    max_nodes : int
        Node limit of the branch and bound when the problem has mixed-integer parts (minimum trade size,
        maximum number of trades, fixed cost per trade; ``models/mixed_integer.py``).
    """

    def __init__(
        self,
        objective: Term,
        constraints: Sequence[Constraint] = (),
        *,
        solvers: Sequence[str] = ("CLARABEL",),
        on_failure: str | None = "hold",
        risk: str = "auto",
        factor_threshold: int = 200,
        n_factors: int = 10,
        lookback: int = 252,
        volatility_lookback: int = 60,
        volume_lookback: int = 20,
        extra_data: Callable[[DecisionContext], Mapping[str, Any]] | None = None,
        spec: str | None = None,
        notes: Sequence[str] = (),
        max_nodes: int = DEFAULT_MAX_NODES,
    ) -> None:
        if on_failure not in ("hold", None):
            raise ConfigError(
                "ConvexRebalancer: on_failure must be 'hold' or None",
                got=on_failure,
                fix="use 'hold' (recorded fallback) or None (raise)",
            )
        if risk not in ("auto", "dense", "factor"):
            raise ConfigError(
                "ConvexRebalancer: risk must be auto, dense or factor", got=risk, fix="use auto"
            )
        objective.check_convex()
        self.objective = objective
        self.constraints = tuple(constraints)
        self.solvers = tuple(solvers)
        self.on_failure = on_failure
        self.risk = risk
        self.factor_threshold = int(factor_threshold)
        self.n_factors = int(n_factors)
        self.lookback = int(lookback)
        self.volatility_lookback = int(volatility_lookback)
        self.volume_lookback = int(volume_lookback)
        self.extra_data = extra_data
        self.spec = spec
        self.notes = tuple(notes)
        self.max_nodes = int(max_nodes)
        self._compiled: OrderedDict[tuple[Any, ...], RebalanceProblem] = OrderedDict()
        self._last_as_of: pd.Timestamp | None = None  # warm starts only along one run's dates
        needs = objective.needs().union(*(c.needs() for c in self.constraints))
        self._needs = needs
        # Tax terms and the realized-gain budget work on trade cells (models/tax.py): the policy then solves
        # the relaxed problem, fixes each symbol's cell and re-solves (two or more solves per decision).
        self._cells = uses_trade_cells(objective, self.constraints)

    # -- Policy protocol ---------------------------------------------------------------------------------
    def describe(self) -> str:
        """Short call-like text of the policy."""
        if self.spec is not None:
            return self.spec
        cons = ", ".join(repr(c) for c in self.constraints)
        return f"optimizer({self.objective!r}; {cons})" if cons else f"optimizer({self.objective!r})"

    def __repr__(self) -> str:
        return self.describe()

    def decide(self, ctx: DecisionContext) -> Decision:
        """Solve at ``ctx.as_of``; a failed solve gives a recorded ``hold`` (unless ``on_failure=None``)."""
        if self._last_as_of is not None and ctx.as_of <= self._last_as_of:
            # not the next date of one run (a new backtest, a what-if at the same date): start every solver
            # cold, so that a decision never depends on solves made for another run
            for problem in self._compiled.values():
                problem.cold_start()
        self._last_as_of = ctx.as_of
        data = self.problem_data(ctx)
        try:
            if self._cells:
                solution, info = self._optimize_in_cells(data)
            else:
                solution, info = self.optimize(data), {}
        except OptimizationError as err:
            if self.on_failure is None:
                err.add_note(f"while {self.describe()} decided at {ctx.as_of:%Y-%m-%d}")
                raise
            return self._fallback(ctx, err)
        return self._decision(ctx, solution, info)

    # -- the two steps -----------------------------------------------------------------------------------
    def problem_data(self, ctx: DecisionContext) -> ProblemData:
        """Weights, prices, risk and (when needed) volatility and volume from the context."""
        symbols = tuple(ctx.symbols)
        snap = ctx.snapshot
        prices = snap.price_row(symbols)
        covariance = factors = None
        returns: FloatArray | None = None
        if "risk" in self._needs:
            form = self.risk
            if form == "auto":
                form = "factor" if len(symbols) > self.factor_threshold else "dense"
            if form == "dense" and ctx.covariance is not None:
                covariance = np.asarray(ctx.covariance(), dtype=float)
            else:
                returns = self._returns(ctx, self.lookback)
                if form == "dense":
                    covariance = (
                        np.cov(returns, rowvar=False, ddof=1).reshape(len(symbols), len(symbols))
                        * snap.periods_per_year
                    )
                else:
                    factors = factor_risk_from_returns(
                        returns, n_factors=self.n_factors, periods_per_year=snap.periods_per_year
                    )
        sigma = volume = None
        if "sigma" in self._needs:
            recent = snap.returns(list(symbols), lookback=self.volatility_lookback).to_numpy(dtype=float)
            sigma = (
                np.nanstd(recent, axis=0, ddof=1) if recent.shape[0] >= 2 else np.full(len(symbols), np.nan)
            )
        if "volume" in self._needs:
            vols = [snap.average_volume(s, self.volume_lookback) for s in symbols]
            volume = None if any(x is None for x in vols) else np.array(vols, dtype=float)
        extras = dict(self.extra_data(ctx)) if self.extra_data is not None else {}
        return ProblemData(
            symbols=symbols,
            w=ctx.weights,
            w_target=ctx.target,
            v=float(ctx.value),
            cash=float(ctx.cash_weight),
            target_cash=float(ctx.target_cash),
            prices=prices,
            sigma=sigma,
            volume=volume,
            covariance=covariance,
            factors=factors,
            extras=extras,
        )

    def _returns(self, ctx: DecisionContext, lookback: int) -> FloatArray:
        frame = ctx.snapshot.returns(list(ctx.symbols), lookback=lookback)
        r = frame.to_numpy(dtype=float)
        r = r[np.isfinite(r).all(axis=1)]
        if r.shape[0] < 2:
            raise DataError(
                f"the optimizer needs at least 2 periods of returns where every symbol has a price "
                f"to estimate risk at {ctx.as_of:%Y-%m-%d}; found {r.shape[0]}"
            )
        return r

    def compiled_for(self, data: ProblemData) -> RebalanceProblem:
        """The compiled problem for ``data``'s universe (compiled on first use, then cached)."""
        k = data.factors.n_factors if data.factors is not None else 0
        key = (data.symbols, data.risk_form(), k)
        problem = self._compiled.get(key)
        if problem is None:
            if has_integer_parts(self.objective, self.constraints):
                problem = MixedIntegerProblem.for_data(
                    self.objective, self.constraints, data, solvers=self.solvers, max_nodes=self.max_nodes
                )
            else:
                problem = RebalanceProblem.for_data(
                    self.objective, self.constraints, data, solvers=self.solvers
                )
            self._compiled[key] = problem
            while len(self._compiled) > _CACHE_SIZE:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(key)
        return problem

    def optimize(self, data: ProblemData) -> Solution:
        """Solve for ``data``; raises :class:`InfeasibleError` / :class:`SolverError` on failure."""
        if self._cells:
            return self._optimize_in_cells(data)[0]
        return self.compiled_for(data).solve(data)

    def _optimize_in_cells(self, data: ProblemData) -> tuple[Solution, dict[str, Any]]:
        """Solve with the cell search of :func:`solve_in_cells` (tax term or realized-gain budget present)."""
        return solve_in_cells(self.compiled_for(data), data)

    # -- decisions ---------------------------------------------------------------------------------------
    def _decision(self, ctx: DecisionContext, solution: Solution, info: Mapping[str, Any] | None = None) -> Decision:
        data = solution.data
        w_plus = solution.w_plus
        if not solution.trades:
            action: Action = "hold"
            target = ctx.as_weights(np.asarray(ctx.weights, dtype=float), cash=float(ctx.cash_weight))
        else:
            on_target = (
                np.max(np.abs(w_plus - data.w_target), initial=0.0) <= ON_TARGET
                and abs(solution.cash_plus - (data.target_cash or 0.0)) <= ON_TARGET
            )
            action = "rebalance" if on_target else "partial"
            target = _clean(ctx.as_weights(w_plus, cash=solution.cash_plus))
        details: dict[str, Any] = {
            "solver": solution.solver,
            "status": solution.status,
            "seconds": solution.seconds,
        }
        reasons: list[str] = []
        if ctx.explain:  # a backtest shows no reasons (DecisionContext.explain)
            reasons = explain(self.objective, solution)
            details.update(
                objective=solution.objective,
                turnover=solution.turnover,
                terms=_term_values(self.objective, solution),
                binding=[repr(c) for c in solution.binding],
                trades={s: float(x) for s, x in zip(data.symbols, solution.z, strict=True) if x != 0},
            )
        if info:
            details["tax"] = dict(info)
        search = getattr(self.compiled_for(data), "last_search", None)
        if search:
            details["mixed_integer"] = dict(search)
            if search.get("node_limit_hit") and ctx.explain:
                reasons.append(
                    f"the mixed-integer search stopped at its node limit ({search['nodes']} nodes): the answer "
                    f"is within {_bp(search['gap'] or 0.0)} of the optimum; raise max_nodes to close the gap"
                )
        if self.notes:
            details["notes"] = list(self.notes)
        return Decision(
            action=action,
            target_weights=target,
            reasons=tuple(reasons),
            policy=self.describe(),
            details=details,
        )

    def _fallback(self, ctx: DecisionContext, err: OptimizationError) -> Decision:
        record = {
            "at": f"{ctx.as_of:%Y-%m-%d}",
            "failed": self.describe(),
            "error": type(err).__name__,
            "reason": str(err),
            "used": "hold",
        }
        weights = ctx.as_weights(np.asarray(ctx.weights, dtype=float), cash=float(ctx.cash_weight))
        reason = f"optimizer failed ({type(err).__name__}: {err}); holding the current weights"
        return Decision(
            action="hold",
            target_weights=weights,
            reasons=(reason,),
            policy=self.describe(),
            details={"fallback": record},
        )


# ------------------------------------------------------------------------------------------- tax: trade cells
#: Most solves the cell search spends on one decision (the relaxed and first cell solves included).
MAX_CELL_SOLVES = 200
#: A move of the cell search is kept when the exact objective falls by more than this (fraction of value).
_IMPROVEMENT = 1e-10


def solve_in_cells(
    problem: RebalanceProblem, data: ProblemData, *, max_solves: int = MAX_CELL_SOLVES
) -> tuple[Solution, dict[str, Any]]:
    """Solve a problem whose tax term or realized-gain budget works on trade cells (``models/tax.py``).

    The tax of a trade is not convex in ``z`` once a lot is at a loss; with each symbol's cell fixed (buy,
    sell from sheltered accounts, sell into taxable lots) it is, and the compiled problem is the same, only
    its Parameters change (Moehle et al. 2021 fix each asset's direction; KAT-25):

    1. the relaxed problem (every cell open; a lower bound that may harvest a loss and buy it back);
    2. the cells of the relaxed net trades (:func:`~trimtab.models.tax.initial_cells`), solved exactly;
    3. local search: each symbol in turn is moved to each of its other cells (harvestable symbols -- a
       taxable lot at a loss -- first); a move stays when the exact objective falls; passes repeat until
       none helps or ``max_solves`` solves are spent;
    4. the best cells are solved last, so the dual values read for the explanation are theirs.

    On random instances with up to 6 assets this found the best of all cell patterns in every case
    (``tests/optimizer/test_optimizer_tax.py``); it is a heuristic, never better than that optimum.

    Returns
    -------
    solution : Solution
        The best solution found.
    info : dict
        ``cells`` (symbol -> cell, for symbols sold), ``cell_solves``, ``moves`` (symbols whose cell the
        search changed) and ``complete`` (False when ``max_solves`` stopped the search).
    """
    relaxed = problem.solve(with_cells(data, None))
    cells = list(initial_cells(relaxed.z, data))
    best = problem.solve(with_cells(data, cells))
    best_value = best.objective
    solves, moves, last_is_best = 2, [], True
    options = cell_problem_patterns(data)
    first = harvest_candidates(data, cells, limit=data.n)
    order = first + [i for i in range(data.n) if i not in first and len(options[i]) > 1]
    complete, improved = True, True
    while improved and complete:
        improved = False
        for i in order:
            for cell in options[i]:
                if cell is cells[i]:
                    continue
                if solves >= max_solves:
                    complete = False
                    break
                trial = list(cells)
                trial[i] = cell
                solves += 1
                try:
                    candidate = problem.solve(with_cells(data, trial))
                except OptimizationError:
                    last_is_best = False
                    continue
                if candidate.objective < best_value - _IMPROVEMENT:
                    best, best_value, cells, last_is_best, improved = candidate, candidate.objective, trial, True, True
                    moves.append(data.symbols[i])
                else:
                    last_is_best = False
            if not complete:
                break
    if not last_is_best:
        solves += 1
        best = problem.solve(with_cells(data, cells))
    info = {
        "cells": describe_cells(data.symbols, cells),
        "cell_solves": solves,
        "moves": moves,
        "complete": complete,
    }
    return best, info


# ------------------------------------------------------------------------------------------------ explanations
def _leaves(objective: Term) -> list[tuple[float, Term]]:
    return [(w, t) for w, t in objective.parts() if w > 0]


def _term_values(objective: Term, solution: Solution) -> dict[str, dict[str, float]]:
    data, z = solution.data, solution.z
    out: dict[str, dict[str, float]] = {}
    zero = np.zeros(data.n)
    for weight, term in _leaves(objective):
        entry = out.setdefault(term.label, {"weight": weight, "before": 0.0, "after": 0.0})
        entry["before"] += term.evaluate(zero, data)
        entry["after"] += term.evaluate(z, data)
    return out


def explain(objective: Term, solution: Solution, *, max_trades: int = 8) -> list[str]:
    """Plain-words reasons for a solution, drawn from the terms and the binding constraints.

    For each trade (largest first): the asset's deviation before and after, and what this trade adds to each
    objective term given the other trades (the term at the solution minus the term with this one trade left
    out: gains where the term falls, costs where it rises), in basis points of portfolio value.  For a hold: the KKT no-trade condition, i.e. how close the largest marginal gain
    comes to the marginal cost of trading.  Then one sentence per binding constraint.
    """
    data, z = solution.data, solution.z
    leaves = _leaves(objective)
    zero = np.zeros(data.n)
    base = [w * t.evaluate(zero, data) for w, t in leaves]
    at_solution = [w * t.evaluate(z, data) for w, t in leaves]
    reasons: list[str] = []
    traded = [int(i) for i in np.argsort(-np.abs(z), kind="stable") if z[i] != 0]
    for i in traded[:max_trades]:
        without = z.copy()
        without[i] = 0.0
        effects: list[tuple[str, float]] = []
        for (w, t), value in zip(leaves, at_solution, strict=True):
            delta = value - w * t.evaluate(without, data)
            if abs(delta) >= 5e-7:
                effects.append((t.label, delta))
        gains = [f"{label} gain {_bp(-d)}" for label, d in effects if d < 0]
        costs = [f"{label} {_bp(d)}" for label, d in effects if d > 0]
        verb = "buy" if z[i] > 0 else "sell"
        text = (
            f"{verb} {_pp(abs(z[i]))} of {data.symbols[i]}: {_deviation(data.d0[i])} target before, "
            f"{_deviation(data.d0[i] + z[i])} after"
        )
        if gains or costs:
            text += "; " + ", ".join(gains) + (" outweighs " if gains and costs else "") + ", ".join(costs)
        reasons.append(text)
    if len(traded) > max_trades:
        reasons.append(f"... and {len(traded) - max_trades} smaller trades")
    if traded:
        total = sum(w * t.evaluate(z, data) for w, t in leaves) - sum(base)
        reasons.append(
            f"objective falls by {_bp(-total)} of portfolio value (one-way turnover {_pp(solution.turnover)})"
        )
    else:
        grad = objective.gradient(zero, data)
        kink = objective.kink(data)
        if np.max(np.abs(grad), initial=0.0) <= 1e-12:
            reasons.append("no trade: the portfolio is at the optimum (no term gains from trading)")
        else:
            ratio = np.where(kink > 0, np.abs(grad) / np.where(kink > 0, kink, 1.0), np.inf)
            ratio = np.where(np.abs(grad) <= 1e-12, 0.0, ratio)
            j = int(np.argmax(ratio))
            if np.isfinite(ratio[j]) and ratio[j] <= 1 + 1e-6:
                reasons.append(
                    f"no trade: for every asset the marginal gain from trading is below its marginal "
                    f"cost (closest: {data.symbols[j]}, gain {100 * ratio[j]:.0f} % of cost)"
                )
            else:
                reasons.append("no trade: the constraints leave no better portfolio")
    for c in solution.binding:
        reasons.append(c.describe_binding(z, data))
    return reasons


# -------------------------------------------------------------------------------------------- portfolio file
#: Parameters of ``{kind: optimizer, ...}`` with defaults and meaning (documented in docs/optimizer.md).
OPTIMIZER_PARAMETERS: dict[str, tuple[Any, str]] = {
    "te_weight": (
        1.0,
        "lam_te, multiplier of the squared tracking error (annualised variance of w - target)",
    ),
    "tc_weight": (1.0, "lam_tc, multiplier of the trading cost (fraction of value) from the costs section"),
    "tax_weight": (0.0, "lam_tax, multiplier of the tax term (needs the household's lots: trimtab rebalance, or a backtest with tax:)"),
    "max_realized_gain": (None, "tax budget: largest net realized gain of the trades in taxable accounts, dollars"),
    "long_only": (True, "no short positions"),
    "min_cash": (0.0, "smallest cash weight after trading"),
    "max_cash": (1.0, "largest cash weight after trading"),
    "min_weight": (None, "lower bound per asset: a number or {SYMBOL: number}"),
    "max_weight": (None, "upper bound per asset: a number or {SYMBOL: number}"),
    "max_turnover": (None, "one-way turnover cap sum(|z|)/2, a fraction"),
    "do_not_trade": ((), "symbols never traded"),
    "do_not_buy": ((), "symbols never bought"),
    "do_not_sell": ((), "symbols never sold"),
    "risk": ("auto", "auto | dense | factor"),
    "factor_threshold": (200, "auto switches to factor form above this many assets"),
    "n_factors": (10, "factors of the statistical factor model"),
    "lookback": (252, "return periods used to estimate risk"),
    "solver": ("clarabel", "cvxpy solver name, or a list tried in order"),
    "on_failure": ("hold", "hold (recorded fallback) | raise"),
    **TERM_PARAMETERS,
}


def _where(where: SourceRef | None, key: str) -> SourceRef:
    if where is None:
        return SourceRef("policy", key=f"policy.{key}")
    prefix = where.key or "policy"
    return SourceRef(where.file, where.row, f"{prefix}.{key}")


def _number(
    params: Mapping[str, Any],
    key: str,
    where: SourceRef | None,
    *,
    low: float = 0.0,
    high: float = math.inf,
    integer: bool = False,
) -> Any:
    value = params.get(key, OPTIMIZER_PARAMETERS[key][0])
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if not ok or not low <= value <= high:
        span = f"between {low} and {high}" if math.isfinite(high) else f"{low} or more"
        raise ConfigError(
            f"optimizer {key} must be a {'whole ' if integer else ''}number {span}",
            got=value,
            fix=f"e.g. {key}: {OPTIMIZER_PARAMETERS[key][0] or 0.1}",
            where=_where(where, key),
        )
    return int(value) if integer else float(value)


def _bound(params: Mapping[str, Any], key: str, where: SourceRef | None) -> float | dict[str, float] | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, Mapping):
        out = {}
        for sym, x in value.items():
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise ConfigError(
                    f"optimizer {key} for {sym} must be a number",
                    got=x,
                    fix="e.g. 0.25",
                    where=_where(where, f"{key}.{sym}"),
                )
            out[str(sym)] = float(x)
        return out
    return _number(params, key, where, low=-10.0, high=10.0)


def _symbols(params: Mapping[str, Any], key: str, where: SourceRef | None) -> list[str]:
    value = params.get(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) and s for s in value):
        raise ConfigError(
            f"optimizer {key} must be a list of symbols",
            got=value,
            fix=f"e.g. {key}: [AAPL, JNJ]",
            where=_where(where, key),
        )
    return list(value)


def build_optimizer_policy(
    params: Mapping[str, Any],
    where: SourceRef | None = None,
    *,
    costs: CostSettings | None = None,
    tax_term: Term | None = None,
    extra_data: Callable[[DecisionContext], Mapping[str, Any]] | None = None,
    tax: TaxInputs | None = None,
) -> ConvexRebalancer:
    """The policy of ``{kind: optimizer, ...}`` in a portfolio file.

    Parameters
    ----------
    params : mapping
        The policy's keys other than ``kind`` (see :data:`OPTIMIZER_PARAMETERS` and docs/optimizer.md).
    where : SourceRef, optional
        Where the policy was written (file, line, key), for error messages.
    costs : CostSettings, optional
        The portfolio's ``costs`` section (default: no costs).  A fixed ticket cost is priced per asset
        traded by a mixed-integer term (``fixed_costs: mip``, the default) or left out and noted in every
        decision's details (``fixed_costs: ignore``).
    tax_term : Term, optional
        A tax term; when omitted and ``tax`` is given, ``tax.tax_term()`` (:class:`LotTax`, exact under
        ``min_tax`` relief, or :class:`TaxProxy`).  ``tax_weight > 0`` needs one of the two.
    extra_data : callable, optional
        ``extra_data(ctx) -> mapping`` for plug-in terms (e.g. lots for the tax term).
    tax : TaxInputs, optional
        The household's taxable lots, sheltered shares, rates and relief method at the decision date
        (``trimtab rebalance`` passes them; in a backtest the simulator's point-in-time household replaces the
        lots at each date); stored in ``ProblemData.extras["tax"]`` of every decision.
        Needed by ``tax_weight > 0`` (without ``tax_term``) and ``max_realized_gain``.

    Raises
    ------
    ConfigError
        Unknown key or bad value, naming the key and the fix.
    """
    params = {k: v for k, v in dict(params).items() if k != "kind"}
    unknown = sorted(set(params) - set(OPTIMIZER_PARAMETERS))
    if unknown:
        raise ConfigError(
            f"unknown optimizer parameter {unknown[0]!r}",
            got=unknown[0],
            fix=f"use one of {', '.join(OPTIMIZER_PARAMETERS)}",
            where=_where(where, unknown[0]),
        )
    te_weight = _number(params, "te_weight", where)
    tc_weight = _number(params, "tc_weight", where)
    tax_weight = _number(params, "tax_weight", where)
    max_gain = _number(params, "max_realized_gain", where, low=-1e12, high=1e12)
    if tax_weight > 0 and tax_term is None:
        if tax is None:
            raise ConfigError(
                "optimizer tax_weight needs the household's tax lots, which are not available here",
                got=tax_weight,
                fix="set tax_weight: 0, or run it through trimtab rebalance or a backtest with a tax: section (both pass lots)",
                where=_where(where, "tax_weight"),
            )
        tax_term = tax.tax_term()
    if max_gain is not None and tax is None:
        raise ConfigError(
            "optimizer max_realized_gain needs the household's tax lots, which are not available here",
            got=max_gain,
            fix="remove max_realized_gain, or use trimtab rebalance or a backtest with a tax: section (both pass lots)",
            where=_where(where, "max_realized_gain"),
        )
    model = CostModel.from_settings(costs) if costs is not None else CostModel()
    notes = [
        f"{t!r} is a fixed cost per trade and is not priced by the convex optimizer"
        for t in model.terms
        if isinstance(t, FixedCost) and t.per_trade > 0
    ]
    if tax is not None and (tax_weight > 0 or max_gain is not None):
        notes.append(
            "tax: each lot sold counts at its own rate (losses too), sells come first from tax-deferred/exempt "
            "accounts; the year's netting and the $3,000 loss limit are not modelled"
        )
        if tax.exact_relief is not ReliefMethod.MIN_TAX:
            notes.append(
                f"tax: lots are relieved by {tax.relief.value}; the optimizer prices sells at min_tax relief "
                f"(a lower bound) and reports the {tax.relief.value} tax -- relief_method: min_tax makes it exact"
            )
        given = extra_data
        template: TaxInputs = tax

        def extra_data(ctx: DecisionContext) -> Mapping[str, Any]:
            out = dict(given(ctx)) if given is not None else {}
            # A backtest passes its point-in-time household: its lots replace the ones given at build time.
            held = ctx.household
            out.setdefault(
                TAX_KEY,
                template
                if held is None
                else TaxInputs.from_household(
                    held, template.rates, sold=ctx.as_of.date(), relief=template.relief
                ),
            )
            return out

    trading = TradingCost(model).convex_part()
    more = parse_optimizer_terms(
        params, where, costs=model, tc_weight=tc_weight, risk=params.get("risk", "auto")
    )
    if more.prices_fixed_costs:
        notes = [n for n in notes if "is a fixed cost per trade" not in n]
    extra_data = more.wrap_extra_data(extra_data)
    objective: Term = te_weight * more.risk
    if tc_weight > 0 and trading.model.terms:  # type: ignore[union-attr]
        objective = objective + tc_weight * trading
    if tax_weight > 0 and tax_term is not None:
        objective = objective + tax_weight * tax_term
    for term in more.terms:
        objective = objective + term

    constraints: list[Constraint] = []
    long_only = params.get("long_only", True)
    if not isinstance(long_only, bool):
        raise ConfigError(
            "optimizer long_only must be true or false",
            got=long_only,
            fix="long_only: true",
            where=_where(where, "long_only"),
        )
    if long_only:
        constraints.append(LongOnly())
    min_cash = _number(params, "min_cash", where, low=-10.0, high=1.0)
    max_cash = _number(params, "max_cash", where, low=-10.0, high=10.0)
    if min_cash > max_cash:
        raise ConfigError(
            "optimizer min_cash is above max_cash",
            got=(min_cash, max_cash),
            fix="swap them",
            where=_where(where, "min_cash"),
        )
    constraints.append(CashBounds(min_weight=min_cash, max_weight=max_cash))
    lower, upper = _bound(params, "min_weight", where), _bound(params, "max_weight", where)
    if lower is not None or upper is not None:
        constraints.append(WeightBounds(lower=lower, upper=upper))
    max_turnover = _number(params, "max_turnover", where, low=0.0, high=10.0)
    if max_turnover is not None:
        constraints.append(TurnoverAtMost(max_turnover))
    for key, kind in (("do_not_trade", DoNotTrade), ("do_not_buy", DoNotBuy), ("do_not_sell", DoNotSell)):
        listed = _symbols(params, key, where)
        if listed:
            constraints.append(kind(listed))
    if max_gain is not None and tax is not None:
        constraints.append(RealizedGainAtMost(max_gain, relief=tax.exact_relief))

    constraints.extend(more.constraints)
    risk = params.get("risk", "auto")
    if risk not in ("auto", "dense", "factor"):
        raise ConfigError(
            "optimizer risk must be auto, dense or factor (the form of the covariance)",
            got=risk,
            fix="risk: auto; the risk measure is risk_measure: tracking | variance | factor_exposure | cvar | "
            "semideviation",
            where=_where(where, "risk"),
        )
    if risk == "auto" and more.risk_form is not None:
        risk = more.risk_form
    solver = params.get("solver", "clarabel")
    solvers = [solver] if isinstance(solver, str) else solver
    if (
        not isinstance(solvers, (list, tuple))
        or not solvers
        or any(not isinstance(s, str) or s.upper() not in cp.installed_solvers() for s in solvers)
    ):
        raise ConfigError(
            "optimizer solver must name installed solvers",
            got=solver,
            fix=f"use one of {', '.join(s.lower() for s in cp.installed_solvers())}",
            where=_where(where, "solver"),
        )
    on_failure = params.get("on_failure", "hold")
    if on_failure not in ("hold", "raise"):
        raise ConfigError(
            "optimizer on_failure must be hold or raise",
            got=on_failure,
            fix="on_failure: hold",
            where=_where(where, "on_failure"),
        )
    shown = ", ".join(
        f"{k}={params[k]!r}"
        for k in OPTIMIZER_PARAMETERS
        if k in params and params[k] != OPTIMIZER_PARAMETERS[k][0]
    )
    return ConvexRebalancer(
        objective,
        constraints,
        solvers=[s.upper() for s in solvers],
        on_failure=None if on_failure == "raise" else "hold",
        risk=risk,
        factor_threshold=_number(params, "factor_threshold", where, low=1, integer=True),
        n_factors=_number(params, "n_factors", where, low=1, integer=True),
        lookback=_number(params, "lookback", where, low=2, integer=True),
        extra_data=extra_data,
        spec=f"optimizer({shown})",
        notes=notes,
        max_nodes=more.max_nodes,
    )


# ------------------------------------------------------------------------------------------ policy registry
#: Keys of the registered kind: the documented parameters plus ``costs`` (the portfolio's ``costs`` section,
#: a :class:`CostSettings` or a mapping with the same keys; the caller fills it from the file) and
#: ``tax_context`` (a :class:`~trimtab.models.tax.TaxInputs` that ``trimtab.job`` builds from the household's
#: lots and the file's ``tax:`` section; not written by users).
OPTIMIZER_KEYS = (*OPTIMIZER_PARAMETERS, "costs", "tax_context")
_SYMBOL_SEPARATORS = re.compile(r"[\s+;|]+")


def _cost_settings(params: PolicyParams) -> CostSettings | None:
    value = params.raw("costs")
    if value is None or isinstance(value, CostSettings):
        return value
    if not isinstance(value, Mapping):
        raise params.error(
            "costs", "must be a costs mapping", got=value, fix="e.g. costs: {half_spread_bps: 2}"
        )
    allowed = {"commission_per_trade", "commission_per_share", "half_spread_bps", "min_trade_value", "impact"}
    unknown = sorted(set(map(str, value)) - allowed)
    if unknown:
        raise params.error(
            f"costs.{unknown[0]}", "unknown cost key", got=unknown[0], fix=f"use {', '.join(sorted(allowed))}"
        )
    money_fields: dict[str, Decimal] = {}
    for key in ("commission_per_trade", "commission_per_share", "min_trade_value"):
        if value.get(key) is not None:
            amount = parse_decimal(value[key])
            if amount is None:
                raise params.error(
                    f"costs.{key}", "must be a number of dollars", got=value[key], fix="e.g. 0.005"
                )
            money_fields[key] = amount
    impact = value.get("impact")
    if isinstance(impact, Mapping):
        impact = ImpactSettings(**{str(k): float(v) for k, v in impact.items()})
    return CostSettings(
        half_spread_bps=float(value.get("half_spread_bps", 0.0)), impact=impact, **money_fields
    )


def _symbol_list(params: PolicyParams, key: str) -> list[str]:
    value = params.raw(key, [])
    if isinstance(value, str):
        return [s for s in _SYMBOL_SEPARATORS.split(value.strip()) if s]
    return list(value) if isinstance(value, (list, tuple)) else value


def _from_registry(params: PolicyParams) -> ConvexRebalancer:
    """Factory of the registered ``optimizer`` kind: typed values from files or ``--policy optimizer:...``."""
    typed: dict[str, Any] = {}
    ranges = {
        "te_weight": (0.0, 1e9),
        "tc_weight": (0.0, 1e9),
        "tax_weight": (0.0, 1e9),
        "min_cash": (-10.0, 1.0),
        "max_cash": (-10.0, 10.0),
        "max_turnover": (0.0, 10.0),
        "max_realized_gain": (-1e12, 1e12),
    }
    for key, (low, high) in ranges.items():
        if params.has(key):
            typed[key] = params.number(key, 0.0, low=low, high=high)
    for key in ("min_weight", "max_weight"):
        if params.has(key):
            typed[key] = (
                params.number_map(key, low=-10.0, high=10.0)
                if isinstance(params.raw(key), Mapping)
                else params.number(key, 0.0, low=-10.0, high=10.0)
            )
    for key in ("factor_threshold", "n_factors", "lookback"):
        if params.has(key):
            number = params.number(key, 1.0, low=1.0, high=1e9)
            if not number.is_integer():
                raise params.error(key, "must be a whole number", got=params.raw(key), fix=f"e.g. {key}: 10")
            typed[key] = int(number)
    if params.has("long_only"):
        flag = params.raw("long_only")
        if isinstance(flag, str) and flag.strip().lower() in ("true", "yes", "false", "no"):
            flag = flag.strip().lower() in ("true", "yes")
        typed["long_only"] = flag
    for key in ("do_not_trade", "do_not_buy", "do_not_sell"):
        if params.has(key):
            typed[key] = _symbol_list(params, key)
    if params.has("risk"):
        typed["risk"] = params.choice("risk", ("auto", "dense", "factor"), "auto")
    if params.has("on_failure"):
        typed["on_failure"] = params.choice("on_failure", ("hold", "raise"), "hold")
    if params.has("solver"):
        typed["solver"] = params.raw("solver")
    for key in TERM_PARAMETERS:  # checked by parse_optimizer_terms (numbers may be CLI strings)
        if params.has(key):
            typed[key] = params.raw(key)
    where = params.where
    ref = (
        SourceRef(where.file, where.row, params.prefix)
        if where is not None
        else SourceRef("--policy", None, params.prefix)
    )
    tax = params.raw("tax_context")
    if tax is not None and not isinstance(tax, TaxInputs):
        raise params.error(
            "tax_context",
            "is filled in by trimtab from the portfolio's lots and tax: section",
            got=type(tax).__name__,
            fix="remove tax_context from the policy",
        )
    return build_optimizer_policy(typed, ref, costs=_cost_settings(params), tax=tax)


try:
    register_policy(
        "optimizer",
        _from_registry,
        keys=OPTIMIZER_KEYS,
        arg="tc_weight",
        summary="convex optimizer: tracking error² against trading cost (and tax), with constraints",
    )
except ValueError:  # already registered (module reloaded)
    pass
