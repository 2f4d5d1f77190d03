"""Tables of the book of record (SQLAlchemy 2 Core), declared on :data:`trimtab.db.metadata`.

``book_accounts``       one row per account: household, kind and current cash (dollars)
``book_opening_lots``   the lots as imported (kept, so a correction can replay the account and symbol)
``book_lots``           open lots now: shares, cost basis (dollars, fees included), acquisition date
``book_fills``          every execution booked, unique on ``(venue, execution_id)``; ``superseded_by`` marks a
                        fill a correction replaced
``book_cash_entries``   every cash movement (opening balance, fill, reversal) with its amount in dollars
``book_realized``       realized gains: one row per lot (part) a sell relieved, proceeds net of the fee share

Money and quantities are exact decimal text (:class:`trimtab.db.DecimalText`). :class:`BookStore` holds every
query on these tables, so SQLAlchemy stays in this module (DESIGN §2); :mod:`trimtab.book.ledger` does the
accounting.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from trimtab.db import DecimalText, UtcDateTime, metadata

__all__ = [
    "BookStore",
    "BookTransaction",
    "StoreConflict",
    "book_accounts",
    "book_cash_entries",
    "book_fills",
    "book_lots",
    "book_opening_lots",
    "book_realized",
]

book_accounts = Table(
    "book_accounts",
    metadata,
    Column("account_id", String(100), primary_key=True),
    Column("household", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("cash", DecimalText, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("as_of", Date, nullable=True),
    Index("ix_book_accounts_household", "household"),
)


def _lot_columns() -> list[Column[Any]]:
    """The columns of a lot row, shared by the opening lots and the open lots (new objects per table)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("account_id", String(100), nullable=False),
        Column("lot_id", String(200), nullable=False),
        Column("symbol", String(40), nullable=False),
        Column("quantity", DecimalText, nullable=False),
        Column("cost_basis", DecimalText, nullable=False),
        Column("acquired", Date, nullable=False),
        Column("holding_period_start", Date, nullable=True),
    ]


book_opening_lots = Table(
    "book_opening_lots",
    metadata,
    *_lot_columns(),
    ForeignKeyConstraint(["account_id"], ["book_accounts.account_id"]),
)

book_lots = Table(
    "book_lots",
    metadata,
    *_lot_columns(),
    Column("source", String(200), nullable=False),
    ForeignKeyConstraint(["account_id"], ["book_accounts.account_id"]),
    UniqueConstraint("account_id", "lot_id", name="uq_book_lots_account_lot"),
    Index("ix_book_lots_account_symbol", "account_id", "symbol"),
)

book_fills = Table(
    "book_fills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("venue", String(40), nullable=False),
    Column("execution_id", String(100), nullable=False),
    Column("client_order_id", String(50), nullable=False),
    Column("venue_order_id", String(100), nullable=True),
    Column("account_id", String(100), nullable=False),
    Column("symbol", String(40), nullable=False),
    Column("side", String(4), nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("price", DecimalText, nullable=False),
    Column("fee", DecimalText, nullable=False),
    Column("executed_at", UtcDateTime, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
    Column("corrects", String(100), nullable=True),
    Column("superseded_by", String(100), nullable=True),
    ForeignKeyConstraint(["account_id"], ["book_accounts.account_id"]),
    UniqueConstraint("venue", "execution_id", name="uq_book_fills_venue_execution"),
    Index("ix_book_fills_client_order_id", "client_order_id"),
    Index("ix_book_fills_corrects", "venue", "corrects"),
)

book_cash_entries = Table(
    "book_cash_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(100), nullable=False),
    Column("amount", DecimalText, nullable=False),
    Column("reason", String(20), nullable=False),
    Column("venue", String(40), nullable=True),
    Column("execution_id", String(100), nullable=True),
    Column("at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["account_id"], ["book_accounts.account_id"]),
)

book_realized = Table(
    "book_realized",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(100), nullable=False),
    Column("symbol", String(40), nullable=False),
    Column("lot_id", String(200), nullable=False),
    Column("acquired", Date, nullable=False),
    Column("sold", Date, nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("cost_basis", DecimalText, nullable=False),
    Column("proceeds", DecimalText, nullable=False),
    Column("term", String(5), nullable=False),
    Column("venue", String(40), nullable=False),
    Column("execution_id", String(100), nullable=False),
    ForeignKeyConstraint(["account_id"], ["book_accounts.account_id"]),
    Index("ix_book_realized_account_symbol", "account_id", "symbol"),
)


class StoreConflict(Exception):
    """A concurrent writer inserted the same row first (unique constraint); the transaction rolled back."""


class BookStore:
    """Data access of the book: every query and write on the book tables (the accounting is in ``ledger``).

    Reads open their own connection; writes go through :meth:`transaction`, one database transaction each.
    Rows come back as SQLAlchemy rows (attribute access by column name).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[BookTransaction]:
        """One transaction (committed on exit, rolled back on error); a unique-key race -> StoreConflict."""
        try:
            with self.engine.begin() as conn:
                yield BookTransaction(conn)
        except IntegrityError as err:
            raise StoreConflict(str(err.orig)) from err

    # -- reads -------------------------------------------------------------------------------------------
    def _all(self, query: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def accounts(self, household: str | None = None) -> list[Any]:
        """Account rows by account id, optionally of one household."""
        query = select(book_accounts).order_by(book_accounts.c.account_id)
        if household is not None:
            query = query.where(book_accounts.c.household == household)
        return self._all(query)

    def households(self) -> list[str]:
        """Household names."""
        query = select(book_accounts.c.household).distinct().order_by(book_accounts.c.household)
        return [r.household for r in self._all(query)]

    def cash_by_account(self, accounts: Iterable[str] | None = None) -> dict[str, Decimal]:
        """Account -> cash."""
        query = select(book_accounts.c.account_id, book_accounts.c.cash)
        if accounts is not None:
            query = query.where(book_accounts.c.account_id.in_(list(accounts)))
        return {r.account_id: r.cash for r in self._all(query)}

    def lots(self, account: str | None = None, symbol: str | None = None) -> list[Any]:
        """Open lot rows in the order they were opened."""
        query = select(book_lots).order_by(book_lots.c.id)
        if account is not None:
            query = query.where(book_lots.c.account_id == account)
        if symbol is not None:
            query = query.where(book_lots.c.symbol == symbol)
        return self._all(query)

    def position_rows(self, accounts: Iterable[str] | None = None) -> list[Any]:
        """``(account_id, symbol, quantity)`` of every open lot."""
        query = select(book_lots.c.account_id, book_lots.c.symbol, book_lots.c.quantity)
        if accounts is not None:
            query = query.where(book_lots.c.account_id.in_(list(accounts)))
        return self._all(query)

    def has_fill(self, venue: str, execution_id: str) -> bool:
        """Whether ``(venue, execution_id)`` is booked."""
        query = select(book_fills.c.id).where(
            book_fills.c.venue == venue, book_fills.c.execution_id == execution_id
        )
        return bool(self._all(query))

    def fills(
        self,
        *,
        account: str | None = None,
        client_order_id: str | None = None,
        include_superseded: bool = False,
    ) -> list[Any]:
        """Fill rows in booking order."""
        query = select(book_fills).order_by(book_fills.c.id)
        if account is not None:
            query = query.where(book_fills.c.account_id == account)
        if client_order_id is not None:
            query = query.where(book_fills.c.client_order_id == client_order_id)
        if not include_superseded:
            query = query.where(book_fills.c.superseded_by.is_(None))
        return self._all(query)

    def filled_quantities(self, venue: str, client_order_id: str) -> list[Decimal]:
        """Quantities of one order's fills in force."""
        query = select(book_fills.c.quantity).where(
            book_fills.c.venue == venue,
            book_fills.c.client_order_id == client_order_id,
            book_fills.c.superseded_by.is_(None),
        )
        return [r.quantity for r in self._all(query)]

    def realized(self, account: str | None = None) -> list[Any]:
        """Realized-gain rows in booking order."""
        query = select(book_realized).order_by(book_realized.c.id)
        if account is not None:
            query = query.where(book_realized.c.account_id == account)
        return self._all(query)


class BookTransaction:
    """The writes of one book transaction (see :meth:`BookStore.transaction`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def existing_accounts(self, account_ids: Iterable[str]) -> set[str]:
        """Which of these accounts are in the book."""
        query = select(book_accounts.c.account_id).where(book_accounts.c.account_id.in_(list(account_ids)))
        return {r.account_id for r in self.conn.execute(query)}

    def insert(self, table_name: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows into one of the book tables."""
        if rows:
            self.conn.execute(insert(metadata.tables[table_name]), rows)

    def related_fills(self, venue: str, execution_id: str) -> list[Any]:
        """Fills that are this execution or correct it: ``(execution_id, corrects)`` rows."""
        query = select(book_fills.c.execution_id, book_fills.c.corrects).where(
            book_fills.c.venue == venue,
            (book_fills.c.execution_id == execution_id) | (book_fills.c.corrects == execution_id),
        )
        return list(self.conn.execute(query))

    def lock_cash(self, account: str) -> Decimal | None:
        """The account's cash, row locked for this transaction (``None`` when the account is unknown)."""
        query = select(book_accounts.c.cash).where(book_accounts.c.account_id == account).with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else row.cash

    def set_cash(self, account: str, cash: Decimal) -> None:
        """Store the account's new cash."""
        self.conn.execute(
            update(book_accounts).where(book_accounts.c.account_id == account).values(cash=cash)
        )

    def active_fill(self, venue: str, execution_id: str) -> Any:
        """The fill row with this id that no correction has superseded, or ``None``."""
        query = select(book_fills).where(
            book_fills.c.venue == venue,
            book_fills.c.execution_id == execution_id,
            book_fills.c.superseded_by.is_(None),
        )
        return self.conn.execute(query).first()

    def supersede(self, fill_row_id: int, by_execution_id: str) -> None:
        """Mark a fill as replaced by a correction."""
        self.conn.execute(
            update(book_fills).where(book_fills.c.id == fill_row_id).values(superseded_by=by_execution_id)
        )

    def lots(self, account: str, symbol: str) -> list[Any]:
        """Open lot rows of one account and symbol, in the order they were opened."""
        query = (
            select(book_lots)
            .where(book_lots.c.account_id == account, book_lots.c.symbol == symbol)
            .order_by(book_lots.c.id)
        )
        return list(self.conn.execute(query))

    def update_lot(self, row_id: int, quantity: Decimal, cost_basis: Decimal) -> None:
        """Store a partly relieved lot."""
        self.conn.execute(
            update(book_lots).where(book_lots.c.id == row_id).values(quantity=quantity, cost_basis=cost_basis)
        )

    def delete_lot(self, row_id: int) -> None:
        """Remove a fully relieved lot."""
        self.conn.execute(delete(book_lots).where(book_lots.c.id == row_id))

    def opening_lots(self, account: str, symbol: str) -> list[Any]:
        """Lots of one account and symbol as imported."""
        query = (
            select(book_opening_lots)
            .where(book_opening_lots.c.account_id == account, book_opening_lots.c.symbol == symbol)
            .order_by(book_opening_lots.c.id)
        )
        return list(self.conn.execute(query))

    def fills_in_force(self, account: str, symbol: str) -> list[Any]:
        """Fill rows of one account and symbol not superseded, in execution order."""
        query = (
            select(book_fills)
            .where(
                book_fills.c.account_id == account,
                book_fills.c.symbol == symbol,
                book_fills.c.superseded_by.is_(None),
            )
            .order_by(book_fills.c.executed_at, book_fills.c.id)
        )
        return list(self.conn.execute(query))

    def clear_lots_and_realized(self, account: str, symbol: str) -> None:
        """Delete the open lots and realized rows of one account and symbol (before a replay)."""
        self.conn.execute(
            delete(book_lots).where(book_lots.c.account_id == account, book_lots.c.symbol == symbol)
        )
        self.conn.execute(
            delete(book_realized).where(
                book_realized.c.account_id == account, book_realized.c.symbol == symbol
            )
        )
