"""The optimizer policy's added keys (risk_measure, groups, min_trade, max_trades, fixed_costs, penalties,
opportunity_cost, ...): what they build, decisions that honour them, and ConfigErrors naming key and line."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from trimtab.domain.settings import CostSettings, PolicySpec
from trimtab.errors import ConfigError, SourceRef
from trimtab.models.mixed_integer import FixedTradeCost, MaxTrades, MinTradeSize
from trimtab.policies.optimizer import build_optimizer_policy
from trimtab.policies.registry import build_policy, parse_policy_option

TARGET5 = np.array([0.2, 0.2, 0.2, 0.2, 0.15])
DRIFTED5 = np.array([0.26, 0.18, 0.17, 0.2, 0.14])
WHERE = SourceRef("portfolio.yaml", 7, "policy")


def test_keys_build_the_documented_objective_and_constraints() -> None:
    policy = build_optimizer_policy(
        {
            "risk_measure": {"tracking": 1.0, "cvar": 0.5},
            "cvar_alpha": 0.9,
            "groups": {"tech": ["S0000", "S0001"]},
            "group_bounds": {"tech": [0.0, 0.4]},
            "min_trade": 0.005,
            "max_trades": 3,
            "penalties": {"l1": 0.001, "balance": 0.0005, "tilt": 0.01},
            "scores": {"S0000": 1.0},
            "opportunity_cost": {"horizon": 0.25, "risk_aversion": 2.0},
            "expected_returns": {"S0000": 0.05},
        },
        costs=CostSettings(half_spread_bps=2, commission_per_trade=Decimal("1")),
    )
    text = repr(policy.objective)
    for part in (
        "TrackingError()",
        "0.5 * CVaR(alpha=0.9)",
        "0.001 * DistanceToTarget(norm='l1')",
        "0.0005 * TradeBalance()",
        "0.01 * StyleTilt(1 scores)",
        "OpportunityCost(horizon=0.25, risk_aversion=2.0, expected_returns={1 symbols})",
        "1.0 * FixedTradeCost(1.0)",
    ):
        assert part in text
    names = [repr(c) for c in policy.constraints]
    assert "GroupBounds({tech: [0, 0.4]})" in names and "MinTradeSize(0.005)" in names
    assert "MaxTrades(3)" in names


def test_cvar_policy_uses_the_snapshots_returns_as_scenarios(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    decision = build_optimizer_policy(
        {"risk_measure": "cvar", "lookback": 120}, costs=CostSettings(half_spread_bps=1)
    ).decide(ctx)
    assert decision.action in ("partial", "rebalance")
    assert decision.details["terms"]["CVaR"]["after"] < decision.details["terms"]["CVaR"]["before"]


def test_group_bounds_min_trade_and_max_trades_hold_in_a_decision(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    policy = build_optimizer_policy(
        {
            "groups": {"first two": ["S0000", "S0001"]},
            "group_bounds": {"first two": [None, 0.38]},
            "min_trade": 0.01,
            "max_trades": 2,
        },
        costs=CostSettings(half_spread_bps=1),
    )
    decision = policy.decide(ctx)
    trades = decision.details["trades"]
    assert 0 < len(trades) <= 2
    assert all(abs(x) >= 0.01 - 1e-9 for x in trades.values())
    w = decision.target_weights
    assert w["S0000"] + w["S0001"] <= 0.38 + 1e-6
    assert decision.details["mixed_integer"]["method"] == "branch and bound"
    assert isinstance(policy.constraints[-1], MaxTrades) and isinstance(policy.constraints[-2], MinTradeSize)


def test_fixed_ticket_cost_is_priced_by_default(make_context) -> None:
    """commission_per_trade in costs -> FixedTradeCost in the objective (mixed-integer), not a note; a large
    ticket charge stops the small trades."""
    ctx = make_context(DRIFTED5, TARGET5)
    cheap = build_optimizer_policy({}, costs=CostSettings(commission_per_trade=Decimal("0.01"))).decide(ctx)
    dear = build_optimizer_policy({}, costs=CostSettings(commission_per_trade=Decimal("100"))).decide(ctx)
    assert "notes" not in cheap.details
    assert len(dear.details["trades"]) < len(cheap.details["trades"])
    policy = build_optimizer_policy({}, costs=CostSettings(commission_per_trade=Decimal("100")))
    assert any(isinstance(t, FixedTradeCost) for _, t in policy.objective.parts())


def test_factor_exposure_without_named_exposures_uses_factor_form(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    policy = build_optimizer_policy({"risk_measure": "factor_exposure", "n_factors": 2})
    assert policy.risk == "factor"
    decision = policy.decide(ctx)
    assert "factor-exposure risk" in decision.details["terms"]


def test_named_exposures_and_factor_penalty(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    exposures = {"value": {"S0000": 1.0, "S0001": -1.0}}
    decision = build_optimizer_policy(
        {"exposures": exposures, "penalties": {"factor": 0.01}}, costs=CostSettings(half_spread_bps=1)
    ).decide(ctx)
    assert "factor deviation" in decision.details["terms"]


def test_registry_and_cli_accept_the_new_keys() -> None:
    option = parse_policy_option("optimizer:2,min_trade=0.01,max_trades=3,risk_measure=variance")
    policy = build_policy(option)
    assert "Variance()" in repr(policy.objective)
    assert {repr(c) for c in policy.constraints} >= {"MinTradeSize(0.01)", "MaxTrades(3)"}
    spec = PolicySpec("optimizer", {"groups": {"g": ["A"]}, "group_bounds": {"g": [0, 0.5]}})
    assert "GroupBounds" in repr(build_policy(spec, where=SourceRef("portfolio.yaml", 4)).constraints)


@pytest.mark.parametrize(
    ("params", "key", "text"),
    [
        ({"risk_measure": "sharpe"}, "policy.risk_measure", "unknown risk measure"),
        ({"risk": "cvar"}, "policy.risk", "risk_measure"),
        ({"cvar_alpha": 1.0}, "policy.cvar_alpha", "cvar_alpha must be a number in [0, 1)"),
        ({"downside": "up"}, "policy.downside", "active or total"),
        ({"groups": {"tech": ["A"]}}, "policy.groups", "need group_bounds"),
        (
            {"groups": {"tech": ["A"]}, "group_bounds": {"tech": [0.5, 0.2]}},
            "policy.group_bounds.tech",
            "above",
        ),
        (
            {"groups": {"tech": ["A"]}, "group_bounds": {"bonds": [0, 1]}},
            "policy.group_bounds.bonds",
            "not define",
        ),
        (
            {"groups": {"tech": "A B"}, "group_bounds": {"tech": [0, "x"]}},
            "policy.group_bounds.tech",
            "number",
        ),
        ({"min_trade": 0}, "policy.min_trade", "min_trade must be a number in (0, 1]"),
        ({"max_trades": 2.5}, "policy.max_trades", "whole number"),
        ({"fixed_costs": "maybe"}, "policy.fixed_costs", "mip or ignore"),
        ({"max_nodes": 0}, "policy.max_nodes", "max_nodes"),
        ({"penalties": {"l3": 1}}, "policy.penalties.l3", "unknown penalty"),
        ({"penalties": {"l1": -1}}, "policy.penalties.l1", "number"),
        ({"penalties": {"tilt": 0.1}}, "policy.penalties.tilt", "needs scores"),
        ({"penalties": {"tilt": 0.1}, "scores": {"A": "high"}}, "policy.scores.A", "number"),
        ({"opportunity_cost": 0}, "policy.opportunity_cost", "opportunity_cost"),
        ({"opportunity_cost": {"years": 1}}, "policy.opportunity_cost.years", "unknown key"),
        ({"opportunity_cost": 0.25, "expected_returns": "guess"}, "policy.expected_returns", "mapping"),
        ({"exposures": {"value": {"A": "x"}}}, "policy.exposures.value.A", "number"),
        ({"risk_measure": "factor_exposure", "risk": "dense"}, "policy.exposures", "factor form"),
    ],
)
def test_bad_values_name_the_key_and_line(params: dict, key: str, text: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_optimizer_policy(params, WHERE)
    message = str(err.value)
    assert message.startswith(f"portfolio.yaml:7 {key}:"), message
    assert text in message, message
