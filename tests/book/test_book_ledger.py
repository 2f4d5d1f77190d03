"""Book of record: hand-computed answers, deduplication, corrections, atomic refusals; SQLite and Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from trimtab.book.ledger import Book, BookError, BookMismatchError
from trimtab.book.store import book_cash_entries, book_fills, book_lots
from trimtab.db import open_database
from trimtab.domain import Account, AccountKind, Household, ReliefMethod, TaxLot, Term
from trimtab.domain.orders import Fill

D = Decimal
AT = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def household(cash: str = "1000") -> Household:
    return Household(
        name="fam",
        accounts=(Account(id="tax", kind=AccountKind.TAXABLE, cash=D(cash)),),
        lots=(
            TaxLot(
                account="tax",
                symbol="AAA",
                quantity=D("10"),
                cost_basis=D("500"),
                acquired=date(2020, 1, 2),
                lot_id="L1",
            ),
            TaxLot(
                account="tax",
                symbol="AAA",
                quantity=D("10"),
                cost_basis=D("800"),
                acquired=date(2023, 6, 1),
                lot_id="L2",
            ),
        ),
    )


def fill(
    eid: str,
    side: str,
    qty: str,
    price: str,
    fee: str = "0",
    symbol: str = "AAA",
    *,
    at: datetime = AT,
    corrects: str | None = None,
    account: str = "tax",
) -> Fill:
    return Fill(
        venue="paper",
        execution_id=eid,
        client_order_id="T1-001-1",
        account=account,
        symbol=symbol,
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=D(fee),
        executed_at=at,
        corrects=corrects,
    )


def test_sell_relieves_fifo_lots_with_fee_shared_pro_rata(engine: Engine) -> None:
    """Hand-computed: sell 15 @ 100, fee 1.50, FIFO -> L1 10 long (gain 499.00), L2 5 short (gain 99.50)."""
    book = Book(engine)
    book.import_household(household())
    assert book.apply(fill("X1", "sell", "15", "100", "1.50"))
    assert book.cash("tax") == D("2498.50")
    rows = book.realized("tax")
    assert [(r.lot_id, r.quantity, r.cost_basis, r.proceeds, r.term) for r in rows] == [
        ("L1", D("10"), D("500"), D("999.0"), Term.LONG),
        ("L2", D("5"), D("400"), D("499.5"), Term.SHORT),
    ]
    assert [r.gain for r in rows] == [D("499.0"), D("99.5")]
    (lot,) = book.lots("tax", "AAA")
    assert (lot.lot_id, lot.quantity, lot.cost_basis) == ("L2", D("5"), D("400"))


def test_hifo_relieves_the_costliest_lot_first(engine: Engine) -> None:
    """Hand-computed: HIFO takes L2 (80/share) whole, then 5 of L1: short gain 199.00, long gain 249.50."""
    book = Book(engine, relief_method=ReliefMethod.HIFO)
    book.import_household(household())
    book.apply(fill("X1", "sell", "15", "100", "1.50"))
    assert [(r.lot_id, r.gain, r.term) for r in book.realized()] == [
        ("L2", D("199.0"), Term.SHORT),
        ("L1", D("249.5"), Term.LONG),
    ]


def test_buy_opens_a_lot_at_value_plus_fee_dated_new_york_trade_day(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household())
    late_evening = datetime(2024, 3, 2, 3, 0, tzinfo=UTC)  # 22:00 on 1 March in New York
    book.apply(fill("X2", "buy", "3", "20", "1", symbol="BBB", at=late_evening))
    (lot,) = book.lots("tax", "BBB")
    assert (lot.quantity, lot.cost_basis, lot.acquired, lot.lot_id) == (
        D("3"),
        D("61"),
        date(2024, 3, 1),
        "paper:X2",
    )
    assert book.cash("tax") == D("939")


def test_a_repeated_execution_changes_nothing(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household())
    first = fill("X1", "sell", "4", "100")
    assert book.apply(first) is True
    snapshot = (book.cash("tax"), book.positions(), book.realized())
    assert book.apply(first) is False
    assert book.apply_all([first, first]) == 0
    assert (book.cash("tax"), book.positions(), book.realized()) == snapshot
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(book_fills)).scalar() == 1


def test_a_correction_replaces_the_fill_it_names(engine: Engine) -> None:
    """IBKR-style correction: X3 replaces X2 (price 20 -> 19.50): cash and the lot follow the correction."""
    book = Book(engine)
    book.import_household(household())
    book.apply(fill("X2", "buy", "3", "20", "1", symbol="BBB"))
    assert book.apply(fill("X3", "buy", "3", "19.50", "1", symbol="BBB", corrects="X2"))
    assert book.cash("tax") == D("1000") - D("59.50")
    (lot,) = book.lots("tax", "BBB")
    assert lot.cost_basis == D("59.50")
    assert [f.execution_id for f in book.fills()] == ["X3"]
    assert [f.execution_id for f in book.fills(include_superseded=True)] == ["X2", "X3"]
    assert book.filled_quantity("paper", "T1-001-1") == D("3")


def test_a_correction_arriving_before_its_original_leaves_the_original_without_effect(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household())
    book.apply(fill("X3", "buy", "3", "19.50", "1", symbol="BBB", corrects="X2"))
    book.apply(fill("X2", "buy", "3", "20", "1", symbol="BBB"))
    assert book.cash("tax") == D("940.50")
    assert book.positions()[("tax", "BBB")] == D("3")


def test_a_correction_of_a_sell_replays_the_lots(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household())
    book.apply(fill("X1", "sell", "15", "100"))
    book.apply(fill("X9", "sell", "12", "100", corrects="X1"))
    assert book.positions()[("tax", "AAA")] == D("8")
    assert book.cash("tax") == D("2200")
    assert sum(r.quantity for r in book.realized()) == D("12")


def test_a_sell_beyond_the_book_is_refused_and_nothing_is_written(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household())
    with pytest.raises(BookError, match="holds 20"):
        book.apply(fill("X5", "sell", "21", "100"))
    assert not book.has_fill("paper", "X5")
    assert book.cash("tax") == D("1000")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(book_cash_entries)).scalar() == 1  # the opening


def test_a_fill_for_an_unknown_account_is_refused(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household())
    with pytest.raises(BookError, match="not in the book"):
        book.apply(fill("X6", "buy", "1", "10", account="nope"))


def test_import_is_one_transaction_and_happens_once(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household(), as_of=date(2024, 1, 5))
    assert book.households() == ["fam"]
    with pytest.raises(BookMismatchError, match="already in the book"):
        book.import_household(household())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(book_lots)).scalar() == 2
    assert book.household("fam").positions()[("tax", "AAA")].quantity == D("20")


def test_check_matches_names_each_difference(engine: Engine) -> None:
    book = Book(engine)
    book.import_household(household())
    book.check_matches(household())
    book.apply(fill("X1", "sell", "4", "100"))
    with pytest.raises(BookMismatchError) as err:
        book.check_matches(household())
    text = str(err.value)
    assert "tax AAA: book 16 shares, portfolio file 20 shares (difference +4)" in text
    assert "tax CASH: book 1400 USD, portfolio file 1000 USD (difference -400)" in text
    assert "Fix:" in text
    with pytest.raises(BookMismatchError, match="accounts the book does not have: other"):
        book.check_matches(Household(name="x", accounts=(Account(id="other", kind=AccountKind.TAXABLE),)))


def test_relief_method_must_be_an_ordering(engine: Engine) -> None:
    from trimtab.errors import ConfigError

    with pytest.raises(ConfigError, match="fifo, lifo or hifo"):
        Book(engine, relief_method=ReliefMethod.MIN_TAX)
