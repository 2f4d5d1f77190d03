"""OrderJournal: the write-ahead log of runs, legs and orders (SQLAlchemy 2 Core).

Every order is committed as ``intent`` *before* any byte of it leaves the process; every later state is
committed as it is learnt, with an event row per transition. After a crash the journal alone says what may be
at the venue: ``intent``, ``sent`` and ``unknown`` entries are looked up by client order id before anything is
sent again. Status is advisory; fills (in the book) are the truth.

Tables (created by the migrations in ``trimtab/execution/migrations``):

``journal_runs``    one row per run: household, date, venue, phase (``sells`` -> ``buys`` -> ``done``)
``journal_legs``    the planned trades of a run; ``sized_quantity`` is fixed once an order size is decided
``journal_orders``  one row per client order id: order, status, venue id, filled quantity, average price
``journal_events``  one row per status change (and notes), for the audit trail
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from trimtab.db import DecimalText, UtcDateTime, metadata
from trimtab.domain.orders import (
    Order,
    OrderError,
    OrderState,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from trimtab.domain.trades import Side
from trimtab.execution.broker import Ack
from trimtab.execution.orders import Leg, check_transition, merge_status

__all__ = [
    "JournalEntry",
    "OrderJournal",
    "RunPhase",
    "RunRecord",
    "journal_events",
    "journal_legs",
    "journal_orders",
    "journal_runs",
]

journal_runs = Table(
    "journal_runs",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("household", String(200), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("venue", String(40), nullable=False),
    Column("phase", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
)

journal_legs = Table(
    "journal_legs",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("leg", Integer, primary_key=True, autoincrement=False),
    Column("account", String(100), nullable=False),
    Column("symbol", String(40), nullable=False),
    Column("side", String(4), nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("price", DecimalText, nullable=False),
    Column("estimated_cost", DecimalText, nullable=False),
    Column("lot_ids", Text, nullable=True),
    Column("order_type", String(16), nullable=False),
    Column("limit_price", DecimalText, nullable=True),
    Column("time_in_force", String(8), nullable=False),
    Column("sized_quantity", DecimalText, nullable=True),
    ForeignKeyConstraint(["run_id"], ["journal_runs.run_id"]),
)

journal_orders = Table(
    "journal_orders",
    metadata,
    Column("client_order_id", String(50), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("leg", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("account", String(100), nullable=False),
    Column("symbol", String(40), nullable=False),
    Column("side", String(4), nullable=False),
    Column("quantity", DecimalText, nullable=True),
    Column("notional", DecimalText, nullable=True),
    Column("order_type", String(16), nullable=False),
    Column("limit_price", DecimalText, nullable=True),
    Column("time_in_force", String(8), nullable=False),
    Column("extended_hours", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("venue_order_id", String(100), nullable=True),
    Column("filled_quantity", DecimalText, nullable=False),
    Column("average_price", DecimalText, nullable=True),
    Column("reject_reason", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["run_id", "leg"], ["journal_legs.run_id", "journal_legs.leg"]),
    Index("ix_journal_orders_run_id", "run_id"),
    Index("ix_journal_orders_status", "status"),
)

journal_events = Table(
    "journal_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_order_id", String(50), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("detail", Text, nullable=True),
    ForeignKeyConstraint(["client_order_id"], ["journal_orders.client_order_id"]),
    Index("ix_journal_events_client_order_id", "client_order_id"),
)


class RunPhase:
    """Phases of a run: sells are sent and settled, then buys, then the run is done."""

    SELLS = "sells"
    BUYS = "buys"
    DONE = "done"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One run as journaled."""

    run_id: str
    household: str
    as_of: date
    venue: str
    phase: str
    created_at: datetime
    finished_at: datetime | None

    @property
    def is_done(self) -> bool:
        """Whether the run finished."""
        return self.phase == RunPhase.DONE


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """One client order id as journaled: the order, its state-machine status and what the venue said."""

    order: Order
    run_id: str
    leg: int
    attempt: int
    status: OrderStatus
    venue_order_id: str | None
    filled_quantity: Decimal
    average_price: Decimal | None
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def client_order_id(self) -> str:
        """The order's client id."""
        return self.order.client_order_id


def _now() -> datetime:
    return datetime.now(UTC)


class OrderJournal:
    """Write-ahead journal of runs and orders in the database of record.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From :func:`trimtab.db.open_database` (schema migrated).
    clock : callable, optional
        Returns the current UTC time (tests pass a fixed clock).

    Every method commits its change in one transaction before it returns.
    """

    def __init__(self, engine: Engine, *, clock: object = None) -> None:
        self.engine = engine
        self._clock = clock if callable(clock) else _now

    def now(self) -> datetime:
        """The journal's clock (UTC)."""
        return self._clock()  # type: ignore[no-any-return]

    # -- runs and legs ---------------------------------------------------------------------------------
    def create_run(
        self, *, run_id: str, household: str, as_of: date, venue: str, legs: Sequence[Leg]
    ) -> RunRecord:
        """Record a new run and its legs in one transaction; return the existing run when the id is known.

        Raises
        ------
        OrderError
            When the run id exists with other legs (a hash collision or a hand-made id reused).
        """
        with self.engine.begin() as conn:
            existing = self._run(conn, run_id)
            if existing is not None:
                known = self._legs(conn, run_id)
                if [(k.account, k.symbol, k.side, k.quantity) for k in known] != [
                    (x.account, x.symbol, x.side, x.quantity) for x in legs
                ]:
                    raise OrderError(f"run {run_id} is already journaled with other legs")
                return existing
            now = self.now()
            conn.execute(
                insert(journal_runs).values(
                    run_id=run_id,
                    household=household,
                    as_of=as_of,
                    venue=venue,
                    phase=RunPhase.SELLS,
                    created_at=now,
                    finished_at=None,
                )
            )
            if legs:
                conn.execute(insert(journal_legs), [self._leg_row(leg) for leg in legs])
            record = self._run(conn, run_id)
            assert record is not None
            return record

    @staticmethod
    def _leg_row(leg: Leg) -> dict[str, object]:
        return {
            "run_id": leg.run_id,
            "leg": leg.leg,
            "account": leg.account,
            "symbol": leg.symbol,
            "side": str(leg.side),
            "quantity": leg.quantity,
            "price": leg.price,
            "estimated_cost": leg.estimated_cost,
            "lot_ids": json.dumps(list(leg.lot_ids)) if leg.lot_ids else None,
            "order_type": str(leg.order_type),
            "limit_price": leg.limit_price,
            "time_in_force": str(leg.time_in_force),
            "sized_quantity": leg.quantity if leg.side is Side.SELL else None,
        }

    def run(self, run_id: str) -> RunRecord | None:
        """The run with this id, or ``None``."""
        with self.engine.connect() as conn:
            return self._run(conn, run_id)

    def runs(self, *, household: str | None = None, unfinished: bool = False) -> list[RunRecord]:
        """Runs in creation order, optionally of one household and/or not yet done."""
        query = select(journal_runs).order_by(journal_runs.c.created_at, journal_runs.c.run_id)
        if household is not None:
            query = query.where(journal_runs.c.household == household)
        if unfinished:
            query = query.where(journal_runs.c.phase != RunPhase.DONE)
        with self.engine.connect() as conn:
            return [self._run_record(row) for row in conn.execute(query).mappings()]

    def set_phase(self, run_id: str, phase: str) -> None:
        """Move a run to ``phase`` (``sells`` -> ``buys`` -> ``done``; never back)."""
        order = [RunPhase.SELLS, RunPhase.BUYS, RunPhase.DONE]
        with self.engine.begin() as conn:
            run = self._run(conn, run_id)
            if run is None:
                raise OrderError(f"unknown run {run_id}")
            if order.index(phase) < order.index(run.phase):
                raise OrderError(f"run {run_id} cannot go back from {run.phase} to {phase}")
            values: dict[str, object] = {"phase": phase}
            if phase == RunPhase.DONE and run.finished_at is None:
                values["finished_at"] = self.now()
            conn.execute(update(journal_runs).where(journal_runs.c.run_id == run_id).values(**values))

    def legs(self, run_id: str) -> list[Leg]:
        """The run's legs in leg order."""
        with self.engine.connect() as conn:
            return self._legs(conn, run_id)

    def sized_quantities(self, run_id: str) -> dict[int, Decimal | None]:
        """Leg number -> decided order quantity (``None`` while undecided, 0 when the leg was dropped)."""
        query = select(journal_legs.c.leg, journal_legs.c.sized_quantity).where(
            journal_legs.c.run_id == run_id
        )
        with self.engine.connect() as conn:
            return {row.leg: row.sized_quantity for row in conn.execute(query)}

    def set_sized_quantities(self, run_id: str, sizes: dict[int, Decimal]) -> None:
        """Fix the order quantity of several legs in one transaction (legs already sized keep their size)."""
        with self.engine.begin() as conn:
            for leg, size in sizes.items():
                conn.execute(
                    update(journal_legs)
                    .where(
                        journal_legs.c.run_id == run_id,
                        journal_legs.c.leg == leg,
                        journal_legs.c.sized_quantity.is_(None),
                    )
                    .values(sized_quantity=size)
                )

    # -- orders ----------------------------------------------------------------------------------------
    def record_intent(self, order: Order, *, run_id: str, leg: int, attempt: int) -> JournalEntry:
        """Commit ``order`` as ``intent`` (before it is sent); idempotent: an existing entry is returned."""
        with self.engine.begin() as conn:
            known = self._entry(conn, order.client_order_id)
            if known is not None:
                if known.order != order:
                    raise OrderError(f"client id {order.client_order_id} is journaled for another order")
                return known
            now = self.now()
            conn.execute(
                insert(journal_orders).values(
                    client_order_id=order.client_order_id,
                    run_id=run_id,
                    leg=leg,
                    attempt=attempt,
                    account=order.account,
                    symbol=order.symbol,
                    side=str(order.side),
                    quantity=order.quantity,
                    notional=order.notional,
                    order_type=str(order.order_type),
                    limit_price=order.limit_price,
                    time_in_force=str(order.time_in_force),
                    extended_hours=order.extended_hours,
                    status=str(OrderStatus.INTENT),
                    venue_order_id=None,
                    filled_quantity=Decimal(0),
                    average_price=None,
                    reject_reason=None,
                    created_at=now,
                    updated_at=now,
                )
            )
            self._event(conn, order.client_order_id, at=now, from_status=None, to_status=OrderStatus.INTENT)
            entry = self._entry(conn, order.client_order_id)
            assert entry is not None
            return entry

    def entry(self, client_order_id: str) -> JournalEntry | None:
        """The journal entry of a client id, or ``None``."""
        with self.engine.connect() as conn:
            return self._entry(conn, client_order_id)

    def entries(self, *, run_id: str | None = None, open_only: bool = False) -> list[JournalEntry]:
        """Journal entries in creation order, optionally of one run and/or not terminal."""
        query = select(journal_orders).order_by(journal_orders.c.created_at, journal_orders.c.client_order_id)
        if run_id is not None:
            query = query.where(journal_orders.c.run_id == run_id)
        if open_only:
            query = query.where(
                journal_orders.c.status.notin_([str(s) for s in OrderStatus if s.is_terminal])
            )
        with self.engine.connect() as conn:
            return [self._entry_record(row) for row in conn.execute(query).mappings()]

    def entries_for(self, client_order_ids: Sequence[str]) -> dict[str, JournalEntry]:
        """Client id -> entry for the ids that are journaled (one query)."""
        if not client_order_ids:
            return {}
        query = select(journal_orders).where(journal_orders.c.client_order_id.in_(list(client_order_ids)))
        with self.engine.connect() as conn:
            entries = [self._entry_record(row) for row in conn.execute(query).mappings()]
        return {e.client_order_id: e for e in entries}

    def transition(
        self,
        client_order_id: str,
        status: OrderStatus,
        *,
        detail: str | None = None,
        reject_reason: str | None = None,
    ) -> JournalEntry:
        """Move an entry to ``status`` (legal transitions only, see :mod:`trimtab.execution.orders`)."""
        with self.engine.begin() as conn:
            entry = self._require(conn, client_order_id)
            check_transition(entry.status, status)
            return self._write(conn, entry, status=status, detail=detail, reject_reason=reject_reason)

    def record_ack(self, ack: Ack) -> JournalEntry:
        """Record a venue acknowledgement (venue order id and status)."""
        with self.engine.begin() as conn:
            entry = self._require(conn, ack.client_order_id)
            status = merge_status(entry.status, ack.status)
            return self._write(conn, entry, status=status, venue_order_id=ack.venue_order_id, detail="ack")

    def record_state(self, state: OrderState, *, detail: str | None = None) -> JournalEntry:
        """Record the venue's view of an order (``lookup`` or a pushed event); stale reports are ignored."""
        with self.engine.begin() as conn:
            entry = self._require(conn, state.client_order_id)
            status = merge_status(entry.status, state.status)
            filled = max(entry.filled_quantity, state.filled_quantity)  # drops only through corrections
            return self._write(
                conn,
                entry,
                status=status,
                venue_order_id=state.venue_order_id,
                filled_quantity=filled,
                average_price=state.average_price,
                reject_reason=state.reject_reason,
                detail=detail,
            )

    def _write(
        self,
        conn: Connection,
        entry: JournalEntry,
        *,
        status: OrderStatus,
        detail: str | None = None,
        venue_order_id: str | None = None,
        filled_quantity: Decimal | None = None,
        average_price: Decimal | None = None,
        reject_reason: str | None = None,
    ) -> JournalEntry:
        now = self.now()
        values: dict[str, object] = {"status": str(status), "updated_at": now}
        if venue_order_id and venue_order_id != entry.venue_order_id:
            values["venue_order_id"] = venue_order_id
        if filled_quantity is not None and filled_quantity != entry.filled_quantity:
            values["filled_quantity"] = filled_quantity
        if average_price is not None and average_price != entry.average_price:
            values["average_price"] = average_price
        if reject_reason and reject_reason != entry.reject_reason:
            values["reject_reason"] = reject_reason[:200]
        changed = status is not entry.status or len(values) > 2
        if not changed:
            return entry
        conn.execute(
            update(journal_orders)
            .where(journal_orders.c.client_order_id == entry.client_order_id)
            .values(**values)
        )
        if status is not entry.status or detail:
            self._event(
                conn, entry.client_order_id, at=now, from_status=entry.status, to_status=status, detail=detail
            )
        values["status"] = status
        return replace(entry, **values)  # type: ignore[arg-type]

    @staticmethod
    def _event(
        conn: Connection,
        client_order_id: str,
        *,
        at: datetime,
        from_status: OrderStatus | None,
        to_status: OrderStatus,
        detail: str | None = None,
    ) -> None:
        """Append one row to the audit trail."""
        conn.execute(
            insert(journal_events).values(
                client_order_id=client_order_id,
                at=at,
                from_status=None if from_status is None else str(from_status),
                to_status=str(to_status),
                detail=detail,
            )
        )

    def events(self, client_order_id: str) -> list[tuple[datetime, str | None, str, str | None]]:
        """Audit trail of one order: ``(at, from_status, to_status, detail)`` rows in order."""
        query = (
            select(
                journal_events.c.at,
                journal_events.c.from_status,
                journal_events.c.to_status,
                journal_events.c.detail,
            )
            .where(journal_events.c.client_order_id == client_order_id)
            .order_by(journal_events.c.id)
        )
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]

    # -- row mapping -----------------------------------------------------------------------------------
    def _require(self, conn: Connection, client_order_id: str) -> JournalEntry:
        entry = self._entry(conn, client_order_id)
        if entry is None:
            raise OrderError(f"client id {client_order_id} is not in the journal")
        return entry

    @staticmethod
    def _run(conn: Connection, run_id: str) -> RunRecord | None:
        row = conn.execute(select(journal_runs).where(journal_runs.c.run_id == run_id)).mappings().first()
        return None if row is None else OrderJournal._run_record(row)

    @staticmethod
    def _run_record(row: object) -> RunRecord:
        r = dict(row)  # type: ignore[call-overload]
        return RunRecord(
            run_id=r["run_id"],
            household=r["household"],
            as_of=r["as_of"],
            venue=r["venue"],
            phase=r["phase"],
            created_at=r["created_at"],
            finished_at=r["finished_at"],
        )

    @staticmethod
    def _legs(conn: Connection, run_id: str) -> list[Leg]:
        rows = conn.execute(
            select(journal_legs).where(journal_legs.c.run_id == run_id).order_by(journal_legs.c.leg)
        ).mappings()
        return [
            Leg(
                run_id=r["run_id"],
                leg=r["leg"],
                account=r["account"],
                symbol=r["symbol"],
                side=Side(r["side"]),
                quantity=r["quantity"],
                price=r["price"],
                estimated_cost=r["estimated_cost"],
                lot_ids=tuple(json.loads(r["lot_ids"])) if r["lot_ids"] else (),
                order_type=OrderType(r["order_type"]),
                limit_price=r["limit_price"],
                time_in_force=TimeInForce(r["time_in_force"]),
            )
            for r in rows
        ]

    @staticmethod
    def _entry(conn: Connection, client_order_id: str) -> JournalEntry | None:
        row = (
            conn.execute(select(journal_orders).where(journal_orders.c.client_order_id == client_order_id))
            .mappings()
            .first()
        )
        return None if row is None else OrderJournal._entry_record(row)

    @staticmethod
    def _entry_record(row: object) -> JournalEntry:
        r = dict(row)  # type: ignore[call-overload]
        order = Order(
            client_order_id=r["client_order_id"],
            account=r["account"],
            symbol=r["symbol"],
            side=Side(r["side"]),
            quantity=r["quantity"],
            notional=r["notional"],
            order_type=OrderType(r["order_type"]),
            limit_price=r["limit_price"],
            time_in_force=TimeInForce(r["time_in_force"]),
            extended_hours=bool(r["extended_hours"]),
        )
        return JournalEntry(
            order=order,
            run_id=r["run_id"],
            leg=r["leg"],
            attempt=r["attempt"],
            status=OrderStatus(r["status"]),
            venue_order_id=r["venue_order_id"],
            filled_quantity=r["filled_quantity"],
            average_price=r["average_price"],
            reject_reason=r["reject_reason"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )
