"""US tax rules that need no lots: the holding period and its long/short character.

Holding period (IRS Pub 550; KAT-22): count from the day after the trade date; a sale is long-term iff its
date is *after* the one-year anniversary. For a purchase on the last day of a month the months end on
month-ends (KAT-22b), so a purchase on 2023-02-28 has its anniversary on 2024-02-29.
"""

from __future__ import annotations

import calendar
from datetime import date

from trimtab.domain.lots import Term

__all__ = ["first_long_term_date", "holding_term", "one_year_anniversary"]


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


def holding_term(acquired: date, sold: date) -> Term:
    """``Term.LONG`` when ``sold`` is after the one-year anniversary of ``acquired``, else ``Term.SHORT``."""
    return Term.LONG if sold > one_year_anniversary(acquired) else Term.SHORT
