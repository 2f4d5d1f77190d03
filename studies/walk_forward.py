"""Walk-forward: RL, smart triggers and cost-gated rules against the tuned threshold rule, after cost and tax.

    .venv/bin/python studies/walk_forward.py                        # stocks/bonds 60/40; pip install -e .[rl]
    .venv/bin/python studies/walk_forward.py --data us-stocks       # the 20 bundled stocks, equal weight
    .venv/bin/python studies/walk_forward.py --no-rl                # without training an agent

Month-end decisions, $1M in a taxable account (37 % short-term, 20 % long-term, FIFO lots, wash sales,
annual netting with the $3,000 deduction), 5 bp half spread. **Training years** 1990-2005 (the rules'
estimators see all data before each decision; the test years start from cash on 2006-01-31):

1. the threshold band (0.5 .. 15 pp) with the best training score, ``score = after-tax return - (gamma/2) TE^2``
   with gamma = 3 (the cost gate's default; the RL reward's ``lam_te = 1.5``), TE the tracking error to the
   monthly-rebalanced target: this scores every policy at a common price of tracking error ("matched TE"
   in the mean-variance sense);
2. the RL agent (PPO, discrete none/partial/full, per-asset observation with the HMM regime and 12-1
   momentum) trained on the same years with ``lam_te = 1.5``.

**Test years** 2006 to the end of the data: every policy from the same start; after-tax return from the
liquidation value (every tax, including on unrealised gains at the end), and a 90 % block-bootstrap interval
(12-month blocks, 2,000 resamples) of the difference in monthly after-cost returns to the tuned threshold
rule (annualized). **Matched TE**: the threshold grid is also run on the test years, and its after-tax return
is interpolated (linearly in TE) to each policy's test TE -- the best band *at the same realized tracking
error* (ex post, not a forecast). ``smart`` is shown with everything on, without the crisis trigger and without the trend
delay (the value of each, everything else fixed).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from trimtab.backtest import PolicyRun, Scenario, simulate, to_monthly
from trimtab.data.samples import load_builtin
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import CostSettings, PolicySpec, TaxSettings
from trimtab.domain.targets import TargetAllocation
from trimtab.policies.registry import build_policy
from trimtab.reports.metrics import policy_metrics

GAMMA = 3.0


def scenario(data: str, start: str, end: str | None) -> Scenario:
    market = to_monthly(load_builtin(data))
    if data == "us-stocks-bonds":
        market = market.select(["STOCKS", "BONDS"])
        targets = TargetAllocation({"STOCKS": 0.6, "BONDS": 0.4})
    else:
        symbols = market.symbols
        targets = TargetAllocation({s: 1.0 / len(symbols) for s in symbols[:-1]} | {symbols[-1]: 1.0 - (len(symbols) - 1) / len(symbols)})
    return Scenario(
        market=market,
        targets=targets,
        start=pd.Timestamp(start),
        end=pd.Timestamp(end) if end else None,
        initial_value=Decimal(1000000),
        account_kind=AccountKind.TAXABLE,
        costs=CostSettings(half_spread_bps=5.0),
        tax=TaxSettings(short_term_rate=0.37, long_term_rate=0.20),
        risk_lookback=60,
    )


def after_tax_return(run: PolicyRun) -> float:
    return (run.after_tax_value / float(run.value[0])) ** (1.0 / run.years) - 1.0


def score(run: PolicyRun) -> tuple[float, float, float]:
    te = policy_metrics(run)["tracking_error"]
    at = after_tax_return(run)
    return at - GAMMA / 2.0 * te * te, at, te


def block_bootstrap(diff: np.ndarray, *, block: int = 12, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """90 % interval of the annualized mean of ``diff`` (monthly) by a moving-block bootstrap."""
    rng = np.random.default_rng(seed)
    n = diff.size
    starts = np.arange(n - block + 1)
    means = np.empty(draws)
    for i in range(draws):
        picks = rng.choice(starts, size=math.ceil(n / block))
        sample = np.concatenate([diff[s : s + block] for s in picks])[:n]
        means[i] = sample.mean() * 12.0
    return float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="us-stocks-bonds", choices=["us-stocks-bonds", "us-stocks"])
    parser.add_argument("--no-rl", action="store_true")
    parser.add_argument("--timesteps", type=int, default=20_000)
    parser.add_argument("--rl-observation", default="assets", choices=["assets", "summary"])
    args = parser.parse_args()
    started = time.perf_counter()
    train = scenario(args.data, "1990-01-31", "2005-12-30")
    test = scenario(args.data, "2006-01-31", None)

    print(f"data builtin:{args.data}, monthly; train {train.dates[0]:%Y-%m}..{train.dates[-1]:%Y-%m}, "
          f"test {test.dates[0]:%Y-%m}..{test.dates[-1]:%Y-%m}\n")
    print("Training years, threshold bands (score = after-tax return - 1.5 TE^2):\n")
    print("| band | after-tax return | TE | score |\n|---:|---:|---:|---:|")
    best, best_score = None, -math.inf
    for band in (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15):
        s, at, te = score(simulate(build_policy(PolicySpec("threshold", {"band": band})), train))
        print(f"| {band:.1%} | {at:.3%} | {te:.3%} | {s:.3%} |")
        if s > best_score:
            best, best_score = band, s
    print(f"\ntuned band: {best:.1%}\n")

    policies: dict[str, object] = {
        f"threshold {best:.1%} (tuned)": build_policy(PolicySpec("threshold", {"band": best})),
        "smart (defaults)": build_policy(PolicySpec("smart")),
        "smart without crisis trigger": build_policy(PolicySpec("smart", {"triggers": ["ratio", "drift"]})),
        "smart without trend delay": build_policy(PolicySpec("smart", {"trend_delay": "off"})),
        "smart without either": build_policy(PolicySpec("smart", {"triggers": ["ratio", "drift"], "trend_delay": "off"})),
        "cost_gated (gamma 3, 1 pp trigger)": build_policy(
            PolicySpec("cost_gated", {"risk_aversion": 3, "trigger": {"kind": "threshold", "band": 0.01}})
        ),
        "calendar monthly": build_policy(PolicySpec("calendar", {"every": "monthly"})),
        "never": build_policy(PolicySpec("never")),
    }
    if not args.no_rl:
        import dataclasses

        from trimtab.rl.env import RebalancingEnv
        from trimtab.rl.features import ObservationSpec
        from trimtab.rl.policy import RlPolicy, load_model
        from trimtab.rl.train import environment_meta, train_agent

        env = RebalancingEnv(
            dataclasses.replace(train), observation=ObservationSpec(mode=args.rl_observation), episode_years=5.0
        )
        folder = Path(tempfile.mkdtemp())
        t0 = time.perf_counter()
        result = train_agent(env, algorithm="ppo", timesteps=args.timesteps, out=folder / "agent.zip", seed=0,
                             meta=environment_meta(env))
        print(f"RL agent: PPO, {args.timesteps} steps on the training years in {time.perf_counter() - t0:.0f} s\n")
        policies[f"rl (PPO, {args.timesteps} steps)"] = RlPolicy(load_model(result.path))

    runs = {name: simulate(policy, test) for name, policy in policies.items()}  # type: ignore[arg-type]
    base = runs[next(iter(runs))]
    base_returns = base.period_returns()
    grid = []
    for band in (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15, 0.25):
        _, at, te = score(simulate(build_policy(PolicySpec("threshold", {"band": band})), test))
        grid.append((te, at))
    grid.sort()
    tes, ats = np.array([g[0] for g in grid]), np.array([g[1] for g in grid])

    def matched(te: float) -> str:
        if te < tes[0] or te > tes[-1]:
            return "outside the grid"
        return f"{float(np.interp(te, tes, ats)):.3%}"

    print("Test years (after cost and tax; difference: monthly after-cost returns minus the tuned threshold's, "
          "annualized, 90 % block-bootstrap interval; threshold at the same TE: ex post):\n")
    print("| policy | after-tax return | TE | score | turnover / yr | events | costs | taxes paid | max drawdown "
          "| difference to tuned threshold [90 % CI] | threshold at the same TE |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, run in runs.items():
        m = policy_metrics(run)
        s, at, te = score(run)
        diff = run.period_returns()[1:] - base_returns[1:]
        lo, hi = block_bootstrap(diff)
        print(f"| {name} | {at:.3%} | {te:.3%} | {s:.3%} | {m['turnover']:.1%} | {m['rebalance_events']} | "
              f"${m['transaction_costs']:,.0f} | ${m['taxes_paid']:,.0f} | {m['max_drawdown']:.1%} | "
              f"{diff.mean() * 12:+.3%} [{lo:+.3%}, {hi:+.3%}] | {matched(te)} |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
