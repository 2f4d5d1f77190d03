"""The optimizer's tax term inside a backtest: the simulator's point-in-time household
(``DecisionContext.household``) supplies the lots at each date, so ``tax_weight > 0`` works in a taxable
account; it realizes less tax than the same optimizer without the tax term, and looks at no future data."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from backtest_helpers import daily_market, scenario
from test_backtest_lookahead import _assert_same_until, _perturbed

from trimtab.backtest import PolicyRun, Scenario, load_backtest_config, run_backtest, simulate
from trimtab.data.market import MarketData
from trimtab.domain.lots import ReliefMethod
from trimtab.domain.settings import CostSettings, PolicySpec
from trimtab.models.tax import TaxInputs
from trimtab.policies.base import Decision, DecisionContext
from trimtab.policies.registry import build_policy
from trimtab.tax.rules import TaxRates

RATES = TaxRates(short_term=Decimal("0.37"), long_term=Decimal("0.20"))


def _optimizer(tax_weight: float, relief: ReliefMethod = ReliefMethod.FIFO) -> PolicySpec:
    params: dict[str, object] = {
        "te_weight": 1.0,
        "tc_weight": 1.0,
        "costs": CostSettings(half_spread_bps=5.0),
        "risk": "dense",
    }
    if tax_weight > 0:
        params["tax_weight"] = tax_weight
        params["tax_context"] = TaxInputs(lots=(), rates=RATES, sold=date(2000, 1, 3), relief=relief)
    return PolicySpec("optimizer", params)


def _monthly(seed: int = 4) -> MarketData:
    """Four assets at month ends, 2015-2019; a strong drift apart so that rebalancing realizes gains."""
    index = pd.date_range("2015-01-31", periods=60, freq="ME")
    rng = np.random.default_rng(seed)
    drift = np.array([0.02, 0.01, 0.0, -0.005])
    steps = rng.normal(drift, 0.05, size=(60, 4))
    prices = 100.0 * np.exp(np.cumsum(steps, axis=0))
    return MarketData(
        pd.DataFrame(prices, index=index, columns=["AAA", "BBB", "CCC", "DDD"]), periods_per_year=12.0
    )


def _scenario(market: MarketData) -> Scenario:
    return scenario(
        market, spread_bps=5.0, st=0.37, lt=0.2, risk_lookback=36, start=pd.Timestamp("2016-01-31")
    )


class _Recorder:
    """Wraps a policy and records the household each context carried."""

    def __init__(self, policy: object) -> None:
        self.policy = policy
        self.seen: list[tuple[pd.Timestamp, object]] = []

    def describe(self) -> str:
        return self.policy.describe()  # type: ignore[attr-defined]

    def decide(self, ctx: DecisionContext) -> Decision:
        self.seen.append((ctx.as_of, ctx.household))
        return self.policy.decide(ctx)  # type: ignore[attr-defined]


@pytest.mark.parametrize("relief", [ReliefMethod.FIFO, ReliefMethod.MIN_TAX])
def test_tax_aware_optimizer_realizes_less_tax_than_the_tax_blind_one(relief: ReliefMethod) -> None:
    """Same risk and cost weights, same data: with ``tax_weight: 1`` the optimizer sells fewer gains, so the
    tax paid over the run (and the gains realized) are lower; the tracking error is higher in return."""
    market = _monthly()
    sc = _scenario(market)
    blind = simulate(build_policy(_optimizer(0.0)), sc)
    recorder = _Recorder(build_policy(_optimizer(1.0, relief)))
    aware = simulate(recorder, sc)
    assert blind.taxes_paid > 0 and blind.fallbacks == 0 and aware.fallbacks == 0
    assert aware.taxes_paid < 0.9 * blind.taxes_paid, (aware.taxes_paid, blind.taxes_paid)
    realized = lambda run: sum(float(s + lt) for s, lt in run.realized_by_year.values())  # noqa: E731
    assert realized(aware) < realized(blind)
    # The context carried the simulator's household of that date (lots included), before its trades.
    assert recorder.seen and all(h is not None for _, h in recorder.seen)
    first_date, first_household = recorder.seen[0]
    assert first_date == aware.dates[1] and first_household.lots  # type: ignore[attr-defined]  # t_0 buys


def test_config_optimizer_with_tax_weight_runs_in_a_taxable_backtest(tmp_path: Path) -> None:
    """``tax_weight`` in a backtest config: the config's rates and relief reach the tax term (no error
    asking for lots), and on the same data the tax-aware optimizer realizes less than the tax-blind one."""
    path = tmp_path / "bt.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            data: {prices: builtin:us-stocks}
            start: 2019-01-02
            end: 2019-04-30
            initial: {value: 100000}
            targets: {MSFT: 0.5, KO: 0.5}
            policies:
              - {name: aware, kind: optimizer, te_weight: 1, tax_weight: 1}
              - {name: blind, kind: optimizer, te_weight: 1}
            costs: {half_spread_bps: 5}
            tax: {short_term_rate: 0.37, long_term_rate: 0.2, relief_method: min_tax}
            """
        )
    )
    result = run_backtest(load_backtest_config(path))
    aware, blind = result["aware"], result["blind"]
    assert aware.policy == "optimizer(tax_weight=1.0)" and aware.taxable
    assert aware.fallbacks == 0 and blind.fallbacks == 0
    assert sum(aware.realized_by_year[2019]) < sum(blind.realized_by_year[2019])
    assert aware.taxes_paid < blind.taxes_paid


def test_no_lookahead_with_the_tax_term() -> None:
    """DESIGN 3.2 / KAT-12d for the tax-aware optimizer: scaling the prices after the cut leaves every
    decision, trade, cost, tax and value up to the cut unchanged (the household is state, not data)."""
    symbols = ("AAA", "BBB", "CCC", "DDD")
    market = daily_market(symbols, start="2017-03-01", end="2018-01-19", seed=7, vol=0.02)

    def run(data: MarketData) -> PolicyRun:
        sc = scenario(
            data, start=pd.Timestamp("2017-10-02"), spread_bps=5.0, st=0.37, lt=0.2, risk_lookback=120
        )
        return simulate(build_policy(_optimizer(1.0)), sc)

    base = run(market)
    cut = 70
    other = run(_perturbed(market, base.dates[cut], "scale"))
    _assert_same_until(base, other, cut)
    assert not np.array_equal(base.value[cut + 1 :], other.value[cut + 1 :])
