"""KAT-30: a reinforcement-learning agent on the Garleanu-Pedersen problem, against the exact fraction a/lam.

The environment is :class:`trimtab.rl.lq_env.LqEnv` (one asset by default, static aim, quadratic costs
``Lambda = lam Sigma``, discount ``rho``; the gap receives a ``N(0, Sigma)`` shock each period, which leaves
the optimum unchanged). PPO (stable-baselines3, CPU, RL discount ``1 - rho``, learning rate decaying
linearly to 0) learns the trade with a linear policy (``--action trade``: ``dx = W g + b``, no hidden layer,
so the fraction is ``-W``) or the fraction of the gap to trade (``--action fraction``: an MLP policy whose
output is clipped to [0, 1]). For each KAT-08 row and seed the study reports:

* the learned fraction: the least-squares slope of the deterministic trade on the gap, ``-E[dx' Sigma g] /
  E[g' Sigma g]`` over gaps from the optimal policy's stationary distribution, and its ratio to ``a/lam``
  (KAT-30: within 5 %);
* the range of ``-dx / g`` over gaps between 0.25 and 2 sd (an MLP need not be constant);
* the excess discounted cost of the learned policy over ``a/lam``, simulated on common random numbers
  (4,000 paths from the stationary distribution), and the exact excess ``A_f / A - 1`` of the constant
  fraction (:func:`trimtab.rl.lq_env.fraction_value`).

    .venv/bin/python studies/rl_lq.py --rows 1 --seeds 3 --timesteps 100000     # linear policy; ~10 min a row
    .venv/bin/python studies/rl_lq.py --rows 3 --seeds 3 --timesteps 100000
    .venv/bin/python studies/rl_lq.py --action fraction --log-std-init -2 --rows 1 --seeds 3 --timesteps 100000
    .venv/bin/python studies/rl_lq.py --action fraction --log-std-init -2 --learning-rate 3e-4 --constant-lr
                                      --rows 1 --seeds 1 --timesteps 30000          # (one line)
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from trimtab.policies.multiperiod import gp_trading_fraction
from trimtab.rl.lq_env import LqEnv, fraction_value
from trimtab.rl.policy import load_model
from trimtab.rl.train import train_agent

#: KAT-08 rows (gamma, lam, rho), numbered as in KNOWN_ANSWERS.
ROWS = {1: (1.0, 10.0, 0.01), 2: (5.0, 100.0, 0.001), 3: (0.5, 2.0, 0.05), 4: (1.0, 1.0, 0.0)}
META = {
    "action": "continuous",
    "every": "monthly",
    "symbols": [],
    "observation": {
        "mode": "summary",
        "trend": {"kind": "momentum_12_1", "lookback_months": 12.0, "skip_months": 1.0},
        "regime": None,
    },
}


def policy_trade(model, env: LqEnv):  # type: ignore[no-untyped-def]
    """``trade(g) -> dx``: the agent's deterministic trades for gaps of shape (m, n) (vectorized)."""

    def trade(gap: np.ndarray) -> np.ndarray:
        out = model.network(np.clip(gap / env.scale, -10.0, 10.0))
        if env.action_kind == "fraction":
            return -np.clip(out.reshape(-1, 1), 0.0, 1.0) * gap
        return env.scale * np.clip(out, -10.0, 10.0)

    return trade


def stationary_gaps(env: LqEnv, fraction: float, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` gaps (m, n) from the stationary law of "trade ``f``": ``N(0, s^2 Sigma / (1 - (1-f)^2))``."""
    sd = env.shock / math.sqrt(1.0 - (1.0 - fraction) ** 2)
    return sd * rng.standard_normal((m, env.n)) @ env._chol.T


def discounted_cost(env: LqEnv, trade, start: np.ndarray, seed: int) -> float:  # type: ignore[no-untyped-def]
    """Mean discounted cost of a vectorized policy from gaps ``start`` of shape (m, n) (unscaled)."""
    rng = np.random.default_rng(seed)
    gap = start.copy()
    total = np.zeros(len(gap))
    discount = 1.0
    steps = int(math.ceil(math.log(1e-6) / math.log(1.0 - env.rho))) if env.rho > 0 else 2000
    for _ in range(steps):
        dx = trade(gap)
        post = gap + dx
        cost = 0.5 * env.lam * np.einsum("mi,ij,mj->m", dx, env.cov, dx)
        risk = (1.0 - env.rho) * 0.5 * env.gamma * np.einsum("mi,ij,mj->m", post, env.cov, post)
        total += discount * (cost + risk)
        discount *= 1.0 - env.rho
        gap = post + env.shock * rng.standard_normal(gap.shape) @ env._chol.T
    return float(np.mean(total))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 3], choices=sorted(ROWS))
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ...)")
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--action", default="trade", choices=["trade", "fraction"])
    parser.add_argument("--log-std-init", type=float, default=-1.0, help="PPO: initial log std")
    parser.add_argument("--episode-steps", type=int, default=200)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--constant-lr", action="store_true", help="no decay of the learning rate")
    args = parser.parse_args()
    network = "MLP 64x64" if args.action == "fraction" else "linear"
    decay = " constant" if args.constant_lr else " decaying linearly to 0"
    print(
        f"agent: PPO, action {args.action!r} ({network} policy), {args.timesteps} steps, initial log std "
        f"{args.log_std_init:g}, learning rate {args.learning_rate:g}{decay}, one asset, Sigma = 1, shock 1\n"
    )
    print("| row (gamma, lam, rho) | a/lam | seed | train s | learned fraction | / (a/lam) | fraction range "
          "(0.25 sd <= |g| <= 2 sd) | excess cost, simulated | excess cost of the constant fraction |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    summary = []
    rate = args.learning_rate
    schedule = rate if args.constant_lr else (lambda remaining: rate * remaining)  # SB3: remaining 1 -> 0
    for row in args.rows:
        gamma, lam, rho = ROWS[row]
        best = gp_trading_fraction(gamma, lam, rho)
        a_best = fraction_value(best, gamma, lam, rho)
        ratios = []
        for seed in range(args.seeds):
            env = LqEnv(gamma, lam, rho, action=args.action, episode_steps=args.episode_steps,
                        reward_scale=best * lam)
            hyper = {"n_steps": 2048, "batch_size": 256, "gamma": 1.0 - rho, "learning_rate": schedule,
                     "policy_kwargs": {"log_std_init": args.log_std_init}}
            if args.action == "trade":
                hyper["policy_kwargs"]["net_arch"] = {"pi": [], "vf": [64, 64]}  # type: ignore[index]
            with tempfile.TemporaryDirectory() as folder:
                started = time.perf_counter()
                result = train_agent(
                    env, algorithm="ppo", timesteps=args.timesteps, out=Path(folder) / "lq.zip", seed=seed,
                    meta={**META, "problem": {"gamma": gamma, "lam": lam, "rho": rho}}, hyperparameters=hyper,
                )
                seconds = time.perf_counter() - started
                model = load_model(result.path)
            trade = policy_trade(model, env)
            rng = np.random.default_rng(99)
            gaps = stationary_gaps(env, best, 200_000, rng)
            dx = trade(gaps)
            learned = -float(np.sum((dx @ env.cov) * gaps) / np.sum((gaps @ env.cov) * gaps))
            sd = env.shock / math.sqrt(1.0 - (1.0 - best) ** 2)
            grid = np.linspace(-2 * sd, 2 * sd, 401)[:, None]
            grid = grid[np.abs(grid[:, 0]) >= 0.25 * sd]  # away from 0, where an intercept dominates dx / g
            local = -trade(grid)[:, 0] / grid[:, 0]
            start = stationary_gaps(env, best, 4000, np.random.default_rng(7))
            excess_sim = discounted_cost(env, trade, start, 11) / discounted_cost(
                env, lambda g, f=best: -f * g, start, 11
            ) - 1.0
            excess_exact = fraction_value(learned, gamma, lam, rho) / a_best - 1.0
            ratios.append(learned / best)
            print(
                f"| {row} ({gamma:g}, {lam:g}, {rho:g}) | {best:.4f} | {seed} | {seconds:.0f} "
                f"| {learned:.4f} | {learned / best:.3f} | [{local.min():.3f}, {local.max():.3f}] "
                f"| {100 * excess_sim:+.2f} % "
                f"| {100 * excess_exact:+.2f} % |",
                flush=True,
            )
        summary.append((row, ratios))
    print()
    for row, ratios in summary:
        within = sum(abs(r - 1.0) <= 0.05 for r in ratios)
        sd_text = f"{np.std(ratios, ddof=1):.3f}" if len(ratios) > 1 else "-"
        mean = float(np.mean(ratios))
        print(f"row {row}: learned / (a/lam) {mean:.3f} +- {sd_text}; within 5 %: {within}/{len(ratios)}")


if __name__ == "__main__":
    main()
