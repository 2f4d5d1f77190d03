"""Long monthly US history from the optional ``[history]`` extra (``pip install trimtab[history]``).

The files are read from the installed packages at call time and never copied into trimtab: Moody's
yields in ``arch`` carry Moody's terms upstream (no redistribution without consent), so neither they
nor series derived from them may be stored in this repository.

Sources (``arch==8.0.0``, ``linearmodels==7.1``):

* ``arch/data/frenchdata/frenchdata.csv.gz``: Ken French's Mkt-RF, SMB, HML, RF, monthly 1926-07..2018-11,
  percent, ``Date`` as integer YYYYMM. ``arch.data.frenchdata.load()`` is broken (it reads YYYYMM as
  nanoseconds since 1970), so the raw file is parsed here with an explicit ``%Y%m`` format.
* ``arch/data/default/default.csv.gz``: Moody's AAA and BAA yields, monthly 1919-01..2018-12, percent,
  stamped on the first of the month. The values behave like month averages (smoothed, about half a
  month behind month-end markets).
* ``linearmodels/datasets/french/french.csv.bz2``: factors, 12 industries and 12 size/value and
  size/momentum portfolios, monthly 1949-01..2017-03, decimals.

Every loader returns float64 decimals (0.01 = 1%) on a tz-naive month-end DatetimeIndex named ``Date``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from trimtab.data.bonds import par_bond_returns, total_return_index
from trimtab.errors import ConfigError

__all__ = ["french_factors_monthly", "french_portfolios_monthly", "moodys_yields_monthly",
           "us_60_40_monthly"]

_FIX = "pip install trimtab[history]"


def _package_file(package: str, relative: str, wanted_by: str) -> Path:
    """Path of a data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"{wanted_by} needs the optional package {package}, which is not installed",
                          fix=_FIX)
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ConfigError(f"{wanted_by} expects {relative} inside the installed {package} package, "
                          "but it is not there (a different version?)", fix=_FIX)
    return path


def _month_end(stamps: pd.Series, fmt: str) -> pd.DatetimeIndex:
    dates = pd.to_datetime(stamps.astype(str), format=fmt) + pd.offsets.MonthEnd(0)
    return pd.DatetimeIndex(dates, name="Date")


def french_factors_monthly(*, wanted_by: str = "french_factors_monthly()") -> pd.DataFrame:
    """Fama-French market, size and value factors and the risk-free rate, from arch 8.0.0.

    Returns
    -------
    pandas.DataFrame of shape (1109, 4)
        Columns ``Mkt-RF``, ``SMB``, ``HML``, ``RF``: monthly returns as decimals, 1926-07-31..2018-11-30.
        The market's total return is ``Mkt-RF + RF``.
    """
    raw = pd.read_csv(_package_file("arch", "data/frenchdata/frenchdata.csv.gz", wanted_by))
    frame = raw.drop(columns="Date").astype("float64") / 100.0
    frame.index = _month_end(raw["Date"], "%Y%m")
    return frame


def moodys_yields_monthly(*, wanted_by: str = "moodys_yields_monthly()") -> pd.DataFrame:
    """Moody's seasoned AAA and BAA corporate bond yields (20+ years to maturity), from arch 8.0.0.

    Returns
    -------
    pandas.DataFrame of shape (1200, 2)
        Columns ``AAA``, ``BAA``: annual yields as decimals, stamped at month ends 1919-01-31..2018-12-31.
        The values behave like month averages, not month-end readings.
    """
    raw = pd.read_csv(_package_file("arch", "data/default/default.csv.gz", wanted_by))
    frame = raw.drop(columns="Date").astype("float64") / 100.0
    frame.index = _month_end(raw["Date"], "%m/%d/%Y")
    return frame


def french_portfolios_monthly(*, wanted_by: str = "french_portfolios_monthly()") -> pd.DataFrame:
    """Factors, 12 industries and 12 size/value and size/momentum portfolios, from linearmodels 7.1.

    Returns
    -------
    pandas.DataFrame of shape (819, 35)
        Monthly returns as decimals, 1949-01-31..2017-03-31. ``MktRF`` ``SMB`` ``HML`` ``Mom`` ``RF`` are
        factors (``MktRF`` an excess return); the industries (``NoDur`` .. ``Other``) and portfolios
        (``S1V1`` .. ``S5M5``) are total returns.
    """
    raw = pd.read_csv(_package_file("linearmodels", "datasets/french/french.csv.bz2", wanted_by))
    frame = raw.drop(columns="dates").astype("float64")
    frame.index = _month_end(raw["dates"], "%Y-%m-%d")
    return frame


def us_60_40_monthly(*, wanted_by: str = "us_60_40_monthly()") -> pd.DataFrame:
    """Monthly US stock, long-bond and cash total-return indexes from 1926 (base 100 at 1926-06-30).

    * ``STOCKS``: the French market total return, ``Mkt-RF + RF``.
    * ``BONDS``: a 20-year constant-maturity par bond priced off Moody's AAA yield (exact repricing,
      ``dt = 1/12``, see :func:`trimtab.data.bonds.par_bond_returns`); no defaults, calls or downgrades,
      and the yields are month averages, so the series is smoothed.
    * ``CASH``: the French risk-free rate ``RF`` (one-month T-bill).

    Returns
    -------
    pandas.DataFrame of shape (1110, 3)
        Index levels at month ends 1926-06-30 (all 100) .. 2018-11-30: 1109 monthly returns.
    """
    factors = french_factors_monthly(wanted_by=wanted_by)
    aaa = moodys_yields_monthly(wanted_by=wanted_by)["AAA"]
    base = factors.index[0] - pd.offsets.MonthEnd(1)
    aaa = aaa.loc[base:factors.index[-1]]
    bonds = par_bond_returns(aaa, maturity_years=20.0, dt_years=1.0 / 12.0)
    returns = pd.DataFrame({
        "STOCKS": factors["Mkt-RF"] + factors["RF"],
        "BONDS": bonds.iloc[1:],
        "CASH": factors["RF"],
    }).reindex(pd.DatetimeIndex([base, *factors.index], name="Date"))
    levels = pd.DataFrame({name: total_return_index(returns[name]) for name in returns.columns})
    levels.index.name = "Date"
    return levels
