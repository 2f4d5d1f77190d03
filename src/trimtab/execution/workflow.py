"""The execute workflow: a trade plan -> journaled run -> orders at a broker -> fills -> book -> summary.

``trimtab execute PORTFOLIO`` plans with :func:`trimtab.job.plan_rebalance` and calls :func:`execute_plan`
with the plan and the portfolio's household. :func:`execute_plan`:

1. names the run after the plan (:func:`~trimtab.execution.orders.run_id_for`); a run of the same plan that
   already finished is reported, not repeated; one that is unfinished (a crash, a deadline) is carried on;
2. finishes any other unfinished run of the household first (the journal alone says what to do);
3. for a new run: imports the household into an empty book, or checks that the book matches it exactly
   (:class:`~trimtab.book.ledger.BookMismatchError` otherwise, before anything is written), shows the orders
   and asks for confirmation;
4. journals the run and its legs, and hands it to :class:`~trimtab.execution.submit.SendLoop` (sells first,
   then buys sized from the cash actually raised);
5. reconciles the book against the broker and returns an :class:`ExecutionSummary`.

This module is where execution meets the book (like ``cycle``); the send loop itself only sees a ``FillSink``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from trimtab.book.ledger import Book
from trimtab.book.reconcile import ReconciliationReport, positions_by_key, reconcile
from trimtab.db import default_database_url, sqlite_file
from trimtab.domain.household import Household
from trimtab.domain.orders import OrderStatus
from trimtab.domain.trades import Side
from trimtab.execution.broker import Broker
from trimtab.execution.errors import UnknownBrokerError
from trimtab.execution.journal import JournalEntry, OrderJournal
from trimtab.execution.orders import Leg, TradeLike, legs_from_trades, run_id_for
from trimtab.execution.paper import PaperBroker, PaperConfig
from trimtab.execution.submit import RunOutcome, SendLoop, SubmitSettings

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "BROKER_NAMES",
    "PAPER_SETTINGS",
    "PAPER_STATE_ENV",
    "ExecutionSummary",
    "OrderLine",
    "PlanLike",
    "default_paper_state_path",
    "execute_plan",
    "make_broker",
    "open_paper_accounts",
    "reconcile_with_broker",
    "resume_runs",
]

#: Brokers ``--broker`` accepts (adapters add themselves here as they land).
BROKER_NAMES: tuple[str, ...] = ("paper",)
#: Environment variable naming the paper venue's state file.
PAPER_STATE_ENV = "TRIMTAB_PAPER_STATE"
#: Send-loop settings for the paper venue: it fills as fast as it is polled, so poll without pausing.
PAPER_SETTINGS = SubmitSettings(poll_interval_seconds=0.0, deadline_seconds=30.0, retry_wait_seconds=0.01)


class PlanLike(Protocol):
    """What the workflow reads from a trade plan (:class:`trimtab.trades.plan.TradePlan` fits)."""

    @property
    def trades(self) -> Sequence[TradeLike]: ...

    @property
    def as_of(self) -> date | datetime: ...


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One leg in the summary: planned and ordered shares, filled shares, average price (dollars), status."""

    client_order_id: str | None
    account: str
    symbol: str
    side: Side
    planned: Decimal
    ordered: Decimal | None
    filled: Decimal
    average_price: Decimal | None
    status: str


@dataclass
class ExecutionSummary:
    """What :func:`execute_plan` did.

    ``status`` is one of ``dry_run`` (nothing written or sent), ``declined`` (not confirmed),
    ``nothing_to_do``, ``already_done`` (this plan ran before), ``done`` or ``unfinished`` (orders still open
    at the deadline; run again to continue). Cash is in dollars per account.
    """

    run_id: str
    household: str
    status: str
    venue: str
    lines: list[OrderLine] = field(default_factory=list)
    fills_booked: int = 0
    cash_before: dict[str, Decimal] = field(default_factory=dict)
    cash_after: dict[str, Decimal] = field(default_factory=dict)
    reconciliation: ReconciliationReport | None = None
    resumed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready document (decimals as strings)."""

        def s(x: Decimal | None) -> str | None:
            return None if x is None else str(x)

        return {
            "run_id": self.run_id,
            "household": self.household,
            "status": self.status,
            "venue": self.venue,
            "orders": [
                {
                    "client_order_id": line.client_order_id,
                    "account": line.account,
                    "symbol": line.symbol,
                    "side": str(line.side),
                    "planned": s(line.planned),
                    "ordered": s(line.ordered),
                    "filled": s(line.filled),
                    "average_price": s(line.average_price),
                    "status": line.status,
                }
                for line in self.lines
            ],
            "fills_booked": self.fills_booked,
            "cash_before": {k: s(v) for k, v in self.cash_before.items()},
            "cash_after": {k: s(v) for k, v in self.cash_after.items()},
            "breaks": [] if self.reconciliation is None else self.reconciliation.lines(),
            "resumed_runs": self.resumed,
            "notes": self.notes,
        }


def _as_date(value: date | datetime) -> date:
    if hasattr(value, "date") and callable(value.date):
        return value.date()  # type: ignore[no-any-return]
    return value


def _lines(
    legs: Sequence[Leg], entries: Sequence[JournalEntry], sizes: Mapping[int, Decimal | None]
) -> list[OrderLine]:
    latest: dict[int, JournalEntry] = {}
    for entry in entries:
        if entry.leg not in latest or entry.attempt > latest[entry.leg].attempt:
            latest[entry.leg] = entry
    out = []
    for leg in legs:
        found = latest.get(leg.leg)
        if found is None:
            size = sizes.get(leg.leg)
            status = "dropped (no cash)" if size is not None and size == 0 else "not sent"
            out.append(
                OrderLine(
                    None, leg.account, leg.symbol, leg.side, leg.quantity, size, Decimal(0), None, status
                )
            )
        else:
            out.append(
                OrderLine(
                    found.client_order_id,
                    leg.account,
                    leg.symbol,
                    leg.side,
                    leg.quantity,
                    found.order.quantity,
                    found.filled_quantity,
                    found.average_price,
                    str(found.status),
                )
            )
    return out


def reconcile_with_broker(book: Book, broker: Broker, accounts: Sequence[str]) -> ReconciliationReport:
    """Book positions and cash against the broker's, for ``accounts``; differences listed, never corrected."""
    cash = {}
    for account in accounts:
        cash[account] = broker.account(account).cash
    return reconcile(
        book.positions(accounts),
        book.cash_by_account(accounts),
        positions_by_key(broker.positions()),
        cash,
        accounts=accounts,
        other_name=broker.capabilities().venue,
    )


def open_paper_accounts(broker: PaperBroker, book: Book, household: Household) -> None:
    """Open the household's accounts the paper venue does not know yet, from the book (its truth)."""
    positions = book.positions(household.account_ids)
    cash = book.cash_by_account(household.account_ids)
    for account in household.account_ids:
        if broker.has_account(account):
            continue
        broker.set_cash(account, cash.get(account, household.account(account).cash))
        for (acct, symbol), quantity in positions.items():
            if acct == account:
                broker.set_position(account, symbol, quantity)


def resume_runs(
    household: str,
    *,
    broker: Broker,
    engine: Engine,
    settings: SubmitSettings | None = None,
    hook: Callable[[str], None] | None = None,
    skip: str | None = None,
) -> list[RunOutcome]:
    """Carry on every unfinished run of ``household`` (except ``skip``) from the journal alone."""
    journal = OrderJournal(engine)
    loop = SendLoop(broker, journal, Book(engine, hook=hook), settings=settings, hook=hook)
    return [
        loop.run(run.run_id)
        for run in journal.runs(household=household, unfinished=True)
        if run.run_id != skip
    ]


def execute_plan(
    plan: PlanLike,
    household: Household,
    *,
    broker: Broker,
    engine: Engine,
    dry_run: bool = False,
    confirm: Callable[[ExecutionSummary], bool] | None = None,
    settings: SubmitSettings | None = None,
    hook: Callable[[str], None] | None = None,
    run_id: str | None = None,
) -> ExecutionSummary:
    """Execute a trade plan for a household through ``broker``, journaled and booked in ``engine``'s database.

    Parameters
    ----------
    plan : TradePlan-like
        ``.trades`` (account, symbol, side, quantity, price, estimated_cost, lots) and ``.as_of``.
    household : Household
        The household the plan was made from (its accounts, cash and lots must match the book).
    broker : Broker
        The venue; a :class:`~trimtab.execution.paper.PaperBroker` gets the household's accounts opened from
        the book if it does not know them.
    engine : sqlalchemy.Engine
        The database of record (:func:`trimtab.db.open_database`).
    dry_run : bool
        Check and show the orders; write nothing, send nothing.
    confirm : callable, optional
        Shown the preview before anything is written; returning ``False`` stops (status ``declined``).
    settings : SubmitSettings, optional
        Deadlines, retries, cash buffer.
    hook : callable, optional
        Crash-test hook, passed to the send loop and the book.
    run_id : str, optional
        Override the plan-derived run id.

    Raises
    ------
    BookMismatchError
        The household does not match the book (nothing written).
    BrokerError
        The venue failed beyond the retries; the run stays open and a rerun continues it.
    """
    trades = tuple(plan.trades)
    as_of = _as_date(plan.as_of)
    if settings is None and isinstance(broker, PaperBroker):
        settings = PAPER_SETTINGS
    run_id = run_id or run_id_for(household.name, as_of, trades)
    legs = legs_from_trades(trades, run_id)
    journal = OrderJournal(engine)
    book = Book(engine, hook=hook)
    venue = broker.capabilities().venue
    summary = ExecutionSummary(run_id=run_id, household=household.name, status="dry_run", venue=venue)
    existing = journal.run(run_id)

    if existing is not None and existing.is_done:
        summary.status = "already_done"
        summary.lines = _lines(
            journal.legs(run_id), journal.entries(run_id=run_id), journal.sized_quantities(run_id)
        )
        summary.notes.append(
            f"run {run_id} already finished on {existing.finished_at:%Y-%m-%d %H:%M} UTC; nothing sent"
        )
        return summary

    in_book = {a.account_id for a in book.accounts()}
    fresh = not (in_book & set(household.account_ids))
    if existing is None and not fresh:
        unfinished = [r for r in journal.runs(household=household.name, unfinished=True)]
        if not unfinished:
            book.check_matches(household)
    if dry_run:
        summary.lines = [
            OrderLine(
                leg.client_order_id(),
                leg.account,
                leg.symbol,
                leg.side,
                leg.quantity,
                leg.quantity if leg.side is Side.SELL else None,
                Decimal(0),
                None,
                "would send" if leg.side is Side.SELL else "sized after sells",
            )
            for leg in legs
        ]
        summary.cash_before = {a.id: a.cash for a in household.accounts}
        if fresh:
            summary.notes.append(
                "the book has no accounts of this household yet: a real run imports them first"
            )
        return summary
    if existing is None and not legs:
        summary.status = "nothing_to_do"
        summary.notes.append("the plan has no trades")
        return summary
    if existing is None and confirm is not None:
        preview = execute_plan(plan, household, broker=broker, engine=engine, dry_run=True, run_id=run_id)
        if not confirm(preview):
            summary.status = "declined"
            return summary

    if fresh:
        book.import_household(household, as_of=as_of)
        summary.notes.append(f"imported household {household.name!r} into the book")
    if isinstance(broker, PaperBroker):
        open_paper_accounts(broker, book, household)
    summary.cash_before = book.cash_by_account(household.account_ids)
    outcomes = resume_runs(
        household.name, broker=broker, engine=engine, settings=settings, hook=hook, skip=run_id
    )
    summary.resumed = [o.run_id for o in outcomes]
    if existing is None:
        if outcomes:
            book.check_matches(household, source="the portfolio file (after finishing earlier runs)")
        journal.create_run(run_id=run_id, household=household.name, as_of=as_of, venue=venue, legs=legs)
    else:
        summary.notes.append(f"continued unfinished run {run_id}")

    loop = SendLoop(broker, journal, book, settings=settings, hook=hook)
    outcome = loop.run(run_id)
    summary.status = "done" if outcome.done else "unfinished"
    summary.fills_booked = outcome.booked + sum(o.booked for o in outcomes)
    summary.lines = _lines(journal.legs(run_id), outcome.entries, journal.sized_quantities(run_id))
    summary.cash_after = book.cash_by_account(household.account_ids)
    summary.reconciliation = reconcile_with_broker(book, broker, household.account_ids)
    if outcome.unsettled:
        summary.notes.append(
            f"{len(outcome.unsettled)} orders still open at the deadline: run the same command "
            "again to continue, or `trimtab reconcile`"
        )
    rejected = [line for line in summary.lines if line.status == str(OrderStatus.REJECTED)]
    if rejected:
        summary.notes.append(
            f"{len(rejected)} orders rejected by the venue; the next plan starts from the book"
        )
    return summary


# -- brokers by name ------------------------------------------------------------------------------------
def default_paper_state_path(database_url: str | None = None) -> Path:
    """Where the paper venue keeps its state: ``$TRIMTAB_PAPER_STATE``, else next to a SQLite database file
    (``<db>.paper.json``), else ``~/.local/share/trimtab/paper-broker.json``."""
    env = os.environ.get(PAPER_STATE_ENV)
    if env:
        return Path(env).expanduser()
    database = sqlite_file(database_url or default_database_url())
    if database is not None:
        return database.with_suffix(".paper.json")
    default_db = sqlite_file(default_database_url())
    assert default_db is not None
    return default_db.with_name("paper-broker.json")


def make_broker(
    name: str,
    *,
    prices: Mapping[str, Decimal] | None = None,
    paper_state: Path | None = None,
    database_url: str | None = None,
    paper_config: PaperConfig | None = None,
) -> Broker:
    """The broker called ``name`` (``--broker``).

    ``paper``: a :class:`~trimtab.execution.paper.PaperBroker` whose state lives in ``paper_state`` (default
    :func:`default_paper_state_path`), filling at ``prices`` (set for the symbols given).

    Raises
    ------
    UnknownBrokerError
        For any other name (an input error: exit code 2 in the CLI).
    """
    key = (name or "").strip().lower()
    if key == "paper":
        path = paper_state or default_paper_state_path(database_url)
        broker = PaperBroker(config=paper_config, state_path=path)
        for symbol, price in (prices or {}).items():
            broker.set_price(symbol, price)
        return broker
    raise UnknownBrokerError(
        f"unknown broker {name!r}",
        got=name,
        fix=f"use one of: {', '.join(BROKER_NAMES)} (live adapters come as extras)",
    )
