"""ConvexRebalancer as a Policy: decisions, reasons, recorded fallbacks, factor form, portfolio-file factory."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from trimtab.domain.settings import CostSettings, ImpactSettings
from trimtab.errors import ConfigError, DataError, InfeasibleError, ModelError, SourceRef
from trimtab.models.base import FactorRisk, ProblemData
from trimtab.models.constraints import CashBounds, LongOnly, WeightBounds
from trimtab.models.costs import FixedCost, LinearCost, MarketImpact
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError, factor_risk_from_returns
from trimtab.models.trading_cost import TradingCost
from trimtab.policies.base import Policy
from trimtab.policies.optimizer import ConvexRebalancer, build_optimizer_policy

TARGET5 = np.array([0.2, 0.2, 0.2, 0.2, 0.15])
DRIFTED5 = np.array([0.26, 0.18, 0.17, 0.2, 0.14])


def test_policy_protocol_and_describe() -> None:
    policy = build_optimizer_policy(
        {"kind": "optimizer", "tc_weight": 2.0, "max_turnover": 0.1}, costs=CostSettings(half_spread_bps=3)
    )
    assert isinstance(policy, Policy)
    assert policy.describe() == "optimizer(tc_weight=2.0, max_turnover=0.1)"
    assert (
        repr(policy.objective) == "1.0 * TrackingError() + 2.0 * TradingCost(LinearCost(half_spread_bps=3.0))"
    )


def test_decision_trades_toward_target_with_reasons(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    decision = build_optimizer_policy({}, costs=CostSettings(half_spread_bps=5)).decide(ctx)
    assert decision.action == "partial"
    assert decision.reasons[0].startswith("sell ") and ctx.symbols[0] in decision.reasons[0]
    assert "tracking error² gain" in decision.reasons[0] and "trading cost" in decision.reasons[0]
    assert any(r.startswith("objective falls by") for r in decision.reasons)
    weights = decision.target_weights
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    assert weights[ctx.symbols[0]] < DRIFTED5[0]
    assert (
        decision.details["terms"]["tracking error²"]["after"]
        < decision.details["terms"]["tracking error²"]["before"]
    )
    assert set(decision.details["trades"]) <= set(ctx.symbols)


def test_same_context_gives_the_same_decision(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    policy = build_optimizer_policy({}, costs=CostSettings(half_spread_bps=5))
    first, second = policy.decide(ctx), policy.decide(ctx)
    assert first.action == second.action
    assert first.target_weights == pytest.approx(second.target_weights, abs=1e-9)
    assert first.reasons == second.reasons


def test_infeasible_bounds_give_a_recorded_hold_naming_the_conflict(make_context) -> None:
    """Issue 4: bounds that cannot sum to 1 -> clear message naming the conflicting constraints; hold recorded."""
    ctx = make_context(DRIFTED5, TARGET5)
    decision = build_optimizer_policy({"min_weight": 0.3}).decide(ctx)
    assert decision.action == "hold"
    fallback = decision.details["fallback"]
    assert fallback["error"] == "InfeasibleError" and fallback["used"] == "hold"
    assert "WeightBounds(lower=0.3)" in fallback["reason"] and "CashBounds()" in fallback["reason"]
    assert "sum to 150.00 %" in fallback["reason"]
    assert decision.target_weights == ctx.as_weights(ctx.weights, cash=ctx.cash_weight)


def test_upper_bounds_below_100_percent_name_the_conflict() -> None:
    data = ProblemData(
        symbols=tuple("ABCD"), w=np.full(4, 0.2), w_target=np.full(4, 0.2), v=1e5, covariance=np.eye(4) * 0.04
    )
    constraints = [LongOnly(), WeightBounds(upper=0.1), CashBounds(max_weight=0.3)]
    with pytest.raises(
        InfeasibleError,
        match=r"WeightBounds\(upper=0.1\) and CashBounds\(max_weight=0.3\) "
        r"cannot all hold: the upper bounds sum to 40.00 %",
    ):
        RebalanceProblem.for_data(TrackingError(), constraints, data).solve(data)


def test_on_failure_none_reraises(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    with pytest.raises(InfeasibleError, match="cannot all hold"):
        build_optimizer_policy({"min_weight": 0.3, "on_failure": "raise"}).decide(ctx)


def test_solver_failure_gives_a_recorded_hold(make_context) -> None:
    """A solver that cannot take the impact power cone fails; the policy holds and records why."""
    ctx = make_context(DRIFTED5, TARGET5)
    policy = build_optimizer_policy({"solver": "osqp"}, costs=CostSettings(impact=ImpactSettings()))
    decision = policy.decide(ctx)
    assert decision.action == "hold"
    assert decision.details["fallback"]["error"] == "SolverError"
    assert "OSQP" in decision.details["fallback"]["reason"]


def test_solver_chain_falls_through_to_clarabel(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    policy = build_optimizer_policy(
        {"solver": ["osqp", "clarabel"]}, costs=CostSettings(impact=ImpactSettings())
    )
    decision = policy.decide(ctx)
    assert decision.action != "hold" and decision.details["solver"] == "CLARABEL"


def test_impact_needs_volume(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5, volume=None)
    with pytest.raises(DataError, match="volume"):
        build_optimizer_policy({}, costs=CostSettings(impact=ImpactSettings())).decide(ctx)


def test_fixed_ticket_cost_is_left_out_and_noted_when_ignored(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    decision = build_optimizer_policy(
        {"fixed_costs": "ignore"}, costs=CostSettings(commission_per_trade=Decimal("4.95"))
    ).decide(ctx)
    assert "FixedCost(per_trade=4.95)" in decision.details["notes"][0]
    with pytest.raises(ModelError, match="not convex"):
        ConvexRebalancer(TrackingError() + TradingCost(FixedCost(per_trade=1.0)))


def test_do_not_trade_and_turnover_cap_bind(make_context) -> None:
    ctx = make_context(DRIFTED5, TARGET5)
    first = ctx.symbols[0]
    decision = build_optimizer_policy(
        {"do_not_trade": [first], "max_turnover": 0.01}, costs=CostSettings(half_spread_bps=1)
    ).decide(ctx)
    assert decision.target_weights[first] == pytest.approx(DRIFTED5[0], abs=1e-9)
    assert sum(abs(x) for x in decision.details["trades"].values()) / 2 == pytest.approx(0.01, abs=1e-6)
    assert any("turnover cap binds" in r for r in decision.reasons)


def test_hold_inside_the_no_trade_region_says_why(make_context) -> None:
    ctx = make_context(TARGET5 + np.array([0.001, -0.001, 0.0, 0.0, 0.0]), TARGET5)
    decision = build_optimizer_policy({}, costs=CostSettings(half_spread_bps=20)).decide(ctx)
    assert decision.action == "hold"
    assert decision.reasons[0].startswith("no trade: for every asset the marginal gain")


def test_factor_form_above_threshold_never_asks_for_a_dense_covariance(make_context) -> None:
    n = 240
    rng = np.random.default_rng(0)
    target = np.full(n, 0.95 / n)
    w = np.clip(target + rng.normal(scale=0.002, size=n), 0.0, None)
    w *= 0.95 / w.sum()

    def refuse() -> np.ndarray:
        raise AssertionError("a dense covariance was requested above the factor threshold")

    ctx = make_context(w, target)
    ctx = type(ctx)(**{**{f: getattr(ctx, f) for f in ctx.__dataclass_fields__}, "covariance": refuse})
    policy = build_optimizer_policy({"n_factors": 5}, costs=CostSettings(half_spread_bps=2))
    decision = policy.decide(ctx)
    assert decision.action in ("partial", "rebalance")
    (key,) = policy._compiled
    assert key[1:] == ("factor", 5)


def test_factor_form_equals_dense_form_on_the_same_covariance() -> None:
    rng = np.random.default_rng(1)
    n, k = 12, 3
    b = rng.normal(size=(n, k)) * 0.1
    f = np.diag([0.04, 0.02, 0.01]) * 10
    d = rng.uniform(0.01, 0.05, n)
    factors = FactorRisk(loadings=b, factor_cov=f, idio_var=d)
    target = np.full(n, 1.0 / n) * 0.9
    w = target + rng.normal(scale=0.01, size=n)
    objective = TrackingError() + TradingCost(LinearCost(half_spread_bps=5) + MarketImpact())
    common = {
        "symbols": tuple(f"S{i}" for i in range(n)),
        "w": w,
        "w_target": target,
        "v": 1e6,
        "sigma": np.full(n, 0.02),
        "volume": np.full(n, 1e7),
    }
    dense = ProblemData(**common, covariance=b @ f @ b.T + np.diag(d))
    factor = ProblemData(**common, factors=factors)
    z_dense = RebalanceProblem.for_data(objective, [LongOnly()], dense).solve(dense).z
    z_factor = RebalanceProblem.for_data(objective, [LongOnly()], factor).solve(factor).z
    assert z_factor == pytest.approx(z_dense, abs=1e-6)


def test_factor_model_from_returns_reproduces_variances() -> None:
    rng = np.random.default_rng(2)
    returns = rng.normal(scale=0.01, size=(120, 30)) + rng.normal(scale=0.01, size=(120, 1))
    model = factor_risk_from_returns(returns, n_factors=4, periods_per_year=252)
    sample = np.cov(returns, rowvar=False) * 252
    x = rng.normal(size=30)
    assert np.diag(model.loadings @ model.factor_cov @ model.loadings.T) + model.idio_var == pytest.approx(
        np.diag(sample), rel=1e-9
    )
    full = factor_risk_from_returns(returns, n_factors=30, periods_per_year=252)
    assert full.quad(x) == pytest.approx(x @ sample @ x, rel=1e-6)


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"tc_wieght": 1.0}, "tc_wieght"),
        ({"te_weight": -1}, "te_weight"),
        ({"tc_weight": "high"}, "tc_weight"),
        ({"max_turnover": float("nan")}, "max_turnover"),
        ({"long_only": "yes"}, "long_only"),
        ({"do_not_trade": "AAPL, MSFT", "do_not_buy": [1]}, "do_not_buy"),
        ({"risk": "pca"}, "risk"),
        ({"solver": "gurobi"}, "solver"),
        ({"on_failure": "retry"}, "on_failure"),
        ({"n_factors": 2.5}, "n_factors"),
        ({"min_cash": 0.5, "max_cash": 0.2}, "min_cash"),
        ({"max_weight": {"AAPL": "x"}}, "max_weight.AAPL"),
        ({"tax_weight": 1.0}, "tax_weight"),
    ],
)
def test_factory_rejects_bad_parameters_naming_file_and_key(params: dict, key: str) -> None:
    where = SourceRef("portfolio.yaml", 12, "policy")
    with pytest.raises(ConfigError) as info:
        build_optimizer_policy(params, where)
    message = str(info.value)
    assert message.startswith(f"portfolio.yaml:12 policy.{key}: ") and "Fix:" in message
    assert "\n" not in message


def test_factory_accepts_a_tax_term_slot(make_context) -> None:
    """A plug-in term (here a stand-in for the tax engine's) enters the objective with tax_weight."""
    stand_in = TradingCost(LinearCost(half_spread_bps=50))
    stand_in_label = type("TaxStandIn", (TradingCost,), {"label": "tax"})(stand_in.model)
    policy = build_optimizer_policy({"tax_weight": 1.0}, tax_term=stand_in_label)
    assert "tax" in policy.decide(make_context(DRIFTED5, TARGET5)).details["terms"]


def test_registered_kind_builds_from_file_and_command_line(make_context) -> None:
    import trimtab.policies.optimizer  # noqa: F401  (registers the kind)
    from trimtab.domain.settings import PolicySpec
    from trimtab.policies.registry import build_policy, parse_policy_option, policy_kinds

    assert "optimizer" in policy_kinds()
    spec = PolicySpec("optimizer", {"tc_weight": 2, "max_turnover": "10%", "costs": {"half_spread_bps": 3}})
    policy = build_policy(spec, where=SourceRef("portfolio.yaml", 12))
    assert policy.describe() == "optimizer(tc_weight=2.0, max_turnover=0.1)"
    assert "TradingCost(LinearCost(half_spread_bps=3.0))" in repr(policy.objective)
    option = parse_policy_option("optimizer:2,do_not_sell=S0000+S0001,risk=dense")
    cli_policy = build_policy(option)
    decision = cli_policy.decide(make_context(DRIFTED5, TARGET5))
    assert decision.target_weights["S0000"] >= DRIFTED5[0] - 1e-9
    with pytest.raises(ConfigError, match=r"portfolio.yaml:12 policy.tc_wieght"):
        build_policy(PolicySpec("optimizer", {"tc_wieght": 1}), where=SourceRef("portfolio.yaml", 12))
    with pytest.raises(ConfigError, match=r"policy.costs.spread"):
        build_policy(PolicySpec("optimizer", {"costs": {"spread": 1}}), where=SourceRef("portfolio.yaml", 3))
