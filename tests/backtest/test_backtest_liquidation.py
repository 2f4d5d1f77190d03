"""The after-tax liquidation value: selling cost of every position plus the marginal tax of the sale, netted
with the year's realized gains and the carryforward (KAT-23 netting); hand-computed known answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from trimtab.backtest import Scenario, simulate
from trimtab.backtest.liquidation import liquidate
from trimtab.data.market import MarketData
from trimtab.domain import Account, AccountKind, Household, TargetAllocation, TaxLot
from trimtab.domain.settings import CostSettings, PolicySpec, TaxSettings
from trimtab.models.costs import CostModel
from trimtab.policies.registry import build_policy
from trimtab.tax.rules import TaxRates

RATES = TaxSettings(short_term_rate=0.37, long_term_rate=0.20)
TEN_BPS = CostSettings(half_spread_bps=10.0)


def _one_symbol(prices: list[float], start: str) -> MarketData:
    index = pd.date_range(start, periods=len(prices), freq="ME")
    return MarketData(pd.DataFrame({"A": prices}, index=index), periods_per_year=12.0)


def _holding(kind: AccountKind, basis: int, acquired: date) -> Household:
    """One account, no cash, one lot of 1,000 shares of A."""
    return Household(
        name="h",
        accounts=(Account(id="acct", kind=kind, cash=Decimal(0)),),
        lots=(
            TaxLot(
                account="acct",
                symbol="A",
                quantity=Decimal(1000),
                cost_basis=Decimal(basis),
                acquired=acquired,
                lot_id="A1",
            ),
        ),
    )


def _hold(household: Household, market: MarketData) -> object:
    sc = Scenario(
        market=market,
        targets=TargetAllocation({"A": 1.0}),
        household=household,
        costs=TEN_BPS,
        tax=RATES,
    )
    return simulate(build_policy(PolicySpec("never")), sc)


def test_one_long_term_gain_lot_pays_cost_then_twenty_percent_of_the_gain_after_cost() -> None:
    """1,000 A bought 2019-06-03 for $50,000, worth $80,000 at 2020-06-30. Selling costs 10 bp = $80.00;
    the long-term gain after cost is 80,000 - 80 - 50,000 = $29,920, taxed at 20 % = $5,984.00; after-tax
    value 80,000 - 80 - 5,984 = $73,936."""
    run = _hold(
        _holding(AccountKind.TAXABLE, 50_000, date(2019, 6, 3)), _one_symbol([80.0] * 6, "2020-01-31")
    )
    assert run.value[-1] == pytest.approx(80_000.0, abs=1e-9) and run.taxes_paid == 0.0
    assert run.liquidation_cost == pytest.approx(80.0, abs=1e-9)
    assert run.liquidation_tax == pytest.approx(5_984.0, abs=1e-9)
    assert run.after_tax_value == pytest.approx(73_936.0, abs=1e-9)
    assert run.carryforward_after_liquidation == (Decimal(0), Decimal(0))


def test_one_short_term_loss_lot_deducts_three_thousand_and_carries_the_rest() -> None:
    """1,000 A bought 2020-03-02 for $100,000, worth $90,000 at 2020-06-30. Cost $90.00; the short-term
    loss after cost is 90,000 - 90 - 100,000 = -$10,090: $3,000 deducted against ordinary income at 37 %
    (tax -$1,110.00), $7,090 carried forward and not valued; after-tax 90,000 - 90 + 1,110 = $91,020."""
    run = _hold(
        _holding(AccountKind.TAXABLE, 100_000, date(2020, 3, 2)), _one_symbol([90.0] * 4, "2020-03-31")
    )
    assert run.liquidation_cost == pytest.approx(90.0, abs=1e-9)
    assert run.liquidation_tax == pytest.approx(-1_110.0, abs=1e-9)
    assert run.after_tax_value == pytest.approx(91_020.0, abs=1e-9)
    assert run.carryforward_after_liquidation == (Decimal(7_090), Decimal(0))


def test_tax_deferred_account_pays_only_the_selling_cost() -> None:
    """The gain lot of the first test in a tax-deferred account: no tax, after-tax = 80,000 - 80."""
    run = _hold(
        _holding(AccountKind.TAX_DEFERRED, 50_000, date(2019, 6, 3)), _one_symbol([80.0] * 6, "2020-01-31")
    )
    assert not run.taxable and run.liquidation_tax == 0.0
    assert run.liquidation_cost == pytest.approx(80.0, abs=1e-9)
    assert run.after_tax_value == pytest.approx(79_920.0, abs=1e-9)


def test_gain_and_loss_lots_net_with_the_years_gains_and_the_carryforward() -> None:
    """Known answer by hand (KAT-23 netting). Taxable: 100 A (basis $5,000, 2020-01-02, long term) at $120
    and 200 B (basis $30,000, 2022-03-01, short term) at $100; an IRA: 50 C (basis $1,000) at $40; 10 bp.
    Costs: A $12.00, B $20.00, C $2.00 = $34.00. Gains after cost: LT 12,000 - 12 - 5,000 = 6,988;
    ST 20,000 - 20 - 30,000 = -10,020. Year so far ST 2,000 / LT 1,000, carried in ST 4,000 / LT 500.
    Before the sale: ST -2,000, LT +500, net -1,500, all deducted: tax -555. After: ST -12,020,
    LT +7,488, net -4,532: $3,000 deducted (tax -1,110), ST 1,532 carried. Marginal tax -555.00."""
    household = Household(
        name="h",
        accounts=(
            Account(id="t", kind=AccountKind.TAXABLE, cash=Decimal(0)),
            Account(id="ira", kind=AccountKind.TAX_DEFERRED, cash=Decimal(0)),
        ),
        lots=(
            TaxLot(account="t", symbol="A", quantity=Decimal(100), cost_basis=Decimal(5_000),
                   acquired=date(2020, 1, 2), lot_id="a"),
            TaxLot(account="t", symbol="B", quantity=Decimal(200), cost_basis=Decimal(30_000),
                   acquired=date(2022, 3, 1), lot_id="b"),
            TaxLot(account="ira", symbol="C", quantity=Decimal(50), cost_basis=Decimal(1_000),
                   acquired=date(2021, 1, 4), lot_id="c"),
        ),
    )  # fmt: skip
    out = liquidate(
        household,
        {"A": Decimal(120), "B": Decimal(100), "C": Decimal(40)},
        date(2022, 6, 30),
        cost_model=CostModel.from_settings(TEN_BPS),
        rates=TaxRates(short_term=Decimal("0.37"), long_term=Decimal("0.20")),
        so_far=(Decimal(2_000), Decimal(1_000)),
        carryforward=(Decimal(4_000), Decimal(500)),
    )
    assert out.selling_cost == Decimal("34.00")
    assert (out.short_term, out.long_term) == (Decimal(-10_020), Decimal(6_988))
    assert out.tax == Decimal("-555.00")
    assert out.carryforward == (Decimal(1_532), Decimal(0))
    untaxed = liquidate(
        household,
        {"A": Decimal(120), "B": Decimal(100), "C": Decimal(40)},
        date(2022, 6, 30),
        cost_model=CostModel.from_settings(TEN_BPS),
        rates=TaxRates(short_term=Decimal("0.37"), long_term=Decimal("0.20")),
        taxed=False,
    )
    assert untaxed.selling_cost == Decimal("34.00") and untaxed.tax == 0


def test_run_with_a_carryforward_values_the_leftover_loss_at_zero() -> None:
    """The carryforward run of test_backtest_tax (a $50,000 short-term loss in 2020, $3,000 deducted in
    2020, 2021 and 2022): at the end A's 500 shares (basis $100,000, long term) are worth $50,000, so the
    sale adds a $50,000 long-term loss; the 2022 deduction is already used, so the sale saves nothing and
    41,000 short + 50,000 long stay carried forward, counted as worth nothing."""
    household = _holding(AccountKind.TAXABLE, 200_000, date(2019, 6, 3))
    index = pd.date_range("2020-01-31", periods=27, freq="ME")
    market = MarketData(
        pd.DataFrame({"A": [100.0] * 27, "B": [100.0] * 27}, index=index), periods_per_year=12.0
    )
    sc = Scenario(
        market=market, targets=TargetAllocation({"A": 0.5, "B": 0.5}), household=household, tax=RATES
    )
    run = simulate(build_policy(PolicySpec("threshold", {"band": 0.05})), sc)
    assert run.liquidation_tax == 0.0 and run.liquidation_cost == 0.0
    assert run.carryforward == (Decimal(41_000), Decimal(0))
    assert run.carryforward_after_liquidation == (Decimal(41_000), Decimal(50_000))
    assert run.after_tax_value == pytest.approx(run.value[-1])
