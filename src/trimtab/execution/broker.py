"""The Broker protocol: the one narrow, typed, synchronous interface every venue sits behind (BROKERS.md §1).

An adapter implements :class:`Broker`. Quantities and prices are :class:`~decimal.Decimal`; vendor types never
leave the adapter. ``submit`` is idempotent on the client order id; ``lookup`` answers ``None`` only when the
venue has definitely never seen the id and raises when the request itself fails. Errors are the typed subtree
of :mod:`trimtab.execution.errors`.

A venue used in tests (the paper broker, :class:`trimtab.testing.fakes.ScriptedBroker`, every adapter's local
fake) also implements :class:`VenueControl`, the in-process control interface through which
:func:`trimtab.testing.checks.check_broker` injects faults and reads the venue's own record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from trimtab.domain.orders import (
    AccountSnapshot,
    BrokerPosition,
    Fill,
    Order,
    OrderState,
    OrderStatus,
    OrderType,
    TimeInForce,
)

__all__ = [
    "Ack",
    "Broker",
    "Capabilities",
    "FaultKind",
    "InstrumentRules",
    "OrderEvent",
    "SessionStatus",
    "TradingSession",
    "VenueControl",
    "VenueOrder",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What a venue supports (static for one adapter).

    Parameters
    ----------
    venue : str
        Venue name used in :class:`~trimtab.domain.orders.Fill` (addition).
    fractional : bool
        Fractional share quantities.
    notional_orders : bool
        Orders sized in dollars.
    fractional_order_kinds : frozenset of (OrderType, TimeInForce)
        Order kinds that may carry a fractional quantity (Alpaca: market + day only).
    order_types : frozenset of OrderType
    time_in_force : frozenset of TimeInForce
    extended_hours_types : frozenset of OrderType
        Order types accepted outside regular hours.
    replace : bool
        Native cancel-replace.
    pushes_events : bool
        ``drain_events`` delivers pushed updates (else it always returns ``[]``).
    client_id_max_len : int
        Longest client order id accepted (trimtab ids are at most 50).
    client_id_unique : bool
        The venue refuses a reused client id, so resubmitting the same id is safe (addition).
    lookup_by_client_id : bool
        A native query by client id (otherwise the adapter scans open and completed orders; addition).
    requests_per_second, orders_per_second : float
        Rate limits the adapter's token bucket keeps to.
    """

    venue: str
    fractional: bool = True
    notional_orders: bool = False
    fractional_order_kinds: frozenset[tuple[OrderType, TimeInForce]] = frozenset(
        {(OrderType.MARKET, TimeInForce.DAY)}
    )
    order_types: frozenset[OrderType] = frozenset({OrderType.MARKET, OrderType.LIMIT})
    time_in_force: frozenset[TimeInForce] = frozenset({TimeInForce.DAY, TimeInForce.GTC})
    extended_hours_types: frozenset[OrderType] = frozenset()
    replace: bool = False
    pushes_events: bool = False
    client_id_max_len: int = 50
    client_id_unique: bool = True
    lookup_by_client_id: bool = True
    requests_per_second: float = 10.0
    orders_per_second: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """The venue's acknowledgement of a submit: its order id, the status and the venue's timestamp (UTC)."""

    client_order_id: str
    venue_order_id: str
    status: OrderStatus
    venue_time: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent:
    """A pushed update: a fill, or a new order state (exactly one of them)."""

    fill: Fill | None = None
    state: OrderState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InstrumentRules:
    """Trading rules of one instrument at the venue; ``increment`` and ``minimum`` in shares."""

    symbol: str
    tradable: bool
    fractionable: bool
    increment: Decimal = Decimal(1)
    minimum: Decimal = Decimal(0)
    round_lot: Decimal = Decimal(1)
    venue_id: str | None = None


class SessionStatus(StrEnum):
    """Regular hours, extended hours, or closed."""

    REGULAR = "regular"
    EXTENDED = "extended"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingSession:
    """The session at a time, and the next open and close when known (UTC)."""

    status: SessionStatus
    next_open: datetime | None = None
    next_close: datetime | None = None


@runtime_checkable
class Broker(Protocol):
    """A venue behind a narrow, synchronous protocol (see ``docs/execution.md`` for the adapter table)."""

    def capabilities(self) -> Capabilities:
        """Static capabilities of the venue."""
        ...

    def account(self, account_id: str | None = None) -> AccountSnapshot:
        """Cash (and settled cash, buying power) of one account; ``None`` = the connection's only account."""
        ...

    def positions(self) -> list[BrokerPosition]:
        """Every non-zero position at the venue (for reconciliation; never written into the book)."""
        ...

    def instrument_rules(self, symbols: Sequence[str]) -> Mapping[str, InstrumentRules]:
        """Tradable, fractionable, increment, minimum and round lot of each symbol."""
        ...

    def trading_session(self, symbols: Sequence[str], at: datetime) -> TradingSession:
        """The session at ``at`` (regular, extended or closed); read by the market-hours gate."""
        ...

    def submit(self, order: Order) -> Ack:
        """Send one order; idempotent on ``order.client_order_id``.

        Raises :class:`~trimtab.execution.errors.AmbiguousSubmit` when the outcome is unclear and
        :class:`~trimtab.execution.errors.DuplicateClientOrderId` when the venue already has the id.
        """
        ...

    def lookup(self, client_order_id: str) -> OrderState | None:
        """The venue's state of an order; ``None`` only when the venue never saw the id."""
        ...

    def cancel(self, client_order_id: str) -> None:
        """Request a cancel (no-op when terminal); the outcome comes through ``lookup`` and fills."""
        ...

    def executions(self, since: datetime) -> list[Fill]:
        """Executions at or after ``since`` (UTC), for recovery; may repeat fills (the book deduplicates)."""
        ...

    def drain_events(self) -> list[OrderEvent]:
        """Pushed updates since the last call; ``[]`` on venues without push."""
        ...

    def close(self) -> None:
        """Release connections and threads."""
        ...


class FaultKind(StrEnum):
    """Faults a venue under test can inject (BROKERS.md §4).

    ``timeout_after_accept``: the venue takes the order, the client sees a timeout (``AmbiguousSubmit``);
    ``error_before_accept``: a 5xx before acceptance (``AmbiguousSubmit``, nothing at the venue);
    ``duplicate_executions``: the next execution report repeats earlier fills;
    ``disconnect``: the next call fails with ``BrokerUnavailable`` and pushed events in flight are lost;
    ``rate_limit``: the next call fails with ``RateLimited``;
    ``cancel_race``: the next cancel arrives after one more fill.
    """

    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"
    ERROR_BEFORE_ACCEPT = "error_before_accept"
    DUPLICATE_EXECUTIONS = "duplicate_executions"
    DISCONNECT = "disconnect"
    RATE_LIMIT = "rate_limit"
    CANCEL_RACE = "cancel_race"


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueOrder:
    """An order as the venue itself records it (read by conformance checks): ``submissions`` counts every
    submit that carried this client id, refused duplicates included."""

    client_order_id: str
    venue_order_id: str
    account: str
    symbol: str
    side: str
    quantity: Decimal
    status: OrderStatus
    filled_quantity: Decimal
    submissions: int = 1
    extra: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class VenueControl(Protocol):
    """In-process control of a venue under test (paper broker, scripted broker, an adapter's local fake)."""

    def inject(self, fault: FaultKind | str, *, times: int = 1, **params: object) -> None:
        """Queue ``times`` faults of one kind; each fires at the next call it applies to."""
        ...

    def clear_faults(self) -> None:
        """Drop faults still queued."""
        ...

    def injected_faults(self) -> Mapping[str, int]:
        """How many faults of each kind have fired so far."""
        ...

    def supported_faults(self) -> frozenset[FaultKind]:
        """The fault kinds this venue can inject."""
        ...

    def release_fills(self) -> None:
        """Execute every fill still scheduled for open orders (limit prices permitting)."""
        ...

    def end_day(self) -> None:
        """Close the trading day: open DAY orders expire (part-filled ones keep their fills)."""
        ...

    def set_session(self, status: SessionStatus | str) -> None:
        """Set the trading session the venue reports and enforces."""
        ...

    def set_cash(self, account: str, cash: Decimal) -> None:
        """Open ``account`` if new and set its cash (dollars)."""
        ...

    def set_position(self, account: str, symbol: str, quantity: Decimal) -> None:
        """Open ``account`` if new and set a position (shares), without an execution."""
        ...

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Set the price fills happen at (before slippage), dollars per share."""
        ...

    def venue_orders(self) -> list[VenueOrder]:
        """Every order the venue holds, in arrival order."""
        ...

    def venue_executions(self) -> list[Fill]:
        """Every execution the venue made, each once, in time order."""
        ...
