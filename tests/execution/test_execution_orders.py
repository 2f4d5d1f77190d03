"""Orders: deterministic client ids, run ids, netting into legs, and the order state machine."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.domain import Side, Trade
from trimtab.domain.orders import (
    CLIENT_ORDER_ID_MAX_LEN,
    Order,
    OrderError,
    OrderStatus,
    OrderType,
    client_order_id,
)
from trimtab.execution.orders import (
    TRANSITIONS,
    can_reach,
    check_transition,
    legs_from_trades,
    merge_status,
    run_id_for,
)

D = Decimal
S = OrderStatus
ID_RE = re.compile(r"^[A-Za-z0-9-]{1,50}$")


def trade(account: str, symbol: str, side: str, qty: str, price: str = "10") -> Trade:
    return Trade(account=account, symbol=symbol, side=Side(side), quantity=D(qty), price=D(price))


# -- ids --------------------------------------------------------------------------------------------------
def test_client_id_is_run_leg_attempt_within_50_characters() -> None:
    """BROKERS.md §2.1: f"{run_id}-{leg:03d}-{attempt}", [A-Za-z0-9-] only, at most 50 characters (Saxo)."""
    cid = client_order_id("T20240105abcdef123456", 7, 2)
    assert cid == "T20240105abcdef123456-007-2"
    assert ID_RE.match(cid) and len(cid) <= CLIENT_ORDER_ID_MAX_LEN


@pytest.mark.parametrize("run_id", ["x" * 45, "bad_underscore", "has space", ""])
def test_client_ids_that_a_venue_would_refuse_are_refused_here(run_id: str) -> None:
    with pytest.raises(OrderError, match="client order id"):
        client_order_id(run_id, 1, 1)


def test_run_id_is_deterministic_and_depends_on_the_plan() -> None:
    plan = [trade("ira", "VTI", "sell", "10"), trade("tax", "BND", "buy", "3.5", "70")]
    rid = run_id_for("fam", date(2024, 1, 5), plan)
    assert re.fullmatch(r"T20240105[0-9a-f]{12}", rid)
    assert run_id_for("fam", date(2024, 1, 5), list(reversed(plan))) == rid  # order does not matter
    assert (
        run_id_for(
            "fam",
            date(2024, 1, 5),
            [trade("ira", "VTI", "sell", "10.0"), trade("tax", "BND", "buy", "3.50", "70.00")],
        )
        == rid
    )
    assert run_id_for("fam", date(2024, 1, 6), plan) != rid
    assert run_id_for("other", date(2024, 1, 5), plan) != rid
    assert run_id_for("fam", date(2024, 1, 5), [plan[0], trade("tax", "BND", "buy", "3.6", "70")]) != rid


@settings(max_examples=200, deadline=None)
@given(
    household=st.text(min_size=1, max_size=80),
    leg=st.integers(1, 999),
    attempt=st.integers(1, 10**6),
    day=st.dates(date(1990, 1, 1), date(2099, 12, 31)),
)
def test_every_client_id_fits_every_venue(household: str, leg: int, attempt: int, day: date) -> None:
    cid = client_order_id(run_id_for(household, day, [trade("a", "X", "buy", "1")]), leg, attempt)
    assert ID_RE.match(cid) and len(cid) <= CLIENT_ORDER_ID_MAX_LEN


# -- legs -------------------------------------------------------------------------------------------------
def test_legs_net_per_account_and_symbol_sells_first() -> None:
    trades = [
        trade("tax", "VTI", "buy", "10", "200"),
        trade("tax", "VTI", "sell", "4", "210"),
        trade("ira", "BND", "buy", "5", "70"),
        trade("tax", "AAA", "sell", "2", "50"),
        trade("ira", "ZZZ", "sell", "1", "5"),
        trade("ira", "QQQ", "buy", "1", "5"),
        trade("ira", "QQQ", "sell", "1", "5"),
    ]  # offsets exactly: dropped
    legs = legs_from_trades(trades, "Trun")
    assert [(leg.leg, leg.account, leg.symbol, str(leg.side), leg.quantity) for leg in legs] == [
        (1, "ira", "ZZZ", "sell", D("1")),
        (2, "tax", "AAA", "sell", D("2")),
        (3, "ira", "BND", "buy", D("5")),
        (4, "tax", "VTI", "buy", D("6")),
    ]
    assert legs[3].price == (D("10") * 200 + D("4") * 210) / 14  # value-weighted over both trades
    assert legs[0].client_order_id() == "Trun-001-1"
    assert legs[3].order(attempt=2, quantity=D("5")).client_order_id == "Trun-004-2"


def test_limit_legs_get_a_limit_price_away_from_the_reference() -> None:
    legs = legs_from_trades(
        [trade("a", "X", "buy", "1", "100"), trade("a", "Y", "sell", "1", "50")],
        "Tr",
        order_type=OrderType.LIMIT,
        limit_offset=D("0.01"),
    )
    assert [(leg.symbol, leg.limit_price) for leg in legs] == [("Y", D("49.50")), ("X", D("101.00"))]


def test_orders_check_themselves() -> None:
    with pytest.raises(OrderError, match="exactly one of quantity and notional"):
        Order(client_order_id="T-001-1", account="a", symbol="X", side=Side.BUY)
    with pytest.raises(OrderError, match="needs limit_price"):
        Order(
            client_order_id="T-001-1",
            account="a",
            symbol="X",
            side=Side.BUY,
            quantity=D(1),
            order_type=OrderType.LIMIT,
        )
    with pytest.raises(OrderError, match="must be positive"):
        Order(client_order_id="T-001-1", account="a", symbol="X", side=Side.BUY, quantity=D(-1))
    with pytest.raises(OrderError, match="takes no limit_price"):
        Order(
            client_order_id="T-001-1", account="a", symbol="X", side=Side.BUY, quantity=D(1), limit_price=D(1)
        )


# -- state machine -----------------------------------------------------------------------------------------
LEGAL = [
    (S.INTENT, S.SENT),
    (S.INTENT, S.CANCELED),
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.REJECTED),
    (S.SENT, S.UNKNOWN),
    (S.UNKNOWN, S.SENT),
    (S.UNKNOWN, S.ACCEPTED),
    (S.ACCEPTED, S.PARTIALLY_FILLED),
    (S.ACCEPTED, S.FILLED),
    (S.PARTIALLY_FILLED, S.FILLED),
    (S.PARTIALLY_FILLED, S.EXPIRED),
    (S.ACCEPTED, S.PENDING_CANCEL),
    (S.PENDING_CANCEL, S.CANCELED),
    (S.PENDING_CANCEL, S.FILLED),
    (S.SENT, S.FILLED),
    (S.INTENT, S.FILLED),
]  # venues may skip states we never saw
ILLEGAL = [
    (S.FILLED, S.CANCELED),
    (S.FILLED, S.ACCEPTED),
    (S.REJECTED, S.ACCEPTED),
    (S.CANCELED, S.FILLED),
    (S.EXPIRED, S.PARTIALLY_FILLED),
    (S.ACCEPTED, S.INTENT),
    (S.PARTIALLY_FILLED, S.ACCEPTED),
    (S.ACCEPTED, S.UNKNOWN),
    (S.PARTIALLY_FILLED, S.REJECTED),
]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transitions_pass(current: OrderStatus, target: OrderStatus) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transitions_are_refused(current: OrderStatus, target: OrderStatus) -> None:
    with pytest.raises(OrderError, match="illegal order transition"):
        check_transition(current, target)


def test_terminal_states_absorb() -> None:
    for status in OrderStatus:
        assert (TRANSITIONS[status] == frozenset()) == status.is_terminal


def test_a_stale_venue_report_is_ignored_and_a_contradiction_refused() -> None:
    assert merge_status(S.FILLED, S.ACCEPTED) is S.FILLED  # the lookup lagged a fill
    assert merge_status(S.PARTIALLY_FILLED, S.FILLED) is S.FILLED
    with pytest.raises(OrderError, match="venue reports canceled for an order already filled"):
        merge_status(S.FILLED, S.CANCELED)


@settings(max_examples=200, deadline=None)
@given(walk=st.lists(st.integers(0, 20), max_size=12))
def test_every_walk_along_the_edges_is_legal(walk: list[int]) -> None:
    status = S.INTENT
    for step in walk:
        edges = sorted(TRANSITIONS[status])
        if not edges:
            assert status.is_terminal
            break
        nxt = edges[step % len(edges)]
        check_transition(status, nxt)
        assert can_reach(status, nxt)
        status = nxt
