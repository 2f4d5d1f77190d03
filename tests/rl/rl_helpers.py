"""Small scenarios for the RL tests."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from trimtab.backtest import Scenario
from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import CostSettings, TaxSettings
from trimtab.domain.targets import TargetAllocation


def daily_market(seed: int = 0, start: str = "2015-01-02", end: str = "2018-12-31") -> MarketData:
    """Two seeded lognormal daily price paths (a volatile and a calm asset) on NYSE sessions."""
    sessions = nyse_sessions()
    index = sessions[(sessions >= pd.Timestamp(start)) & (sessions <= pd.Timestamp(end))]
    rng = np.random.default_rng(seed)
    steps = rng.normal([0.0004, 0.0001], [0.015, 0.004], size=(len(index), 2))
    prices = 100.0 * np.exp(np.cumsum(steps, axis=0))
    return MarketData(
        pd.DataFrame(prices, index=index, columns=["STK", "BND"]), source=f"rl-synthetic({seed})"
    )


def scenario(
    market: MarketData | None = None,
    *,
    spread_bps: float = 5.0,
    st: float = 0.37,
    lt: float = 0.20,
    start: str = "2016-01-04",
    end: str | None = None,
    kind: AccountKind = AccountKind.TAXABLE,
) -> Scenario:
    market = market if market is not None else daily_market()
    return Scenario(
        market=market,
        targets=TargetAllocation({"STK": 0.6, "BND": 0.4}),
        start=pd.Timestamp(start),
        end=pd.Timestamp(end) if end is not None else None,
        initial_value=Decimal(1000000),
        account_kind=kind,
        costs=CostSettings(half_spread_bps=spread_bps),
        tax=TaxSettings(short_term_rate=st, long_term_rate=lt),
        risk_lookback=120,
    )
