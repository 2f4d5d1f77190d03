"""Helpers for policy tests: decision contexts built from explicit weights."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest

from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.policies.base import CostEstimate, DecisionContext


def synthetic_market(
    symbols: tuple[str, ...], start: str = "2021-01-01", end: str = "2023-12-29", seed: int = 0
) -> MarketData:
    """Daily prices on NYSE sessions: a seeded lognormal walk per symbol, dollars per share."""
    sessions = nyse_sessions()
    index = sessions[(sessions >= pd.Timestamp(start)) & (sessions <= pd.Timestamp(end))]
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0003, 0.012, size=(len(index), len(symbols)))
    prices = 100.0 * np.exp(np.cumsum(steps, axis=0))
    return MarketData(pd.DataFrame(prices, index=index, columns=list(symbols)), source="synthetic")


ContextFactory = Callable[..., DecisionContext]


@pytest.fixture(scope="session")
def make_context() -> ContextFactory:
    """``make_context(weights, target, cash=..., ...)``: a DecisionContext on synthetic daily data."""
    markets: dict[tuple[str, ...], MarketData] = {}

    def make(
        weights: Mapping[str, float],
        target: Mapping[str, float],
        *,
        cash: float | None = None,
        target_cash: float | None = None,
        as_of: str = "2022-12-28",
        value: float = 1_000_000.0,
        covariance: np.ndarray | None = None,
        cost: CostEstimate | None = None,
        market: MarketData | None = None,
    ) -> DecisionContext:
        symbols = tuple(target)
        if market is None:
            if symbols not in markets:
                markets[symbols] = synthetic_market(symbols)
            market = markets[symbols]
        w = np.array([weights.get(s, 0.0) for s in symbols], dtype=float)
        w_target = np.array([target[s] for s in symbols], dtype=float)
        cash_weight = 1.0 - float(w.sum()) if cash is None else cash
        cash_target = 1.0 - float(w_target.sum()) if target_cash is None else target_cash
        cov = np.eye(len(symbols)) * 0.04 if covariance is None else covariance
        estimate = CostEstimate(0.0, 0.0) if cost is None else cost
        return DecisionContext(
            as_of=pd.Timestamp(as_of),
            symbols=symbols,
            weights=w,
            cash_weight=cash_weight,
            target=w_target,
            target_cash=cash_target,
            value=value,
            snapshot=market.snapshot(as_of),
            covariance=lambda: cov,
            cost_of=lambda _weights: estimate,
        )

    return make
