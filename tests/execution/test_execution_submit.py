"""The send loop: unclear outcomes resolved by lookup, one venue order per client id, sells before buys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from trimtab.book.ledger import Book
from trimtab.db import open_database
from trimtab.domain import Account, AccountKind, Household, Side, TaxLot, Trade
from trimtab.domain.orders import OrderStatus, OrderType
from trimtab.execution.broker import Capabilities, FaultKind
from trimtab.execution.errors import BrokerUnavailable, MarketClosed, UnresolvedOrderError
from trimtab.execution.journal import OrderJournal, RunPhase
from trimtab.execution.orders import Leg, legs_from_trades
from trimtab.execution.paper import PaperBroker, PaperConfig
from trimtab.execution.submit import SendLoop, SubmitSettings, size_buys
from trimtab.testing.fakes import ScriptedBroker

D = Decimal
FAST = SubmitSettings(
    poll_interval_seconds=0, retry_wait_seconds=0, max_retries=3, deadline_seconds=5, sleep=lambda _s: None
)
PRICES = {"AAA": D("100"), "BBB": D("50")}


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = open_database("sqlite://")
    yield engine
    engine.dispose()


def household(cash: str = "1000") -> Household:
    return Household(
        name="fam",
        accounts=(Account(id="acct", kind=AccountKind.TAXABLE, cash=D(cash)),),
        lots=(
            TaxLot(
                account="acct",
                symbol="AAA",
                quantity=D("20"),
                cost_basis=D("1500"),
                acquired=date(2020, 1, 2),
            ),
        ),
    )


def setup(
    engine: Engine, broker: object, trades: list[Trade], run_id: str = "Trun1"
) -> tuple[SendLoop, list[Leg]]:
    hh = household()
    book = Book(engine)
    book.import_household(hh)
    broker.set_cash("acct", hh.accounts[0].cash)  # type: ignore[attr-defined]
    broker.set_position("acct", "AAA", D("20"))  # type: ignore[attr-defined]
    journal = OrderJournal(engine)
    legs = legs_from_trades(trades, run_id)
    journal.create_run(run_id=run_id, household=hh.name, as_of=date(2024, 1, 5), venue="x", legs=legs)
    return SendLoop(broker, journal, book, settings=FAST), legs  # type: ignore[arg-type]


def sell(qty: str = "4") -> Trade:
    return Trade(account="acct", symbol="AAA", side=Side.SELL, quantity=D(qty), price=D("100"))


def buy(qty: str = "10", symbol: str = "BBB", price: str = "50") -> Trade:
    return Trade(account="acct", symbol=symbol, side=Side.BUY, quantity=D(qty), price=D(price))


def test_size_buys_scales_to_the_cash_there_and_rounds_down() -> None:
    """Known answer: 1,000 dollars for 500 + 600 planned -> factor 10/11 -> 9 and 9 whole shares.

    2.5 shares of 10
    dollars with 23 dollars -> 2.3 (fractional) or 2 (whole shares only)."""
    legs = [
        Leg(run_id="T", leg=1, account="a", symbol="X", side=Side.BUY, quantity=D("10"), price=D("50")),
        Leg(run_id="T", leg=2, account="a", symbol="Y", side=Side.BUY, quantity=D("10"), price=D("60")),
        Leg(run_id="T", leg=3, account="b", symbol="Z", side=Side.BUY, quantity=D("2.5"), price=D("10")),
    ]
    sizes = size_buys(legs, {"a": D("1000"), "b": D("23")}, cash_buffer=D("0"))
    assert sizes == {1: D("9"), 2: D("9"), 3: D("2.3")}
    assert size_buys(legs, {"a": D("5000"), "b": D("0")}, cash_buffer=D("0.01")) == {
        1: D("10"),
        2: D("10"),
        3: D("0"),
    }
    assert size_buys(legs[2:], {"b": D("23")}, cash_buffer=D("0"), fractional=False) == {3: D("2")}
    assert size_buys(legs[2:], {"b": D("7")}, cash_buffer=D("0")) == {3: D("0.7")}


@pytest.mark.parametrize(
    "fault",
    [
        FaultKind.TIMEOUT_AFTER_ACCEPT,
        FaultKind.ERROR_BEFORE_ACCEPT,
        FaultKind.RATE_LIMIT,
        FaultKind.DISCONNECT,
    ],
)
def test_an_unclear_or_refused_submit_ends_with_exactly_one_venue_order(
    engine: Engine, fault: FaultKind
) -> None:
    broker = ScriptedBroker(PRICES)
    loop, legs = setup(engine, broker, [sell()])
    broker.cue(fault)
    entry = loop.send(legs[0].order(), run_id="Trun1", leg=1)
    assert entry.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)
    assert [(o.client_order_id, o.submissions) for o in broker.venue_orders()] == [("Trun1-001-1", 1)]
    trail = [t for _, _, t, _ in loop.journal.events("Trun1-001-1")]
    if fault in (FaultKind.TIMEOUT_AFTER_ACCEPT, FaultKind.ERROR_BEFORE_ACCEPT):
        assert "unknown" in trail  # only a lookup left the unknown state
    assert loop.run("Trun1").done


def test_duplicate_id_answer_means_the_venue_has_it(engine: Engine) -> None:
    broker = ScriptedBroker(PRICES)
    loop, legs = setup(engine, broker, [sell()])
    broker.submit(legs[0].order())  # e.g. an SDK retry got there first
    entry = loop.send(legs[0].order(), run_id="Trun1", leg=1)
    assert entry.venue_order_id == broker.venue_orders()[0].venue_order_id
    assert len(broker.venue_orders()) == 1


class NonUniqueVenue(ScriptedBroker):
    """A venue that does not refuse reused client ids (Saxo ExternalReference)."""

    def capabilities(self) -> Capabilities:
        return Capabilities(venue="nonunique", client_id_unique=False, pushes_events=False)


def test_a_venue_without_unique_ids_stops_for_reconciliation_instead_of_resending(engine: Engine) -> None:
    broker = NonUniqueVenue(PRICES)
    loop, legs = setup(engine, broker, [sell()])
    broker.cue(FaultKind.ERROR_BEFORE_ACCEPT)
    with pytest.raises(UnresolvedOrderError, match="reconcile"):
        loop.send(legs[0].order(), run_id="Trun1", leg=1)
    assert broker.venue_orders() == []
    assert loop.journal.entry("Trun1-001-1").status is OrderStatus.UNKNOWN


def test_retries_give_up_after_the_limit_and_the_run_stays_open(engine: Engine) -> None:
    broker = ScriptedBroker(PRICES)
    loop, _ = setup(engine, broker, [sell()])
    broker.inject(FaultKind.DISCONNECT, times=10)
    with pytest.raises(BrokerUnavailable):
        loop.run("Trun1")
    assert loop.journal.run("Trun1").phase == RunPhase.SELLS
    broker.clear_faults()
    assert loop.run("Trun1").done
    assert [o.submissions for o in broker.venue_orders()] == [1]


def test_sells_settle_before_buys_and_buys_use_the_cash_actually_raised(engine: Engine) -> None:
    """Sell 4 AAA at 100 planned (400 raised) but the venue fills 2 % lower.

    The 28 BBB planned (1,400 dollars)
    are scaled to the 1,392 dollars there, less the 1 % buffer."""
    broker = PaperBroker(PRICES, config=PaperConfig(slippage_bps=D("200"), partial_fills=2))
    loop, _ = setup(engine, broker, [sell("4"), buy("28")])
    outcome = loop.run("Trun1")
    assert outcome.done
    cash_after_sells = D("1000") + 4 * D("98")
    expected = (D("28") * cash_after_sells / (D("1400") * D("1.01"))).to_integral_value(rounding="ROUND_DOWN")
    assert outcome.sizes == {2: expected} and expected < 28
    orders = broker.venue_orders()
    assert [o.side for o in orders] == ["sell", "buy"]  # the buy went out after the sell settled
    assert broker.account("acct").cash >= 0
    book = loop.sink
    assert book.cash("acct") == broker.account("acct").cash  # type: ignore[attr-defined]


def test_the_market_hours_gate_sends_nothing_to_a_closed_venue(engine: Engine) -> None:
    broker = ScriptedBroker(PRICES)
    loop, _ = setup(engine, broker, [sell()])
    broker.set_session("closed")
    with pytest.raises(MarketClosed, match="nothing was sent"):
        loop.run("Trun1")
    assert broker.venue_orders() == [] and loop.journal.entries() == []
    broker.set_session("regular")
    assert loop.run("Trun1").done


def test_an_order_still_open_at_the_deadline_is_left_open_then_cancelled(engine: Engine) -> None:
    broker = ScriptedBroker(PRICES)
    hh = household()
    Book(engine).import_household(hh)
    broker.set_cash("acct", D("1000"))
    broker.set_position("acct", "AAA", D("20"))
    journal = OrderJournal(engine)
    legs = legs_from_trades([sell()], "Trest", order_type=OrderType.LIMIT, limit_offset=D("-0.5"))  # ask 150
    journal.create_run(run_id="Trest", household="fam", as_of=date(2024, 1, 5), venue="x", legs=legs)
    clock = iter(range(1000))
    loop = SendLoop(
        broker,
        journal,
        Book(engine),
        settings=SubmitSettings(
            deadline_seconds=3, poll_interval_seconds=0, sleep=lambda _s: None, monotonic=lambda: next(clock)
        ),
    )
    outcome = loop.run("Trest")
    assert not outcome.done and outcome.unsettled == ["Trest-001-1"]
    loop.cancel("Trest-001-1")
    assert journal.entry("Trest-001-1").status is OrderStatus.PENDING_CANCEL
    assert loop.run("Trest").done
    assert journal.entry("Trest-001-1").status is OrderStatus.CANCELED
