"""Driver for the crash tests: runs one execution, SIGKILLs itself the N-th time a named step is reached.

Usage: ``python crash_driver.py DB_URL PAPER_STATE STEP N``. Steps are the send loop's and the book's hooks:
``after_intent``, ``after_send``, ``after_ack``, ``after_fill``, ``book_apply``. The test imports
:func:`scenario` from this file so the restart executes exactly the same plan against the same venue.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from trimtab.domain import Account, AccountKind, Household, Side, TaxLot, Trade
from trimtab.execution.paper import PaperBroker, PaperConfig

D = Decimal
PRICES = {"AAA": D("100"), "BBB": D("50"), "CCC": D("20")}


def scenario(paper_state: Path) -> tuple[Household, SimpleNamespace, PaperBroker]:
    """Two accounts, two sells and three buys (one fractional); the venue fills each order in three parts."""
    household = Household(
        name="crash-test",
        accounts=(
            Account(id="tax", kind=AccountKind.TAXABLE, cash=D("500")),
            Account(id="ira", kind=AccountKind.TAX_DEFERRED, cash=D("100")),
        ),
        lots=(
            TaxLot(
                account="tax", symbol="AAA", quantity=D("10"), cost_basis=D("700"), acquired=date(2020, 1, 2)
            ),
            TaxLot(
                account="ira", symbol="BBB", quantity=D("30"), cost_basis=D("1200"), acquired=date(2021, 1, 4)
            ),
        ),
    )
    plan = SimpleNamespace(
        as_of=date(2024, 1, 5),
        trades=(
            Trade(account="tax", symbol="AAA", side=Side.SELL, quantity=D("6"), price=D("100")),
            Trade(account="ira", symbol="BBB", side=Side.SELL, quantity=D("12"), price=D("50")),
            Trade(account="tax", symbol="CCC", side=Side.BUY, quantity=D("30"), price=D("20")),
            Trade(account="tax", symbol="BBB", side=Side.BUY, quantity=D("2"), price=D("50")),
            Trade(account="ira", symbol="CCC", side=Side.BUY, quantity=D("33.5"), price=D("20")),
        ),
    )
    broker = PaperBroker(
        PRICES,
        config=PaperConfig(partial_fills=3, slippage_bps=D("5"), commission_per_order=D("1")),
        state_path=paper_state,
    )
    return household, plan, broker


def main(db_url: str, paper_state: str, step: str, nth: int) -> None:
    from trimtab.db import open_database
    from trimtab.execution.workflow import execute_plan

    seen = {"count": 0}

    def hook(name: str) -> None:
        if name == step:
            seen["count"] += 1
            if seen["count"] == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    household, plan, broker = scenario(Path(paper_state))
    execute_plan(plan, household, broker=broker, engine=open_database(db_url), hook=hook)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
    sys.exit(3)  # the kill point was never reached: the test fails on this exit code
