"""The optional [history] extra (arch 8.0.0, linearmodels 7.1); skipped where it is not installed.

Known answers from DATA.md sections 3 (E, F, G) and 4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("arch")

from trimtab.data.bonds import par_bond_return_approx, par_bond_returns  # noqa: E402
from trimtab.data.history import (  # noqa: E402
    french_factors_monthly,
    french_portfolios_monthly,
    moodys_yields_monthly,
)
from trimtab.data.samples import load_builtin  # noqa: E402

BP = 1e-4


def _annual(returns: pd.Series, periods: float = 12.0) -> tuple[float, float]:
    values = returns.to_numpy(dtype="float64")
    growth = float(np.prod(1 + values) ** (periods / len(values)) - 1)
    return growth, float(np.std(values, ddof=1) * np.sqrt(periods))


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    market = load_builtin("us-60-40-monthly")
    assert market.source == "builtin:us-60-40-monthly" and market.periods_per_year == 12
    return market.prices


def test_french_factors_parse_yyyymm_dates() -> None:
    """DATA.md E: 1109 months 1926-07..2018-11, percent turned decimal (arch's own load() is broken)."""
    factors = french_factors_monthly()
    assert factors.shape == (1109, 4) and list(factors.columns) == ["Mkt-RF", "SMB", "HML", "RF"]
    assert factors.index[0] == pd.Timestamp("1926-07-31") and factors.index[-1] == pd.Timestamp("2018-11-30")
    assert factors.notna().all().all()
    assert factors["RF"].iloc[0] == pytest.approx(0.0022)
    growth, vol = _annual(factors["Mkt-RF"] + factors["RF"])
    assert growth == pytest.approx(0.0994, abs=5e-5) and vol == pytest.approx(0.184, abs=5e-4)
    assert _annual(factors["RF"])[0] == pytest.approx(0.0334, abs=5e-5)


def test_moodys_yields_are_decimals_at_month_ends() -> None:
    """DATA.md F: 1200 months 1919-01..2018-12; AAA spans 2.46-15.49%."""
    yields = moodys_yields_monthly()
    assert yields.shape == (1200, 2) and list(yields.columns) == ["AAA", "BAA"]
    assert yields.index[0] == pd.Timestamp("1919-01-31") and yields.index[-1] == pd.Timestamp("2018-12-31")
    assert yields["AAA"].min() == pytest.approx(0.0246) and yields["AAA"].max() == pytest.approx(0.1549)


def test_60_40_monthly_layout(monthly: pd.DataFrame) -> None:
    assert monthly.shape == (1110, 3) and list(monthly.columns) == ["STOCKS", "BONDS", "CASH"]
    assert monthly.index[0] == pd.Timestamp("1926-06-30") and monthly.index[-1] == pd.Timestamp("2018-11-30")
    assert monthly.iloc[0].tolist() == [100.0, 100.0, 100.0]
    assert np.isfinite(monthly.to_numpy()).all() and (monthly.to_numpy() > 0).all()


def test_aaa_par_bond_monthly(monthly: pd.DataFrame) -> None:
    """DATA.md 4: AAA, N = 20, 1926-07..2018-11: 5.87%/yr, 6.07% vol, corr 0.145 with the market;
    best month 2008-12 +13.85%, worst 1980-02 -8.57%; best year 1982 +35.2%, worst 2013 -8.6%."""
    returns = monthly.pct_change().iloc[1:]
    bonds = returns["BONDS"]
    growth, vol = _annual(bonds)
    assert growth == pytest.approx(0.0587, abs=5e-5) and vol == pytest.approx(0.0607, abs=5e-5)
    assert bonds.corr(returns["STOCKS"]) == pytest.approx(0.145, abs=5e-4)
    assert bonds.idxmax() == pd.Timestamp("2008-12-31") and bonds.max() == pytest.approx(0.1385, abs=5e-5)
    assert bonds.idxmin() == pd.Timestamp("1980-02-29") and bonds.min() == pytest.approx(-0.0857, abs=5e-5)
    years = (1 + bonds).groupby(bonds.index.year).prod() - 1
    assert years.idxmax() == 1982 and years.max() == pytest.approx(0.352, abs=5e-4)
    assert years.idxmin() == 2013 and years.min() == pytest.approx(-0.086, abs=5e-4)


def test_aaa_par_bond_full_span() -> None:
    """DATA.md 4: AAA, N = 20, 1919-02..2018-12 (1199 months): 5.95%/yr, 5.89% vol."""
    returns = par_bond_returns(moodys_yields_monthly()["AAA"]).iloc[1:]
    assert len(returns) == 1199
    growth, vol = _annual(returns)
    assert growth == pytest.approx(0.0595, abs=5e-5) and vol == pytest.approx(0.0589, abs=5e-5)


def test_60_40_monthly_rebalanced(monthly: pd.DataFrame) -> None:
    """DATA.md 4 self-check: 60/40 rebalanced monthly, market + AAA proxy: 8.74%/yr, 11.65% vol."""
    returns = monthly.pct_change().iloc[1:]
    growth, vol = _annual(0.6 * returns["STOCKS"] + 0.4 * returns["BONDS"])
    assert growth == pytest.approx(0.0874, abs=5e-5) and vol == pytest.approx(0.1165, abs=5e-5)


def test_exact_and_approximation_agree_within_7bp_a_month() -> None:
    """DATA.md 4: the two forms differ by at most 7 bp in a month on the AAA series (1980-02)."""
    aaa = moodys_yields_monthly()["AAA"]
    gap = (par_bond_returns(aaa) - par_bond_return_approx(aaa)).abs().iloc[1:]
    assert gap.max() == pytest.approx(7.0 * BP, abs=0.05 * BP)
    assert gap.idxmax() == pd.Timestamp("1980-02-29")


def test_linearmodels_french_portfolios() -> None:
    """DATA.md G: 819 months 1949-01..2017-03, decimals, no NaN; MktRF and RF agree with arch's file."""
    pytest.importorskip("linearmodels")
    frame = french_portfolios_monthly()
    assert frame.shape == (819, 35)
    assert frame.index[0] == pd.Timestamp("1949-01-31") and frame.index[-1] == pd.Timestamp("2017-03-31")
    assert frame.notna().all().all()
    factors = french_factors_monthly().loc[frame.index]
    assert (frame["MktRF"] - factors["Mkt-RF"]).abs().max() <= 0.0003 + 1e-12
    np.testing.assert_allclose(frame["RF"], factors["RF"], atol=1e-12)
