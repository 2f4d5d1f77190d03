"""PaperBroker: a simulated venue behind the Broker protocol, with fault injection.

Fills happen at a price source (a price per symbol, set at construction or with :meth:`PaperBroker.set_price`)
moved by a configurable slippage (buys pay up, sells receive less) and an optional deterministic jitter, in
one or several partial executions per order. Time passes at the venue whenever the client polls it: each
``lookup``, ``executions`` or ``drain_events`` call executes the next slice of every open order
(``release_fills`` executes all of them). Limit orders fill only at their limit or better; DAY orders expire
at :meth:`PaperBroker.end_day`.

Orders are refused like a real venue would (unknown instrument, insufficient funds or shares, fractional
quantity when fractional trading is off, a random rejection rate) and faults are injected on cue
(:meth:`inject`) or at a seeded random rate (``PaperConfig.fault_rate``): timeouts after accepting, 5xx before
accepting, duplicate execution reports, disconnects (pushed events in flight are lost), rate-limit errors and
cancels racing a fill.

The venue's state lives in memory by default. With ``state_path`` it lives in a JSON file, changed under an
exclusive file lock and replaced atomically, so it survives the client process being killed (crash tests) and
is shared by every process that opens the same file, like a real venue.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from trimtab.domain.orders import (
    AccountSnapshot,
    BrokerPosition,
    Fill,
    Order,
    OrderState,
    OrderStatus,
    OrderType,
    RejectReason,
    TimeInForce,
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
from trimtab.units import money

__all__ = ["PaperBroker", "PaperConfig"]

_ZERO = Decimal(0)
_PRICE_STEP = Decimal("0.0001")
_SHARE_STEP = Decimal("0.000001")
_BPS = Decimal(10000)
_OPEN = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL)

#: Which calls each fault kind can hit.
_FAULT_METHODS: Mapping[FaultKind, frozenset[str]] = {
    FaultKind.TIMEOUT_AFTER_ACCEPT: frozenset({"submit"}),
    FaultKind.ERROR_BEFORE_ACCEPT: frozenset({"submit"}),
    FaultKind.DUPLICATE_EXECUTIONS: frozenset({"executions", "drain_events"}),
    FaultKind.DISCONNECT: frozenset(
        {"submit", "lookup", "cancel", "executions", "drain_events", "account", "positions"}
    ),
    FaultKind.RATE_LIMIT: frozenset(
        {"submit", "lookup", "cancel", "executions", "drain_events", "account", "positions"}
    ),
    FaultKind.CANCEL_RACE: frozenset({"cancel"}),
}


@dataclass(frozen=True, kw_only=True)
class PaperConfig:
    """How the paper venue fills, refuses and fails.

    Parameters
    ----------
    venue : str
        Venue name on fills (default ``"paper"``).
    slippage_bps : Decimal
        Fill price moves this many basis points against the order (buys higher, sells lower).
    price_jitter_bps : Decimal
        Each execution's price moves by up to this many basis points either way (deterministic per order and
        slice).
    partial_fills : int
        Executions per order (>= 1); ``max_partial_fills`` > ``partial_fills`` draws the count per order.
    max_partial_fills : int, optional
        Upper bound of the per-order count (seeded draw between ``partial_fills`` and this).
    commission_per_share, commission_per_order : Decimal
        Fees in dollars (per share executed; per order, charged on its first execution), rounded to cents.
    reject_rate : float
        Probability that an otherwise valid order is refused (deterministic per client id).
    fractional : bool
        Whether fractional quantities are accepted.
    latency_seconds : float
        Wall-clock delay added to every call.
    fault_rate : float
        Probability that a call suffers a random fault of ``fault_kinds`` (seeded; 0 = only injected faults).
    fault_kinds : tuple of FaultKind
        Kinds drawn at ``fault_rate``.
    retry_after_seconds : float
        ``retry_after`` carried by injected rate-limit errors.
    seed : int
        Seed of every random draw.
    """

    venue: str = "paper"
    slippage_bps: Decimal = Decimal(0)
    price_jitter_bps: Decimal = Decimal(0)
    partial_fills: int = 1
    max_partial_fills: int | None = None
    commission_per_share: Decimal = Decimal(0)
    commission_per_order: Decimal = Decimal(0)
    reject_rate: float = 0.0
    fractional: bool = True
    latency_seconds: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[FaultKind, ...] = tuple(FaultKind)
    retry_after_seconds: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.partial_fills < 1 or (
            self.max_partial_fills is not None and self.max_partial_fills < self.partial_fills
        ):
            raise ValueError("partial_fills must be >= 1 and <= max_partial_fills")
        if not 0.0 <= self.reject_rate <= 1.0 or not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("reject_rate and fault_rate are probabilities in [0, 1]")


# -- state stores ------------------------------------------------------------------------------------------
def _empty_state() -> dict[str, Any]:
    return {
        "version": 1,
        "seq": 0,
        "cash": {},
        "positions": {},
        "prices": {},
        "session": "regular",
        "orders": {},
        "executions": [],
        "events": [],
    }


class _MemoryStore:
    def __init__(self) -> None:
        self._state = _empty_state()
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            yield self._state


class _FileStore:
    """The state in a JSON file: exclusive lock, read, change, write a temporary file, atomic replace."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        with self._thread_lock, open(self._lock_path, "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                state = json.loads(self.path.read_text()) if self.path.exists() else _empty_state()
                before = json.dumps(state, sort_keys=True)
                yield state
                after = json.dumps(state, sort_keys=True)
                if after != before:
                    tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
                    tmp.write_text(after)
                    os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _fill_to_json(fill: Fill) -> dict[str, Any]:
    return {
        "venue": fill.venue,
        "execution_id": fill.execution_id,
        "client_order_id": fill.client_order_id,
        "venue_order_id": fill.venue_order_id,
        "account": fill.account,
        "symbol": fill.symbol,
        "side": str(fill.side),
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "fee": str(fill.fee),
        "executed_at": fill.executed_at.isoformat(),
        "corrects": fill.corrects,
    }


def _fill_from_json(d: Mapping[str, Any]) -> Fill:
    return Fill(
        venue=d["venue"],
        execution_id=d["execution_id"],
        client_order_id=d["client_order_id"],
        venue_order_id=d["venue_order_id"],
        account=d["account"],
        symbol=d["symbol"],
        side=Side(d["side"]),
        quantity=Decimal(d["quantity"]),
        price=Decimal(d["price"]),
        fee=Decimal(d["fee"]),
        executed_at=datetime.fromisoformat(d["executed_at"]),
        corrects=d.get("corrects"),
    )


class PaperBroker:
    """A simulated venue implementing :class:`~trimtab.execution.broker.Broker` and
    :class:`~trimtab.execution.broker.VenueControl`.

    Parameters
    ----------
    prices : mapping of str to Decimal, optional
        Price of each tradable symbol, dollars per share (stored in the venue state; later calls may omit it).
    config : PaperConfig, optional
        Slippage, partial fills, fees, rejections, latency and faults.
    state_path : path, optional
        JSON file holding the venue's state (shared across processes); in memory when omitted.
    clock : callable, optional
        Current UTC time at the venue (execution times).

    Examples
    --------
    >>> from decimal import Decimal
    >>> from trimtab.domain.orders import Order
    >>> broker = PaperBroker({"VTI": Decimal("250")})
    >>> broker.set_cash("ira", Decimal("1000"))
    >>> ack = broker.submit(Order(client_order_id="T1-001-1", account="ira", symbol="VTI", side="buy",
    ...                           quantity=Decimal("2")))
    >>> broker.release_fills()
    >>> broker.lookup("T1-001-1").status, broker.account("ira").cash
    (<OrderStatus.FILLED: 'filled'>, Decimal('500.0000'))
    """

    def __init__(
        self,
        prices: Mapping[str, Decimal] | None = None,
        *,
        config: PaperConfig | None = None,
        state_path: str | os.PathLike[str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config or PaperConfig()
        self._store: _MemoryStore | _FileStore = (
            _FileStore(Path(state_path)) if state_path else _MemoryStore()
        )
        self._clock = clock or (lambda: datetime.now(UTC))
        self._queued: list[FaultKind] = []
        self._fired: Counter[str] = Counter()
        self._fault_rng = random.Random(f"{self.config.seed}:faults")
        self._fault_lock = threading.Lock()
        if prices:
            with self._store.transaction() as state:
                for symbol, price in prices.items():
                    state["prices"].setdefault(symbol, str(Decimal(price)))

    # -- Broker protocol -------------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        """Fractional (if configured), market and limit, DAY/GTC/IOC, pushed events, unique client ids."""
        return Capabilities(
            venue=self.config.venue,
            fractional=self.config.fractional,
            notional_orders=False,
            fractional_order_kinds=frozenset(
                (t, f) for t in OrderType for f in (TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC)
            ),
            order_types=frozenset(OrderType),
            time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC}),
            extended_hours_types=frozenset({OrderType.LIMIT}),
            replace=False,
            pushes_events=True,
            client_id_max_len=128,
            client_id_unique=True,
            lookup_by_client_id=True,
            requests_per_second=1000.0,
            orders_per_second=1000.0,
        )

    def account(self, account_id: str | None = None) -> AccountSnapshot:
        """Cash and buying power (cash minus open buy commitments) of one account."""
        self._gate("account")
        with self._store.transaction() as state:
            if account_id is None:
                if len(state["cash"]) != 1:
                    raise BrokerError("paper: several accounts; name the account")
                account_id = next(iter(state["cash"]))
            if account_id not in state["cash"]:
                raise BrokerError(f"paper: no account {account_id!r}")
            cash = Decimal(state["cash"][account_id])
            committed = sum(
                (
                    self._buy_commitment(state, o)
                    for o in state["orders"].values()
                    if o["account"] == account_id and o["side"] == "buy" and o["status"] in _OPEN
                ),
                _ZERO,
            )
            return AccountSnapshot(
                account=account_id, cash=cash, settled_cash=None, buying_power=cash - committed
            )

    def positions(self) -> list[BrokerPosition]:
        """Every non-zero position."""
        self._gate("positions")
        with self._store.transaction() as state:
            return [
                BrokerPosition(account=account, symbol=symbol, quantity=Decimal(qty))
                for account, held in sorted(state["positions"].items())
                for symbol, qty in sorted(held.items())
                if Decimal(qty) != 0
            ]

    def instrument_rules(self, symbols: Sequence[str]) -> Mapping[str, InstrumentRules]:
        """Symbols with a price are tradable; fractionable when the venue is."""
        with self._store.transaction() as state:
            step = _SHARE_STEP if self.config.fractional else Decimal(1)
            return {
                s: InstrumentRules(
                    symbol=s,
                    tradable=s in state["prices"],
                    fractionable=self.config.fractional,
                    increment=step,
                    minimum=step,
                )
                for s in symbols
            }

    def trading_session(self, symbols: Sequence[str], at: datetime) -> TradingSession:
        """The session set with :meth:`set_session` (regular by default)."""
        with self._store.transaction() as state:
            return TradingSession(status=SessionStatus(state["session"]))

    def submit(self, order: Order) -> Ack:
        """Accept or refuse one order (idempotent: a reused client id raises DuplicateClientOrderId)."""
        fault = self._gate("submit")
        if fault is FaultKind.ERROR_BEFORE_ACCEPT:
            raise AmbiguousSubmit(
                "paper: injected 502 before acceptance", client_order_id=order.client_order_id, raw_code="502"
            )
        now = self._clock()
        closed = duplicate = False
        reason: RejectReason | None = None
        text = ""
        with self._store.transaction() as state:
            known = state["orders"].get(order.client_order_id)
            if state["session"] == SessionStatus.CLOSED:
                closed = True
            elif known is not None:
                known["submissions"] += 1
                duplicate = True
            else:
                state["seq"] += 1
                record: dict[str, Any] = {
                    "venue_order_id": f"PO{state['seq']:08d}",
                    "account": order.account,
                    "symbol": order.symbol,
                    "side": str(order.side),
                    "quantity": str(order.quantity),
                    "order_type": str(order.order_type),
                    "limit_price": None if order.limit_price is None else str(order.limit_price),
                    "tif": str(order.time_in_force),
                    "status": str(OrderStatus.ACCEPTED),
                    "filled": "0",
                    "gross": "0",
                    "slices": [],
                    "submissions": 1,
                    "reject_reason": None,
                    "created": now.isoformat(),
                    "updated": now.isoformat(),
                }
                reason, text = self._refusal(state, order)
                if reason is not None:
                    record["status"] = str(OrderStatus.REJECTED)
                    record["reject_reason"] = f"{reason}: {text}"
                else:
                    record["slices"] = [str(q) for q in self._slices(order)]
                state["orders"][order.client_order_id] = record
                state["events"].append({"state": order.client_order_id})
        if closed:
            raise MarketClosed("paper: the market is closed", client_order_id=order.client_order_id)
        if duplicate:
            raise DuplicateClientOrderId(
                "paper: client order id already used",
                client_order_id=order.client_order_id,
                raw_code="duplicate",
            )
        if fault is FaultKind.TIMEOUT_AFTER_ACCEPT:
            raise AmbiguousSubmit(
                "paper: injected timeout after the venue accepted",
                client_order_id=order.client_order_id,
                raw_code="timeout",
            )
        if reason is not None:
            raise OrderRejected(reason, text, client_order_id=order.client_order_id, raw_text=text)
        return Ack(
            client_order_id=order.client_order_id,
            venue_order_id=str(record["venue_order_id"]),
            status=OrderStatus.ACCEPTED,
            venue_time=now,
        )

    def lookup(self, client_order_id: str) -> OrderState | None:
        """The venue's state of an order (time passes: open orders execute their next slice first)."""
        self._gate("lookup")
        with self._store.transaction() as state:
            self._advance(state)
            record = state["orders"].get(client_order_id)
            return None if record is None else self._state_of(client_order_id, record)

    def cancel(self, client_order_id: str) -> None:
        """Cancel an open order at once (no-op when terminal or unknown)."""
        fault = self._gate("cancel")
        with self._store.transaction() as state:
            record = state["orders"].get(client_order_id)
            if record is None or OrderStatus(record["status"]) not in _OPEN:
                return
            if fault is FaultKind.CANCEL_RACE:
                self._execute_slice(state, client_order_id, record)
                if OrderStatus(record["status"]) not in _OPEN:
                    return
            self._set_status(state, client_order_id, record, OrderStatus.CANCELED)

    def executions(self, since: datetime) -> list[Fill]:
        """Every execution at or after ``since`` (time passes first)."""
        fault = self._gate("executions")
        with self._store.transaction() as state:
            self._advance(state)
            fills = [
                _fill_from_json(f)
                for f in state["executions"]
                if datetime.fromisoformat(f["executed_at"]) >= since
            ]
        return fills + fills if fault is FaultKind.DUPLICATE_EXECUTIONS else fills

    def drain_events(self) -> list[OrderEvent]:
        """Pushed fills and order states since the last call (time passes first)."""
        fault = self._gate("drain_events")
        with self._store.transaction() as state:
            self._advance(state)
            events: list[OrderEvent] = []
            for raw in state["events"]:
                if "fill" in raw:
                    events.append(OrderEvent(fill=_fill_from_json(raw["fill"])))
                elif raw["state"] in state["orders"]:
                    events.append(
                        OrderEvent(state=self._state_of(raw["state"], state["orders"][raw["state"]]))
                    )
            state["events"] = []
            if fault is FaultKind.DUPLICATE_EXECUTIONS:
                events += [e for e in events if e.fill is not None]
                events += [OrderEvent(fill=_fill_from_json(f)) for f in state["executions"][-3:]]
        return events

    def close(self) -> None:
        """Nothing to release."""

    # -- VenueControl ----------------------------------------------------------------------------------
    def inject(self, fault: FaultKind | str, *, times: int = 1, **params: object) -> None:
        """Queue ``times`` faults of one kind; each fires at the next call it applies to."""
        kind = FaultKind(fault)
        with self._fault_lock:
            self._queued.extend([kind] * times)

    def clear_faults(self) -> None:
        """Drop queued faults (the random ``fault_rate`` stays as configured)."""
        with self._fault_lock:
            self._queued.clear()

    def injected_faults(self) -> Mapping[str, int]:
        """Faults fired so far, by kind."""
        return dict(self._fired)

    def supported_faults(self) -> frozenset[FaultKind]:
        """Every :class:`~trimtab.execution.broker.FaultKind`."""
        return frozenset(FaultKind)

    def release_fills(self) -> None:
        """Execute every remaining slice of every open order (limits permitting)."""
        with self._store.transaction() as state:
            for _ in range(1000):
                if not self._advance(state):
                    break

    def end_day(self) -> None:
        """Expire open DAY orders (part-filled ones keep their fills)."""
        with self._store.transaction() as state:
            for cid, record in state["orders"].items():
                if OrderStatus(record["status"]) in _OPEN and record["tif"] in ("day", "opg", "cls"):
                    self._set_status(state, cid, record, OrderStatus.EXPIRED)

    def set_session(self, status: SessionStatus | str) -> None:
        """Regular, extended or closed (closed refuses every submit with MarketClosed)."""
        with self._store.transaction() as state:
            state["session"] = str(SessionStatus(status))

    def set_cash(self, account: str, cash: Decimal) -> None:
        """Open ``account`` if new and set its cash, dollars."""
        with self._store.transaction() as state:
            state["cash"][account] = str(Decimal(cash))
            state["positions"].setdefault(account, {})

    def set_position(self, account: str, symbol: str, quantity: Decimal) -> None:
        """Open ``account`` if new and set a position, shares (no execution is recorded)."""
        with self._store.transaction() as state:
            state["cash"].setdefault(account, "0")
            state["positions"].setdefault(account, {})[symbol] = str(Decimal(quantity))

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Set the price fills happen at before slippage, dollars per share."""
        with self._store.transaction() as state:
            state["prices"][symbol] = str(Decimal(price))

    def has_account(self, account: str) -> bool:
        """Whether the venue has opened ``account``."""
        with self._store.transaction() as state:
            return account in state["cash"]

    def venue_orders(self) -> list[VenueOrder]:
        """Every order the venue holds, in arrival order, with the number of submits that carried its id."""
        with self._store.transaction() as state:
            return [
                VenueOrder(
                    client_order_id=cid,
                    venue_order_id=r["venue_order_id"],
                    account=r["account"],
                    symbol=r["symbol"],
                    side=r["side"],
                    quantity=Decimal(r["quantity"]),
                    status=OrderStatus(r["status"]),
                    filled_quantity=Decimal(r["filled"]),
                    submissions=r["submissions"],
                )
                for cid, r in state["orders"].items()
            ]

    def venue_executions(self) -> list[Fill]:
        """Every execution, each once, in time order."""
        with self._store.transaction() as state:
            return [_fill_from_json(f) for f in state["executions"]]

    # -- internals -------------------------------------------------------------------------------------
    def _gate(self, method: str) -> FaultKind | None:
        """Latency, then the fault (if any) hitting this call; disconnects and rate limits raise here."""
        if self.config.latency_seconds > 0:
            time.sleep(self.config.latency_seconds)
        fault: FaultKind | None = None
        with self._fault_lock:
            for i, kind in enumerate(self._queued):
                if method in _FAULT_METHODS[kind]:
                    fault = self._queued.pop(i)
                    break
            if (
                fault is None
                and self.config.fault_rate > 0
                and self._fault_rng.random() < self.config.fault_rate
            ):
                kinds = [k for k in self.config.fault_kinds if method in _FAULT_METHODS[k]]
                fault = self._fault_rng.choice(kinds) if kinds else None
            if fault is not None:
                self._fired[str(fault)] += 1
        if fault is FaultKind.DISCONNECT:
            with self._store.transaction() as state:
                state["events"] = []  # pushes in flight are lost; executions() still has them
            raise BrokerUnavailable(f"paper: injected disconnect during {method}", raw_code="disconnect")
        if fault is FaultKind.RATE_LIMIT:
            raise RateLimited(
                f"paper: injected rate limit on {method}",
                retry_after=self.config.retry_after_seconds,
                raw_code="429",
            )
        return fault

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.config.seed, *parts)))

    def _refusal(self, state: dict[str, Any], order: Order) -> tuple[RejectReason | None, str]:
        if order.quantity is None:
            return RejectReason.OTHER, "notional orders are not supported"
        if order.symbol not in state["prices"]:
            return RejectReason.UNKNOWN_INSTRUMENT, f"no instrument {order.symbol}"
        if order.account not in state["cash"]:
            return RejectReason.OTHER, f"no account {order.account}"
        if order.is_fractional and not self.config.fractional:
            return RejectReason.NOT_FRACTIONABLE, f"{order.symbol} trades in whole shares"
        if order.quantity != order.quantity.quantize(_SHARE_STEP, rounding=ROUND_DOWN):
            return RejectReason.BAD_INCREMENT, "more than six decimal places"
        if order.side is Side.SELL:
            held = Decimal(state["positions"].get(order.account, {}).get(order.symbol, "0"))
            selling = sum(
                (
                    Decimal(o["quantity"]) - Decimal(o["filled"])
                    for o in state["orders"].values()
                    if o["account"] == order.account
                    and o["symbol"] == order.symbol
                    and o["side"] == "sell"
                    and o["status"] in _OPEN
                ),
                _ZERO,
            )
            if order.quantity > held - selling:
                return RejectReason.INSUFFICIENT_POSITION, f"holds {held - selling} {order.symbol} to sell"
        else:
            cash = Decimal(state["cash"][order.account])
            committed = sum(
                (
                    self._buy_commitment(state, o)
                    for o in state["orders"].values()
                    if o["account"] == order.account and o["side"] == "buy" and o["status"] in _OPEN
                ),
                _ZERO,
            )
            need = self._buy_commitment(
                state,
                {"symbol": order.symbol, "quantity": str(order.quantity), "filled": "0", "limit_price": None},
            )
            if need > cash - committed:
                return RejectReason.INSUFFICIENT_FUNDS, f"needs {money(need)}, has {money(cash - committed)}"
        if (
            self.config.reject_rate > 0
            and self._rng(order.client_order_id, "reject").random() < self.config.reject_rate
        ):
            return RejectReason.OTHER, "random rejection (paper reject_rate)"
        return None, ""

    def _buy_commitment(self, state: dict[str, Any], record: Mapping[str, Any]) -> Decimal:
        """Dollars an open buy may still spend: leaves x worst price (slippage and jitter) + fees."""
        leaves = Decimal(record["quantity"]) - Decimal(record["filled"])
        worst = Decimal(state["prices"][record["symbol"]]) * (
            1 + (self.config.slippage_bps + self.config.price_jitter_bps) / _BPS
        )
        if record.get("limit_price"):
            worst = max(worst, Decimal(record["limit_price"]))
        fees = leaves * self.config.commission_per_share + self.config.commission_per_order
        return leaves * worst + fees + Decimal("0.01")

    def _slices(self, order: Order) -> list[Decimal]:
        """Split the quantity into the executions it will fill in (whole shares stay whole)."""
        assert order.quantity is not None
        count = self.config.partial_fills
        if self.config.max_partial_fills and self.config.max_partial_fills > count:
            count = self._rng(order.client_order_id, "slices").randint(count, self.config.max_partial_fills)
        step = Decimal(1) if not order.is_fractional else _SHARE_STEP
        base = (order.quantity / count / step).to_integral_value(rounding=ROUND_DOWN) * step
        if base <= 0:
            return [order.quantity]
        parts = [base] * (count - 1)
        return [*parts, order.quantity - sum(parts, _ZERO)]

    def _advance(self, state: dict[str, Any]) -> bool:
        """Execute the next slice of every open order; whether anything executed."""
        moved = False
        for cid, record in list(state["orders"].items()):
            if OrderStatus(record["status"]) in _OPEN and record["slices"]:
                executed = self._execute_slice(state, cid, record)
                moved = moved or executed
                if record["tif"] == "ioc" and OrderStatus(record["status"]) in _OPEN:
                    self._set_status(state, cid, record, OrderStatus.CANCELED)
        return moved

    def _execute_slice(self, state: dict[str, Any], cid: str, record: dict[str, Any]) -> bool:
        if not record["slices"]:
            return False
        side = Side(record["side"])
        sign = 1 if side is Side.BUY else -1
        index = len(record["slices"])
        jitter = Decimal(0)
        if self.config.price_jitter_bps:
            jitter = (
                Decimal(str(round(self._rng(cid, "jitter", index).uniform(-1, 1), 6)))
                * self.config.price_jitter_bps
            )
        base = Decimal(state["prices"][record["symbol"]])
        price = (base * (1 + (sign * self.config.slippage_bps + jitter) / _BPS)).quantize(
            _PRICE_STEP, rounding=ROUND_HALF_UP
        )
        if record["limit_price"] is not None:
            limit = Decimal(record["limit_price"])
            if (side is Side.BUY and price > limit) or (side is Side.SELL and price < limit):
                return False
        quantity = Decimal(record["slices"].pop(0))
        first = Decimal(record["filled"]) == 0
        fee = money(
            quantity * self.config.commission_per_share
            + (self.config.commission_per_order if first else _ZERO)
        )
        state["seq"] += 1
        fill = Fill(
            venue=self.config.venue,
            execution_id=f"PX{state['seq']:08d}",
            client_order_id=cid,
            venue_order_id=record["venue_order_id"],
            account=record["account"],
            symbol=record["symbol"],
            side=side,
            quantity=quantity,
            price=price,
            fee=fee,
            executed_at=self._clock(),
        )
        cash = Decimal(state["cash"][record["account"]]) + fill.cash_change
        state["cash"][record["account"]] = str(cash)
        held = state["positions"].setdefault(record["account"], {})
        held[record["symbol"]] = str(Decimal(held.get(record["symbol"], "0")) + sign * quantity)
        record["filled"] = str(Decimal(record["filled"]) + quantity)
        record["gross"] = str(Decimal(record["gross"]) + quantity * price)
        state["executions"].append(_fill_to_json(fill))
        state["events"].append({"fill": _fill_to_json(fill)})
        done = Decimal(record["filled"]) >= Decimal(record["quantity"])
        self._set_status(state, cid, record, OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED)
        return True

    def _set_status(
        self, state: dict[str, Any], cid: str, record: dict[str, Any], status: OrderStatus
    ) -> None:
        record["status"] = str(status)
        record["updated"] = self._clock().isoformat()
        if status.is_terminal:
            record["slices"] = []
        state["events"].append({"state": cid})

    @staticmethod
    def _state_of(cid: str, record: Mapping[str, Any]) -> OrderState:
        filled = Decimal(record["filled"])
        return OrderState(
            client_order_id=cid,
            status=OrderStatus(record["status"]),
            venue_order_id=record["venue_order_id"],
            quantity=Decimal(record["quantity"]),
            filled_quantity=filled,
            average_price=(Decimal(record["gross"]) / filled).quantize(_PRICE_STEP) if filled else None,
            reject_reason=record["reject_reason"],
            updated_at=datetime.fromisoformat(record["updated"]),
        )
