"""TemplateBroker: the shape every adapter follows (copy, rename, fill in; the vendor SDK goes in ``client.py``).

=================================  ========  ==================================================================
method                             required  contract
=================================  ========  ==================================================================
``capabilities``                   yes       static; ``venue`` name, ``client_id_max_len`` >= 50, id uniqueness
``submit``                         yes       idempotent on the client id; ``AmbiguousSubmit`` when unclear
``lookup``                         yes       ``None`` only if the venue never saw the id; raise on failure
``executions``                     yes       every execution since a time, stable execution ids
``account``                        yes       cash (settled cash, buying power when reported)
``positions``                      yes       the venue's view, for reconciliation only
``cancel``                         yes       a request; no-op when terminal
``trading_session``                yes       regular / extended / closed (the market-hours gate)
``drain_events``                   optional  pushed fills and states; ``[]`` without push
``instrument_rules``               optional  tradable, fractionable, increment, minimum, round lot
``close``                          optional  release connections and threads
=================================  ========  ==================================================================

Rules (BROKERS.md §2): never retry an order POST inside the adapter; map every vendor status onto
:class:`~trimtab.domain.orders.OrderStatus` and every vendor error onto :mod:`trimtab.execution.errors` in
``parsing.py``; no vendor type leaves the adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from trimtab.domain.orders import AccountSnapshot, BrokerPosition, Fill, Order, OrderState
from trimtab.execution.broker import Ack, Capabilities, InstrumentRules, OrderEvent, TradingSession

__all__ = ["TemplateBroker"]


class TemplateBroker:
    """A venue adapter skeleton: every method raises until it is written."""

    def capabilities(self) -> Capabilities:
        """Static capabilities (required)."""
        raise NotImplementedError

    def account(self, account_id: str | None = None) -> AccountSnapshot:
        """Cash of one account (required)."""
        raise NotImplementedError

    def positions(self) -> list[BrokerPosition]:
        """Every non-zero position (required)."""
        raise NotImplementedError

    def instrument_rules(self, symbols: Sequence[str]) -> Mapping[str, InstrumentRules]:
        """Trading rules per symbol (optional: default tradable whole shares)."""
        return {s: InstrumentRules(symbol=s, tradable=True, fractionable=False) for s in symbols}

    def trading_session(self, symbols: Sequence[str], at: datetime) -> TradingSession:
        """Regular, extended or closed at ``at`` (required)."""
        raise NotImplementedError

    def submit(self, order: Order) -> Ack:
        """Send one order, idempotent on its client id (required)."""
        raise NotImplementedError

    def lookup(self, client_order_id: str) -> OrderState | None:
        """The venue's state of an order; ``None`` only if never seen (required)."""
        raise NotImplementedError

    def cancel(self, client_order_id: str) -> None:
        """Request a cancel (required)."""
        raise NotImplementedError

    def executions(self, since: datetime) -> list[Fill]:
        """Executions at or after ``since`` (required)."""
        raise NotImplementedError

    def drain_events(self) -> list[OrderEvent]:
        """Pushed updates (optional: none)."""
        return []

    def close(self) -> None:
        """Release resources (optional)."""
