"""MarketData: the history store that hands out point-in-time snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trimtab.data.snapshot import MarketSnapshot
from trimtab.errors import DataError, MissingPriceError

__all__ = ["MarketData", "infer_periods_per_year"]


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """252 for daily-like, 52 weekly, 12 monthly, 4 quarterly, 1 annual spacing (median gap)."""
    if len(index) < 3:
        return 252.0
    gap_days = float(np.median(np.diff(index.values).astype("timedelta64[D]").astype(float)))
    for limit, periods in ((4.5, 252.0), (10.0, 52.0), (45.0, 12.0), (120.0, 4.0)):
        if gap_days <= limit:
            return periods
    return 1.0


@dataclass(frozen=True, eq=False)
class MarketData:
    """Prices (and optional traded value) by date and symbol.

    Parameters
    ----------
    prices : pandas.DataFrame of shape (n_times, n_assets)
        Dollars per share; a sorted, unique, tz-naive DatetimeIndex; float64; NaN before a symbol lists.
    volumes : pandas.DataFrame, optional
        Traded value in dollars per period, same index and columns as ``prices``.
    source : str
        Where the data came from (``builtin:us-stocks``, a file path) for messages and reports.
    periods_per_year : float, optional
        Inferred from the index spacing when omitted.
    """

    prices: pd.DataFrame
    volumes: pd.DataFrame | None = None
    source: str = "memory"
    periods_per_year: float = field(default=0.0)

    def __post_init__(self) -> None:
        prices = self.prices
        if not isinstance(prices.index, pd.DatetimeIndex):
            raise DataError(f"{self.source}: prices need a date index")
        if prices.index.tz is not None:
            prices = prices.tz_localize(None)
        if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
            raise DataError(f"{self.source}: dates must be increasing and unique")
        prices = prices.astype("float64")
        prices.columns = [str(c) for c in prices.columns]
        object.__setattr__(self, "prices", prices)
        if self.volumes is not None:
            object.__setattr__(self, "volumes",
                               self.volumes.reindex(index=prices.index, columns=prices.columns).astype("float64"))
        if not self.periods_per_year:
            object.__setattr__(self, "periods_per_year", infer_periods_per_year(prices.index))
        object.__setattr__(self, "_close", prices.to_numpy(copy=True))
        object.__setattr__(self, "_volume", None if self.volumes is None else self.volumes.to_numpy(copy=True))

    @property
    def symbols(self) -> tuple[str, ...]:
        """Column names."""
        return tuple(self.prices.columns)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Row stamps."""
        return self.prices.index  # type: ignore[return-value]

    @property
    def first_date(self) -> pd.Timestamp:
        """First row's date."""
        return self.dates[0]

    @property
    def last_date(self) -> pd.Timestamp:
        """Last row's date."""
        return self.dates[-1]

    def snapshot(self, as_of: pd.Timestamp | str | None = None) -> MarketSnapshot:
        """Read-only view of every row stamped on or before ``as_of`` (default: the last date)."""
        t = self.last_date if as_of is None else pd.Timestamp(as_of)
        if t < self.first_date:
            raise MissingPriceError(f"{self.source}: no data on or before {t:%Y-%m-%d}; "
                                    f"it starts {self.first_date:%Y-%m-%d}")
        end = int(self.dates.searchsorted(t, "right"))
        close: np.ndarray = self._close[:end]  # type: ignore[attr-defined]
        volume = None if self._volume is None else self._volume[:end]  # type: ignore[attr-defined]
        return MarketSnapshot(as_of=t, times=self.dates[:end], symbols=self.symbols,
                              close=close.view(), volume=None if volume is None else volume.view(),
                              periods_per_year=self.periods_per_year)

    def select(self, symbols: list[str] | tuple[str, ...]) -> MarketData:
        """Only these symbols (raises naming any that are missing)."""
        missing = [s for s in symbols if s not in self.prices.columns]
        if missing:
            raise MissingPriceError(f"{self.source}: no prices for {', '.join(missing)}; it has "
                                    f"{', '.join(self.symbols[:25])}{' ...' if len(self.symbols) > 25 else ''}")
        return MarketData(self.prices[list(symbols)],
                          None if self.volumes is None else self.volumes[list(symbols)],
                          self.source, self.periods_per_year)

    def between(self, start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None) -> MarketData:
        """Rows with ``start <= date <= end``."""
        prices = self.prices.loc[start:end]  # type: ignore[misc]
        volumes = None if self.volumes is None else self.volumes.loc[prices.index]
        return MarketData(prices, volumes, self.source, self.periods_per_year)
