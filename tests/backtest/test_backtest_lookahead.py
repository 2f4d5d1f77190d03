"""No look-ahead (KAT-12d, DESIGN 3.2): perturbing or shuffling data after ``t`` changes nothing up to ``t``.

Runs for every registered policy kind (with its defaults, and rule kinds with a few parameter variants), on
both the exact and the fast path, in a taxable account with costs, so that decisions, trades, costs, taxes
and values up to ``t`` must all be unchanged. A policy that peeks at the future is caught (negative control).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from backtest_helpers import daily_market, scenario

from trimtab.backtest import PolicyRun, simulate
from trimtab.data.market import MarketData
from trimtab.domain.settings import PolicySpec
from trimtab.policies.base import Decision, DecisionContext
from trimtab.policies.registry import build_policy, policy_kinds

VARIANTS: list[PolicySpec] = [PolicySpec(kind) for kind in policy_kinds(buildable_from_defaults=True)] + [
    PolicySpec("calendar", {"every": "weekly"}),
    PolicySpec("threshold", {"band": 0.02, "move": "band_edge"}),
    PolicySpec("threshold", {"band": 0.01, "check": "monthly"}),
    PolicySpec("relative", {"band": 0.1}),
    PolicySpec("five_25", {"absolute": 0.02, "relative": 0.1}),
    PolicySpec("cost_gated", {"risk_aversion": 50, "trigger": {"kind": "threshold", "band": 0.01}}),
]
CUT = 70  # index of the last date whose decisions must not change


def _ids(spec: PolicySpec) -> str:
    return spec.kind + "".join(f",{k}={v}" for k, v in spec.params.items())


#: Kinds asked at every date whatever the path (no hold screen): shorter runs keep the suite fast.
_EVERY_DATE = {"cost_gated", "optimizer"}


def _market(seed: int = 7, end: str = "2018-05-31") -> MarketData:
    return daily_market(("AAA", "BBB", "CCC", "DDD"), start="2017-03-01", end=end, seed=seed, vol=0.02)


def _end(spec: PolicySpec) -> str:
    """2018-01-19 (77 dates, 6 after the cut) for kinds decided at every date, else 2018-05-31."""
    return "2018-01-19" if spec.kind in _EVERY_DATE and not spec.params else "2018-05-31"


def _perturbed(market: MarketData, cut_date: pd.Timestamp, how: str, seed: int = 1) -> MarketData:
    prices = market.prices.copy()
    after = prices.index > cut_date
    rng = np.random.default_rng(seed)
    if how == "scale":
        noise = np.exp(np.cumsum(rng.normal(0.0, 0.03, size=(int(after.sum()), prices.shape[1])), axis=0))
        prices.loc[after] = prices.loc[after].to_numpy() * noise
    else:  # shuffle the returns after the cut
        returns = prices.pct_change().to_numpy()
        rows = np.flatnonzero(after)
        shuffled = returns[rng.permutation(rows)]
        level = prices.to_numpy().copy()
        for i, row in enumerate(rows):
            level[row] = level[row - 1] * (1.0 + shuffled[i])
        prices = pd.DataFrame(level, index=prices.index, columns=prices.columns)
    return MarketData(prices, source=f"{market.source} ({how} after {cut_date:%Y-%m-%d})")


def _run(policy_spec: PolicySpec, market: MarketData, exact: bool) -> PolicyRun:
    sc = scenario(
        market,
        start=pd.Timestamp("2017-10-02"),
        spread_bps=5.0,
        st=0.37,
        lt=0.2,
        value=1_000_000.0,
        risk_lookback=120,
    )
    return simulate(build_policy(policy_spec), sc, exact=exact)


def _assert_same_until(a: PolicyRun, b: PolicyRun, cut: int) -> None:
    assert a.actions[: cut + 1] == b.actions[: cut + 1]
    assert np.array_equal(a.decided[: cut + 1], b.decided[: cut + 1])
    np.testing.assert_array_equal(a.value[: cut + 1], b.value[: cut + 1])
    np.testing.assert_array_equal(a.weights[: cut + 1], b.weights[: cut + 1])
    np.testing.assert_array_equal(a.costs[: cut + 1], b.costs[: cut + 1])
    np.testing.assert_array_equal(a.taxes[: cut + 1], b.taxes[: cut + 1])
    cut_date = a.dates[cut].date()
    assert [t for t in a.trades if t.on <= cut_date] == [t for t in b.trades if t.on <= cut_date]
    assert [(d.k, dict(d.target_weights)) for d in a.decisions if d.k <= cut] == [
        (d.k, dict(d.target_weights)) for d in b.decisions if d.k <= cut
    ]


@pytest.mark.parametrize("spec", VARIANTS, ids=_ids)
@pytest.mark.parametrize("how", ["scale", "shuffle"])
def test_no_lookahead_for_every_policy_kind(spec: PolicySpec, how: str) -> None:
    """Decisions, trades, costs, taxes and values up to the cut are identical on perturbed futures."""
    market = _market(end=_end(spec))
    base = _run(spec, market, exact=False)
    cut_date = base.dates[CUT]
    other = _run(spec, _perturbed(market, cut_date, how), exact=False)
    _assert_same_until(base, other, CUT)
    assert not np.array_equal(base.value[CUT + 1 :], other.value[CUT + 1 :])  # the future did change


@pytest.mark.parametrize(
    "spec",
    [PolicySpec(kind) for kind in policy_kinds(buildable_from_defaults=True) if kind not in _EVERY_DATE],
    ids=_ids,
)
def test_no_lookahead_on_the_exact_path(spec: PolicySpec) -> None:
    """The same on the exact path (the policy is asked at every date; the kinds without a hold screen are
    asked at every date on the fast path already)."""
    market = _market(seed=9)
    base = _run(spec, market, exact=True)
    other = _run(spec, _perturbed(market, base.dates[CUT], "scale"), exact=True)
    _assert_same_until(base, other, CUT)


class _Peeking:
    """A cheating policy that holds the asset priced highest 10 days ahead, read from data it should not
    have (negative control)."""

    def __init__(self, market: MarketData) -> None:
        self.market = market

    def describe(self) -> str:
        return "peeking()"

    def decide(self, ctx: DecisionContext) -> Decision:
        prices = self.market.prices
        i = min(int(prices.index.searchsorted(ctx.as_of, "right")) + 9, len(prices) - 1)
        best = int(np.argmax(prices.iloc[i].to_numpy()))
        weights = {s: (1.0 if j == best else 0.0) for j, s in enumerate(ctx.symbols)}
        weights["CASH"] = 0.0
        return Decision("rebalance", weights, ("peek",), self.describe())


def test_the_perturbation_test_catches_a_peeking_policy() -> None:
    """Negative control: a policy that looks ahead changes decisions before the cut, and the check fails."""
    market = _market()
    base = simulate(_Peeking(market), scenario(market, start=pd.Timestamp("2017-10-02"), value=1e6))
    perturbed = _perturbed(market, base.dates[CUT], "scale", seed=3)
    other = simulate(_Peeking(perturbed), scenario(perturbed, start=pd.Timestamp("2017-10-02"), value=1e6))
    with pytest.raises(AssertionError):
        _assert_same_until(base, other, CUT)


def test_snapshots_given_to_policies_end_at_the_decision_date() -> None:
    """Every context a policy receives holds only rows stamped on or before its date."""
    seen: list[tuple[pd.Timestamp, pd.Timestamp]] = []

    class Recorder:
        def describe(self) -> str:
            return "recorder()"

        def decide(self, ctx: DecisionContext) -> Decision:
            seen.append((ctx.as_of, ctx.snapshot.times[-1]))
            return Decision("hold", ctx.as_weights(np.array(ctx.weights)), ("hold",), "recorder()")

    market = _market()
    simulate(Recorder(), scenario(market, start=pd.Timestamp("2017-10-02"), value=float(Decimal(10_000))))
    assert seen and all(last == as_of for as_of, last in seen)
