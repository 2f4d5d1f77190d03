"""The pre-trade wash-sale check (``would_wash``) and tax-loss harvesting (library and ``harvest`` CLI)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.cli.tax_commands import app
from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household
from trimtab.domain.lots import TaxLot
from trimtab.domain.settings import CostSettings
from trimtab.domain.trades import Side, Trade
from trimtab.errors import ConfigError
from trimtab.tax.harvest import HarvestSettings, find_harvests, harvest_benefit
from trimtab.tax.ledger import TaxLedger
from trimtab.tax.rules import TaxRates
from trimtab.tax.wash_sale import IdenticalGroups, would_wash

D = Decimal
TODAY = date(2024, 11, 15)
RATES = TaxRates(short_term=D("0.37"), long_term=D("0.20"))
ACCOUNTS = (
    Account(id="brokerage", kind=AccountKind.TAXABLE),
    Account(id="ira", kind=AccountKind.TAX_DEFERRED),
    Account(id="roth", kind=AccountKind.TAX_EXEMPT),
)


def lot(account: str, symbol: str, quantity: int, unit: str, acquired: date, lot_id: str) -> TaxLot:
    return TaxLot(
        account=account,
        symbol=symbol,
        quantity=D(quantity),
        cost_basis=D(quantity) * D(unit),
        acquired=acquired,
        lot_id=lot_id,
    )


def household(*lots: TaxLot) -> Household:
    return Household(name="test", accounts=ACCOUNTS, lots=lots)


def sell(symbol: str, quantity: int, price: str, account: str = "brokerage") -> Trade:
    return Trade(account=account, symbol=symbol, side=Side.SELL, quantity=D(quantity), price=D(price))


def buy(symbol: str, quantity: int, price: str, account: str = "brokerage") -> Trade:
    return Trade(account=account, symbol=symbol, side=Side.BUY, quantity=D(quantity), price=D(price))


# -- would_wash ---------------------------------------------------------------------------------------------
def test_would_wash_loss_sale_with_recent_ira_purchase_is_permanent() -> None:
    """A loss sale while the IRA bought the same stock 10 days ago: washes, permanently (Rev. Rul. 2008-5)."""
    ledger = TaxLedger.from_household(
        household(
            lot("brokerage", "XOM", 100, "120", date(2023, 1, 3), "a"),
            lot("ira", "XOM", 10, "100", TODAY - timedelta(days=10), "b"),
        )
    )
    before = (len(ledger.realized()), len(ledger.wash_sales))
    check = would_wash(ledger, sell("XOM", 100, "100"), on=TODAY)
    assert check.washes and check.permanent
    assert (check.disallowed, check.permanently_disallowed, check.realized_loss) == (D(200), D(200), D(2000))
    assert "permanently" in check.message
    assert (len(ledger.realized()), len(ledger.wash_sales)) == before  # the ledger is unchanged


def test_would_wash_loss_sale_without_replacement_says_when_rebuying_is_safe() -> None:
    ledger = TaxLedger.from_household(household(lot("brokerage", "XOM", 100, "120", date(2023, 1, 3), "a")))
    check = would_wash(ledger, sell("XOM", 100, "100"), on=TODAY)
    assert not check.washes
    assert check.realized_loss == D(2000)
    assert check.rebuy_safe_from == TODAY + timedelta(days=31)
    # the same sale with a planned dividend reinvestment in the Roth 20 days later washes part of it
    drip = would_wash(
        ledger,
        sell("XOM", 100, "100"),
        on=TODAY,
        planned=[(TODAY + timedelta(days=20), buy("XOM", 3, "101", account="roth"))],
    )
    assert drip.washes and drip.disallowed == D(60) and drip.permanent


@pytest.mark.parametrize("days,washes", [(30, True), (31, False)])
def test_would_wash_buy_after_a_recent_loss_sale(days: int, washes: bool) -> None:
    ledger = TaxLedger.from_lines("2024-01-02 BUY 100 XOM @ 120", "2024-10-01 SELL 100 XOM @ 100")
    check = would_wash(ledger, buy("XOM", 50, "101"), on=date(2024, 10, 1) + timedelta(days=days))
    assert check.washes is washes
    assert check.disallowed == (D(1000) if washes else 0)
    assert check.realized_loss == 0 and check.rebuy_safe_from is None


def test_would_wash_gain_sale_never_washes() -> None:
    ledger = TaxLedger.from_household(
        household(
            lot("brokerage", "XOM", 100, "80", date(2023, 1, 3), "a"),
            lot("brokerage", "XOM", 10, "100", TODAY - timedelta(days=3), "b"),
        )
    )
    check = would_wash(ledger, sell("XOM", 100, "100"), on=TODAY)  # FIFO: the gain lot
    assert (check.washes, check.realized_loss, check.rebuy_safe_from) == (False, 0, None)


# -- harvest ------------------------------------------------------------------------------------------------
PRICES = {"XOM": D(100), "CVX": D(50), "KO": D(60), "PEP": D(150)}
SETTINGS = HarvestSettings(substitutes={"XOM": "CVX", "KO": "PEP"})


def test_harvest_proposes_sell_loss_lots_and_buy_substitute() -> None:
    """Only the loss lot is sold (specific identification); the values follow the documented formulas."""
    hh = household(
        lot("brokerage", "XOM", 50, "60", date(2015, 3, 2), "gain"),
        lot("brokerage", "XOM", 20, "120", date(2024, 5, 1), "loss"),
    )
    costs = CostSettings(commission_per_trade=D(1), half_spread_bps=2.0)
    scan = find_harvests(
        hh,
        PRICES,
        as_of=TODAY,
        rates=RATES,
        costs=costs,
        settings=SETTINGS,
        tracking_error={("XOM", "CVX"): 0.2},
    )
    (p,) = scan.proposals
    assert (p.account, p.symbol, p.lots, p.substitute) == ("brokerage", "XOM", ("loss",), "CVX")
    assert (p.sell.quantity, p.buy.quantity, p.buy.symbol) == (D(20), D(40), "CVX")
    assert [r.lot_id for r in p.sell.lots] == ["loss"]
    assert (p.loss, p.short_term_loss) == (D(400), D(400))
    assert p.tax_saving == D("148.00")  # 400 deducted at the ordinary 37 %
    assert p.benefit == (harvest_benefit(D(400), D("0.37"), D("0.20"), D("0.05"), 10)).quantize(D("0.01"))
    # two legs, twice (switch back): 4 commissions + 2 bp of 2,000 four times
    assert p.trading_cost == D("5.60")
    household_value = D(50 * 100 + 20 * 100)
    expected_tracking = 3.0 / 2 * 2000.0**2 * 0.2**2 * 31 / 365 / float(household_value)
    assert float(p.tracking_cost) == pytest.approx(expected_tracking, abs=0.005)
    assert p.net_benefit == p.benefit - p.trading_cost - p.tracking_cost
    assert p.switch_back_on == TODAY + timedelta(days=31)
    assert [(t.side, t.symbol) for t in p.switch_back] == [(Side.SELL, "CVX"), (Side.BUY, "XOM")]


def test_harvest_respects_recent_purchases_in_every_account() -> None:
    """XOM bought in the Roth 12 days ago would wash the harvest (permanently): skipped with the reason."""
    hh = household(
        lot("brokerage", "XOM", 20, "120", date(2024, 5, 1), "loss"),
        lot("roth", "XOM", 5, "101", TODAY - timedelta(days=12), "drip"),
    )
    scan = find_harvests(hh, PRICES, as_of=TODAY, rates=RATES, settings=SETTINGS)
    assert scan.proposals == ()
    (skip,) = scan.skipped
    assert skip.symbol == "XOM" and "washes" in skip.reason and "permanently" in skip.reason


def test_harvest_respects_planned_buys_and_identical_substitutes() -> None:
    hh = household(lot("brokerage", "XOM", 20, "120", date(2024, 5, 1), "loss"))
    planned = [(TODAY + timedelta(days=7), buy("XOM", 1, "100", account="ira"))]
    assert (
        find_harvests(hh, PRICES, as_of=TODAY, rates=RATES, settings=SETTINGS, planned=planned).proposals
        == ()
    )
    identical = find_harvests(
        hh, PRICES, as_of=TODAY, rates=RATES, settings=SETTINGS, identical=[["XOM", "CVX"]]
    )
    assert identical.proposals == () and "washes" in identical.skipped[0].reason


def test_harvest_does_not_buy_a_substitute_that_washes_a_recent_loss() -> None:
    """CVX was sold at a loss last week: buying it as XOM's substitute would wash that loss; PEP is next."""
    ledger = TaxLedger(ACCOUNTS, method="fifo")
    ledger.buy("brokerage", "XOM", D(20), D(120), on=date(2024, 5, 1))
    ledger.buy("brokerage", "CVX", D(10), D(70), on=date(2024, 5, 1))
    ledger.sell("brokerage", "CVX", D(10), D(52), on=TODAY - timedelta(days=7))
    hh = household(*ledger.open_lots())
    settings = HarvestSettings(substitutes={"XOM": ("CVX", "PEP")})
    scan = find_harvests(hh, PRICES, as_of=TODAY, rates=RATES, settings=settings, ledger=ledger)
    (p,) = scan.proposals
    assert p.substitute == "PEP"
    assert (p.buy.quantity, p.buy.symbol) == (D(13), "PEP")  # 2,000 / 150, whole shares
    only_cvx = find_harvests(
        hh,
        PRICES,
        as_of=TODAY,
        rates=RATES,
        ledger=ledger,
        settings=HarvestSettings(substitutes={"XOM": "CVX"}),
    )
    assert only_cvx.proposals == () and "CVX" in only_cvx.skipped[0].reason


def test_harvest_skips_when_costs_exceed_the_benefit_and_ignores_tax_advantaged_accounts() -> None:
    hh = household(
        lot("brokerage", "XOM", 20, "101", date(2024, 5, 1), "small"),
        lot("ira", "KO", 100, "90", date(2020, 1, 2), "ira-loss"),
    )
    costs = CostSettings(commission_per_trade=D(25))
    scan = find_harvests(hh, PRICES, as_of=TODAY, rates=RATES, costs=costs, settings=SETTINGS)
    assert scan.proposals == ()
    assert [s.symbol for s in scan.skipped] == ["XOM"]  # the IRA loss is not a candidate
    assert "net benefit" in scan.skipped[0].reason


def test_harvest_values_a_second_loss_by_its_marginal_effect() -> None:
    """Two loss positions: the second loss only adds carryforward once the $3,000 deduction is used."""
    hh = household(
        lot("brokerage", "XOM", 100, "150", date(2024, 5, 1), "x"),
        lot("brokerage", "KO", 100, "80", date(2024, 5, 1), "k"),
    )
    scan = find_harvests(hh, PRICES, as_of=TODAY, rates=RATES, settings=SETTINGS)
    first, second = scan.proposals
    assert (first.symbol, first.loss, second.symbol, second.loss) == ("XOM", D(5000), "KO", D(2000))
    # 3,000 deducted at 37 %, 2,000 carried forward at 20 % a year later
    assert first.tax_saving == (D("0.37") * 3000 + D("0.20") * 2000 / D("1.05")).quantize(D("0.01"))
    assert second.tax_saving == (D("0.20") * 2000 / D("1.05")).quantize(D("0.01"))


# -- harvest CLI on the bundled example --------------------------------------------------------------------
FAMILY = Path(__file__).resolve().parents[2] / "src" / "trimtab" / "examples" / "family" / "portfolio.yaml"


@pytest.mark.skipif(not FAMILY.exists(), reason="bundled family example not present")
def test_cli_harvest_on_the_bundled_family_example() -> None:
    result = CliRunner().invoke(app, ["harvest", str(FAMILY), "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    out = json.loads(result.output)
    assert out["as_of"] == "2022-12-28"
    by_symbol = {p["symbol"]: p for p in out["proposals"]}
    assert {"AAPL", "PFE"} <= set(by_symbol)
    # PFE -> JNJ: of the two substitutes that pass (MRK, JNJ) JNJ tracks PFE more closely, so its net benefit
    # is higher (426.33 against 424.92 for MRK): the default ``choose="best"``
    assert by_symbol["AAPL"]["substitute"] == "MSFT" and by_symbol["PFE"]["substitute"] == "JNJ"
    for p in out["proposals"]:
        assert D(p["net_benefit"]) == D(p["benefit"]) - D(p["trading_cost"]) - D(p["tracking_cost"])
        assert D(p["loss"]) > 0 and p["switch_back_on"] == "2023-01-28"
        assert p["account"] == "brokerage"
    assert [s["symbol"] for s in out["skipped"]] == ["AMD"]  # no substitute for AMD
    with_amd = json.loads(
        CliRunner().invoke(app, ["harvest", str(FAMILY), "--json", "--substitute", "AMD=RRC"]).output
    )
    assert with_amd["proposals"][0]["symbol"] == "AMD"
    text = CliRunner().invoke(app, ["harvest", str(FAMILY)])
    assert text.exit_code == 0 and "Tax-loss harvests" in text.output


def test_identical_groups_merge_and_default_to_self() -> None:
    groups = IdenticalGroups([["VTI", "ITOT"], ["ITOT", "SCHB"], ["SPY", "IVV"]])
    assert groups.identical("VTI", "SCHB") and not groups.identical("VTI", "SPY")
    assert groups.identical("XOM", "XOM") and not groups.identical("XOM", "CVX")
    assert groups.members("SCHB") == ("ITOT", "SCHB", "VTI")


def test_would_wash_sees_a_recorded_recent_loss_sale() -> None:
    """A loss sale known only as a pending loss (e.g. from a broker statement) blocks a rebuy for 30 days."""
    ledger = TaxLedger.from_household(household(lot("brokerage", "KO", 10, "60", date(2020, 1, 2), "k")))
    ledger.add_pending_loss(
        "brokerage",
        "XOM",
        quantity=D(50),
        loss=D(500),
        sold=TODAY - timedelta(days=5),
        holding_start=date(2023, 1, 3),
    )
    check = would_wash(ledger, buy("XOM", 20, "100", account="roth"), on=TODAY)
    assert check.washes and check.permanent and check.disallowed == D(200)


def test_harvest_picks_the_best_passing_substitute_or_the_first() -> None:
    """``choose="best"`` takes the substitute with the highest net benefit; ``first`` keeps preference order."""
    from trimtab.tax.harvest import find_harvests

    household = _family_household_for_choice()
    prices, as_of = household[1], household[2]
    sigma = {("PFE", "MRK"): 0.30, ("PFE", "JNJ"): 0.10}
    kwargs = {"as_of": as_of, "rates": TaxRates("0.37", "0.20"), "tracking_error": sigma}
    best = find_harvests(household[0], prices, settings=HarvestSettings(substitutes={"PFE": ("MRK", "JNJ")}),
                         **kwargs)
    first = find_harvests(household[0], prices,
                          settings=HarvestSettings(substitutes={"PFE": ("MRK", "JNJ")}, choose="first"), **kwargs)
    assert best.proposals[0].substitute == "JNJ" and first.proposals[0].substitute == "MRK"
    assert best.proposals[0].net_benefit > first.proposals[0].net_benefit
    with pytest.raises(ConfigError, match="choose"):
        HarvestSettings(choose="cheapest")


def _family_household_for_choice():
    from datetime import date

    from trimtab.domain import Account, AccountKind, Household, TaxLot

    household = Household(
        name="h",
        accounts=(Account(id="b", kind=AccountKind.TAXABLE, cash=D("1000")),),
        lots=(TaxLot(account="b", symbol="PFE", quantity=D(200), cost_basis=D(12000), acquired=date(2020, 1, 2),
                     lot_id="p"),
              TaxLot(account="b", symbol="KO", quantity=D(100), cost_basis=D(4000), acquired=date(2020, 1, 2),
                     lot_id="k")),
    )
    prices = {"PFE": D("50"), "MRK": D("100"), "JNJ": D("170"), "KO": D("60")}
    return household, prices, date(2024, 6, 3)
