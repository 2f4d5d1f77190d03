"""Mixed-integer rebalancing: branch-and-bound time, nodes and proven gap.

Run: ``.venv/bin/python benchmarks/bench_mixed_integer.py [--sizes 10,20,50] [--repeats 5] [--max-nodes 500]``

Problems: ``TE^2 + TradingCost(5 bp)`` on random dense covariances with long-only and no borrowing, $1M, almost
every asset off target, plus either a fixed charge of $5 per asset traded (``FixedTradeCost``) or a minimum
trade of 0.5 % with at most 5 trades (``MinTradeSize`` + ``MaxTrades``).  Solved by
:class:`~trimtab.models.mixed_integer.MixedIntegerProblem` (branch and bound over the compiled relaxation,
Clarabel).  Prints the median time, nodes and convex solves, how often the node limit stopped the search, and
the largest gap between the answer and the proven bound (fraction of value).  BLAS is pinned to one thread.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import statistics
import time

import numpy as np

from trimtab.models.base import ProblemData
from trimtab.models.constraints import CashBounds, LongOnly
from trimtab.models.costs import LinearCost
from trimtab.models.mixed_integer import FixedTradeCost, MaxTrades, MinTradeSize, MixedIntegerProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost


def random_problem(rng: np.random.Generator, n: int) -> ProblemData:
    """A drifted long-only portfolio of ``n`` assets with a random dense covariance."""
    target = rng.dirichlet(np.ones(n + 1))[:n]
    w = np.clip(target + rng.normal(scale=0.03, size=n), 0.0, None)
    w = w / max(1.0, w.sum() + 0.01)
    a = rng.normal(size=(n, n)) * 0.15
    return ProblemData(
        symbols=tuple(f"S{i}" for i in range(n)),
        w=w,
        w_target=target,
        v=1e6,
        covariance=a @ a.T + np.diag(rng.uniform(0.0, 0.02, n)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,20,50")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-nodes", type=int, default=500)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    base = TrackingError() + TradingCost(LinearCost(half_spread_bps=5))
    cases = [
        ("fixed $5 per trade", base + FixedTradeCost(5.0), []),
        ("min trade 0.5 % + max 5", base, [MinTradeSize(0.005), MaxTrades(5)]),
    ]
    print(f"{'n':>4} {'case':<26} {'median s':>9} {'nodes':>6} {'solves':>7} {'stopped':>8} {'max gap':>9}")
    for n in (int(x) for x in args.sizes.split(",")):
        problems = [random_problem(rng, n) for _ in range(args.repeats)]
        for label, objective, extra in cases:
            rows = []
            for data in problems:
                problem = MixedIntegerProblem.for_data(
                    objective, [LongOnly(), CashBounds(), *extra], data, max_nodes=args.max_nodes
                )
                start = time.perf_counter()
                problem.solve(data)
                search = problem.last_search
                rows.append((time.perf_counter() - start, search["nodes"], search["solves"], search))
            stopped = sum(bool(r[3]["node_limit_hit"]) for r in rows)
            gap = max(float(r[3]["gap"] or 0.0) for r in rows)
            print(
                f"{n:>4} {label:<26} {statistics.median(r[0] for r in rows):>9.2f} "
                f"{statistics.median(r[1] for r in rows):>6.0f} {statistics.median(r[2] for r in rows):>7.0f} "
                f"{stopped:>4}/{len(rows):<3} {gap:>9.2e}"
            )


if __name__ == "__main__":
    main()
