"""PaperBroker: prices, partial fills, fees, refusals, limits, expiry, each injected fault, shared state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from trimtab.domain.orders import Order, OrderStatus, OrderType, RejectReason, TimeInForce
from trimtab.execution.broker import FaultKind, SessionStatus
from trimtab.execution.errors import (
    AmbiguousSubmit,
    BrokerUnavailable,
    DuplicateClientOrderId,
    MarketClosed,
    OrderRejected,
    RateLimited,
)
from trimtab.execution.paper import PaperBroker, PaperConfig

D = Decimal
T0 = datetime(2024, 1, 5, 15, tzinfo=UTC)


def order(
    cid: str = "T1-001-1", side: str = "buy", qty: str = "10", symbol: str = "XYZ", **kw: object
) -> Order:
    return Order(client_order_id=cid, account="acct", symbol=symbol, side=side, quantity=D(qty), **kw)


def venue(**config: object) -> PaperBroker:
    broker = PaperBroker({"XYZ": D("100")}, config=PaperConfig(**config), clock=lambda: T0)
    broker.set_cash("acct", D("10000"))
    broker.set_position("acct", "XYZ", D("50"))
    return broker


def test_fills_at_price_plus_slippage_with_fees() -> None:
    """Known answer: 100.00 with 10 bps slippage -> buy 100.10, sell 99.90; fee 0.005 x 10 + 1.00 = 1.05."""
    broker = venue(slippage_bps=D("10"), commission_per_share=D("0.005"), commission_per_order=D("1"))
    broker.submit(order("T1-001-1", "buy"))
    broker.submit(order("T1-002-1", "sell"))
    broker.release_fills()
    buy, sell = broker.venue_executions()
    assert (buy.price, buy.fee, sell.price, sell.fee) == (D("100.1000"), D("1.05"), D("99.9000"), D("1.05"))
    assert broker.account("acct").cash == D("10000") - D("1001.00") - D("1.05") + D("999.00") - D("1.05")
    assert {p.symbol: p.quantity for p in broker.positions()} == {"XYZ": D("50")}


def test_partial_fills_come_one_slice_per_poll() -> None:
    broker = venue(partial_fills=3)
    broker.submit(order(qty="10"))
    seen = [broker.lookup("T1-001-1") for _ in range(3)]
    assert [(s.status, s.filled_quantity) for s in seen] == [
        (OrderStatus.PARTIALLY_FILLED, D("3")),
        (OrderStatus.PARTIALLY_FILLED, D("6")),
        (OrderStatus.FILLED, D("10")),
    ]
    assert [f.quantity for f in broker.executions(T0)] == [D("3"), D("3"), D("4")]
    assert len({f.execution_id for f in broker.venue_executions()}) == 3


def test_fractional_quantities_split_into_fractional_slices() -> None:
    broker = venue(partial_fills=2)
    broker.submit(order(qty="1.5"))
    broker.release_fills()
    assert [f.quantity for f in broker.venue_executions()] == [D("0.750000"), D("0.750000")]


@pytest.mark.parametrize(
    ("kwargs", "config", "reason"),
    [
        ({"symbol": "NOPE"}, {}, RejectReason.UNKNOWN_INSTRUMENT),
        ({"qty": "0.5"}, {"fractional": False}, RejectReason.NOT_FRACTIONABLE),
        ({"qty": "1000"}, {}, RejectReason.INSUFFICIENT_FUNDS),
        ({"side": "sell", "qty": "51"}, {}, RejectReason.INSUFFICIENT_POSITION),
        ({}, {"reject_rate": 1.0}, RejectReason.OTHER),
    ],
)
def test_refusals_are_typed_and_recorded(kwargs: dict, config: dict, reason: RejectReason) -> None:
    broker = venue(**config)
    with pytest.raises(OrderRejected) as err:
        broker.submit(order(**kwargs))
    assert err.value.reason is reason
    state = broker.lookup("T1-001-1")
    assert state is not None and state.status is OrderStatus.REJECTED
    with pytest.raises(DuplicateClientOrderId):
        broker.submit(order(**kwargs))
    assert broker.venue_orders()[0].submissions == 2


def test_open_sells_and_buys_commit_shares_and_cash() -> None:
    broker = venue()
    broker.submit(order("T1-001-1", "sell", "30"))
    with pytest.raises(OrderRejected) as err:
        broker.submit(order("T1-002-1", "sell", "30"))
    assert err.value.reason is RejectReason.INSUFFICIENT_POSITION
    broker.submit(order("T1-003-1", "buy", "60"))
    assert broker.account("acct").buying_power < D("4000")


def test_a_limit_order_rests_until_the_price_allows() -> None:
    broker = venue()
    broker.submit(order(order_type=OrderType.LIMIT, limit_price=D("95")))
    broker.release_fills()
    assert broker.lookup("T1-001-1").status is OrderStatus.ACCEPTED
    broker.set_price("XYZ", D("94.50"))
    broker.release_fills()
    state = broker.lookup("T1-001-1")
    assert state.status is OrderStatus.FILLED and state.average_price == D("94.5000")


def test_ioc_fills_what_it_can_at_once_and_cancels_the_rest() -> None:
    broker = venue(partial_fills=2)
    broker.submit(order(time_in_force=TimeInForce.IOC))
    state = broker.lookup("T1-001-1")
    assert (state.status, state.filled_quantity) == (OrderStatus.CANCELED, D("5"))


def test_day_orders_expire_part_filled_and_gtc_orders_stay() -> None:
    broker = venue(partial_fills=4)
    broker.submit(order("T1-001-1"))
    broker.submit(
        order("T1-002-1", order_type=OrderType.LIMIT, limit_price=D("1"), time_in_force=TimeInForce.GTC)
    )
    broker.lookup("T1-001-1")
    broker.end_day()
    day, gtc = broker.lookup("T1-001-1"), broker.lookup("T1-002-1")
    assert day.status is OrderStatus.EXPIRED and D("0") < day.filled_quantity < D("10")
    assert gtc.status is OrderStatus.ACCEPTED


def test_closed_market_refuses_and_records_nothing() -> None:
    broker = venue()
    broker.set_session(SessionStatus.CLOSED)
    assert broker.trading_session(["XYZ"], T0).status is SessionStatus.CLOSED
    with pytest.raises(MarketClosed):
        broker.submit(order())
    assert broker.venue_orders() == []


# -- faults -------------------------------------------------------------------------------------------------
def test_timeout_after_accept_leaves_the_order_at_the_venue() -> None:
    broker = venue()
    broker.inject(FaultKind.TIMEOUT_AFTER_ACCEPT)
    with pytest.raises(AmbiguousSubmit):
        broker.submit(order())
    assert broker.lookup("T1-001-1") is not None
    assert broker.injected_faults() == {"timeout_after_accept": 1}


def test_error_before_accept_leaves_nothing() -> None:
    broker = venue()
    broker.inject(FaultKind.ERROR_BEFORE_ACCEPT)
    with pytest.raises(AmbiguousSubmit):
        broker.submit(order())
    assert broker.lookup("T1-001-1") is None
    broker.submit(order())  # the same id, sent again, is taken once
    assert [o.submissions for o in broker.venue_orders()] == [1]


def test_duplicate_execution_reports_repeat_fills() -> None:
    broker = venue()
    broker.submit(order())
    broker.release_fills()
    broker.inject(FaultKind.DUPLICATE_EXECUTIONS, times=2)
    fills = broker.executions(T0)
    assert len(fills) == 2 and fills[0] == fills[1]
    events = broker.drain_events()
    assert len([e for e in events if e.fill]) >= 2


def test_disconnect_loses_pushed_events_but_not_executions() -> None:
    broker = venue()
    broker.submit(order())
    broker.release_fills()
    broker.inject(FaultKind.DISCONNECT)
    with pytest.raises(BrokerUnavailable):
        broker.drain_events()
    assert broker.drain_events() == []
    assert len(broker.executions(T0 - timedelta(minutes=1))) == 1


def test_rate_limit_carries_retry_after() -> None:
    broker = venue(retry_after_seconds=1.5)
    broker.inject("rate_limit")
    with pytest.raises(RateLimited) as err:
        broker.account("acct")
    assert err.value.retry_after == 1.5


def test_cancel_racing_a_fill_ends_with_the_fill_booked_at_the_venue() -> None:
    broker = venue(partial_fills=2)
    broker.submit(order())
    broker.inject(FaultKind.CANCEL_RACE)
    broker.cancel("T1-001-1")
    state = broker.lookup("T1-001-1")
    assert (state.status, state.filled_quantity) == (OrderStatus.CANCELED, D("5"))
    broker.cancel("T1-001-1")  # terminal: a no-op


def test_random_faults_follow_the_seed() -> None:
    def fired(seed: int) -> dict:
        broker = venue(fault_rate=0.5, seed=seed, fault_kinds=(FaultKind.RATE_LIMIT, FaultKind.DISCONNECT))
        for _ in range(40):
            try:
                broker.account("acct")
            except (RateLimited, BrokerUnavailable):
                pass
        return dict(broker.injected_faults())

    assert fired(3) == fired(3)
    assert 5 < sum(fired(3).values()) < 35


def test_state_in_a_file_is_one_venue_for_every_process(tmp_path: Path) -> None:
    path = tmp_path / "venue.json"
    first = PaperBroker({"XYZ": D("100")}, state_path=path)
    first.set_cash("acct", D("1000"))
    first.submit(order(qty="2"))
    second = PaperBroker(state_path=path)  # another process would open it the same way
    assert second.lookup("T1-001-1") is not None
    with pytest.raises(DuplicateClientOrderId):
        second.submit(order(qty="2"))
    second.release_fills()
    assert first.account("acct").cash == D("800.0000")
