"""Fixtures for the optimizer tests: synthetic markets and decision contexts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from trimtab.data.snapshot import MarketSnapshot
from trimtab.policies.base import DecisionContext


def _market(n: int, periods: int = 300, seed: int = 0, volume: float | None = 5e7) -> MarketSnapshot:
    rng = np.random.default_rng(seed)
    times = pd.bdate_range("2020-01-01", periods=periods)
    market = rng.normal(0.0, 0.008, size=(periods, 1))
    rets = rng.normal(0.0003, 0.01, size=(periods, n)) + market * rng.uniform(0.5, 1.5, size=n)
    close = 50.0 * np.cumprod(1.0 + rets, axis=0)
    symbols = tuple(f"S{i:04d}" for i in range(n))
    vol = None if volume is None else np.full((periods, n), volume)
    return MarketSnapshot(as_of=times[-1], times=times, symbols=symbols, close=close, volume=vol)


@pytest.fixture
def make_context() -> Callable[..., DecisionContext]:
    """``make_context(w, target, value=..., seed=..., covariance=...)`` on a synthetic daily market."""

    def make(
        w: np.ndarray,
        target: np.ndarray,
        *,
        value: float = 1_000_000.0,
        seed: int = 0,
        covariance: np.ndarray | None = None,
        volume: float | None = 5e7,
        cash: float | None = None,
        target_cash: float | None = None,
    ) -> DecisionContext:
        w = np.asarray(w, dtype=float)
        target = np.asarray(target, dtype=float)
        snap = _market(len(w), seed=seed, volume=volume)
        cov = None if covariance is None else (lambda: np.asarray(covariance, dtype=float))
        return DecisionContext(
            as_of=snap.as_of,
            symbols=snap.symbols,
            weights=w,
            cash_weight=1.0 - w.sum() if cash is None else cash,
            target=target,
            target_cash=1.0 - target.sum() if target_cash is None else target_cash,
            value=value,
            snapshot=snap,
            covariance=cov,
        )

    return make
