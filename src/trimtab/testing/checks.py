"""Shipped conformance checks: run them on built-in and on your own terms and constraints.

``check_term(term, data, z)`` pins the trades at ``z`` and minimises the term alone, so helper variables
(epigraphs) go tight; the cvxpy value must equal ``term.evaluate(z, data)`` within ``rel`` (DESIGN 3.3).
It also checks that the compiled problem is DPP.

``check_constraints_hold(problem_solution)`` re-measures every constraint of a solution exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from trimtab.models.base import OBJECTIVE_SCALE, Constraint, CvxVars, ProblemData, Term
from trimtab.models.mixed_integer import silence_highs_banner
from trimtab.typing import FloatArray

__all__ = [
    "BrokerCheckFailed",
    "BrokerCheckReport",
    "TermMismatch",
    "check_broker",
    "check_constraints_hold",
    "check_term",
]


class TermMismatch(AssertionError):
    """``evaluate`` and ``to_cvxpy`` disagree."""


def check_term(term: Term, data: ProblemData, z: FloatArray, *, rel: float = 1e-6, abs_tol: float = 1e-10) -> float:
    """Assert that ``term.to_cvxpy`` at pinned trades ``z`` equals ``term.evaluate(z, data)``.

    Parameters
    ----------
    term : Term
        The term under test.
    data : ProblemData
        Its data (risk form taken from ``data``).
    z : ndarray of shape (n,)
        Trades as weights.
    rel, abs_tol : float
        Relative and absolute tolerances on the value (fraction of portfolio value).

    Returns
    -------
    float
        The exact value ``term.evaluate(z, data)``.
    """
    z = np.asarray(z, dtype=float)
    v = CvxVars.for_data(data)
    expr = term.to_cvxpy(v)
    v.bind(data)
    term.bind(v, data)
    problem = cp.Problem(cp.Minimize(OBJECTIVE_SCALE * expr), [v.dv == data.d0 + z, *v.epigraphs])
    if not (problem.is_dcp() and problem.is_dpp()):
        raise TermMismatch(f"{term!r} is not DPP")
    if problem.is_mixed_integer():  # e.g. FixedTradeCost: Boolean indicators, a MILP with the trades pinned
        silence_highs_banner()
        problem.solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
    else:
        try:
            with warnings.catch_warnings():  # "solution may be inaccurate": retried below
                warnings.simplefilter("ignore", UserWarning)
                problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10)  # type: ignore[no-untyped-call]
        except cp.error.SolverError:
            pass
        if problem.status != cp.OPTIMAL:  # degenerate pinned LPs can stall at 1e-10; Clarabel's defaults then
            problem = cp.Problem(problem.objective, problem.constraints)
            problem.solve(solver=cp.CLARABEL)  # type: ignore[no-untyped-call]
    if problem.status != cp.OPTIMAL:
        raise TermMismatch(f"{term!r}: Clarabel status {problem.status} at pinned trades")
    exact = term.evaluate(z, data)
    got = float(problem.value) / OBJECTIVE_SCALE
    if not abs(got - exact) <= max(abs_tol, rel * abs(exact)):
        raise TermMismatch(f"{term!r}: cvxpy value {got!r} != evaluate {exact!r} (rel {rel}, abs {abs_tol})")
    return exact


def check_constraints_hold(constraints: Sequence[Constraint], z: FloatArray, data: ProblemData,
                           tolerance: float = 1e-6) -> None:
    """Assert every constraint holds at ``z`` within ``tolerance`` (weights)."""
    broken = [(c, c.violation(np.asarray(z, dtype=float), data)) for c in constraints]
    broken = [(c, x) for c, x in broken if x > tolerance]
    if broken:
        raise AssertionError("constraints broken: " + ", ".join(f"{c!r} by {x:.3g}" for c, x in broken))


# -- check_broker (execution) --------------------------------------------------------------------------------
class BrokerCheckFailed(AssertionError):
    """A broker (or its local fake) broke the Broker protocol or lost or duplicated something."""


class BrokerCheckReport:
    """What :func:`check_broker` exercised: scenarios passed, faults fired by kind, orders and executions seen."""

    def __init__(self) -> None:
        self.scenarios: list[str] = []
        self.faults: dict[str, int] = {}
        self.orders = 0
        self.executions = 0
        self.recoveries = 0

    @property
    def total_faults(self) -> int:
        """Faults fired across every kind."""
        return sum(self.faults.values())

    def __repr__(self) -> str:
        return (f"BrokerCheckReport(scenarios={self.scenarios}, faults={self.faults}, orders={self.orders}, "
                f"executions={self.executions}, recoveries={self.recoveries})")


def _ensure(condition: bool, message: str) -> None:
    if not condition:
        raise BrokerCheckFailed(message)


def check_broker(make_broker: object, *, db_url: str = "sqlite://", seed: int = 0, runs: int = 12,
                 legs_per_run: int = 8, faults_per_run: int = 12, min_faults: int = 100,
                 max_submissions: int = 1) -> BrokerCheckReport:
    """Run the shipped broker conformance suite (DESIGN §3.10, BROKERS.md §4) against a venue.

    ``make_broker()`` must return a fresh venue implementing :class:`trimtab.execution.broker.Broker` and
    :class:`trimtab.execution.broker.VenueControl` (the paper broker, the scripted broker, an adapter on its local
    fake). Scenarios: capabilities, lookup of an unknown id, submit and lookup, idempotent submit, partial fills
    booked once, typed rejects (unknown instrument, insufficient funds, closed market), cancel, DAY expiry, then a
    soak: ``runs`` runs of ``legs_per_run`` legs through the real journal, send loop and book on ``db_url`` with
    ``faults_per_run`` faults injected per run across every supported kind, restarts after give-ups, and at the
    end the invariants "nothing lost, nothing duplicated":

    1. each journaled client id matches at most one venue order, and each venue order a journal entry; no client
       id was submitted more than ``max_submissions`` times;
    2. the book's ``(venue, execution_id)`` set equals the venue's executions, each once;
    3. per order, filled = sum of booked fills <= ordered, and every entry is terminal;
    4. book positions and cash equal the venue's (the reconciliation report is empty), and after a position is
       changed at the venue the report lists exactly that difference;
    5. a second recovery run changes nothing.

    Parameters
    ----------
    make_broker : callable
        Returns a new venue.
    db_url : str
        Database for the journal and book (``sqlite://`` in memory by default; a PostgreSQL URL works the same).
    seed : int
        Seed of the soak's trades and faults.
    runs, legs_per_run, faults_per_run : int
        Size of the soak.
    min_faults : int
        Fail unless at least this many faults actually fired.
    max_submissions : int
        Most submits one client id may see at the venue (1: the send loop never repeats a submit).

    Returns
    -------
    BrokerCheckReport

    Raises
    ------
    BrokerCheckFailed
        Naming the scenario and what broke.
    """
    report = BrokerCheckReport()
    for name, scenario in _BROKER_SCENARIOS:
        try:
            scenario(make_broker, report)
        except BrokerCheckFailed as err:
            raise BrokerCheckFailed(f"{name}: {err}") from err
        report.scenarios.append(name)
    try:
        _soak(make_broker, report, db_url=db_url, seed=seed, runs=runs, legs_per_run=legs_per_run,
              faults_per_run=faults_per_run, min_faults=min_faults, max_submissions=max_submissions)
    except BrokerCheckFailed as err:
        raise BrokerCheckFailed(f"soak: {err}") from err
    report.scenarios.append("soak")
    return report


_CHECK_PRICES = {"AAA": "10", "BBB": "25", "CCC": "40.5", "DDD": "7.25", "EEE": "120", "FFF": "3.1"}


def _fresh(make_broker: object, *, cash: str = "1000000", shares: str = "1000", accounts: Sequence[str] = ("acct1",)
           ) -> object:
    from decimal import Decimal

    broker = make_broker()  # type: ignore[operator]
    for symbol, price in _CHECK_PRICES.items():
        broker.set_price(symbol, Decimal(price))
    for account in accounts:
        broker.set_cash(account, Decimal(cash))
        for symbol in _CHECK_PRICES:
            broker.set_position(account, symbol, Decimal(shares))
    return broker


def _order(cid: str, symbol: str = "AAA", side: str = "buy", quantity: str = "10", account: str = "acct1",
           limit: str | None = None) -> object:
    from decimal import Decimal

    from trimtab.domain.orders import Order, OrderType

    return Order(client_order_id=cid, account=account, symbol=symbol, side=side, quantity=Decimal(quantity),
                 order_type=OrderType.LIMIT if limit else OrderType.MARKET,
                 limit_price=Decimal(limit) if limit else None)


def _poll_until(broker: object, cid: str, done: object, polls: int = 50) -> object:
    state = None
    for _ in range(polls):
        state = broker.lookup(cid)  # type: ignore[attr-defined]
        if state is not None and done(state):  # type: ignore[operator]
            return state
    return state


def _scenario_capabilities(make_broker: object, report: BrokerCheckReport) -> None:
    from trimtab.domain.orders import CLIENT_ORDER_ID_MAX_LEN
    from trimtab.execution.broker import Broker, Capabilities, VenueControl

    broker = _fresh(make_broker)
    _ensure(isinstance(broker, Broker), "the venue does not implement the Broker protocol")
    _ensure(isinstance(broker, VenueControl), "the venue does not implement VenueControl (fault injection)")
    caps = broker.capabilities()  # type: ignore[attr-defined]
    _ensure(isinstance(caps, Capabilities) and bool(caps.venue), "capabilities() must name the venue")
    _ensure(caps.client_id_max_len >= CLIENT_ORDER_ID_MAX_LEN,
            f"client ids of {CLIENT_ORDER_ID_MAX_LEN} characters must fit, venue allows {caps.client_id_max_len}")
    _ensure(broker.drain_events() == [] or caps.pushes_events,  # type: ignore[attr-defined]
            "drain_events returned events but capabilities say the venue does not push")


def _scenario_lookup_unknown(make_broker: object, report: BrokerCheckReport) -> None:
    broker = _fresh(make_broker)
    _ensure(broker.lookup("Tnever-001-1") is None,  # type: ignore[attr-defined]
            "lookup of an id the venue never saw must answer None")


def _scenario_submit_idempotent(make_broker: object, report: BrokerCheckReport) -> None:
    from trimtab.execution.errors import DuplicateClientOrderId

    broker = _fresh(make_broker)
    order = _order("Tcheck-001-1")
    ack = broker.submit(order)  # type: ignore[attr-defined]
    _ensure(ack.client_order_id == order.client_order_id and bool(ack.venue_order_id),  # type: ignore[attr-defined]
            f"ack does not name the order: {ack}")
    state = broker.lookup(order.client_order_id)  # type: ignore[attr-defined]
    _ensure(state is not None and state.venue_order_id == ack.venue_order_id,
            f"lookup after submit must find the order with the acked venue id, got {state}")
    try:
        again = broker.submit(order)  # type: ignore[attr-defined]
        _ensure(again.venue_order_id == ack.venue_order_id, "a resubmitted id must not create a second order")
    except DuplicateClientOrderId:
        pass
    same = [o for o in broker.venue_orders() if o.client_order_id == order.client_order_id]  # type: ignore[attr-defined]
    _ensure(len(same) == 1, f"the venue holds {len(same)} orders for one client id")


def _scenario_partial_fills(make_broker: object, report: BrokerCheckReport) -> None:
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    broker = _fresh(make_broker)
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    order = _order("Tcheck-002-1", symbol="BBB", quantity="7")
    broker.submit(order)  # type: ignore[attr-defined]
    broker.release_fills()  # type: ignore[attr-defined]
    state = _poll_until(broker, order.client_order_id, lambda s: s.status.is_terminal)  # type: ignore[attr-defined]
    _ensure(state is not None and str(state.status) == "filled", f"a marketable order must fill, got {state}")
    fills = [f for f in broker.executions(start) if f.client_order_id == order.client_order_id]  # type: ignore[attr-defined]
    keys = {f.key for f in fills}
    _ensure(len(keys) == len({f.key for f in broker.venue_executions()  # type: ignore[attr-defined]
                              if f.client_order_id == order.client_order_id}),
            "executions() must return every execution of the order")
    total = sum((f.quantity for f in {f.key: f for f in fills}.values()), Decimal("0"))
    _ensure(total == state.filled_quantity == Decimal("7"),  # type: ignore[union-attr]
            f"filled {state.filled_quantity} must equal the sum of executions {total} and the order's 7")  # type: ignore[union-attr]


def _scenario_rejects(make_broker: object, report: BrokerCheckReport) -> None:
    from trimtab.domain.orders import RejectReason
    from trimtab.execution.errors import MarketClosed, OrderRejected

    broker = _fresh(make_broker, cash="100")
    for cid, order, reason in [
        ("Tcheck-003-1", _order("Tcheck-003-1", symbol="ZZZNOPE"), RejectReason.UNKNOWN_INSTRUMENT),
        ("Tcheck-004-1", _order("Tcheck-004-1", symbol="EEE", quantity="1000"), RejectReason.INSUFFICIENT_FUNDS),
    ]:
        try:
            broker.submit(order)  # type: ignore[attr-defined]
        except OrderRejected as err:
            _ensure(err.reason is reason, f"{cid}: expected reject reason {reason}, got {err.reason}")
        else:
            raise BrokerCheckFailed(f"{cid}: expected OrderRejected({reason})")
        state = broker.lookup(cid)  # type: ignore[attr-defined]
        _ensure(state is None or str(state.status) == "rejected", f"{cid}: a refused order must not be working")
    broker.set_session("closed")  # type: ignore[attr-defined]
    try:
        broker.submit(_order("Tcheck-005-1"))  # type: ignore[attr-defined]
    except MarketClosed:
        pass
    else:
        raise BrokerCheckFailed("a closed venue must raise MarketClosed")
    _ensure(broker.lookup("Tcheck-005-1") is None, "an order refused as market-closed must not exist")  # type: ignore[attr-defined]


def _scenario_cancel_and_expiry(make_broker: object, report: BrokerCheckReport) -> None:
    broker = _fresh(make_broker)
    resting = _order("Tcheck-006-1", symbol="CCC", quantity="5", limit="1.00")
    broker.submit(resting)  # type: ignore[attr-defined]
    broker.release_fills()  # type: ignore[attr-defined]
    state = broker.lookup(resting.client_order_id)  # type: ignore[attr-defined]
    _ensure(state is not None and state.status.is_open, f"a limit far below the market must rest, got {state}")
    broker.cancel(resting.client_order_id)  # type: ignore[attr-defined]
    state = _poll_until(broker, resting.client_order_id, lambda s: s.status.is_terminal)
    _ensure(state is not None and str(state.status) == "canceled", f"cancel must end CANCELED, got {state}")
    broker.cancel(resting.client_order_id)  # type: ignore[attr-defined]   # terminal: a no-op
    day = _order("Tcheck-007-1", symbol="CCC", quantity="5", limit="1.00")
    broker.submit(day)  # type: ignore[attr-defined]
    broker.end_day()  # type: ignore[attr-defined]
    state = _poll_until(broker, day.client_order_id, lambda s: s.status.is_terminal)
    _ensure(state is not None and str(state.status) == "expired", f"a DAY order must expire at the close, got {state}")


_BROKER_SCENARIOS = [
    ("capabilities", _scenario_capabilities),
    ("lookup_unknown", _scenario_lookup_unknown),
    ("submit_idempotent", _scenario_submit_idempotent),
    ("partial_fills", _scenario_partial_fills),
    ("typed_rejects", _scenario_rejects),
    ("cancel_and_expiry", _scenario_cancel_and_expiry),
]


def _soak(make_broker: object, report: BrokerCheckReport, *, db_url: str, seed: int, runs: int, legs_per_run: int,
          faults_per_run: int, min_faults: int, max_submissions: int) -> None:
    import random
    import uuid
    from datetime import date, timedelta
    from decimal import Decimal

    from trimtab.book.ledger import Book
    from trimtab.db import open_database
    from trimtab.domain import Account, AccountKind, Household, Side, TaxLot, Trade
    from trimtab.errors import BrokerError
    from trimtab.execution.journal import OrderJournal
    from trimtab.execution.orders import legs_from_trades
    from trimtab.execution.submit import SendLoop, SubmitSettings
    from trimtab.execution.workflow import reconcile_with_broker

    rng = random.Random(seed)
    token = uuid.uuid4().hex[:8]
    accounts = (f"chk{token}a", f"chk{token}b")
    broker = _fresh(make_broker, accounts=accounts)
    household = Household(
        name=f"check-{token}",
        accounts=tuple(Account(id=a, kind=AccountKind.TAXABLE, cash=Decimal("1000000")) for a in accounts),
        lots=tuple(TaxLot(account=a, symbol=s, quantity=Decimal("1000"), cost_basis=Decimal(p) * 900,
                          acquired=date(2020, 1, 2)) for a in accounts for s, p in _CHECK_PRICES.items()))
    engine = open_database(db_url)
    try:
        book = Book(engine)
        book.import_household(household)
        journal = OrderJournal(engine)
        settings = SubmitSettings(deadline_seconds=10.0, poll_interval_seconds=0.0, max_retries=6,
                                  retry_wait_seconds=0.0, sleep=lambda _s: None)
        kinds = sorted(broker.supported_faults())  # type: ignore[attr-defined]
        venue = broker.capabilities().venue  # type: ignore[attr-defined]
        run_ids = []
        for number in range(runs):
            trades = []
            for _ in range(legs_per_run):
                account, symbol = rng.choice(accounts), rng.choice(sorted(_CHECK_PRICES))
                side = rng.choice([Side.BUY, Side.SELL])
                quantity = Decimal(rng.randint(1, 40)) if rng.random() < 0.7 else \
                    Decimal(rng.randint(1, 40_000)) / 1000
                trades.append(Trade(account=account, symbol=symbol, side=side, quantity=quantity,
                                    price=Decimal(_CHECK_PRICES[symbol])))
            run_id = f"C{token}{number:04d}"
            legs = legs_from_trades(trades, run_id)
            journal.create_run(run_id=run_id, household=household.name, as_of=date.today(), venue=venue, legs=legs)
            run_ids.append(run_id)
            for _ in range(faults_per_run):
                broker.inject(rng.choice(kinds))  # type: ignore[attr-defined]
            loop = SendLoop(broker, journal, book, settings=settings)  # type: ignore[arg-type]
            for leg in legs:                 # a user cancels some sells right after sending (cancels race fills)
                if leg.side is Side.SELL and rng.random() < 0.35:
                    try:
                        loop.send(leg.order(), run_id=run_id, leg=leg.leg)
                        loop.cancel(leg.client_order_id())
                    except BrokerError:
                        report.recoveries += 1
            for _restart in range(20):       # a give-up (retries exhausted) is a crash: start a new loop
                try:
                    if SendLoop(broker, journal, book, settings=settings).run(run_id).done:  # type: ignore[arg-type]
                        break
                except BrokerError:
                    report.recoveries += 1
            if rng.random() < 0.3:
                broker.end_day()  # type: ignore[attr-defined]
        report.faults = {str(k): v for k, v in broker.injected_faults().items()}  # type: ignore[attr-defined]
        broker.clear_faults()  # type: ignore[attr-defined]
        broker.release_fills()  # type: ignore[attr-defined]
        for run_id in run_ids:
            SendLoop(broker, journal, book, settings=settings).run(run_id)  # type: ignore[arg-type]
        _ensure(report.total_faults >= min_faults,
                f"only {report.total_faults} faults fired ({report.faults}); need at least {min_faults}")
        _soak_invariants(broker, journal, book, household, venue, report, max_submissions)
        before = (len(book.fills(include_superseded=True)), [(e.client_order_id, e.status, e.filled_quantity)
                                                             for e in journal.entries()],
                  len(broker.venue_executions()), len(broker.venue_orders()))  # type: ignore[attr-defined]
        for run_id in run_ids:
            SendLoop(broker, journal, book, settings=settings).run(run_id)  # type: ignore[arg-type]
        after = (len(book.fills(include_superseded=True)), [(e.client_order_id, e.status, e.filled_quantity)
                                                            for e in journal.entries()],
                 len(broker.venue_executions()), len(broker.venue_orders()))  # type: ignore[attr-defined]
        _ensure(before == after, "a second recovery run changed the book, the journal or the venue")
        account, symbol = accounts[0], "AAA"
        held = book.positions([account]).get((account, symbol), Decimal("0"))
        broker.set_position(account, symbol, held + Decimal("1"))  # type: ignore[attr-defined]
        breaks = reconcile_with_broker(book, broker, list(accounts)).breaks  # type: ignore[arg-type]
        _ensure(len(breaks) == 1 and breaks[0].account == account and breaks[0].symbol == symbol
                and breaks[0].difference == Decimal("1"),
                f"reconciliation must list exactly the injected +1 {symbol} break, got {breaks}")
    finally:
        engine.dispose()


def _soak_invariants(broker: object, journal: object, book: object, household: object, venue: str,
                     report: BrokerCheckReport, max_submissions: int) -> None:
    from collections import Counter
    from decimal import Decimal

    from trimtab.execution.workflow import reconcile_with_broker

    accounts = set(household.account_ids)  # type: ignore[attr-defined]
    entries = {e.client_order_id: e for e in journal.entries()  # type: ignore[attr-defined]
               if e.order.account in accounts}
    orders = [o for o in broker.venue_orders() if o.account in accounts]  # type: ignore[attr-defined]
    counts = Counter(o.client_order_id for o in orders)
    _ensure(all(n == 1 for n in counts.values()), f"client ids with several venue orders: "
                                                   f"{[c for c, n in counts.items() if n > 1]}")
    stray = [o.client_order_id for o in orders if o.client_order_id not in entries]
    _ensure(not stray, f"venue orders without a journal entry: {stray}")
    resent = [(o.client_order_id, o.submissions) for o in orders if o.submissions > max_submissions]
    _ensure(not resent, f"client ids submitted more than {max_submissions} times: {resent}")
    executions = [f for f in broker.venue_executions() if f.account in accounts]  # type: ignore[attr-defined]
    booked = [f for f in book.fills() if f.account in accounts]  # type: ignore[attr-defined]
    _ensure(len({f.key for f in booked}) == len(booked), "the book holds an execution twice")
    missing = {f.key for f in executions} - {f.key for f in booked}
    extra = {f.key for f in booked} - {f.key for f in executions}
    _ensure(not missing and not extra, f"book and venue executions differ: missing {sorted(missing)[:5]}, "
                                       f"extra {sorted(extra)[:5]}")
    for order in orders:
        total = sum((f.quantity for f in booked if f.client_order_id == order.client_order_id), Decimal("0"))
        _ensure(total == order.filled_quantity <= order.quantity,
                f"{order.client_order_id}: booked {total}, venue filled {order.filled_quantity} of {order.quantity}")
        entry = entries[order.client_order_id]
        _ensure(entry.status.is_terminal, f"{order.client_order_id} is still {entry.status} in the journal")
        _ensure(entry.filled_quantity == order.filled_quantity,
                f"{order.client_order_id}: journal filled {entry.filled_quantity}, venue {order.filled_quantity}")
    open_entries = [c for c, e in entries.items() if not e.status.is_terminal]
    _ensure(not open_entries, f"journal entries left open: {open_entries[:5]}")
    unsent = [c for c, e in entries.items() if c not in counts and str(e.status) not in ("rejected", "canceled")]
    _ensure(not unsent, f"journal entries the venue never received: {unsent[:5]}")
    breaks = reconcile_with_broker(book, broker, sorted(accounts)).lines()  # type: ignore[arg-type]
    _ensure(not breaks, f"book and venue differ: {breaks[:5]}")
    report.orders = len(orders)
    report.executions = len(executions)
