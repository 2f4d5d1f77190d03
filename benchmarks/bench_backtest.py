"""Backtest speed: a threshold rule against a bare numpy loop, and an optimizer policy against cvxportfolio.

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--repeats 5] [--assets 50] [--years 5]``, plus
``--cvxportfolio`` for the second part (needs ``pip install -e .[bench]``).

**Threshold rule vs numpy.**
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
sizing of 50 buys and sells, lots, ledger-free booking) on the dates with trades. The last line times
``plan_trades`` alone on the plans of one run (recorded, then made again).

**Optimizer vs cvxportfolio** (``--cvxportfolio``). The same single-period optimization on the same data:
minimize ``TE^2 (annualized variance of w - w_target) + 5 bp * sum |z|`` subject to long-only and cash >= 0,
with the same constant covariance (a 3-factor model the returns are drawn from), starting on target, 5 bp
costs charged in the simulation, Clarabel on both sides. trimtab: ``ConvexRebalancer`` (the ``optimizer``
kind) in :func:`trimtab.backtest.simulate` with ``Scenario(covariance=...)``; cvxportfolio:
``SinglePeriodOptimization(-252 * FullCovariance(Sigma_daily) - TransactionCost(a=5e-4))`` with
``LongOnly()``, ``LongCash()`` and the target as benchmark, in ``MarketSimulator`` (no share rounding). The
post-trade weights of the two runs are compared date by date, and the time per period is measured in the
same process, interleaved.
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


def optimizer_comparison(n: int, years: int, repeats: int) -> None:
    """trimtab's optimizer policy in its simulator against cvxportfolio's SPO in its MarketSimulator."""
    import cvxportfolio as cvx

    from trimtab.domain import Account, Household, TaxLot
    from trimtab.policies.optimizer import build_optimizer_policy
    from trimtab.units import quantity

    rng = np.random.default_rng(1)
    loadings = rng.normal(0.0, 0.01, (n, 3))
    sigma_daily = loadings @ loadings.T + np.diag(rng.uniform(0.01, 0.02, n) ** 2)
    sessions = nyse_sessions()
    index = sessions[sessions >= pd.Timestamp("2012-01-03")][: years * 252 + 2]
    returns = rng.multivariate_normal(np.full(n, 0.0003), sigma_daily, size=len(index) - 1)
    symbols = [f"S{i:03d}" for i in range(n)]
    prices = np.vstack([np.full(n, 50.0), 50.0 * np.cumprod(1.0 + returns, axis=0)])
    frame = pd.DataFrame(prices, index=index, columns=symbols)
    value = 1_000_000.0
    costs = CostSettings(half_spread_bps=SPREAD * 1e4)
    lots = tuple(
        TaxLot(
            account="a",
            symbol=s,
            quantity=quantity(float(value / n / prices[1, j])),
            cost_basis=Decimal(int(value / n)),
            acquired=index[0].date(),
        )
        for j, s in enumerate(symbols)
    )
    household = Household(name="bench", accounts=(Account(id="a", kind=AccountKind.TAX_DEFERRED),), lots=lots)
    annual = sigma_daily * 252
    sc = Scenario(
        market=MarketData(frame, source="synthetic"),
        targets=TargetAllocation({s: 1.0 / n for s in symbols}),
        household=household,
        start=index[1],
        costs=costs,
        covariance=lambda snapshot, names: annual,
    )
    cvx_returns = frame.pct_change().shift(-1).iloc[:-1]  # cvxportfolio: the return from t to t+1, stamped t
    cvx_returns["USDOLLAR"] = 0.0
    benchmark = pd.Series([1.0 / n] * n + [0.0], index=cvx_returns.columns)
    start_h = pd.Series([value / n] * n + [0.0], index=cvx_returns.columns)

    # solves of the optimizer's QP fast path, how many fell back to Clarabel on the full problem, and how many
    # DAQP answers were rejected (Clarabel then solved the reduced QP)
    fast_path = [0, 0, 0]

    def trimtab_run() -> tuple[float, float, object]:
        policy = build_optimizer_policy({"te_weight": 1.0, "tc_weight": 1.0}, costs=costs)
        start, cpu = time.perf_counter(), time.process_time()
        run = simulate(policy, sc)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        for problem in policy._compiled.values():
            fast_path[0] += problem.qp_solves
            fast_path[1] += problem.qp_fallbacks
            fast_path[2] += problem.qp_active_set_fallbacks
        return seconds, cpu, run

    def cvx_run() -> tuple[float, object]:
        policy = cvx.SinglePeriodOptimization(
            objective=-252 * cvx.FullCovariance(pd.DataFrame(sigma_daily, index=symbols, columns=symbols))
            - cvx.TransactionCost(a=SPREAD, b=None),
            constraints=[cvx.LongOnly(), cvx.LongCash()],
            benchmark=benchmark,
            solver="CLARABEL",
        )
        simulator = cvx.MarketSimulator(
            returns=cvx_returns,
            costs=[cvx.TransactionCost(a=SPREAD, b=None)],
            cash_key="USDOLLAR",
            round_trades=False,
            min_history=pd.Timedelta(0),
        )
        start, cpu = time.perf_counter(), time.process_time()
        result = simulator.backtest(policy, start_time=index[1], end_time=index[-1], h=start_h)
        return time.perf_counter() - start, time.process_time() - cpu, result

    # wall time, and CPU time of this process (both sides run single-threaded here: on a shared machine the
    # CPU time is the steadier of the two)
    ours: list[float] = []
    theirs: list[float] = []
    ours_cpu: list[float] = []
    theirs_cpu: list[float] = []
    for _ in range(repeats):
        seconds, cpu, run = trimtab_run()
        ours.append(seconds)
        ours_cpu.append(cpu)
        seconds, cpu, result = cvx_run()
        theirs.append(seconds)
        theirs_cpu.append(cpu)
    common = result.w_plus.index.intersection(run.dates)  # type: ignore[attr-defined]
    rows = run.dates.get_indexer(common)  # type: ignore[attr-defined]
    gap = np.abs(result.w_plus.loc[common].iloc[:, :n].to_numpy() - run.weights[rows])  # type: ignore[attr-defined]
    traded_ours = np.abs(run.weights[rows] - run.weights_before[rows]).sum(axis=1)  # type: ignore[attr-defined]
    traded_theirs = np.abs(result.z.loc[common].iloc[:, :n].to_numpy()).sum(axis=1)  # type: ignore[attr-defined]
    periods = len(common)
    per_ours = statistics.median(ours) / periods * 1e3
    per_theirs = statistics.median(theirs) / periods * 1e3
    cpu_ours = statistics.median(ours_cpu) / periods * 1e3
    cpu_theirs = statistics.median(theirs_cpu) / periods * 1e3
    print(
        f"\noptimizer policy, {n} assets x {periods} daily periods, {repeats} repeats (median), cvxportfolio "
        f"{cvx.__version__}"
    )
    # cvxportfolio's last row has no weights (NaN): skip it without a warning
    daily_gap = np.nanmax(np.where(np.isnan(gap), -np.inf, gap), axis=1)
    daily_gap = daily_gap[np.isfinite(daily_gap)]
    print(
        f"post-trade weights: largest gap {np.nanmax(gap):.1e}, median daily largest gap "
        f"{np.median(daily_gap):.1e}; mean daily |z|: trimtab {np.nanmean(traded_ours):.5f}, "
        f"cvxportfolio {np.nanmean(traded_theirs):.5f}; final value: trimtab "
        f"{run.value[rows][-1]:,.2f}, cvxportfolio {result.v.loc[common].iloc[-1]:,.2f}"
    )  # type: ignore[attr-defined]
    print(
        f"trimtab's QP fast path: {fast_path[0]} solves, {fast_path[2]} DAQP answers rejected (Clarabel on "
        f"the reduced QP), {fast_path[1]} fell back to Clarabel on the full problem"
    )
    print(
        "| simulator | ms per period (wall) | cvxportfolio / trimtab | ms per period (CPU) "
        "| cvxportfolio / trimtab |"
    )
    print("|---|---:|---:|---:|---:|")
    print(
        f"| trimtab | {per_ours:.2f} | {per_theirs / per_ours:.2f} | {cpu_ours:.2f} | "
        f"{cpu_theirs / cpu_ours:.2f} |"
    )
    print(f"| cvxportfolio | {per_theirs:.2f} | 1.00 | {cpu_theirs:.2f} | 1.00 |")


def planner_alone(policy: object, sc: Scenario, repeats: int) -> tuple[list[tuple[tuple, dict]], float]:
    """The ``plan_trades`` calls of one run (recorded), and the median seconds to make all of them again."""
    from trimtab.backtest import simulator
    from trimtab.trades.planner import plan_trades

    calls: list[tuple[tuple, dict]] = []

    def recording(*args: object, **kwargs: object) -> object:
        calls.append((args, kwargs))
        return plan_trades(*args, **kwargs)

    simulator.plan_trades = recording  # type: ignore[assignment]
    try:
        simulate(policy, sc)  # type: ignore[arg-type]
    finally:
        simulator.plan_trades = plan_trades
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for args, kwargs in calls:
            plan_trades(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return calls, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument(
        "--cvxportfolio", action="store_true", help="also compare the optimizer with cvxportfolio"
    )
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
    print(f"\ntrade planner and booking per date with trades (initial purchase included): {planner:.1f} ms")
    plans, seconds = planner_alone(policy, sc, args.repeats)
    print(
        f"trade planner alone (plan_trades on the run's {len(plans)} plans, {args.assets} symbols, median of "
        f"{args.repeats}): {seconds / len(plans) * 1e3:.2f} ms per plan"
    )
    if args.cvxportfolio:
        optimizer_comparison(args.assets, args.years, max(1, args.repeats // 3))


if __name__ == "__main__":
    main()
