"""Trades -> legs -> orders, deterministic ids, and the order state machine.

A *run* is one execution of one trade plan. Its id is a hash of the household, the date and the netted trades,
so the same plan gives the same run id and therefore the same client order ids: a rerun after a crash
recognises its own orders at the venue. Each run has *legs*, one per account, symbol and side (trades in one
account and symbol are netted to one order), numbered sells first, then buys, each group by account then
symbol. A leg's orders have client ids ``f"{run_id}-{leg:03d}-{attempt}"``.

State machine (one per client id; ``intent`` = planned, ``accepted`` = submitted)::

    INTENT --send--> SENT --ack--> ACCEPTED --fill--> PARTIALLY_FILLED --fill--> FILLED
      |               |  \\--reject--> REJECTED  |  \\--day ends--> EXPIRED
      |               |                         +--cancel()--> PENDING_CANCEL --ack--> CANCELED
      |               +--timeout/5xx/drop--> UNKNOWN --lookup()--> venue's state, or None --> SENT (same id)
      +--withdrawn before send--> CANCELED

A move is legal when the target can be reached from the current state along these edges (a venue may skip
states we never saw, e.g. ``SENT -> FILLED``). ``FILLED``, ``CANCELED``, ``REJECTED`` and ``EXPIRED`` absorb.
:func:`check_transition` enforces this; :func:`merge_status` applies an advisory venue report, ignoring a
stale one (a state the order has already left) and refusing a contradiction (``FILLED -> CANCELED``). A fill
during ``PENDING_CANCEL`` (or a refused cancel of a part-filled order) moves it to ``PARTIALLY_FILLED``; a
refused cancel of an unfilled order leaves it ``PENDING_CANCEL`` until the venue reports a terminal state.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from trimtab.domain.orders import (
    Order,
    OrderError,
    OrderStatus,
    OrderType,
    TimeInForce,
    client_order_id,
)
from trimtab.domain.trades import Side

__all__ = [
    "TRANSITIONS",
    "Leg",
    "TradeLike",
    "can_reach",
    "check_transition",
    "legs_from_trades",
    "merge_status",
    "net_trades",
    "run_id_for",
]

S = OrderStatus
#: Direct edges of the order state machine.
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    S.INTENT: frozenset({S.SENT, S.CANCELED}),
    S.SENT: frozenset({S.ACCEPTED, S.REJECTED, S.UNKNOWN}),
    S.UNKNOWN: frozenset({S.SENT, S.ACCEPTED, S.REJECTED}),
    S.ACCEPTED: frozenset(
        {S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.CANCELED, S.EXPIRED, S.REJECTED}
    ),
    S.PARTIALLY_FILLED: frozenset({S.FILLED, S.PENDING_CANCEL, S.CANCELED, S.EXPIRED}),
    S.PENDING_CANCEL: frozenset({S.CANCELED, S.FILLED, S.EXPIRED, S.PARTIALLY_FILLED}),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


def _reachable() -> dict[OrderStatus, frozenset[OrderStatus]]:
    out: dict[OrderStatus, frozenset[OrderStatus]] = {}
    for start in OrderStatus:
        seen: set[OrderStatus] = set()
        stack = list(TRANSITIONS[start])
        while stack:
            nxt = stack.pop()
            if nxt not in seen:
                seen.add(nxt)
                stack.extend(TRANSITIONS[nxt])
        out[start] = frozenset(seen)
    return out


_REACHABLE = _reachable()


def can_reach(current: OrderStatus, target: OrderStatus) -> bool:
    """Whether ``target`` can follow ``current`` (directly or through states not observed)."""
    return target in _REACHABLE[current]


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise :class:`~trimtab.domain.orders.OrderError` unless ``current -> target`` is legal (or a no-op)."""
    if target is current or can_reach(current, target):
        return
    raise OrderError(f"illegal order transition {current} -> {target}")


def merge_status(current: OrderStatus, reported: OrderStatus) -> OrderStatus:
    """The status after a venue reports ``reported`` for an order now in ``current``.

    A legal move is taken; a stale report (``current`` is reachable from ``reported``: the order has moved on)
    is ignored; anything else is a contradiction and raises :class:`~trimtab.domain.orders.OrderError`.
    """
    if reported is current or can_reach(current, reported):
        return reported
    if can_reach(reported, current):
        return current
    raise OrderError(f"venue reports {reported} for an order already {current}")


class TradeLike(Protocol):
    """What :func:`legs_from_trades` reads from a trade (:class:`trimtab.domain.Trade` fits)."""

    @property
    def account(self) -> str: ...

    @property
    def symbol(self) -> str: ...

    @property
    def side(self) -> Side: ...

    @property
    def quantity(self) -> Decimal: ...

    @property
    def price(self) -> Decimal: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Leg:
    """One account, symbol and side of a run: the planned trade an order (or a few attempts) carries out.

    ``quantity`` planned shares, ``price`` the plan's reference price (dollars per share), ``estimated_cost``
    dollars, ``lot_ids`` lots a sell was planned to relieve (a hint; the book relieves by its own method).
    """

    run_id: str
    leg: int
    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    estimated_cost: Decimal = Decimal(0)
    lot_ids: tuple[str, ...] = ()
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY

    def __post_init__(self) -> None:
        if self.quantity <= 0 or self.price <= 0:
            raise OrderError(f"leg {self.leg} {self.side} {self.symbol}: quantity and price must be positive")
        client_order_id(self.run_id, self.leg, 1)  # checks the id fits

    def client_order_id(self, attempt: int = 1) -> str:
        """The client order id of this leg's ``attempt``."""
        return client_order_id(self.run_id, self.leg, attempt)

    def order(self, *, attempt: int = 1, quantity: Decimal | None = None) -> Order:
        """The order for ``attempt``, for ``quantity`` shares (default: the planned quantity)."""
        return Order(
            client_order_id=self.client_order_id(attempt),
            account=self.account,
            symbol=self.symbol,
            side=self.side,
            quantity=self.quantity if quantity is None else quantity,
            order_type=self.order_type,
            limit_price=self.limit_price,
            time_in_force=self.time_in_force,
        )

    @property
    def value(self) -> Decimal:
        """Planned quantity times reference price, dollars."""
        return self.quantity * self.price


@dataclass(frozen=True, slots=True)
class _Net:
    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    estimated_cost: Decimal
    lot_ids: tuple[str, ...]


def net_trades(trades: Iterable[TradeLike]) -> list[_Net]:
    """Net trades to one per account and symbol, ordered sells first, then buys, each by account and symbol.

    A buy and a sell of the same symbol in one account become one trade of the difference at the
    value-weighted price; an exact offset disappears.
    """
    groups: dict[tuple[str, str], list[TradeLike]] = defaultdict(list)
    for trade in trades:
        groups[(trade.account, trade.symbol)].append(trade)
    out: list[_Net] = []
    for (account, symbol), group in groups.items():
        signed = sum((t.quantity if Side(t.side) is Side.BUY else -t.quantity for t in group), Decimal(0))
        if signed == 0:
            continue
        side = Side.BUY if signed > 0 else Side.SELL
        volume = sum((t.quantity for t in group), Decimal(0))
        price = sum((t.quantity * t.price for t in group), Decimal(0)) / volume
        cost = sum((Decimal(getattr(t, "estimated_cost", 0) or 0) for t in group), Decimal(0))
        lot_ids = tuple(
            r.lot_id
            for t in group
            if Side(t.side) is Side.SELL
            for r in getattr(t, "lots", ())
            if getattr(r, "lot_id", "")
        )
        out.append(
            _Net(account, symbol, side, abs(signed), price, cost, lot_ids if side is Side.SELL else ())
        )
    out.sort(key=lambda n: (n.side is Side.BUY, n.account, n.symbol))
    return out


def _canonical(value: Decimal) -> str:
    return format(value.normalize(), "f")


def run_id_for(household: str, as_of: date | datetime, trades: Sequence[TradeLike]) -> str:
    """The deterministic run id of a plan: ``"T" + YYYYMMDD + 12 hex digits`` (21 characters).

    The digits hash the household name, the date and the netted trades (account, symbol, side, quantity,
    price), so the same plan always gets the same id and client order ids stay within 50 characters.
    """
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    digest = hashlib.sha256()
    digest.update(household.encode())
    digest.update(day.isoformat().encode())
    for net in net_trades(trades):
        digest.update(
            f"|{net.account}|{net.symbol}|{net.side}|{_canonical(net.quantity)}|"
            f"{_canonical(net.price)}".encode()
        )
    return f"T{day:%Y%m%d}{digest.hexdigest()[:12]}"


def legs_from_trades(
    trades: Sequence[TradeLike],
    run_id: str,
    *,
    order_type: OrderType = OrderType.MARKET,
    time_in_force: TimeInForce = TimeInForce.DAY,
    limit_offset: Decimal = Decimal(0),
) -> list[Leg]:
    """Net ``trades`` and number the legs (sells first).

    Parameters
    ----------
    trades : sequence of Trade
        The plan's trades (whole or fractional shares).
    run_id : str
        Id of the run (:func:`run_id_for`).
    order_type : OrderType
        Market (default) or limit; a limit order gets ``price * (1 + limit_offset)`` for buys and
        ``price * (1 - limit_offset)`` for sells, rounded to cents.
    time_in_force : TimeInForce
        Default DAY.
    limit_offset : Decimal
        Fraction of the reference price a limit may be away from it (e.g. ``Decimal("0.005")``).
    """
    legs: list[Leg] = []
    for number, net in enumerate(net_trades(trades), start=1):
        limit = None
        if order_type is OrderType.LIMIT:
            factor = 1 + limit_offset if net.side is Side.BUY else 1 - limit_offset
            limit = (net.price * factor).quantize(Decimal("0.01"))
        legs.append(
            Leg(
                run_id=run_id,
                leg=number,
                account=net.account,
                symbol=net.symbol,
                side=net.side,
                quantity=net.quantity,
                price=net.price,
                estimated_cost=net.estimated_cost,
                lot_ids=net.lot_ids,
                order_type=order_type,
                limit_price=limit,
                time_in_force=time_in_force,
            )
        )
    if len(legs) > 999:
        raise OrderError(f"a run holds at most 999 legs, the plan has {len(legs)}: split it")
    return legs
