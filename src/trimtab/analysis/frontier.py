# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Trade-off frontiers: tracking error against trading cost (or tax) as one multiplier varies.

The optimizer's objective is ``lam_te * TE^2 + lam_tc * TradingCost + lam_tax * Tax``.  A
:class:`TradeoffProblem` compiles it **once** with the multipliers as cvxpy Parameters and re-solves for new
multipliers by assigning Parameter values only (DPP).  Only ratios matter for the optimum, so the tracking-error
leaves keep their constant weights and every other leaf ``k`` becomes

    ``mu_k * t_k``  with the epigraph  ``f_k(z) <= t_k``  and the Parameter  ``mu_k = w_k * s_g(k) / s_te``,

where ``w_k`` is the leaf's weight in the policy, ``s_g = lam_g / lam_g(base)`` the scale of its group
(``tc_weight``, ``tax_weight``, or fixed for any other leaf) and ``s_te`` the scale of ``te_weight``.  A
Parameter may multiply the (Parameter-free) epigraph variable ``t_k`` and stay DPP, which it could not do
with ``f_k`` itself.  The compiled objective is the policy's divided by ``s_te``; values reported here are
always the policy's own (multiplied back).  When the objective holds the tax engine's term on trade cells
(``models/tax.py``), each solve runs the policy's cell search (``solve_in_cells``) on the compiled problem.

:func:`frontier_for_portfolio` loads a portfolio file, decides with its optimizer policy (or ``optimizer``
with the file's costs when the file names another kind) and traces ``points`` multipliers, geometrically
spaced from ``base / 100`` to ``base * 100`` unless given.  Values are the optimizer's model values (weights,
before rounding to shares): ``tracking_error`` is ``sqrt(TE^2)`` annualised, ``trading_cost`` and ``tax`` are
fractions of the portfolio value.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trimtab.errors import ConfigError, SourceRef
from trimtab.models.base import ProblemData, Sum, Term
from trimtab.models.problem import RebalanceProblem, Solution
from trimtab.models.tunable import TermWeights, TunableTerm
from trimtab.typing import FloatArray

__all__ = [
    "LAMBDA_KEYS",
    "Frontier",
    "FrontierPoint",
    "TradeoffProblem",
    "frontier_for_portfolio",
    "frontier_values",
    "trace_frontier",
]

#: The multipliers a frontier or a sensitivity can vary, by the optimizer's parameter names.
LAMBDA_KEYS = ("te_weight", "tc_weight", "tax_weight")
#: Which multiplier a leaf term belongs to, by its label.
_GROUP_OF_LABEL = {"tracking error²": "te_weight", "trading cost": "tc_weight", "tax": "tax_weight"}
#: What each multiplier trades off against tracking error (the frontier's y axis).
_MEASURE_OF_KEY = {"te_weight": "trading_cost", "tc_weight": "trading_cost", "tax_weight": "tax"}


@dataclass(frozen=True)
class FrontierPoint:
    """One solve of a :class:`TradeoffProblem`.

    Parameters
    ----------
    lambdas : mapping of str to float
        The multipliers solved for (``te_weight``, ``tc_weight``, ``tax_weight`` present in the objective).
    z : ndarray of shape (n,)
        Trades as weights (buys positive).
    tracking_error : float
        ``sqrt(TE^2)`` after the trades, annualised (fraction).
    trading_cost, tax : float
        The trading-cost and tax leaves (unweighted) at ``z``, fractions of portfolio value (tax is 0 without a
        tax term).
    objective : float
        The policy's objective at ``z`` with these multipliers (fraction of value).
    seconds : float
        Wall time of the solve (binding included).
    """

    lambdas: Mapping[str, float]
    z: FloatArray
    tracking_error: float
    trading_cost: float
    tax: float
    objective: float
    seconds: float

    @property
    def turnover(self) -> float:
        """One-way turnover ``sum(|z|) / 2``."""
        return float(np.sum(np.abs(self.z))) / 2.0

    @property
    def n_trades(self) -> int:
        """Assets traded."""
        return int(np.count_nonzero(self.z))

    def to_json(self, symbols: Sequence[str]) -> dict[str, Any]:
        """Numbers rounded for JSON; trades by symbol."""
        return {
            "lambdas": {k: _round(v) for k, v in self.lambdas.items()},
            "tracking_error": _round(self.tracking_error),
            "trading_cost_bp": _round(1e4 * self.trading_cost),
            "tax_bp": _round(1e4 * self.tax),
            "turnover": _round(self.turnover),
            "n_trades": self.n_trades,
            "objective_bp": _round(1e4 * self.objective),
            "trades": {s: _round(x) for s, x in zip(symbols, self.z, strict=True) if x != 0},
            "solve_ms": round(1e3 * self.seconds, 3),
        }


def _round(x: float, digits: int = 8) -> float:
    return float(f"{x:.{digits}g}")


class TradeoffProblem:
    """An optimizer's problem compiled once, with its objective multipliers as Parameters.

    Parameters
    ----------
    objective : Term
        The policy's objective (e.g. ``ConvexRebalancer.objective``); its leaves are grouped by label into
        ``te_weight`` (tracking error²), ``tc_weight`` (trading cost) and ``tax_weight`` (tax).
    constraints : sequence of Constraint
        The policy's constraints.
    data : ProblemData
        Fixes the universe and risk form of the compiled problem.
    solvers : sequence of str
        As for :class:`~trimtab.models.problem.RebalanceProblem`.

    Raises
    ------
    ConfigError
        When the objective has no tracking-error leaf with a positive weight (nothing to trade off against).
    """

    def __init__(
        self,
        objective: Term,
        constraints: Sequence[Any],
        data: ProblemData,
        *,
        solvers: Sequence[str] = ("CLARABEL",),
    ) -> None:
        leaves = [(float(w), t) for w, t in objective.parts() if w > 0]
        te = [(w, t) for w, t in leaves if _GROUP_OF_LABEL.get(t.label) == "te_weight"]
        if not te:
            raise ConfigError(
                "a trade-off needs a tracking-error term with a positive weight in the optimizer's objective",
                got=repr(objective),
                fix="set te_weight above 0 (e.g. te_weight: 1)",
                where=SourceRef("policy", key="policy.te_weight"),
            )
        others = [(w, t) for w, t in leaves if _GROUP_OF_LABEL.get(t.label) != "te_weight"]
        self._te = te
        self._weights = TermWeights(len(others))
        self._tunable = [TunableTerm(t, i, self._weights) for i, (_, t) in enumerate(others)]
        self._leaf_weight = np.array([w for w, _ in others], dtype=float)
        self._leaf_group = [_GROUP_OF_LABEL.get(t.label, f"fixed:{i}") for i, (_, t) in enumerate(others)]
        #: The multipliers of the policy, per group: the first leaf's weight of each group.
        self.base: dict[str, float] = {"te_weight": te[0][0]}
        for (w, _), group in zip(others, self._leaf_group, strict=True):
            if group in LAMBDA_KEYS:
                self.base.setdefault(group, w)
        parts: list[Term] = [w * t for w, t in te] + list(self._tunable)
        self.objective: Term = Sum(tuple(parts)) if len(parts) > 1 else parts[0]
        self.constraints = tuple(constraints)
        self._cells = _uses_trade_cells(objective, self.constraints)
        start = time.perf_counter()
        self.problem = RebalanceProblem.for_data(self.objective, self.constraints, data, solvers=solvers)
        self.compile_seconds = time.perf_counter() - start
        self._measure_terms = {
            "tracking_error": [t for _, t in te],
            "trading_cost": [
                t for (_, t), g in zip(others, self._leaf_group, strict=True) if g == "tc_weight"
            ],
            "tax": [t for (_, t), g in zip(others, self._leaf_group, strict=True) if g == "tax_weight"],
        }

    @property
    def keys(self) -> tuple[str, ...]:
        """The multipliers present in the objective (in :data:`LAMBDA_KEYS` order)."""
        return tuple(k for k in LAMBDA_KEYS if k in self.base)

    def lambdas(self, changes: Mapping[str, float] | None = None) -> dict[str, float]:
        """The policy's multipliers with ``changes`` applied (checked: known keys, finite, >= 0)."""
        out = dict(self.base)
        for key, value in (changes or {}).items():
            if key not in out:
                raise ConfigError(
                    f"the optimizer's objective has no {key} term to vary",
                    got=key,
                    fix=f"vary one of {', '.join(self.keys)}"
                    + (
                        " (a tax_weight frontier needs the tax term: set tax_weight above 0, e.g. --policy optimizer:tax_weight=1)"
                        if key == "tax_weight"
                        else ""
                    ),
                    where=SourceRef("--vary", key=key),
                )
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(
                    f"{key} must be a finite number >= 0",
                    got=value,
                    fix="e.g. 1.0",
                    where=SourceRef("--vary"),
                )
            out[key] = float(value)
        if out["te_weight"] <= 0:
            raise ConfigError(
                "te_weight must stay above 0 in a trade-off (with no tracking-error term nothing is traded)",
                got=out["te_weight"],
                fix="use a positive te_weight",
                where=SourceRef("--vary", key="te_weight"),
            )
        return out

    def _set(self, lambdas: Mapping[str, float]) -> float:
        """Set the Parameters for ``lambdas``; returns ``s_te`` (compiled objective = policy's / s_te)."""
        s_te = lambdas["te_weight"] / self.base["te_weight"]
        for i, group in enumerate(self._leaf_group):
            scale = lambdas[group] / self.base[group] if group in self.base and self.base[group] > 0 else 1.0
            self._weights.values[i] = self._leaf_weight[i] * scale / s_te
        return s_te

    def solve(self, data: ProblemData, changes: Mapping[str, float] | None = None) -> tuple[Solution, float]:
        """Solve with the policy's multipliers changed by ``changes``.

        Returns
        -------
        solution : Solution
            Of the compiled (normalised) problem; its ``objective`` is the policy's divided by ``s_te``.
        s_te : float
            ``te_weight / te_weight(base)``; multiply dual values and objective by it for the policy's.
        """
        lambdas = self.lambdas(changes)
        s_te = self._set(lambdas)
        if self._cells:  # tax on trade cells: the policy's cell search, on this compiled problem
            from trimtab.policies.optimizer import solve_in_cells

            return solve_in_cells(self.problem, data)[0], s_te
        return self.problem.solve(data), s_te

    def measure(self, name: str, z: FloatArray, data: ProblemData) -> float:
        """Unweighted sum of the ``tracking_error`` (TE²), ``trading_cost`` or ``tax`` leaves at ``z``."""
        return float(sum(t.evaluate(z, data) for t in self._measure_terms[name]))

    def has(self, name: str) -> bool:
        """Whether the objective has ``tracking_error``, ``trading_cost`` or ``tax`` leaves."""
        return bool(self._measure_terms[name])

    def point(self, data: ProblemData, changes: Mapping[str, float] | None = None) -> FrontierPoint:
        """Solve and measure (see :class:`FrontierPoint`)."""
        lambdas = self.lambdas(changes)
        solution, s_te = self.solve(data, lambdas)
        z, data = (
            solution.z,
            solution.data,
        )  # the solved data (with the tax cells, when the tax term uses them)
        return FrontierPoint(
            lambdas=lambdas,
            z=z,
            tracking_error=math.sqrt(max(self.measure("tracking_error", z, data), 0.0)),
            trading_cost=self.measure("trading_cost", z, data),
            tax=self.measure("tax", z, data),
            objective=s_te * solution.objective,
            seconds=solution.seconds,
        )


def _uses_trade_cells(objective: Term, constraints: Sequence[Any]) -> bool:
    """Whether the tax engine's cell search is needed (tax term or realized-gain budget on trade cells)."""
    try:
        from trimtab.models.tax import uses_trade_cells
    except ImportError:  # pragma: no cover - without the tax engine
        return False
    return bool(uses_trade_cells(objective, constraints))


def frontier_values(
    base: float, points: int, low: float | None = None, high: float | None = None
) -> FloatArray:
    """``points`` multipliers spaced geometrically from ``low`` to ``high`` (default ``base/100``..``base*100``).

    Raises
    ------
    ConfigError
        For fewer than 2 points, non-positive or inverted limits.
    """
    if points < 2:
        raise ConfigError(
            "a frontier needs at least 2 points",
            got=points,
            fix="e.g. --points 20",
            where=SourceRef("--points"),
        )
    anchor = base if base > 0 else 1.0
    low = anchor / 100.0 if low is None else float(low)
    high = anchor * 100.0 if high is None else float(high)
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        raise ConfigError(
            "the frontier's range must satisfy 0 < low < high",
            got=(low, high),
            fix="e.g. --low 0.01 --high 100",
            where=SourceRef("--low/--high"),
        )
    return np.geomspace(low, high, points)


@dataclass(frozen=True)
class Frontier:
    """Tracking error against trading cost (or tax) as ``vary`` runs over ``values``.

    ``before`` is the portfolio without trades, ``base`` the policy's own multipliers (solved too).
    """

    vary: str
    measure: str
    symbols: tuple[str, ...]
    value: float
    points: tuple[FrontierPoint, ...]
    base: FrontierPoint
    before_tracking_error: float
    compile_seconds: float
    policy: str = ""
    as_of: str = ""
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The documented JSON document of ``trimtab frontier --json``."""
        solve_ms = [1e3 * p.seconds for p in self.points]
        return {
            "as_of": self.as_of,
            "policy": self.policy,
            "vary": self.vary,
            "measure": self.measure,
            "portfolio_value": round(self.value, 2),
            "before": {"tracking_error": _round(self.before_tracking_error)},
            "base": self.base.to_json(self.symbols),
            "points": [p.to_json(self.symbols) for p in self.points],
            "timing": {
                "compile_s": round(self.compile_seconds, 4),
                "median_solve_ms": round(float(np.median(solve_ms)), 3) if solve_ms else None,
            },
            "notes": list(self.notes),
        }

    def to_html(self) -> str:
        """A self-contained HTML page with the frontier plot (plotly.js embedded) and the table."""
        import plotly.graph_objects as go
        import plotly.io as pio

        label = "trading cost" if self.measure == "trading_cost" else "tax"
        xs = [100 * p.tracking_error for p in self.points]
        ys = [1e4 * getattr(p, self.measure) for p in self.points]
        hover = [
            f"{self.vary} = {p.lambdas[self.vary]:.4g}<br>turnover {100 * p.turnover:.2f} %"
            for p in self.points
        ]
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name="frontier",
                text=hover,
                hovertemplate="TE %{x:.3f} %<br>" + label + " %{y:.2f} bp<br>%{text}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[100 * self.base.tracking_error],
                y=[1e4 * getattr(self.base, self.measure)],
                mode="markers",
                marker={"size": 12, "symbol": "star"},
                name="policy as set",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[100 * self.before_tracking_error],
                y=[0.0],
                mode="markers",
                marker={"size": 10, "symbol": "x"},
                name="no trade",
            )
        )
        fig.update_layout(
            title=f"Tracking error against {label} as {self.vary} varies ({self.as_of})",
            xaxis_title="tracking error after trading (% a year)",
            yaxis_title=f"{label} (bp of portfolio value)",
        )
        plot = pio.to_html(fig, include_plotlyjs=True, full_html=False)
        rows = "".join(
            f"<tr><td>{p.lambdas[self.vary]:.4g}</td><td>{100 * p.tracking_error:.3f}</td>"
            f"<td>{1e4 * p.trading_cost:.2f}</td><td>{1e4 * p.tax:.2f}</td><td>{100 * p.turnover:.2f}</td>"
            f"<td>{p.n_trades}</td></tr>"
            for p in self.points
        )
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>trimtab frontier</title></head><body>"
            f"<h1>Frontier: {html.escape(self.vary)} ({html.escape(self.policy)})</h1>{plot}"
            "<table border='1' cellpadding='4'><tr><th>" + html.escape(self.vary) + "</th><th>TE %</th>"
            "<th>trading cost bp</th><th>tax bp</th><th>turnover %</th><th>trades</th></tr>"
            f"{rows}</table><p>{html.escape(' '.join(self.notes))}</p></body></html>"
        )


def trace_frontier(
    problem: TradeoffProblem, data: ProblemData, vary: str, values: Sequence[float] | FloatArray
) -> tuple[FrontierPoint, ...]:
    """Solve ``problem`` for each value of multiplier ``vary`` (others at the policy's values)."""
    return tuple(problem.point(data, {vary: float(x)}) for x in values)


def frontier_for_portfolio(
    path: str | Path,
    *,
    vary: str,
    points: int = 20,
    low: float | None = None,
    high: float | None = None,
    policy: str | None = None,
) -> Frontier:
    """Load a portfolio file and trace its optimizer's frontier.

    Parameters
    ----------
    path : str or Path
        Portfolio YAML file.
    vary : {"tc_weight", "tax_weight", "te_weight"}
        The multiplier to vary.
    points : int
        Number of values, geometrically spaced from ``low`` to ``high``.
    low, high : float, optional
        Range of the multiplier (default ``base / 100`` and ``base * 100``).
    policy : str, optional
        ``KIND[:ARG]`` to use instead of the file's policy; must be ``optimizer...``.  Default: the file's
        policy when it is an optimizer, else ``optimizer`` with its default parameters and the file's costs.

    Raises
    ------
    ConfigError
        Unknown ``vary``, a multiplier the objective lacks, a non-optimizer policy, a bad range.
    """
    from trimtab.analysis.whatif import optimizer_data

    if vary not in LAMBDA_KEYS:
        raise ConfigError(
            "--vary must name an objective multiplier",
            got=vary,
            fix=f"use one of {', '.join(LAMBDA_KEYS)}",
            where=SourceRef("--vary"),
        )
    rebalancer, data, notes, as_of = optimizer_data(path, policy)
    problem = TradeoffProblem(rebalancer.objective, rebalancer.constraints, data, solvers=rebalancer.solvers)
    if vary not in problem.base:
        problem.lambdas({vary: 1.0})  # raises the ConfigError naming what is missing
    measure = _MEASURE_OF_KEY[vary]
    if measure == "tax" and not problem.has("tax"):
        measure = "trading_cost"
    base = problem.point(data)
    values = frontier_values(problem.base[vary], points, low, high)
    traced = trace_frontier(problem, data, vary, values)
    return Frontier(
        vary=vary,
        measure=measure,
        symbols=data.symbols,
        value=data.v,
        points=traced,
        base=base,
        before_tracking_error=math.sqrt(max(problem.measure("tracking_error", np.zeros(data.n), data), 0.0)),
        compile_seconds=problem.compile_seconds,
        policy=rebalancer.describe(),
        as_of=as_of,
        notes=tuple(notes)
        + (
            (
                "values are the optimizer's model values (weights before rounding to shares); tracking error is "
                "annualised, costs and tax are in basis points of portfolio value"
            ),
        ),
    )
