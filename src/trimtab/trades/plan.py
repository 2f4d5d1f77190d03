"""TradePlan: the trades of one rebalance, the household before and after, and their costs and taxes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from trimtab.domain import Household, Side, Term, Trade
from trimtab.domain.settings import TaxSettings
from trimtab.units import ZERO, money, to_decimal

__all__ = ["TradePlan", "estimate_tax", "realized_gains"]


def realized_gains(trades: tuple[Trade, ...] | list[Trade], household: Household) -> tuple[Decimal, Decimal]:
    """Short- and long-term gains (dollars, before costs) realized by ``trades`` in taxable accounts.

    Parameters
    ----------
    trades : sequence of Trade
        Sells carry the :class:`~trimtab.domain.LotRelief` records they relieve.
    household : Household
        Tells which accounts are taxable (``AccountKind.is_taxable``); others realize nothing.

    Returns
    -------
    (short, long) : tuple of Decimal
        Sums of ``proceeds - cost_basis`` of the relieved lots, by holding term.
    """
    taxable = {a.id for a in household.accounts if a.kind.is_taxable}
    short = long = ZERO
    for trade in trades:
        if trade.side is not Side.SELL or trade.account not in taxable:
            continue
        short += trade.realized_gain(Term.SHORT)
        long += trade.realized_gain(Term.LONG)
    return short, long


def estimate_tax(realized_short: Decimal, realized_long: Decimal, tax: TaxSettings) -> Decimal:
    """Estimated federal capital-gains tax of one plan, in dollars (negative = a saving).

    Netting follows the order of IRS Schedule D: short-term gains and losses net against each other,
    long-term likewise (the inputs are already those nets), then a net loss of one character offsets a
    net gain of the other.  What is left is taxed at the rate of its character::

        tax = short_term_rate * short_after_netting + long_term_rate * long_after_netting

    A net loss gives a negative estimate at the rate of its own character (the tax it would save against
    other gains of that character).  The $3,000 ordinary-income limit and carry-forwards are outside a
    single plan and ignored here.

    Parameters
    ----------
    realized_short, realized_long : Decimal
        Net short- and long-term gains of the plan in dollars (taxable accounts only).
    tax : TaxSettings
        ``short_term_rate`` and ``long_term_rate`` as fractions.

    Returns
    -------
    Decimal
        Dollars, rounded to cents.

    Examples
    --------
    >>> from trimtab.domain.settings import TaxSettings
    >>> rates = TaxSettings(short_term_rate=0.37, long_term_rate=0.20)
    >>> estimate_tax(Decimal("-1000"), Decimal("3000"), rates)   # 2,000 long-term left at 20 %
    Decimal('400.00')
    >>> estimate_tax(Decimal("500"), Decimal("-2000"), rates)    # 1,500 long-term loss left at 20 %
    Decimal('-300.00')
    """
    short, long = realized_short, realized_long
    if short < 0 < long:  # a short-term net loss offsets the long-term gain
        short, long = (ZERO, short + long) if short + long >= 0 else (short + long, ZERO)
    elif long < 0 < short:  # a long-term net loss offsets the short-term gain
        short, long = (short + long, ZERO) if short + long >= 0 else (ZERO, short + long)
    short_rate = to_decimal(float(tax.short_term_rate))
    long_rate = to_decimal(float(tax.long_term_rate))
    return money(short_rate * short + long_rate * long)


@dataclass(frozen=True, slots=True, kw_only=True)
class TradePlan:
    """Trades of one rebalance and everything needed to report them.

    Parameters
    ----------
    trades : tuple of Trade
        Sells first (all accounts, account then symbol order), then buys.  Sells carry their lot reliefs.
    before, after : Household
        The household before and after the trades at ``prices``: ``after`` has the sold lots relieved, one
        new lot per buy (``acquired = as_of``, ``cost_basis = value + estimated cost``) and each account's
        cash moved by ``+proceeds - cost`` per sell and ``-(value + cost)`` per buy.
    prices : Mapping of str to Decimal
        Dollars per share used for every trade and value.
    as_of : date
        Trade date.
    transaction_cost : Decimal
        Dollars, the sum of the trades' ``estimated_cost``.
    turnover : float
        One-way turnover: ``sum |trade value| / 2 / value_before`` (buys and sells both counted, halved).
    realized_short, realized_long : Decimal
        Gains (dollars, proceeds before costs minus basis) realized in taxable accounts, by holding term.
    estimated_tax : Decimal
        See :func:`estimate_tax`; dollars, negative for a saving.
    notes : tuple of str
        Plain-language remarks: trades skipped below the minimum, buys scaled down for cash, residuals.
    """

    trades: tuple[Trade, ...]
    before: Household
    after: Household
    prices: Mapping[str, Decimal]
    as_of: date
    transaction_cost: Decimal
    turnover: float
    realized_short: Decimal
    realized_long: Decimal
    estimated_tax: Decimal
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "trades", tuple(self.trades))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))

    def value_before(self) -> Decimal:
        """Household value (positions at ``prices`` plus cash) before the trades, dollars."""
        return self.before.market_value(self.prices)

    def value_after(self) -> Decimal:
        """Household value after the trades, dollars; equals ``value_before() - transaction_cost``."""
        return self.after.market_value(self.prices)

    def cash_after(self) -> dict[str, Decimal]:
        """Cash per account after the trades, dollars, in account order."""
        return {a.id: a.cash for a in self.after.accounts}

    @property
    def realized_gain(self) -> Decimal:
        """Short plus long realized gain in taxable accounts, dollars."""
        return self.realized_short + self.realized_long

    @property
    def sells(self) -> tuple[Trade, ...]:
        """The sell trades."""
        return tuple(t for t in self.trades if t.side is Side.SELL)

    @property
    def buys(self) -> tuple[Trade, ...]:
        """The buy trades."""
        return tuple(t for t in self.trades if t.side is Side.BUY)

    def weights_after(self) -> dict[str, float]:
        """Household weights after the trades (symbols and ``"CASH"``), fractions of ``value_after``."""
        return _weights(self.after, self.prices)

    def weights_before(self) -> dict[str, float]:
        """Household weights before the trades (symbols and ``"CASH"``), fractions of ``value_before``."""
        return _weights(self.before, self.prices)


def _weights(household: Household, prices: Mapping[str, Decimal]) -> dict[str, float]:
    total = household.market_value(prices)
    if total <= 0:
        return {}
    out: dict[str, float] = {}
    for lot in household.lots:
        out[lot.symbol] = out.get(lot.symbol, 0.0) + float(lot.quantity * prices[lot.symbol] / total)
    out["CASH"] = float(household.total_cash / total)
    return out
