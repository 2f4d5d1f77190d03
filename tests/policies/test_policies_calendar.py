"""Trading calendar: last trading day of each period, on the NYSE calendar and on the fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trimtab.data.calendar import (
    PERIODS,
    is_period_end,
    last_session_of_period,
    nyse_sessions,
    period_ends,
    period_key,
    periods_per_year,
)
from trimtab.data.samples import us_stocks
from trimtab.errors import ConfigError

# Known NYSE period ends around holidays, checked against the exchange's published holiday lists.
KNOWN_ENDS = [
    ("2022-12-30", "annual", True),  # 2022-12-31 is a Saturday (New Year's Day observed on no weekday)
    ("2022-12-29", "annual", False),
    ("2021-12-31", "annual", True),  # Christmas observed 2021-12-24; 2021-12-31 trades
    ("2021-04-01", "weekly", True),  # Good Friday 2021-04-02: Thursday ends the week
    ("2021-04-01", "monthly", False),  # ... but it is the first session of April
    ("2021-03-31", "quarterly", True),
    ("2018-03-29", "quarterly", True),  # Good Friday 2018-03-30 ends nothing: Thursday ends Q1
    ("2018-03-29", "monthly", True),
    ("2018-03-30", "quarterly", False),  # not a session
    ("2024-03-28", "quarterly", True),  # Good Friday 2024-03-29
    ("2021-05-28", "monthly", True),  # Memorial Day 2021-05-31 is the last Monday of May
    ("2021-05-31", "monthly", False),
    ("2001-09-10", "weekly", True),  # NYSE closed 2001-09-11..14
    ("2022-06-30", "semiannual", True),
    ("2022-06-29", "semiannual", False),
    ("2022-09-30", "semiannual", False),
    ("2022-11-25", "weekly", True),  # day after Thanksgiving (an early close, still a session)
    ("2021-12-23", "weekly", True),  # Christmas Eve 2021 closed
]


@pytest.mark.parametrize(("day", "period", "expected"), KNOWN_ENDS)
def test_known_nyse_period_ends(day: str, period: str, expected: bool) -> None:
    assert is_period_end(day, period) is expected


def test_month_ends_match_the_bundled_daily_data() -> None:
    """DATA.md: the bundled dates equal the XNYS sessions, so each month's last row is its last session."""
    dates = us_stocks().index
    last_rows = (
        pd.Series(dates, index=dates).groupby([dates.year, dates.month]).max().iloc[:-1]
    )  # Dec 2022 is cut
    flags = period_ends(dates, "monthly")
    assert list(dates[flags][: len(last_rows)]) == list(last_rows)
    assert flags.sum() == len(last_rows)


@pytest.mark.parametrize("period", PERIODS)
def test_vectorised_equals_scalar(period: str) -> None:
    dates = nyse_sessions()[(nyse_sessions() >= "2019-11-01") & (nyse_sessions() <= "2021-02-01")]
    flags = period_ends(dates, period)
    assert flags.tolist() == [is_period_end(d, period) for d in dates]
    # exactly one end per period that is complete inside the window
    keys = [period_key(d, period) for d in dates[flags]]
    assert len(keys) == len(set(keys))


def test_monthly_data_stamped_at_month_end_from_1926() -> None:
    """Monthly data (stamps on the last calendar day, Saturdays included): each stamp ends its month."""
    stamps = pd.date_range("1926-07-31", "1929-12-31", freq="ME")
    assert period_ends(stamps, "monthly").all()
    assert period_ends(stamps, "weekly").all()
    quarterly = stamps[period_ends(stamps, "quarterly")]
    assert set(quarterly.month) == {3, 6, 9, 12}
    assert list(stamps[period_ends(stamps, "annual")].year) == [1926, 1927, 1928, 1929]
    assert set(stamps[period_ends(stamps, "semiannual")].month) == {6, 12}
    # the same inside the NYSE range: monthly stamps on non-session days still count
    assert is_period_end("2022-04-30", "monthly", data_periods_per_year=12)  # a Saturday
    assert not is_period_end("2022-04-30", "monthly")  # as a daily stamp: no


def test_quarterly_and_annual_data() -> None:
    assert is_period_end("2001-03-31", "quarterly", data_periods_per_year=4)
    assert is_period_end("2001-03-31", "monthly", data_periods_per_year=4)
    assert not is_period_end("2001-03-31", "annual", data_periods_per_year=4)
    assert is_period_end("2001-12-31", "annual", data_periods_per_year=4)
    assert is_period_end("2001-01-01", "annual", data_periods_per_year=1)


def test_weekly_data_stamped_on_sundays() -> None:
    """pandas' weekly resampling stamps Sundays: every stamp ends its week; the month ends at the last one."""
    stamps = pd.date_range("2022-01-02", "2022-12-25", freq="W-SUN")
    flags = period_ends(stamps, "monthly")
    ends = stamps[flags]
    assert len(ends) == 12
    assert all((d + pd.Timedelta(days=7)).month != d.month for d in ends)
    assert period_ends(stamps, "weekly").all()


def test_daily_data_before_1990_uses_the_weekday_rule() -> None:
    assert is_period_end("1985-05-31", "monthly")  # a Friday
    assert not is_period_end("1985-05-30", "monthly")
    assert is_period_end("1987-10-30", "monthly")  # Friday; 10-31 is a Saturday
    assert not is_period_end("1987-10-31", "monthly")  # weekend stamps never end a period
    assert is_period_end("1989-12-29", "annual")


def test_the_data_frequency_is_inferred_from_dates() -> None:
    monthly = pd.date_range("1930-01-31", periods=24, freq="ME")
    assert is_period_end("1930-05-31", "monthly", dates=monthly)
    assert not is_period_end("1930-05-31", "quarterly", dates=monthly)


def test_period_keys_and_lengths() -> None:
    assert period_key("2021-01-01", "weekly") == (2020, 53)
    assert period_key("2022-12-30", "quarterly") == (2022, 4)
    assert period_key("2022-07-01", "semiannual") == (2022, 2)
    assert period_key("2022-02-14", "monthly") == (2022, 2)
    assert period_key("2022-02-14", "annual") == (2022, 1)
    assert [periods_per_year(p) for p in PERIODS] == [52, 12, 4, 2, 1]


def test_last_session_of_period() -> None:
    assert last_session_of_period("2018-02-15", "quarterly") == pd.Timestamp("2018-03-29")
    assert last_session_of_period("2022-12-30", "annual") == pd.Timestamp("2022-12-30")
    assert last_session_of_period("1980-01-15", "monthly") is None


def test_time_of_day_and_zone_are_ignored() -> None:
    assert is_period_end(pd.Timestamp("2022-12-30 16:00", tz="America/New_York"), "annual")


def test_unknown_period_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown rebalancing period; got 'fortnightly'.*weekly, monthly"):
        is_period_end("2022-12-30", "fortnightly")
    with pytest.raises(ConfigError):
        periods_per_year("daily")


def test_every_session_of_a_year_has_exactly_the_expected_number_of_ends() -> None:
    days = nyse_sessions()[(nyse_sessions() >= "2010-01-01") & (nyse_sessions() <= "2019-12-31")]
    counts = {p: int(period_ends(days, p).sum()) for p in PERIODS}
    assert counts["monthly"] == 120 and counts["quarterly"] == 40
    assert counts["semiannual"] == 20 and counts["annual"] == 10
    iso_weeks = {period_key(d, "weekly") for d in days}
    # the last ISO week of 2019 runs into 2020, so its end is outside the window
    assert counts["weekly"] == len(iso_weeks) - 1
    assert np.all(np.diff(days[period_ends(days, "weekly")]).astype("timedelta64[D]").astype(int) >= 1)
