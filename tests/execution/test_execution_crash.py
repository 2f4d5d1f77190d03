"""Crash safety: SIGKILL the process at each step, restart, and check nothing was sent twice or lost.

The driver (``crash_driver.py``) runs in a subprocess against a paper venue whose state lives in a file (so
the venue outlives the killed client) and a journal/book database (SQLite file or PostgreSQL schema). It kills
itself at a named step; the restart runs the same plan in this process. Afterwards: every client id reached
the venue exactly once (lookups, not resends, settled the unclear ones), the book holds each venue execution
exactly once, the book equals the venue, and every journal entry is terminal.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from trimtab.book.ledger import Book
from trimtab.db import open_database
from trimtab.domain.orders import OrderStatus
from trimtab.execution.journal import OrderJournal
from trimtab.execution.workflow import execute_plan, reconcile_with_broker

DRIVER = Path(__file__).with_name("crash_driver.py")
_spec = importlib.util.spec_from_file_location("crash_driver", DRIVER)
assert _spec is not None and _spec.loader is not None
crash_driver = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash_driver)

#: (step, n-th occurrence): after a journal write, after the send before the ack is journaled, after the ack,
#: mid-fills (after the 2nd fill booked), and inside the book's transaction (4th fill, before commit).
KILL_POINTS = [("after_intent", 2), ("after_send", 1), ("after_ack", 3), ("after_fill", 2), ("book_apply", 4)]


@pytest.mark.parametrize(("step", "nth"), KILL_POINTS, ids=[f"{s}-{n}" for s, n in KILL_POINTS])
def test_a_killed_run_restarts_without_duplicates_or_losses(
    db_url: str, tmp_path: Path, step: str, nth: int
) -> None:
    state = tmp_path / "venue.json"
    killed = subprocess.run(
        [sys.executable, str(DRIVER), db_url, str(state), step, str(nth)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, f"driver did not die at {step}: {killed.stderr[-2000:]}"

    engine = open_database(db_url)
    try:
        journal = OrderJournal(engine)
        household, plan, broker = crash_driver.scenario(state)
        before = {e.client_order_id: e.status for e in journal.entries()}
        if step == "after_intent":  # journaled but not sent: the venue has never seen the last entry
            last = journal.entries()[-1]
            assert last.status is OrderStatus.INTENT and broker.lookup(last.client_order_id) is None
        if step == "after_send":  # sent, the venue has it, the journal still says intent
            assert list(before.values()) == [OrderStatus.INTENT]
            assert broker.lookup(next(iter(before))) is not None

        summary = execute_plan(plan, household, broker=broker, engine=engine)
        assert summary.status == "done", summary.notes

        orders = broker.venue_orders()
        assert orders and all(o.submissions == 1 for o in orders), [
            (o.client_order_id, o.submissions) for o in orders
        ]
        entries = journal.entries()
        assert {e.client_order_id for e in entries} == {o.client_order_id for o in orders}
        assert all(e.status.is_terminal for e in entries)
        book = Book(engine)
        booked = [f.key for f in book.fills()]
        assert sorted(booked) == sorted(f.key for f in broker.venue_executions())  # each fill exactly once
        assert reconcile_with_broker(book, broker, household.account_ids).ok  # book = broker
        again = execute_plan(plan, household, broker=broker, engine=engine)
        assert again.status == "already_done" and len(broker.venue_orders()) == len(orders)
    finally:
        engine.dispose()
