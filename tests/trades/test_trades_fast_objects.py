"""The hot paths' object builders make exactly what the constructors make, and reject what they reject.

Oracle: the frozen dataclasses' own constructors (``TaxLot(...)``, ``Trade(...)``, ``LotRelief(...)``,
``SizedTrade(...)``, ``TradeRecord(...)``).  The planner, lot relief, lot merging and the simulator build
these objects through the slots' setters for speed (issue 6, second round); for any input the builder
must give an object equal to the constructor's, with the same field values and types (Decimals compared
as strings, so exponents count), or raise the same error class.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trimtab.backtest.result import TradeRecord
from trimtab.backtest.simulator import _trade_record
from trimtab.domain.lots import LotRelief, TaxLot, Term, _trusted_lot, _trusted_relief
from trimtab.domain.trades import Side, Trade, _trusted_trade
from trimtab.trades.sizing import SizedTrade, _sized

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Decimals of every sign, some with positive exponents ("1E+2") and trailing zeros; floats and ints too,
# which the constructors convert (TaxLot) or keep (Trade) and the builders hand to them.
_DECIMALS = st.one_of(
    st.decimals(min_value=-1000, max_value=10**6, allow_nan=False, allow_infinity=False, places=6),
    st.sampled_from([Decimal("0"), Decimal("1E+2"), Decimal("0E-6"), Decimal("100.000000"),
                     Decimal("-0.01")]),
)
_NUMBERS = st.one_of(_DECIMALS, st.integers(-5, 500), st.floats(-10, 1e4, allow_nan=False))
_SYMBOLS = st.sampled_from(["AAA", "S001", "", "x"])
_DATES = st.one_of(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)), st.just("2020-01-02"))


def _fields(obj: object) -> list[tuple[str, str, str]]:
    return [(name, type(getattr(obj, name)).__name__, str(getattr(obj, name))) for name in obj.__slots__]


def _same(build, construct) -> None:  # noqa: ANN001 - two zero-argument callables
    """``build()`` equals ``construct()`` field by field, or both raise the same class of error."""
    try:
        expected = construct()
    except Exception as error:  # noqa: BLE001 - the builder must raise the same class
        with pytest.raises(type(error)):
            build()
        return
    got = build()
    assert type(got) is type(expected)
    assert got == expected
    assert _fields(got) == _fields(expected)


@PROPERTY
@given(symbol=_SYMBOLS, quantity=_NUMBERS, basis=_NUMBERS, acquired=_DATES)
def test_trusted_lot_is_the_constructor(symbol: str, quantity: object, basis: object,
                                        acquired: object) -> None:
    _same(lambda: _trusted_lot("ira", symbol, quantity, basis, acquired, "ira:x:1"),
          lambda: TaxLot(account="ira", symbol=symbol, quantity=quantity, cost_basis=basis, acquired=acquired,
                         lot_id="ira:x:1"))


@PROPERTY
@given(quantity=_DECIMALS, basis=_DECIMALS, start=st.one_of(st.none(), st.just(date(2019, 5, 6))))
def test_with_size_is_replace(quantity: Decimal, basis: Decimal, start: date | None) -> None:
    lot = TaxLot(account="a", symbol="S", quantity=Decimal(3), cost_basis=Decimal(30),
                 acquired=date(2020, 1, 2), lot_id="a:S:1", holding_period_start=start)
    _same(lambda: lot.with_size(quantity, basis), lambda: replace(lot, quantity=quantity, cost_basis=basis))


@PROPERTY
@given(side=st.sampled_from(list(Side)), quantity=_NUMBERS, price=_NUMBERS, cost=_DECIMALS,
       with_lots=st.booleans())
def test_trusted_trade_is_the_constructor(side: Side, quantity: object, price: object, cost: Decimal,
                                          with_lots: bool) -> None:
    relief = LotRelief(lot_id="a:S:1", acquired=date(2020, 1, 2), quantity=Decimal(1), cost_basis=Decimal(10),
                       proceeds=Decimal(12), term=Term.SHORT)
    lots = (relief,) if with_lots else ()
    _same(lambda: _trusted_trade("a", "S", side, quantity, price, cost, lots),
          lambda: Trade(account="a", symbol="S", side=side, quantity=quantity, price=price,
                        estimated_cost=cost, lots=lots))


@PROPERTY
@given(quantity=_DECIMALS, basis=_DECIMALS, proceeds=_DECIMALS, term=st.sampled_from(list(Term)))
def test_trusted_relief_is_the_constructor(quantity: Decimal, basis: Decimal, proceeds: Decimal,
                                           term: Term) -> None:
    _same(lambda: _trusted_relief("a:S:1", date(2020, 1, 2), quantity, basis, proceeds, term),
          lambda: LotRelief(lot_id="a:S:1", acquired=date(2020, 1, 2), quantity=quantity, cost_basis=basis,
                            proceeds=proceeds, term=term))


@PROPERTY
@given(side=st.sampled_from(list(Side)), quantity=_DECIMALS, price=_DECIMALS, cost=_DECIMALS)
def test_sized_and_record_are_the_constructors(side: Side, quantity: Decimal, price: Decimal,
                                               cost: Decimal) -> None:
    _same(lambda: _sized("a", "S", side, quantity, price, cost),
          lambda: SizedTrade("a", "S", side, quantity, price, cost))
    on = date(2021, 3, 4)
    _same(lambda: _trade_record(on, "a", "S", str(side), quantity, price, cost, "policy"),
          lambda: TradeRecord(on=on, account="a", symbol="S", side=str(side), quantity=quantity, price=price,
                              cost=cost, reason="policy"))
