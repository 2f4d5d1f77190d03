"""The send loop: journal before send, retries that never duplicate, lookups after unclear outcomes.

:class:`SendLoop` carries a journaled run to the end:

1. **Sells.** Each sell leg's order is committed as ``intent`` and only then sent. A rate limit or a refused
   connection sent nothing, so the same call is retried after the wait. A timeout or 5xx after the request
   left (``AmbiguousSubmit``) or a "duplicate id" answer moves the entry to ``unknown`` and the order is
   looked up by client id: found, its state is recorded; never seen, the *same* id is sent again (only on
   venues that refuse reused ids; elsewhere the loop stops with
   :class:`~trimtab.execution.errors.UnresolvedOrderError`).
2. **Wait.** Pushed events and lookups are applied until every sell is terminal *and* the fills booked for it
   add up to what the venue reports filled (executions are pulled whenever the book is behind), or a deadline
   passes.
3. **Buys.** Each account's buys are sized from the cash the venue reports now (the cash actually raised),
   keeping a buffer for slippage; the sizes are journaled once, so a restart never re-sizes. Then send and
   wait as above.
4. **Sweep.** Executions since the run began are pulled once more and the run is marked done.

Every step is restartable: a new process calling :meth:`SendLoop.run` on the same journal and venue continues
where the last one stopped; ``intent``, ``sent`` and ``unknown`` entries are looked up before anything is
sent. Fills go to a :class:`FillSink` (the book), which deduplicates on ``(venue, execution_id)``.

Hooks: ``hook(step)`` is called at ``"after_intent"``, ``"after_send"`` (the venue answered, nothing journaled
yet), ``"after_ack"`` and ``"after_fill"`` (a fill was booked); crash tests kill the process there.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Protocol, TypeVar

from trimtab.domain.orders import Fill, Order, OrderState, OrderStatus, OrderType
from trimtab.domain.trades import Side
from trimtab.execution.broker import Broker, SessionStatus
from trimtab.execution.errors import (
    AmbiguousSubmit,
    BrokerUnavailable,
    DuplicateClientOrderId,
    MarketClosed,
    OrderRejected,
    RateLimited,
    UnresolvedOrderError,
)
from trimtab.execution.journal import JournalEntry, OrderJournal, RunPhase
from trimtab.execution.orders import Leg

__all__ = ["FillSink", "RunOutcome", "SendLoop", "SubmitSettings", "size_buys"]

T = TypeVar("T")
_ZERO = Decimal(0)
_SHARE_STEP = Decimal("0.000001")


class FillSink(Protocol):
    """Where fills go (the book): ``apply`` books a fill once; ``filled_quantity`` sums an order's fills."""

    def apply(self, fill: Fill) -> bool:
        """Book one fill; ``False`` when ``(venue, execution_id)`` was already booked."""
        ...

    def filled_quantity(self, venue: str, client_order_id: str) -> Decimal:
        """Shares booked for one order."""
        ...


@dataclass(frozen=True, kw_only=True)
class SubmitSettings:
    """Deadlines, retries and the buy-sizing buffer of the send loop.

    Parameters
    ----------
    deadline_seconds : float
        How long to wait for a phase's orders to settle before leaving the run open.
    poll_interval_seconds : float
        Pause between polls while waiting.
    max_retries : int
        Retries of one call after ``RateLimited`` or ``BrokerUnavailable`` before giving up (run stays open).
    retry_wait_seconds : float
        First backoff when the venue gave no ``retry_after`` (doubles per retry, capped).
    max_retry_wait_seconds : float
        Longest single wait.
    cash_buffer : Decimal
        Fraction of the planned buy value kept back for slippage when sizing buys (0.01 = 1 %).
    executions_margin : timedelta
        How far before the run's start executions are pulled (clock skew).
    sleep, monotonic : callable
        Injected for tests.
    """

    deadline_seconds: float = 120.0
    poll_interval_seconds: float = 0.5
    max_retries: int = 25
    retry_wait_seconds: float = 0.25
    max_retry_wait_seconds: float = 10.0
    cash_buffer: Decimal = Decimal("0.01")
    executions_margin: timedelta = timedelta(minutes=5)
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


@dataclass
class RunOutcome:
    """What one call of :meth:`SendLoop.run` achieved.

    ``phase`` is the run's phase afterwards (``done`` when finished); ``unsettled`` the client ids still open
    when the deadline passed; ``booked`` fills newly booked by this call; ``sizes`` the decided buy quantities
    by leg.
    """

    run_id: str
    phase: str
    entries: list[JournalEntry] = field(default_factory=list)
    booked: int = 0
    unsettled: list[str] = field(default_factory=list)
    sizes: dict[int, Decimal] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Whether the run finished."""
        return self.phase == RunPhase.DONE


def size_buys(
    legs: Sequence[Leg], available: dict[str, Decimal], *, cash_buffer: Decimal, fractional: bool = True
) -> dict[int, Decimal]:
    """Order quantities of buy legs from the cash each account has now.

    Per account, the planned buys cost ``sum(quantity * price) * (1 + cash_buffer) + estimated costs``; when
    that exceeds ``available[account]`` every buy is scaled by the same factor and rounded down (whole shares
    stay whole; fractional ones keep six places). Never more than planned; 0 drops the leg.
    """
    by_account: dict[str, list[Leg]] = defaultdict(list)
    for leg in legs:
        by_account[leg.account].append(leg)
    sizes: dict[int, Decimal] = {}
    for account, group in by_account.items():
        need = sum((leg.value * (1 + cash_buffer) + leg.estimated_cost for leg in group), _ZERO)
        cash = max(available.get(account, _ZERO), _ZERO)
        scale = Decimal(1) if need <= cash else (cash / need if need > 0 else _ZERO)
        for leg in group:
            whole = leg.quantity == leg.quantity.to_integral_value() or not fractional
            step = Decimal(1) if whole else _SHARE_STEP
            sizes[leg.leg] = min(
                leg.quantity, (leg.quantity * scale / step).to_integral_value(ROUND_DOWN) * step
            )
    return sizes


class SendLoop:
    """Carries journaled runs to the end against one broker (see the module docstring).

    Parameters
    ----------
    broker : Broker
        The venue.
    journal : OrderJournal
        Write-ahead journal (same database as the book).
    sink : FillSink
        The book.
    settings : SubmitSettings, optional
    hook : callable, optional
        Called with a step name at the crash points listed in the module docstring.
    """

    def __init__(
        self,
        broker: Broker,
        journal: OrderJournal,
        sink: FillSink,
        *,
        settings: SubmitSettings | None = None,
        hook: Callable[[str], None] | None = None,
    ) -> None:
        self.broker = broker
        self.journal = journal
        self.sink = sink
        self.settings = settings or SubmitSettings()
        self._hook = hook or (lambda _step: None)
        self.capabilities = broker.capabilities()
        self.venue = self.capabilities.venue
        self.booked = 0
        self._seen: set[tuple[str, str]] = set()

    # -- retries ---------------------------------------------------------------------------------------
    def call(self, fn: Callable[..., T], *args: object) -> T:
        """Call the broker; retry after ``RateLimited`` (``retry_after``) and ``BrokerUnavailable`` (backoff).

        Only for calls that change nothing at the venue or are safe to repeat (lookups, polls); ``submit`` has
        its own handling in :meth:`send`.
        """
        for attempt in range(self.settings.max_retries + 1):
            try:
                return fn(*args)
            except (RateLimited, BrokerUnavailable) as err:
                if attempt == self.settings.max_retries:
                    raise
                self._wait(err, attempt)
        raise AssertionError("unreachable")

    def _wait(self, err: Exception, attempt: int) -> None:
        wait = getattr(err, "retry_after", None)
        if wait is None:
            wait = self.settings.retry_wait_seconds * 2 ** min(attempt, 6)
        self.settings.sleep(min(wait, self.settings.max_retry_wait_seconds))

    # -- one order -------------------------------------------------------------------------------------
    def send(self, order: Order, *, run_id: str, leg: int, attempt: int = 1) -> JournalEntry:
        """Journal ``order`` (if new) and make sure the venue has it exactly once; the resulting entry."""
        entry = self.journal.entry(order.client_order_id)
        if entry is None:
            self.journal.record_intent(order, run_id=run_id, leg=leg, attempt=attempt)
            self._hook("after_intent")
            return self._submit(order)
        if entry.status in (OrderStatus.INTENT, OrderStatus.SENT, OrderStatus.UNKNOWN):
            return self._resolve(entry)
        return entry

    def _resolve(self, entry: JournalEntry) -> JournalEntry:
        """An entry maybe at the venue: look it up; send (same id) only if the venue never saw it."""
        known = self.call(self.broker.lookup, entry.client_order_id)
        if known is not None:
            return self.journal.record_state(known, detail="lookup")
        if entry.status is not OrderStatus.INTENT and not self.capabilities.client_id_unique:
            raise UnresolvedOrderError(
                f"order {entry.client_order_id} had an unclear outcome and the venue does not "
                "refuse reused ids: reconcile before sending it again"
            )
        return self._submit(entry.order)

    def _submit(self, order: Order) -> JournalEntry:
        cid = order.client_order_id
        for attempt in range(self.settings.max_retries + 1):
            try:
                ack = self.broker.submit(order)
            except (RateLimited, BrokerUnavailable) as err:  # nothing was sent
                if attempt == self.settings.max_retries:
                    raise
                self._wait(err, attempt)
                continue
            except OrderRejected as err:
                self._hook("after_send")
                return self.journal.record_state(
                    OrderState(
                        client_order_id=cid,
                        status=OrderStatus.REJECTED,
                        quantity=order.quantity,
                        reject_reason=f"{err.reason}: {err}",
                    ),
                    detail="rejected on submit",
                )
            except (AmbiguousSubmit, DuplicateClientOrderId) as err:
                self._hook("after_send")
                self.journal.transition(cid, OrderStatus.UNKNOWN, detail=f"{type(err).__name__}: {err}")
                known = self.call(self.broker.lookup, cid)
                if known is not None:
                    return self.journal.record_state(known, detail="lookup after unclear submit")
                if not self.capabilities.client_id_unique:
                    raise UnresolvedOrderError(
                        f"order {cid}: unclear submit and the venue does not refuse reused "
                        "ids: reconcile before sending it again"
                    ) from err
                self.journal.transition(cid, OrderStatus.SENT, detail="resubmit: the venue never saw it")
                continue
            self._hook("after_send")
            entry = self.journal.record_ack(ack)
            self._hook("after_ack")
            return entry
        raise UnresolvedOrderError(
            f"order {cid}: the venue answered neither with the order nor without it after "
            f"{self.settings.max_retries} tries; reconcile"
        )

    # -- fills and states ------------------------------------------------------------------------------
    def book(self, fills: Iterable[Fill], ours: set[str]) -> None:
        """Book the fills of the orders ``ours``; others are left to their own run (or to reconciliation)."""
        for fill in fills:
            if fill.client_order_id not in ours or fill.key in self._seen:
                continue
            if self.sink.apply(fill):
                self.booked += 1
                self._hook("after_fill")
            self._seen.add(fill.key)

    def pump(self, cids: Sequence[str], since: datetime) -> None:
        """One poll: pushed events, a lookup of each open order, pulled executions when the book is behind."""
        ours = set(cids)
        events = self.call(self.broker.drain_events)
        self.book([e.fill for e in events if e.fill is not None], ours)
        latest = {
            e.state.client_order_id: e.state
            for e in events
            if e.state is not None and e.state.client_order_id in ours
        }
        behind = False
        entries = self.journal.entries_for(cids)
        for cid in cids:
            entry = entries.get(cid)
            if entry is None:
                continue
            if cid in latest and entry.status.is_open:
                entry = self.journal.record_state(latest[cid], detail="event")
            if entry.status in (OrderStatus.INTENT, OrderStatus.SENT, OrderStatus.UNKNOWN):
                entry = self._resolve(entry)
            elif entry.status.is_open:
                state = self.call(self.broker.lookup, cid)
                if state is not None:
                    entry = self.journal.record_state(state, detail="poll")
            if entry.filled_quantity > self.sink.filled_quantity(self.venue, cid):
                behind = True
        if behind:
            self.book(self.call(self.broker.executions, since), ours)

    def cancel(self, client_order_id: str) -> JournalEntry | None:
        """Request a cancel: an order never sent is withdrawn (``intent -> canceled``); an open one goes to
        ``pending_cancel`` and the venue is asked; the outcome (canceled, or filled after all) comes from
        polls."""
        entry = self.journal.entry(client_order_id)
        if entry is None or entry.status.is_terminal:
            return entry
        if entry.status in (OrderStatus.INTENT, OrderStatus.SENT, OrderStatus.UNKNOWN):
            known = self.call(self.broker.lookup, client_order_id)
            if known is None:
                if entry.status is OrderStatus.INTENT:
                    return self.journal.transition(
                        client_order_id, OrderStatus.CANCELED, detail="withdrawn unsent"
                    )
                return self._resolve(entry)
            entry = self.journal.record_state(known, detail="lookup before cancel")
            if entry.status.is_terminal:
                return entry
        entry = self.journal.transition(
            client_order_id, OrderStatus.PENDING_CANCEL, detail="cancel requested"
        )
        self.call(self.broker.cancel, client_order_id)
        return entry

    def settled(self, cid: str, entry: JournalEntry | None = None) -> bool:
        """Terminal, and the booked fills add up to what the venue reports filled."""
        entry = entry or self.journal.entry(cid)
        return (
            entry is not None
            and entry.status.is_terminal
            and self.sink.filled_quantity(self.venue, cid) >= entry.filled_quantity
        )

    def await_settled(self, cids: Sequence[str], since: datetime) -> list[str]:
        """Poll until every order is settled or the deadline passes; the ids still unsettled."""
        start = self.settings.monotonic()
        while True:
            self.pump(cids, since)
            entries = self.journal.entries_for(cids)
            unsettled = [cid for cid in cids if not self.settled(cid, entries.get(cid))]
            if not unsettled or self.settings.monotonic() - start > self.settings.deadline_seconds:
                return unsettled
            self.settings.sleep(self.settings.poll_interval_seconds)

    # -- a run -----------------------------------------------------------------------------------------
    def _gate_session(self, orders: Sequence[Order]) -> None:
        """Market-hours gate: send no market or DAY order to a closed venue."""
        unsent = [o for o in orders if self.journal.entry(o.client_order_id) is None]
        if not unsent:
            return
        session = self.broker.trading_session(sorted({o.symbol for o in unsent}), self.journal.now())
        if session.status is SessionStatus.CLOSED or (
            session.status is SessionStatus.EXTENDED and any(o.order_type is OrderType.MARKET for o in unsent)
        ):
            raise MarketClosed(
                f"the venue's session is {session.status}: nothing was sent; run again when the "
                "market is open"
            )

    def run(self, run_id: str) -> RunOutcome:
        """Carry a journaled run on from wherever it stands (see the module docstring)."""
        run = self.journal.run(run_id)
        if run is None:
            raise UnresolvedOrderError(f"run {run_id} is not in the journal")
        legs = self.journal.legs(run_id)
        since = run.created_at - self.settings.executions_margin
        outcome = RunOutcome(run_id=run_id, phase=run.phase)
        booked_before = self.booked
        if run.phase == RunPhase.SELLS:
            sells = [leg for leg in legs if leg.side is Side.SELL]
            orders = [leg.order() for leg in sells]
            self._gate_session(orders)
            for leg, order in zip(sells, orders, strict=True):
                self.send(order, run_id=run_id, leg=leg.leg)
            outcome.unsettled = self.await_settled([o.client_order_id for o in orders], since)
            if outcome.unsettled:
                return self._finish(outcome, booked_before)
            self.journal.set_phase(run_id, RunPhase.BUYS)
        buys = [leg for leg in legs if leg.side is Side.BUY]
        sizes = self.journal.sized_quantities(run_id)
        if any(sizes.get(leg.leg) is None for leg in buys):
            available: dict[str, Decimal] = {}
            for account in sorted({leg.account for leg in buys}):
                snapshot = self.call(self.broker.account, account)
                available[account] = (
                    snapshot.cash
                    if snapshot.buying_power is None
                    else min(snapshot.cash, snapshot.buying_power)
                )
            self.journal.set_sized_quantities(
                run_id,
                size_buys(
                    buys,
                    available,
                    cash_buffer=self.settings.cash_buffer,
                    fractional=self.capabilities.fractional,
                ),
            )
            sizes = self.journal.sized_quantities(run_id)
        outcome.sizes = {leg.leg: sizes[leg.leg] or _ZERO for leg in buys}
        orders = [leg.order(quantity=sizes[leg.leg]) for leg in buys if (sizes[leg.leg] or _ZERO) > 0]
        legs_of = {leg.client_order_id(): leg.leg for leg in buys}
        self._gate_session(orders)
        for order in orders:
            self.send(order, run_id=run_id, leg=legs_of[order.client_order_id])
        outcome.unsettled = self.await_settled([o.client_order_id for o in orders], since)
        if outcome.unsettled:
            return self._finish(outcome, booked_before)
        all_ids = {e.client_order_id for e in self.journal.entries(run_id=run_id)}
        self.book(self.call(self.broker.executions, since), all_ids)
        self.journal.set_phase(run_id, RunPhase.DONE)
        return self._finish(outcome, booked_before)

    def _finish(self, outcome: RunOutcome, booked_before: int) -> RunOutcome:
        run = self.journal.run(outcome.run_id)
        assert run is not None
        outcome.phase = run.phase
        outcome.entries = self.journal.entries(run_id=outcome.run_id)
        outcome.booked = self.booked - booked_before
        return outcome
