"""Helpers for backtest tests: seeded synthetic markets and scenarios."""

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


def daily_market(
    symbols: tuple[str, ...] = ("AAA", "BBB", "CCC"),
    start: str = "2018-01-02",
    end: str = "2020-12-31",
    seed: int = 0,
    vol: float = 0.015,
    drift: float = 0.0003,
    price: float = 100.0,
    volumes: bool = False,
) -> MarketData:
    """Seeded lognormal daily prices on NYSE sessions (dollars per share)."""
    sessions = nyse_sessions()
    index = sessions[(sessions >= pd.Timestamp(start)) & (sessions <= pd.Timestamp(end))]
    rng = np.random.default_rng(seed)
    steps = rng.normal(drift, vol, size=(len(index), len(symbols)))
    prices = price * np.exp(np.cumsum(steps, axis=0))
    frame = pd.DataFrame(prices, index=index, columns=list(symbols))
    vol_frame = None
    if volumes:
        vol_frame = pd.DataFrame(rng.uniform(5e7, 2e8, size=prices.shape), index=index, columns=list(symbols))
    return MarketData(frame, vol_frame, source=f"synthetic(seed={seed})")


def monthly_market(
    symbols: tuple[str, ...] = ("STOCKS", "BONDS"), start: str = "1990-01-31", months: int = 60, seed: int = 0
) -> MarketData:
    """Seeded monthly prices stamped on month ends."""
    index = pd.date_range(start, periods=months, freq="ME")
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.005, 0.04, size=(months, len(symbols)))
    prices = 100.0 * np.exp(np.cumsum(steps, axis=0))
    return MarketData(
        pd.DataFrame(prices, index=index, columns=list(symbols)),
        source=f"monthly(seed={seed})",
        periods_per_year=12.0,
    )


def equal_targets(symbols: tuple[str, ...]) -> TargetAllocation:
    """Equal weights summing to 1 exactly (the last absorbs rounding)."""
    n = len(symbols)
    weights = {s: 1.0 / n for s in symbols[:-1]}
    weights[symbols[-1]] = 1.0 - sum(weights.values())
    return TargetAllocation(weights)


def scenario(
    market: MarketData | None = None,
    *,
    value: float = 1_000_000.0,
    spread_bps: float = 0.0,
    st: float = 0.0,
    lt: float = 0.0,
    kind: AccountKind = AccountKind.TAXABLE,
    targets: TargetAllocation | None = None,
    **kw: object,
) -> Scenario:
    """A scenario on ``market`` (default a 3-asset daily market) bought with ``value`` dollars."""
    market = market if market is not None else daily_market()
    return Scenario(
        market=market,
        targets=targets or equal_targets(market.symbols),
        initial_value=Decimal(repr(value)),
        account_kind=kind,
        costs=CostSettings(half_spread_bps=spread_bps),
        tax=TaxSettings(short_term_rate=st, long_term_rate=lt),
        **kw,
    )  # type: ignore[arg-type]
