"""check_broker, the shipped conformance suite: the paper broker and the scripted broker pass it under faults.

Acceptance (issue 7): at least 100 injected faults across the fault kinds, nothing lost or duplicated; the
journal and book run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from trimtab.execution.broker import FaultKind
from trimtab.execution.paper import PaperBroker, PaperConfig
from trimtab.testing.checks import BrokerCheckFailed, check_broker
from trimtab.testing.fakes import ScriptedBroker


def paper() -> PaperBroker:
    return PaperBroker(
        config=PaperConfig(
            partial_fills=1,
            max_partial_fills=4,
            slippage_bps=Decimal(3),
            price_jitter_bps=Decimal(2),
            commission_per_order=Decimal(1),
            seed=7,
        )
    )


def test_paper_broker_passes_check_broker_with_over_100_faults(db_url: str) -> None:
    small = db_url.startswith("postgresql")  # same suite, a shorter soak on the slower server
    report = check_broker(
        paper,
        db_url=db_url,
        runs=8 if small else 12,
        legs_per_run=6 if small else 8,
        faults_per_run=18 if small else 12,
    )
    assert report.total_faults >= 100
    assert set(report.faults) == {str(k) for k in FaultKind}, report.faults  # every kind fired
    assert report.scenarios[-1] == "soak" and report.orders >= 30 and report.executions >= report.orders


def test_scripted_broker_passes_check_broker_without_push() -> None:
    report = check_broker(lambda: ScriptedBroker(fills_per_order=3, fee_per_fill=Decimal("0.25")), seed=3)
    assert report.total_faults >= 100 and len(report.faults) == len(FaultKind)


class ForgetfulVenue(ScriptedBroker):
    """Loses executions from its pull endpoint: the suite must notice."""

    def executions(self, since):  # type: ignore[no-untyped-def]
        return super().executions(since)[:-1]


class DoubleBooker(ScriptedBroker):
    """Creates a second order when a client id is reused."""

    def submit(self, order):  # type: ignore[no-untyped-def]
        if order.client_order_id in self._orders:
            self._orders[order.client_order_id + "x"] = self._orders[order.client_order_id]
            return super().submit(
                order.__class__(
                    **{
                        **{f: getattr(order, f) for f in order.__slots__},
                        "client_order_id": order.client_order_id + "-2",
                    }
                )
            )
        return super().submit(order)


@pytest.mark.parametrize("make", [ForgetfulVenue, DoubleBooker], ids=["loses-executions", "double-books"])
def test_check_broker_catches_a_venue_that_loses_or_duplicates(make: type) -> None:
    with pytest.raises(BrokerCheckFailed):
        check_broker(lambda: make(fills_per_order=2), runs=3, min_faults=0)
