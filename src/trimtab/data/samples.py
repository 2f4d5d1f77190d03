"""Bundled real market data, loaded by name (``builtin:us-stocks`` ...).

Files under ``trimtab/data/sample/`` are vendored byte for byte (see ``SOURCES.md`` there). They are
demo and test data, not market data: 20 stocks chosen with hindsight (survivors), adjusted for splits and
dividends.
"""

from __future__ import annotations

import gzip
import io
from importlib import resources

import pandas as pd

__all__ = ["read_sample", "us_stocks"]


def read_sample(name: str) -> pd.DataFrame:
    """Read a vendored ``.csv.gz`` as float64 with a tz-naive DatetimeIndex named ``Date``."""
    blob = resources.files("trimtab.data.sample").joinpath(name).read_bytes()
    out = pd.read_csv(io.BytesIO(gzip.decompress(blob)), index_col=0)
    out.index = pd.DatetimeIndex(pd.to_datetime(out.index, format="%Y-%m-%d"), name="Date")
    return out.astype("float64")


def us_stocks() -> pd.DataFrame:
    """20 large US stocks, adjusted close, daily 1990-01-02..2022-12-28 (8313 x 20), dollars per share."""
    return read_sample("sp500_dataset.csv.gz")
