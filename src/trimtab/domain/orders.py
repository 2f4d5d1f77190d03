"""Orders, order states, executions (fills) and the venue's view of an account: what crosses the broker.

Everything here is frozen and validated when built; quantities and prices are :class:`~decimal.Decimal`, times
are timezone-aware UTC :class:`~datetime.datetime`. The execution layer (``trimtab.execution``) sends
:class:`Order` and receives :class:`OrderState` and :class:`Fill`; the book (``trimtab.book``) is changed only
by :class:`Fill`.

Client order ids are ``f"{run_id}-{leg:03d}-{attempt}"``: at most 50 characters of ``[A-Za-z0-9-]`` (the
strictest venue, Saxo ``ExternalReference``), built by :func:`client_order_id` and checked by
:func:`check_client_order_id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from trimtab.domain.trades import Side
from trimtab.errors import TradeError

__all__ = [
    "CLIENT_ORDER_ID_MAX_LEN",
    "AccountSnapshot",
    "BrokerPosition",
    "Fill",
    "Order",
    "OrderError",
    "OrderState",
    "OrderStatus",
    "OrderType",
    "RejectReason",
    "Side",
    "TimeInForce",
    "check_client_order_id",
    "client_order_id",
]

#: Longest client order id trimtab produces (Saxo ``ExternalReference`` allows 50 characters).
CLIENT_ORDER_ID_MAX_LEN = 50
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,50}$")
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9]+$")
_ZERO = Decimal(0)


class OrderError(TradeError):
    """An order, state or fill breaking an invariant (bad id, non-positive quantity, illegal transition)."""


class OrderType(StrEnum):
    """Market or limit."""

    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    """How long an order may rest: the day, until cancelled, immediate-or-cancel, at the open or close."""

    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    OPG = "opg"
    CLS = "cls"


class OrderStatus(StrEnum):
    """State of one client order id (see :mod:`trimtab.execution.orders` for the legal transitions).

    ``intent`` is journaled but maybe not sent (the issue's *planned*); ``sent`` went out, no answer yet;
    ``accepted`` the venue acknowledged it (*submitted*); ``unknown`` the send had an unclear outcome and only
    a lookup may leave this state. ``filled``, ``canceled``, ``rejected`` and ``expired`` are terminal.
    """

    INTENT = "intent"
    SENT = "sent"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """Whether the state absorbs (no further status change; late fills are still booked)."""
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        """Whether the order may still be working at the venue, or its outcome is not known yet."""
        return not self.is_terminal


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


class RejectReason(StrEnum):
    """Why a venue refused an order (BROKERS.md §1); ``insufficient_position`` is a trimtab addition."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    INSUFFICIENT_POSITION = "insufficient_position"
    WASH_TRADE_GUARD = "wash_trade_guard"
    NOT_FRACTIONABLE = "not_fractionable"
    BAD_INCREMENT = "bad_increment"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    NOT_SUITABLE = "not_suitable"
    NEEDS_CONFIRMATION = "needs_confirmation"
    OTHER = "other"


def client_order_id(run_id: str, leg: int, attempt: int = 1) -> str:
    """The deterministic client order id ``f"{run_id}-{leg:03d}-{attempt}"``.

    Parameters
    ----------
    run_id : str
        Id of the execution run (``[A-Za-z0-9]``, see :func:`trimtab.execution.orders.run_id_for`).
    leg : int
        Leg number within the run, >= 1 (one leg per account, symbol and side).
    attempt : int
        1 for the first order of the leg; moves on only after the previous id is terminal.

    Raises
    ------
    OrderError
        When the result is longer than 50 characters or holds other characters than ``[A-Za-z0-9-]``.
    """
    if leg < 1 or attempt < 1:
        raise OrderError(f"leg and attempt must be >= 1, got leg={leg} attempt={attempt}")
    if not _RUN_ID_RE.match(run_id or ""):
        raise OrderError(f"client order id needs a run id of [A-Za-z0-9] only, got {run_id!r}")
    return check_client_order_id(f"{run_id}-{leg:03d}-{attempt}")


def check_client_order_id(value: str) -> str:
    """Return ``value`` when it is a valid client order id, else raise :class:`OrderError`."""
    if not isinstance(value, str) or not _CLIENT_ID_RE.match(value):
        raise OrderError(
            f"client order id must be 1..{CLIENT_ORDER_ID_MAX_LEN} characters of [A-Za-z0-9-], got {value!r}"
        )
    return value


def _as_decimal(name: str, value: object) -> Decimal:
    if isinstance(value, Decimal):
        out = value
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        out = Decimal(value)
    else:
        raise OrderError(f"{name} must be a Decimal (or int/str), got {value!r}")
    if not out.is_finite():
        raise OrderError(f"{name} must be finite, got {value!r}")
    return out


def _utc(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise OrderError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """One order to one venue.

    Parameters
    ----------
    client_order_id : str
        Deterministic id (:func:`client_order_id`), journaled before the order is sent.
    account : str
        Account id (the household's account id; adapters map it to the venue's account).
    symbol : str
        Ticker.
    side : Side
        Buy or sell.
    quantity : Decimal, optional
        Shares, > 0; whole or fractional. Exactly one of ``quantity`` and ``notional`` is given.
    notional : Decimal, optional
        Dollars to trade, > 0 (venues with ``notional_orders``).
    order_type : OrderType
        Market (default) or limit.
    limit_price : Decimal, optional
        Dollars per share, required for and only for limit orders.
    time_in_force : TimeInForce
        Default DAY.
    extended_hours : bool
        Whether the order may fill outside regular hours.
    """

    client_order_id: str
    account: str
    symbol: str
    side: Side
    quantity: Decimal | None = None
    notional: Decimal | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    extended_hours: bool = False

    def __post_init__(self) -> None:
        check_client_order_id(self.client_order_id)
        if not self.account or not isinstance(self.account, str):
            raise OrderError(f"order {self.client_order_id}: account must be a non-empty text")
        if not self.symbol or not isinstance(self.symbol, str):
            raise OrderError(f"order {self.client_order_id}: symbol must be a non-empty text")
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "order_type", OrderType(self.order_type))
        object.__setattr__(self, "time_in_force", TimeInForce(self.time_in_force))
        if (self.quantity is None) == (self.notional is None):
            raise OrderError(f"order {self.client_order_id}: give exactly one of quantity and notional")
        for name in ("quantity", "notional", "limit_price"):
            value = getattr(self, name)
            if value is not None:
                value = _as_decimal(f"order {self.client_order_id} {name}", value)
                if value <= 0:
                    raise OrderError(f"order {self.client_order_id}: {name} must be positive, got {value}")
                object.__setattr__(self, name, value)
        if self.order_type is OrderType.LIMIT and self.limit_price is None:
            raise OrderError(f"order {self.client_order_id}: a limit order needs limit_price")
        if self.order_type is OrderType.MARKET and self.limit_price is not None:
            raise OrderError(f"order {self.client_order_id}: a market order takes no limit_price")

    @property
    def is_fractional(self) -> bool:
        """Whether the quantity has a fractional part (or the order is notional)."""
        return self.quantity is None or self.quantity != self.quantity.to_integral_value()


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderState:
    """The venue's view of one order, as returned by ``Broker.lookup``.

    ``quantity`` ordered shares (``None`` for a notional order not yet filled), ``filled_quantity`` shares
    filled so far, ``average_price`` dollars per share over the fills (``None`` before the first),
    ``updated_at`` UTC.
    """

    client_order_id: str
    status: OrderStatus
    venue_order_id: str | None = None
    quantity: Decimal | None = None
    filled_quantity: Decimal = _ZERO
    average_price: Decimal | None = None
    reject_reason: str | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", OrderStatus(self.status))
        object.__setattr__(self, "filled_quantity", _as_decimal("filled_quantity", self.filled_quantity))
        if self.filled_quantity < 0:
            raise OrderError(f"order {self.client_order_id}: filled quantity must not be negative")
        if self.quantity is not None and self.filled_quantity > self.quantity:
            raise OrderError(
                f"order {self.client_order_id}: filled {self.filled_quantity} exceeds ordered {self.quantity}"
            )
        if self.updated_at is not None:
            object.__setattr__(self, "updated_at", _utc("updated_at", self.updated_at))

    @property
    def leaves_quantity(self) -> Decimal | None:
        """Shares still working: ordered minus filled for open orders, 0 once terminal."""
        if self.status.is_terminal:
            return _ZERO
        return None if self.quantity is None else self.quantity - self.filled_quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One execution as reported by a venue; the book's only input.

    Parameters
    ----------
    venue : str
        Venue name (``"paper"``, ``"alpaca"``, ...); ``(venue, execution_id)`` identifies the fill.
    execution_id : str
        The venue's execution id.
    client_order_id, venue_order_id : str
        The order the fill belongs to.
    account, symbol : str
        Where and what (``account`` is a trimtab addition to BROKERS.md's Fill; the book needs it).
    side : Side
    quantity : Decimal
        Shares, > 0.
    price : Decimal
        Dollars per share, > 0.
    fee : Decimal
        Commissions and fees in dollars, >= 0.
    executed_at : datetime
        UTC time of the execution.
    corrects : str, optional
        Execution id this fill replaces (IBKR corrections); the book reverses the earlier fill.
    """

    venue: str
    execution_id: str
    client_order_id: str
    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    executed_at: datetime
    fee: Decimal = _ZERO
    venue_order_id: str | None = None
    corrects: str | None = None

    def __post_init__(self) -> None:
        if not self.venue or not self.execution_id:
            raise OrderError(
                f"a fill needs a venue and an execution id, got {self.venue!r}, {self.execution_id!r}"
            )
        object.__setattr__(self, "side", Side(self.side))
        for name in ("quantity", "price", "fee"):
            object.__setattr__(
                self, name, _as_decimal(f"fill {self.execution_id} {name}", getattr(self, name))
            )
        if self.quantity <= 0 or self.price <= 0:
            raise OrderError(
                f"fill {self.execution_id}: quantity and price must be positive, "
                f"got {self.quantity} @ {self.price}"
            )
        if self.fee < 0:
            raise OrderError(f"fill {self.execution_id}: fee must not be negative, got {self.fee}")
        object.__setattr__(self, "executed_at", _utc("executed_at", self.executed_at))

    @property
    def key(self) -> tuple[str, str]:
        """``(venue, execution_id)``, the deduplication key."""
        return (self.venue, self.execution_id)

    @property
    def value(self) -> Decimal:
        """Quantity times price in dollars (unsigned, fee excluded)."""
        return self.quantity * self.price

    @property
    def cash_change(self) -> Decimal:
        """Change of the account's cash, dollars: ``-(value + fee)`` for a buy, ``value - fee`` for a sell."""
        return -(self.value + self.fee) if self.side is Side.BUY else self.value - self.fee


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerPosition:
    """A position as the venue reports it (reconciliation only; never written into the book)."""

    account: str
    symbol: str
    quantity: Decimal
    average_cost: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSnapshot:
    """Cash of one account at the venue, in dollars; ``settled_cash`` and ``buying_power`` when reported."""

    account: str
    cash: Decimal
    settled_cash: Decimal | None = None
    buying_power: Decimal | None = None
    currency: str = "USD"
