"""Hypothesis properties of the tax engine (200 examples each).

Random household histories (two taxable accounts, an IRA and a Roth; symbols A and A2 substantially
identical, B on its own; whole and fractional shares; fees; every relief method):

* basis is conserved through wash sales: disallowed losses move into replacement lots, never vanish, except
  into IRAs/Roths where they are reported as permanently disallowed;
* no lot is sold twice; quantities are conserved per lot and per position;
* every wash-sale match is inside the 61-day window, between identical symbols, uses each replacement share
  once, and no gain is ever washed.

Relief: greedy min-tax equals the LP; the netted min-tax plan is the exact optimum (brute force); the gain
curve is convex and equals the exact evaluation at its breakpoints; relief conserves basis and shares.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.domain.lots import ReliefMethod, TaxLot, Term
from trimtab.domain.trades import Side
from trimtab.tax.ledger import TaxLedger, Transaction
from trimtab.tax.netting import netted_tax
from trimtab.tax.relief import minimal_tax, minimal_tax_lp, plan_relief, realized_gain_curve, relieve
from trimtab.tax.rules import TaxRates, holding_term
from trimtab.tax.wash_sale import in_wash_window

D = Decimal
ZERO = D(0)
KINDS = {"t1": "taxable", "t2": "taxable", "ira": "tax_deferred", "roth": "tax_exempt"}
SYMBOLS = ["A", "A2", "B"]
IDENTICAL = [["A", "A2"]]
PROPERTY = settings(max_examples=200, deadline=None)


#: One step: days later, account, symbol, price in cents, fees in cents, wants to sell, share of the holding
#: sold (per mille), quantity bought (thousandths of a share).
STEP = st.tuples(
    st.integers(0, 25),
    st.sampled_from(list(KINDS)),
    st.sampled_from(SYMBOLS),
    st.integers(100, 20000),
    st.sampled_from([0, 0, 1, 499]),
    st.booleans(),
    st.integers(1, 1000),
    st.integers(1, 100_000),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[str, list[Transaction]]:
    """A method and a valid, date-ordered list of trades (sells never exceed holdings)."""
    method = draw(st.sampled_from(["fifo", "lifo", "hifo", "avg_cost"]))
    unit = D("0.001") if draw(st.booleans()) else D(1)  # fractional or whole shares
    steps = draw(st.lists(STEP, min_size=1, max_size=24))
    day = date(2020, 1, 2)
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    out: list[Transaction] = []
    for days, account, symbol, cents, fee_cents, wants_sell, permille, bought in steps:
        day += timedelta(days=days)
        have = held[(account, symbol)]
        if have > 0 and wants_sell:
            quantity = max(unit, (have * permille / 1000 / unit).to_integral_value() * unit)
            quantity = min(quantity, have)
            side = Side.SELL
            held[(account, symbol)] -= quantity
        else:
            quantity = (
                max(unit, (D(bought) / 1000 / unit).to_integral_value() * unit)
                if unit < 1
                else D(bought % 100 + 1)
            )
            side = Side.BUY
            held[(account, symbol)] += quantity
        out.append(
            Transaction(
                on=day,
                account=account,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=D(cents) / 100,
                fees=D(fee_cents) / 100,
                lot_id=f"L{len(out)}" if side is Side.BUY else "",
            )
        )
    return method, out


def replay(method: str, txs: list[Transaction]) -> TaxLedger:
    ledger = TaxLedger(KINDS, identical=IDENTICAL, method=method)
    for tx in txs:
        ledger.apply(tx)
    return ledger


def is_taxable(account: str) -> bool:
    return KINDS[account] == "taxable"


@PROPERTY
@given(histories())
def test_basis_is_conserved_through_wash_sales(history: tuple[str, list[Transaction]]) -> None:
    """Disallowed losses move into replacement bases, never vanish, except into IRAs (reported permanent)."""
    method, txs = history
    ledger = replay(method, txs)
    disposals = ledger.realized(include_untaxed=True)
    matches = ledger.wash_sales
    moved = sum((m.amount for m in matches if not m.permanent), ZERO)
    permanent = sum((m.amount for m in matches if m.permanent), ZERO)
    for taxable in (True, False):
        cost = sum(
            (
                t.quantity * t.price + t.fees
                for t in txs
                if t.side is Side.BUY and is_taxable(t.account) is taxable
            ),
            ZERO,
        )
        open_basis = sum(
            (lot.cost_basis for lot in ledger.open_lots() if is_taxable(lot.account) is taxable), ZERO
        )
        relieved = sum((r.cost_basis for r in disposals if r.taxable is taxable), ZERO)
        assert open_basis + relieved == cost + (moved if taxable else ZERO)  # exact
    assert all(not is_taxable(m.replacement_account) for m in matches if m.permanent)
    assert sum((r.wash_sale_disallowed for r in disposals), ZERO) == moved + permanent
    assert sum((r.permanently_disallowed for r in disposals), ZERO) == permanent
    # Recognized gains = economic gains of what was sold + permanently disallowed losses (taxable accounts).
    taxable_cost = sum(
        (t.quantity * t.price + t.fees for t in txs if t.side is Side.BUY and is_taxable(t.account)), ZERO
    )
    taxable_proceeds = sum((r.proceeds for r in disposals if r.taxable), ZERO)
    taxable_open = sum((lot.cost_basis for lot in ledger.open_lots() if is_taxable(lot.account)), ZERO)
    recognized = sum((r.gain for r in disposals if r.taxable), ZERO)
    assert recognized == taxable_proceeds - taxable_cost + taxable_open + permanent
    gross = sum(
        (t.quantity * t.price - t.fees for t in txs if t.side is Side.SELL and is_taxable(t.account)), ZERO
    )
    assert taxable_proceeds == gross


@PROPERTY
@given(histories())
def test_no_lot_sold_twice_and_quantities_conserved(history: tuple[str, list[Transaction]]) -> None:
    """Per buy lot: shares sold + shares still open = shares bought; per position: bought - sold = open."""
    method, txs = history
    ledger = replay(method, txs)
    disposals = ledger.realized(include_untaxed=True)
    sold_per_lot: dict[str, Decimal] = defaultdict(Decimal)
    for r in disposals:
        sold_per_lot[r.lot_id] += r.quantity
    open_per_lot: dict[str, Decimal] = defaultdict(Decimal)
    for lot in ledger.open_lots():
        open_per_lot[lot.lot_id] += lot.quantity
        assert lot.quantity > 0
    for tx in txs:
        if tx.side is Side.BUY:
            assert sold_per_lot[tx.lot_id] + open_per_lot[tx.lot_id] == tx.quantity
    assert set(sold_per_lot) | set(open_per_lot) <= {t.lot_id for t in txs if t.side is Side.BUY}
    for account in KINDS:
        for symbol in SYMBOLS:
            bought = sum(
                (t.quantity for t in txs if (t.account, t.symbol, t.side) == (account, symbol, Side.BUY)),
                ZERO,
            )
            sold = sum(
                (t.quantity for t in txs if (t.account, t.symbol, t.side) == (account, symbol, Side.SELL)),
                ZERO,
            )
            held = sum((lot.quantity for lot in ledger.open_lots(symbol, account)), ZERO)
            assert bought - sold == held
            relieved = sum(
                (r.quantity for r in disposals if (r.account, r.symbol) == (account, symbol)), ZERO
            )
            assert relieved == sold


@PROPERTY
@given(histories())
def test_wash_matches_are_valid(history: tuple[str, list[Transaction]]) -> None:
    """Matches: in the window, identical symbols, each replacement share once, no gain washed, bounded."""
    method, txs = history
    ledger = replay(method, txs)
    bought = {t.lot_id: t for t in txs if t.side is Side.BUY}
    used: dict[str, Decimal] = defaultdict(Decimal)
    for m in ledger.wash_sales:
        assert in_wash_window(m.sold, m.replacement_acquired)
        assert ledger.identical.identical(m.sale_symbol, m.replacement_symbol)
        assert is_taxable(m.sale_account)
        assert m.amount >= 0 and m.quantity > 0  # a cent-rounded share of a tiny loss can be 0
        assert m.replacement_lot_id != m.sold_lot_id
        used[m.replacement_lot_id] += m.quantity
        if not m.permanent:
            assert m.replacement_holding_start is not None
            assert m.replacement_holding_start <= m.replacement_acquired
    for lot_id, shares in used.items():
        assert shares <= bought[lot_id].quantity
    by_sale: dict[tuple[str, date, str], Decimal] = defaultdict(Decimal)
    for m in ledger.wash_sales:
        by_sale[(m.sale_account, m.sold, m.sold_lot_id)] += m.quantity
    sold_shares: dict[tuple[str, date, str], Decimal] = defaultdict(Decimal)
    for r in ledger.realized(include_untaxed=True):
        sold_shares[(r.account, r.sold, r.lot_id)] += r.quantity
        if r.raw_gain >= 0 or not r.taxable:
            assert r.wash_sale_disallowed == 0  # gains are never washed
        else:
            assert 0 <= r.wash_sale_disallowed <= -r.raw_gain
            assert r.gain <= 0
    for key, shares in by_sale.items():
        assert shares <= sold_shares[key]


# -- relief -------------------------------------------------------------------------------------------------
SOLD = date(2024, 6, 3)


def lot_sets(max_lots: int = 8, max_shares: int = 500) -> st.SearchStrategy[list[TaxLot]]:
    """Lots of one symbol: (shares, unit cost in cents, days held) each."""
    spec = st.tuples(st.integers(1, max_shares), st.integers(100, 30000), st.integers(1, 1500))

    def build(rows: list[tuple[int, int, int]]) -> list[TaxLot]:
        return [
            TaxLot(
                account="t",
                symbol="X",
                quantity=D(q),
                cost_basis=D(q) * D(cents) / 100,
                acquired=SOLD - timedelta(days=days),
                lot_id=f"L{i}",
            )
            for i, (q, cents, days) in enumerate(rows)
        ]

    return st.lists(spec, min_size=1, max_size=max_lots).map(build)


rates_strategy = st.builds(
    lambda short, long_: TaxRates(short_term=D(short) / 100, long_term=D(long_) / 100),
    st.integers(0, 50),
    st.integers(0, 30),
)


@PROPERTY
@given(lot_sets(), st.integers(50, 300), rates_strategy, st.floats(0, 1))
def test_greedy_min_tax_equals_lp(
    lots: list[TaxLot], price_cents: int, rates: TaxRates, fraction: float
) -> None:
    """KAT-24: greedy (ascending per-share tax) = LP optimum on random lots (1e-9, relative to the scale)."""
    price = D(price_cents)
    total = sum((lot.quantity for lot in lots), ZERO)
    quantity = (total * D(repr(round(fraction, 4)))).quantize(D(1))
    greedy = minimal_tax(lots, quantity, price=price, sold=SOLD, rates=rates)
    lp = minimal_tax_lp(lots, quantity, price=price, sold=SOLD, rates=rates)
    scale = max(1.0, float(sum((lot.cost_basis for lot in lots), ZERO)))
    assert float(greedy) == pytest.approx(lp, abs=1e-9 * scale)


@PROPERTY
@given(lot_sets(), st.integers(50, 300), rates_strategy)
def test_gain_curve_is_convex_and_exact_at_breakpoints(
    lots: list[TaxLot], price_cents: int, rates: TaxRates
) -> None:
    """The convex proxy: slopes non-decreasing; min_tax relief evaluated exactly equals it at breakpoints."""
    price = D(price_cents)
    curve = realized_gain_curve(lots, price, rates, sold=SOLD)
    slopes = curve.slopes
    assert all(a <= b for a, b in itertools.pairwise(slopes))
    for point in curve.breakpoints[1:]:
        reliefs, _ = relieve(
            lots, point.shares, price=price, sold=SOLD, method=ReliefMethod.MIN_TAX, rates=rates
        )
        exact_tax = sum((rates.rate(r.term) * r.realized_gain for r in reliefs), ZERO)
        assert exact_tax == point.tax
        assert sum((r.realized_gain for r in reliefs), ZERO) == point.realized_gain
    slope_list, intercepts = curve.affine_pieces()
    for point in curve.breakpoints:
        q = float(point.shares)
        assert max(s * q + c for s, c in zip(slope_list, intercepts, strict=True)) == pytest.approx(
            float(point.tax), abs=1e-6
        )


@PROPERTY
@given(lot_sets(max_lots=6), st.integers(0, 1000), st.sampled_from(list(ReliefMethod)), rates_strategy)
def test_relief_conserves_basis_and_shares(
    lots: list[TaxLot], permille: int, method: ReliefMethod, rates: TaxRates
) -> None:
    """Every method sells exactly ``quantity``, never more of a lot than it holds, and conserves basis."""
    total = sum((lot.quantity for lot in lots), ZERO)
    quantity = (total * permille / 1000).quantize(D(1))
    ids = [lot.lot_id for lot in lots]
    reliefs, remaining = relieve(
        lots, quantity, price=D(100), sold=SOLD, method=method, specific_ids=ids, rates=rates
    )
    assert sum((r.quantity for r in reliefs), ZERO) == quantity
    assert sum((r.quantity for r in reliefs), ZERO) + sum((lot.quantity for lot in remaining), ZERO) == total
    assert sum((r.cost_basis for r in reliefs), ZERO) + sum(
        (lot.cost_basis for lot in remaining), ZERO
    ) == sum((lot.cost_basis for lot in lots), ZERO)
    per_lot: dict[str, Decimal] = defaultdict(Decimal)
    for r in reliefs:
        per_lot[r.lot_id] += r.quantity
    original = {lot.lot_id: lot.quantity for lot in lots}
    assert all(per_lot[i] <= original[i] for i in per_lot)


def _netted(
    lots: list[TaxLot], take: tuple[int, ...], context: tuple[Decimal, Decimal], rates: TaxRates
) -> Fraction:
    st_gain, lt_gain = Fraction(context[0]), Fraction(context[1])
    for lot, x in zip(lots, take, strict=True):
        gain = Fraction(x) * (Fraction(100) - Fraction(lot.cost_basis) / Fraction(lot.quantity))
        if holding_term(lot.holding_start, SOLD) is Term.SHORT:
            st_gain += gain
        else:
            lt_gain += gain
    # exact netted tax with Fractions (same rules as netted_tax, checked against it below)
    ts, tl, to = Fraction(rates.short_term), Fraction(rates.long_term), Fraction(rates.ordinary_rate)
    net = st_gain + lt_gain
    if st_gain >= 0 and lt_gain >= 0:
        return ts * st_gain + tl * lt_gain
    if net >= 0:
        return ts * net if st_gain >= 0 else tl * net
    return -to * min(Fraction(3000), -net)


@PROPERTY
@given(
    lot_sets(max_lots=4, max_shares=6),
    st.integers(1, 24),
    st.tuples(st.integers(-60, 60), st.integers(-60, 60)),
    rates_strategy,
)
def test_netted_min_tax_is_the_exact_optimum(
    lots: list[TaxLot], want: int, context: tuple[int, int], rates: TaxRates
) -> None:
    """KAT-24b: min_tax with the year's gains is the exact minimum of the netted tax (brute force)."""
    total = int(sum((lot.quantity for lot in lots), ZERO))
    quantity = min(want, total)
    ctx = (D(context[0]) * 100, D(context[1]) * 100)
    plan = plan_relief(
        lots,
        D(quantity),
        method=ReliefMethod.MIN_TAX,
        price=D(100),
        sold=SOLD,
        rates=rates,
        realized_so_far=ctx,
    )
    assert sum((x for _, x in plan), ZERO) == quantity
    chosen = [ZERO] * len(lots)
    for i, x in plan:
        chosen[i] += x
        assert x <= lots[i].quantity
    # the plan may split a lot at a fractional share only where a kink lies; evaluate it exactly
    best_plan = _netted(lots, tuple(chosen), ctx, rates)  # type: ignore[arg-type]
    brute = min(
        _netted(lots, take, ctx, rates)
        for take in itertools.product(*(range(int(lot.quantity) + 1) for lot in lots))
        if sum(take) == quantity
    )
    assert best_plan <= brute
    # the fraction-based check agrees with the library's Decimal netted_tax
    sample = tuple(int(lot.quantity) for lot in lots)
    if sum(sample) == total:
        st_, lt_ = ctx
        for lot in lots:
            gain = 100 * lot.quantity - lot.cost_basis
            if holding_term(lot.holding_start, SOLD) is Term.SHORT:
                st_ += gain
            else:
                lt_ += gain
        assert Fraction(netted_tax(st_, lt_, rates)) == _netted(lots, sample, ctx, rates)
