"""Properties (Hypothesis, 200 examples): smart decisions and agent actions keep the budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.policies.base import CostEstimate, DecisionContext
from trimtab.policies.smart import smart
from trimtab.rl.features import DISCRETE_FRACTIONS, ObservationSpec, action_decision

SYMBOLS = ("A", "B", "C", "D")
_SESSIONS = nyse_sessions()
_INDEX = _SESSIONS[_SESSIONS >= pd.Timestamp("2019-01-02")][:320]
_RNG = np.random.default_rng(11)
MARKET = MarketData(
    pd.DataFrame(
        100 * np.exp(np.cumsum(_RNG.normal([0.002, -0.002, 0.0, 0.001], 0.01, (320, 4)), axis=0)),
        index=_INDEX,
        columns=list(SYMBOLS),
    ),
    source="props",
)


def _simplex(draw: st.DrawFn, n: int) -> np.ndarray:
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n + 1, max_size=n + 1))) + 1e-3
    return raw[:n] / raw.sum()


@st.composite
def contexts(draw: st.DrawFn) -> DecisionContext:
    w = _simplex(draw, 4)
    target = _simplex(draw, 4)
    row = draw(st.integers(260, 319))
    tax = draw(st.floats(0.0, 5e4))
    as_of = MARKET.dates[row]
    return DecisionContext(
        as_of=as_of,
        symbols=SYMBOLS,
        weights=w,
        cash_weight=1 - float(w.sum()),
        target=target,
        target_cash=1 - float(target.sum()),
        value=1e6,
        snapshot=MARKET.snapshot(as_of),
        covariance=lambda: np.eye(4) * 0.04,
        cost_of=lambda _w: CostEstimate(10.0, tax),
    )


def _valid(weights: dict[str, float]) -> None:
    values = np.array(list(weights.values()))
    assert np.all(values >= -1e-12)
    assert abs(values.sum() - 1.0) <= 1e-9


@settings(max_examples=200, deadline=None)
@given(ctx=contexts(), delay=st.booleans(), gate=st.booleans())
def test_smart_decisions_are_valid_weights_and_hold_means_no_change(
    ctx: DecisionContext, delay: bool, gate: bool
) -> None:
    policy = smart(crisis_drift=None, use_trend_delay=delay, cost_gate=(3.0, 1.0) if gate else None)
    decision = policy.decide(ctx)
    _valid(dict(decision.target_weights))
    assert decision.reasons and all(isinstance(r, str) and r for r in decision.reasons)
    if decision.action == "hold":
        assert [decision.target_weights[s] for s in SYMBOLS] == list(ctx.weights)


@settings(max_examples=200, deadline=None)
@given(ctx=contexts(), index=st.integers(0, 2), fraction=st.floats(0.0, 1.0))
def test_agent_actions_move_the_asked_fraction_and_keep_the_budget(
    ctx: DecisionContext, index: int, fraction: float
) -> None:
    for f in (DISCRETE_FRACTIONS[index], fraction):
        decision = action_decision(ctx, f, policy="p", label="x")
        _valid(dict(decision.target_weights))
        moved = np.array([decision.target_weights[s] for s in SYMBOLS]) - ctx.weights
        if decision.action != "hold":
            np.testing.assert_allclose(moved, f * (ctx.target - ctx.weights), atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(ctx=contexts())
def test_observations_are_finite_and_inside_the_box(ctx: DecisionContext) -> None:
    for mode in ("assets", "summary"):
        spec = ObservationSpec(mode=mode, regime=None)
        obs = spec.observe(ctx)
        assert obs.shape == (spec.size(4),) and obs.dtype == np.float32
        assert np.all(np.isfinite(obs)) and np.all(np.abs(obs) <= 10.0)
