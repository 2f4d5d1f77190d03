"""Frontier timing: one compiled problem re-solved for each multiplier vs a fresh compile per point.

Run: ``.venv/bin/python benchmarks/bench_frontier.py [--points 20] [--sizes 10,50,200]``

A frontier of ``--points`` values of ``tc_weight`` (geometric, 0.01 to 100) is traced two ways on the same
data, and the ratio is measured in the same run (BLAS pinned to one thread):

* ``re-solve``: :class:`trimtab.analysis.frontier.TradeoffProblem` compiles once with the multiplier as a
  Parameter (epigraph form) and re-solves by assigning it (Clarabel through the direct path);
* ``rebuild``: for each value a new :class:`RebalanceProblem` is compiled for
  ``TE^2 + value * TradingCost`` and solved (what a loop over ``build_optimizer_policy`` would do).

Both include every solve; the re-solve also includes its one compile (cvxpy builds its parameter maps on the
first solve, so the first point carries it).  Costs: 5 bp spread plus 3/2-power
impact; long only, no borrowing, 25 % turnover cap; dense covariance up to 50 assets, factor form at 200.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import platform
import time

import threadpoolctl

threadpoolctl.threadpool_limits(limits=1)

import clarabel
import cvxpy as cp
import numpy as np

from trimtab.analysis.frontier import TradeoffProblem, frontier_values
from trimtab.models.base import FactorRisk, ProblemData
from trimtab.models.constraints import CashBounds, LongOnly, TurnoverAtMost
from trimtab.models.costs import LinearCost, MarketImpact
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost

COSTS = {
    "linear": TradingCost(LinearCost(half_spread_bps=5.0)),
    "impact": TradingCost(LinearCost(half_spread_bps=5.0) + MarketImpact(b=1.0, alpha=1.5)),
}
CONSTRAINTS = [LongOnly(), CashBounds(), TurnoverAtMost(0.25)]


def instance(n: int, rng: np.random.Generator, k: int = 10) -> ProblemData:
    target = rng.dirichlet(np.ones(n)) * 0.97
    w = np.clip(target * np.exp(rng.normal(scale=0.4, size=n)), 0.0, None)
    w *= 0.97 / w.sum()
    loadings = rng.normal(scale=0.2, size=(n, k))
    factor_cov = np.diag(rng.uniform(0.5, 1.5, k) * 0.04)
    idio = rng.uniform(0.01, 0.06, n)
    common = {
        "symbols": tuple(f"S{i:04d}" for i in range(n)),
        "w": w,
        "w_target": target,
        "v": 1e7,
        "sigma": rng.uniform(0.01, 0.03, n),
        "volume": 10 ** rng.uniform(6.5, 9.0, n),
    }
    if n >= 200:
        return ProblemData(
            **common, factors=FactorRisk(loadings=loadings, factor_cov=factor_cov, idio_var=idio)
        )
    return ProblemData(**common, covariance=loadings @ factor_cov @ loadings.T + np.diag(idio))


def run_case(n: int, points: int, costs: str) -> dict[str, float]:
    data = instance(n, np.random.default_rng(n))
    values = frontier_values(1.0, points)
    start = time.perf_counter()
    problem = TradeoffProblem(TrackingError() + 1.0 * COSTS[costs], CONSTRAINTS, data)
    resolved = [problem.point(data, {"tc_weight": float(values[0])})]
    t_first = time.perf_counter() - start
    resolved += [problem.point(data, {"tc_weight": float(x)}) for x in values[1:]]
    t_resolve = time.perf_counter() - start
    start = time.perf_counter()
    rebuilt = []
    for x in values:
        fresh = RebalanceProblem.for_data(TrackingError() + float(x) * COSTS[costs], CONSTRAINTS, data)
        rebuilt.append(fresh.solve(data))
    t_rebuild = time.perf_counter() - start
    gap = max(float(np.max(np.abs(a.z - b.z))) for a, b in zip(resolved, rebuilt, strict=True))
    return {
        "compile_s": t_first,
        "resolve_s": t_resolve,
        "rebuild_s": t_rebuild,
        "gap": gap,
        "per_point_ms": 1e3 * float(np.median([p.seconds for p in resolved])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--costs", default="linear,impact")
    args = parser.parse_args()
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, python "
        f"{platform.python_version()}, cvxpy {cp.__version__}, clarabel {clarabel.__version__}, BLAS threads 1"
    )
    print(
        "| costs | N | risk form | points | re-solve total (s) | of which first point incl. compile (s) | median solve (ms) "
        "| rebuild total (s) | rebuild / re-solve | max abs diff of z |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for costs in args.costs.split(","):
        for n in (int(x) for x in args.sizes.split(",")):
            r = run_case(n, args.points, costs)
            print(
                f"| {costs} | {n} | {'factor' if n >= 200 else 'dense'} | {args.points} | {r['resolve_s']:.3f} | "
                f"{r['compile_s']:.3f} | {r['per_point_ms']:.2f} | {r['rebuild_s']:.3f} | "
                f"{r['rebuild_s'] / r['resolve_s']:.1f} | {r['gap']:.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
