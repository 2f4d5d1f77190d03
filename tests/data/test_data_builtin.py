"""load_builtin: names, shapes, errors and the daily known answers of DATA.md section 4."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from trimtab.data import history, samples
from trimtab.data.bonds import par_bond_returns
from trimtab.data.market import MarketData
from trimtab.data.samples import builtin_names, describe_builtin, load_builtin, treasury_yields
from trimtab.errors import ConfigError, InputError

DAILY = ("us-stocks", "us-stocks-bonds", "us-factor-etfs")


def _annual(returns: pd.Series, periods: float) -> tuple[float, float]:
    """Growth per calendar year (365.25 days from the base date before the first return to the last date)
    and annualised volatility (sample std times sqrt(periods)) of daily simple returns."""
    values = returns.to_numpy(dtype="float64")
    previous_day = load_builtin("us-stocks-bonds").dates
    base = previous_day[previous_day.searchsorted(returns.index[0]) - 1]
    years = (returns.index[-1] - base).days / 365.25
    growth = float(np.prod(1 + values) ** (1 / years) - 1)
    return growth, float(np.std(values, ddof=1) * np.sqrt(periods))


def test_builtin_names() -> None:
    assert builtin_names() == ("us-stocks", "us-stocks-bonds", "us-60-40-monthly", "us-factor-etfs")
    for name in builtin_names():
        assert describe_builtin(name)


@pytest.mark.parametrize(
    ("name", "shape", "first", "last", "columns"),
    [
        ("us-stocks", (8313, 20), "1990-01-02", "2022-12-28", None),
        ("us-stocks-bonds", (6865, 3), "1990-01-02", "2017-03-29", ["STOCKS", "BONDS", "CASH_3M"]),
        ("us-factor-etfs", (2264, 5), "2014-01-02", "2022-12-28", ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]),
    ],
)
def test_daily_builtins(name: str, shape: tuple[int, int], first: str, last: str,
                        columns: list[str] | None) -> None:
    market = load_builtin(name)
    assert isinstance(market, MarketData)
    assert market.source == f"builtin:{name}" and market.periods_per_year == 252
    assert market.prices.shape == shape
    assert market.first_date == pd.Timestamp(first) and market.last_date == pd.Timestamp(last)
    if columns:
        assert list(market.symbols) == columns
    values = market.prices.to_numpy()
    assert np.isfinite(values).all() and (values > 0).all()


@pytest.mark.parametrize("spelling", ["builtin:us-stocks", " US-Stocks ", "BUILTIN:us-stocks"])
def test_names_accept_prefix_and_any_case(spelling: str) -> None:
    assert load_builtin(spelling).source == "builtin:us-stocks"


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        load_builtin("us-stock")
    message = str(caught.value)
    assert isinstance(caught.value, InputError) and "\n" not in message
    assert "'us-stock'" in message
    for name in builtin_names():
        assert f"builtin:{name}" in message


def test_loads_are_independent_copies() -> None:
    first = load_builtin("us-stocks")
    first.prices.iloc[0, 0] = -1.0
    assert load_builtin("us-stocks").prices.iloc[0, 0] > 0


def test_snapshot_of_a_builtin_stops_at_its_date() -> None:
    snapshot = load_builtin("us-stocks").snapshot("2000-01-03")
    assert snapshot.times[-1] == pd.Timestamp("2000-01-03")


def test_history_without_arch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def without_arch(name: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        return None if name == "arch" else real_find_spec(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(history.importlib.util, "find_spec", without_arch)
    samples._frame.cache_clear()
    try:
        expected = r"builtin:us-60-40-monthly needs .*arch.*pip install trimtab\[history\]"
        with pytest.raises(ConfigError, match=expected):
            load_builtin("us-60-40-monthly")
    finally:
        samples._frame.cache_clear()


# ---- us-stocks-bonds construction and DATA.md section 4 known answers -----------------------------

@pytest.fixture(scope="module")
def stocks_bonds() -> pd.DataFrame:
    return load_builtin("us-stocks-bonds").prices


def test_stocks_leg_is_the_price_index_on_nyse_days(stocks_bonds: pd.DataFrame) -> None:
    index = samples.sp500_index()["SP500"]
    pd.testing.assert_series_equal(stocks_bonds["STOCKS"], index.loc[:"2017-03-29"], check_names=False)
    assert stocks_bonds[["BONDS", "CASH_3M"]].iloc[0].tolist() == [100.0, 100.0]


def test_yields_carry_forward_over_bond_market_holidays(stocks_bonds: pd.DataFrame) -> None:
    """On an NYSE day without a Treasury quote (Columbus Day 2016-10-10) the bond only accrues."""
    day, before = pd.Timestamp("2016-10-10"), pd.Timestamp("2016-10-07")
    assert day not in treasury_yields().index
    y = treasury_yields().loc[before, "20year"]
    bond_return = stocks_bonds["BONDS"].loc[day] / stocks_bonds["BONDS"].loc[before] - 1
    assert bond_return == pytest.approx((1 + y / 2) ** (2 * 3 / 365.25) - 1, rel=1e-9)


def test_cmt_20y_with_fill_daily(stocks_bonds: pd.DataFrame) -> None:
    """DATA.md 4 table: filled CMT 20y, 1990-01-03..2017-03-29: 7.58%/yr, 11.1% vol, corr -0.20 with B."""
    returns = stocks_bonds.pct_change().iloc[1:]
    growth, vol = _annual(returns["BONDS"], 252)
    assert growth == pytest.approx(0.0758, abs=5e-5)
    assert vol == pytest.approx(0.111, abs=5e-4)
    assert returns["BONDS"].corr(returns["STOCKS"]) == pytest.approx(-0.20, abs=5e-3)


def test_60_40_daily_rebalanced(stocks_bonds: pd.DataFrame) -> None:
    """DATA.md 4 self-check: 60/40 rebalanced daily, B + filled CMT 20y: 8.00%/yr, 10.7% vol."""
    returns = stocks_bonds.pct_change().iloc[1:]
    growth, vol = _annual(0.6 * returns["STOCKS"] + 0.4 * returns["BONDS"], 252)
    assert growth == pytest.approx(0.0800, abs=5e-5)
    assert vol == pytest.approx(0.107, abs=5e-4)


def test_cash_3m_compounds_to_2_92_pct(stocks_bonds: pd.DataFrame) -> None:
    """DATA.md D: the 3month column compounds to 2.92%/yr over 1990-2017."""
    growth, _ = _annual(stocks_bonds["CASH_3M"].pct_change().iloc[1:], 252)
    assert growth == pytest.approx(0.0292, abs=5e-5)


@pytest.mark.parametrize(
    ("column", "maturity", "start", "growth", "vol"),
    [("20year", 20.0, "1993-10-04", 0.0666, 0.115), ("10year", 10.0, "1990-01-03", 0.0631, 0.0746)],
)
def test_other_rows_of_the_bond_table(stocks_bonds: pd.DataFrame, column: str, maturity: float, start: str,
                                      growth: float, vol: float) -> None:
    """DATA.md 4 table: CMT 20y alone from 1993-10-04 (6.66%, 11.5%); CMT 10y with N = 10 (6.31%, 7.46%)."""
    days = stocks_bonds.index
    yields = treasury_yields()[column].dropna()
    yields = yields.reindex(yields.index.union(days)).ffill().reindex(days).dropna()
    returns = par_bond_returns(yields, maturity_years=maturity).loc[start:]
    measured_growth, measured_vol = _annual(returns, 252)
    assert measured_growth == pytest.approx(growth, abs=5e-5)
    assert measured_vol == pytest.approx(vol, abs=5e-4 if vol >= 0.1 else 5e-5)
