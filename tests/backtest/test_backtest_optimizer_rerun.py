"""The optimizer policy's warm starts never leak from one run into another.

The QP fast path warm-starts DAQP from the previous date's working set (answers within ~1e-9 of a cold
start, not bit-identical). A policy object reused for a second backtest, or for a decision at an earlier
date, must start cold: the same inputs then give bit-identical outputs, whatever was solved before.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from trimtab.backtest import Scenario, simulate
from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import CostSettings
from trimtab.domain.targets import TargetAllocation
from trimtab.policies.optimizer import build_optimizer_policy


def _scenario(seed: int, n: int = 8, periods: int = 60) -> Scenario:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0.0, 0.01, (n, 2))
    sigma = loadings @ loadings.T + np.diag(rng.uniform(0.01, 0.02, n) ** 2)
    sessions = nyse_sessions()
    index = sessions[sessions >= pd.Timestamp("2015-01-02")][:periods]
    returns = rng.multivariate_normal(np.full(n, 0.0003), sigma, size=periods - 1)
    prices = np.vstack([np.full(n, 40.0), 40.0 * np.cumprod(1.0 + returns, axis=0)])
    symbols = [f"S{i}" for i in range(n)]
    annual = sigma * 252
    return Scenario(
        market=MarketData(pd.DataFrame(prices, index=index, columns=symbols), source="synthetic"),
        targets=TargetAllocation({s: 1.0 / n for s in symbols}),
        initial_value=Decimal(1_000_000),
        account_kind=AccountKind.TAX_DEFERRED,
        costs=CostSettings(half_spread_bps=5),
        covariance=lambda snapshot, names: annual,
    )


def test_reused_policy_gives_bit_identical_runs_after_another_run() -> None:
    costs = CostSettings(half_spread_bps=5)
    first, other = _scenario(0), _scenario(1)
    fresh = simulate(build_optimizer_policy({"te_weight": 1.0, "tc_weight": 1.0}, costs=costs), first)
    reused = build_optimizer_policy({"te_weight": 1.0, "tc_weight": 1.0}, costs=costs)
    simulate(reused, other)  # leaves a warm working set behind
    again = simulate(reused, first)
    assert fresh.rebalance_events > 0
    assert np.array_equal(fresh.weights, again.weights)
    assert np.array_equal(fresh.value, again.value)
