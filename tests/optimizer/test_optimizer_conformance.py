"""Conformance: every term's evaluate equals its cvxpy value (rel 1e-6) on >= 100 random cases, and every
constraint holds in the solution (issue 4 acceptance; DESIGN 3.3)."""

from __future__ import annotations

import numpy as np
import pytest

from trimtab.models.base import FactorRisk, ProblemData, Term
from trimtab.models.constraints import (
    Budget,
    CashBounds,
    DoNotBuy,
    DoNotSell,
    DoNotTrade,
    LongOnly,
    TurnoverAtMost,
    WeightBounds,
)
from trimtab.models.costs import LinearCost, MarketImpact
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost
from trimtab.testing.checks import check_constraints_hold, check_term

CASES = 100


def random_data(rng: np.random.Generator, n: int, *, factor: bool = False) -> ProblemData:
    target = rng.dirichlet(np.ones(n + 1))[:n]
    w = np.clip(target + rng.normal(scale=0.03, size=n), 0.0, None)
    w = w / max(1.0, w.sum() + 0.01)
    symbols = tuple(f"S{i}" for i in range(n))
    common = {
        "symbols": symbols,
        "w": w,
        "w_target": target,
        "v": float(10 ** rng.uniform(4, 8)),
        "prices": rng.uniform(2.0, 800.0, n),
        "sigma": rng.uniform(0.005, 0.05, n),
        "volume": 10 ** rng.uniform(5, 10, n),
    }
    if factor:
        k = int(rng.integers(1, 4))
        f = rng.normal(size=(k, k)) * 0.1
        return ProblemData(
            **common,
            factors=FactorRisk(
                loadings=rng.normal(size=(n, k)), factor_cov=f @ f.T, idio_var=rng.uniform(0.01, 0.09, n)
            ),
        )
    a = rng.normal(size=(n, n)) * 0.15
    return ProblemData(**common, covariance=a @ a.T + np.diag(rng.uniform(0.0, 0.02, n)))


def random_trades(rng: np.random.Generator, n: int) -> np.ndarray:
    z = rng.normal(scale=10 ** rng.uniform(-4, -1), size=n)
    z[rng.random(n) < 0.3] = 0.0
    return z


def term_cases():
    yield "tracking error, dense", lambda rng: TrackingError(), False
    yield "tracking error, factor", lambda rng: TrackingError(), True
    yield (
        "linear cost",
        lambda rng: TradingCost(
            LinearCost(half_spread_bps=rng.uniform(0, 30), commission_per_share=rng.uniform(0, 0.02))
        ),
        False,
    )
    yield (
        "market impact",
        lambda rng: TradingCost(MarketImpact(b=rng.uniform(0.1, 3), alpha=rng.uniform(1, 2))),
        False,
    )
    yield (
        "weighted sum",
        lambda rng: (
            rng.uniform(0.1, 5) * TrackingError()
            + rng.uniform(0.1, 5) * TradingCost(LinearCost(half_spread_bps=5) + MarketImpact(alpha=1.5))
        ),
        True,
    )


@pytest.mark.parametrize(
    ("make_term", "factor"), [(m, f) for _, m, f in term_cases()], ids=[name for name, _, _ in term_cases()]
)
def test_evaluate_equals_cvxpy_value(make_term, factor: bool) -> None:
    rng = np.random.default_rng(2024)
    for _ in range(CASES):
        n = int(rng.integers(1, 9))
        data = random_data(rng, n, factor=factor)
        check_term(make_term(rng), data, random_trades(rng, n), rel=1e-6)


def test_impact_at_exactly_alpha_one_and_two() -> None:
    rng = np.random.default_rng(3)
    for alpha in (1.0, 2.0):
        for _ in range(10):
            data = random_data(rng, 4)
            check_term(TradingCost(MarketImpact(alpha=alpha)), data, random_trades(rng, 4))


def test_composition_is_linear() -> None:
    rng = np.random.default_rng(5)
    data = random_data(rng, 5)
    z = random_trades(rng, 5)
    te, tc = TrackingError(), TradingCost(LinearCost(half_spread_bps=3))
    assert (2.0 * te + 3.0 * tc).evaluate(z, data) == pytest.approx(
        2 * te.evaluate(z, data) + 3 * tc.evaluate(z, data)
    )
    assert repr(2.0 * (te + tc)) == "2.0 * (TrackingError() + TradingCost(LinearCost(half_spread_bps=3)))"
    assert sum([te, tc]).evaluate(z, data) == pytest.approx(te.evaluate(z, data) + tc.evaluate(z, data))


def random_constraints(rng: np.random.Generator, data: ProblemData) -> list:
    syms = list(data.symbols)
    # every pool member admits z = 0, so the problems are feasible by construction
    cash = float(data.cash)
    pool = [
        LongOnly(),
        CashBounds(min_weight=0.0, max_weight=float(rng.uniform(cash, 1.0))),
        WeightBounds(upper=float(data.w.max() + rng.uniform(0.0, 0.2))),
        TurnoverAtMost(float(rng.uniform(0.005, 0.2))),
        DoNotTrade(rng.choice(syms, size=1).tolist()),
        DoNotBuy(rng.choice(syms, size=1).tolist()),
        DoNotSell(rng.choice(syms, size=1).tolist()),
        TradingCost(LinearCost(half_spread_bps=10)) <= float(rng.uniform(1e-5, 1e-4)),
    ]
    chosen = [c for c in pool if rng.random() < 0.6]
    if rng.random() < 0.2:
        chosen.append(Budget())
    return chosen


@pytest.mark.parametrize("factor", [False, True], ids=["dense", "factor"])
def test_every_constraint_holds_in_the_solution(factor: bool) -> None:
    rng = np.random.default_rng(11)
    solved = 0
    for _ in range(CASES // 2):
        n = int(rng.integers(2, 9))
        data = random_data(rng, n, factor=factor)
        objective: Term = TrackingError() + TradingCost(
            LinearCost(half_spread_bps=rng.uniform(0, 20)) + MarketImpact(alpha=1.5)
        )
        constraints = random_constraints(rng, data)
        sol = RebalanceProblem.for_data(objective, constraints, data).solve(data)
        check_constraints_hold(constraints, sol.z, data, tolerance=1e-6)
        solved += 1
    assert solved == CASES // 2


def test_compile_once_and_resolve_matches_a_fresh_compile() -> None:
    rng = np.random.default_rng(13)
    first = random_data(rng, 6)
    objective = TrackingError() + TradingCost(LinearCost(half_spread_bps=5) + MarketImpact())
    constraints = [LongOnly(), CashBounds(), TurnoverAtMost(0.05)]
    compiled = RebalanceProblem.for_data(objective, constraints, first)
    for _ in range(5):
        again = random_data(rng, 6)
        data = ProblemData(
            symbols=first.symbols,
            w=again.w,
            w_target=again.w_target,
            v=again.v,
            prices=again.prices,
            sigma=again.sigma,
            volume=again.volume,
            covariance=again.covariance,
        )
        reused = compiled.solve(data)
        fresh = RebalanceProblem.for_data(objective, constraints, data).solve(data)
        assert reused.z == pytest.approx(fresh.z, abs=1e-6)
    assert compiled.solves == 5


@pytest.mark.parametrize("factor", [False, True], ids=["dense", "factor"])
def test_direct_clarabel_path_equals_cvxpy_solve(factor: bool) -> None:
    """The re-solve fast path (Clarabel on cvxpy's compiled maps) gives cvxpy's own answer and duals."""
    rng = np.random.default_rng(17)
    first = random_data(rng, 7, factor=factor)
    objective = TrackingError() + TradingCost(LinearCost(half_spread_bps=8) + MarketImpact())
    constraints = [LongOnly(), CashBounds(), TurnoverAtMost(0.01)]
    fast = RebalanceProblem.for_data(objective, constraints, first)
    slow = RebalanceProblem.for_data(objective, constraints, first, fast=False)
    for _ in range(8):
        again = random_data(rng, 7, factor=factor)
        data = ProblemData(
            symbols=first.symbols,
            w=again.w,
            w_target=again.w_target,
            v=again.v,
            prices=again.prices,
            sigma=again.sigma,
            volume=again.volume,
            covariance=None if factor else again.covariance,
            factors=FactorRisk(first.factors.loadings, first.factors.factor_cov, again.factors.idio_var)
            if factor
            else None,
        )
        a, b = fast.solve(data), slow.solve(data)
        assert fast._direct is not None
        assert a.z == pytest.approx(b.z, abs=1e-6)
        assert [repr(c) for c in a.binding] == [repr(c) for c in b.binding]
