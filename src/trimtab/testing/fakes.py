"""ScriptedBroker: a small in-memory venue that rejects, part-fills and fails on cue.

Unlike :class:`~trimtab.execution.paper.PaperBroker` it pushes no events (``drain_events`` is always empty),
so code under test must poll ``lookup`` and pull ``executions``; it fills at fixed prices in
``fills_per_order`` equal parts, one part per poll. Cues (:meth:`ScriptedBroker.cue`) script the next answers:
a rejection with a given reason, an ambiguous submit before or after acceptance, a rate limit, a disconnect,
repeated execution reports, or a fill racing the next cancel. It implements
:class:`~trimtab.execution.broker.Broker` and :class:`~trimtab.execution.broker.VenueControl`, and passes
:func:`trimtab.testing.checks.check_broker`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from trimtab.domain.orders import (
    AccountSnapshot,
    BrokerPosition,
    Fill,
    Order,
    OrderState,
    OrderStatus,
    OrderType,
    RejectReason,
)
from trimtab.domain.trades import Side
from trimtab.execution.broker import (
    Ack,
    Capabilities,
    FaultKind,
    InstrumentRules,
    OrderEvent,
    SessionStatus,
    TradingSession,
    VenueOrder,
)
from trimtab.execution.errors import (
    AmbiguousSubmit,
    BrokerError,
    BrokerUnavailable,
    DuplicateClientOrderId,
    MarketClosed,
    OrderRejected,
    RateLimited,
)

__all__ = ["POSTGRES_TEST_URL_ENV", "ScriptedBroker", "postgres_test_url", "temporary_schema"]

_ZERO = Decimal(0)
_OPEN = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
_ANY_CALL = frozenset({"submit", "lookup", "cancel", "executions", "account", "positions"})
_CUE_CALLS: Mapping[str, frozenset[str]] = {
    "reject": frozenset({"submit"}),
    FaultKind.TIMEOUT_AFTER_ACCEPT: frozenset({"submit"}),
    FaultKind.ERROR_BEFORE_ACCEPT: frozenset({"submit"}),
    FaultKind.DUPLICATE_EXECUTIONS: frozenset({"executions"}),
    FaultKind.DISCONNECT: _ANY_CALL,
    FaultKind.RATE_LIMIT: _ANY_CALL,
    FaultKind.CANCEL_RACE: frozenset({"cancel"}),
}


@dataclass
class _Order:
    order: Order
    venue_order_id: str
    status: OrderStatus
    parts: list[Decimal]
    filled: Decimal = _ZERO
    gross: Decimal = _ZERO
    submissions: int = 1
    reject_reason: str | None = None
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


class ScriptedBroker:
    """An in-memory venue scripted by cues.

    Parameters
    ----------
    prices : mapping of str to Decimal
        Fill price of each tradable symbol, dollars per share (no slippage).
    fills_per_order : int
        Equal parts each order fills in, one part per poll (``lookup`` or ``executions``).
    fee_per_fill : Decimal
        Dollars charged on every execution.
    venue : str
        Venue name on fills.
    clock : callable, optional
        Current UTC time.

    Examples
    --------
    >>> from decimal import Decimal
    >>> from trimtab.domain.orders import Order
    >>> broker = ScriptedBroker({"VTI": Decimal("200")})
    >>> broker.set_cash("ira", Decimal("1000"))
    >>> broker.cue("reject", reason="insufficient_funds")
    >>> try:
    ...     broker.submit(Order(client_order_id="T1-001-1", account="ira", symbol="VTI", side="buy",
    ...                         quantity=Decimal("1")))
    ... except Exception as err:
    ...     print(type(err).__name__, err.reason)
    OrderRejected insufficient_funds
    """

    def __init__(
        self,
        prices: Mapping[str, Decimal] | None = None,
        *,
        fills_per_order: int = 2,
        fee_per_fill: Decimal = Decimal(0),
        venue: str = "scripted",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.prices: dict[str, Decimal] = dict(prices or {})
        self.fills_per_order = max(1, fills_per_order)
        self.fee_per_fill = fee_per_fill
        self.venue = venue
        self._clock = clock or (lambda: datetime.now(UTC))
        self._orders: dict[str, _Order] = {}
        self._executions: list[Fill] = []
        self._cash: dict[str, Decimal] = {}
        self._positions: dict[tuple[str, str], Decimal] = {}
        self._session = SessionStatus.REGULAR
        self._cues: list[tuple[str, dict[str, object]]] = []
        self._fired: Counter[str] = Counter()
        self._seq = 0
        self._lock = threading.RLock()

    # -- cues ------------------------------------------------------------------------------------------
    def cue(self, kind: str, **params: object) -> None:
        """Script the next applicable call: ``"reject"`` (``reason=``) or any :class:`FaultKind` value."""
        key = kind if kind == "reject" else FaultKind(kind)
        with self._lock:
            self._cues.append((str(key), dict(params)))

    def _take(self, call: str) -> tuple[str, dict[str, object]] | None:
        for i, (kind, params) in enumerate(self._cues):
            key = kind if kind == "reject" else FaultKind(kind)
            if call in _CUE_CALLS[key]:
                del self._cues[i]
                self._fired[kind] += 1
                if kind == FaultKind.DISCONNECT:
                    raise BrokerUnavailable(f"scripted: disconnect during {call}")
                if kind == FaultKind.RATE_LIMIT:
                    raise RateLimited(f"scripted: rate limit on {call}", retry_after=0.0)
                return kind, params
        return None

    # -- Broker ----------------------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        """Fractional, market and limit, no push, unique client ids, lookup by scan."""
        return Capabilities(
            venue=self.venue,
            fractional=True,
            pushes_events=False,
            client_id_max_len=50,
            client_id_unique=True,
            lookup_by_client_id=False,
        )

    def account(self, account_id: str | None = None) -> AccountSnapshot:
        """Cash of one account."""
        with self._lock:
            self._take("account")
            if account_id is None and len(self._cash) == 1:
                account_id = next(iter(self._cash))
            if account_id not in self._cash:
                raise BrokerError(f"scripted: no account {account_id!r}")
            return AccountSnapshot(account=account_id, cash=self._cash[account_id])

    def positions(self) -> list[BrokerPosition]:
        """Non-zero positions."""
        with self._lock:
            self._take("positions")
            return [
                BrokerPosition(account=a, symbol=s, quantity=q)
                for (a, s), q in sorted(self._positions.items())
                if q != 0
            ]

    def instrument_rules(self, symbols: Sequence[str]) -> Mapping[str, InstrumentRules]:
        """Priced symbols are tradable and fractionable."""
        return {
            s: InstrumentRules(
                symbol=s, tradable=s in self.prices, fractionable=True, increment=Decimal("0.000001")
            )
            for s in symbols
        }

    def trading_session(self, symbols: Sequence[str], at: datetime) -> TradingSession:
        """The session set by :meth:`set_session`."""
        return TradingSession(status=self._session)

    def submit(self, order: Order) -> Ack:
        """Take the order unless a cue or the venue's checks say otherwise."""
        with self._lock:
            cue = self._take("submit")
            kind = cue[0] if cue else None
            if kind == FaultKind.ERROR_BEFORE_ACCEPT:
                raise AmbiguousSubmit(
                    "scripted: 503 before acceptance", client_order_id=order.client_order_id
                )
            if self._session is SessionStatus.CLOSED:
                raise MarketClosed("scripted: closed", client_order_id=order.client_order_id)
            known = self._orders.get(order.client_order_id)
            if known is not None:
                known.submissions += 1
                raise DuplicateClientOrderId("scripted: duplicate id", client_order_id=order.client_order_id)
            self._seq += 1
            reason = self._refusal(order)
            if kind == "reject":
                reason = RejectReason(str(cue[1].get("reason", RejectReason.OTHER)))  # type: ignore[index]
            record = _Order(
                order=order,
                venue_order_id=f"S{self._seq:06d}",
                status=OrderStatus.REJECTED if reason else OrderStatus.ACCEPTED,
                parts=[] if reason else self._parts(order),
                reject_reason=reason,
                updated=self._clock(),
            )
            self._orders[order.client_order_id] = record
            if kind == FaultKind.TIMEOUT_AFTER_ACCEPT:
                raise AmbiguousSubmit(
                    "scripted: timeout after acceptance", client_order_id=order.client_order_id
                )
            if reason is not None:
                raise OrderRejected(reason, client_order_id=order.client_order_id)
            return Ack(
                client_order_id=order.client_order_id,
                venue_order_id=record.venue_order_id,
                status=OrderStatus.ACCEPTED,
                venue_time=record.updated,
            )

    def lookup(self, client_order_id: str) -> OrderState | None:
        """State of an order (one more part of every open order fills first)."""
        with self._lock:
            self._take("lookup")
            self._poll()
            record = self._orders.get(client_order_id)
            return None if record is None else self._state(client_order_id, record)

    def cancel(self, client_order_id: str) -> None:
        """Cancel at once (no-op when terminal)."""
        with self._lock:
            cue = self._take("cancel")
            record = self._orders.get(client_order_id)
            if record is None or record.status not in _OPEN:
                return
            if cue is not None:
                self._fill_part(client_order_id, record)
            if record.status in _OPEN:
                record.status, record.parts, record.updated = OrderStatus.CANCELED, [], self._clock()

    def executions(self, since: datetime) -> list[Fill]:
        """Executions at or after ``since`` (one more part of every open order fills first)."""
        with self._lock:
            cue = self._take("executions")
            self._poll()
            fills = [f for f in self._executions if f.executed_at >= since]
            return fills * 2 if cue is not None else fills

    def drain_events(self) -> list[OrderEvent]:
        """No push: always empty."""
        return []

    def close(self) -> None:
        """Nothing to release."""

    # -- VenueControl ----------------------------------------------------------------------------------
    def inject(self, fault: FaultKind | str, *, times: int = 1, **params: object) -> None:
        """Queue ``times`` cues of a fault kind."""
        for _ in range(times):
            self.cue(str(FaultKind(fault)), **params)

    def clear_faults(self) -> None:
        """Drop every queued cue."""
        with self._lock:
            self._cues.clear()

    def injected_faults(self) -> Mapping[str, int]:
        """Cues fired so far, by kind."""
        return dict(self._fired)

    def supported_faults(self) -> frozenset[FaultKind]:
        """Every fault kind (duplicate reports repeat ``executions`` since there is no push)."""
        return frozenset(FaultKind)

    def release_fills(self) -> None:
        """Fill every remaining part."""
        with self._lock:
            while self._poll():
                pass

    def end_day(self) -> None:
        """Expire open DAY orders."""
        with self._lock:
            for record in self._orders.values():
                if record.status in _OPEN and record.order.time_in_force == "day":
                    record.status, record.parts, record.updated = OrderStatus.EXPIRED, [], self._clock()

    def set_session(self, status: SessionStatus | str) -> None:
        """Regular, extended or closed."""
        self._session = SessionStatus(status)

    def set_cash(self, account: str, cash: Decimal) -> None:
        """Open an account / set its cash."""
        with self._lock:
            self._cash[account] = Decimal(cash)

    def set_position(self, account: str, symbol: str, quantity: Decimal) -> None:
        """Set a position without an execution."""
        with self._lock:
            self._cash.setdefault(account, _ZERO)
            self._positions[(account, symbol)] = Decimal(quantity)

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Set a symbol's fill price."""
        self.prices[symbol] = Decimal(price)

    def venue_orders(self) -> list[VenueOrder]:
        """Orders in arrival order."""
        with self._lock:
            return [
                VenueOrder(
                    client_order_id=cid,
                    venue_order_id=r.venue_order_id,
                    account=r.order.account,
                    symbol=r.order.symbol,
                    side=str(r.order.side),
                    quantity=r.order.quantity or _ZERO,
                    status=r.status,
                    filled_quantity=r.filled,
                    submissions=r.submissions,
                )
                for cid, r in self._orders.items()
            ]

    def venue_executions(self) -> list[Fill]:
        """Executions in time order."""
        with self._lock:
            return list(self._executions)

    # -- internals -------------------------------------------------------------------------------------
    def _refusal(self, order: Order) -> RejectReason | None:
        if order.quantity is None or order.symbol not in self.prices:
            return RejectReason.UNKNOWN_INSTRUMENT
        if order.account not in self._cash:
            return RejectReason.OTHER
        if order.side is Side.SELL:
            working = sum(
                (
                    (r.order.quantity or _ZERO) - r.filled
                    for r in self._orders.values()
                    if r.status in _OPEN
                    and r.order.side is Side.SELL
                    and r.order.account == order.account
                    and r.order.symbol == order.symbol
                ),
                _ZERO,
            )
            if order.quantity > self._positions.get((order.account, order.symbol), _ZERO) - working:
                return RejectReason.INSUFFICIENT_POSITION
        else:
            working = sum(
                (
                    ((r.order.quantity or _ZERO) - r.filled) * self.prices[r.order.symbol]
                    + self.fee_per_fill * len(r.parts)
                    for r in self._orders.values()
                    if r.status in _OPEN and r.order.side is Side.BUY and r.order.account == order.account
                ),
                _ZERO,
            )
            need = order.quantity * self.prices[order.symbol] + self.fee_per_fill * self.fills_per_order
            if need > self._cash[order.account] - working:
                return RejectReason.INSUFFICIENT_FUNDS
        return None

    def _parts(self, order: Order) -> list[Decimal]:
        assert order.quantity is not None
        step = Decimal(1) if not order.is_fractional else Decimal("0.000001")
        base = (order.quantity / self.fills_per_order / step).to_integral_value(ROUND_DOWN) * step
        if base <= 0:
            return [order.quantity]
        return [base] * (self.fills_per_order - 1) + [order.quantity - base * (self.fills_per_order - 1)]

    def _poll(self) -> bool:
        moved = False
        for cid, record in self._orders.items():
            if record.status in _OPEN and record.parts:
                moved = self._fill_part(cid, record) or moved
        return moved

    def _fill_part(self, cid: str, record: _Order) -> bool:
        order = record.order
        price = self.prices[order.symbol]
        if (
            order.order_type is OrderType.LIMIT
            and order.limit_price is not None
            and (
                (order.side is Side.BUY and price > order.limit_price)
                or (order.side is Side.SELL and price < order.limit_price)
            )
        ):
            return False
        quantity = record.parts.pop(0)
        self._seq += 1
        fill = Fill(
            venue=self.venue,
            execution_id=f"SX{self._seq:06d}",
            client_order_id=cid,
            venue_order_id=record.venue_order_id,
            account=order.account,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fee=self.fee_per_fill,
            executed_at=self._clock(),
        )
        self._executions.append(fill)
        self._cash[order.account] += fill.cash_change
        sign = 1 if order.side is Side.BUY else -1
        key = (order.account, order.symbol)
        self._positions[key] = self._positions.get(key, _ZERO) + sign * quantity
        record.filled += quantity
        record.gross += quantity * price
        record.status = OrderStatus.FILLED if not record.parts else OrderStatus.PARTIALLY_FILLED
        record.updated = self._clock()
        return True

    @staticmethod
    def _state(cid: str, record: _Order) -> OrderState:
        return OrderState(
            client_order_id=cid,
            status=record.status,
            venue_order_id=record.venue_order_id,
            quantity=record.order.quantity,
            filled_quantity=record.filled,
            average_price=record.gross / record.filled if record.filled else None,
            reject_reason=record.reject_reason,
            updated_at=record.updated,
        )


# -- databases for tests ------------------------------------------------------------------------------------
#: Environment variable with a PostgreSQL URL for tests (default: 127.0.0.1:5432, database ``test``).
POSTGRES_TEST_URL_ENV = "TRIMTAB_TEST_POSTGRES"
_PG_CANDIDATES = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
_pg_probe: dict[str, str | None] = {}


def postgres_test_url() -> tuple[str | None, str]:
    """A reachable PostgreSQL URL for tests and, when there is none, the reason (for ``pytest.skip``).

    Tries ``$TRIMTAB_TEST_POSTGRES``, then ``postgres@`` and ``root@`` on 127.0.0.1:5432, database ``test``
    (trust authentication), with a 3-second connect timeout; the answer is cached for the process.
    """
    if "url" in _pg_probe:
        return _pg_probe["url"], _pg_probe["reason"] or ""
    import os

    from sqlalchemy import create_engine, text

    candidates = (
        [os.environ[POSTGRES_TEST_URL_ENV]] if os.environ.get(POSTGRES_TEST_URL_ENV) else list(_PG_CANDIDATES)
    )
    reason = "no PostgreSQL server reachable"
    for url in candidates:
        try:
            engine = create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_probe.update(url=url, reason=None)
            return url, ""
        except Exception as err:  # noqa: BLE001 - any failure means "skip with this reason"
            reason = f"PostgreSQL not reachable at {url.split('@')[-1]}: {str(err).splitlines()[0][:120]}"
    _pg_probe.update(url=None, reason=reason)
    return None, reason


@contextmanager
def temporary_schema(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema: yields a URL whose ``search_path`` is that schema; drops it after."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"tt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
