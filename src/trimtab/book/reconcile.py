"""Reconciliation: the book against another view of the same accounts (a broker, or a portfolio file).

Differences are reported, never corrected: each :class:`Break` names the account, the symbol (or cash), both
quantities and the size of the difference. The report is empty when the two agree exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from trimtab.domain.orders import BrokerPosition

__all__ = ["CASH_KEY", "Break", "ReconciliationReport", "positions_by_key", "reconcile"]

#: Symbol shown for a cash break.
CASH_KEY = "CASH"
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Break:
    """One difference: ``book``, ``other`` in shares (dollars for cash); ``difference = other - book``."""

    account: str
    symbol: str
    book: Decimal
    other: Decimal

    @property
    def difference(self) -> Decimal:
        """``other - book`` in shares (dollars for cash)."""
        return self.other - self.book

    @property
    def is_cash(self) -> bool:
        """Whether this is a cash break."""
        return self.symbol == CASH_KEY

    def describe(self, other_name: str = "broker") -> str:
        """One line: ``account symbol: book X, broker Y (difference +Z)``."""
        unit = "USD" if self.is_cash else "shares"
        return (
            f"{self.account} {self.symbol}: book {_fmt(self.book)} {unit}, {other_name} {_fmt(self.other)} "
            f"{unit} (difference {_fmt(self.difference, signed=True)})"
        )


def _fmt(value: Decimal, *, signed: bool = False) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return f"+{text}" if signed and value > 0 else text


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    """All breaks between the book and ``other_name`` for ``accounts``, sorted by account, cash last."""

    accounts: tuple[str, ...]
    breaks: tuple[Break, ...]
    other_name: str = "broker"

    @property
    def ok(self) -> bool:
        """Whether nothing differs."""
        return not self.breaks

    def lines(self) -> list[str]:
        """One line per break."""
        return [b.describe(self.other_name) for b in self.breaks]


def positions_by_key(positions: Iterable[BrokerPosition]) -> dict[tuple[str, str], Decimal]:
    """``(account, symbol) -> shares`` summed from a venue's positions."""
    out: dict[tuple[str, str], Decimal] = {}
    for pos in positions:
        key = (pos.account, pos.symbol)
        out[key] = out.get(key, _ZERO) + pos.quantity
    return out


def reconcile(
    book_positions: Mapping[tuple[str, str], Decimal],
    book_cash: Mapping[str, Decimal],
    other_positions: Mapping[tuple[str, str], Decimal],
    other_cash: Mapping[str, Decimal],
    *,
    accounts: Iterable[str] | None = None,
    cash_tolerance: Decimal = _ZERO,
    other_name: str = "broker",
) -> ReconciliationReport:
    """Compare positions (shares, exact) and cash (dollars, within ``cash_tolerance``) account by account.

    Parameters
    ----------
    book_positions, other_positions : mapping of (account, symbol) to Decimal
        Shares; missing keys count as zero.
    book_cash, other_cash : mapping of account to Decimal
        Dollars; an account missing from ``other_cash`` is not compared for cash.
    accounts : iterable of str, optional
        Accounts to compare (default: every account in the book's mappings).
    cash_tolerance : Decimal
        Largest cash difference not reported, dollars.
    other_name : str
        How the other side is called in messages ("broker", "portfolio file").
    """
    chosen = tuple(
        dict.fromkeys(accounts if accounts is not None else [*book_cash, *(a for a, _ in book_positions)])
    )
    wanted = set(chosen)
    breaks: list[Break] = []
    keys = sorted({k for k in (*book_positions, *other_positions) if k[0] in wanted})
    for key in keys:
        mine, theirs = book_positions.get(key, _ZERO), other_positions.get(key, _ZERO)
        if mine != theirs:
            breaks.append(Break(key[0], key[1], mine, theirs))
    for account in chosen:
        if account in other_cash:
            mine, theirs = book_cash.get(account, _ZERO), other_cash[account]
            if abs(mine - theirs) > cash_tolerance:
                breaks.append(Break(account, CASH_KEY, mine, theirs))
    breaks.sort(key=lambda b: (b.account, b.is_cash, b.symbol))
    return ReconciliationReport(accounts=chosen, breaks=tuple(breaks), other_name=other_name)
