"""Order journal and book of record: first schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from trimtab.db import DecimalText, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal_runs",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("household", sa.String(200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(40), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name="pk_journal_runs"),
    )
    op.create_table(
        "journal_legs",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("leg", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("price", DecimalText(), nullable=False),
        sa.Column("estimated_cost", DecimalText(), nullable=False),
        sa.Column("lot_ids", sa.Text(), nullable=True),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("limit_price", DecimalText(), nullable=True),
        sa.Column("time_in_force", sa.String(8), nullable=False),
        sa.Column("sized_quantity", DecimalText(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["journal_runs.run_id"], name="fk_journal_legs_run_id_journal_runs"
        ),
        sa.PrimaryKeyConstraint("run_id", "leg", name="pk_journal_legs"),
    )
    op.create_table(
        "journal_orders",
        sa.Column("client_order_id", sa.String(50), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=True),
        sa.Column("notional", DecimalText(), nullable=True),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("limit_price", DecimalText(), nullable=True),
        sa.Column("time_in_force", sa.String(8), nullable=False),
        sa.Column("extended_hours", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("venue_order_id", sa.String(100), nullable=True),
        sa.Column("filled_quantity", DecimalText(), nullable=False),
        sa.Column("average_price", DecimalText(), nullable=True),
        sa.Column("reject_reason", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id", "leg"],
            ["journal_legs.run_id", "journal_legs.leg"],
            name="fk_journal_orders_run_id_journal_legs",
        ),
        sa.PrimaryKeyConstraint("client_order_id", name="pk_journal_orders"),
    )
    op.create_index("ix_journal_orders_run_id", "journal_orders", ["run_id"])
    op.create_index("ix_journal_orders_status", "journal_orders", ["status"])
    op.create_table(
        "journal_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_order_id", sa.String(50), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["journal_orders.client_order_id"],
            name="fk_journal_events_client_order_id_journal_orders",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_journal_events"),
    )
    op.create_index("ix_journal_events_client_order_id", "journal_events", ["client_order_id"])

    op.create_table(
        "book_accounts",
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("household", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("cash", DecimalText(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name="pk_book_accounts"),
    )
    op.create_index("ix_book_accounts_household", "book_accounts", ["household"])
    op.create_table(
        "book_opening_lots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("lot_id", sa.String(200), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("cost_basis", DecimalText(), nullable=False),
        sa.Column("acquired", sa.Date(), nullable=False),
        sa.Column("holding_period_start", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["book_accounts.account_id"], name="fk_book_opening_lots_account_id_book_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_book_opening_lots"),
    )
    op.create_table(
        "book_lots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("lot_id", sa.String(200), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("cost_basis", DecimalText(), nullable=False),
        sa.Column("acquired", sa.Date(), nullable=False),
        sa.Column("holding_period_start", sa.Date(), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["book_accounts.account_id"], name="fk_book_lots_account_id_book_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_book_lots"),
        sa.UniqueConstraint("account_id", "lot_id", name="uq_book_lots_account_lot"),
    )
    op.create_index("ix_book_lots_account_symbol", "book_lots", ["account_id", "symbol"])
    op.create_table(
        "book_fills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("venue", sa.String(40), nullable=False),
        sa.Column("execution_id", sa.String(100), nullable=False),
        sa.Column("client_order_id", sa.String(50), nullable=False),
        sa.Column("venue_order_id", sa.String(100), nullable=True),
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("price", DecimalText(), nullable=False),
        sa.Column("fee", DecimalText(), nullable=False),
        sa.Column("executed_at", UtcDateTime(), nullable=False),
        sa.Column("applied_at", UtcDateTime(), nullable=False),
        sa.Column("corrects", sa.String(100), nullable=True),
        sa.Column("superseded_by", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["book_accounts.account_id"], name="fk_book_fills_account_id_book_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_book_fills"),
        sa.UniqueConstraint("venue", "execution_id", name="uq_book_fills_venue_execution"),
    )
    op.create_index("ix_book_fills_client_order_id", "book_fills", ["client_order_id"])
    op.create_index("ix_book_fills_corrects", "book_fills", ["venue", "corrects"])
    op.create_table(
        "book_cash_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("amount", DecimalText(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("venue", sa.String(40), nullable=True),
        sa.Column("execution_id", sa.String(100), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["book_accounts.account_id"], name="fk_book_cash_entries_account_id_book_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_book_cash_entries"),
    )
    op.create_table(
        "book_realized",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("lot_id", sa.String(200), nullable=False),
        sa.Column("acquired", sa.Date(), nullable=False),
        sa.Column("sold", sa.Date(), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("cost_basis", DecimalText(), nullable=False),
        sa.Column("proceeds", DecimalText(), nullable=False),
        sa.Column("term", sa.String(5), nullable=False),
        sa.Column("venue", sa.String(40), nullable=False),
        sa.Column("execution_id", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["book_accounts.account_id"], name="fk_book_realized_account_id_book_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_book_realized"),
    )
    op.create_index("ix_book_realized_account_symbol", "book_realized", ["account_id", "symbol"])


def downgrade() -> None:
    op.drop_index("ix_book_realized_account_symbol", table_name="book_realized")
    op.drop_table("book_realized")
    op.drop_table("book_cash_entries")
    op.drop_index("ix_book_fills_corrects", table_name="book_fills")
    op.drop_index("ix_book_fills_client_order_id", table_name="book_fills")
    op.drop_table("book_fills")
    op.drop_index("ix_book_lots_account_symbol", table_name="book_lots")
    op.drop_table("book_lots")
    op.drop_table("book_opening_lots")
    op.drop_index("ix_book_accounts_household", table_name="book_accounts")
    op.drop_table("book_accounts")
    op.drop_index("ix_journal_events_client_order_id", table_name="journal_events")
    op.drop_table("journal_events")
    op.drop_index("ix_journal_orders_status", table_name="journal_orders")
    op.drop_index("ix_journal_orders_run_id", table_name="journal_orders")
    op.drop_table("journal_orders")
    op.drop_table("journal_legs")
    op.drop_table("journal_runs")
