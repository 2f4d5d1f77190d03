"""Price and returns CSV loaders: long = wide, returns round trip, sorting, volumes, specs."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.data.prices import load_market_data, load_prices_csv, load_returns_csv, returns_to_prices
from trimtab.data.samples import us_stocks
from trimtab.errors import PriceFileError, SourceRef

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _sample(rows: int = 300, symbols: tuple[str, ...] = ("AAPL", "KO", "XOM", "MSFT")) -> pd.DataFrame:
    frame = us_stocks().loc[:, list(symbols)].iloc[-rows:].copy()
    frame.index.name = "date"
    return frame


def _write_wide(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, date_format="%Y-%m-%d", float_format="%.6f")
    return path


def _write_long(frame: pd.DataFrame, path: Path, volume: pd.DataFrame | None = None) -> Path:
    long = frame.stack().rename("close").reset_index()
    long.columns = ["date", "symbol", "close"]
    if volume is not None:
        long["volume"] = volume.stack().to_numpy()
    long.to_csv(path, index=False, date_format="%Y-%m-%d", float_format="%.6f")
    return path


def _same_market(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert (a.index.to_numpy() == b.index.to_numpy()).all()
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


def test_long_and_wide_give_the_same_market_data(tmp_path: Path) -> None:
    frame = _sample()
    wide = load_prices_csv(_write_wide(frame, tmp_path / "wide.csv"))
    long = load_prices_csv(_write_long(frame, tmp_path / "long.csv"))
    _same_market(wide.prices, long.prices)
    np.testing.assert_allclose(wide.prices.to_numpy(), frame.to_numpy(), rtol=0, atol=5e-7)
    assert wide.periods_per_year == long.periods_per_year == 252.0
    assert wide.source == str(tmp_path / "wide.csv")


def test_wide_file_matches_the_bundled_data_exactly(tmp_path: Path) -> None:
    frame = us_stocks()
    path = tmp_path / "all.csv"
    frame.to_csv(path)  # full repr precision
    market = load_prices_csv(path)
    np.testing.assert_array_equal(market.prices.to_numpy(), frame.to_numpy())


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_long_equals_wide_for_any_prices_with_gaps(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Property: random positive prices with missing cells and shuffled long rows load the same both ways."""
    n_rows = data.draw(st.integers(1, 15))
    n_cols = data.draw(st.integers(1, 4))
    values = data.draw(st.lists(st.one_of(st.none(), st.floats(0.01, 1e5, allow_nan=False)),
                                min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    grid = np.array([np.nan if v is None else v for v in values], dtype=float).reshape(n_rows, n_cols)
    dates = pd.bdate_range("2020-01-01", periods=n_rows)
    frame = pd.DataFrame(grid, index=pd.DatetimeIndex(dates, name="date"), columns=[f"S{j}" for j in range(n_cols)])
    folder = tmp_path_factory.mktemp("prop")
    frame.to_csv(folder / "wide.csv", date_format="%Y-%m-%d")
    wide_market = load_prices_csv(folder / "wide.csv").prices
    np.testing.assert_array_equal(wide_market.to_numpy(), frame.to_numpy())
    long = frame.stack().rename("close").reset_index()  # stack drops NaN: a missing row = a missing price
    long.columns = ["date", "symbol", "close"]
    if long.empty:  # nothing to write in long form
        return
    long = long.sample(frac=1.0, random_state=data.draw(st.integers(0, 1000)))
    long.to_csv(folder / "long.csv", index=False, date_format="%Y-%m-%d")
    long_market = load_prices_csv(folder / "long.csv").prices
    present = wide_market.dropna(how="all").dropna(axis=1, how="all")
    _same_market(present, long_market.reindex(index=present.index, columns=present.columns))


def test_unsorted_rows_are_sorted(tmp_path: Path) -> None:
    frame = _sample(50)
    shuffled = frame.sample(frac=1.0, random_state=3)
    market = load_prices_csv(_write_wide(shuffled, tmp_path / "shuffled.csv"))
    assert market.dates.is_monotonic_increasing
    np.testing.assert_allclose(market.prices.to_numpy(), frame.to_numpy(), atol=5e-7)


def test_long_volume_becomes_traded_value(tmp_path: Path) -> None:
    frame = _sample(20, ("KO", "PEP"))
    shares = pd.DataFrame(1000.0, index=frame.index, columns=frame.columns)
    market = load_prices_csv(_write_long(frame, tmp_path / "long.csv", volume=shares))
    assert market.volumes is not None
    np.testing.assert_allclose(market.volumes.to_numpy(), 1000.0 * market.prices.to_numpy())


def test_missing_cells_gzip_times_and_time_zones(tmp_path: Path) -> None:
    text = ("Date,AAA,BBB\n"
            "2022-01-03T16:00:00Z,10.0,\n"
            "2022-01-04 16:00:00+00:00,10.5,NA\n"
            "\n"
            "2022-01-05,11.0,20.0\n")
    path = tmp_path / "p.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    market = load_prices_csv(path)
    assert list(market.dates.strftime("%Y-%m-%d")) == ["2022-01-03", "2022-01-04", "2022-01-05"]
    assert market.prices["BBB"].isna().tolist() == [True, True, False]
    assert market.snapshot("2022-01-05").price("BBB") == 20.0


def test_returns_csv_reproduces_the_returns(tmp_path: Path) -> None:
    prices = _sample(120)
    returns = prices.pct_change().iloc[1:]
    returns.loc[returns.index[:10], "XOM"] = np.nan  # XOM starts later
    path = tmp_path / "returns.csv"
    returns.to_csv(path, date_format="%Y-%m-%d", float_format="%.17g")
    market = load_returns_csv(path)
    index = market.prices
    assert len(index) == len(returns) + 1
    assert index.index[0] == returns.index[0] - pd.offsets.BDay(1)  # daily: the weekday before
    assert (index.iloc[0].drop("XOM") == 1.0).all()
    assert index["XOM"].iloc[10] == 1.0 and index["XOM"].iloc[:10].isna().all()
    back = index.pct_change(fill_method=None).iloc[1:]
    np.testing.assert_allclose(back.to_numpy(), returns.to_numpy(), rtol=1e-12, atol=1e-15)


def test_monthly_returns_start_one_month_earlier() -> None:
    dates = pd.DatetimeIndex(["2000-01-31", "2000-02-29", "2000-03-31", "2000-04-30"])
    frame = returns_to_prices(pd.DataFrame({"A": [0.1, -0.05, 0.02, 0.0]}, index=dates))
    assert frame.index[0] == pd.Timestamp("1999-12-31")
    np.testing.assert_allclose(frame["A"].to_numpy(), [1.0, 1.1, 1.045, 1.0659, 1.0659])
    starts = pd.DatetimeIndex(["1926-07-01", "1926-08-01", "1926-09-01"])
    assert returns_to_prices(pd.DataFrame({"A": [0.0, 0.0, 0.0]}, index=starts)).index[0] == pd.Timestamp("1926-06-01")
    monday = pd.DatetimeIndex(["2024-01-08", "2024-01-09", "2024-01-10"])
    assert returns_to_prices(pd.DataFrame({"A": [0.0, 0.0, 0.0]}, index=monday)).index[0] == pd.Timestamp("2024-01-05")


@pytest.mark.parametrize(("text", "message"), [
    ("date,A\n2020-01-02,0.01\n2020-01-03,-1.0\n", "returns.csv:3 A: a return of -100 % or less"),
    ("date,A\n2020-01-02,0.01\n2020-01-03,\n2020-01-06,0.02\n", "returns.csv:3 A: missing return inside"),
    ("date,A\n2020-01-02,1%\n", "returns.csv:2 A: return is not a number"),
])
def test_bad_returns(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "returns.csv").write_text(text)
    with pytest.raises(PriceFileError, match=message):
        load_returns_csv(tmp_path / "returns.csv")


def test_market_data_specs(tmp_path: Path) -> None:
    frame = _sample(30)
    _write_wide(frame, tmp_path / "p.csv")
    frame.pct_change().iloc[1:].to_csv(tmp_path / "r.csv", date_format="%Y-%m-%d")
    builtin = load_market_data("builtin:us-stocks", base_dir=tmp_path)
    assert builtin.source == "builtin:us-stocks" and "AAPL" in builtin.symbols
    assert load_market_data("p.csv", base_dir=tmp_path).symbols == tuple(frame.columns)
    assert load_market_data("csv:p.csv", base_dir=tmp_path).symbols == tuple(frame.columns)
    assert load_market_data(str(tmp_path / "p.csv"), base_dir=Path("/nonexistent")).symbols == tuple(frame.columns)
    returns = load_market_data("returns:r.csv", base_dir=tmp_path)
    assert returns.prices.iloc[0].eq(1.0).all()


def test_market_data_spec_errors_point_at_the_spec(tmp_path: Path) -> None:
    where = SourceRef("portfolio.yaml", 8, "prices")
    with pytest.raises(PriceFileError, match=r"^portfolio.yaml:8 prices: prices file not found"):
        load_market_data("nope.csv", base_dir=tmp_path, where=where)
    with pytest.raises(PriceFileError, match=r"^portfolio.yaml:8 prices: unknown builtin data set 'us_stocks'.*"
                                             r"did you mean builtin:us-stocks"):
        load_market_data("builtin:us_stocks", base_dir=tmp_path, where=where)
    with pytest.raises(PriceFileError, match="no market data named"):
        load_market_data("  ", base_dir=tmp_path, where=where)


def test_csv_prices_example_file_is_small_and_wide() -> None:
    market = load_prices_csv(EXAMPLES / "csv-prices" / "prices.csv")
    assert 200 <= len(market.dates) <= 500 and 3 <= len(market.symbols) <= 8
    bundled = us_stocks().loc[market.dates, list(market.symbols)]
    np.testing.assert_allclose(market.prices.to_numpy(), bundled.to_numpy(), atol=5e-4)
