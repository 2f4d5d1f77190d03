"""Bundled real market data, loaded by name (``builtin:us-stocks`` ...).

Files under ``trimtab/data/sample/`` are vendored byte for byte or derived reproducibly (see
``SOURCES.md`` there and ``scripts/regenerate_sample_data.py``). They are demo and test data, not market
data: 20 stocks chosen with hindsight (survivors), adjusted for splits and dividends, stored to 3 decimals.

Built-in data sets (:func:`load_builtin`):

================== ======= ======================== ==============================================
name               freq    dates                    columns
================== ======= ======================== ==============================================
us-stocks          daily   1990-01-02..2022-12-28   20 stocks, adjusted close (8313 x 20)
us-stocks-bonds    daily   1990-01-02..2017-03-29   STOCKS (S&P 500 price index), BONDS (20-year
                                                    Treasury par bond), CASH_3M (3-month bill)
us-60-40-monthly   monthly 1926-06-30..2018-11-30   STOCKS, BONDS (Moody's AAA par bond), CASH;
                                                    needs ``pip install trimtab[history]``
us-factor-etfs     daily   2014-01-02..2022-12-28   MTUM QUAL SIZE USMV VLUE, adjusted close
================== ======= ======================== ==============================================
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from trimtab.data.bonds import cash_returns, par_bond_returns, total_return_index
from trimtab.data.market import MarketData
from trimtab.errors import ConfigError

__all__ = [
    "BUILTIN_NAMES",
    "BUILTIN_PREFIX",
    "builtin_names",
    "describe_builtin",
    "factor_etfs",
    "load_builtin",
    "read_sample",
    "sp500_index",
    "treasury_yields",
    "us_stocks",
    "us_stocks_bonds",
]

BUILTIN_PREFIX = "builtin:"


def read_sample(name: str) -> pd.DataFrame:
    """Read a vendored ``.csv.gz`` as float64 with a tz-naive DatetimeIndex named ``Date``."""
    blob = resources.files("trimtab.data.sample").joinpath(name).read_bytes()
    out = pd.read_csv(io.BytesIO(gzip.decompress(blob)), index_col=0)
    out.index = pd.DatetimeIndex(pd.to_datetime(out.index, format="%Y-%m-%d"), name="Date")
    return out.astype("float64")


def us_stocks() -> pd.DataFrame:
    """20 large US stocks, adjusted close, daily 1990-01-02..2022-12-28 (8313 x 20), dollars per share."""
    return read_sample("sp500_dataset.csv.gz")


def sp500_index() -> pd.DataFrame:
    """S&P 500 price index (no dividends), column ``SP500``, daily 1990-01-02..2022-12-28 (8313 x 1)."""
    return read_sample("sp500_index.csv.gz")


def factor_etfs() -> pd.DataFrame:
    """Five US factor ETFs MTUM QUAL SIZE USMV VLUE, adjusted close, daily 2014-01-02..2022-12-28 (2264 x 5).

    The ETFs correlate 0.78-0.93 daily and all fell 10-22% in 2022: similar but not identical funds.
    """
    return read_sample("factors_dataset.csv.gz")


def treasury_yields() -> pd.DataFrame:
    """Constant-maturity Treasury yields as decimals, bond-market days 1990-01-02..2017-03-29 (6816 x 4).

    Columns ``3month``, ``10year``, ``20year`` (empty before 1993-10-01) and ``30year`` (empty
    2002-02..2006-02). Not on the NYSE calendar: see :func:`us_stocks_bonds` for the alignment.
    """
    return read_sample("treasury_yields.csv.gz")


def us_stocks_bonds() -> pd.DataFrame:
    """Daily stocks, 20-year Treasury bond and 3-month bill, NYSE days 1990-01-02..2017-03-29 (6865 x 3).

    * ``STOCKS``: the S&P 500 price index as stored (359.69 on 1990-01-02; no dividends).
    * ``BONDS``: total-return index (100 on 1990-01-02) of a 20-year constant-maturity par bond repriced
      daily from the ``20year`` yield (:func:`trimtab.data.bonds.par_bond_returns`, dt = calendar days /
      365.25). Before 1993-10-01, when the Treasury published no 20-year yield, the mean of ``10year`` and
      ``30year`` stands in.
    * ``CASH_3M``: total-return index (100 on 1990-01-02) of the 3-month bill yield accrued simply,
      ``y * dt`` (:func:`trimtab.data.bonds.cash_returns`).

    Yields follow the bond-market calendar; they are put on the NYSE days of the stock index with the last
    value carried forward (NYSE holidays that were bond-market days are dropped, bond holidays on which
    NYSE traded repeat the previous yield).
    """
    stocks = sp500_index()["SP500"]
    yields = treasury_yields()
    filled_20 = yields["20year"].fillna((yields["10year"] + yields["30year"]) / 2.0)
    rates = pd.DataFrame({"20year": filled_20, "3month": yields["3month"]})
    days = stocks.index[stocks.index <= yields.index[-1]]
    rates = rates.reindex(rates.index.union(days)).ffill().reindex(days)
    frame = pd.DataFrame({
        "STOCKS": stocks.loc[days],
        "BONDS": total_return_index(par_bond_returns(rates["20year"], maturity_years=20.0)),
        "CASH_3M": total_return_index(cash_returns(rates["3month"])),
    })
    frame.index.name = "Date"
    return frame


def _us_60_40_monthly() -> pd.DataFrame:
    from trimtab.data.history import us_60_40_monthly

    return us_60_40_monthly(wanted_by=f"{BUILTIN_PREFIX}us-60-40-monthly")


@dataclass(frozen=True, slots=True)
class _Builtin:
    build: Callable[[], pd.DataFrame]
    periods_per_year: float
    description: str


_BUILTINS: dict[str, _Builtin] = {
    "us-stocks": _Builtin(us_stocks, 252.0,
                          "20 large US stocks, adjusted close, daily 1990-01-02..2022-12-28"),
    "us-stocks-bonds": _Builtin(us_stocks_bonds, 252.0,
                                "S&P 500 price index, 20-year Treasury and 3-month bill total-return "
                                "indexes, daily 1990-01-02..2017-03-29"),
    "us-60-40-monthly": _Builtin(_us_60_40_monthly, 12.0,
                                 "US stocks, Moody's AAA long bond and T-bill total-return indexes, monthly "
                                 "1926-06..2018-11 (needs pip install trimtab[history])"),
    "us-factor-etfs": _Builtin(factor_etfs, 252.0,
                               "MTUM QUAL SIZE USMV VLUE factor ETFs, adjusted close, "
                               "daily 2014-01-02..2022-12-28"),
}


#: Names accepted by :func:`load_builtin` (without the ``builtin:`` prefix).
BUILTIN_NAMES: tuple[str, ...] = tuple(_BUILTINS)


def builtin_names() -> tuple[str, ...]:
    """Names accepted by :func:`load_builtin` (without the ``builtin:`` prefix)."""
    return tuple(_BUILTINS)


def _lookup(name: str) -> tuple[str, _Builtin]:
    key = str(name).strip()
    if key.lower().startswith(BUILTIN_PREFIX):
        key = key[len(BUILTIN_PREFIX):]
    key = key.strip().lower()
    if key not in _BUILTINS:
        known = ", ".join(f"{BUILTIN_PREFIX}{n}" for n in _BUILTINS)
        raise ConfigError("unknown built-in data set", got=name, fix=f"use one of {known}")
    return key, _BUILTINS[key]


def describe_builtin(name: str) -> str:
    """One line saying what a built-in data set holds."""
    return _lookup(name)[1].description


@lru_cache(maxsize=None)
def _frame(key: str) -> pd.DataFrame:
    return _BUILTINS[key].build()


def load_builtin(name: str) -> MarketData:
    """Load a bundled data set by name as :class:`~trimtab.data.market.MarketData`.

    Parameters
    ----------
    name : str
        One of :func:`builtin_names`, with or without the ``builtin:`` prefix (case-insensitive).

    Returns
    -------
    MarketData
        Prices or index levels (float64, tz-naive dates), ``source="builtin:NAME"`` and
        ``periods_per_year`` 252 (daily) or 12 (monthly).

    Raises
    ------
    ConfigError
        For an unknown name (the message lists the known ones), or for ``us-60-40-monthly`` when the
        optional ``arch`` package is missing (the message says ``pip install trimtab[history]``).
    """
    key, spec = _lookup(name)
    return MarketData(_frame(key).copy(), source=f"{BUILTIN_PREFIX}{key}",
                      periods_per_year=spec.periods_per_year)
