"""Walk-forward: RL, smart triggers, the optimizer and cost-gated rules against the tuned threshold rule.

    .venv/bin/python studies/walk_forward.py                        # stocks/bonds 60/40; pip install -e .[rl]
    .venv/bin/python studies/walk_forward.py --data us-stocks       # the 20 bundled stocks, equal weight
    .venv/bin/python studies/walk_forward.py --no-rl                # without training agents
    .venv/bin/python studies/walk_forward.py --models DIR --seeds 0 --train-only   # train one agent, keep it

Month-end decisions, $1M in a taxable account (37 % short-term, 20 % long-term, FIFO lots, wash sales,
annual netting with the $3,000 deduction), 5 bp half spread. **Training years** 1990-2005 (the rules'
estimators see all data before each decision; the test years start from cash on 2006-01-31):

1. the threshold band (0.5 .. 15 pp) with the best training score,
   ``score = after-tax return - (gamma/2) TE^2`` with gamma = 3 (the cost gate's default; the RL reward's
   ``lam_te = 1.5``), TE the tracking error to the monthly-rebalanced target: this scores every policy at a
   common price of tracking error ("matched TE" in the mean-variance sense);
2. the optimizer's ``te_weight`` (``tc_weight`` 1, the same 5 bp costs) with the best training score on a
   grid (0.01 .. 100), without a tax term; and again with the tax term (``tax_weight`` 1: the tax of each lot
   sold, on the backtest's point-in-time lots, priced at min-tax relief -- a lower bound under the account's
   FIFO) on a smaller grid (1 .. 30, to 300 on 60/40; each run costs far more). It needs a covariance (the
   backtester's ``ctx.covariance``: sample covariance of up to 60 months before the decision), so it holds
   until 12 monthly returns exist (the first training year; every test decision has 16+ years of history);
3. the RL agents (PPO, discrete none/partial/full, per-asset observation with the HMM regime and 12-1
   momentum), one per seed, trained on the same years with ``lam_te = 1.5``.

**Test years** 2006 to the end of the data: every policy from the same start; after-tax return from the
liquidation value (every tax, including on unrealised gains at the end), and a 90 % moving-block bootstrap
interval (12-month blocks, 2,000 resamples; :func:`trimtab.analysis.bootstrap.block_bootstrap_ci`) of the
difference in monthly after-cost returns to the tuned threshold rule (annualized). The RL rows show each seed
and their mean (metrics averaged over seeds; the interval of the seeds' mean monthly difference), so seed
variance and sampling variance can be compared. **Matched TE**: the threshold grid is also run on the test
years, and its after-tax return is interpolated (linearly in TE) to each policy's test TE -- the best band
*at the same realized tracking error* (ex post, not a forecast). ``smart`` is shown with everything on,
without the crisis trigger and without the trend delay (the value of each, everything else fixed).

``--models DIR`` keeps trained agents (``DIR/<data>-<observation>-<steps>-seed<s>.zip``) and reuses them, so
the seeds can be trained in separate runs (the name does not record the environment's code: empty ``DIR``
after changing ``trimtab.rl``).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from trimtab.analysis.bootstrap import block_bootstrap_ci
from trimtab.backtest import PolicyRun, Scenario, simulate, to_monthly
from trimtab.data.samples import load_builtin
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import CostSettings, PolicySpec, TaxSettings
from trimtab.domain.targets import TargetAllocation
from trimtab.models.tax import TaxInputs
from trimtab.policies.base import Decision, DecisionContext, Policy
from trimtab.policies.registry import build_policy
from trimtab.reports.metrics import policy_metrics
from trimtab.tax.rules import TaxRates

GAMMA = 3.0
COSTS = CostSettings(half_spread_bps=5.0)
BANDS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15)
TE_WEIGHTS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
#: te_weight grid of the optimizer with the tax term (tax_weight 1): smaller, a run on the 20 stocks takes
#: 80-100 s; on 60/40 (cheap) it goes on to 300 because 30 was the best training score.
TAX_TE_WEIGHTS = {
    "us-stocks-bonds": (1.0, 3.0, 10.0, 30.0, 100.0, 300.0),
    "us-stocks": (1.0, 3.0, 10.0, 30.0),
}
#: Default PPO steps per seed: 60/40 as before; fewer on the 20 stocks (each step costs about twice as much).
TIMESTEPS = {"us-stocks-bonds": 15_000, "us-stocks": 8_000}


def scenario(data: str, start: str, end: str | None) -> Scenario:
    market = to_monthly(load_builtin(data))
    if data == "us-stocks-bonds":
        market = market.select(["STOCKS", "BONDS"])
        targets = TargetAllocation({"STOCKS": 0.6, "BONDS": 0.4})
    else:
        symbols = market.symbols
        equal = {s: 1.0 / len(symbols) for s in symbols[:-1]}
        targets = TargetAllocation(equal | {symbols[-1]: 1.0 - (len(symbols) - 1) / len(symbols)})
    return Scenario(
        market=market,
        targets=targets,
        start=pd.Timestamp(start),
        end=pd.Timestamp(end) if end else None,
        initial_value=Decimal(1000000),
        account_kind=AccountKind.TAXABLE,
        costs=COSTS,
        tax=TaxSettings(short_term_rate=0.37, long_term_rate=0.20),
        risk_lookback=60,
    )


class WarmUp:
    """Holds until ``periods`` complete return rows exist, then asks ``inner`` (its covariance needs them)."""

    def __init__(self, inner: Policy, periods: int = 12) -> None:
        self.inner, self.periods = inner, periods

    def describe(self) -> str:
        return f"warm_up({self.inner.describe()}, periods={self.periods})"

    def decide(self, ctx: DecisionContext) -> Decision:
        r = ctx.snapshot.returns(list(ctx.symbols), lookback=self.periods).to_numpy(dtype=float)
        if int(np.isfinite(r).all(axis=1).sum()) < self.periods:
            held = ctx.as_weights(np.asarray(ctx.weights, dtype=float), float(ctx.cash_weight))
            reason = f"fewer than {self.periods} returns for the covariance"
            return Decision("hold", held, (reason,), self.describe())
        return self.inner.decide(ctx)


def threshold(band: float) -> Policy:
    return build_policy(PolicySpec("threshold", {"band": band}))


def optimizer(te_weight: float, sc: Scenario | None = None) -> Policy:
    """``te_weight TE^2 + TC``; with ``sc``, ``+ 1 x Tax`` on the backtest's point-in-time lots (LotTax)."""
    params: dict[str, object] = {"te_weight": te_weight, "tc_weight": 1.0, "costs": COSTS}
    if sc is not None:
        # the lots given here are replaced by the simulator's household at every decision date
        rates = TaxRates.from_settings(sc.tax)
        context = TaxInputs(lots=(), rates=rates, sold=sc.start, relief=sc.tax.relief_method)
        params |= {"tax_weight": 1.0, "tax_context": context}
    return WarmUp(build_policy(PolicySpec("optimizer", params)))


def after_tax_return(run: PolicyRun) -> float:
    return (run.after_tax_value / float(run.value[0])) ** (1.0 / run.years) - 1.0


def score(run: PolicyRun) -> tuple[float, float, float]:
    te = policy_metrics(run)["tracking_error"]
    at = after_tax_return(run)
    return at - GAMMA / 2.0 * te * te, at, te


def tune(
    label: str,
    grid: tuple[float, ...],
    make: Callable[[float], Policy],
    train: Scenario,
    fmt: Callable[[float], str],
) -> float:
    """The grid value with the best training score (the table printed)."""
    print(f"| {label} | after-tax return | TE | score | events |\n|---:|---:|---:|---:|---:|")
    best, best_score = grid[0], -math.inf
    for value in grid:
        run = simulate(make(value), train)
        s, at, te = score(run)
        print(f"| {fmt(value)} | {at:.3%} | {te:.3%} | {s:.3%} | {policy_metrics(run)['rebalance_events']} |")
        if s > best_score:
            best, best_score = value, s
    return best


def train_agents(args: argparse.Namespace, train: Scenario, folder: Path) -> dict[int, Path]:
    """One PPO agent per seed on the training years (loaded from ``folder`` when already there)."""
    import dataclasses

    from trimtab.rl.env import RebalancingEnv
    from trimtab.rl.features import ObservationSpec
    from trimtab.rl.train import environment_meta, train_agent

    paths = {}
    for seed in args.seeds:
        path = folder / f"{args.data}-{args.rl_observation}-{args.timesteps}-seed{seed}.zip"
        if not path.exists():
            env = RebalancingEnv(
                dataclasses.replace(train),
                observation=ObservationSpec(mode=args.rl_observation),
                episode_years=5.0,
            )
            t0 = time.perf_counter()
            meta = environment_meta(env)
            train_agent(env, algorithm="ppo", timesteps=args.timesteps, out=path, seed=seed, meta=meta)
            print(f"RL agent seed {seed}: PPO, {args.timesteps} steps on the training years in "
                  f"{time.perf_counter() - t0:.0f} s -> {path}", flush=True)
        paths[seed] = path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="us-stocks-bonds", choices=["us-stocks-bonds", "us-stocks"])
    parser.add_argument("--no-rl", action="store_true")
    parser.add_argument("--timesteps", type=int, default=None, help="PPO steps per seed (default: by data)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rl-observation", default="assets", choices=["assets", "summary"])
    parser.add_argument("--models", type=Path, default=None, help="keep and reuse trained agents here")
    parser.add_argument("--train-only", action="store_true", help="train (or find) the agents and stop")
    args = parser.parse_args()
    args.timesteps = args.timesteps or TIMESTEPS[args.data]
    started = time.perf_counter()
    train = scenario(args.data, "1990-01-31", "2005-12-30")
    test = scenario(args.data, "2006-01-31", None)
    folder = args.models or Path(tempfile.mkdtemp())
    if args.train_only:
        train_agents(args, train, folder)
        return

    print(f"data builtin:{args.data}, monthly; train {train.dates[0]:%Y-%m}..{train.dates[-1]:%Y-%m}, "
          f"test {test.dates[0]:%Y-%m}..{test.dates[-1]:%Y-%m}\n")
    print("Training years, threshold bands (score = after-tax return - 1.5 TE^2):\n")
    best = tune("band", BANDS, threshold, train, lambda b: f"{b:.1%}")
    print(f"\ntuned band: {best:.1%}\n")
    print("Training years, optimizer te_weight (tc_weight 1, 5 bp, no tax term):\n")
    weight = tune("te_weight", TE_WEIGHTS, optimizer, train, lambda w: f"{w:g}")
    print(f"\ntuned te_weight: {weight:g}\n", flush=True)
    print("Training years, optimizer with the tax term (tax_weight 1, lots of the backtest), te_weight:\n")
    tax_grid = TAX_TE_WEIGHTS[args.data]
    tax_weight = tune("te_weight", tax_grid, lambda w: optimizer(w, train), train, lambda w: f"{w:g}")
    print(f"\ntuned te_weight (with tax): {tax_weight:g}\n", flush=True)

    policies: dict[str, Policy] = {
        f"threshold {best:.1%} (tuned)": build_policy(PolicySpec("threshold", {"band": best})),
        f"optimizer te_weight {weight:g} (tuned)": optimizer(weight),
        f"optimizer + tax term, te_weight {tax_weight:g} (tuned)": optimizer(tax_weight, test),
        "smart (defaults)": build_policy(PolicySpec("smart")),
        "smart without crisis trigger": build_policy(PolicySpec("smart", {"triggers": ["ratio", "drift"]})),
        "smart without trend delay": build_policy(PolicySpec("smart", {"trend_delay": "off"})),
        "smart without either": build_policy(
            PolicySpec("smart", {"triggers": ["ratio", "drift"], "trend_delay": "off"})
        ),
        "cost_gated (gamma 3, 1 pp trigger)": build_policy(
            PolicySpec("cost_gated", {"risk_aversion": 3, "trigger": {"kind": "threshold", "band": 0.01}})
        ),
        "calendar monthly": build_policy(PolicySpec("calendar", {"every": "monthly"})),
        "never": build_policy(PolicySpec("never")),
    }
    rl_names = []
    if not args.no_rl:
        from trimtab.rl.policy import RlPolicy, load_model

        for seed, path in train_agents(args, train, folder).items():
            name = f"rl seed {seed} (PPO, {args.timesteps} steps)"
            policies[name] = RlPolicy(load_model(path))
            rl_names.append(name)

    runs = {name: simulate(policy, test) for name, policy in policies.items()}
    base_returns = runs[next(iter(runs))].period_returns()
    grid = []
    print("Test years, the threshold grid (ex post; the reference of 'threshold at the same TE'):\n")
    print("| band | after-tax return | TE | events |\n|---:|---:|---:|---:|")
    for band in (*BANDS, 0.25):
        run = simulate(threshold(band), test)
        _, at, te = score(run)
        print(f"| {band:.1%} | {at:.3%} | {te:.3%} | {policy_metrics(run)['rebalance_events']} |")
        grid.append((te, at))
    print()
    grid.sort()
    tes, ats = np.array([g[0] for g in grid]), np.array([g[1] for g in grid])

    def matched(te: float) -> str:
        if te < tes[0] or te > tes[-1]:
            return "outside the grid"
        return f"{float(np.interp(te, tes, ats)):.3%}"

    def row(
        name: str, m: dict[str, float], s: float, at: float, te: float, diff: np.ndarray, same_te: str = ""
    ) -> str:
        lo, hi = block_bootstrap_ci(diff, block=12, n_resamples=2000, level=0.90, seed=0)
        return (f"| {name} | {at:.3%} | {te:.3%} | {s:.3%} | {m['turnover']:.1%} | "
                f"{m['rebalance_events']:.0f} | "
                f"${m['transaction_costs']:,.0f} | ${m['taxes_paid']:,.0f} | {m['max_drawdown']:.1%} | "
                f"{diff.mean() * 12:+.3%} [{lo * 12:+.3%}, {hi * 12:+.3%}] | {same_te or matched(te)} |")

    print("Test years (after cost and tax; difference: monthly after-cost returns minus the tuned "
          "threshold's, annualized, 90 % block-bootstrap interval; threshold at the same TE: ex post):\n")
    print("| policy | after-tax return | TE | score | turnover / yr | events | costs | taxes paid "
          "| max drawdown | difference to tuned threshold [90 % CI] | threshold at the same TE |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    keys = ("turnover", "rebalance_events", "transaction_costs", "taxes_paid", "max_drawdown")
    for name, run in runs.items():
        s, at, te = score(run)
        print(row(name, policy_metrics(run), s, at, te, run.period_returns()[1:] - base_returns[1:]))
    if len(rl_names) > 1:
        scores = np.array([score(runs[n]) for n in rl_names])
        metrics = [policy_metrics(runs[n]) for n in rl_names]
        mean_m = {k: float(np.mean([m[k] for m in metrics])) for k in keys}
        diffs = np.array([runs[n].period_returns()[1:] - base_returns[1:] for n in rl_names])
        s, at, te = scores.mean(axis=0)
        # the seeds' mean is not one policy: its matched-TE entry is the mean over the seeds inside the grid
        inside = [a - float(np.interp(t, tes, ats)) for _, a, t in scores if tes[0] <= t <= tes[-1]]
        same = "outside the grid"
        if inside:
            same = f"seeds inside the grid ({len(inside)}): {np.mean(inside):+.3%} above it"
        print(row(f"rl, mean of {len(rl_names)} seeds", mean_m, s, at, te, diffs.mean(axis=0), same))
        annual = diffs.mean(axis=1) * 12
        at_seeds = scores[:, 1]
        print(f"\nRL across seeds: after-tax return {at_seeds.mean():.3%} "
              f"+- {at_seeds.std(ddof=1):.3%} (sd), "
              f"difference to the tuned threshold {annual.mean():+.3%} +- {annual.std(ddof=1):.3%} (sd), "
              f"range {annual.min():+.3%} .. {annual.max():+.3%}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
