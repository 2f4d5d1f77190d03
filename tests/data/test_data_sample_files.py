"""Vendored sample files: hashes, shapes, dates and cleanliness (DATA.md sections 3 and 5)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from trimtab.data.samples import factor_etfs, read_sample, sp500_index, treasury_yields, us_stocks

# DATA.md section 3 (skfolio 1.12.2 files) and section 5 (derived Treasury file, pandas 3.1.1, gzip mtime 0).
SHA256 = {
    "sp500_dataset.csv.gz": "ee21cac28befb1d0a739a9ceb22184f995394726aa0cfde9a21941d1ac04ac0d",
    "sp500_index.csv.gz": "894c34431c284f86aa64a467e176e2a3c9b697c857eb9ab35006c2dd55d3fdf2",
    "factors_dataset.csv.gz": "6eb089953db90c9a38d3283582751701a90db6f59965847fd64b0578de497161",
    "treasury_yields.csv.gz": "d783ec61b8d72e6e9d3beeb2ca09c004758806c19e9b45785b3142fe8a0b5e24",
}
SIZES = {"sp500_dataset.csv.gz": 426_065, "sp500_index.csv.gz": 41_898, "factors_dataset.csv.gz": 36_146}
STOCKS = ("AAPL AMD BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM").split()


def _bytes(name: str) -> bytes:
    return resources.files("trimtab.data.sample").joinpath(name).read_bytes()


@pytest.mark.parametrize("name", sorted(SHA256))
def test_vendored_file_sha256_matches_data_md(name: str) -> None:
    assert hashlib.sha256(_bytes(name)).hexdigest() == SHA256[name]


@pytest.mark.parametrize("name", sorted(SIZES))
def test_skfolio_files_have_their_published_sizes(name: str) -> None:
    assert len(_bytes(name)) == SIZES[name]


@pytest.mark.parametrize("name", ["LICENSE-skfolio", "LICENSE-zipline", "SOURCES.md"])
def test_license_and_provenance_files_ship_with_the_data(name: str) -> None:
    text = _bytes(name).decode()
    assert len(text) > 500


def test_licenses_name_their_terms() -> None:
    assert _bytes("LICENSE-skfolio").decode().startswith("BSD 3-Clause License")
    assert "Apache License" in _bytes("LICENSE-zipline").decode()
    sources = _bytes("SOURCES.md").decode()
    for name, digest in SHA256.items():
        assert name in sources and digest in sources


@pytest.mark.parametrize(
    ("loader", "shape", "first", "last", "columns"),
    [
        (us_stocks, (8313, 20), "1990-01-02", "2022-12-28", STOCKS),
        (sp500_index, (8313, 1), "1990-01-02", "2022-12-28", ["SP500"]),
        (factor_etfs, (2264, 5), "2014-01-02", "2022-12-28", ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]),
        (treasury_yields, (6816, 4), "1990-01-02", "2017-03-29", ["3month", "10year", "20year", "30year"]),
    ],
)
def test_shapes_dates_and_columns(loader: Callable[[], pd.DataFrame], shape: tuple[int, int], first: str,
                                  last: str, columns: list[str]) -> None:
    frame = loader()
    assert frame.shape == shape
    assert frame.index[0] == pd.Timestamp(first) and frame.index[-1] == pd.Timestamp(last)
    assert list(frame.columns) == list(columns)
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None and frame.index.name == "Date"
    assert frame.index.is_monotonic_increasing and not frame.index.has_duplicates
    assert all(dtype == np.float64 for dtype in frame.dtypes)


def test_read_sample_matches_the_named_loader() -> None:
    pd.testing.assert_frame_equal(read_sample("sp500_dataset.csv.gz"), us_stocks())


@pytest.mark.parametrize("loader", [us_stocks, sp500_index, factor_etfs])
def test_price_files_have_no_missing_or_non_positive_values(loader: Callable[[], pd.DataFrame]) -> None:
    values = loader().to_numpy()
    assert np.isfinite(values).all()
    assert (values > 0).all()


def test_price_index_known_levels() -> None:
    """DATA.md B: 359.69 on 1990-01-02, 3783.22 at the end."""
    index = sp500_index()["SP500"]
    assert index.iloc[0] == pytest.approx(359.69, abs=0.005)
    assert index.iloc[-1] == pytest.approx(3783.22, abs=0.005)


def test_treasury_yields_are_decimals_with_the_documented_gaps() -> None:
    """DATA.md D: decimals (0.0783 = 7.83%), 20year starts 1993-10-01, 30year empty 2002-02..2006-02."""
    yields = treasury_yields()
    assert yields["3month"].iloc[0] == pytest.approx(0.0783)
    assert 0.0 <= yields.min().min() and yields.max().max() < 0.2
    assert yields["20year"].first_valid_index() == pd.Timestamp("1993-10-01")
    assert yields[["3month", "10year"]].notna().all().all()
    assert yields["20year"].loc["1993-10-01":].notna().all()
    gap = yields["30year"].isna()
    assert gap.any()
    assert yields.index[gap].min() >= pd.Timestamp("2002-02-01")
    assert yields.index[gap].max() <= pd.Timestamp("2006-02-28")


@pytest.mark.filterwarnings("ignore::Warning")
def test_stock_dates_are_the_nyse_trading_days() -> None:
    """DATA.md A and C: the dates equal the XNYS session list exactly."""
    xc = pytest.importorskip("exchange_calendars")
    sessions = pd.DatetimeIndex(xc.get_calendar("XNYS", start="1990-01-01").sessions_in_range(
        "1990-01-02", "2022-12-28")).tz_localize(None)
    stock_days = us_stocks().index
    assert len(stock_days) == len(sessions) == 8313
    assert (stock_days == sessions).all()
    etf_sessions = sessions[sessions >= pd.Timestamp("2014-01-02")]
    etf_days = factor_etfs().index
    assert len(etf_days) == len(etf_sessions) and (etf_days == etf_sessions).all()


def test_treasury_calendar_differs_from_nyse_as_documented() -> None:
    """DATA.md D: 59 NYSE days missing from the bond calendar, 10 bond rows on NYSE holidays."""
    nyse = sp500_index().loc[:"2017-03-29"].index
    bond_days = treasury_yields().index
    assert len(nyse.difference(bond_days)) == 59
    assert len(bond_days.difference(nyse)) == 10


def _skfolio_loaders():  # type: ignore[no-untyped-def]
    datasets = pytest.importorskip("skfolio.datasets")
    return {
        "us_stocks": (us_stocks, datasets.load_sp500_dataset),
        "sp500_index": (sp500_index, datasets.load_sp500_index),
        "factor_etfs": (factor_etfs, datasets.load_factors_dataset),
    }


@pytest.mark.parametrize("which", ["us_stocks", "sp500_index", "factor_etfs"])
def test_equal_to_skfolios_own_loaders(which: str) -> None:
    """Optional: only where skfolio is installed (it is not a dependency)."""
    ours_loader, theirs_loader = _skfolio_loaders()[which]
    ours, theirs = ours_loader(), theirs_loader()
    np.testing.assert_array_equal(ours.to_numpy(), theirs.to_numpy(dtype="float64"))
    assert list(ours.columns) == list(theirs.columns)
    assert (ours.index == pd.DatetimeIndex(theirs.index)).all()


def test_survivorship_is_visible_in_the_numbers() -> None:
    """DATA.md A: no stock loses money over 1990-2022 (worst GE 4.6%/yr); equal-weight buy-and-hold makes
    17.5%/yr against 7.4% for the price index."""
    prices = us_stocks()
    years = (prices.index[-1] - prices.index[0]).days / 365.25
    growth = (prices.iloc[-1] / prices.iloc[0]) ** (1 / years) - 1
    assert growth.idxmin() == "GE" and growth.min() == pytest.approx(0.046, abs=5e-4)
    equal_weight = (prices / prices.iloc[0]).mean(axis=1)
    assert equal_weight.iloc[-1] ** (1 / years) - 1 == pytest.approx(0.175, abs=5e-4)
    index = sp500_index()["SP500"]
    assert (index.iloc[-1] / index.iloc[0]) ** (1 / years) - 1 == pytest.approx(0.074, abs=5e-4)


def test_stale_and_jumpy_prices_are_still_there() -> None:
    """DATA.md A: RRC has 61% zero-return days in 1990-94 and -66.7% on 1990-04-10; code must cope."""
    returns = us_stocks().pct_change().iloc[1:]
    assert (returns["RRC"].loc[:"1994"] == 0).mean() == pytest.approx(0.61, abs=5e-3)
    assert returns.loc["1990-04-10", "RRC"] == pytest.approx(-0.667, abs=5e-4)
    assert returns.loc["2000-09-29", "AAPL"] == pytest.approx(-0.518, abs=5e-4)
