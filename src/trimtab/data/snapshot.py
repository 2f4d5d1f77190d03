"""A point-in-time, read-only view of market data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trimtab.errors import LookaheadError, MissingPriceError
from trimtab.typing import FloatArray

__all__ = ["MarketSnapshot"]


@dataclass(frozen=True, eq=False)
class MarketSnapshot:
    """Market data as known at ``as_of``: every row is stamped on or before it.

    Parameters
    ----------
    as_of : pandas.Timestamp
        Decision time; no row after it is held.
    times : pandas.DatetimeIndex of shape (n_times,)
        Row stamps, increasing, all ``<= as_of``.
    symbols : tuple of str of length n_assets
        Column names.
    close : ndarray of shape (n_times, n_assets)
        Prices in dollars per share (NaN where a symbol has no price yet); read-only.
    volume : ndarray of shape (n_times, n_assets), optional
        Traded value in dollars per period (for impact costs); read-only.
    periods_per_year : float
        252 for daily data, 12 for monthly.
    """

    as_of: pd.Timestamp
    times: pd.DatetimeIndex
    symbols: tuple[str, ...]
    close: FloatArray
    volume: FloatArray | None = None
    periods_per_year: float = 252.0

    def __post_init__(self) -> None:
        if len(self.times) and self.times[-1] > self.as_of:
            raise LookaheadError(f"snapshot for {self.as_of:%Y-%m-%d} holds {self.times[-1]:%Y-%m-%d}")
        self.close.setflags(write=False)
        if self.volume is not None:
            self.volume.setflags(write=False)

    # -- point-in-time guards ---------------------------------------------------------------------------
    def check_time(self, t: pd.Timestamp | str) -> pd.Timestamp:
        """Raise :class:`LookaheadError` for a time after ``as_of``; return it as a Timestamp."""
        t = pd.Timestamp(t)
        if t > self.as_of:
            raise LookaheadError(f"asked for {t:%Y-%m-%d} in a snapshot taken at {self.as_of:%Y-%m-%d}; "
                                 "a decision can only use data up to its own date")
        return t

    def column(self, symbol: str) -> int:
        """Column index of ``symbol``."""
        try:
            return self.symbols.index(symbol)
        except ValueError:
            raise MissingPriceError(f"no prices for symbol {symbol!r} in the market data; it has "
                                    f"{', '.join(self.symbols[:25])}{' ...' if len(self.symbols) > 25 else ''}"
                                    ) from None

    # -- prices -------------------------------------------------------------------------------------------
    def price(self, symbol: str, at: pd.Timestamp | str | None = None) -> float:
        """Last known price of ``symbol`` on or before ``at`` (default ``as_of``), dollars per share."""
        j = self.column(symbol)
        end = len(self.times) if at is None else int(self.times.searchsorted(self.check_time(at), "right"))
        col = self.close[:end, j]
        valid = np.flatnonzero(np.isfinite(col) & (col > 0))
        if valid.size == 0:
            when = f"{pd.Timestamp(at) if at is not None else self.as_of:%Y-%m-%d}"
            raise MissingPriceError(f"no price for {symbol} on or before {when}")
        return float(col[valid[-1]])

    def price_row(self, symbols: tuple[str, ...] | list[str] | None = None) -> FloatArray:
        """Last known price of each symbol (all by default) as an array, dollars per share.

        The same values as :meth:`price` for each symbol, read from the last row at once; only symbols
        without a price on that row are looked up one by one (raising :class:`MissingPriceError` as
        :meth:`price` does).

        Returns
        -------
        ndarray of shape (len(symbols),)
        """
        names = self.symbols if symbols is None else tuple(symbols)
        if names == self.symbols:
            cols: np.ndarray | slice = slice(None)
        else:
            cols = np.array([self.column(s) for s in names], dtype=np.intp)
        if not names:
            return np.zeros(0)
        if len(self.times) == 0:
            return np.array([self.price(s) for s in names], dtype=float)
        out = np.array(self.close[len(self.times) - 1, cols], dtype=float)
        missing = ~(np.isfinite(out) & (out > 0))
        for i in np.flatnonzero(missing):
            out[i] = self.price(names[i])
        return out

    def last_prices(self, symbols: tuple[str, ...] | list[str] | None = None) -> dict[str, float]:
        """Last known price of each symbol (all by default), dollars per share."""
        return {s: self.price(s) for s in (symbols if symbols is not None else self.symbols)}

    def prices(self, symbols: list[str] | tuple[str, ...] | None = None,
               lookback: int | None = None) -> pd.DataFrame:
        """Price history as a new DataFrame (rows <= as_of), optionally only the last ``lookback`` rows."""
        cols = list(self.symbols) if symbols is None else [self.column(s) for s in symbols]
        idx = slice(None) if symbols is None else cols
        data = self.close[:, idx] if symbols is not None else self.close
        frame = pd.DataFrame(np.array(data, copy=True), index=self.times,
                             columns=list(self.symbols) if symbols is None else list(symbols))
        return frame.iloc[-lookback:] if lookback else frame

    def returns(self, symbols: list[str] | tuple[str, ...] | None = None,
                lookback: int | None = None) -> pd.DataFrame:
        """Simple returns per period (first row dropped), optionally the last ``lookback`` of them."""
        frame = self.prices(symbols, None if lookback is None else lookback + 1)
        return frame.pct_change(fill_method=None).iloc[1:]

    def average_volume(self, symbol: str, lookback: int = 20) -> float | None:
        """Mean traded value per period over the last ``lookback`` rows, dollars; None without volumes."""
        if self.volume is None:
            return None
        col = self.volume[-lookback:, self.column(symbol)]
        col = col[np.isfinite(col)]
        return float(col.mean()) if col.size else None
