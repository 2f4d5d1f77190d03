"""Taxes in the backtest: paid once a year after netting and carryforward, wash sales from the tax ledger,
liquidation value; no tax in tax-deferred accounts; cash flows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from trimtab.backtest import CashFlow, Scenario, simulate
from trimtab.data.market import MarketData
from trimtab.domain import Account, AccountKind, Household, TargetAllocation, TaxLot
from trimtab.domain.settings import PolicySpec, TaxSettings
from trimtab.policies.registry import build_policy

RATES = TaxSettings(short_term_rate=0.37, long_term_rate=0.20)


def _monthly(a: list[float], b: list[float], start: str = "2020-01-31") -> MarketData:
    index = pd.date_range(start, periods=len(a), freq="ME")
    return MarketData(pd.DataFrame({"A": a, "B": b}, index=index), periods_per_year=12.0)


def _gain_scenario(kind: AccountKind) -> tuple[Scenario, MarketData]:
    """A 50/50 portfolio of $1M; A rises 20 % in February and stays; B is flat; 14 month ends."""
    a = [1.0] + [1.2] * 13
    b = [1.0] * 14
    market = _monthly(a, b)
    sc = Scenario(
        market=market,
        targets=TargetAllocation({"A": 0.5, "B": 0.5}),
        initial_value=Decimal(1_000_000),
        account_kind=kind,
        tax=RATES,
    )
    return sc, market


def _one_lot_household() -> Household:
    """One taxable account, no cash, holding one lot: 1,000 shares of A bought 2019-06-03 for $200,000."""
    return Household(
        name="h",
        accounts=(Account(id="taxable", kind=AccountKind.TAXABLE, cash=Decimal(0)),),
        lots=(
            TaxLot(
                account="taxable",
                symbol="A",
                quantity=Decimal(1000),
                cost_basis=Decimal(200_000),
                acquired=date(2019, 6, 3),
                lot_id="A1",
            ),
        ),
    )


def test_short_term_gain_is_taxed_once_at_the_first_date_of_the_next_year() -> None:
    """Rebalancing at the end of February sells $50,000 of A bought at 1.0 and sold at 1.2: a short-term gain
    of $8,333.33, taxed at 37 % = $3,083.33, paid on 2021-01-31 from the account (sales raise the cash)."""
    sc, _ = _gain_scenario(AccountKind.TAXABLE)
    run = simulate(build_policy(PolicySpec("threshold", {"band": 0.02})), sc)
    short, long = run.realized_by_year[2020]
    assert float(short) == pytest.approx(8333.33, abs=1e-3) and long == 0  # 41,666.666667 shares sold
    assert run.tax_by_year[2020] == Decimal("3083.33")
    k = list(run.dates).index(pd.Timestamp("2021-01-31"))
    assert run.taxes[k] == pytest.approx(3083.33, abs=1e-9)
    assert np.count_nonzero(run.taxes[:-1]) == 1
    assert any(t.reason == "tax" for t in run.trades)
    assert run.value[k] == pytest.approx(run.value[k - 1] - 3083.33, abs=1e-6)  # prices are flat
    assert np.all(run.cash[:-1] >= 0)


def test_tax_deferred_account_pays_no_tax_and_its_after_tax_value_is_its_value() -> None:
    """The same trades in a tax-deferred account: no ledger, no tax, liquidation value = value."""
    sc, _ = _gain_scenario(AccountKind.TAX_DEFERRED)
    run = simulate(build_policy(PolicySpec("threshold", {"band": 0.02})), sc)
    assert not run.taxable and run.taxes_paid == 0.0 and run.liquidation_tax == 0.0
    assert run.after_tax_value == run.value[-1]
    assert run.rebalance_events == 1


def test_loss_carryforward_refunds_three_thousand_a_year_and_liquidation_adds_nothing() -> None:
    """KAT-23 over years: a $50,000 short-term loss in 2020 deducts $3,000 a year against ordinary income (a
    $1,110 refund at 37 %) in 2020, 2021 and 2022, carrying the rest; selling everything at the end would add
    a $50,000 long-term loss that the already-used $3,000 limit makes worth nothing."""
    household = _one_lot_household()
    market = _monthly([100.0] * 27, [100.0] * 27)
    sc = Scenario(
        market=market, targets=TargetAllocation({"A": 0.5, "B": 0.5}), household=household, tax=RATES
    )
    run = simulate(build_policy(PolicySpec("threshold", {"band": 0.05})), sc)
    assert run.rebalance_events == 1 and run.actions[0] == "rebalance"
    assert run.realized_by_year[2020] == (Decimal(-50_000), Decimal(0))
    assert dict(run.tax_by_year) == {
        2020: Decimal("-1110.00"),
        2021: Decimal("-1110.00"),
        2022: Decimal("-1110.00"),
    }
    assert run.taxes_paid == pytest.approx(-3330.0)
    assert run.carryforward == (Decimal(41_000), Decimal(0))
    assert run.liquidation_tax == 0.0
    assert run.after_tax_value == pytest.approx(100_000 + 3330.0)


def test_wash_sale_from_the_ledger_defers_the_loss() -> None:
    """A loss sale followed 29 days later by a purchase of the same stock is a wash sale: the tax ledger
    disallows the matched loss, so the year's recognized loss is smaller than the raw loss."""
    household = _one_lot_household()
    market = _monthly([100.0, 60.0, 60.0, 60.0], [100.0, 100.0, 100.0, 100.0])
    sc = Scenario(
        market=market, targets=TargetAllocation({"A": 0.5, "B": 0.5}), household=household, tax=RATES
    )
    run = simulate(build_policy(PolicySpec("threshold", {"band": 0.05})), sc)
    buys_of_a = [t for t in run.trades if t.symbol == "A" and t.side == "buy"]
    assert buys_of_a and buys_of_a[0].on == date(2020, 2, 29)
    assert run.wash_sales >= 1
    raw_loss = Decimal(-50_000)
    recognized = run.realized_by_year[2020][0] + run.realized_by_year[2020][1]
    assert raw_loss < recognized < 0


def test_withdrawals_sell_pro_rata_and_contributions_add_cash() -> None:
    """A fully invested never-trading account pays a monthly $10,000 withdrawal by selling; a contribution
    sits in cash (the policy decides whether to invest it)."""
    a = list(np.linspace(1.0, 1.3, 13))
    b = list(np.linspace(1.0, 0.9, 13))
    sc = Scenario(
        market=_monthly(a, b),
        targets=TargetAllocation({"A": 0.5, "B": 0.5}),
        initial_value=Decimal(1_000_000),
        tax=RATES,
        cash_flows=(CashFlow(amount=Decimal(-10_000), every="monthly"),),
    )
    run = simulate(build_policy(PolicySpec("never")), sc)
    assert run.flows[1:].sum() == pytest.approx(-120_000)
    assert {t.reason for t in run.trades} == {"initial", "withdrawal", "tax"}  # 2020's gains paid 2021-01-31
    assert run.rebalance_events == 12  # every sale is a trade
    assert np.all(run.cash[:-1] >= 0)
    sc2 = Scenario(
        market=_monthly(a, b),
        targets=TargetAllocation({"A": 0.5, "B": 0.5}),
        initial_value=Decimal(1_000_000),
        cash_flows=(CashFlow(amount=Decimal(1_000), every="quarterly"),),
    )
    kept = simulate(build_policy(PolicySpec("never")), sc2)
    assert kept.cash[-1] == pytest.approx(4_000 + kept.cash[0])
    assert kept.flows.sum() == pytest.approx(4_000)


def test_harvesting_overlay_sells_the_loss_buys_the_substitute_and_switches_back() -> None:
    """The tax engine's harvest scan as an overlay: XOM falls 20 % in February; the month-end scan sells the
    loss lot (a $100,000 short-term loss), buys CVX, and 31 days later buys XOM back (no wash sale)."""
    from trimtab.tax.harvest import HarvestSettings

    index = pd.date_range("2020-01-31", periods=5, freq="ME")
    market = MarketData(
        pd.DataFrame({"XOM": [100.0, 80.0, 80.0, 80.0, 80.0], "CVX": [100.0] * 5}, index=index),
        periods_per_year=12.0,
    )
    sc = Scenario(
        market=market,
        targets=TargetAllocation({"XOM": 0.5, "CVX": 0.5}),
        initial_value=Decimal(1_000_000),
        tax=RATES,
        harvest=HarvestSettings(fractional=True),
    )
    run = simulate(build_policy(PolicySpec("never")), sc)
    assert run.harvests == 1 and run.wash_sales == 0
    reasons = [(t.on, t.reason, t.symbol, t.side) for t in run.trades if t.reason != "initial"]
    assert reasons == [
        (date(2020, 2, 29), "harvest", "XOM", "sell"),
        (date(2020, 2, 29), "harvest", "CVX", "buy"),
        (date(2020, 3, 31), "switch_back", "CVX", "sell"),
        (date(2020, 3, 31), "switch_back", "XOM", "buy"),
    ]
    short, long = run.realized_by_year[2020]
    assert float(short) == pytest.approx(-100_000, abs=300) and long == 0  # the loss, less the selling cost
    assert run.tax_by_year[2020] == Decimal("-1110.00")  # $3,000 deducted; the rest carried forward
    assert float(run.carryforward[0]) == pytest.approx(97_000, abs=300)
    held = {lot.symbol for lot in run.final_household.lots}
    assert held == {"XOM", "CVX"}


def test_harvest_needs_a_taxable_account(tmp_path) -> None:
    from trimtab.backtest import load_backtest_config
    from trimtab.errors import ConfigError

    path = tmp_path / "bt.yaml"
    path.write_text(
        "data: {prices: builtin:us-stocks}\nstart: 2019-01-02\nend: 2019-03-29\n"
        "initial: {value: 1000}\ntargets: {XOM: 0.5, CVX: 0.5}\npolicies: [never]\n"
        "tax: {account: tax_deferred}\nharvest: {every: monthly}\n"
    )
    with pytest.raises(ConfigError, match="needs a taxable account") as info:
        load_backtest_config(path)
    assert str(info.value).startswith(f"{path}:8 harvest")
