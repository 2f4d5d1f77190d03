"""Par-bond total returns from yields (DATA.md section 4): known answers, then properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.data.bonds import (
    cash_returns,
    par_bond_convexity,
    par_bond_duration,
    par_bond_return_approx,
    par_bond_returns,
    period_years,
    total_return_index,
)
from trimtab.data.samples import treasury_yields, us_stocks_bonds
from trimtab.errors import ConfigError, DataError

BP = 1e-4


def _series(values: list[float], dates: list[str]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(pd.to_datetime(dates)), name="y")


# ---- known answers -------------------------------------------------------------------------------

def test_duration_and_convexity_at_5pct_20y() -> None:
    """DATA.md 4: at y = 5% and N = 20, D = 12.55 and C = 211.4."""
    assert par_bond_duration(0.05, 20.0) == pytest.approx(12.55, abs=0.005)
    assert par_bond_convexity(0.05, 20.0) == pytest.approx(211.4, abs=0.05)


def test_duration_closed_form_and_zero_yield_limit() -> None:
    y = 0.05
    assert par_bond_duration(y, 20.0) == pytest.approx((1 - (1 + y / 2) ** -40) / y, rel=1e-14)
    assert par_bond_duration(0.0, 20.0) == pytest.approx(20.0)
    assert par_bond_duration(1e-9, 20.0) == pytest.approx(20.0, rel=1e-6)


def test_unchanged_yield_over_a_weekend_accrues_three_days() -> None:
    """Friday to Monday, 5% unchanged: (1 + y/2)^(2 * 3/365.25) - 1."""
    returns = par_bond_returns(_series([0.05, 0.05], ["2020-01-03", "2020-01-06"]))
    assert np.isnan(returns.iloc[0])
    assert returns.iloc[1] == pytest.approx(1.025 ** (2 * 3 / 365.25) - 1, rel=1e-12)


def test_unchanged_yield_monthly_uses_one_twelfth() -> None:
    dates = ["2000-01-31", "2000-02-29", "2000-03-31", "2000-04-30"]
    returns = par_bond_returns(_series([0.06] * 4, dates))
    np.testing.assert_allclose(returns.iloc[1:], 1.03 ** (2 / 12) - 1, rtol=1e-12)


def test_period_years_daily_and_monthly() -> None:
    daily = period_years(pd.DatetimeIndex(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"])))
    np.testing.assert_allclose(daily.iloc[1:], [1 / 365.25, 3 / 365.25])
    monthly = period_years(pd.date_range("2000-01-31", periods=5, freq="ME"))
    np.testing.assert_allclose(monthly.iloc[1:], 1 / 12)


def test_no_carry_added_on_top_of_the_dirty_price() -> None:
    """DATA.md 4: exact repricing of the AAA proxy is about 5.9%/yr; adding y/12 would double it."""
    flat = par_bond_returns(_series([0.06] * 13, list(pd.date_range("2000-01-31", periods=13, freq="ME")
                                                        .strftime("%Y-%m-%d"))))
    assert float(np.prod(1 + flat.iloc[1:]) - 1) == pytest.approx(1.03**2 - 1, rel=1e-12)


def test_a_one_point_rise_loses_about_duration_points() -> None:
    returns = par_bond_returns(_series([0.05, 0.06], ["2020-01-02", "2020-01-03"]))
    expected = 1 / 365.25 * 0.05 - 12.55 * 0.01 + 0.5 * 211.4 * 0.01**2
    assert returns.iloc[1] == pytest.approx(expected, abs=2e-3)
    assert returns.iloc[1] == pytest.approx(par_bond_return_approx(
        _series([0.05, 0.06], ["2020-01-02", "2020-01-03"])).iloc[1], abs=2e-3)


def test_cash_accrues_simply() -> None:
    returns = cash_returns(_series([0.03, 0.04], ["2020-01-03", "2020-01-06"]))
    assert returns.iloc[1] == pytest.approx(0.03 * 3 / 365.25, rel=1e-14)


def test_total_return_index_compounds_from_the_base() -> None:
    index = total_return_index(pd.Series([np.nan, 0.1, -0.5, 0.2]), start=100.0)
    np.testing.assert_allclose(index, [100.0, 110.0, 55.0, 66.0])


# ---- bad input -----------------------------------------------------------------------------------

def test_percent_yields_are_rejected_with_a_fix() -> None:
    with pytest.raises(ConfigError, match="percent.*divide by 100"):
        par_bond_returns(_series([5.0, 5.1], ["2020-01-02", "2020-01-03"]))


def test_missing_yields_are_named() -> None:
    with pytest.raises(DataError, match="2020-01-03"):
        par_bond_returns(_series([0.05, np.nan, 0.05], ["2020-01-02", "2020-01-03", "2020-01-06"]))


def test_maturity_must_be_whole_half_years() -> None:
    with pytest.raises(ConfigError, match="half years"):
        par_bond_returns(_series([0.05, 0.05], ["2020-01-02", "2020-01-03"]), maturity_years=20.3)


def test_gap_after_start_cannot_be_compounded() -> None:
    with pytest.raises(DataError, match="missing value"):
        total_return_index(pd.Series([np.nan, 0.1, np.nan, 0.2], name="r"))


def test_repeated_dates_give_no_period_length() -> None:
    with pytest.raises(DataError, match="dt_years"):
        par_bond_returns(_series([0.05, 0.05, 0.05], ["2020-01-02", "2020-01-03", "2020-01-03"]))


# ---- exact vs approximation on the real series (DATA.md 4) ---------------------------------------

def test_exact_and_approximation_agree_daily_on_the_treasury_20y() -> None:
    """Within 0.34 bp on every day; the one larger gap (0.36 bp) is 1993-10-01, where the 10y/30y mean
    used before the first published 20-year yield gives way to the real one."""
    yields = treasury_yields()
    filled = yields["20year"].fillna((yields["10year"] + yields["30year"]) / 2)
    days = us_stocks_bonds().index
    filled = filled.reindex(filled.index.union(days)).ffill().reindex(days)
    gap = (par_bond_returns(filled) - par_bond_return_approx(filled)).abs().iloc[1:]
    splice = pd.Timestamp("1993-10-01")
    assert gap.drop(splice).max() < 0.34 * BP
    assert gap.loc[splice] < 0.37 * BP
    assert gap.idxmax() == splice


# ---- properties ----------------------------------------------------------------------------------

yields_ = st.floats(min_value=-0.005, max_value=0.20)
periods_ = st.floats(min_value=1e-4, max_value=1 / 12)
maturities = st.integers(min_value=1, max_value=60).map(lambda half_years: half_years / 2)


@settings(max_examples=200, deadline=None)
@given(y=yields_, dt=periods_, n=maturities)
def test_unchanged_yield_earns_the_compounded_yield(y: float, dt: float, n: float) -> None:
    returns = par_bond_returns(pd.Series([y, y]), maturity_years=n, dt_years=dt)
    assert returns.iloc[1] == pytest.approx((1 + y / 2) ** (2 * dt) - 1, rel=1e-9, abs=1e-14)


@settings(max_examples=200, deadline=None)
@given(y0=yields_, dy=st.floats(min_value=1e-5, max_value=0.02), dt=periods_, n=maturities)
def test_higher_yield_means_lower_return(y0: float, dy: float, dt: float, n: float) -> None:
    down, up = (par_bond_returns(pd.Series([y0, y0 + s]), maturity_years=n, dt_years=dt).iloc[1]
                for s in (-dy, dy))
    assert up < down


@settings(max_examples=200, deadline=None)
@given(y0=st.floats(min_value=0.0, max_value=0.15), dy=st.floats(min_value=-0.01, max_value=0.01),
       n=maturities)
def test_approximation_error_is_third_order_in_the_yield_change(y0: float, dy: float, n: float) -> None:
    """With a negligible holding period the expansion misses only O(dy^3).

    With semiannual compounding the third derivative of a cash flow at t years is t(t+1/2)(t+1) (1+y/2)^(-2t-3),
    so the cubic term is at most N(N+1/2)(N+1)/6 |dy|^3 < (N+1)^3/6 |dy|^3; (N+1)^3 |dy|^3 leaves room for
    the higher orders.
    """
    series = pd.Series([y0, y0 + dy])
    exact = par_bond_returns(series, maturity_years=n, dt_years=1e-9).iloc[1]
    approx = par_bond_return_approx(series, maturity_years=n, dt_years=1e-9).iloc[1]
    assert abs(exact - approx) <= (n + 1) ** 3 * abs(dy) ** 3 + 1e-10


@settings(max_examples=200, deadline=None)
@given(y=st.floats(min_value=0.0, max_value=0.15), n=maturities)
def test_duration_is_minus_the_price_slope(y: float, n: float) -> None:
    h = 1e-6
    up, down = (par_bond_returns(pd.Series([y, y + s]), maturity_years=n, dt_years=1e-12).iloc[1]
                for s in (h, -h))
    assert -(up - down) / (2 * h) == pytest.approx(par_bond_duration(y, n), rel=1e-5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-0.5, max_value=0.5), min_size=1, max_size=30))
def test_total_return_index_round_trips(returns: list[float]) -> None:
    series = pd.Series([np.nan, *returns])
    index = total_return_index(series, start=50.0)
    assert index.iloc[0] == 50.0
    np.testing.assert_allclose(index.pct_change().iloc[1:], returns, rtol=1e-9, atol=1e-12)
