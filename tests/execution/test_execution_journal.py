"""Database and journal: migrations, URLs, exact types, write-ahead entries, legal moves only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select

import trimtab.book.store  # noqa: F401  (registers the book tables on the shared metadata)
from trimtab.db import DatabaseError, DecimalText, UtcDateTime, metadata, open_database, resolve_database_url
from trimtab.domain import Trade
from trimtab.domain.orders import Order, OrderError, OrderState, OrderStatus
from trimtab.domain.trades import Side
from trimtab.execution.broker import Ack
from trimtab.execution.journal import OrderJournal, RunPhase
from trimtab.execution.orders import legs_from_trades

D = Decimal


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def test_migrations_create_exactly_the_declared_schema(engine: Engine, db_url: str) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    again = open_database(db_url)  # idempotent on an up-to-date database
    again.dispose()


def test_decimals_and_times_round_trip_exactly(engine: Engine) -> None:
    scratch = Table(
        "scratch_types",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("amount", DecimalText),
        Column("at", UtcDateTime),
    )
    scratch.create(engine)
    values = [D("0.1"), D("123456789012345678.000000000123"), D("-5E-12"), D("1") / 3]
    at = datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(scratch), [{"id": i, "amount": v, "at": at} for i, v in enumerate(values)])
    with engine.connect() as conn:
        rows = conn.execute(select(scratch.c.amount, scratch.c.at).order_by(scratch.c.id)).all()
    assert [r.amount for r in rows] == values
    assert all(r.at == at and r.at.tzinfo is not None for r in rows)
    scratch.drop(engine)


def test_url_precedence_flag_then_env_then_per_user_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "/data/me")
    monkeypatch.delenv("TRIMTAB_DB", raising=False)
    assert resolve_database_url() == "sqlite:////data/me/trimtab/trimtab.db"
    monkeypatch.setenv("TRIMTAB_DB", "sqlite:////env.db")
    assert resolve_database_url() == "sqlite:////env.db"
    assert resolve_database_url("sqlite:////flag.db") == "sqlite:////flag.db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "cannot parse the database URL"),
        ("mysql+nodriver://u@h/db", "no database driver"),
        ("postgresql+psycopg://me:secret@127.0.0.1:1/test", "cannot reach the database"),
    ],
)
def test_bad_database_urls_are_input_errors_that_hide_passwords(url: str, message: str) -> None:
    with pytest.raises(DatabaseError, match=message) as err:
        open_database(url)
    assert "secret" not in str(err.value) and "Fix:" in str(err.value)


def _legs(run_id: str = "Trun1") -> list:
    trades = [
        Trade(account="ira", symbol="VTI", side=Side.SELL, quantity=D("3"), price=D("200")),
        Trade(account="ira", symbol="BND", side=Side.BUY, quantity=D("5"), price=D("70")),
    ]
    return legs_from_trades(trades, run_id)


def test_runs_and_legs_are_journaled_once(engine: Engine) -> None:
    journal = OrderJournal(engine)
    run = journal.create_run(
        run_id="Trun1", household="fam", as_of=date(2024, 1, 5), venue="paper", legs=_legs()
    )
    assert run.phase == RunPhase.SELLS and not run.is_done
    assert (
        journal.create_run(
            run_id="Trun1", household="fam", as_of=date(2024, 1, 5), venue="paper", legs=_legs()
        )
        == run
    )
    assert [(leg.leg, leg.symbol) for leg in journal.legs("Trun1")] == [(1, "VTI"), (2, "BND")]
    assert journal.sized_quantities("Trun1") == {1: D("3"), 2: None}  # sells are sized by the plan
    journal.set_sized_quantities("Trun1", {2: D("4")})
    journal.set_sized_quantities("Trun1", {2: D("5")})  # a restart never re-sizes
    assert journal.sized_quantities("Trun1")[2] == D("4")
    journal.set_phase("Trun1", RunPhase.BUYS)
    with pytest.raises(OrderError, match="cannot go back"):
        journal.set_phase("Trun1", RunPhase.SELLS)
    journal.set_phase("Trun1", RunPhase.DONE)
    assert journal.run("Trun1").is_done and journal.runs(unfinished=True) == []


def test_intent_is_committed_before_anything_else_and_moves_only_legally(engine: Engine) -> None:
    journal = OrderJournal(engine)
    legs = _legs()
    journal.create_run(run_id="Trun1", household="fam", as_of=date(2024, 1, 5), venue="paper", legs=legs)
    order = legs[0].order()
    entry = journal.record_intent(order, run_id="Trun1", leg=1, attempt=1)
    assert entry.status is OrderStatus.INTENT and entry.filled_quantity == 0
    assert journal.record_intent(order, run_id="Trun1", leg=1, attempt=1) == entry  # idempotent
    with pytest.raises(OrderError, match="journaled for another order"):
        journal.record_intent(
            Order(
                client_order_id=order.client_order_id,
                account="ira",
                symbol="VTI",
                side=Side.SELL,
                quantity=D("99"),
            ),
            run_id="Trun1",
            leg=1,
            attempt=1,
        )
    journal.record_ack(
        Ack(client_order_id=order.client_order_id, venue_order_id="V1", status=OrderStatus.ACCEPTED)
    )
    journal.record_state(
        OrderState(
            client_order_id=order.client_order_id,
            status=OrderStatus.FILLED,
            quantity=D("3"),
            filled_quantity=D("3"),
            average_price=D("201"),
        )
    )
    stale = journal.record_state(
        OrderState(client_order_id=order.client_order_id, status=OrderStatus.ACCEPTED, quantity=D("3"))
    )
    assert (stale.status, stale.filled_quantity, stale.venue_order_id) == (OrderStatus.FILLED, D("3"), "V1")
    with pytest.raises(OrderError, match="illegal order transition filled -> canceled"):
        journal.transition(order.client_order_id, OrderStatus.CANCELED)
    assert journal.entry(order.client_order_id).status is OrderStatus.FILLED
    trail = [(f, t) for _, f, t, _ in journal.events(order.client_order_id)]
    assert trail == [(None, "intent"), ("intent", "accepted"), ("accepted", "filled")]
    assert journal.entries(open_only=True) == []
    assert [e.client_order_id for e in journal.entries(run_id="Trun1")] == [order.client_order_id]
