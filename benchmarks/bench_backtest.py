"""Backtest speed: a threshold rule in trimtab's simulator against a bare numpy loop of the same rule.

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--repeats 5] [--assets 50] [--years 5]``

Data: ``--assets`` synthetic stocks (seeded lognormal, daily, 252 a year) for ``--years`` years; equal
targets; $1M in a tax-deferred account; 5 bp half spread; a 1 pp absolute band checked every day, trading
back to target. Both sides run on the same data in the same process, interleaved ``--repeats`` times
(median reported), BLAS pinned to one thread:

* ``trimtab fast``: :func:`trimtab.backtest.simulate` with the exact hold screen (the default);
* ``trimtab exact``: ``exact=True``, the policy's ``decide`` called at every date;
* ``numpy``: a plain loop over a (T, n) price array: mark to market, check the band, and on a trade sell the
  excess, buy the shortfall scaled to the cash left after the 5 bp cost (float shares, no lots, no
  Decimal, no records besides the value path).

The ratio trimtab / numpy is the price of the real objects (policy decide, Decimal trade planner with lots,
self-financing check, per-period records). The final values agree to about 1e-6 (the planner's cent
rounding of costs and 1e-6-share steps). The ``no trades`` lines use a 99 pp band that never fires after the
initial purchase, so they time the per-period loop alone; the difference is the trade planner (Decimal
sizing of 50 buys and sells, lots, ledger-free booking) on the dates with trades.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import platform
import statistics
import time
from decimal import Decimal

import threadpoolctl

threadpoolctl.threadpool_limits(limits=1)

import numpy as np
import pandas as pd

from trimtab.backtest import Scenario, simulate
from trimtab.data.calendar import nyse_sessions
from trimtab.data.market import MarketData
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import CostSettings, PolicySpec
from trimtab.domain.targets import TargetAllocation
from trimtab.policies.registry import build_policy

BAND = 0.01
SPREAD = 5e-4
#: A band no asset reaches: only the loop (mark to market, screen, records) is timed.
WIDE = 0.99


def market(n: int, years: int, seed: int = 0) -> MarketData:
    sessions = nyse_sessions()
    index = sessions[sessions >= pd.Timestamp("2010-01-04")][: years * 252 + 1]
    rng = np.random.default_rng(seed)
    prices = 50.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, size=(len(index), n)), axis=0))
    return MarketData(
        pd.DataFrame(prices, index=index, columns=[f"S{i:03d}" for i in range(n)]), source="synthetic"
    )


def numpy_loop(
    prices: np.ndarray, target: np.ndarray, value: float, band: float = BAND
) -> tuple[np.ndarray, int]:
    """The same rule on floats: returns the value path and the number of rebalancing events."""
    cash = value
    shares = np.zeros(prices.shape[1])
    out = np.empty(len(prices))
    events = 0
    for k in range(len(prices)):
        p = prices[k]
        h = shares * p
        v = h.sum() + cash
        w = h / v
        if k == 0 or np.max(np.abs(w - target)) > band + 1e-12:
            goal = target * v
            sell = np.clip(h - goal, 0.0, None)
            cash += sell.sum() * (1.0 - SPREAD)
            h = h - sell
            buy = np.clip(goal - h, 0.0, None)
            wanted = buy.sum()
            if wanted > 0:
                scale = min(1.0, cash / (wanted * (1.0 + SPREAD)))
                buy *= scale
                cash -= buy.sum() * (1.0 + SPREAD)
                h = h + buy
            shares = h / p
            events += int(k > 0)
        out[k] = (shares * p).sum() + cash
    return out, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    data = market(args.assets, args.years)
    symbols = data.symbols
    weights = {s: 1.0 / len(symbols) for s in symbols}
    sc = Scenario(
        market=data,
        targets=TargetAllocation(weights),
        initial_value=Decimal(1_000_000),
        account_kind=AccountKind.TAX_DEFERRED,
        costs=CostSettings(half_spread_bps=SPREAD * 1e4),
    )
    policy = build_policy(PolicySpec("threshold", {"band": BAND}))
    prices = data.prices.to_numpy()
    target = np.full(len(symbols), 1.0 / len(symbols))
    periods = len(sc.dates)
    simulate(policy, sc)  # warm caches (calendar, imports)
    wide = build_policy(PolicySpec("threshold", {"band": WIDE}))
    short = Scenario(
        market=data,
        targets=TargetAllocation(weights),
        initial_value=Decimal(1_000_000),
        account_kind=AccountKind.TAX_DEFERRED,
        costs=CostSettings(half_spread_bps=SPREAD * 1e4),
        end=sc.dates[1],
    )
    times: dict[str, list[float]] = {
        "trimtab fast": [],
        "trimtab exact": [],
        "numpy": [],
        "trimtab fast, no trades": [],
        "numpy, no trades": [],
    }
    for _ in range(args.repeats):
        # the loop alone: a run that never trades after the initial purchase, minus a two-date run
        start = time.perf_counter()
        simulate(wide, sc)
        middle = time.perf_counter()
        simulate(wide, short)
        times["trimtab fast, no trades"].append(2 * middle - start - time.perf_counter())
        start = time.perf_counter()
        numpy_loop(prices, target, 1_000_000.0, band=WIDE)
        middle = time.perf_counter()
        numpy_loop(prices[:2], target, 1_000_000.0, band=WIDE)
        times["numpy, no trades"].append(2 * middle - start - time.perf_counter())
        start = time.perf_counter()
        fast = simulate(policy, sc)
        times["trimtab fast"].append(time.perf_counter() - start)
        start = time.perf_counter()
        exact = simulate(policy, sc, exact=True)
        times["trimtab exact"].append(time.perf_counter() - start)
        start = time.perf_counter()
        path, events = numpy_loop(prices, target, 1_000_000.0)
        times["numpy"].append(time.perf_counter() - start)
    per = {
        k: statistics.median(v) / (periods - (2 if "no trades" in k else 0)) * 1e6 for k, v in times.items()
    }
    print(
        f"{platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
        f"{args.assets} assets x {periods} daily periods, {args.repeats} repeats (median)"
    )
    print(
        f"events: trimtab {fast.rebalance_events}, numpy {events}; "
        f"final value: trimtab {fast.value[-1]:,.2f}, "
        f"numpy {path[-1]:,.2f} (relative gap {abs(fast.value[-1] / path[-1] - 1):.1e}); "
        f"fast == exact: {bool(np.array_equal(fast.value, exact.value))}"
    )
    print("| loop | microseconds per period | ratio to numpy |")
    print("|---|---:|---:|")
    for key in ("trimtab fast", "trimtab exact", "numpy"):
        print(f"| {key} | {per[key]:.1f} | {per[key] / per['numpy']:.2f} |")
    for key in ("trimtab fast, no trades", "numpy, no trades"):
        print(f"| {key} | {per[key]:.1f} | {per[key] / per['numpy, no trades']:.2f} |")
    planner = (
        (per["trimtab fast"] - per["trimtab fast, no trades"]) * periods / 1e3 / (fast.rebalance_events + 1)
    )
    print(
        f"\ntrade planner and booking per date with trades (initial purchase included): {planner:.0f} ms"
    )


if __name__ == "__main__":
    main()
