"""Typed broker errors (DESIGN §3.6, BROKERS.md §1) and the execution layer's input errors.

::

    trimtab.errors.BrokerError
     ├─ OrderRejected(reason)      the venue refused the order; nothing is working
     ├─ RateLimited(retry_after)   too many requests; nothing was done, retry after the wait
     ├─ NotAuthenticated           credentials missing or expired; nothing sent
     ├─ BrokerUnavailable          no connection; nothing sent, a retry needs no lookup (addition)
     ├─ MarketClosed               the venue (or the market-hours gate) refuses orders now
     ├─ AmbiguousSubmit            the request may have reached the venue: look the order up
     └─ DuplicateClientOrderId     the venue already has this client id: look the order up
    trimtab.errors.ReconciliationError
     └─ UnresolvedOrderError       a lookup cannot settle an order's outcome: stop and reconcile
    trimtab.errors.ConfigError (an InputError, exit code 2 in the CLI)
     └─ UnknownBrokerError         ``--broker`` names no known broker

Every broker error keeps the venue's raw code and text (``raw_code``, ``raw_text``) and, when known, the
client order id it concerns.
"""

from __future__ import annotations

from trimtab.domain.orders import RejectReason
from trimtab.errors import BrokerError, ConfigError, ReconciliationError

__all__ = [
    "AmbiguousSubmit",
    "BrokerError",
    "BrokerUnavailable",
    "DuplicateClientOrderId",
    "MarketClosed",
    "NotAuthenticated",
    "OrderRejected",
    "RateLimited",
    "UnknownBrokerError",
    "UnresolvedOrderError",
]


class _VenueError(BrokerError):
    """A broker error that keeps the venue's raw code and text."""

    def __init__(
        self,
        message: str = "",
        *,
        client_order_id: str | None = None,
        raw_code: str | None = None,
        raw_text: str | None = None,
    ) -> None:
        text = message or type(self).__name__
        if client_order_id:
            text = f"{text} (order {client_order_id})"
        super().__init__(text)
        self.client_order_id = client_order_id
        self.raw_code = raw_code
        self.raw_text = raw_text


class OrderRejected(_VenueError):
    """The venue refused the order.

    Parameters
    ----------
    reason : RejectReason
        The normalised reason (insufficient funds, not fractionable, unknown instrument, ...).
    message : str
        Human-readable text.
    """

    def __init__(self, reason: RejectReason | str, message: str = "", **raw: str | None) -> None:
        self.reason = RejectReason(reason)
        super().__init__(f"order rejected: {self.reason}" + (f": {message}" if message else ""), **raw)


class RateLimited(_VenueError):
    """Too many requests; wait ``retry_after`` seconds (``None`` when the venue did not say)."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **raw: str | None) -> None:
        self.retry_after = retry_after
        super().__init__(message or "rate limited", **raw)


class NotAuthenticated(_VenueError):
    """Credentials are missing, wrong or expired; nothing was sent."""


class BrokerUnavailable(_VenueError):
    """No connection to the venue: nothing was sent, so a retry needs no lookup (BROKERS.md addition)."""


class MarketClosed(_VenueError):
    """The venue does not take this order now (closed session)."""


class AmbiguousSubmit(_VenueError):
    """The submit may or may not have reached the venue (timeout, reset, 5xx after writing): look it up."""


class DuplicateClientOrderId(_VenueError):
    """The venue already has an order with this client id: look it up instead of sending again."""


class UnresolvedOrderError(ReconciliationError):
    """An order's outcome cannot be settled automatically (reused ids are not refused): reconcile."""


class UnknownBrokerError(ConfigError):
    """``--broker`` names no known broker."""
