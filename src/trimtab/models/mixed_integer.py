# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Mixed-integer parts: minimum trade size, maximum number of trades, fixed cost per trade.

Each needs to know *whether* an asset trades, which no convex function can say.  They share one pair of
indicators per asset, ``buy_i`` and ``sell_i`` (``buy_i + sell_i <= 1``), linked to the trade ``z_i`` by a
big-M from the trade bounds: ``M_i = 1 + |w_i|`` (no trade can exceed it unless a weight after trading would
leave [-100 %, 100 %]), tightened per side by the problem's own bounds (:func:`trade_bounds`: a sell is at
most the holding under ``LongOnly``, and so on)::

    z_i <= B_i buy_i        -z_i <= S_i sell_i                       (no indicator: no trade)
    z_i >= m buy_i - S_i sell_i,   z_i <= B_i buy_i - m sell_i       MinTradeSize(m): z_i = 0 or |z_i| >= m
    sum_i (buy_i + sell_i) <= K                                       MaxTrades(K)
    sum_i (c_i / v) (buy_i + sell_i)                                  FixedTradeCost(c): dollars per trade

``evaluate`` and ``violation`` are exact (they count trades ``|z_i| > 0``; trades below
:data:`~trimtab.models.problem.ZERO_TRADE` are zeroed by the solver wrapper first).

Two ways to solve a problem that contains them:

* **natively**, with Boolean indicators, by a mixed-integer solver (``RebalanceProblem(..., solvers=("HIGHS",))``).
  HiGHS takes mixed-integer *linear* programs only: linear costs, L1 penalties, CVaR, group bounds; a
  quadratic risk term makes it refuse the problem (cvxpy's ``SolverError``), and the next solver in the
  chain is tried;
* by :class:`MixedIntegerProblem`: **branch and bound** over the convex relaxation (indicators in [0, 1]),
  compiled once with the indicators' bounds as Parameters, so each node is a re-solve of the same compiled
  problem (Clarabel's fast path).  Each node fixes some assets to *off* (``z_i = 0``), *buy* or *sell*;
  nodes are explored best bound first; the bound is the relaxation's objective value as the solver reports
  it (fixed costs relaxed to ``c_i |z_i| / M_i`` for free assets); an incumbent comes from rounding each node's trades to a pattern
  and solving that pattern.  It stops when no open node can beat the incumbent by more than the gap
  tolerance (optimal), or after ``max_nodes`` nodes (the incumbent is returned as ``optimal_inaccurate``
  with its proven gap in :attr:`MixedIntegerProblem.last_search`).
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import math
import os
import sys
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
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
    TermConstraint,
)
from trimtab.models.costs import TRADE_EPSILON_USD
from trimtab.models.problem import ZERO_TRADE, RebalanceProblem
from trimtab.typing import FloatArray

__all__ = [
    "DEFAULT_MAX_NODES",
    "NATIVE_MIP_SOLVERS",
    "FixedTradeCost",
    "MaxTrades",
    "MinTradeSize",
    "MixedIntegerProblem",
    "big_m",
    "has_integer_parts",
    "silence_highs_banner",
    "trade_bounds",
]

#: Node limit of the branch and bound (each node costs up to four convex solves).
DEFAULT_MAX_NODES = 500
#: cvxpy solvers that take Boolean variables themselves.
NATIVE_MIP_SOLVERS = frozenset(
    {"HIGHS", "SCIP", "GLPK_MI", "CBC", "GUROBI", "MOSEK", "CPLEX", "XPRESS", "COPT"}
)
#: Absolute optimality gap of the branch and bound (fraction of value; 1e-6 basis points).
GAP_ABS = 1e-10
#: Relative optimality gap of the branch and bound.
GAP_REL = 1e-7

_RELAXED: ContextVar[bool] = ContextVar("trimtab_mip_relaxed", default=False)

FREE, OFF, BUY, SELL = 0, 1, 2, 3


_HIGHS_BANNER_SILENCED = False


def silence_highs_banner() -> None:
    """Create the process's first HiGHS instance with standard output closed.

    highspy prints a copyright banner to the process's standard output (file descriptor 1, whatever
    ``output_flag`` says) when the first ``Highs`` object is made; that would corrupt ``--json`` output.
    Later instances print nothing.  Call before any HiGHS solve; cheap after the first call.
    """
    global _HIGHS_BANNER_SILENCED
    if _HIGHS_BANNER_SILENCED:
        return
    _HIGHS_BANNER_SILENCED = True
    try:
        import highspy
    except ImportError:  # pragma: no cover - HiGHS is a dependency of cvxpy's HIGHS interface
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        highspy.Highs()
        ctypes.CDLL(None).fflush(None)
    except OSError:  # pragma: no cover - no libc to flush: the banner may still appear
        pass
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def big_m(data: ProblemData) -> FloatArray:
    """Bound on each trade used by the indicator rows: ``1 + |w_i|``, shape (n,)."""
    return 1.0 + np.abs(data.w)


def trade_bounds(constraints: Sequence[Constraint], data: ProblemData) -> tuple[FloatArray, FloatArray]:
    """Largest buy and sell per asset that ``constraints`` allow, from those that bound single trades.

    Start from :func:`big_m` and tighten with ``LongOnly`` (a sell is at most the holding), ``CashBounds``
    with ``LongOnly`` (a weight after trading is at most ``1 - min cash``), ``WeightBounds``, the
    do-not-trade lists and ``TurnoverAtMost`` (no trade above twice the cap).  The tighter the big-M,
    the tighter the relaxation of the branch and bound.  Shapes (n,), each >= 0.
    """
    from trimtab.models.constraints import (  # here: models.constraints is imported late by problem.py
        CashBounds,
        DoNotBuy,
        DoNotSell,
        DoNotTrade,
        LongOnly,
        TurnoverAtMost,
        WeightBounds,
    )

    w = data.w
    buy = big_m(data)
    sell = big_m(data)
    long_only = any(isinstance(c, LongOnly) for c in constraints)
    if long_only:
        sell = np.minimum(sell, np.maximum(w, 0.0))
    for c in constraints:
        if isinstance(c, CashBounds) and long_only:
            # sum(w_plus) + cash_plus = sum(w) + cash and every other weight is >= 0
            total = float(np.sum(w)) + float(data.cash)  # type: ignore[arg-type]
            buy = np.minimum(buy, np.maximum(total - c.min_weight - w, 0.0))
        elif isinstance(c, WeightBounds):
            lower, upper = c.bounds(data)
            buy = np.minimum(buy, np.maximum(upper - w, 0.0))
            sell = np.minimum(sell, np.maximum(w - lower, 0.0))
        elif isinstance(c, TurnoverAtMost):
            buy = np.minimum(buy, 2.0 * c.limit)
            sell = np.minimum(sell, 2.0 * c.limit)
        elif isinstance(c, (DoNotTrade, DoNotBuy, DoNotSell)):
            listed = c.mask(data.symbols)
            if not isinstance(c, DoNotSell):
                buy = np.where(listed, 0.0, buy)
            if not isinstance(c, DoNotBuy):
                sell = np.where(listed, 0.0, sell)
    return buy, sell


def _count(z: FloatArray, data: ProblemData) -> int:
    return int(np.count_nonzero(np.abs(np.asarray(z, dtype=float)) * data.v > TRADE_EPSILON_USD))


class TradeIndicators:
    """The shared indicator variables of one compiled problem (relaxed or Boolean) and their rows."""

    def __init__(self, v: CvxVars, *, relaxed: bool) -> None:
        n = v.n
        self.relaxed = relaxed
        self.m_buy = cp.Parameter(n, nonneg=True, name="big_m_buy")
        self.m_sell = cp.Parameter(n, nonneg=True, name="big_m_sell")
        if relaxed:
            self.buy = cp.Variable(n, name="buy")
            self.sell = cp.Variable(n, name="sell")
            self.bounds = {
                name: cp.Parameter(n, nonneg=True, name=f"{name}_bound")
                for name in ("buy_lo", "buy_hi", "sell_lo", "sell_hi")
            }
            v.epigraphs += [
                self.buy >= self.bounds["buy_lo"],
                self.buy <= self.bounds["buy_hi"],
                self.sell >= self.bounds["sell_lo"],
                self.sell <= self.bounds["sell_hi"],
            ]
        else:
            self.buy = cp.Variable(n, boolean=True, name="buy")
            self.sell = cp.Variable(n, boolean=True, name="sell")
            self.bounds = {}
        z = v.z
        v.epigraphs += [
            self.buy + self.sell <= 1,
            z <= cp.multiply(self.m_buy, self.buy),
            -z <= cp.multiply(self.m_sell, self.sell),
        ]

    @classmethod
    def of(cls, v: CvxVars) -> TradeIndicators:
        """The indicators of ``v`` (made on first use; relaxed inside :class:`MixedIntegerProblem`)."""
        return v.shared("mip.indicators", lambda: cls(v, relaxed=_RELAXED.get()))

    @property
    def trades(self) -> cp.Expression:
        """``buy + sell``: 1 where an asset trades."""
        return self.buy + self.sell

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        """Big-M from ``data``; a relaxed problem starts at the root node (every indicator in [0, 1])."""
        m = big_m(data)
        v.assign(self.m_buy, m)
        v.assign(self.m_sell, m)
        if self.relaxed:
            self.set_node(np.full(data.n, FREE, dtype=np.int8))

    def set_node(self, state: np.ndarray) -> None:
        """Fix assets per ``state`` (FREE, OFF, BUY, SELL), shape (n,)."""
        free = state == FREE
        CvxVars.assign(self.bounds["buy_lo"], (state == BUY).astype(float))
        CvxVars.assign(self.bounds["buy_hi"], (free | (state == BUY)).astype(float))
        CvxVars.assign(self.bounds["sell_lo"], (state == SELL).astype(float))
        CvxVars.assign(self.bounds["sell_hi"], (free | (state == SELL)).astype(float))


def _check_fraction(owner: str, name: str, value: object, *, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{owner}: {name} must be a number", got=value, fix=fix)
    return float(value)


@dataclass(frozen=True, repr=False, eq=False)
class MinTradeSize(Constraint):
    """Every trade is either zero or at least ``min_trade`` in size: ``z_i = 0`` or ``|z_i| >= min_trade``.

    Parameters
    ----------
    min_trade : float
        Smallest trade as a fraction of portfolio value, in (0, 1] (e.g. 0.005 = 0.5 %).
    """

    min_trade: float

    integer = True

    def __post_init__(self) -> None:
        x = _check_fraction("MinTradeSize", "min_trade", self.min_trade, fix="e.g. 0.005 (0.5 % of value)")
        if not 0 < x <= 1:
            raise ConfigError(
                "MinTradeSize: min_trade must be a fraction of value in (0, 1]", got=x, fix="e.g. 0.005"
            )

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        ind = TradeIndicators.of(v)
        m = v.parameter(self, "min_trade", v.n, nonneg=True)
        return [
            v.z >= cp.multiply(m, ind.buy) - cp.multiply(ind.m_sell, ind.sell),
            v.z <= cp.multiply(ind.m_buy, ind.buy) - cp.multiply(m, ind.sell),
        ]

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        TradeIndicators.of(v).bind(v, data)
        v.assign(v.parameter(self, "min_trade", v.n, nonneg=True), np.full(v.n, float(self.min_trade)))

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        size = np.abs(np.asarray(z, dtype=float))
        traded = size * data.v > TRADE_EPSILON_USD
        return float(np.max(np.where(traded, self.min_trade - size, 0.0), initial=0.0).clip(0.0))

    def dual_size(self, v: CvxVars) -> float:
        """1 when some trade sits at the minimum in the last solve (dual values mean little here), else 0."""
        if v.dv.value is None or v.d0.value is None:
            return 0.0
        size = np.abs(np.asarray(v.dv.value) - np.asarray(v.d0.value))
        return float(np.any((size > ZERO_TRADE) & (np.abs(size - self.min_trade) <= 1e-6)))

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        size = np.abs(z)
        at = [data.symbols[i] for i in np.flatnonzero(np.abs(size - self.min_trade) <= 1e-6)]
        text = f"the minimum trade size {100 * self.min_trade:.2f} % binds"
        return text + (f" ({', '.join(at[:5])} traded at the minimum)" if at else "")

    def __repr__(self) -> str:
        return f"MinTradeSize({self.min_trade!r})"


@dataclass(frozen=True, repr=False, eq=False)
class MaxTrades(Constraint):
    """At most ``count`` assets trade."""

    count: int

    integer = True

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, (int, np.integer)) or self.count < 0:
            raise ConfigError("MaxTrades: count must be a whole number >= 0", got=self.count, fix="e.g. 5")

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        return [cp.sum(TradeIndicators.of(v).trades) <= int(self.count)]

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        TradeIndicators.of(v).bind(v, data)

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        return float(max(0, _count(z, data) - int(self.count)))

    def dual_size(self, v: CvxVars) -> float:
        """1 when the last solve trades exactly ``count`` assets (the limit is reached), else 0."""
        if v.dv.value is None or v.d0.value is None:
            return 0.0
        size = np.abs(np.asarray(v.dv.value) - np.asarray(v.d0.value))
        return float(int(np.count_nonzero(size > ZERO_TRADE)) >= int(self.count))

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return f"the limit of {self.count} trades binds ({_count(z, data)} assets traded)"

    def __repr__(self) -> str:
        return f"MaxTrades({self.count!r})"


@dataclass(frozen=True, repr=False, eq=False)
class FixedTradeCost(Term):
    """A fixed cost per asset traded: ``per_trade * (number of assets traded) / v``, a fraction of value.

    The same number as ``TradingCost(FixedCost(per_trade))`` evaluates; in a problem it needs the
    indicators (mixed-integer; see the module docstring).

    Parameters
    ----------
    per_trade : float
        Dollars per asset traded (a ticket charge), >= 0.
    """

    per_trade: float

    label = "fixed trading cost"
    integer = True

    def __post_init__(self) -> None:
        x = _check_fraction("FixedTradeCost", "per_trade", self.per_trade, fix="dollars per trade, e.g. 4.95")
        if x < 0:
            raise ConfigError("FixedTradeCost: per_trade must be >= 0 dollars", got=x, fix="e.g. 4.95")

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return float(self.per_trade) * _count(z, data) / data.v

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        return v.parameter(self, "per_trade", v.n, nonneg=True) @ TradeIndicators.of(v).trades

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        TradeIndicators.of(v).bind(v, data)
        v.assign(v.parameter(self, "per_trade", v.n, nonneg=True), np.full(v.n, self.per_trade / data.v))

    def __repr__(self) -> str:
        return f"FixedTradeCost({self.per_trade!r})"


def _leaves(term: Term) -> list[Term]:
    """Leaves of a composite term, looking through wrappers that keep the wrapped term in ``.term``."""
    out = []
    for _, leaf in term.parts():
        out.append(leaf)
        inner = getattr(leaf, "term", None)
        if isinstance(inner, Term) and inner is not leaf:
            out.extend(_leaves(inner))
    return out


def has_integer_parts(objective: Term, constraints: Sequence[Constraint] = ()) -> bool:
    """Whether the objective or a constraint needs the indicators (mixed-integer)."""
    terms = _leaves(objective)
    terms += [t for c in constraints if isinstance(c, TermConstraint) for t in _leaves(c.term)]
    return any(getattr(t, "integer", False) for t in terms) or any(
        getattr(c, "integer", False) for c in constraints
    )


class MixedIntegerProblem(RebalanceProblem):
    """:class:`RebalanceProblem` with mixed-integer parts, solved by branch and bound (module docstring).

    A solver of :data:`NATIVE_MIP_SOLVERS` in the chain solves the Boolean form itself (compiled on first
    use); any other solver (Clarabel by default) solves the relaxations of the branch and bound.

    Parameters
    ----------
    max_nodes : int
        Node limit of the branch and bound.
    Other parameters as :class:`RebalanceProblem`.
    """

    _qp_allowed = False  # branch and bound reads the relaxations' objective values from Clarabel


    def __init__(
        self,
        objective: Term,
        constraints: Sequence[Constraint] = (),
        *,
        symbols: Sequence[str],
        risk_form: RiskForm = "dense",
        n_factors: int = 0,
        solvers: Sequence[str] = ("CLARABEL",),
        fast: bool = True,
        max_nodes: int = DEFAULT_MAX_NODES,
    ) -> None:
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
            raise ConfigError("max_nodes must be a whole number >= 1", got=max_nodes, fix="e.g. 1000")
        token = _RELAXED.set(True)
        try:
            super().__init__(
                objective,
                constraints,
                symbols=symbols,
                risk_form=risk_form,
                n_factors=n_factors,
                solvers=solvers,
                fast=fast,
            )
        finally:
            _RELAXED.reset(token)
        self.indicators: TradeIndicators | None = self.v.shared("mip.indicators", lambda: None)
        if self.indicators is not None and not self.indicators.relaxed:
            raise ModelError("indicators were compiled as Booleans inside a branch-and-bound problem")
        self.max_nodes = max_nodes
        self.last_search: dict[str, Any] = {}
        self._data: ProblemData | None = None
        self._native: RebalanceProblem | None = None
        self._min_trade = any(isinstance(c, MinTradeSize) for c in self.constraints)
        self._max_trades = min(
            (int(c.count) for c in self.constraints if isinstance(c, MaxTrades)), default=None
        )

    @classmethod
    def for_data(  # type: ignore[override]
        cls,
        objective: Term,
        constraints: Sequence[Constraint],
        data: ProblemData,
        solvers: Sequence[str] = ("CLARABEL",),
        fast: bool = True,
        max_nodes: int = DEFAULT_MAX_NODES,
    ) -> MixedIntegerProblem:
        """Compile for ``data``'s universe and risk form."""
        k = data.factors.n_factors if data.factors is not None else 0
        return cls(
            objective,
            constraints,
            symbols=data.symbols,
            risk_form=data.risk_form(),
            n_factors=k,
            solvers=solvers,
            fast=fast,
            max_nodes=max_nodes,
        )

    def bind(self, data: ProblemData) -> None:
        super().bind(data)
        self._data = data
        if self.indicators is not None:
            buy, sell = trade_bounds(self.constraints, data)
            CvxVars.assign(self.indicators.m_buy, buy)
            CvxVars.assign(self.indicators.m_sell, sell)

    # -- one solver ----------------------------------------------------------------------------------------
    def _run(self, solver: str) -> tuple[str, FloatArray | None, Any]:
        if self.indicators is None:
            return super()._run(solver)
        if solver in NATIVE_MIP_SOLVERS:
            return self._run_native(solver)
        return self._branch_and_bound(solver)

    def _run_native(self, solver: str) -> tuple[str, FloatArray | None, Any]:
        assert self._data is not None
        if self._native is None:
            self._native = RebalanceProblem(
                self.objective,
                self.constraints,
                symbols=self.v.symbols,
                risk_form=self.v.risk_form,
                n_factors=self.v.n_factors,
                solvers=(solver,),
                fast=False,
            )
        native = self._native
        native.bind(self._data)
        if solver == "HIGHS":
            silence_highs_banner()
        native.problem.solve(solver=solver)
        dv = native.v.dv.value
        self.last_search = {"method": f"{solver} (native mixed-integer)"}
        return native.problem.status, None if dv is None else np.asarray(dv, dtype=float), lambda: None

    def _node(self, solver: str, state: np.ndarray) -> tuple[str, FloatArray | None, float]:
        """Solve the relaxation of one node: (status, trades or None, the relaxation's objective value)."""
        assert self.indicators is not None and self._data is not None
        self.indicators.set_node(state)
        self._solves += 1
        status, dv, _ = RebalanceProblem._run(self, solver)
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or dv is None:
            return status, None, math.inf
        z = dv - self._data.d0
        z[np.abs(z) < ZERO_TRADE] = 0.0
        return status, z, self._relaxed_value(solver)

    def _relaxed_value(self, solver: str) -> float:
        """The solver's objective of the last solve, unscaled (a bound: fixed costs relaxed, any wrapping)."""
        direct = self._direct if (solver == "CLARABEL" and self.fast) else None
        value = direct.last_objective if direct is not None else self.problem.value
        if value is None or not math.isfinite(float(value)):
            raise cp.error.SolverError("the relaxation's objective value is not available")
        return float(value) / OBJECTIVE_SCALE

    def _pattern(self, state: np.ndarray, z: FloatArray) -> np.ndarray:
        """Round a node's trades to a full assignment (every asset OFF, BUY or SELL)."""
        pattern = state.copy()
        free = np.flatnonzero(state == FREE)
        pattern[free] = np.where(z[free] > 0, BUY, np.where(z[free] < 0, SELL, OFF))
        if self._max_trades is not None:
            on = (pattern == BUY) | (pattern == SELL)
            excess = int(on.sum()) - self._max_trades
            if excess > 0:
                movable = [i for i in free if on[i]]
                for i in sorted(movable, key=lambda i: abs(z[i]))[:excess]:
                    pattern[i] = OFF
        return pattern

    def _branch_and_bound(self, solver: str) -> tuple[str, FloatArray | None, Any]:
        data = self._data
        assert data is not None and self.indicators is not None
        n = data.n
        self._solves = 0
        counter = itertools.count()
        root = np.full(n, FREE, dtype=np.int8)
        status, z, root_bound = self._node(solver, root)
        if z is None:
            self.last_search = {"method": "branch and bound", "nodes": 0, "solves": self._solves}
            return status, None, lambda: None
        best_value = math.inf
        best_pattern: np.ndarray | None = None
        tried: set[bytes] = set()
        heap: list[tuple[float, int, int, np.ndarray, FloatArray]] = [(root_bound, 0, next(counter), root, z)]
        nodes = 0
        limit_hit = False

        def tolerance() -> float:
            return max(GAP_ABS, GAP_REL * abs(best_value)) if math.isfinite(best_value) else 0.0

        def consider(pattern: np.ndarray) -> None:
            nonlocal best_value, best_pattern
            key = pattern.tobytes()
            if key in tried:
                return
            tried.add(key)
            _, zp, _ = self._node(solver, pattern)
            if zp is None:
                return
            value = self.objective.evaluate(zp, data)
            if value < best_value:
                best_value, best_pattern = value, pattern

        while heap:
            bound, _, _, state, z = heap[0]
            if bound >= best_value - tolerance():
                heap.clear()
                break
            if nodes >= self.max_nodes:
                limit_hit = True
                break
            heapq.heappop(heap)
            nodes += 1
            consider(self._pattern(state, z))
            free = state == FREE
            candidates = np.flatnonzero(free & (z != 0))
            if candidates.size == 0:  # integral: free assets do not trade
                consider(np.where(free, OFF, state).astype(np.int8))
                continue
            i = int(candidates[np.argmax(np.abs(z[candidates]))])
            depth = int(np.count_nonzero(~free)) + 1
            order = (BUY, OFF, SELL) if z[i] > 0 else (SELL, OFF, BUY)
            for choice in order:
                child = state.copy()
                child[i] = choice
                _, zc, child_bound = self._node(solver, child)
                if zc is None:
                    continue
                if child_bound < best_value - tolerance():
                    heapq.heappush(heap, (child_bound, -depth, next(counter), child, zc))
        open_bound = min((item[0] for item in heap), default=best_value)
        self.last_search = {
            "method": "branch and bound",
            "nodes": nodes,
            "solves": self._solves,
            "objective": best_value if best_pattern is not None else None,
            "bound": min(open_bound, best_value),
            "gap": max(0.0, best_value - open_bound) if best_pattern is not None else None,
            "node_limit_hit": limit_hit,
        }
        if best_pattern is None:
            if limit_hit:
                raise cp.error.SolverError(
                    f"branch and bound found no integer solution in {self.max_nodes} nodes; raise max_nodes"
                )
            return cp.INFEASIBLE, None, lambda: None
        # re-solve the best pattern so the variables and dual values are those of the answer
        self.indicators.set_node(best_pattern)
        status, dv, load = RebalanceProblem._run(self, solver)
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or dv is None:
            return status, None, lambda: None
        return (cp.OPTIMAL_INACCURATE if limit_hit else status), dv, load
