"""Hand-computed trade plans: every number below is worked out in the test's docstring."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from trimtab.domain import Account, AccountKind, Household, ReliefMethod, Side, TargetAllocation, TaxLot, Term
from trimtab.domain.settings import CostSettings, ImpactSettings, Placement, TaxSettings, TradingSettings
from trimtab.errors import AccountError, LotError, MissingPriceError, TargetError
from trimtab.models.costs import CostModel
from trimtab.trades import TradePlan, estimate_tax, plan_trades

AS_OF = date(2022, 12, 28)
RATES = TaxSettings(short_term_rate=0.37, long_term_rate=0.20)
FREE = CostSettings()


def lot(
    account: str,
    symbol: str,
    quantity: int | str,
    basis: int | str,
    acquired: date = date(2015, 3, 2),
    lot_id: str = "",
) -> TaxLot:
    return TaxLot(
        account=account,
        symbol=symbol,
        quantity=D(str(quantity)),
        cost_basis=D(str(basis)),
        acquired=acquired,
        lot_id=lot_id or f"{account}:{symbol}:{acquired}",
    )


def household(
    *lots: TaxLot, cash: dict[str, str] | None = None, kinds: dict[str, AccountKind] | None = None
) -> Household:
    cash = cash or {"brokerage": "0"}
    kinds = kinds or {}
    accounts = tuple(
        Account(id=a, kind=kinds.get(a, AccountKind.TAXABLE), cash=D(c)) for a, c in cash.items()
    )
    return Household(name="test", accounts=accounts, lots=lots)


def plan(
    hh: Household,
    prices: dict[str, str],
    weights: dict[str, float],
    *,
    costs: CostSettings = FREE,
    trading: TradingSettings | None = None,
    tax: TaxSettings = RATES,
    **kwargs: object,
) -> TradePlan:
    return plan_trades(
        hh,
        {s: D(p) for s, p in prices.items()},
        weights,
        as_of=AS_OF,
        costs=costs,
        trading=trading or TradingSettings(),
        tax=tax,
        **kwargs,
    )  # type: ignore[arg-type]


def only(trades: tuple, side: Side, symbol: str, account: str = "brokerage"):  # type: ignore[no-untyped-def]
    found = [t for t in trades if t.side is side and t.symbol == symbol and t.account == account]
    assert len(found) == 1, found
    return found[0]


def test_one_account_two_stocks_exact_shares_cash_costs() -> None:
    """One taxable account, cash $1,000, 60 AAPL @ $100 and 20 MSFT @ $50: V = $8,000; targets 50/50.

    AAPL: $6,000 held, $4,000 wanted -> sell 20 shares = $2,000, cost 10 bp = $2.00; cash 2,998.00.
    MSFT: $1,000 held, $4,000 wanted -> 60 shares would cost 3,000 + 3.00 > 2,998: scaled to 59 shares,
    $2,950 + $2.95.  Cash after = 2,998 - 2,952.95 = 45.05; costs 4.95; V_after = 7,995.05 (KAT-12c).
    The AAPL lot (2020-01-02, $50/share) is long-term: gain 20 x 50 = 1,000, tax 0.20 x 1,000 = 200.
    Turnover = (2,000 + 2,950) / 2 / 8,000 = 0.309375.
    """
    hh = household(
        lot("brokerage", "AAPL", 60, 3000, date(2020, 1, 2)),
        lot("brokerage", "MSFT", 20, 800, date(2022, 6, 1)),
        cash={"brokerage": "1000"},
    )
    p = plan(
        hh, {"AAPL": "100", "MSFT": "50"}, {"AAPL": 0.5, "MSFT": 0.5}, costs=CostSettings(half_spread_bps=10)
    )
    assert [(t.side, t.symbol, t.quantity, t.estimated_cost) for t in p.trades] == [
        (Side.SELL, "AAPL", D(20), D("2.00")),
        (Side.BUY, "MSFT", D(59), D("2.95")),
    ]
    assert p.cash_after() == {"brokerage": D("45.05")}
    assert p.transaction_cost == D("4.95")
    assert p.value_before() == D("8000") and p.value_after() == D("7995.05")
    assert p.realized_long == D("1000") and p.realized_short == 0 and p.estimated_tax == D("200.00")
    assert p.turnover == pytest.approx(0.309375)
    assert any("scaled down" in n and "45.05" in n for n in p.notes)
    assert p.after.quantity("AAPL") == 40 and p.after.quantity("MSFT") == 79
    new = [x for x in p.after.lots if x.acquired == AS_OF]
    assert len(new) == 1 and new[0].cost_basis == D("2952.95")  # value + its cost
    assert p.after.lots_of("brokerage", "AAPL")[0].cost_basis == D("2000")  # 40 of 60 shares of $3,000


def test_issue_json_example_jnj_sell_relieves_long_term_lot() -> None:
    """The issue's JSON example: sell 84 JNJ @ 176.65 from the 2015-03-02 lot (basis $8,400).

    Value 14,838.60; cost 2 bp = 2.96772 -> $2.97; gain 14,838.60 - 8,400 = 6,438.60 long-term;
    tax 0.20 x 6,438.60 = 1,287.72.  A second, later lot (2020) is untouched under FIFO.
    Holding 184 shares (V = 32,503.60, no cash), target JNJ = 100 x 176.65 / V, rest cash.
    """
    hh = household(
        lot("brokerage", "JNJ", 84, "8400.00", date(2015, 3, 2)),
        lot("brokerage", "JNJ", 100, "15000.00", date(2020, 6, 1)),
    )
    value = D("32503.60")
    w = float(D("17665.00") / value)
    p = plan(
        hh,
        {"JNJ": "176.65"},
        {"JNJ": w, "CASH": 1 - w},
        costs=CostSettings(half_spread_bps=2, min_trade_value=D(100)),
    )
    (trade,) = p.trades
    assert (trade.account, trade.symbol, trade.side) == ("brokerage", "JNJ", Side.SELL)
    assert (trade.quantity, trade.price, trade.value, trade.estimated_cost) == (
        D(84),
        D("176.65"),
        D("14838.60"),
        D("2.97"),
    )
    (relief,) = trade.lots
    assert relief.acquired == date(2015, 3, 2) and relief.quantity == 84
    assert (
        relief.cost_basis == D("8400.00")
        and relief.realized_gain == D("6438.60")
        and relief.term is Term.LONG
    )
    assert p.realized_long == D("6438.60") and p.realized_short == D("0")
    assert p.estimated_tax == D("1287.72") == (D("0.2") * D("6438.60")).quantize(D("0.01"))
    assert p.transaction_cost == D("2.97") and p.value_after() == value - D("2.97")
    assert p.cash_after() == {"brokerage": D("14835.63")}


def test_kat_12c_self_financing_exact_in_decimal() -> None:
    """KAT-12c: V = $1,000,000; buy $100,000 of A, sell $100,000 of B at 10 bp: fees $200, V_after $999,800.

    Holdings A 3,990 @ $100, B 6,000 @ $100, cash $1,000; targets A 0.49907, B 0.50003, cash 0.0009.
    B sells 999.7 -> 1,000 shares; cash after the sale 1,000 + 100,000 - 100 = 100,900, of which 100,000 is
    above the $900 cash target, so A buys 1,000 shares for 100,000 + 100.  Cash after = 800 = 1,000 - 200.
    """
    hh = household(lot("brokerage", "A", 3990, 399000), lot("brokerage", "B", 6000, 600000),
                   cash={"brokerage": "1000"})
    p = plan(hh, {"A": "100", "B": "100"}, {"A": 0.49907, "B": 0.50003, "CASH": 0.0009},
             costs=CostSettings(half_spread_bps=10))
    assert [(t.side, t.symbol, t.value, t.estimated_cost) for t in p.trades] == [
        (Side.SELL, "B", D("100000"), D("100.00")), (Side.BUY, "A", D("100000"), D("100.00"))]
    assert p.value_before() == D("1000000") and p.transaction_cost == D("200.00")
    assert p.value_after() == D("999800.00") and p.cash_after() == {"brokerage": D("800.00")}
    assert p.notes == ()


def test_zero_weight_symbol_needs_no_price_and_pinned_only_symbols_are_bought() -> None:
    """A zero-weight target without a price is fine; a symbol only a pinned account targets is bought."""
    hh = household(lot("brokerage", "AAPL", 10, 1000), lot("ira", "AAPL", 10, 1000),
                   cash={"brokerage": "0", "ira": "0"}, kinds={"ira": AccountKind.TAX_DEFERRED})
    p = plan(hh, {"AAPL": "100", "BND": "50"}, {"AAPL": 1.0, "GONE": 0.0}, per_account={"ira": {"BND": 1.0}})
    assert [(t.account, t.side, t.symbol, t.quantity) for t in p.trades] == [
        ("ira", Side.SELL, "AAPL", D(10)), ("ira", Side.BUY, "BND", D(20))]


def test_empty_household_plans_nothing() -> None:
    p = plan(household(), {"AAPL": "100"}, {"AAPL": 1.0})
    assert p.trades == () and p.turnover == 0.0 and p.value_after() == 0


def test_cash_buffer_sells_to_fund_it_and_caps_buys() -> None:
    """Buffer 5 %: $10,000 account all in AAPL @ $100 keeps $500 cash -> sell 5 shares; an account with
    $1,000 cash and 90 AAPL buys only 5 shares, leaving the $500 buffer (no costs)."""
    trading = TradingSettings(cash_buffer=0.05)
    p = plan(household(lot("brokerage", "AAPL", 100, 5000)), {"AAPL": "100"}, {"AAPL": 1.0}, trading=trading)
    assert [(t.side, t.quantity) for t in p.trades] == [(Side.SELL, D(5))]
    assert p.cash_after() == {"brokerage": D("500")}
    p = plan(
        household(lot("brokerage", "AAPL", 90, 4500), cash={"brokerage": "1000"}),
        {"AAPL": "100"},
        {"AAPL": 1.0},
        trading=trading,
    )
    assert [(t.side, t.quantity) for t in p.trades] == [(Side.BUY, D(5))]
    assert p.cash_after() == {"brokerage": D("500")}


def test_buy_only_invests_cash_in_proportion_to_shortfall_without_selling() -> None:
    """Cash $5,000; AAPL 30 @ 100, MSFT 140 @ 50 (overweight by $5,000), BND none; V = $15,000.

    Targets AAPL 7/15, MSFT 2/15, BND 6/15: shortfalls AAPL 4,000 and BND 6,000 (sum 10,000) but only
    5,000 of cash, so each gets half: 20 AAPL ($2,000) and 120 BND @ 25 ($3,000); MSFT is not sold.
    """
    hh = household(
        lot("brokerage", "AAPL", 30, 3000), lot("brokerage", "MSFT", 140, 7000), cash={"brokerage": "5000"}
    )
    p = plan(
        hh,
        {"AAPL": "100", "MSFT": "50", "BND": "25"},
        {"AAPL": 7 / 15, "MSFT": 2 / 15, "BND": 6 / 15},
        trading=TradingSettings(buy_only=True),
    )
    assert [(t.side, t.symbol, t.quantity) for t in p.trades] == [
        (Side.BUY, "AAPL", D(20)),
        (Side.BUY, "BND", D(120)),
    ]
    assert p.cash_after() == {"brokerage": D("0")}
    assert p.realized_gain == 0


def test_buy_only_keeps_the_cash_target() -> None:
    """Buy-only spends only the cash above the cash target: V = $10,000, cash $3,000, target cash 10 %
    -> $2,000 invested in the one underweight symbol (40 BND @ $50)."""
    hh = household(lot("brokerage", "AAPL", 70, 3000), cash={"brokerage": "3000"})
    p = plan(
        hh,
        {"AAPL": "100", "BND": "50"},
        {"AAPL": 0.5, "BND": 0.4, "CASH": 0.1},
        trading=TradingSettings(buy_only=True),
    )
    assert [(t.side, t.symbol, t.quantity) for t in p.trades] == [(Side.BUY, "BND", D(40))]
    assert p.cash_after() == {"brokerage": D("1000")}


def test_round_lots_of_100() -> None:
    """$50,000 cash, AAPL @ $37: 1,351.35 shares wanted -> nearest lot 1,400 ($51,800) is unaffordable,
    so 1,300 shares ($48,100) and $1,900 stays in cash (noted)."""
    p = plan(
        household(cash={"brokerage": "50000"}),
        {"AAPL": "37"},
        {"AAPL": 1.0},
        trading=TradingSettings(lot_size=100),
    )
    assert [(t.side, t.quantity) for t in p.trades] == [(Side.BUY, D(1300))]
    assert p.cash_after() == {"brokerage": D("1900")}
    assert any("scaled down" in n for n in p.notes)


def test_round_lots_never_sell_an_odd_lot_remainder() -> None:
    """150 shares, target 0, lots of 100: sell 100; 50 stay (less than a lot)."""
    p = plan(
        household(lot("brokerage", "AAPL", 150, 1500)),
        {"AAPL": "10"},
        {"CASH": 1.0},
        trading=TradingSettings(lot_size=100),
    )
    assert [(t.side, t.quantity) for t in p.trades] == [(Side.SELL, D(100))]
    assert p.after.quantity("AAPL") == 50


@pytest.mark.parametrize(
    ("decimals", "shares", "cash"), [(4, "3.3333", "0.01"), (2, "3.33", "1.00"), (0, "3", "100")]
)
def test_fractional_shares(decimals: int, shares: str, cash: str) -> None:
    """$1,000 into a $300 stock: 3.3333... shares, rounded to the allowed decimals; the rest is cash."""
    p = plan(
        household(cash={"brokerage": "1000"}),
        {"XYZ": "300"},
        {"XYZ": 1.0},
        trading=TradingSettings(fractional=True, fraction_decimals=decimals),
    )
    assert [(t.side, t.quantity) for t in p.trades] == [(Side.BUY, D(shares))]
    assert p.cash_after() == {"brokerage": D(cash)}


def test_min_trade_value_skips_small_trades_and_says_so() -> None:
    """A $40 MSFT buy is below min_trade_value $100: skipped, noted, cash stays."""
    hh = household(lot("brokerage", "AAPL", 100, 5000), cash={"brokerage": "40"})
    p = plan(
        hh,
        {"AAPL": "100", "MSFT": "40"},
        {"AAPL": 10000 / 10040, "MSFT": 40 / 10040},
        costs=CostSettings(min_trade_value=D(100)),
    )
    assert p.trades == ()
    assert p.cash_after() == {"brokerage": D("40")}
    assert p.notes == ("buy of 1 MSFT in brokerage ($40.00) below min_trade_value $100.00: skipped",)


def test_min_trade_value_skips_small_sells() -> None:
    """Selling 1 share at $60 is below $100: skipped, and no buy can be funded either."""
    hh = household(lot("brokerage", "AAPL", 10, 500), lot("brokerage", "MSFT", 10, 500))
    p = plan(
        hh,
        {"AAPL": "60", "MSFT": "60"},
        {"AAPL": 0.45, "MSFT": 0.55},
        costs=CostSettings(min_trade_value=D(100)),
    )
    assert p.trades == ()
    assert any("sell of 1 AAPL" in n and "below min_trade_value" in n for n in p.notes)


def test_tax_aware_sells_in_the_ira_instead_of_realizing_a_gain() -> None:
    """Taxable and IRA each hold 100 AAPL @ $100 (taxable basis $20/share); targets AAPL 50 %, MSFT 50 %.

    Tax-aware: the IRA sells its 100 AAPL and buys 100 MSFT; nothing is realized in the taxable account.
    Pro rata: each account sells 50 AAPL; the taxable sale realizes 50 x 80 = 4,000 long-term, tax 800.
    """
    hh = household(
        lot("brokerage", "AAPL", 100, 2000),
        lot("ira", "AAPL", 100, 9000),
        cash={"brokerage": "0", "ira": "0"},
        kinds={"ira": AccountKind.TAX_DEFERRED},
    )
    prices, weights = {"AAPL": "100", "MSFT": "100"}, {"AAPL": 0.5, "MSFT": 0.5}
    aware = plan(hh, prices, weights)
    assert [(t.account, t.side, t.symbol, t.quantity) for t in aware.trades] == [
        ("ira", Side.SELL, "AAPL", D(100)),
        ("ira", Side.BUY, "MSFT", D(100)),
    ]
    assert aware.realized_gain == 0 and aware.estimated_tax == 0
    assert aware.trades[0].lots[0].realized_gain == D("1000")  # the IRA book is kept, but not taxed
    spread = plan(hh, prices, weights, trading=TradingSettings(placement=Placement.PRO_RATA))
    assert sorted((t.account, t.side, t.symbol, t.quantity) for t in spread.trades) == [
        ("brokerage", Side.BUY, "MSFT", D(50)),
        ("brokerage", Side.SELL, "AAPL", D(50)),
        ("ira", Side.BUY, "MSFT", D(50)),
        ("ira", Side.SELL, "AAPL", D(50)),
    ]
    assert spread.realized_long == D("4000") and spread.estimated_tax == D("800.00")
    assert aware.weights_after() == spread.weights_after() == {"AAPL": 0.5, "MSFT": 0.5, "CASH": 0.0}


def test_tax_aware_sells_in_taxable_only_what_the_ira_cannot() -> None:
    """Household AAPL 300 @ $100 (IRA 100, taxable 200), MSFT 0; target AAPL 1/3: sell $20,000.
    The IRA sells all 100; the taxable account sells the other 100 and buys MSFT with the proceeds."""
    hh = household(
        lot("brokerage", "AAPL", 200, 4000),
        lot("ira", "AAPL", 100, 9000),
        cash={"brokerage": "0", "ira": "0"},
        kinds={"ira": AccountKind.TAX_EXEMPT},
    )
    p = plan(hh, {"AAPL": "100", "MSFT": "100"}, {"AAPL": 1 / 3, "MSFT": 2 / 3})
    assert [(t.account, t.side, t.symbol, t.quantity) for t in p.trades] == [
        ("brokerage", Side.SELL, "AAPL", D(100)),
        ("ira", Side.SELL, "AAPL", D(100)),
        ("brokerage", Side.BUY, "MSFT", D(100)),
        ("ira", Side.BUY, "MSFT", D(100)),
    ]
    assert p.realized_long == D("8000")


def test_tax_aware_prefers_the_taxable_account_with_losses() -> None:
    """Two taxable accounts hold 100 AAPL @ $100 each: one at a $20/share loss, one at a $60 gain.
    Selling $10,000 of AAPL comes from the loss account: realized -2,000 long-term, tax -400."""
    hh = household(
        lot("gain", "AAPL", 100, 4000), lot("loss", "AAPL", 100, 12000), cash={"gain": "0", "loss": "0"}
    )
    p = plan(hh, {"AAPL": "100"}, {"AAPL": 0.5, "CASH": 0.5})
    assert [(t.account, t.side, t.quantity) for t in p.trades] == [("loss", Side.SELL, D(100))]
    assert p.realized_long == D("-2000") and p.estimated_tax == D("-400.00")


@pytest.mark.parametrize(
    ("method", "gain", "term", "tax"),
    [
        (ReliefMethod.FIFO, "700", Term.LONG, "140.00"),  # 2015 lot @ $50: 10 x (120 - 50)
        (ReliefMethod.HIFO, "-300", Term.SHORT, "-111.00"),  # 2022 lot @ $150: 10 x (120 - 150)
        (ReliefMethod.LIFO, "-300", Term.SHORT, "-111.00"),
        (ReliefMethod.SPEC_ID, "-300", Term.SHORT, "-111.00"),  # the planner names the loss lot
        (ReliefMethod.MIN_TAX, "-300", Term.SHORT, "-111.00"),  # per-share tax -11.10 beats +14.00
        (ReliefMethod.AVG_COST, "200", Term.LONG, "40.00"),  # first-acquired shares at the $100 average
    ],
)
def test_hifo_versus_fifo_gains(method: ReliefMethod, gain: str, term: Term, tax: str) -> None:
    """AAPL lots 10 @ $50 (2015-01-05) and 10 @ $150 (2022-06-01), price $120; sell 10 shares.
    FIFO realizes +700 long (tax 0.20 x 700 = 140); HIFO -300 short (a saving of 0.37 x 300 = 111)."""
    hh = household(
        lot("brokerage", "AAPL", 10, 500, date(2015, 1, 5), "old"),
        lot("brokerage", "AAPL", 10, 1500, date(2022, 6, 1), "new"),
    )
    p = plan(
        hh,
        {"AAPL": "120"},
        {"AAPL": 0.5, "CASH": 0.5},
        tax=TaxSettings(short_term_rate=0.37, long_term_rate=0.20, relief_method=method),
    )
    (trade,) = p.trades
    (relief,) = trade.lots
    assert relief.realized_gain == D(gain) and relief.term is term
    assert p.estimated_tax == D(tax)
    kept = p.after.lots_of("brokerage", "AAPL")
    assert len(kept) == 1 and kept[0].lot_id == (
        "new" if method in (ReliefMethod.FIFO, ReliefMethod.AVG_COST) else "old"
    )


@pytest.mark.parametrize(
    ("short", "long", "tax"),
    [
        ("1000", "2000", "770.00"),  # 0.37 x 1000 + 0.20 x 2000
        ("-1000", "3000", "400.00"),  # ST loss offsets LT gain: 2,000 long left
        ("-3000", "1000", "-740.00"),  # 2,000 short-term loss left: saves 0.37 x 2,000
        ("500", "-2000", "-300.00"),  # 1,500 long-term loss left: saves 0.20 x 1,500
        ("2000", "-500", "555.00"),  # 1,500 short-term gain left
        ("-100", "-100", "-57.00"),  # both losses keep their character
        ("0", "0", "0.00"),
    ],
)
def test_estimated_tax_netting(short: str, long: str, tax: str) -> None:
    """Schedule D order: nets per character, then a net loss of one offsets the other's gain."""
    assert estimate_tax(D(short), D(long), RATES) == D(tax)


def test_sells_come_first_across_accounts() -> None:
    """Two accounts each swap AAPL for MSFT: both sells are listed before both buys."""
    hh = household(
        lot("a", "AAPL", 10, 1000),
        lot("b", "AAPL", 10, 1000),
        cash={"a": "0", "b": "0"},
        kinds={"b": AccountKind.TAX_DEFERRED},
    )
    p = plan(hh, {"AAPL": "100", "MSFT": "100"}, {"MSFT": 1.0})
    sides = [t.side for t in p.trades]
    assert sides == [Side.SELL, Side.SELL, Side.BUY, Side.BUY]


def test_pro_rata_per_account_targets_override() -> None:
    """Pro rata with a per-account target: the IRA goes all BND; the taxable account follows the household."""
    hh = household(
        lot("brokerage", "AAPL", 10, 1000),
        lot("ira", "AAPL", 10, 1000),
        cash={"brokerage": "0", "ira": "0"},
        kinds={"ira": AccountKind.TAX_DEFERRED},
    )
    targets = TargetAllocation({"AAPL": 0.5, "BND": 0.5}, per_account={"ira": {"BND": 1.0}})
    p = plan(hh, {"AAPL": "100", "BND": "50"}, targets, trading=TradingSettings(placement=Placement.PRO_RATA))
    assert p.after.quantity("AAPL", "ira") == 0 and p.after.quantity("BND", "ira") == 20
    assert p.after.quantity("AAPL", "brokerage") == 5 and p.after.quantity("BND", "brokerage") == 10


def test_tax_aware_with_a_pinned_account_reaches_the_household_target_elsewhere() -> None:
    """The IRA is pinned to 100 % BND; the household wants 50/50 AAPL/BND, so the taxable account holds
    the AAPL half: the IRA sells its AAPL and buys BND, the taxable account (all AAPL) does nothing."""
    hh = household(
        lot("brokerage", "AAPL", 10, 1000),
        lot("ira", "AAPL", 10, 1000),
        cash={"brokerage": "0", "ira": "0"},
        kinds={"ira": AccountKind.TAX_DEFERRED},
    )
    p = plan(hh, {"AAPL": "100", "BND": "50"}, {"AAPL": 0.5, "BND": 0.5}, per_account={"ira": {"BND": 1.0}})
    assert [(t.account, t.side, t.symbol, t.quantity) for t in p.trades] == [
        ("ira", Side.SELL, "AAPL", D(10)),
        ("ira", Side.BUY, "BND", D(20)),
    ]


def test_costs_with_ticket_and_impact_are_paid_from_cash() -> None:
    """A $1 ticket per trade and market impact when sigma and volume are given: the cost of each trade is
    CostModel.estimate(quantity, price, sigma, volume) and the cash identity holds exactly (KAT-12c)."""
    costs = CostSettings(commission_per_trade=D(1), half_spread_bps=5, impact=ImpactSettings())
    hh = household(lot("brokerage", "AAPL", 1000, 50000), cash={"brokerage": "1000"})
    sigma, volume = {"AAPL": 0.02, "MSFT": 0.02}, {"AAPL": 1e6, "MSFT": 1e6}
    p = plan(
        hh,
        {"AAPL": "100", "MSFT": "100"},
        {"AAPL": 0.5, "MSFT": 0.5},
        costs=costs,
        sigma=sigma,
        volume=volume,
    )
    model = CostModel.from_settings(costs)
    for t in p.trades:
        assert t.estimated_cost == model.estimate(t.quantity, t.price, sigma=0.02, volume=1e6)
        assert t.estimated_cost > 1
    sells = sum(t.value - t.estimated_cost for t in p.sells)
    buys = sum(t.value + t.estimated_cost for t in p.buys)
    assert p.cash_after()["brokerage"] == D("1000") + sells - buys >= 0
    assert p.value_after() == p.value_before() - p.transaction_cost


def test_custom_cost_model_is_used() -> None:
    """An explicit cost model overrides the settings (a $7 ticket here)."""
    from trimtab.models.costs import FixedCost

    p = plan(
        household(cash={"brokerage": "1000"}),
        {"XYZ": "10"},
        {"XYZ": 1.0},
        cost_model=CostModel(FixedCost(7.0)),
    )
    (trade,) = p.trades
    assert trade.estimated_cost == D("7.00") and trade.quantity == 99  # 100 x 10 + 7 > 1000


@pytest.mark.parametrize(
    ("weights", "prices", "error"),
    [
        ({"AAPL": 0.6, "MSFT": 0.6}, {"AAPL": "1", "MSFT": "1"}, TargetError),
        ({"AAPL": -0.5, "MSFT": 1.5}, {"AAPL": "1", "MSFT": "1"}, TargetError),
        ({"AAPL": 0.5, "MSFT": 0.5}, {"AAPL": "1"}, MissingPriceError),
        ({"AAPL": 1.0}, {"AAPL": "0"}, MissingPriceError),
        ({"AAPL": 1.0}, {"AAPL": "abc"}, MissingPriceError),
    ],
)
def test_bad_inputs_raise_typed_errors(
    weights: dict[str, float], prices: dict[str, str], error: type
) -> None:
    hh = household(lot("brokerage", "AAPL", 1, 1))
    with pytest.raises(error):
        plan_trades(hh, prices, weights, as_of=AS_OF, costs=FREE, trading=TradingSettings(), tax=RATES)  # type: ignore[arg-type]


def test_unknown_per_account_and_future_lots_raise() -> None:
    hh = household(lot("brokerage", "AAPL", 1, 1))
    with pytest.raises(AccountError, match="nope"):
        plan(hh, {"AAPL": "1"}, {"AAPL": 1.0}, per_account={"nope": {"AAPL": 1.0}})
    future = household(lot("brokerage", "AAPL", 1, 1, date(2023, 1, 3)))
    with pytest.raises(LotError, match="after the plan date"):
        plan(future, {"AAPL": "1"}, {"AAPL": 1.0})
