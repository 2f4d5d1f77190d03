"""Known answers for the tax engine (KNOWN_ANSWERS.md section 3), through the library.

Each test names its KAT id; the CLI versions are in ``test_tax_cli.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from trimtab.domain.lots import ReliefMethod, TaxLot, Term
from trimtab.tax.harvest import harvest_benefit
from trimtab.tax.ledger import TaxLedger
from trimtab.tax.netting import net_capital_gains, net_years, netted_tax
from trimtab.tax.relief import (
    minimal_tax,
    minimal_tax_lp,
    order_lots,
    per_share_tax,
    plan_relief,
    realized_gain_curve,
    taxmin_order,
)
from trimtab.tax.rules import TaxRates, first_long_term_date, holding_term
from trimtab.tax.wash_sale import tacked_holding_start

D = Decimal


def only(items: list) -> object:  # type: ignore[type-arg]
    assert len(items) == 1, items
    return items[0]


# -- KAT-16 -------------------------------------------------------------------------------------------------
def test_kat16_basic_wash_sale_pub550() -> None:
    """KAT-16: buy 100 for $1,000, sell for $750, rebuy 100 for $800 within 30 days."""
    ledger = TaxLedger.from_lines(
        "2025-01-06 BUY 100 XYZ @ 10.00", "2025-06-02 SELL 100 XYZ @ 7.50", "2025-06-16 BUY 100 XYZ @ 8.00"
    )
    sale = only(ledger.realized())
    assert sale.raw_gain == D("-250")
    assert sale.wash_sale_disallowed == D("250.00")
    assert sale.gain == 0  # nothing deductible
    assert ledger.disallowed_loss("XYZ") == D("250.00")
    lot = only(ledger.open_lots("XYZ"))
    assert lot.cost_basis == D("1050.00")
    # holding period includes the sold shares' period: 147 days held (Jan 6 .. Jun 2)
    assert lot.holding_start == date(2025, 6, 16) - (date(2025, 6, 2) - date(2025, 1, 6))
    assert lot.holding_start == date(2025, 1, 20)


# -- KAT-16b ------------------------------------------------------------------------------------------------
SALE_DAY = date(2024, 6, 14)


@pytest.mark.parametrize(
    "offset,washed", [(-31, False), (-30, True), (-1, True), (0, True), (1, True), (30, True), (31, False)]
)
def test_kat16b_window_edges(offset: int, washed: bool) -> None:
    """KAT-16b: a purchase D-30 .. D+30 (calendar days, trade dates) washes a loss on D; D-31, D+31 do not."""
    ledger = TaxLedger()
    ledger.buy("taxable", "X", D(100), D(10), on=date(2024, 1, 2))
    buy_day = SALE_DAY + timedelta(days=offset)
    if offset < 0:
        ledger.buy("taxable", "X", D(100), D(9), on=buy_day)
    ledger.sell("taxable", "X", D(100), D(8), on=SALE_DAY)  # FIFO: the January lot, loss $200
    if offset >= 0:
        ledger.buy("taxable", "X", D(100), D(9), on=buy_day)
    sale = only(ledger.realized())
    assert sale.raw_gain == D(-200)
    assert sale.wash_sale_disallowed == (D(200) if washed else 0)
    replacement = only(ledger.open_lots("X"))
    assert replacement.cost_basis == (D(1100) if washed else D(900))


def test_kat16b_gains_are_never_washed() -> None:
    """KAT-16b: selling at a gain and rebuying the next day changes nothing."""
    ledger = TaxLedger.from_lines(
        "2024-01-02 BUY 100 X @ 10", "2024-03-01 SELL 100 X @ 12", "2024-03-02 BUY 100 X @ 12"
    )
    sale = only(ledger.realized())
    assert (sale.gain, sale.wash_sale_disallowed) == (D(200), 0)
    lot = only(ledger.open_lots())
    assert (lot.cost_basis, lot.holding_start) == (D(1200), date(2024, 3, 2))
    assert ledger.wash_sales == []


def test_kat16b_purchase_in_another_household_account_washes() -> None:
    """KAT-16b: a spouse's purchase counts; modelled as another taxable account of the household."""
    ledger = TaxLedger.from_lines(
        "2024-01-02 BUY 100 X @ 10 in mine",
        "2024-06-14 SELL 100 X @ 8 in mine",
        "2024-06-20 BUY 50 X @ 9 in spouse",
    )
    assert only(ledger.realized()).wash_sale_disallowed == D(100)
    lot = only(ledger.open_lots(account="spouse"))
    assert (lot.cost_basis, lot.holding_start) == (D(550), date(2024, 1, 8))


# -- KAT-17 -------------------------------------------------------------------------------------------------
def test_kat17_replacements_bought_before_sale_partial_disallowance() -> None:
    """KAT-17 (Pub 550 Example 1): 75 replacement shares bought 21 and 13 days before the sale."""
    ledger = TaxLedger.from_lines(
        "2013-09-26 BUY 100 M @ 50",
        "2013-12-19 BUY 50 M @ 55",
        "2013-12-27 BUY 25 M @ 45",
        "2014-01-09 SELL 100 M @ 40",
    )
    sale = only(ledger.realized())
    assert sale.raw_gain == D(-1000)
    assert sale.wash_sale_disallowed == D(750)
    assert sale.gain == D(-250)  # $250 deductible
    lots = ledger.open_lots("M")
    assert [(lot.quantity, lot.cost_basis) for lot in lots] == [(D(50), D(3250)), (D(25), D(1375))]
    assert [m.amount for m in ledger.wash_sales] == [D(500), D(250)]


# -- KAT-18 -------------------------------------------------------------------------------------------------
def test_kat18_more_replacement_shares_than_sold_matched_in_purchase_order() -> None:
    """KAT-18 (Pub 550 Example 2): +$500 to the Feb 11 lot, +$500 to the Feb 12 lot, Feb 13/14 unchanged."""
    ledger = TaxLedger.from_lines(
        "2013-09-26 BUY 100 M @ 50",
        "2014-02-06 SELL 100 M @ 40",
        "2014-02-11 BUY 50 M @ 41",
        "2014-02-12 BUY 50 M @ 42",
        "2014-02-13 BUY 50 M @ 43",
        "2014-02-14 BUY 50 M @ 44",
    )
    sale = only(ledger.realized())
    assert (sale.raw_gain, sale.wash_sale_disallowed, sale.gain) == (D(-1000), D(1000), 0)
    lots = {lot.acquired: lot for lot in ledger.open_lots("M")}
    held = date(2014, 2, 6) - date(2013, 9, 26)
    assert lots[date(2014, 2, 11)].cost_basis == 50 * D(41) + 500
    assert lots[date(2014, 2, 12)].cost_basis == 50 * D(42) + 500
    assert lots[date(2014, 2, 13)].cost_basis == 50 * D(43)
    assert lots[date(2014, 2, 14)].cost_basis == 50 * D(44)
    assert lots[date(2014, 2, 11)].holding_start == date(2014, 2, 11) - held
    assert lots[date(2014, 2, 12)].holding_start == date(2014, 2, 12) - held
    assert lots[date(2014, 2, 13)].holding_period_start is None


# -- KAT-19 -------------------------------------------------------------------------------------------------
def test_kat19_same_day_blocks_washed_loss_does_not_offset_gains() -> None:
    """KAT-19 (Pub 550): blocks at $158, $100, $95 all sold at $125; 250 bought 13 days later."""
    ledger = TaxLedger.from_lines(
        "2008-02-04 BUY 100 X @ 158",
        "2008-05-05 BUY 100 X @ 100",
        "2008-08-04 BUY 100 X @ 95",
        "2013-12-27 SELL 300 X @ 125",
        "2014-01-09 BUY 250 X @ 120",
    )
    block1, block2, block3 = ledger.realized()
    assert block1.raw_gain == D(-3300) and block1.wash_sale_disallowed == D(3300) and block1.gain == 0
    assert (block2.gain, block3.gain) == (D(2500), D(3000))
    assert block2.gain + block3.gain == D(5500)  # recognized in full
    assert sum(r.gain for r in ledger.realized(year=2013)) == D(5500)
    lots = ledger.open_lots("X")
    assert sorted((lot.quantity, lot.cost_basis) for lot in lots) == [
        (D(100), D(12000 + 3300)),
        (D(150), D(18000)),
    ]


# -- KAT-20 -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["tax_deferred", "tax_exempt"])
@pytest.mark.parametrize("ira_first", [False, True])
def test_kat20_ira_replacement_disallows_permanently(kind: str, ira_first: bool) -> None:
    """KAT-20 (Rev. Rul. 2008-5): IRA/Roth buys 100 X a day after (or before) the taxable loss sale."""
    lines = ["2007-01-02 BUY 100 X @ 10", "2007-12-20 SELL 100 X @ 6"]
    ira_buy = "2007-12-21 BUY 100 X @ 6 in ira" if not ira_first else "2007-12-19 BUY 100 X @ 6.10 in ira"
    lines = [lines[0], ira_buy, lines[1]] if ira_first else [*lines, ira_buy]
    ledger = TaxLedger.from_lines(*lines, accounts={"ira": kind})
    sale = only(ledger.realized())
    assert (sale.raw_gain, sale.wash_sale_disallowed, sale.permanently_disallowed) == (
        D(-400),
        D(400),
        D(400),
    )
    assert sale.gain == 0
    ira_lot = only(ledger.open_lots(account="ira"))
    assert ira_lot.cost_basis == 100 * (D("6.10") if ira_first else D(6))  # no basis increase
    assert ira_lot.holding_period_start is None
    assert ledger.permanently_disallowed() == D(400)
    assert any(f.code == "permanent_wash_sale" for f in ledger.flags)
    only(ledger.wash_sales)
    assert ledger.wash_sales[0].permanent


# -- KAT-21 -------------------------------------------------------------------------------------------------
def test_kat21_part_of_one_lot_is_not_a_wash_but_flagged() -> None:
    """KAT-21 (Fairmark): sell 100 of a 200-share lot at a loss 11 days after buying it: $1,000 deductible."""
    ledger = TaxLedger.from_lines("2014-06-01 BUY 200 XYZ @ 50", "2014-06-12 SELL 100 XYZ @ 40")
    sale = only(ledger.realized())
    assert (sale.gain, sale.wash_sale_disallowed) == (D(-1000), 0)
    assert "same_lot_not_replacement" in sale.flags
    assert [f.code for f in ledger.flags] == ["same_lot_not_replacement"]
    assert only(ledger.open_lots()).cost_basis == D(5000)


def test_kat21_same_day_round_trip() -> None:
    """KAT-21 (Fairmark): buy 100 for $1,000, sell for $900; buy 100 for $800, sell for $900, same day."""
    ledger = TaxLedger.from_lines(
        "2014-05-01 BUY 100 XYZ @ 10",
        "2014-05-01 SELL 100 XYZ @ 9",
        "2014-05-01 BUY 100 XYZ @ 8",
        "2014-05-01 SELL 100 XYZ @ 9",
    )
    first, second = ledger.realized()
    assert (first.raw_gain, first.wash_sale_disallowed, first.gain) == (D(-100), D(100), 0)
    assert second.cost_basis == D(900)
    assert second.gain == 0
    assert sum(r.gain for r in ledger.realized()) == 0
    assert ledger.open_lots() == []


# -- KAT-22 / 22b -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bought,sold,term",
    [
        (date(2012, 9, 19), date(2013, 9, 19), Term.SHORT),  # J.K. Lasser 2013, §5.9
        (date(2012, 9, 19), date(2013, 9, 20), Term.LONG),
        (date(2008, 1, 1), date(2009, 1, 1), Term.SHORT),  # Motley Fool
        (date(2008, 1, 1), date(2009, 1, 2), Term.LONG),
        (date(2009, 3, 15), date(2010, 3, 16), Term.LONG),  # the known wrong answer says 2010-03-17
        (date(2009, 3, 15), date(2010, 3, 15), Term.SHORT),
        (date(2012, 11, 30), date(2013, 11, 30), Term.SHORT),  # KAT-22b month end
        (date(2012, 11, 30), date(2013, 12, 1), Term.LONG),
        (date(2023, 2, 28), date(2024, 2, 29), Term.SHORT),
        (date(2023, 2, 28), date(2024, 3, 1), Term.LONG),
        (date(2024, 2, 29), date(2025, 2, 28), Term.SHORT),
        (date(2024, 2, 29), date(2025, 3, 1), Term.LONG),
    ],
)
def test_kat22_holding_period_via_ledger(bought: date, sold: date, term: Term) -> None:
    """KAT-22 / KAT-22b: long-term iff sold after the one-year anniversary (month-end rule)."""
    assert holding_term(bought, sold) is term
    ledger = TaxLedger()
    ledger.buy("taxable", "X", D(10), D(10), on=bought)
    ledger.sell("taxable", "X", D(10), D(11), on=sold)
    assert only(ledger.realized()).term is term


@pytest.mark.parametrize(
    "bought,first_long",
    [
        (date(2012, 9, 19), date(2013, 9, 20)),
        (date(2008, 1, 1), date(2009, 1, 2)),
        (date(2009, 3, 15), date(2010, 3, 16)),
        (date(2012, 11, 30), date(2013, 12, 1)),
        (date(2023, 2, 28), date(2024, 3, 1)),
        (date(2024, 2, 29), date(2025, 3, 1)),
    ],
)
def test_kat22_first_long_term_date(bought: date, first_long: date) -> None:
    """KAT-22 / 22b: the first long-term sale date."""
    assert first_long_term_date(bought) == first_long


def test_kat22_inherited_shares_are_long_term() -> None:
    """KAT-22: inherited shares are long-term regardless of days held."""
    assert holding_term(date(2024, 5, 1), date(2024, 5, 2), inherited=True) is Term.LONG


def test_kat22b_wash_sale_tacking_convention() -> None:
    """KAT-22b: the replacement's holding period starts ``days held`` before its purchase (our convention).

    Bought 2024-01-02, sold at a loss 2024-06-14 (164 days held), replacement bought 2024-06-20 -> holding
    period from 2024-01-08; the replacement is short-term through 2025-01-08 and long-term from 2025-01-09.
    """
    assert (date(2024, 6, 14) - date(2024, 1, 2)).days == 164
    assert tacked_holding_start(date(2024, 6, 20), date(2024, 6, 14), date(2024, 1, 2)) == date(2024, 1, 8)
    for sold, term in ((date(2025, 1, 8), Term.SHORT), (date(2025, 1, 9), Term.LONG)):
        ledger = TaxLedger.from_lines(
            "2024-01-02 BUY 10 X @ 10", "2024-06-14 SELL 10 X @ 8", "2024-06-20 BUY 10 X @ 8"
        )
        assert only(ledger.open_lots()).holding_start == date(2024, 1, 8)
        ledger.sell("taxable", "X", D(10), D(9), on=sold)
        second = ledger.realized()[1]
        assert second.term is term
        assert second.cost_basis == D(100)  # 80 + 20 disallowed
        assert second.gain == D(-10)


# -- KAT-23 -------------------------------------------------------------------------------------------------
KAT23 = [  # ST net, LT net, limit, deduction, ST carryover, LT carryover
    (-10000, 4000, 3000, 3000, 3000, 0),
    (-10000, 4000, 1500, 1500, 4500, 0),
    (5000, -8000, 3000, 3000, 0, 0),
    (-2000, -5000, 3000, 3000, 0, 4000),
    (-4000, -4000, 3000, 3000, 1000, 4000),
    (-1000, -1500, 3000, 2500, 0, 0),
    (10000, -5000, 3000, 0, 0, 0),
]


@pytest.mark.parametrize("st,lt,limit,deduction,carry_st,carry_lt", KAT23)
def test_kat23_netting_table(
    st: int, lt: int, limit: int, deduction: int, carry_st: int, carry_lt: int
) -> None:
    """KAT-23: netting, the $3,000 / $1,500 limit and carryforwards keeping character (ST used first)."""
    status = "married_filing_separately" if limit == 1500 else "single"
    result = net_capital_gains(D(st), D(lt), filing_status=status)
    assert result.limit == limit
    assert result.deductible_against_ordinary == deduction
    assert (result.carryforward_short, result.carryforward_long) == (carry_st, carry_lt)


def test_kat23_last_row_is_a_net_short_term_gain() -> None:
    """KAT-23 row 7: +10,000 ST, -5,000 LT -> net ST gain 5,000."""
    result = net_capital_gains(D(10000), D(-5000))
    assert (result.taxable_short_term, result.taxable_long_term, result.net) == (D(5000), 0, D(5000))


def test_kat23_two_year_case() -> None:
    """KAT-23: year 1 as row 1; year 2 only an LT gain of 5,000 -> net LT gain 2,000."""
    years = net_years({2023: (D(-10000), D(4000)), 2024: (D(0), D(5000))})
    assert years[2023].carryforward_short == D(3000)
    second = years[2024]
    assert second.carryover_in_short == D(3000)
    assert (second.net, second.taxable_long_term, second.taxable_short_term) == (D(2000), D(2000), 0)
    assert (second.carryforward_short, second.carryforward_long, second.deductible_against_ordinary) == (
        0,
        0,
        0,
    )


def test_kat23_two_year_case_through_the_ledger() -> None:
    """KAT-23 two-year case from trades: ST -10,000 and LT +4,000 in 2023, LT +5,000 in 2024."""
    ledger = TaxLedger.from_lines(
        "2021-01-04 BUY 100 L @ 100",
        "2023-03-01 BUY 100 S @ 200",
        "2023-06-01 SELL 100 S @ 100",
        "2023-07-03 SELL 100 L @ 140",
        "2021-01-04 BUY 100 K @ 100".replace("2021-01-04", "2023-08-01"),
        "2024-09-03 SELL 100 K @ 150",
    )
    years = ledger.netting()
    assert (years[2023].short_term, years[2023].long_term) == (D(-10000), D(4000))
    assert years[2023].carryforward_short == D(3000)
    assert (years[2024].long_term, years[2024].net, years[2024].taxable_long_term) == (
        D(5000),
        D(2000),
        D(2000),
    )


def test_kat23_carryforward_is_deducted_in_a_year_without_sales() -> None:
    """A carried loss is still deducted in a year with no sales (net_years fills the gap)."""
    years = net_years({2022: (D(-10000), D(0)), 2024: (D(0), D(0))})
    assert [years[y].deductible_against_ordinary for y in (2022, 2023, 2024)] == [3000, 3000, 3000]
    assert years[2024].carryforward_short == D(1000)


# -- KAT-24 -------------------------------------------------------------------------------------------------
SOLD = date(2024, 6, 3)
RATES = TaxRates(short_term=D("0.37"), long_term=D("0.20"))


def kat24_lots() -> list[TaxLot]:
    short, long_ = date(2024, 1, 2), date(2020, 1, 2)
    spec = [("A", 110, short), ("B", 130, long_), ("C", 60, long_), ("D", 90, short)]
    return [
        TaxLot(
            account="taxable",
            symbol="X",
            quantity=D(100),
            cost_basis=D(100 * basis),
            acquired=acquired,
            lot_id=name,
        )
        for name, basis, acquired in spec
    ]


def _tax_of_order(order: list[TaxLot], quantity: int) -> Decimal:
    left, tax = D(quantity), D(0)
    for lot in order:
        take = min(left, lot.quantity)
        tax += take * per_share_tax(lot, price=D(100), sold=SOLD, rates=RATES)
        left -= take
    return tax


def test_kat24_worked_case_curve_and_order() -> None:
    """KAT-24: optimal order B, A, D, C; L(q) = 0, -600, -970, -600, +200; slopes -6, -3.7, +3.7, +8."""
    lots = kat24_lots()
    assert [per_share_tax(lot, price=D(100), sold=SOLD, rates=RATES) for lot in lots] == [
        D("-3.70"),
        D("-6.00"),
        D("8.00"),
        D("3.70"),
    ]
    curve = realized_gain_curve(lots, D(100), RATES, sold=SOLD)
    assert curve.lot_ids == ("B", "A", "D", "C")
    assert [b.shares for b in curve.breakpoints] == [0, 100, 200, 300, 400]
    assert [b.tax for b in curve.breakpoints] == [0, -600, -970, -600, 200]
    assert curve.slopes == (D(-6), D("-3.7"), D("3.7"), D(8))
    assert [
        lot.lot_id for lot in order_lots(lots, ReliefMethod.MIN_TAX, price=D(100), sold=SOLD, rates=RATES)
    ] == ["B", "A", "D", "C"]
    for q in (0, 50, 100, 150, 200, 250, 300, 400):
        assert minimal_tax(lots, D(q), price=D(100), sold=SOLD, rates=RATES) == pytest.approx(
            minimal_tax_lp(lots, D(q), price=D(100), sold=SOLD, rates=RATES), abs=1e-9
        )


def test_kat24_taxmin_is_not_the_per_share_optimum_and_hifo_matches() -> None:
    """KAT-24: TaxMin sells A, B, C, D: -370 at q=100 (optimum -600), -170 at q=300 (optimum -600)."""
    lots = kat24_lots()
    taxmin = taxmin_order(lots, price=D(100), sold=SOLD)
    assert [lot.lot_id for lot in taxmin] == ["A", "B", "C", "D"]
    assert _tax_of_order(taxmin, 100) == D(-370)
    assert _tax_of_order(taxmin, 300) == D(-170)
    curve = realized_gain_curve(lots, D(100), RATES, sold=SOLD)
    assert curve.tax_at(D(100)) == D(-600) and curve.tax_at(D(300)) == D(-600)
    hifo = order_lots(lots, ReliefMethod.HIFO)
    assert [lot.lot_id for lot in hifo] == ["B", "A", "D", "C"]
    for q in (100, 200, 300, 400):
        assert _tax_of_order(hifo, q) == curve.tax_at(D(q))


# -- KAT-24b ------------------------------------------------------------------------------------------------
def test_kat24b_value_of_a_loss_depends_on_the_years_other_gains() -> None:
    """KAT-24b: a 5,000 LT loss saves 1,850 against a 10,000 ST gain, 1,000 against a 10,000 LT gain; a 5,000
    ST loss saves 1,000 against a 10,000 LT gain."""

    def saving(before: tuple[int, int], after: tuple[int, int]) -> Decimal:
        return netted_tax(D(before[0]), D(before[1]), RATES) - netted_tax(D(after[0]), D(after[1]), RATES)

    assert saving((10000, 0), (10000, -5000)) == D(1850)
    assert saving((0, 10000), (0, 5000)) == D(1000)
    assert saving((0, 10000), (-5000, 10000)) == D(1000)


def test_kat24b_min_tax_prices_a_loss_by_its_effect_on_the_year() -> None:
    """KAT-24b: with a 10,000 ST gain realized, min_tax prefers a 5,000 LT loss (saves 1,850) to a 3,000 ST
    loss (saves 1,110), although the per-share model ranks the ST loss first."""
    lots = [
        TaxLot(
            account="t",
            symbol="X",
            quantity=D(100),
            cost_basis=D(15000),
            acquired=date(2020, 1, 2),
            lot_id="LT",
        ),
        TaxLot(
            account="t",
            symbol="X",
            quantity=D(100),
            cost_basis=D(13000),
            acquired=date(2024, 1, 2),
            lot_id="ST",
        ),
    ]
    per_share = plan_relief(lots, D(100), method=ReliefMethod.MIN_TAX, price=D(100), sold=SOLD, rates=RATES)
    assert [lots[i].lot_id for i, _ in per_share] == ["ST"]
    netted = plan_relief(
        lots,
        D(100),
        method=ReliefMethod.MIN_TAX,
        price=D(100),
        sold=SOLD,
        rates=RATES,
        realized_so_far=(D(10000), D(0)),
    )
    assert [lots[i].lot_id for i, _ in netted] == ["LT"]
    # and through the ledger, which passes the year's realized gains itself
    ledger = TaxLedger(method="min_tax", rates=RATES)
    ledger.buy("t", "X", D(100), D(150), on=date(2020, 1, 2))
    ledger.buy("t", "X", D(100), D(130), on=date(2024, 1, 2))
    ledger.buy("t", "G", D(100), D(100), on=date(2024, 1, 2))
    ledger.sell("t", "G", D(100), D(200), on=date(2024, 3, 1))  # +10,000 ST
    ledger.sell("t", "X", D(100), D(100), on=SOLD)
    assert only(ledger.realized(symbol="X")).term is Term.LONG
    assert ledger.tax()[2024] == D(1850)


# -- KAT-27 -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "loss,rate_now,rate_later,r,years,benefit",
    [
        (10000, "0.20", "0.20", "0", 10, "0"),
        (10000, "0.37", "0.20", "0", 10, "1700.00"),
        (10000, "0.20", "0.20", "0.05", 10, "1257.79"),
        (10000, "0.37", "0.20", "0.05", 10, "4026.91"),
        (10000, "0.37", "0", "0.05", 10, "6026.91"),
    ],
)
def test_kat27_tlh_deferral_identity(
    loss: int, rate_now: str, rate_later: str, r: str, years: int, benefit: str
) -> None:
    """KAT-27: benefit = tau0 * L * (1 + r)^T - tauT * L (to the cent; Decimal within 1e-9 of the formula)."""
    value = harvest_benefit(D(loss), D(rate_now), D(rate_later), D(r), years)
    assert value.quantize(D("0.01")) == D(benefit)
    exact = D(rate_now) * loss * (1 + D(r)) ** years - D(rate_later) * loss
    assert abs(value - exact) < D("1e-9")
