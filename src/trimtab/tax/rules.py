"""US tax rules that need no lots: the holding period and its long/short character.

Holding period (IRS Pub 550; KAT-22): count from the day after the trade date; a sale is long-term iff its
date is *after* the one-year anniversary. For a purchase on the last day of a month the months end on
month-ends (KAT-22b), so a purchase on 2023-02-28 has its anniversary on 2024-02-29. Inherited shares are
long-term whatever the days held (IRC §1223(9)).

:class:`TaxRates` holds the flat short-term / long-term (and ordinary) rates the tax engine prices gains with.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from trimtab.domain.lots import Term
from trimtab.domain.settings import TaxSettings
from trimtab.errors import ConfigError

__all__ = ["TaxRates", "first_long_term_date", "holding_term", "one_year_anniversary"]


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def one_year_anniversary(acquired: date) -> date:
    """The date one year after ``acquired``, with the month-end rule (Feb 29 -> Feb 28 and back)."""
    year = acquired.year + 1
    last = calendar.monthrange(year, acquired.month)[1]
    if _is_month_end(acquired):
        return date(year, acquired.month, last)
    return date(year, acquired.month, min(acquired.day, last))


def first_long_term_date(acquired: date) -> date:
    """First sale date that gives a long-term gain for shares acquired on ``acquired``."""
    return date.fromordinal(one_year_anniversary(acquired).toordinal() + 1)


def holding_term(acquired: date, sold: date, *, inherited: bool = False) -> Term:
    """``Term.LONG`` when ``sold`` is after the one-year anniversary of ``acquired``, else ``Term.SHORT``.

    ``inherited=True`` gives ``Term.LONG`` regardless of the days held (KAT-22).
    """
    if inherited:
        return Term.LONG
    return Term.LONG if sold > one_year_anniversary(acquired) else Term.SHORT


def _rate(value: object, name: str) -> Decimal:
    rate = (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value) if isinstance(value, float) else str(value))
    )
    if not rate.is_finite() or not Decimal(0) <= rate < Decimal(1):
        raise ConfigError(
            f"tax rate {name} must be a fraction in [0, 1)", got=str(rate), fix="e.g. 0.37 for 37 %"
        )
    return rate


@dataclass(frozen=True, slots=True)
class TaxRates:
    """Flat marginal tax rates, as fractions (``Decimal("0.37")`` is 37 %).

    Parameters
    ----------
    short_term : Decimal
        Rate on net short-term gains.
    long_term : Decimal
        Rate on net long-term gains.
    ordinary : Decimal, optional
        Rate at which a net capital loss deducted against ordinary income saves tax; defaults to
        ``short_term`` (short-term gains are taxed as ordinary income).

    Floats and strings are accepted and converted exactly through their text (``0.37 -> Decimal("0.37")``).
    """

    short_term: Decimal
    long_term: Decimal
    ordinary: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "short_term", _rate(self.short_term, "short_term"))
        object.__setattr__(self, "long_term", _rate(self.long_term, "long_term"))
        ordinary = self.short_term if self.ordinary is None else _rate(self.ordinary, "ordinary")
        object.__setattr__(self, "ordinary", ordinary)

    @property
    def ordinary_rate(self) -> Decimal:
        """The ordinary-income rate (never None after construction)."""
        return self.ordinary if self.ordinary is not None else self.short_term

    def rate(self, term: Term) -> Decimal:
        """The rate for gains of ``term``."""
        return self.short_term if term is Term.SHORT else self.long_term

    @classmethod
    def from_settings(cls, settings: TaxSettings) -> TaxRates:
        """Rates from :class:`~trimtab.domain.settings.TaxSettings` (its two rate fields)."""
        return cls(
            short_term=Decimal(repr(settings.short_term_rate)),
            long_term=Decimal(repr(settings.long_term_rate)),
        )
