"""Our single-period optimizer against cvxportfolio's SinglePeriodOptimization on the same problem.

Run: ``.venv/bin/python benchmarks/bench_cvxportfolio.py [--repeats 20]`` (needs the ``bench`` extra:
``pip install cvxportfolio``).

The problem, identical on both sides (BLAS pinned to one thread, Clarabel on both):

    minimise  TE^2(w_plus - w_target)  +  tc_weight * [ a |z| + b sigma |z|^(3/2) (v / V)^(1/2) ]
    s.t.      w_plus >= 0 (long only), cash_plus >= 0, sum(|z| over assets) / 2 <= 3 % (binds in most draws)

with the same annualised covariance (given to cvxportfolio as ``FullCovariance(Sigma=DataFrame)``), the same
daily volatilities and traded values (``TransactionCost(a, b, volume_hat=Series, sigma=Series)``), the target
weights as cvxportfolio's ``benchmark`` (risk is measured on ``w_plus - w_benchmark`` there), no return
forecast and no cash return.  cvxportfolio runs without a market-data server (``execute(h, None, t)``, its
1.4+ option), so its time is the policy's own work: parameter updates, cvxpy's ``Problem.solve`` and its
result handling.  Ours is ``RebalanceProblem.solve`` (Parameter binding, Clarabel through the direct path,
exact constraint re-check); "ours + data" adds building the :class:`ProblemData` from arrays.

Cases: the 20 bundled stocks (covariance from their last 252 daily returns, annualised) and synthetic
universes of 100 and 300 assets (dense covariance from a 10-factor model).  Every repetition draws new
holdings around the target and solves both; reported are the largest absolute difference of the trade weights
``z`` and how much higher the exact objective (our numpy ``evaluate``) is at cvxportfolio's trades than at ours,
in basis points of value (positive: ours is the better optimum; cvxportfolio's trades are feasible for our
constraints up to solver tolerance).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import logging
import platform
import statistics
import time
import warnings

import threadpoolctl

threadpoolctl.threadpool_limits(limits=1)

import clarabel
import cvxpy as cp
import numpy as np
import pandas as pd

from trimtab.data.samples import us_stocks
from trimtab.models.base import ProblemData
from trimtab.models.constraints import CashBounds, LongOnly, TurnoverAtMost
from trimtab.models.costs import LinearCost, MarketImpact
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost

HALF_SPREAD = 5e-4  # 5 bp
IMPACT_B = 1.0
TC_WEIGHT = 2.0
TURNOVER = 0.03
VALUE = 1e7


def universe(n: int, rng: np.random.Generator) -> dict[str, object]:
    """Symbols, covariance (annualised), daily sigma, dollar volume and a target."""
    if n == 20:
        prices = us_stocks()
        rets = prices.pct_change(fill_method=None).iloc[-252:]
        symbols = tuple(prices.columns)
        cov = rets.cov().to_numpy() * 252
        sigma = rets.std().to_numpy()
    else:
        symbols = tuple(f"S{i:04d}" for i in range(n))
        loadings = rng.normal(scale=0.2, size=(n, 10))
        cov = loadings @ np.diag(rng.uniform(0.5, 1.5, 10) * 0.04) @ loadings.T + np.diag(
            rng.uniform(0.01, 0.06, n)
        )
        sigma = np.sqrt(np.diag(cov) / 252)
    volume = 10 ** rng.uniform(7.0, 9.0, len(symbols))
    target = rng.dirichlet(np.ones(len(symbols))) * 0.97
    return {"symbols": symbols, "cov": cov, "sigma": sigma, "volume": volume, "target": target}


def holdings(u: dict[str, object], rng: np.random.Generator) -> np.ndarray:
    target = np.asarray(u["target"])
    w = np.clip(target * np.exp(rng.normal(scale=0.4, size=target.size)), 0.0, None)
    return w * 0.96 / w.sum()


def ours(u: dict[str, object]) -> RebalanceProblem:
    objective = TrackingError() + TC_WEIGHT * TradingCost(
        LinearCost(half_spread_bps=1e4 * HALF_SPREAD) + MarketImpact(b=IMPACT_B, alpha=1.5)
    )
    data = problem_data(u, holdings(u, np.random.default_rng(0)))
    return RebalanceProblem.for_data(objective, [LongOnly(), CashBounds(), TurnoverAtMost(TURNOVER)], data)


def problem_data(u: dict[str, object], w: np.ndarray) -> ProblemData:
    return ProblemData(
        symbols=u["symbols"],
        w=w,
        w_target=u["target"],
        v=VALUE,  # type: ignore[arg-type]
        covariance=u["cov"],
        sigma=u["sigma"],
        volume=u["volume"],
    )  # type: ignore[arg-type]


def theirs(u: dict[str, object]):  # type: ignore[no-untyped-def]
    import cvxportfolio as cvx

    symbols = list(u["symbols"])  # type: ignore[call-overload]
    sigma_df = pd.DataFrame(u["cov"], index=symbols, columns=symbols)
    cost = cvx.TransactionCost(
        a=HALF_SPREAD,
        b=IMPACT_B,
        volume_hat=pd.Series(u["volume"], index=symbols),
        sigma=pd.Series(u["sigma"], index=symbols),
        exponent=1.5,
    )
    target = pd.Series(
        np.append(np.asarray(u["target"]), 1 - np.sum(u["target"])), index=[*symbols, "USDOLLAR"]
    )
    return cvx.SinglePeriodOptimization(
        objective=-(cvx.FullCovariance(Sigma=sigma_df) + TC_WEIGHT * cost),
        constraints=[cvx.LongOnly(), cvx.LongCash(), cvx.TurnoverLimit(TURNOVER)],
        benchmark=target,
        include_cash_return=False,
        solver="CLARABEL",
    )


def run_case(n: int, repeats: int, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    u = universe(n, rng)
    symbols = list(u["symbols"])  # type: ignore[call-overload]
    mine = ours(u)
    policy = theirs(u)
    t = pd.Timestamp("2022-12-28")
    t_ours, t_data, t_theirs, gaps, turnovers, excess = [], [], [], [], [], []
    for r in range(repeats + 1):
        w = holdings(u, rng)
        start = time.perf_counter()
        data = problem_data(u, w)
        built = time.perf_counter()
        sol = mine.solve(data)
        done = time.perf_counter()
        h = pd.Series(np.append(w, 1 - w.sum()) * VALUE, index=[*symbols, "USDOLLAR"])
        start_theirs = time.perf_counter()
        trades, _, _ = policy.execute(h, None, t=t)
        t_cvx = time.perf_counter() - start_theirs
        z_theirs = trades.to_numpy()[:-1] / VALUE
        if r == 0:  # first call compiles on both sides
            continue
        t_ours.append(done - built)
        t_data.append(done - start)
        t_theirs.append(t_cvx)
        gaps.append(float(np.max(np.abs(sol.z - z_theirs))))
        excess.append(1e4 * (mine.objective.evaluate(z_theirs, data) - sol.objective))
        turnovers.append(sol.turnover)
    med = statistics.median
    return {
        "n": n,
        "ours_ms": 1e3 * med(t_ours),
        "ours_data_ms": 1e3 * med(t_data),
        "theirs_ms": 1e3 * med(t_theirs),
        "max_gap": max(gaps),
        "turnover": med(turnovers),
        "excess_bp": max(excess),
        "min_excess_bp": min(excess),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--sizes", default="20,100,300")
    args = parser.parse_args()
    logging.getLogger("cvxportfolio").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    import cvxportfolio as cvx

    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, python "
        f"{platform.python_version()}, cvxpy {cp.__version__}, clarabel {clarabel.__version__}, "
        f"cvxportfolio {cvx.__version__}, BLAS threads 1"
    )
    print(
        "| N | ours (ms) | ours + data (ms) | cvxportfolio execute (ms) | cvxportfolio / ours | median turnover "
        "| max abs diff of z | their objective - ours (bp), min..max |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.sizes.split(",")):
        r = run_case(n, args.repeats)
        print(
            f"| {n} | {r['ours_ms']:.2f} | {r['ours_data_ms']:.2f} | {r['theirs_ms']:.2f} | "
            f"{r['theirs_ms'] / r['ours_data_ms']:.1f} | {100 * r['turnover']:.1f} % | {r['max_gap']:.1e} | "
            f"{r['min_excess_bp']:.1e}..{r['excess_bp']:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
