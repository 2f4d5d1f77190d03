"""Hypothesis: the book equals the sum of its deduplicated fills (positions, cash, lots), both databases."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from trimtab.book.ledger import Book
from trimtab.db import open_database
from trimtab.domain import Account, AccountKind, Household, TaxLot
from trimtab.domain.orders import Fill

D = Decimal
SYMBOLS = ("AAA", "BBB", "CCC")
_engines: dict[str, Engine] = {}

quantities = st.one_of(st.integers(1, 50).map(D), st.integers(1, 50_000).map(lambda n: D(n) / 1000))
prices = st.integers(1, 50_000).map(lambda n: D(n) / 100)  # 0.01 .. 500.00 dollars
fees = st.integers(0, 500).map(lambda n: D(n) / 100)
operations = st.lists(
    st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(["buy", "sell"]), quantities, prices, fees),
    min_size=1,
    max_size=5,
)


def _engine(url: str) -> Engine:
    if url not in _engines:
        _engines[url] = open_database(url)
    return _engines[url]


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = _engine(db_url)
    yield engine
    engine.dispose()
    _engines.pop(db_url, None)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    initial_cash=st.integers(0, 100_000).map(D),
    initial=st.lists(st.integers(0, 100), min_size=3, max_size=3),
    ops=operations,
    repeats=st.lists(st.integers(0, 4), max_size=4),
    data=st.data(),
)
def test_book_equals_the_sum_of_its_deduplicated_fills(
    engine: Engine,
    initial_cash: Decimal,
    initial: list[int],
    ops: list,
    repeats: list[int],
    data: st.DataObject,
) -> None:
    """Positions = opening shares + signed fill quantities; cash = opening + sells - buys - fees; lots add up.

    Fills arrive with repeats (replays) in a shuffled order; each ``(venue, execution_id)`` counts once.
    """
    account = f"a{uuid.uuid4().hex[:10]}"  # one database per test; each example its own account
    lots = tuple(
        TaxLot(account=account, symbol=s, quantity=D(q), cost_basis=D(q) * 10, acquired=date(2020, 1, 2))
        for s, q in zip(SYMBOLS, initial, strict=True)
        if q > 0
    )
    book = Book(engine)
    book.import_household(
        Household(
            name=f"h-{account}",
            accounts=(Account(id=account, kind=AccountKind.TAXABLE, cash=initial_cash),),
            lots=lots,
        )
    )

    held = {s: D(q) for s, q in zip(SYMBOLS, initial, strict=True)}
    start = datetime(2024, 1, 2, 15, tzinfo=UTC)
    fills = []
    for n, (symbol, side, quantity, price, fee) in enumerate(ops):
        if side == "sell":
            quantity = min(quantity, held[symbol])  # the venue never sells more than is held
            if quantity <= 0:
                continue
        held[symbol] += quantity if side == "buy" else -quantity
        fills.append(
            Fill(
                venue="paper",
                execution_id=f"{account}-E{n}",
                client_order_id="T1-001-1",
                account=account,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=price,
                fee=fee,
                executed_at=start + timedelta(minutes=n),
            )
        )
    # replays (pushes repeated, polls after reconnects) arrive at random points after their original
    stream = list(fills)
    for i in repeats:
        if fills:
            original = fills[i % len(fills)]
            first = stream.index(original)
            stream.insert(data.draw(st.integers(first + 1, len(stream)), label="replay position"), original)
    booked = [f.execution_id for f in stream if book.apply(f)]
    assert booked == [f.execution_id for f in fills]
    firsts = {f.execution_id: f for f in fills}

    expected_positions = defaultdict(
        Decimal, {(account, s): D(q) for s, q in zip(SYMBOLS, initial, strict=True)}
    )
    expected_cash = initial_cash
    for f in firsts.values():
        expected_positions[(account, f.symbol)] += f.quantity if f.side == "buy" else -f.quantity
        expected_cash += -(f.quantity * f.price) - f.fee if f.side == "buy" else f.quantity * f.price - f.fee
    positions = book.positions([account])
    assert {k: v for k, v in expected_positions.items() if v != 0} == {
        k: v for k, v in positions.items() if v != 0
    }
    assert book.cash(account) == expected_cash
    lots_now = book.lots(account)
    assert all(lot.quantity > 0 for lot in lots_now)
    sold = sum((f.quantity for f in firsts.values() if f.side == "sell"), D(0))
    assert sum((r.quantity for r in book.realized(account)), D(0)) == sold
