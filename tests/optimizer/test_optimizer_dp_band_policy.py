"""DPBandPolicy: the DP no-trade band as a Policy (KAT-01b, KAT-05 discrete checks), trade to the band edge."""

from __future__ import annotations

import numpy as np
import pytest

from trimtab.domain.settings import CostSettings, PolicySpec
from trimtab.errors import ConfigError
from trimtab.policies.base import Policy
from trimtab.policies.dp import discrete_band_estimate
from trimtab.policies.dp_band import DPBandPolicy
from trimtab.policies.registry import build_policy, parse_policy_option

#: KAT-05, 10 bp row: gamma 2.572, sigma 18 %, pi* = 0.6 -> q = gamma sigma^2 / 2, sigma_x = sigma pi*(1 - pi*).
GAMMA, SIGMA, PI, COST = 2.572, 0.18, 0.6, 0.001
Q, SIGMA_X = GAMMA * SIGMA**2 / 2, SIGMA * PI * (1 - PI)


def kat05_policy(check_years: float) -> DPBandPolicy:
    return DPBandPolicy(risk_aversion=GAMMA, cost=COST, check_years=check_years, volatility=SIGMA)


@pytest.mark.parametrize(("check_years", "kat"), [(1 / 252, 0.0307), (1 / 52, 0.0288)])
def test_kat05_discrete_half_width(make_context, check_years: float, kat: float) -> None:
    """KAT-05 discrete checks (10 bp 60/40 row): about 3.07 pp daily, 2.88 pp weekly (first order, KAT-01b);
    the DP's band is within 2 grid steps of b* - beta sigma_x sqrt(dt) and within 3 % of the KAT value."""
    ctx = make_context(np.array([PI]), np.array([PI]))
    policy = kat05_policy(check_years)
    b = policy.half_widths(ctx)[0]
    expected = discrete_band_estimate(COST, check_years, q=Q, sigma=SIGMA_X)
    solution = policy.band(COST, check_years, Q, SIGMA_X)
    step = solution.grid[1] - solution.grid[0]
    assert abs(b - expected) <= 2 * step
    assert b == pytest.approx(kat, rel=0.03)


def test_inside_the_band_holds_outside_trades_to_the_edge(make_context) -> None:
    policy = kat05_policy(1 / 252)
    inside = policy.decide(make_context(np.array([PI + 0.02]), np.array([PI])))
    assert isinstance(policy, Policy)
    assert inside.action == "hold" and "inside its DP no-trade band" in inside.reasons[0]
    ctx = make_context(np.array([PI + 0.08]), np.array([PI]))
    b = policy.half_widths(ctx)[0]
    outside = policy.decide(ctx)
    assert outside.action == "partial"
    assert outside.target_weights[ctx.symbols[0]] == pytest.approx(PI + b)
    assert outside.target_weights["CASH"] == pytest.approx(1 - PI - b)
    under = policy.decide(make_context(np.array([PI - 0.08]), np.array([PI])))
    assert under.target_weights[ctx.symbols[0]] == pytest.approx(PI - b)
    assert "back to the band edge" in outside.reasons[0]


def test_band_widens_with_cost_and_vanishes_without_it(make_context) -> None:
    """KAT-09: half-width strictly increasing in cost; zero cost trades to target."""
    ctx = make_context(np.array([0.5, 0.3]), np.array([0.45, 0.35]))
    widths = [DPBandPolicy(cost=c, check_years=1 / 52).half_widths(ctx)[0] for c in (5e-4, 1e-3, 2e-3)]
    assert widths[0] < widths[1] < widths[2]
    free = DPBandPolicy(cost=0.0).decide(ctx)
    assert free.action == "rebalance"
    assert free.target_weights[ctx.symbols[0]] == pytest.approx(0.45)


def test_costs_from_the_portfolio_and_estimated_volatility(make_context) -> None:
    ctx = make_context(np.array([0.3, 0.3, 0.3]), np.array([0.3, 0.3, 0.3]))
    policy = DPBandPolicy(costs=CostSettings(half_spread_bps=5), check_years=1 / 12)
    b = policy.half_widths(ctx)
    assert (b > 0).all()
    assert set(policy.decide(ctx).details["bands"]) == set(ctx.symbols)


def test_registered_kind_and_errors() -> None:
    policy = build_policy(parse_policy_option("dp_band:3,cost=0.001,check_years=0.25"))
    assert (
        isinstance(policy, DPBandPolicy)
        and policy.describe() == "dp_band(risk_aversion=3, cost=0.001, check_years=0.25)"
    )
    with pytest.raises(ConfigError, match="policy.risk_aversion"):
        build_policy(PolicySpec("dp_band", {"risk_aversion": 0}))
    with pytest.raises(ConfigError, match="policy.lookback"):
        build_policy(PolicySpec("dp_band", {"lookback": 2.5}))
