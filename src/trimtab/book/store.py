"""Tables of the book of record (SQLAlchemy 2 Core), declared on :data:`trimtab.db.metadata`.

``book_accounts``       one row per account: household, kind and current cash (dollars)
``book_opening_lots``   the lots as imported (kept, so a correction can replay the account and symbol)
``book_lots``           open lots now: shares, cost basis (dollars, fees included), acquisition date
``book_fills``          every execution booked, unique on ``(venue, execution_id)``; ``superseded_by`` marks a
                        fill a correction replaced
``book_cash_entries``   every cash movement (opening balance, fill, reversal) with its amount in dollars
``book_realized``       realized gains: one row per lot (part) a sell relieved, proceeds net of the fee share

Money and quantities are exact decimal text (:class:`trimtab.db.DecimalText`).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint

from trimtab.db import DecimalText, UtcDateTime, metadata

__all__ = [
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

book_opening_lots = Table(
    "book_opening_lots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(100), nullable=False),
    Column("lot_id", String(200), nullable=False),
    Column("symbol", String(40), nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("cost_basis", DecimalText, nullable=False),
    Column("acquired", Date, nullable=False),
    Column("holding_period_start", Date, nullable=True),
    ForeignKeyConstraint(["account_id"], ["book_accounts.account_id"]),
)

book_lots = Table(
    "book_lots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(100), nullable=False),
    Column("lot_id", String(200), nullable=False),
    Column("symbol", String(40), nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("cost_basis", DecimalText, nullable=False),
    Column("acquired", Date, nullable=False),
    Column("holding_period_start", Date, nullable=True),
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
