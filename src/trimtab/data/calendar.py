"""Trading calendars: rebalancing periods and their last trading days.

A calendar policy rebalances on the *last trading day* of each period. Whether a date ``t`` is that day
depends only on the exchange calendar, which is known in advance, never on market data after ``t``:
deciding at ``t`` needs no future prices.

Which rule decides depends on how often the data are stamped (``data_periods_per_year``, inferred from
``dates`` when not given):

1. **Daily data** (more than 52 stamps a year) inside the NYSE calendar's range
   (:data:`NYSE_START` .. :data:`NYSE_END`): ``t`` is a period end when ``t`` is an NYSE session and the
   next NYSE session falls in another period. A stamp that is not an NYSE session (a Saturday, Good
   Friday) is never a period end. Holidays and unscheduled closures are known to the calendar
   (exchange-calendars ``XNYS``): 2018-03-29 ends the first quarter because 2018-03-30 is Good Friday.
2. **Daily data outside that range** (before 1990 or after 2040): the *weekday rule*: ``t`` is a period
   end when it is a Monday-to-Friday date and the next Monday-to-Friday date falls in another period.
   Holidays are unknown there, so a period whose last weekday is a holiday has no stamp that ends it.
3. **Weekly data** (about 52 stamps a year): every stamp ends its week; for longer periods ``t`` is a
   period end when ``t + 7 days``, the next stamp's expected date, falls in another period.
4. **Monthly or lower-frequency data** (12 stamps a year or fewer, e.g. monthly returns from 1926 stamped
   on the last calendar day of each month, Saturdays included): each stamp stands for the calendar month
   it falls in. When the period is no longer than the data's spacing (monthly or weekly periods on monthly
   data, anything on annual data) every stamp is a period end; otherwise a stamp is a period end when its
   month is the last month of the period (March, June, September, December for quarters; June and
   December for half years; December for years).

Periods: ``weekly`` (ISO weeks, Monday to Sunday, so a week that spans New Year is one week),
``monthly``, ``quarterly``, ``semiannual`` (January-June, July-December) and ``annual`` (calendar years).

Why the NYSE calendar starts in 1990: exchange-calendars models XNYS holidays further back, but before
about 1970 it misses some (it lists 1953-01-01, 1960-01-01 and 1960-07-04 as sessions, and Saturday
sessions before 1952 are absent). 1990 onwards was checked against the bundled daily data, whose 8313
dates equal the XNYS sessions exactly.
"""

from __future__ import annotations

import functools
import warnings
from typing import Literal, get_args

import numpy as np
import pandas as pd

from trimtab.data.market import infer_periods_per_year
from trimtab.errors import ConfigError

__all__ = [
    "NYSE_END",
    "NYSE_START",
    "PERIODS",
    "Period",
    "is_period_end",
    "last_session_of_period",
    "nyse_sessions",
    "period_ends",
    "period_key",
    "period_keys",
    "periods_per_year",
]

Period = Literal["weekly", "monthly", "quarterly", "semiannual", "annual"]
#: The rebalancing periods, shortest first.
PERIODS: tuple[str, ...] = get_args(Period)
#: First and last day of the NYSE calendar used (fixed, so answers do not depend on when code runs).
NYSE_START = pd.Timestamp("1990-01-01")
NYSE_END = pd.Timestamp("2040-12-31")

_PER_YEAR = {"weekly": 52, "monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
_MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}


def _check_period(period: str) -> str:
    if period not in _PER_YEAR:
        raise ConfigError("unknown rebalancing period", got=period, fix=f"use one of {', '.join(PERIODS)}")
    return period


def periods_per_year(period: str) -> int:
    """How many periods make a year: 52, 12, 4, 2 or 1.

    Parameters
    ----------
    period : {'weekly', 'monthly', 'quarterly', 'semiannual', 'annual'}
    """
    return _PER_YEAR[_check_period(period)]


def _day(t: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def period_key(t: pd.Timestamp | str, period: str) -> tuple[int, int]:
    """The period a date belongs to, as ``(year, number within the year)``.

    Weekly keys are ISO ``(year, week)``: 2021-01-01 (a Friday) is in week 53 of 2020. Months count 1-12,
    quarters 1-4, half years 1-2; annual keys are ``(year, 1)``.

    Examples
    --------
    >>> period_key("2022-12-30", "quarterly")
    (2022, 4)
    >>> period_key("2021-01-01", "weekly")
    (2020, 53)
    """
    day = _day(t)
    _check_period(period)
    if period == "weekly":
        iso = day.isocalendar()
        return (int(iso[0]), int(iso[1]))
    return (int(day.year), (int(day.month) - 1) // _MONTHS_PER_PERIOD[period] + 1)


def period_keys(days: pd.DatetimeIndex, period: str) -> np.ndarray:
    """Vectorised :func:`period_key` as one int64 per date (year * 100 + number), shape ``(len(days),)``."""
    if period == "weekly":
        iso = days.isocalendar()
        return iso["year"].to_numpy(dtype=np.int64) * 100 + iso["week"].to_numpy(dtype=np.int64)
    months = _MONTHS_PER_PERIOD[period]
    return days.year.to_numpy(dtype=np.int64) * 100 + (days.month.to_numpy(dtype=np.int64) - 1) // months + 1


@functools.cache
def nyse_sessions() -> pd.DatetimeIndex:
    """NYSE (XNYS) sessions from :data:`NYSE_START` to :data:`NYSE_END`, tz-naive midnight stamps (cached)."""
    import exchange_calendars

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        calendar = exchange_calendars.get_calendar(
            "XNYS", start=NYSE_START.strftime("%Y-%m-%d"), end=NYSE_END.strftime("%Y-%m-%d")
        )
        sessions = pd.DatetimeIndex(calendar.sessions)
    if sessions.tz is not None:
        sessions = sessions.tz_localize(None)
    return pd.DatetimeIndex(sessions.normalize(), name="session").as_unit("ns")


@functools.cache
def _nyse_bounds() -> tuple[int, int]:
    """First and last NYSE session as int64 nanoseconds."""
    sessions = nyse_sessions().asi8
    return int(sessions[0]), int(sessions[-1])


@functools.cache
def _nyse_period_ends(period: str) -> np.ndarray:
    """Sessions after which the next session is in another period (the calendar's last one excluded).

    Sorted int64 nanoseconds: plain numpy, so looking one up costs about a microsecond.
    """
    sessions = nyse_sessions()
    keys = period_keys(sessions, period)
    ends = sessions[:-1][keys[:-1] != keys[1:]]
    out = np.array(ends.asi8, dtype=np.int64)
    out.setflags(write=False)
    return out


def _in_nyse_range(day: pd.Timestamp) -> bool:
    first, last = _nyse_bounds()
    # The last session's successor is unknown to the calendar: leave it to the weekday rule.
    return first <= day.value < last


def _nyse_end_on_or_after(day: pd.Timestamp, period: str) -> pd.Timestamp | None:
    ends = _nyse_period_ends(period)
    i = int(np.searchsorted(ends, day.value))
    return pd.Timestamp(int(ends[i])) if i < len(ends) else None


def _next_weekday(day: pd.Timestamp) -> pd.Timestamp:
    step = {4: 3, 5: 2}.get(day.day_of_week, 1)
    return day + pd.Timedelta(days=step)


def _data_frequency(dates: pd.DatetimeIndex | None, data_periods_per_year: float | None) -> float:
    if data_periods_per_year is not None:
        return float(data_periods_per_year)
    if dates is not None and len(dates) >= 3:
        return infer_periods_per_year(pd.DatetimeIndex(dates))
    return 252.0


def is_period_end(
    t: pd.Timestamp | str,
    period: str,
    *,
    dates: pd.DatetimeIndex | None = None,
    data_periods_per_year: float | None = None,
) -> bool:
    """Whether ``t`` is the last trading day of its period.

    Point in time: the answer depends on the calendar and on how often the data are stamped, never on
    data after ``t``. See the module docstring for the rules.

    Parameters
    ----------
    t : pandas.Timestamp or str
        The date (time of day and time zone are ignored).
    period : {'weekly', 'monthly', 'quarterly', 'semiannual', 'annual'}
    dates : pandas.DatetimeIndex, optional
        The data's stamps (e.g. a snapshot's ``times``), used only to infer how often the data are
        stamped when ``data_periods_per_year`` is not given. With fewer than 3 stamps and no
        ``data_periods_per_year`` the data count as daily.
    data_periods_per_year : float, optional
        Stamps per year of the data: 252 daily, 52 weekly, 12 monthly, 4 quarterly, 1 annual.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_period_end("2022-12-30", "annual")          # 2022-12-31 is a Saturday
    True
    >>> is_period_end("2018-03-29", "quarterly")       # 2018-03-30 is Good Friday
    True
    >>> is_period_end("1926-07-31", "monthly", data_periods_per_year=12)   # monthly data, a Saturday
    True
    """
    day = _day(t)
    _check_period(period)
    frequency = _data_frequency(dates, data_periods_per_year)
    if frequency <= 12.0:
        return _low_frequency_end(day, period, frequency)
    if frequency < 252.0:
        return period == "weekly" or period_key(day + pd.Timedelta(days=7), period) != period_key(day, period)
    if _in_nyse_range(day):
        ends = _nyse_period_ends(period)
        i = int(np.searchsorted(ends, day.value))
        return i < len(ends) and int(ends[i]) == day.value
    return day.day_of_week < 5 and period_key(_next_weekday(day), period) != period_key(day, period)


def _low_frequency_end(day: pd.Timestamp, period: str, frequency: float) -> bool:
    if period == "weekly" or periods_per_year(period) >= frequency:
        return True
    return int(day.month) % _MONTHS_PER_PERIOD[period] == 0


def period_ends(
    dates: pd.DatetimeIndex, period: str, *, data_periods_per_year: float | None = None
) -> np.ndarray:
    """:func:`is_period_end` for every stamp of ``dates`` at once.

    Parameters
    ----------
    dates : pandas.DatetimeIndex of shape (n_times,)
        The data's stamps.
    period : {'weekly', 'monthly', 'quarterly', 'semiannual', 'annual'}
    data_periods_per_year : float, optional
        Inferred from ``dates`` when omitted.

    Returns
    -------
    ndarray of bool, shape (n_times,)
    """
    index = pd.DatetimeIndex(dates)
    if index.tz is not None:
        index = index.tz_localize(None)
    index = index.normalize()
    _check_period(period)
    frequency = _data_frequency(index, data_periods_per_year)
    return np.fromiter(
        (is_period_end(day, period, data_periods_per_year=frequency) for day in index),
        dtype=bool,
        count=len(index),
    )


def last_session_of_period(t: pd.Timestamp | str, period: str) -> pd.Timestamp | None:
    """The last NYSE session of the period that contains ``t``; None outside the NYSE calendar's range.

    Examples
    --------
    >>> last_session_of_period("2022-12-01", "quarterly")
    Timestamp('2022-12-30 00:00:00')
    """
    day = _day(t)
    _check_period(period)
    if not _in_nyse_range(day):
        return None
    end = _nyse_end_on_or_after(day, period)
    if end is not None and period_key(end, period) == period_key(day, period):
        return end
    return None
