"""Rule policies: known answers (5 % band, 5/25, band edge, calendar, cost gate, KAT-12d), then no-lookahead
and determinism for every kind."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from trimtab.data.market import MarketData
from trimtab.data.samples import us_stocks
from trimtab.errors import ConfigError, DataError
from trimtab.policies import (
    Calendar,
    CostGated,
    DecisionContext,
    DriftExceeds,
    EveryCheck,
    Never,
    RuleRebalance,
    ToBandEdge,
    ToTarget,
    build_policy,
    calendar,
    cost_gated,
    five_25,
    never,
    parse_policy_option,
    relative,
    threshold,
    tracking_error,
)
from trimtab.policies.base import CostEstimate

TARGET_3 = {"AAPL": 0.30, "JNJ": 0.40, "KO": 0.30}


def _sum(weights: dict[str, float]) -> float:
    return math.fsum(weights.values())


# ---------------------------------------------------------------------------------------------------------
# threshold: a 5 % band (DESIGN 3.11 "a 5 % band")
def test_five_percent_band_rebalances_on_known_drift(make_context) -> None:
    ctx = make_context({"AAPL": 0.28, "JNJ": 0.461, "KO": 0.259}, TARGET_3)
    decision = threshold(band=0.05).decide(ctx)
    assert decision.action == "rebalance"
    assert decision.policy == "threshold(band=0.05)"
    assert decision.reasons[0] == "JNJ is 6.1 pp over target, outside the 5 pp band"
    assert len([r for r in decision.reasons if "outside" in r]) == 1  # KO is 4.1 pp under: inside
    assert decision.target_weights == pytest.approx({"AAPL": 0.30, "JNJ": 0.40, "KO": 0.30, "CASH": 0.0})
    assert decision.details["trigger"]["outside"] == ["JNJ"]
    assert decision.details["turnover"] == pytest.approx(0.061)


def test_five_percent_band_holds_inside_the_band(make_context) -> None:
    ctx = make_context({"AAPL": 0.28, "JNJ": 0.449, "KO": 0.271}, TARGET_3)
    decision = threshold(band=0.05).decide(ctx)
    assert decision.action == "hold"
    assert decision.reasons == (
        "all 3 assets are within their bands; the largest drift is JNJ, 4.9 pp over "
        "target, inside the 5 pp band",
    )
    assert dict(decision.target_weights) == ctx.as_weights(ctx.weights, ctx.cash_weight)


def test_drift_exactly_at_the_edge_is_inside(make_context) -> None:
    ctx = make_context({"AAPL": 0.25, "JNJ": 0.45, "KO": 0.30}, TARGET_3)
    assert threshold(band=0.05).decide(ctx).action == "hold"


def test_per_symbol_bands_override_the_default(make_context) -> None:
    ctx = make_context({"AAPL": 0.335, "JNJ": 0.40, "KO": 0.265}, TARGET_3)
    assert threshold(band=0.05).decide(ctx).action == "hold"
    decision = threshold(band=0.05, bands={"AAPL": 0.03}).decide(ctx)
    assert decision.action == "rebalance"
    assert decision.reasons[0] == "AAPL is 3.5 pp over target, outside the 3 pp band"
    assert decision.policy == "threshold(band=0.05, bands={AAPL: 0.03})"


def test_band_for_an_unknown_symbol_names_it(make_context) -> None:
    ctx = make_context({"AAPL": 0.30, "JNJ": 0.40, "KO": 0.30}, TARGET_3)
    with pytest.raises(ConfigError, match=r"policy\.bands: band for a symbol .* got 'XOM'.*AAPL, JNJ, KO"):
        threshold(band=0.05, bands={"XOM": 0.02}).decide(ctx)


def test_threshold_checked_only_on_the_calendar(make_context) -> None:
    weights = {"AAPL": 0.28, "JNJ": 0.461, "KO": 0.259}
    policy = threshold(band=0.05, check="quarterly")
    assert policy.describe() == "threshold(band=0.05, check=quarterly)"
    off = policy.decide(make_context(weights, TARGET_3, as_of="2022-12-29"))
    assert off.action == "hold"
    assert off.reasons == (
        "2022-12-29 is not the last trading day of its quarter (that is 2022-12-30); "
        "rebalancing waits for the period end",
    )
    on = policy.decide(make_context(weights, TARGET_3, as_of="2022-12-30"))
    assert on.action == "rebalance"
    assert on.reasons[:2] == (
        "2022-12-30 is the last trading day of its quarter",
        "JNJ is 6.1 pp over target, outside the 5 pp band",
    )


# ---------------------------------------------------------------------------------------------------------
# relative bands and 5/25
def test_relative_band(make_context) -> None:
    target = {"A": 0.10, "B": 0.90}
    hold = relative(band=0.25).decide(make_context({"A": 0.124, "B": 0.876}, target))
    act = relative(band=0.25).decide(make_context({"A": 0.126, "B": 0.874}, target))
    assert hold.action == "hold" and act.action == "rebalance"
    assert (
        act.reasons[0]
        == "A is 2.6 pp over target, outside the 25 % relative band (2.5 pp of its 10 % target)"
    )


@pytest.mark.parametrize(("drift", "fires"), [(0.024, False), (0.026, True), (-0.024, False), (-0.026, True)])
def test_five_25_uses_25_percent_when_smaller(make_context, drift: float, fires: bool) -> None:
    """Target 0.10: 25 % of it is 2.5 pp, smaller than 5 pp, so the rule acts beyond 2.5 pp."""
    target = {"A": 0.10, "B": 0.40, "C": 0.50}
    ctx = make_context({"A": 0.10 + drift, "B": 0.40, "C": 0.50 - drift}, target)
    decision = five_25().decide(ctx)
    assert decision.trades is fires
    assert decision.details["trigger"]["bands"]["A"] == pytest.approx(0.025)
    if fires:
        side = "over" if drift > 0 else "under"
        assert decision.reasons[0] == (
            f"A is 2.6 pp {side} target, outside its 2.5 pp band (the smaller of "
            "5 pp and 25 % of its 10 % target)"
        )


@pytest.mark.parametrize(("drift", "fires"), [(0.049, False), (0.051, True), (-0.051, True)])
def test_five_25_uses_5_pp_when_smaller(make_context, drift: float, fires: bool) -> None:
    """Target 0.40: 25 % of it is 10 pp, so the 5 pp absolute band is the smaller and decides."""
    target = {"A": 0.40, "B": 0.30, "C": 0.30}
    ctx = make_context({"A": 0.40 + drift, "B": 0.30 - drift / 2, "C": 0.30 - drift / 2}, target)
    decision = five_25().decide(ctx)
    assert decision.trades is fires
    assert decision.details["trigger"]["bands"]["A"] == pytest.approx(0.05)


def test_five_25_parameters(make_context) -> None:
    policy = five_25(absolute=0.03, relative=0.5)
    assert policy.describe() == "five_25(absolute=0.03, relative=0.5)"
    ctx = make_context({"A": 0.435, "B": 0.565}, {"A": 0.40, "B": 0.60})
    assert policy.decide(ctx).action == "rebalance"
    assert five_25().decide(ctx).action == "hold"


# ---------------------------------------------------------------------------------------------------------
# band edge (partial)
def test_band_edge_moves_exactly_to_the_edge_and_keeps_the_budget(make_context) -> None:
    target = {"A": 0.30, "B": 0.30, "C": 0.20, "D": 0.20}
    ctx = make_context({"A": 0.38, "B": 0.27, "C": 0.13, "D": 0.21}, target)  # cash 0.01
    decision = threshold(band=0.05, move="band_edge").decide(ctx)
    w = decision.target_weights
    assert decision.action == "partial"
    assert decision.policy == "threshold(band=0.05, move=band_edge)"
    assert w["A"] == pytest.approx(0.35, abs=1e-15)  # upper edge
    assert w["C"] == pytest.approx(0.15, abs=1e-15)  # lower edge
    assert w["B"] == 0.27 and w["D"] == 0.21  # inside their bands: untouched
    assert w["CASH"] == pytest.approx(0.01 + 0.03 - 0.02, abs=1e-15)  # sale 3 pp in, buy 2 pp out
    assert _sum(dict(w)) == pytest.approx(1.0, abs=1e-12)
    assert decision.reasons[2:4] == (
        "sell A from 38.0 % to 35.0 % of value, the upper edge of its 5 pp band",
        "buy C from 13.0 % to 15.0 % of value, the lower edge of its 5 pp band",
    )


def test_band_edge_funds_a_shortfall_from_assets_above_target(make_context) -> None:
    """A and B 6 pp over, C 12 pp under, no cash: the edges would need 105 % of value. The missing 5 pp is
    sold from A and B (already selling), pro rata to their weight above target."""
    target = {"A": 0.30, "B": 0.30, "C": 0.40}
    ctx = make_context({"A": 0.36, "B": 0.36, "C": 0.28}, target, cash=0.0)
    decision = threshold(band=0.05, move="band_edge").decide(ctx)
    w = decision.target_weights
    assert w["C"] == pytest.approx(0.35, abs=1e-15)
    assert w["A"] == pytest.approx(0.325, abs=1e-15) and w["B"] == pytest.approx(0.325, abs=1e-15)
    assert w["CASH"] == pytest.approx(0.0, abs=1e-15) and w["CASH"] >= 0.0
    assert _sum(dict(w)) == pytest.approx(1.0, abs=1e-12)
    assert decision.reasons[3:7] == (
        "buy C from 28.0 % to 35.0 % of value, the lower edge of its 5 pp band",
        "sell A from 36.0 % to 32.5 % of value, past the upper edge (35.0 %) of its 5 pp band, "
        "to pay for the buys",
        "sell B from 36.0 % to 32.5 % of value, past the upper edge (35.0 %) of its 5 pp band, "
        "to pay for the buys",
        "cash and sales cannot pay for the buys: 5.0 pp more is sold from A and B, pro rata to their weight "
        "above target",
    )


def test_band_edge_second_tier_sells_in_band_assets_above_target(make_context) -> None:
    """Only C is outside (5 pp under a 3.5 pp band); no cash and no sales: A (+2 pp) and B (+3 pp), inside
    their bands, pay for the 1.5 pp buy pro rata to their weight above target (0.6 and 0.9 pp)."""
    target = {"A": 0.30, "B": 0.30, "C": 0.40}
    ctx = make_context({"A": 0.32, "B": 0.33, "C": 0.35}, target, cash=0.0)
    decision = threshold(band=0.035, move="band_edge").decide(ctx)
    w = decision.target_weights
    assert w["C"] == pytest.approx(0.365, abs=1e-15)
    assert w["A"] == pytest.approx(0.314, abs=1e-15)
    assert w["B"] == pytest.approx(0.321, abs=1e-15)
    assert w["CASH"] >= 0.0 and _sum(dict(w)) == pytest.approx(1.0, abs=1e-12)
    assert decision.details["move"]["funded_from"] == pytest.approx({"A": 0.006, "B": 0.009})
    assert (
        "cash and sales cannot pay for the buys: 1.5 pp more is sold from B and A, pro rata to their "
        "weight above target"
    ) in decision.reasons


def test_band_edge_holds_when_a_calendar_fires_but_no_band_is_crossed(make_context) -> None:
    policy = RuleRebalance(when=Calendar("quarterly") | DriftExceeds(absolute=0.05), move=ToBandEdge())
    ctx = make_context({"AAPL": 0.31, "JNJ": 0.39, "KO": 0.30}, TARGET_3, as_of="2022-12-30")
    decision = policy.decide(ctx)
    assert decision.action == "hold"
    assert decision.reasons[-1] == "every asset is within its band: nothing to move to a band edge"


def test_band_edge_needs_exactly_one_band() -> None:
    with pytest.raises(ConfigError, match="exactly one drift band"):
        RuleRebalance(when=Calendar("monthly"), move=ToBandEdge())
    with pytest.raises(ConfigError, match="exactly one drift band"):
        RuleRebalance(when=DriftExceeds(absolute=0.05) | DriftExceeds(relative=0.2), move=ToBandEdge())


# ---------------------------------------------------------------------------------------------------------
# calendar and never
def test_calendar_rebalances_on_the_last_trading_day(make_context) -> None:
    weights = {"AAPL": 0.31, "JNJ": 0.39, "KO": 0.30}
    policy = calendar(every="annual")
    assert policy.describe() == "calendar(every=annual)"
    on = policy.decide(make_context(weights, TARGET_3, as_of="2022-12-30"))
    off = policy.decide(make_context(weights, TARGET_3, as_of="2022-12-29"))
    assert on.action == "rebalance" and off.action == "hold"
    assert on.reasons == (
        "2022-12-30 is the last trading day of its year",
        "rebalance every asset to its target (one-way turnover 1.0 % of value)",
    )
    assert on.target_weights == pytest.approx({**TARGET_3, "CASH": 0.0})


def test_calendar_on_target_holds(make_context) -> None:
    decision = calendar("annual").decide(make_context(TARGET_3, TARGET_3, as_of="2022-12-30"))
    assert decision.action == "hold"
    assert decision.reasons[-1] == "already on target: nothing to trade"


def test_calendar_on_monthly_data(make_context) -> None:
    index = pd.date_range("1990-01-31", "1999-12-31", freq="ME")
    prices = pd.DataFrame(
        {"A": np.linspace(10, 20, len(index)), "B": np.linspace(10, 15, len(index))}, index=index
    )
    market = MarketData(prices)
    assert market.periods_per_year == 12
    policy = calendar("quarterly")
    weights, target = {"A": 0.65, "B": 0.35}, {"A": 0.6, "B": 0.4}
    assert (
        policy.decide(make_context(weights, target, as_of="1994-09-30", market=market)).action == "rebalance"
    )
    assert policy.decide(make_context(weights, target, as_of="1994-10-31", market=market)).action == "hold"
    # 1999-07-31 is a Saturday; with monthly data it still ends July
    assert calendar("monthly").decide(make_context(weights, target, as_of="1999-07-31", market=market)).trades


def test_never_holds_and_says_why(make_context) -> None:
    ctx = make_context({"AAPL": 0.28, "JNJ": 0.461, "KO": 0.259}, TARGET_3)
    decision = never().decide(ctx)
    assert decision.action == "hold" and decision.policy == "never"
    assert decision.reasons == (
        "buy and hold: this policy never rebalances",
        "the largest drift is JNJ, 6.1 pp over target, left as it is",
    )
    assert dict(decision.target_weights) == ctx.as_weights(ctx.weights, ctx.cash_weight)


# ---------------------------------------------------------------------------------------------------------
# cost gate: benefit = gamma/2 * (TE_before^2 - TE_after^2) * value * horizon
COV_2 = np.diag([0.04, 0.01])  # 20 % and 10 % volatility, uncorrelated


def test_cost_gate_holds_when_cost_exceeds_benefit(make_context) -> None:
    """Drift (+5, -5) pp: TE^2 = 0.04*0.0025 + 0.01*0.0025 = 0.000125; gamma 2, $1m, 1 year -> $125."""
    ctx = make_context(
        {"A": 0.65, "B": 0.35},
        {"A": 0.60, "B": 0.40},
        covariance=COV_2,
        cost=CostEstimate(trading_cost=30.0, tax=500.0),
    )
    decision = cost_gated(risk_aversion=2.0).decide(ctx)
    assert decision.action == "hold"
    assert decision.policy == "cost_gated(risk_aversion=2, horizon_years=1)"
    assert decision.reasons[-1] == "benefit $125 < cost $530 (trading $30, tax $500): hold"
    assert decision.reasons[-2] == (
        "rebalancing to target would cut tracking error from 1.12 % to 0.00 %; at "
        "risk aversion 2 over 1 year on $1,000,000 that is worth $125"
    )
    gate = decision.details["move"]["cost_gate"]
    assert gate["benefit"] == pytest.approx(125.0)
    assert gate["tracking_error_before"] == pytest.approx(math.sqrt(0.000125))
    assert gate["cost"] == 530.0 and gate["passed"] is False
    assert dict(decision.target_weights) == ctx.as_weights(ctx.weights, ctx.cash_weight)


def test_cost_gate_acts_when_benefit_exceeds_cost(make_context) -> None:
    ctx = make_context(
        {"A": 0.65, "B": 0.35},
        {"A": 0.60, "B": 0.40},
        covariance=COV_2,
        cost=CostEstimate(trading_cost=30.0, tax=70.0),
    )
    decision = cost_gated(risk_aversion=2.0).decide(ctx)
    assert decision.action == "rebalance"
    assert decision.reasons[-1] == "benefit $125 > cost $100 (trading $30, tax $70): rebalance"
    assert decision.target_weights == pytest.approx({"A": 0.60, "B": 0.40, "CASH": 0.0})


def test_cost_gate_scales_with_risk_aversion_horizon_and_value(make_context) -> None:
    ctx = make_context(
        {"A": 0.65, "B": 0.35},
        {"A": 0.60, "B": 0.40},
        covariance=COV_2,
        value=250_000.0,
        cost=CostEstimate(trading_cost=30.0, tax=500.0),
    )
    decision = cost_gated(risk_aversion=8.0, horizon_years=3.0).decide(ctx)
    benefit = 8.0 / 2 * 0.000125 * 250_000 * 3.0  # $375
    assert decision.details["move"]["cost_gate"]["benefit"] == pytest.approx(benefit)
    assert decision.reasons[-1] == "benefit $375 < cost $530 (trading $30, tax $500): hold"
    equal = make_context(
        {"A": 0.65, "B": 0.35},
        {"A": 0.60, "B": 0.40},
        covariance=COV_2,
        value=250_000.0,
        cost=CostEstimate(trading_cost=75.0, tax=300.0),
    )
    assert (
        cost_gated(risk_aversion=8.0, horizon_years=3.0).decide(equal).reasons[-1]
        == "benefit $375 = cost $375 (trading $75, tax $300): hold"
    )


def test_cost_gate_on_a_band_edge_trigger(make_context) -> None:
    """Band edge from +7 pp to +5 pp: TE^2 falls from 0.04*0.0049 + 0.01*0.0049 to ... with B bought back."""
    ctx = make_context(
        {"A": 0.67, "B": 0.33},
        {"A": 0.60, "B": 0.40},
        covariance=COV_2,
        cash=0.0,
        cost=CostEstimate(trading_cost=1.0, tax=0.0),
    )
    policy = cost_gated(risk_aversion=2.0, trigger=threshold(band=0.05, move="band_edge"))
    assert policy.describe() == (
        "cost_gated(risk_aversion=2, horizon_years=1, trigger=threshold(band=0.05, move=band_edge))"
    )
    decision = policy.decide(ctx)
    assert decision.action == "partial"
    # A to 0.65 and B to its edge 0.35: drift (5, -5) pp after, (7, -7) before
    expected = 2.0 / 2 * (0.05 * 0.0049 - 0.05 * 0.0025) * 1_000_000
    assert decision.details["move"]["cost_gate"]["benefit"] == pytest.approx(expected)
    assert decision.reasons[-1] == "benefit $120 > cost $1.00 (trading $1.00, tax $0.00): partial rebalance"


def test_cost_gate_needs_covariance_and_costs(make_context) -> None:
    ctx = make_context({"A": 0.65, "B": 0.35}, {"A": 0.60, "B": 0.40})
    bare = DecisionContext(
        as_of=ctx.as_of,
        symbols=ctx.symbols,
        weights=ctx.weights,
        cash_weight=ctx.cash_weight,
        target=ctx.target,
        target_cash=ctx.target_cash,
        value=ctx.value,
        snapshot=ctx.snapshot,
    )
    with pytest.raises(DataError, match="needs cost estimates"):
        cost_gated().decide(bare)
    no_cov = DecisionContext(
        as_of=ctx.as_of,
        symbols=ctx.symbols,
        weights=ctx.weights,
        cash_weight=0.0,
        target=ctx.target,
        target_cash=0.0,
        value=ctx.value,
        snapshot=ctx.snapshot,
        cost_of=lambda w: CostEstimate(0.0, 0.0),
    )
    with pytest.raises(DataError, match="needs a covariance"):
        cost_gated().decide(no_cov)


def test_tracking_error_matches_the_quadratic_form() -> None:
    assert tracking_error(np.array([0.05, -0.05]), COV_2) == pytest.approx(math.sqrt(0.000125))


# ---------------------------------------------------------------------------------------------------------
# KAT-12d: a drift trigger with a 0 % threshold checked every period trades at every check where drift
# is non-zero
def _simulate(policy, market: MarketData, target: dict[str, float], make_context, checks) -> tuple[int, int]:
    prices = market.prices
    symbols = tuple(target)
    shares = (
        np.array([target[s] for s in symbols]) * 1_000_000.0 / prices.loc[checks[0], list(symbols)].to_numpy()
    )
    events = nonzero = 0
    for t in checks:
        holding = shares * prices.loc[t, list(symbols)].to_numpy()
        value = float(holding.sum())
        ctx = make_context(
            dict(zip(symbols, holding / value, strict=True)),
            target,
            cash=0.0,
            as_of=f"{t:%Y-%m-%d}",
            value=value,
            market=market,
        )
        nonzero += bool(np.any(np.abs(ctx.drift) > 1e-12))
        decision = policy.decide(ctx)
        if decision.trades:
            events += 1
            shares = (
                np.array([decision.target_weights[s] for s in symbols])
                * value
                / prices.loc[t, list(symbols)].to_numpy()
            )
    return events, nonzero


def test_kat_12d_zero_threshold_trades_at_every_check_with_drift(make_context) -> None:
    market = MarketData(us_stocks().loc["2021-01-04":"2021-12-31", ["AAPL", "JNJ", "KO"]])
    target = {"AAPL": 0.3, "JNJ": 0.4, "KO": 0.3}
    checks = market.dates
    events, nonzero = _simulate(threshold(band=0.0), market, target, make_context, checks)
    assert events == nonzero == len(checks) - 1  # the first check starts on target
    # the same trigger checked monthly: one event per month end with drift
    month_ends = [
        t
        for t in checks
        if Calendar("monthly")
        .evaluate(make_context(target, target, as_of=f"{t:%Y-%m-%d}", market=market))
        .fired
    ]
    events_m, nonzero_m = _simulate(
        threshold(band=0.0, check="monthly"), market, target, make_context, [checks[0], *month_ends]
    )
    assert events_m == nonzero_m == len(month_ends) == 12


# ---------------------------------------------------------------------------------------------------------
# composition
def test_triggers_compose_and_print_as_code() -> None:
    trigger = Calendar("quarterly") | DriftExceeds(absolute=0.05, relative=0.25)
    assert trigger.describe() == "Calendar(every='quarterly') | DriftExceeds(absolute=0.05, relative=0.25)"
    both = Calendar("monthly") & DriftExceeds(absolute=0.05) & ~Calendar("annual")
    assert both.describe() == (
        "Calendar(every='monthly') & DriftExceeds(absolute=0.05) & ~Calendar(every='annual')"
    )
    policy = RuleRebalance(when=trigger, move=CostGated(move=ToBandEdge(), risk_aversion=4))
    assert policy.describe() == (
        "RuleRebalance(when=Calendar(every='quarterly') | DriftExceeds(absolute=0.05, "
        "relative=0.25), move=CostGated(move=ToBandEdge(band=DriftExceeds("
        "absolute=0.05, relative=0.25)), risk_aversion=4, horizon_years=1))"
    )
    with pytest.raises(TypeError):
        _ = Calendar("monthly") | 3  # type: ignore[operator]


def test_combinators_decide(make_context) -> None:
    drifted = make_context({"AAPL": 0.28, "JNJ": 0.461, "KO": 0.259}, TARGET_3, as_of="2022-12-29")
    either = RuleRebalance(when=Calendar("annual") | DriftExceeds(absolute=0.05))
    both = RuleRebalance(when=Calendar("annual") & DriftExceeds(absolute=0.05))
    not_year_end = RuleRebalance(when=~Calendar("annual") & DriftExceeds(absolute=0.05))
    assert either.decide(drifted).action == "rebalance"
    assert both.decide(drifted).action == "hold"
    assert not_year_end.decide(drifted).action == "rebalance"
    assert RuleRebalance(when=EveryCheck()).decide(drifted).action == "rebalance"
    assert RuleRebalance(when=Never()).decide(drifted).action == "hold"


# ---------------------------------------------------------------------------------------------------------
# no lookahead and determinism, for every policy kind
KIND_OPTIONS = [
    "never",
    "calendar:monthly",
    "calendar:quarterly",
    "threshold:0.05",
    "threshold:0.02,move=band_edge",
    "threshold:0.02,check=monthly",
    "relative:0.25",
    "relative:0.1,move=band_edge",
    "five_25",
    "five_25:absolute=0.02,relative=0.1,move=band_edge",
    "cost_gated",
    "cost_gated:20",
    "cost_gated:20,trigger=threshold:0.02,move=band_edge",
]


def _context_on(market: MarketData, t: str) -> DecisionContext:
    """A context whose every input comes from the snapshot at t: shares bought on target on 2021-01-04,
    sample covariance, cost $100 per rebalance plus 10 bp of value traded."""
    snapshot = market.snapshot(t)
    symbols = snapshot.symbols
    start = np.array([snapshot.price(s, at="2021-01-04") for s in symbols])
    shares = 0.25 * 95_000.0 / start
    prices = np.array([snapshot.price(s) for s in symbols])
    cash = 5_000.0
    value = float(shares @ prices) + cash
    weights = shares * prices / value

    def covariance() -> np.ndarray:
        return snapshot.returns().cov().to_numpy() * snapshot.periods_per_year

    def cost_of(w: dict[str, float]) -> CostEstimate:
        turnover = sum(abs(w[s] - weights[i]) for i, s in enumerate(symbols))
        return CostEstimate(trading_cost=100.0 + 0.001 * turnover * value, tax=0.0)

    return DecisionContext(
        as_of=snapshot.as_of,
        symbols=symbols,
        weights=weights,
        cash_weight=cash / value,
        target=np.array([0.25, 0.25, 0.25, 0.25]),
        target_cash=0.0,
        value=value,
        snapshot=snapshot,
        covariance=covariance,
        cost_of=cost_of,
    )


CHECK_DATES = ["2021-06-30", "2021-07-15", "2021-12-31", "2022-03-31"]


@pytest.fixture(scope="module")
def real_prices() -> pd.DataFrame:
    return us_stocks().loc["2020-01-02":"2022-12-28", ["AAPL", "JNJ", "KO", "XOM"]]


def _after(prices: pd.DataFrame, t: str, seed: int) -> tuple[MarketData, MarketData]:
    """Two markets equal to ``prices`` up to t: one with later rows scrambled, one with them NaN."""
    later = prices.index > pd.Timestamp(t)
    scrambled, blanked = prices.copy(), prices.copy()
    rng = np.random.default_rng(seed)
    scrambled.loc[later] = scrambled.loc[later].to_numpy() * rng.lognormal(
        0.0, 0.2, size=(int(later.sum()), 4)
    )
    blanked.loc[later] = np.nan
    return MarketData(scrambled), MarketData(blanked)


@pytest.mark.parametrize("option", KIND_OPTIONS)
def test_no_lookahead(option: str, real_prices: pd.DataFrame) -> None:
    """Markets identical up to t and different after it give the same decision at t (also one whose rows
    after t are NaN, as DESIGN 3.2's check_policy does)."""
    policy = build_policy(parse_policy_option(option))
    real = MarketData(real_prices)
    for k, t in enumerate(CHECK_DATES):
        a = policy.decide(_context_on(real, t))
        for other in _after(real_prices, t, seed=k):
            b = policy.decide(_context_on(other, t))
            assert (a.action, dict(a.target_weights), a.reasons, a.details) == (
                b.action,
                dict(b.target_weights),
                b.reasons,
                b.details,
            )


def test_no_lookahead_cases_are_not_all_holds(real_prices: pd.DataFrame) -> None:
    real = MarketData(real_prices)
    actions = {
        build_policy(parse_policy_option(o)).decide(_context_on(real, t)).action
        for o in KIND_OPTIONS
        for t in CHECK_DATES
    }
    assert actions == {"hold", "rebalance", "partial"}


@pytest.mark.parametrize("option", KIND_OPTIONS)
def test_deterministic(option: str, real_prices: pd.DataFrame) -> None:
    real = MarketData(real_prices)
    for t in CHECK_DATES:
        first = build_policy(parse_policy_option(option)).decide(_context_on(real, t))
        second = build_policy(parse_policy_option(option)).decide(_context_on(real, t))
        assert first == second
        assert math.fsum(first.target_weights.values()) == pytest.approx(1.0, abs=1e-9)


def test_move_and_trigger_reprs() -> None:
    assert repr(ToTarget()) == "ToTarget()"
    assert repr(threshold(0.05)) == "threshold(band=0.05)"
    assert repr(Never()) == "Never()" and repr(EveryCheck()) == "EveryCheck()"
