"""Optimizer timing: trimtab's compiled re-solve vs cvxpy's parametrised solve vs raw Clarabel.

Run: ``.venv/bin/python benchmarks/bench_optimizer.py [--repeats 30] [--sizes 10,50,200,1000]``

Every case solves the same problem three ways on the same fresh data per repetition (interleaved, so
machine load hits all three alike) and prints the ratios measured in this run:

* ``ours``: :meth:`RebalanceProblem.solve` (bind Parameters, Clarabel through the direct fast path --
  for the QP (``linear``) the QP fast path, Clarabel on the problem with the quadratic's helper rows
  eliminated, DAQP first and Clarabel if DAQP's answer is rejected -- exact constraint re-check, objective
  evaluation); the last column counts the solves DAQP answered / the QP fast path answered / all (the rest
  fell back to the full problem);
* ``cvxpy``: the same compiled DPP problem, Parameters bound, ``Problem.solve(solver=CLARABEL)``;
* ``raw``: ``clarabel.DefaultSolver(P, q, A, b, cones).solve()`` on cvxpy's matrices of the full problem
  (set-up + solve, what a hand-written Clarabel call costs for a new instance).

Problems: ``TE^2 + TradingCost(5 bp spread)`` (``linear``, a QP) and ``TE^2 + TradingCost(5 bp spread +
3/2-power impact)`` (``impact``, power cones), each with long-only, no borrowing and a 25 % turnover cap; dense covariance up to 200 assets, factor form (10 factors) at 200 and 1000.  BLAS is pinned
to one thread before numpy loads.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import platform
import statistics
import time

import threadpoolctl

threadpoolctl.threadpool_limits(limits=1)

import clarabel
import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from trimtab.models.base import FactorRisk, ProblemData
from trimtab.models.constraints import CashBounds, LongOnly, TurnoverAtMost
from trimtab.models.costs import LinearCost, MarketImpact
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost

OBJECTIVES = {
    "impact": TrackingError() + TradingCost(LinearCost(half_spread_bps=5.0) + MarketImpact(b=1.0, alpha=1.5)),
    "linear": TrackingError() + TradingCost(LinearCost(half_spread_bps=5.0)),
}
CONSTRAINTS = [LongOnly(), CashBounds(), TurnoverAtMost(0.25)]


def instance(n: int, rng: np.random.Generator, form: str, k: int = 10) -> ProblemData:
    """Fresh weights, target and risk for a fixed universe of n assets."""
    target = rng.dirichlet(np.ones(n)) * 0.97
    w = np.clip(target * np.exp(rng.normal(scale=0.3, size=n)), 0.0, None)
    w *= 0.97 / w.sum()
    common = {
        "symbols": tuple(f"S{i:04d}" for i in range(n)),
        "w": w,
        "w_target": target,
        "v": 1e7,
        "prices": rng.uniform(10.0, 500.0, n),
        "sigma": rng.uniform(0.01, 0.03, n),
        "volume": 10 ** rng.uniform(6.5, 9.0, n),
    }
    loadings = rng.normal(scale=0.2, size=(n, k))
    factor_cov = np.diag(rng.uniform(0.5, 1.5, k) * 0.04)
    idio = rng.uniform(0.01, 0.06, n)
    if form == "factor":
        return ProblemData(
            **common, factors=FactorRisk(loadings=loadings, factor_cov=factor_cov, idio_var=idio)
        )
    return ProblemData(**common, covariance=loadings @ factor_cov @ loadings.T + np.diag(idio))


def raw_clarabel(problem: RebalanceProblem) -> tuple[float, np.ndarray, int]:
    """Set up and solve the current instance with Clarabel's own API; (seconds, x, iterations)."""
    maps = problem._direct.maps
    p_data, q, a_data, b = maps.data()
    p_mat, a_mat = maps.matrices(p_data, a_data)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    start = time.perf_counter()
    result = clarabel.DefaultSolver(p_mat, q, a_mat, b, maps.cones, settings).solve()
    seconds = time.perf_counter() - start
    return seconds, np.asarray(result.x), int(result.iterations)


def run_case(n: int, form: str, repeats: int, costs: str, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    first = instance(n, rng, form)
    start = time.perf_counter()
    ours = RebalanceProblem.for_data(OBJECTIVES[costs], CONSTRAINTS, first)
    ours.solve(first)
    compile_s = time.perf_counter() - start
    reference = RebalanceProblem.for_data(OBJECTIVES[costs], CONSTRAINTS, first, fast=False)
    reference.bind(first)
    reference.problem.solve(solver=cp.CLARABEL)
    t_ours, t_cvx, t_raw, iters, gaps = [], [], [], [], []
    for _ in range(repeats):
        data = instance(n, rng, form)
        start = time.perf_counter()
        sol = ours.solve(data)
        t_ours.append(time.perf_counter() - start)
        seconds, x, it = raw_clarabel(ours)
        t_raw.append(seconds)
        iters.append(it)
        start = time.perf_counter()
        reference.bind(data)
        reference.problem.solve(solver=cp.CLARABEL, warm_start=True)
        t_cvx.append(time.perf_counter() - start)
        dv_raw = x[ours._direct.maps.col : ours._direct.maps.col + n]
        gaps.append(float(np.max(np.abs(sol.z + data.d0 - dv_raw), initial=0.0)))
        gaps.append(float(np.max(np.abs(reference.v.dv.value - dv_raw), initial=0.0)))
    med = statistics.median
    return {
        "n": n,
        "form": form,
        "compile_s": compile_s,
        "ours_ms": 1e3 * med(t_ours),
        "cvxpy_ms": 1e3 * med(t_cvx),
        "raw_ms": 1e3 * med(t_raw),
        "iterations": med(iters),
        "max_gap": max(gaps),
        "fast_path": (
            f"{ours.qp_active_set_solves}/{ours.qp_solves - ours.qp_fallbacks}/{ours.qp_solves}"
            if ours.qp_solves
            else "-"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--sizes", default="10,50,200,1000")
    parser.add_argument("--costs", default="linear,impact", help="linear (spread only) and/or impact")
    args = parser.parse_args()
    cases = []
    for n in (int(x) for x in args.sizes.split(",")):
        forms = ["dense"] if n < 200 else (["dense", "factor"] if n == 200 else ["factor"])
        cases += [(n, form) for form in forms]
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, python "
        f"{platform.python_version()}, cvxpy {cp.__version__}, clarabel {clarabel.__version__}, BLAS threads 1"
    )
    print(
        "| costs | N | risk form | first solve incl. compile (s) | ours (ms) | cvxpy param. (ms) | raw Clarabel (ms) "
        "| ours / raw | ours / cvxpy | Clarabel iterations | max abs diff of dv | DAQP / QP fast path / solves |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for costs in args.costs.split(","):
        for n, form in cases:
            repeats = args.repeats if n <= 200 else max(5, args.repeats // 3)
            r = run_case(n, form, repeats, costs)
            print(
                f"| {costs} | {n} | {form} | {r['compile_s']:.2f} | {r['ours_ms']:.2f} | {r['cvxpy_ms']:.2f} | "
                f"{r['raw_ms']:.2f} | {r['ours_ms'] / r['raw_ms']:.2f} | {r['ours_ms'] / r['cvxpy_ms']:.2f} | "
                f"{r['iterations']:.0f} | {r['max_gap']:.1e} | {r['fast_path']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
