"""Conformance of the added terms: ``evaluate`` equals the cvxpy value (rel 1e-6) on >= 100 random cases each
(issue 4 acceptance; DESIGN 3.3), and every added constraint holds in solved problems."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_optimizer_conformance import random_data, random_trades

from trimtab.models.base import ProblemData, Term
from trimtab.models.constraints import CashBounds, LongOnly, TurnoverAtMost
from trimtab.models.costs import LinearCost
from trimtab.models.downside import CVaR, SemiDeviation
from trimtab.models.exposures import FactorDeviation, FactorExposureRisk
from trimtab.models.groups import GroupBounds
from trimtab.models.mixed_integer import FixedTradeCost, MaxTrades, MinTradeSize, MixedIntegerProblem
from trimtab.models.opportunity import OpportunityCost
from trimtab.models.penalties import DistanceToTarget, StyleTilt, TradeBalance
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost
from trimtab.models.variance import Variance
from trimtab.testing.checks import check_constraints_hold, check_term

CASES = 100
MAX_SCENARIOS = 12


def with_inputs(rng: np.random.Generator, data: ProblemData) -> ProblemData:
    """Add scenarios (1 to MAX_SCENARIOS, sometimes with unequal probabilities) and expected returns."""
    s = int(rng.integers(1, MAX_SCENARIOS + 1))
    extras = {
        "scenarios": rng.normal(0.0, 0.02, size=(s, data.n)),
        "expected_returns": rng.normal(0.04, 0.05, size=data.n),
    }
    if rng.random() < 0.5:
        extras["scenario_probabilities"] = rng.dirichlet(np.ones(s))
    return dataclasses.replace(data, extras=extras)


def named_exposures(rng: np.random.Generator, symbols: tuple[str, ...]) -> dict[str, dict[str, float]]:
    k = int(rng.integers(1, 4))
    return {f"style{j}": {s: float(rng.normal()) for s in symbols if rng.random() < 0.8} for j in range(k)}


def term_cases():
    yield "variance", lambda rng, d: Variance(), False
    yield "variance, factor form", lambda rng, d: Variance(), True
    yield (
        "factor-exposure risk, named",
        lambda rng, d: FactorExposureRisk(
            exposures=(e := named_exposures(rng, d.symbols)), weights={f: float(rng.uniform(0, 3)) for f in e}
        ),
        False,
    )
    yield "factor-exposure risk, factor model", lambda rng, d: FactorExposureRisk(), True
    yield (
        "CVaR",
        lambda rng, d: CVaR(
            alpha=float(rng.choice([0.0, rng.uniform(0, 0.99)])),
            relative=str(rng.choice(["active", "total"])),
            max_scenarios=MAX_SCENARIOS,
        ),
        False,
    )
    yield (
        "semi-deviation",
        lambda rng, d: SemiDeviation(
            threshold=None if rng.random() < 0.5 else float(rng.normal(0, 0.005)),
            relative=str(rng.choice(["active", "total"])),
            max_scenarios=MAX_SCENARIOS,
        ),
        False,
    )
    yield (
        "opportunity cost",
        lambda rng, d: OpportunityCost(
            horizon=float(rng.uniform(0.02, 1.0)), risk_aversion=float(rng.choice([0.0, rng.uniform(0, 10)]))
        ),
        False,
    )
    yield (
        "distance to target",
        lambda rng, d: DistanceToTarget(
            norm=str(rng.choice(["l1", "l2"])),
            weights={s: float(rng.uniform(0, 3)) for s in d.symbols if rng.random() < 0.5},
        ),
        False,
    )
    yield (
        "factor deviation",
        lambda rng, d: FactorDeviation(
            exposures=(e := named_exposures(rng, d.symbols)),
            weights=float(rng.uniform(0, 2)),
            norm=str(rng.choice(["l1", "l2"])),
            target_exposures={next(iter(e)): float(rng.normal())},
        ),
        False,
    )
    yield "factor deviation, factor model", lambda rng, d: FactorDeviation(norm="l1"), True
    yield "style tilt", lambda rng, d: StyleTilt({s: float(rng.normal()) for s in d.symbols}), False
    yield "trade balance", lambda rng, d: TradeBalance(), False
    yield "fixed cost per trade (MILP)", lambda rng, d: FixedTradeCost(float(rng.uniform(0, 20))), False


@pytest.mark.parametrize(
    ("make_term", "factor"), [(m, f) for _, m, f in term_cases()], ids=[name for name, _, _ in term_cases()]
)
def test_evaluate_equals_cvxpy_value(make_term, factor: bool) -> None:
    rng = np.random.default_rng(4242)
    for _ in range(CASES):
        n = int(rng.integers(1, 7))
        data = with_inputs(rng, random_data(rng, n, factor=factor))
        check_term(make_term(rng, data), data, random_trades(rng, n), rel=1e-6)


def test_a_weighted_sum_of_the_new_terms_agrees() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(2, 6))
        data = with_inputs(rng, random_data(rng, n))
        term: Term = (
            0.5 * Variance()
            + 2.0 * CVaR(alpha=0.9, max_scenarios=MAX_SCENARIOS)
            + SemiDeviation(max_scenarios=MAX_SCENARIOS)
            + 0.1 * DistanceToTarget()
            + OpportunityCost(horizon=0.25, risk_aversion=2.0)
        )
        check_term(term, data, random_trades(rng, n))


def random_extra_constraints(rng: np.random.Generator, data: ProblemData) -> list:
    """Group bounds that z = 0 satisfies (so the problem is feasible), plus mixed-integer parts."""
    syms = list(data.symbols)
    members = [s for s in syms if rng.random() < 0.5] or syms[:1]
    now = float(data.w[[syms.index(s) for s in members]].sum())
    out: list = [
        LongOnly(),
        CashBounds(),
        GroupBounds(
            {"g": members, "with cash": [*members[:1], "CASH"]},
            {"g": (max(0.0, now - rng.uniform(0, 0.05)), now + rng.uniform(0, 0.05))},
        ),
    ]
    if rng.random() < 0.6:
        out.append(MinTradeSize(float(rng.uniform(0.002, 0.03))))
    if rng.random() < 0.6:
        out.append(MaxTrades(int(rng.integers(0, data.n + 1))))
    if rng.random() < 0.3:
        out.append(TurnoverAtMost(float(rng.uniform(0.01, 0.1))))
    return out


def test_every_added_constraint_holds_in_the_solution() -> None:
    rng = np.random.default_rng(19)
    checked = 0
    for _ in range(40):
        n = int(rng.integers(2, 7))
        data = random_data(rng, n)
        constraints = random_extra_constraints(rng, data)
        objective = TrackingError() + TradingCost(LinearCost(half_spread_bps=rng.uniform(0, 10)))
        if rng.random() < 0.5:
            objective = objective + FixedTradeCost(float(rng.uniform(0, 2e-4)) * data.v)
        sol = MixedIntegerProblem.for_data(objective, constraints, data).solve(data)
        check_constraints_hold(constraints, sol.z, data, tolerance=1e-6)
        traded = np.abs(sol.z[sol.z != 0])
        for c in constraints:
            if isinstance(c, MinTradeSize):
                assert (traded >= c.min_trade - 1e-6).all()
            if isinstance(c, MaxTrades):
                assert traded.size <= c.count
        checked += 1
    assert checked == 40


def test_cvar_problem_compiles_once_and_takes_fewer_scenarios() -> None:
    """DPP: one compile, re-solved with 3 then 12 scenarios (zero-probability padding)."""
    rng = np.random.default_rng(23)
    base = random_data(rng, 4)
    term = TrackingError() + 0.1 * CVaR(alpha=0.8, max_scenarios=MAX_SCENARIOS)
    problem = RebalanceProblem.for_data(term, [LongOnly(), CashBounds()], with_inputs(rng, base))
    assert problem.problem.is_dpp()
    for s in (3, 12, 1):
        data = dataclasses.replace(base, extras={"scenarios": rng.normal(0, 0.02, (s, 4))})
        reused = problem.solve(data)
        fresh = RebalanceProblem.for_data(term, [LongOnly(), CashBounds()], data).solve(data)
        assert reused.z == pytest.approx(fresh.z, abs=1e-6)
    assert problem.solves == 3
