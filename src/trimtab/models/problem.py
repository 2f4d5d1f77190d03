# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""A rebalancing problem compiled once per universe and re-solved by setting Parameter values.

``RebalanceProblem(objective, constraints, symbols=...)`` builds the cvxpy problem
``minimise OBJECTIVE_SCALE * objective(z)  s.t.  constraints`` once (it must be DPP, else
:class:`ModelError`); :meth:`RebalanceProblem.solve` binds a :class:`ProblemData`, solves with the first
solver of the chain that gives a verified answer (Clarabel by default), and returns a :class:`Solution`.

Failures are typed, never a silent bad answer:

* :class:`InfeasibleError` when the constraints cannot all hold; its message names a minimal set of
  conflicting constraints, found by a deletion filter (drop each constraint in turn, keep it only if the
  rest become feasible without it), plus a hint when lower or upper bounds cannot sum to 100 %;
* :class:`SolverError` when every solver fails, reports an unbounded problem, or returns an answer that
  breaks a constraint by more than ``tolerance`` when re-checked with the exact numpy ``violation``
  (``optimal_inaccurate`` answers are accepted only when this check passes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import cvxpy as cp
import numpy as np

from trimtab.errors import DataError, InfeasibleError, ModelError, SolverError
from trimtab.models.base import (
    OBJECTIVE_SCALE,
    Constraint,
    CvxVars,
    ProblemData,
    RiskForm,
    Term,
    constraint_names,
)
from trimtab.models.constraints import NO_BOUND, Budget, CashBounds, LongOnly, WeightBounds
from trimtab.models.solver import CompiledMaps, DirectClarabel, ReducedQp
from trimtab.typing import FloatArray

__all__ = ["ZERO_TRADE", "RebalanceProblem", "Solution", "find_conflict"]

#: Trades smaller than this (weights: $0.10 per $1M) are solver noise and set to zero.
ZERO_TRADE = 1e-7
#: Largest accepted constraint violation after a solve (weights).
TOLERANCE = 1e-6
_OK = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


@dataclass(eq=False)
class Solution:
    """A verified optimum.

    Parameters
    ----------
    z : ndarray of shape (n,)
        Trades as weights (buys positive); entries below ``ZERO_TRADE`` in size are exactly 0.
    data : ProblemData
        What was solved.
    objective_term : Term
        The objective; :attr:`objective` is its exact value at ``z`` (unscaled), computed on first use.
    status, solver : str
        Solver status and name.
    seconds : float
        Wall time of the solve call (binding included).

    :attr:`binding` (constraints with a non-zero dual value: they limit the solution) is read on first
    use, from the solve that made this solution.
    """

    z: FloatArray
    data: ProblemData
    objective_term: Term
    status: str
    solver: str
    seconds: float
    _binding: Callable[[], tuple[Constraint, ...]] | None = field(default=None, repr=False)

    @cached_property
    def objective(self) -> float:
        """Objective value at ``z`` from the exact ``evaluate`` (fraction of value, unscaled)."""
        return self.objective_term.evaluate(self.z, self.data)

    @cached_property
    def binding(self) -> tuple[Constraint, ...]:
        """Constraints with a non-zero dual value in the solve that made this solution."""
        return self._binding() if self._binding is not None else ()

    @property
    def w_plus(self) -> FloatArray:
        """Weights after trading, shape (n,)."""
        return self.data.w + self.z

    @property
    def cash_plus(self) -> float:
        """Cash weight after trading."""
        return float(self.data.cash) - float(np.sum(self.z))  # type: ignore[arg-type]

    @property
    def turnover(self) -> float:
        """One-way turnover ``sum(|z|) / 2``."""
        return float(np.sum(np.abs(self.z))) / 2.0

    @property
    def trades(self) -> bool:
        """Whether any asset trades."""
        return bool(np.any(self.z != 0))


class RebalanceProblem:
    """The compiled problem for one universe and risk form.

    Parameters
    ----------
    objective : Term
        Convex objective (fractions of portfolio value).
    constraints : sequence of Constraint
        Hard constraints.
    symbols : tuple of str
        The universe.
    risk_form : {"dense", "factor"}
        How risk terms are compiled; ``n_factors`` is ``k`` in factor form.
    solvers : sequence of str
        cvxpy solver names, tried in order (default Clarabel only).
    fast : bool
        Re-solve Clarabel through :class:`~trimtab.models.solver.DirectClarabel` (default); ``False`` uses
        cvxpy's ``Problem.solve`` every time.  When fast, a problem whose cones are only zero and nonnegative
        (a quadratic risk term, linear costs and constraints) is first solved by the QP fast path
        (:class:`~trimtab.models.solver.ReducedQp`: Clarabel on the problem with the quadratic's helper rows
        eliminated; DAQP first, its answer checked, then Clarabel: :attr:`qp_active_set_fallbacks` counts
        the DAQP answers rejected); anything but a verified answer falls back to the full problem, counted in
        :attr:`qp_fallbacks`.
    """

    # class-level defaults for subclasses that build their own problem without calling __init__
    _maps: CompiledMaps | None = None
    _qp: ReducedQp | None = None
    #: Whether the QP fast path may answer. Subclasses (mixed-integer nodes, multi-period plans) read the
    #: Clarabel object's objective value or variable values after a solve, so they set it False.
    _qp_allowed = True
    qp_solves = 0
    qp_fallbacks = 0

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
    ) -> None:
        objective.check_convex()
        self.objective = objective
        self.constraints = tuple(constraints)
        self.solvers = tuple(s.upper() for s in solvers)
        unknown = [s for s in self.solvers if s not in cp.installed_solvers()]
        if unknown or not self.solvers:
            raise ModelError(
                f"solver(s) {unknown or '(none)'} not installed; installed: {cp.installed_solvers()}"
            )
        self.v = CvxVars(symbols, risk_form=risk_form, n_factors=n_factors)
        expr = objective.to_cvxpy(self.v)
        rows = [row for c in self.constraints for row in c.compile(self.v)]
        self.problem = cp.Problem(cp.Minimize(OBJECTIVE_SCALE * expr), rows + self.v.epigraphs)
        if not (self.problem.is_dcp() and self.problem.is_dpp()):
            raise ModelError(
                f"{objective!r} with {constraint_names(self.constraints) or 'no constraints'} is not "
                "DPP: a Parameter multiplies a Parameter-dependent expression"
            )
        self.solves = 0
        self.fast = fast
        self._direct: DirectClarabel | None = None
        self._maps: CompiledMaps | None = None
        self._qp: ReducedQp | None = None
        #: Solves of the QP fast path, and how many of them fell back to Clarabel.
        self.qp_solves = 0
        self.qp_fallbacks = 0

    @classmethod
    def for_data(
        cls,
        objective: Term,
        constraints: Sequence[Constraint],
        data: ProblemData,
        solvers: Sequence[str] = ("CLARABEL",),
        fast: bool = True,
    ) -> RebalanceProblem:
        """Compile for ``data``'s universe and risk form.

        A problem with mixed-integer parts (``models/mixed_integer.py``: minimum trade size, maximum number of
        trades, fixed cost per trade) becomes a :class:`~trimtab.models.mixed_integer.MixedIntegerProblem`.
        """
        from trimtab.models.mixed_integer import MixedIntegerProblem, has_integer_parts  # import cycle

        if cls is RebalanceProblem and has_integer_parts(objective, constraints):
            return MixedIntegerProblem.for_data(objective, constraints, data, solvers=solvers, fast=fast)
        k = data.factors.n_factors if data.factors is not None else 0
        return cls(
            objective,
            constraints,
            symbols=data.symbols,
            risk_form=data.risk_form(),
            n_factors=k,
            solvers=solvers,
            fast=fast,
        )

    def matches(self, data: ProblemData) -> bool:
        """Whether ``data`` fits this compiled problem (universe, risk form, number of factors)."""
        k = data.factors.n_factors if data.factors is not None else 0
        return (
            data.symbols == self.v.symbols
            and data.risk_form() == self.v.risk_form
            and (self.v.risk_form == "dense" or k == self.v.n_factors)
        )

    def bind(self, data: ProblemData) -> None:
        """Set every Parameter from ``data``."""
        if not self.matches(data):
            raise DataError("problem data does not fit the compiled problem (universe, risk form or factors)")
        self.v.bind(data)
        self.objective.bind(self.v, data)
        for c in self.constraints:
            c.bind(self.v, data)

    def _run(self, solver: str) -> tuple[str, FloatArray | None, Callable[[], None]]:
        """One solver call: (status, dv or None, a function that loads dual values into the constraints)."""
        if solver == "CLARABEL" and self.fast:
            if self._direct is None:
                maps = self._compiled_maps()
                self._direct = None if maps is None else DirectClarabel.build(self.problem, self.v.dv, maps)
                if self._direct is None:
                    self.fast = False
                elif self._qp_allowed:
                    self._qp = ReducedQp.build(maps)
            if self._direct is not None:
                direct = self._direct
                if self._qp is not None:
                    self.qp_solves += 1
                    status, dv = self._qp.solve()
                    if status == cp.OPTIMAL:
                        return status, dv, self._clarabel_duals
                    self.qp_fallbacks += 1  # not solved: Clarabel decides (and reports infeasibility)
                status, dv = direct.solve()
                return status, dv, direct.unpack
        self.problem.solve(solver=solver, warm_start=True)
        dv = None if self.v.dv.value is None else np.asarray(self.v.dv.value, dtype=float)
        return self.problem.status, dv, lambda: None

    @property
    def qp_active_set_solves(self) -> int:
        """QP fast-path solves answered by DAQP (its answer verified)."""
        return 0 if self._qp is None else self._qp.active_set_solves

    @property
    def qp_active_set_fallbacks(self) -> int:
        """QP fast-path solves where DAQP's answer was rejected and Clarabel solved the reduced QP."""
        return 0 if self._qp is None else self._qp.active_set_fallbacks

    def cold_start(self) -> None:
        """Drop warm-start state (the QP fast path's working set): the next solve depends on nothing earlier."""
        if self._qp is not None:
            self._qp.cold_start()

    def _compiled_maps(self) -> CompiledMaps | None:
        if self._maps is None:
            try:
                self._maps = CompiledMaps(self.problem, self.v.dv)
            except (AttributeError, KeyError, LookupError, TypeError, ValueError, ImportError):
                return None
        return self._maps

    def _clarabel_duals(self) -> None:
        """Dual values after a QP fast-path solve: Clarabel re-solves the same data (explanations only)."""
        assert self._direct is not None
        self._direct.solve()
        self._direct.unpack()

    def solve(self, data: ProblemData) -> Solution:
        """Bind, solve, verify.  Raises :class:`InfeasibleError` or :class:`SolverError`."""
        start = time.perf_counter()
        self.bind(data)
        failures: list[str] = []
        for solver in self.solvers:
            try:
                status, dv, load_duals = self._run(solver)
            except cp.error.SolverError as err:
                failures.append(f"{solver}: {err}")
                continue
            self.solves += 1
            if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                raise InfeasibleError(infeasible_message(self.constraints, data, self.objective))
            if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
                raise SolverError(
                    f"{solver} reports the problem unbounded: the objective {self.objective!r} "
                    "needs a risk or cost term that grows with the trades"
                )
            if status not in _OK or dv is None:
                failures.append(f"{solver}: status {status}")
                continue
            z = dv - data.d0
            z[np.abs(z) < ZERO_TRADE] = 0.0
            broken = [(c, c.violation(z, data)) for c in self.constraints]
            broken = [(c, x) for c, x in broken if x > TOLERANCE]
            if broken:
                failures.append(
                    f"{solver}: status {status} but the answer breaks "
                    + ", ".join(f"{c!r} by {x:.2g}" for c, x in broken)
                )
                continue
            return Solution(
                z=z,
                data=data,
                objective_term=self.objective,
                status=status,
                solver=solver,
                seconds=time.perf_counter() - start,
                _binding=self._binding_reader(load_duals),
            )
        raise SolverError("no solver gave a trustworthy answer: " + "; ".join(failures))

    def _binding_reader(self, load_duals: Callable[[], None]) -> Callable[[], tuple[Constraint, ...]]:
        solves = self.solves

        def read() -> tuple[Constraint, ...]:
            if solves != self.solves:
                raise SolverError("dual values were asked for after the problem was solved again")
            load_duals()
            return tuple(c for c in self.constraints if c.dual_size(self.v) > 1e-6)

        return read


# --------------------------------------------------------------------------------------------- infeasibility
def _feasible(constraints: Sequence[Constraint], data: ProblemData, objective: Term | None) -> bool:
    v = CvxVars.for_data(data)
    rows = [row for c in constraints for row in c.to_cvxpy(v)]
    v.bind(data)
    for c in constraints:
        c.bind(v, data)
    problem = cp.Problem(cp.Minimize(0), rows + v.epigraphs)
    # mixed-integer constraints (minimum trade size, maximum number of trades) need a MIP solver here
    solver = cp.HIGHS if problem.is_mixed_integer() and cp.HIGHS in cp.installed_solvers() else cp.CLARABEL
    if solver == cp.HIGHS:
        from trimtab.models.mixed_integer import silence_highs_banner  # import cycle

        silence_highs_banner()
    try:
        problem.solve(solver=solver)
    except cp.error.SolverError:
        return False
    return problem.status in _OK


def find_conflict(constraints: Sequence[Constraint], data: ProblemData) -> list[Constraint]:
    """A minimal subset of ``constraints`` that cannot hold together (empty when all can).

    Deletion filter: drop each constraint in turn and keep it dropped when the rest stay infeasible.
    """
    keep = list(constraints)
    if _feasible(keep, data, None):
        return []
    for c in list(keep):
        trial = [k for k in keep if k is not c]
        if not _feasible(trial, data, None):
            keep = trial
    return keep


def _sum_hint(conflict: Sequence[Constraint], data: ProblemData) -> str:
    """Explain a conflict of bounds that cannot sum to 100 %."""
    lower = np.full(data.n, -NO_BOUND)
    upper = np.full(data.n, NO_BOUND)
    cash_low, cash_high = -NO_BOUND, NO_BOUND
    for c in conflict:
        if isinstance(c, LongOnly):
            lower = np.maximum(lower, 0.0)
        elif isinstance(c, WeightBounds):
            lo, hi = c.bounds(data)
            lower, upper = np.maximum(lower, lo), np.minimum(upper, hi)
        elif isinstance(c, CashBounds):
            cash_low, cash_high = max(cash_low, c.min_weight), min(cash_high, c.max_weight)
        elif isinstance(c, Budget):
            cash = float(data.cash) if c.cash is None else c.cash  # type: ignore[arg-type]
            cash_low, cash_high = max(cash_low, cash), min(cash_high, cash)
    if (lower > -NO_BOUND).all() and cash_low > -NO_BOUND and lower.sum() + cash_low > 1 + 1e-9:
        return (
            f": the lower bounds sum to {100 * lower.sum():.2f} % for the assets plus "
            f"{100 * cash_low:.2f} % cash, more than 100 %"
        )
    if (upper < NO_BOUND).all() and cash_high < NO_BOUND and upper.sum() + cash_high < 1 - 1e-9:
        return (
            f": the upper bounds sum to {100 * upper.sum():.2f} % for the assets plus "
            f"{100 * cash_high:.2f} % cash, less than 100 %"
        )
    return ""


def infeasible_message(
    constraints: Sequence[Constraint], data: ProblemData, objective: Term | None = None
) -> str:
    """One sentence naming the constraints in conflict."""
    conflict = find_conflict(constraints, data)
    if not conflict:
        return (
            "the solver reports the problem infeasible, but the constraints "
            f"{constraint_names(constraints)} can hold together; the data may be badly scaled"
        )
    if len(conflict) == 1:
        return f"the constraint {conflict[0]!r} cannot hold{_sum_hint(conflict, data)}"
    return f"the constraints {constraint_names(conflict)} cannot all hold{_sum_hint(conflict, data)}"
