"""The smart triggers and the ``smart`` policy kind: rules, reasons, trend delay, cost gate, config errors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trimtab.backtest import load_backtest_config, simulate
from trimtab.cli.main import main
from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.domain.settings import PolicySpec
from trimtab.errors import ConfigError
from trimtab.policies.base import CostEstimate, DecisionContext
from trimtab.policies.registry import build_policy, parse_policy_option
from trimtab.policies.smart import InCrisis, SmartRebalance, TrendDelay, WeightRatioExceeds, smart
from trimtab.policies.triggers import DriftExceeds
from trimtab.signals import RegimeDetector, RegimeReading


NO_COST = CostEstimate(0.0, 0.0)


def _market(trends: Mapping[str, float], rows: int = 400, seed: int = 0) -> MarketData:
    """Daily prices with a steady drift per symbol (per day, e.g. +0.002 rising, -0.002 falling)."""
    sessions = nyse_sessions()
    index = sessions[sessions >= pd.Timestamp("2020-01-02")][:rows]
    rng = np.random.default_rng(seed)
    cols = {s: 100 * np.exp(np.cumsum(mu + rng.normal(0, 0.002, rows))) for s, mu in trends.items()}
    return MarketData(pd.DataFrame(cols, index=index), source="trend")


def _ctx(
    market: MarketData,
    weights: Mapping[str, float],
    target: Mapping[str, float],
    *,
    row: int = -1,
    cost: CostEstimate = NO_COST,
    value: float = 1e6,
) -> DecisionContext:
    symbols = tuple(target)
    w = np.array([weights[s] for s in symbols])
    t = np.array([target[s] for s in symbols])
    as_of = market.dates[row]
    return DecisionContext(
        as_of=as_of,
        symbols=symbols,
        weights=w,
        cash_weight=1 - w.sum(),
        target=t,
        target_cash=1 - t.sum(),
        value=value,
        snapshot=market.snapshot(as_of),
        covariance=lambda: np.eye(len(symbols)) * 0.04,
        cost_of=lambda _w: cost,
    )


FLAT = {"A": 0.0, "B": 0.0, "C": 0.0}
TARGET = {"A": 0.4, "B": 0.4, "C": 0.2}


def test_weight_ratio_trigger_fires_beyond_one_and_a_half_times_target() -> None:
    market = _market(FLAT)
    trigger = WeightRatioExceeds(1.5)
    inside = trigger.evaluate(_ctx(market, {"A": 0.45, "B": 0.41, "C": 0.14}, TARGET))
    assert not inside.fired
    high = trigger.evaluate(_ctx(market, {"A": 0.35, "B": 0.34, "C": 0.31}, TARGET))
    assert high.fired and high.reasons == ("C is 31.0 % of value, more than 1.5x its 20.0 % target",)
    low = trigger.evaluate(_ctx(market, {"A": 0.45, "B": 0.42, "C": 0.13}, TARGET))
    assert low.fired and "less than 1/1.5 of its 20.0 % target" in low.reasons[0]


def test_triggers_compose_and_print_as_code() -> None:
    market = _market(FLAT)
    either = WeightRatioExceeds(1.5) | DriftExceeds(absolute=0.05)
    both = WeightRatioExceeds(1.5) & DriftExceeds(absolute=0.05)
    assert either.describe() == "WeightRatioExceeds(ratio=1.5) | DriftExceeds(absolute=0.05)"
    assert (~InCrisis()).describe() == "~InCrisis(probability=0.5)"
    ctx = _ctx(market, {"A": 0.46, "B": 0.40, "C": 0.14}, TARGET)  # A +6 pp; C 0.14 > 0.1333 inside ratio
    assert either.evaluate(ctx).fired and not both.evaluate(ctx).fired
    assert (~WeightRatioExceeds(1.5)).evaluate(ctx).fired


def test_smart_drift_rule_moves_back_to_the_band_edge() -> None:
    """Drift > 5 pp (ratio not hit, no trend): partial back to the 5 pp edge, with plain reasons."""
    policy = smart(crisis_drift=None, use_trend_delay=False, ratio=3.0)
    d = policy.decide(_ctx(_market(FLAT), {"A": 0.47, "B": 0.36, "C": 0.17}, TARGET))
    assert d.action == "partial"
    assert d.target_weights["A"] == pytest.approx(0.45)
    assert d.target_weights["B"] == pytest.approx(0.36) and d.target_weights["C"] == pytest.approx(0.17)
    assert d.reasons[0] == "drift: A is 7.0 pp over target, outside the 5 pp band"
    assert any("benefit" in r and "> cost" in r for r in d.reasons)


def test_smart_ratio_rule_rebalances_fully() -> None:
    policy = smart(crisis_drift=None, use_trend_delay=False)
    d = policy.decide(_ctx(_market(FLAT), {"A": 0.42, "B": 0.42, "C": 0.12}, TARGET))
    assert d.action == "rebalance" and d.details["rule"] == "ratio"
    assert [d.target_weights[s] for s in "ABC"] == pytest.approx([0.4, 0.4, 0.2])


def test_cost_gate_holds_the_drift_rule_but_not_the_guard_rail() -> None:
    expensive = CostEstimate(trading_cost=50.0, tax=1e6)
    policy = smart(crisis_drift=None, use_trend_delay=False, ratio=1.5)
    held = policy.decide(_ctx(_market(FLAT), {"A": 0.46, "B": 0.38, "C": 0.16}, TARGET, cost=expensive))
    assert held.action == "hold" and any("< cost" in r for r in held.reasons)
    forced = policy.decide(_ctx(_market(FLAT), {"A": 0.46, "B": 0.42, "C": 0.12}, TARGET, cost=expensive))
    assert forced.action == "rebalance"


class _FixedRegime(RegimeDetector):
    def __init__(self, probability: float) -> None:
        super().__init__()
        self.probability = probability

    def reading(self, snapshot, symbols, weights):  # type: ignore[no-untyped-def, override]
        return RegimeReading(self.probability, snapshot.times[0], snapshot.as_of, fit=object())  # type: ignore[arg-type]


def test_crisis_rule_rebalances_now_when_drift_exceeds_its_limit() -> None:
    weights = {"A": 0.44, "B": 0.37, "C": 0.19}  # 4 pp drift: under the drift band, over the crisis limit
    calm = smart(regime=_FixedRegime(0.1), use_trend_delay=False).decide(_ctx(_market(FLAT), weights, TARGET))
    assert calm.action == "hold"
    crisis = smart(regime=_FixedRegime(0.9), use_trend_delay=False).decide(
        _ctx(_market(FLAT), weights, TARGET)
    )
    assert crisis.action == "rebalance" and crisis.details["rule"] == "crisis"
    assert any("reads crisis (probability 0.90 > 0.5" in r for r in crisis.reasons)


def test_trend_delay_postpones_selling_a_rising_asset_up_to_the_maximum_delay() -> None:
    """A is over target and rising: its sale waits while the trend lasts, at most max_delay_days."""
    market = _market({"A": 0.002, "B": 0.0, "C": 0.0})
    policy = smart(crisis_drift=None, ratio=None, cost_gate=None, trend_delay=TrendDelay(max_delay_days=30))
    weights = {"A": 0.47, "B": 0.36, "C": 0.17}
    first = policy.decide(_ctx(market, weights, TARGET, row=300))
    assert first.action == "hold"
    assert any(
        r.startswith("postpone selling A (7.0 pp over target): its trend is up") for r in first.reasons
    )
    later = policy.decide(_ctx(market, weights, TARGET, row=310))  # 14 calendar days later
    assert later.action == "hold" and any("day 14 of at most 30" in r for r in later.reasons)
    done = policy.decide(_ctx(market, weights, TARGET, row=322))  # more than 30 days after the first
    assert done.action == "partial" and done.target_weights["A"] == pytest.approx(0.45)
    assert any("goes ahead" in r and "the most allowed is 30" in r for r in done.reasons)


def test_trend_delay_never_holds_an_asset_beyond_the_hard_cap() -> None:
    market = _market({"A": 0.002, "B": 0.0, "C": 0.0})
    policy = smart(crisis_drift=None, ratio=None, cost_gate=None)
    d = policy.decide(_ctx(market, {"A": 0.52, "B": 0.32, "C": 0.16}, TARGET, row=300))
    assert d.action == "partial" and any("beyond the 10 pp cap" in r for r in d.reasons)


def test_trend_delay_lets_trades_with_the_trend_through() -> None:
    """Selling a falling asset is with its trend: no delay."""
    market = _market({"A": -0.002, "B": 0.0, "C": 0.0})
    policy = smart(crisis_drift=None, ratio=None, cost_gate=None)
    d = policy.decide(_ctx(market, {"A": 0.47, "B": 0.36, "C": 0.17}, TARGET, row=300))
    assert d.action == "partial" and d.details["move"]["trend_delay"]["postponed"] == {}


def test_smart_kind_from_text_and_mapping() -> None:
    policy = build_policy(parse_policy_option("smart:triggers=drift+ratio,trend_delay=off,cost_gate=off"))
    assert isinstance(policy, SmartRebalance)
    assert policy.describe() == "smart(ratio=1.5, drift=0.05, trend_delay=off, cost_gate=off)"
    mapped = build_policy(
        PolicySpec(
            "smart",
            {
                "triggers": {"drift": {"band": 0.03}, "crisis": {"drift": 0.02}},
                "trend_delay": {"signal": "moving_average", "max_delay_days": 60},
                "cost_gate": {"risk_aversion": 5},
                "check": "monthly",
            },
        )
    )
    assert (
        mapped.describe()
        == "smart(crisis=0.02, drift=0.03, trend_delay=moving_average, cost_gate=5, check=monthly)"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"triggers": ["drfit"]},
            "policy.triggers.drfit: unknown trigger; got 'drfit'. Fix: use one of ratio, crisis, drift",
        ),
        (
            {"triggers": {"drift": {"bnad": 0.05}}},
            "policy.triggers.drift.bnad: unknown key in triggers.drift",
        ),
        ({"trend_delay": {"max_delay_days": -3}}, "policy.trend_delay.max_delay_days: must be in (0, 3660]"),
        ({"cost_gate": {"gamma": 3}}, "policy.cost_gate.gamma: unknown key in cost_gate"),
        ({"triggers": "off"}, "policy.triggers: the smart policy needs at least one trigger"),
    ],
)
def test_bad_smart_settings_name_the_key(spec: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_policy(PolicySpec("smart", spec))
    assert str(err.value).startswith(message)


CONFIG = """\
data: {{prices: builtin:us-stocks-bonds}}
start: 2007-01-02
end: 2007-03-30
initial: {{value: 1000000}}
targets: {{STOCKS: 0.6, BONDS: 0.4}}
policies:
  - name: smart
    kind: smart
    triggers: {triggers}
"""


def test_unknown_trigger_in_a_backtest_config_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bt.yaml"
    path.write_text(CONFIG.format(triggers="[drift, regime]"))
    with pytest.raises(ConfigError) as err:
        load_backtest_config(path)
    assert str(err.value).startswith(
        f"{path}:7 policies[smart].triggers.regime: unknown trigger; got 'regime'"
    )
    assert main(["backtest", str(path)]) == 2


def test_smart_policy_in_a_backtest_config_runs(tmp_path: Path) -> None:
    path = tmp_path / "bt.yaml"
    path.write_text(CONFIG.format(triggers="[drift, ratio, crisis]"))
    config = load_backtest_config(path)
    run = simulate(config.policies[0].policy, config.scenario)
    assert run.value[-1] > 0 and len(run.dates) > 50
