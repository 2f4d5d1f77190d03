"""Hypothesis properties of every rule policy: valid weights, and hold means the current weights."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.policies import CostEstimate, DecisionContext, build_policy, parse_policy_option

SYMBOLS = ("A", "B", "C", "D", "E", "F")
OPTIONS = [
    "never",
    "calendar:monthly",
    "calendar:annual",
    "threshold:0.05",
    "threshold:0",
    "threshold:0.02,move=band_edge",
    "threshold:0.05,check=monthly,move=band_edge",
    "relative:0.25",
    "relative:0.1,move=band_edge",
    "five_25",
    "five_25:absolute=0.02,relative=0.1,move=band_edge",
    "cost_gated",
    "cost_gated:50",
    "cost_gated:20,trigger=threshold:0.01,move=band_edge",
]
POLICIES = [build_policy(parse_policy_option(option)) for option in OPTIONS]
_SESSIONS = nyse_sessions()
_INDEX = _SESSIONS[(_SESSIONS >= "2022-01-03") & (_SESSIONS <= "2022-12-30")]
MARKET = MarketData(pd.DataFrame(100.0, index=_INDEX, columns=list(SYMBOLS)))
DATES = ["2022-03-31", "2022-06-29", "2022-06-30", "2022-11-15", "2022-12-30"]


@st.composite
def contexts(draw: st.DrawFn, target_rounding: bool = False) -> DecisionContext:
    """Random weights, targets (optionally off by up to 1e-6, as target files may be), covariance and cost."""
    n = draw(st.integers(1, len(SYMBOLS)))
    unit = st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False)
    raw_w = np.array(draw(st.lists(unit, min_size=n + 1, max_size=n + 1)))
    raw_t = np.array(draw(st.lists(unit, min_size=n + 1, max_size=n + 1)))
    if draw(st.booleans()):
        raw_t[-1] = 0.0  # no cash target
    if raw_w.sum() == 0.0:
        raw_w[0] = 1.0
    if raw_t[:-1].sum() == 0.0:
        raw_t[0] = 1.0
    w = raw_w / raw_w.sum()
    t = raw_t / raw_t.sum()
    if target_rounding:
        t = t * (1.0 + draw(st.floats(-1e-6, 1e-6)))
    vols = np.array(draw(st.lists(st.floats(0.0, 0.6), min_size=n, max_size=n)))
    corr = draw(st.floats(-0.2, 0.9))
    cov = np.outer(vols, vols) * (corr + (1.0 - corr) * np.eye(n))
    cost = CostEstimate(draw(st.floats(0.0, 5_000.0)), draw(st.floats(0.0, 50_000.0)))
    as_of = draw(st.sampled_from(DATES))
    return DecisionContext(
        as_of=pd.Timestamp(as_of),
        symbols=SYMBOLS[:n],
        weights=w[:-1],
        cash_weight=float(w[-1]),
        target=t[:-1],
        target_cash=float(t[-1]),
        value=draw(st.floats(1_000.0, 1e8)),
        snapshot=MARKET.snapshot(as_of),
        covariance=lambda: cov,
        cost_of=lambda _weights: cost,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ctx=contexts(target_rounding=True), which=st.integers(0, len(POLICIES) - 1))
def test_weights_are_valid_and_hold_keeps_the_current_weights(ctx: DecisionContext, which: int) -> None:
    decision = POLICIES[which].decide(ctx)
    weights = dict(decision.target_weights)
    assert set(weights) == {*ctx.symbols, "CASH"}
    assert all(v >= 0.0 for v in weights.values()), weights
    assert abs(math.fsum(weights.values()) - 1.0) <= 1e-9
    if decision.action == "hold":
        assert weights == ctx.as_weights(ctx.weights, ctx.cash_weight)
    else:
        assert decision.action in ("rebalance", "partial")
    assert decision.reasons and all(isinstance(r, str) and r for r in decision.reasons)
    assert decision.policy == POLICIES[which].describe()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ctx=contexts(), band=st.sampled_from([0.0, 0.01, 0.05]))
def test_band_edge_leaves_no_asset_outside_its_band(ctx: DecisionContext, band: float) -> None:
    """After a band-edge move every asset is inside its band (up to 1e-12), and in-band assets below
    target are untouched."""
    policy = build_policy(parse_policy_option(f"threshold:{band},move=band_edge"))
    decision = policy.decide(ctx)
    after = np.array([decision.target_weights[s] for s in ctx.symbols])
    assert np.all(np.abs(after - ctx.target) <= band + 1e-12)
    inside_below = (np.abs(ctx.drift) <= band) & (ctx.drift <= 0)
    assert np.array_equal(after[inside_below], ctx.weights[inside_below])
