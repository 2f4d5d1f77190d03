"""The QP fast path (``models/solver.py::ReducedQp``) against Clarabel on the full problem.

A problem whose cones are only zero and nonnegative is solved first on the reduced QP (the quadratic's
helper rows eliminated): by DAQP (warm-started active set; answer accepted after a KKT check), else by
Clarabel with lean settings; anything but a verified answer falls back to the full problem.  Known answers
first (KAT-07; a two-variable QP for the KKT check), then Hypothesis properties: the fast path (both
backends) and cvxpy's own Clarabel solve agree to 1e-6 on random instances (dense and factor risk, linear
constraints, re-solves with new data), warm starts change answers by less than 1e-8, infeasible
problems reach the same :class:`InfeasibleError` through the fallback, and problems outside the fast
path's structure (the impact power cone) never use it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trimtab.errors import InfeasibleError, SolverError
from trimtab.models.base import FactorRisk, ProblemData
from trimtab.models.constraints import CashBounds, DoNotTrade, LongOnly, TurnoverAtMost, WeightBounds
from trimtab.models.costs import CostModel, LinearCost, MarketImpact
from trimtab.models import solver as qp_solver
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost
from trimtab.models.variance import Variance

SIGMA_CORRELATED = np.array([[0.04, 0.018], [0.018, 0.01]])


def random_data(rng: np.random.Generator, n: int, *, factors: int = 0) -> ProblemData:
    """Random weights, targets and risk (dense when ``factors`` is 0, else a model with that many factors)."""
    target = rng.dirichlet(np.ones(n + 1))[:n]
    w = np.clip(target + rng.normal(scale=10 ** rng.uniform(-3, -1), size=n), 0.0, None)
    w = w / max(1.0, w.sum() + 0.01)
    common = {
        "symbols": tuple(f"S{i}" for i in range(n)),
        "w": w,
        "w_target": target,
        "v": 1e6,
        "prices": rng.uniform(5.0, 500.0, n),
        "sigma": rng.uniform(0.005, 0.05, n),
        "volume": 10 ** rng.uniform(6, 9, n),
    }
    if factors:
        k = factors
        f = rng.normal(size=(k, k)) * 0.1
        return ProblemData(
            **common,
            factors=FactorRisk(
                loadings=rng.normal(size=(n, k)), factor_cov=f @ f.T, idio_var=rng.uniform(0.01, 0.09, n)
            ),
        )
    a = rng.normal(size=(n, n)) * 0.15
    return ProblemData(**common, covariance=a @ a.T + np.diag(rng.uniform(0.0, 0.02, n)))


def constraint_set(rng: np.random.Generator, data: ProblemData) -> list:
    out: list = [LongOnly(), CashBounds()]
    if rng.random() < 0.4:
        # above today's weights, so that every constraint set here is feasible
        highest = max(data.w.max(), data.w_target.max())
        out.append(WeightBounds(upper=float(highest + rng.uniform(0.001, 0.2))))
    if rng.random() < 0.4:
        out.append(TurnoverAtMost(float(rng.uniform(0.001, 0.05))))
    if rng.random() < 0.3:
        out.append(DoNotTrade([data.symbols[0]]))
    return out


def objective_for(rng: np.random.Generator) -> object:
    cost = TradingCost(LinearCost(half_spread_bps=float(rng.uniform(0.0, 20.0))))
    risk = TrackingError() if rng.random() < 0.8 else Variance()
    return float(10 ** rng.uniform(-1, 1)) * risk + float(rng.uniform(0.5, 2.0)) * cost


def test_kat07_worked_case_on_the_fast_path() -> None:
    """KAT-07 (Dybvig 2005; subgradient optimality): sell 0.55 pp of asset 1, leave asset 2 alone.

    Solved by the fast path (one reduced solve, no fallback).
    """
    target = np.array([0.5, 0.3])
    data = ProblemData(
        symbols=("A", "B"),
        w=target + np.array([0.0, 0.04]),
        w_target=target,
        v=1e6,
        covariance=SIGMA_CORRELATED,
    )
    objective = 0.5 * TrackingError() + TradingCost(LinearCost(half_spread_bps=5.0))
    problem = RebalanceProblem.for_data(objective, (), data)
    sol = problem.solve(data)
    assert (problem.qp_solves, problem.qp_fallbacks) == (1, 0)
    assert (problem.qp_active_set_solves, problem.qp_active_set_fallbacks) == (1, 0)
    assert sol.solver == "CLARABEL"
    assert sol.z == pytest.approx([-0.0055, 0.0], abs=1e-6)
    assert sol.objective == pytest.approx(7.395e-6, abs=1e-9)


#: Clarabel at tight tolerances: the reference answer (on 1000 seeds x 3 solves default Clarabel stopped up
#: to 3e-6 away in weights on weakly curved instances, the fast path up to 5e-8).
TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10, "max_iter": 500}


def test_kkt_residuals_of_a_two_variable_qp() -> None:
    """min x1^2 + x2^2 s.t. x1 + x2 = 1, x1 <= 0.2: x = (0.2, 0.8), y = (-1.6, 1.2) by hand (2x + a'y = 0);
    the exact answer has zero residual, a moved point, a wrong-sign multiplier or a slack row with a
    multiplier do not."""
    hess, q = 2.0 * np.eye(2), np.zeros(2)
    a, b = np.array([[1.0, 1.0], [1.0, 0.0]]), np.array([1.0, 0.2])
    x, y = np.array([0.2, 0.8]), np.array([-1.6, 1.2])
    assert qp_solver.kkt_residuals(hess, q, a, b, 1, x, y) == pytest.approx(0.0, abs=1e-15)
    assert qp_solver.kkt_residuals(hess, q, a, b, 1, x + [1e-6, -1e-6], y) > 1e-7  # stationarity
    assert qp_solver.kkt_residuals(hess, q, a, b, 1, x + [1e-6, 0.0], y) > 1e-7  # primal
    # x1 <= 0.6 held with equality at x = (0.6, 0.4): stationary with y = (-0.8, -0.4), feasible, but the
    # inequality multiplier is negative (the optimum lies inside)
    wrong_side = qp_solver.kkt_residuals(hess, q, a, np.array([1.0, 0.6]), 1, np.array([0.6, 0.4]),
                                         np.array([-0.8, -0.4]))
    assert wrong_side == pytest.approx(0.4)
    assert qp_solver.kkt_residuals(hess, q, a, b, 1, x, y + [0.0, np.nan]) == float("inf")


@pytest.fixture(params=["daqp", "clarabel"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which solver answers the reduced QP: DAQP (default) or Clarabel (every DAQP answer rejected)."""
    if request.param == "clarabel":
        monkeypatch.setattr(qp_solver, "KKT_TOLERANCE", -1.0)
    return str(request.param)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), factors=st.integers(0, 3))
def test_fast_path_agrees_with_clarabel(backend: str, seed: int, n: int, factors: int) -> None:
    """Trades within 1e-6 of Clarabel's (tight tolerances) on the full problem, over three re-solves with new
    data (DAQP warm-starts from the previous solve); no fallback to the full problem."""
    rng = np.random.default_rng(seed)
    data = random_data(rng, n, factors=factors)
    objective = objective_for(rng)
    constraints = constraint_set(rng, data)
    fast = RebalanceProblem.for_data(objective, constraints, data)
    full = RebalanceProblem.for_data(objective, constraints, data, fast=False)
    for _ in range(3):
        ours = fast.solve(data)
        full.bind(data)
        full.problem.solve(solver="CLARABEL", **TIGHT)
        if full.problem.status == "optimal":  # 1 in 1800 solves reached only optimal_inaccurate
            reference = np.asarray(full.v.dv.value, dtype=float) - data.d0
            assert np.max(np.abs(ours.z - reference), initial=0.0) <= 1e-6
        # new targets and risk (P and A values change); today's weights stay, so the constraints still hold
        data = dataclasses.replace(random_data(rng, n, factors=factors), w=data.w)
    assert (fast.qp_solves, fast.qp_fallbacks) == (3, 0)
    if backend == "clarabel":
        assert (fast.qp_active_set_solves, fast.qp_active_set_fallbacks) == (0, 3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12))
def test_warm_start_changes_answers_by_less_than_1e8(seed: int, n: int) -> None:
    """The same data solved cold, after one unrelated solve and after several: the same trades to 1e-8 (DAQP's
    proximal iterations stop at slightly different points: up to 2.5e-9 seen); two fresh problems given the
    same sequence of data give bit-identical trades (a backtest is repeatable)."""
    rng = np.random.default_rng(seed)
    datas = [random_data(rng, n) for _ in range(4)]
    datas = [dataclasses.replace(d, w=datas[0].w) for d in datas]
    objective = objective_for(rng)
    constraints = [LongOnly(), CashBounds()]

    def last_trades(sequence: list[ProblemData]) -> np.ndarray:
        problem = RebalanceProblem.for_data(objective, constraints, sequence[0])
        return [problem.solve(d) for d in sequence][-1].z

    cold = last_trades(datas[-1:])
    assert np.max(np.abs(last_trades(datas[-2:]) - cold)) <= 1e-8
    assert np.max(np.abs(last_trades(datas) - cold)) <= 1e-8
    assert np.array_equal(last_trades(datas), last_trades(datas))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 8))
def test_infeasible_problems_fall_back_and_raise_the_same_error(seed: int, n: int) -> None:
    """Lower bounds above 100 %: the fast path is not ``Solved``, Clarabel on the full problem reports it."""
    rng = np.random.default_rng(seed)
    data = random_data(rng, n, )
    constraints = [LongOnly(), CashBounds(), WeightBounds(lower=float(rng.uniform(1.05, 2.0) / n))]
    objective = TrackingError() + TradingCost(LinearCost(half_spread_bps=5.0))
    fast = RebalanceProblem.for_data(objective, constraints, data)
    full = RebalanceProblem.for_data(objective, constraints, data, fast=False)
    with pytest.raises(InfeasibleError) as ours:
        fast.solve(data)
    with pytest.raises(InfeasibleError) as theirs:
        full.solve(data)
    assert str(ours.value) == str(theirs.value)
    assert (fast.qp_solves, fast.qp_fallbacks, fast.qp_active_set_fallbacks) == (1, 1, 1)


def test_unbounded_problem_falls_back_and_raises() -> None:
    """Risk on one factor only, no idiosyncratic part and no constraints: trades along a flat direction
    cost nothing, so Clarabel on the full problem reports the problem unbounded (via the fallback)."""
    data = ProblemData(
        symbols=("A", "B"),
        w=np.array([0.5, 0.4]),
        w_target=np.array([0.5, 0.5]),
        v=1e6,
        factors=FactorRisk(
            loadings=np.array([[1.0], [1.0]]), factor_cov=np.array([[0.04]]), idio_var=np.zeros(2)
        ),
    )

    class Tilt(TrackingError):
        """Tracking error minus a linear tilt toward A (a test-only term that makes the problem unbounded)."""

        def to_cvxpy(self, v):  # type: ignore[no-untyped-def]
            return super().to_cvxpy(v) - 1.0 * (v.dv[0] - v.dv[1])

    problem = RebalanceProblem.for_data(Tilt(), (), data)
    with pytest.raises(SolverError, match="unbounded"):
        problem.solve(data)
    assert (problem.qp_solves, problem.qp_fallbacks) == (1, 1)


def test_impact_power_cone_stays_on_clarabel() -> None:
    """The 3/2 impact power cone is not a QP: the fast path is never built, Clarabel solves as before."""
    data = random_data(np.random.default_rng(3), 4, )
    objective = TrackingError() + TradingCost(CostModel(LinearCost(half_spread_bps=3.0), MarketImpact()))
    problem = RebalanceProblem.for_data(objective, [LongOnly(), CashBounds()], data)
    sol = problem.solve(data)
    assert problem.qp_solves == 0 and sol.solver == "CLARABEL"


def test_binding_constraints_read_after_a_fast_solve() -> None:
    """Dual values (for explanations) after a fast-path solve: a turnover cap that limits the trade binds."""
    rng = np.random.default_rng(5)
    data = random_data(rng, 5, )
    data = dataclasses.replace(data, w=np.full(5, 0.19), w_target=np.array([0.35, 0.25, 0.2, 0.1, 0.05]))
    cap = TurnoverAtMost(0.01)
    problem = RebalanceProblem.for_data(TrackingError(), [LongOnly(), CashBounds(), cap], data)
    sol = problem.solve(data)
    assert problem.qp_fallbacks == 0
    assert sol.turnover == pytest.approx(0.01, abs=1e-6)
    assert cap in sol.binding
