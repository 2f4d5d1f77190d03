"""The fast path (exact hold screen, :mod:`trimtab.backtest.screen`) gives the same run as the exact path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtest_helpers import daily_market, scenario

from trimtab.backtest import PolicyRun, simulate
from trimtab.backtest.screen import hold_screen
from trimtab.domain.settings import PolicySpec
from trimtab.policies.registry import build_policy
from trimtab.policies.rules import RuleRebalance
from trimtab.policies.triggers import Calendar, Never, Trigger

RULES: list[PolicySpec] = [
    PolicySpec("never"),
    PolicySpec("calendar", {"every": "monthly"}),
    PolicySpec("calendar", {"every": "weekly"}),
    PolicySpec("threshold", {"band": 0.02}),
    PolicySpec("threshold", {"band": 0.015, "move": "band_edge"}),
    PolicySpec("threshold", {"band": 0.01, "check": "monthly"}),
    PolicySpec("threshold", {"band": 0.03, "bands": {"AAA": 0.01}}),
    PolicySpec("relative", {"band": 0.08}),
    PolicySpec("five_25", {"absolute": 0.02, "relative": 0.1}),
    PolicySpec("cost_gated", {"risk_aversion": 50, "trigger": {"kind": "threshold", "band": 0.01}}),
]


def _ids(spec: PolicySpec) -> str:
    return spec.kind + "".join(f",{k}={v}" for k, v in spec.params.items())


def _same(a: PolicyRun, b: PolicyRun) -> None:
    for name in (
        "value",
        "cash",
        "flows",
        "costs",
        "taxes",
        "traded",
        "turnover",
        "weights",
        "weights_before",
        "cash_weight",
        "trade_counts",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.trades == b.trades
    assert dict(a.tax_by_year) == dict(b.tax_by_year)
    assert a.after_tax_value == b.after_tax_value
    assert [(d.k, dict(d.target_weights)) for d in a.decisions] == [
        (d.k, dict(d.target_weights)) for d in b.decisions
    ]


@pytest.mark.parametrize("spec", RULES, ids=_ids)
def test_fast_path_equals_exact_path(spec: PolicySpec) -> None:
    """Identical values, weights, trades, costs and taxes, with costs, taxes and a monthly contribution."""
    from decimal import Decimal

    from trimtab.backtest import CashFlow

    market = daily_market(start="2017-06-01", end="2018-03-30", seed=13, vol=0.02)
    sc = scenario(
        market,
        start=pd.Timestamp("2017-10-02"),
        spread_bps=3.0,
        st=0.37,
        lt=0.2,
        risk_lookback=60,
        cash_flows=(CashFlow(amount=Decimal(2000), every="monthly"),),
    )
    fast = simulate(build_policy(spec), sc)
    exact = simulate(build_policy(spec), sc, exact=True)
    _same(fast, exact)
    assert exact.decided[1:].all()
    if spec.kind != "cost_gated":
        assert fast.decided.sum() < exact.decided.sum()  # the screen skipped dates


def test_screen_exists_only_for_known_rule_triggers() -> None:
    """Rule policies made of known triggers get a screen; anything else is asked at every date."""
    dates = pd.DatetimeIndex(["2020-01-31", "2020-02-28"])
    target = np.array([0.5, 0.5])
    assert (
        hold_screen(build_policy(PolicySpec("five_25")), dates, periods_per_year=12, target=target)
        is not None
    )
    assert (
        hold_screen(
            RuleRebalance(when=~Calendar("monthly") | Never()), dates, periods_per_year=12, target=target
        )
        is not None
    )

    class Other:
        def describe(self) -> str:
            return "other"

        def decide(self, ctx):  # pragma: no cover - never called
            raise AssertionError

    assert hold_screen(Other(), dates, periods_per_year=12, target=target) is None

    class Custom(Trigger):  # a trigger the screen does not know
        def describe(self) -> str:
            return "Custom()"

    assert (
        hold_screen(
            RuleRebalance(when=Custom() | Calendar("monthly")), dates, periods_per_year=12, target=target
        )
        is None
    )
