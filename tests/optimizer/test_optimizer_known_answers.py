"""Known answers for the optimizer: KAT-07 (KKT no-trade region) and KAT-09 (limits and monotonicity)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trimtab.models.base import ProblemData
from trimtab.models.constraints import Budget
from trimtab.models.costs import LinearCost
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost
from trimtab.policies.optimizer import ConvexRebalancer


def kat07_objective(gamma: float, cost: float) -> object:
    """(gamma/2) (w - w*)' Sigma (w - w*) + cost |z|, cost one-way as a fraction (5e-4 = 5 bp)."""
    return (gamma / 2) * TrackingError() + TradingCost(LinearCost(half_spread_bps=cost * 1e4))


def solve(objective, data, constraints=()):
    return RebalanceProblem.for_data(objective, constraints, data).solve(data)


SIGMA_CORRELATED = np.array([[0.04, 0.018], [0.018, 0.01]])


def test_kat07_correlated_worked_case() -> None:
    """KAT-07 (Dybvig 2005; subgradient optimality): sell 0.55 pp of asset 1, leave asset 2 alone."""
    target = np.array([0.5, 0.3])
    data = ProblemData(
        symbols=("A", "B"),
        w=target + np.array([0.0, 0.04]),
        w_target=target,
        v=1e6,
        covariance=SIGMA_CORRELATED,
    )
    objective = kat07_objective(1.0, 0.0005)
    gradient_before = SIGMA_CORRELATED @ data.d0
    assert gradient_before == pytest.approx([0.00072, 0.00040], abs=1e-12)
    sol = solve(objective, data)
    assert sol.z == pytest.approx([-0.0055, 0.0], abs=1e-6)
    assert SIGMA_CORRELATED @ (data.d0 + sol.z) == pytest.approx([0.000500, 0.000301], abs=1e-6)
    assert objective.evaluate(np.zeros(2), data) == pytest.approx(8.000e-6, abs=1e-12)
    assert sol.objective == pytest.approx(7.395e-6, abs=1e-9)


@pytest.mark.parametrize(
    ("d0", "after"), [(0.02, 0.005), (-0.02, -0.005), (0.004, 0.004), (-0.0049, -0.0049), (0.0, 0.0)]
)
def test_kat07_scalar_band(d0: float, after: float) -> None:
    """KAT-07 scalar case: gamma = 5, sigma = 0.2, c = 0.001 -> no trade iff |w0 - w*| <= 0.005, else to the edge."""
    data = ProblemData(
        symbols=("X",), w=np.array([0.6 + d0]), w_target=np.array([0.6]), v=1e6, covariance=np.array([[0.04]])
    )
    sol = solve(kat07_objective(5.0, 0.001), data)
    assert data.d0[0] + sol.z[0] == pytest.approx(after, abs=1e-6)
    assert sol.trades == (abs(d0) > 0.005)


@pytest.mark.parametrize("seed", range(20))
def test_kat07_kkt_conditions_on_random_problems(seed: int) -> None:
    """KAT-07: w0 optimal iff |[gamma Sigma (w0 - w*)]_i| <= c_i; after a trade, traded assets sit on the edge."""
    rng = np.random.default_rng(seed)
    n = 6
    a = rng.normal(size=(n, n)) * 0.1
    sigma = a @ a.T + np.diag(rng.uniform(0.005, 0.02, n))
    gamma = rng.uniform(1.0, 10.0)
    c = rng.uniform(2e-4, 2e-3, n)
    target = np.full(n, 1.0 / (n + 1))
    d0 = rng.normal(scale=0.02, size=n)
    # per-asset one-way cost c_i: a $1 per-share commission at price 1/c_i
    objective = (gamma / 2) * TrackingError() + TradingCost(LinearCost(commission_per_share=1.0))
    data = ProblemData(
        symbols=tuple(f"A{i}" for i in range(n)),
        w=target + d0,
        w_target=target,
        v=1e6,
        prices=1.0 / c,
        covariance=sigma,
    )
    sol = solve(objective, data)
    grad0 = gamma * sigma @ d0
    no_trade_region = bool(np.all(np.abs(grad0) <= c))
    assert (not sol.trades) == no_trade_region
    grad = gamma * sigma @ (d0 + sol.z)
    traded = sol.z != 0
    assert grad[traded] == pytest.approx(-c[traded] * np.sign(sol.z[traded]), abs=1e-6)
    assert np.all(np.abs(grad[~traded]) <= c[~traded] + 1e-6)


def test_kat07_budget_row_gives_a_common_shift() -> None:
    """KAT-07 with a budget row 1'w = 1'w0: |[gamma Sigma (w - w*)]_i + nu| <= c_i for one common nu."""
    rng = np.random.default_rng(7)
    n = 5
    a = rng.normal(size=(n, n)) * 0.1
    sigma = a @ a.T + np.diag(np.full(n, 0.01))
    c = np.full(n, 5e-4)
    target = np.full(n, 0.2)
    d0 = np.array([0.03, -0.01, 0.0, -0.02, 0.0])
    data = ProblemData(symbols=tuple("ABCDE"), w=target + d0, w_target=target, v=1e6, covariance=sigma)
    sol = solve(kat07_objective(2.0, 5e-4), data, [Budget()])
    assert abs(sol.z.sum()) <= 1e-6
    g = 2.0 * sigma @ (d0 + sol.z)
    low, high = np.max(-c - g), np.min(c - g)  # nu must lie in [low, high]
    assert low <= high + 1e-6
    traded = sol.z != 0
    nu = np.mean(-c[traded] * np.sign(sol.z[traded]) - g[traded])
    assert g[traded] + nu == pytest.approx(-c[traded] * np.sign(sol.z[traded]), abs=1e-6)


# ------------------------------------------------------------------------------------------------------ KAT-09
def test_kat09_zero_cost_trades_to_target(make_context) -> None:
    """KAT-09: zero cost -> trade to target at every check."""
    target = np.array([0.3, 0.3, 0.2, 0.15])
    ctx = make_context(np.array([0.35, 0.25, 0.22, 0.13]), target)
    policy = ConvexRebalancer(TrackingError())
    decision = policy.decide(ctx)
    assert decision.action == "rebalance"
    weights = np.array([decision.target_weights[s] for s in ctx.symbols])
    assert weights == pytest.approx(target, abs=1e-6)


def test_kat09_prohibitive_cost_never_trades(make_context) -> None:
    """KAT-09: cost -> infinity -> never trade."""
    ctx = make_context(np.array([0.45, 0.15, 0.22, 0.13]), np.array([0.3, 0.3, 0.2, 0.15]))
    policy = ConvexRebalancer(TrackingError() + 1e6 * TradingCost(LinearCost(half_spread_bps=10)))
    decision = policy.decide(ctx)
    assert decision.action == "hold"
    assert "marginal gain" in decision.reasons[0]
    assert decision.target_weights == ctx.as_weights(ctx.weights, cash=ctx.cash_weight)


def test_kat09_band_grows_strictly_with_cost_and_contains_the_target() -> None:
    """KAT-09: the no-trade half-width (trade-to-edge distance) strictly increases with cost; target inside."""
    sigma = np.array([[0.04]])
    edges = []
    for cost in (1e-4, 3e-4, 1e-3, 3e-3):
        data = ProblemData(
            symbols=("X",), w=np.array([0.7]), w_target=np.array([0.6]), v=1e6, covariance=sigma
        )
        sol = solve(kat07_objective(5.0, cost), data)
        edges.append(data.d0[0] + sol.z[0])
        assert edges[-1] == pytest.approx(cost / (5.0 * 0.04), abs=1e-6)
        at_target = ProblemData(
            symbols=("X",), w=np.array([0.6]), w_target=np.array([0.6]), v=1e6, covariance=sigma
        )
        assert not solve(kat07_objective(5.0, cost), at_target).trades
    assert all(b > a for a, b in itertools.pairwise(edges))
