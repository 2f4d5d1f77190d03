"""KAT-29: a reinforcement-learning agent against the exact dynamic-programming band on the 1-D problem.

The KAT-01 problem with discrete checks (``trimtab.rl.band_env.BandEnv``: deviation ``dx = sigma dW``, checks
every ``dt`` years, proportional cost ``k``, tracking loss ``q x^2``). PPO (stable-baselines3, CPU) learns the
fraction of the way back to target to trade at each check; the DP (``trimtab.policies.dp.solve_band``) gives
the optimal band. The study reports the learned no-trade band (read from the deterministic policy: the
deviations at which it starts trading), the DP band, the first-order band ``b* - beta sigma sqrt(dt)``, and
the long-run average loss of each policy simulated on the same random numbers.

    .venv/bin/python studies/rl_vs_dp.py --timesteps 300000              # PPO, edge action; about 8 minutes
    .venv/bin/python studies/rl_vs_dp.py --algorithm dqn --action discrete --timesteps 200000
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from trimtab.policies.dp import BETA, continuous_band, solve_band
from trimtab.rl.band_env import BandEnv, band_policy_loss, simulate_band_policy
from trimtab.rl.policy import load_model
from trimtab.rl.train import train_agent


def policy_map(model, env: BandEnv):  # type: ignore[no-untyped-def]
    """``decide(x) -> y``: the agent's deterministic post-trade deviation for deviations ``x`` (vectorized)."""

    def decide(x: np.ndarray) -> np.ndarray:
        out = model.network(np.clip(x / env.b_star, -10, 10)[:, None])
        action = np.argmax(out, axis=1) if env.action_kind == "discrete" else out.reshape(-1)
        return env.post_trade(x, action)

    return decide


def learned_band(decide, b_star: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The deviations (lower, upper) beyond which the agent trades (``y != x``), read on a fine grid."""
    x = np.linspace(-3.0, 3.0, 60001) * b_star
    trading = np.abs(decide(x) - x) > 1e-9
    upper = x[(x > 0) & trading].min() if np.any((x > 0) & trading) else math.inf
    lower = x[(x < 0) & trading].max() if np.any((x < 0) & trading) else -math.inf
    return float(lower), float(upper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=float, default=1e-3)
    parser.add_argument("--dt", type=float, default=1e-3)
    parser.add_argument("--timesteps", type=int, default=300_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--eval-steps", type=int, default=2_000_000)
    parser.add_argument("--action", default="edge", choices=["edge", "continuous", "discrete"])
    parser.add_argument("--algorithm", default="ppo", choices=["ppo", "dqn"])
    parser.add_argument("--log-std-init", type=float, default=-1.5, help="PPO: initial log std of the Gaussian policy")
    args = parser.parse_args()
    k, dt = args.k, args.dt
    b_star, j_star = continuous_band(k)
    dp = solve_band(k, dt, n_grid=1601)
    first_order = b_star - BETA * math.sqrt(dt)
    dp_sim = band_policy_loss(dp.lower, dp.upper, k=k, dt=dt, steps=args.eval_steps, seed=123)
    print(f"KAT-01 problem: q = sigma = 1, k = {k:g}, dt = {dt:g}; b* = {b_star:.5f}, J* = {j_star:.6f}")
    print(f"DP band [{dp.lower:.5f}, {dp.upper:.5f}] (half-width {dp.half_width:.5f}), first-order estimate "
          f"{first_order:.5f}; DP average loss {dp.average_loss:.6f}/yr, simulated {dp_sim:.6f}/yr\n")
    print(f"agent: {args.algorithm.upper()}, action {args.action!r}"
          + (f", initial log std {args.log_std_init:g}" if args.algorithm == "ppo" else "") + "\n")
    print("| seed | timesteps | train s | learned band | half-width / DP | half-width / (b* - beta sigma sqrt dt) "
          "| loss / yr | loss / DP (simulated) |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|")
    for seed in args.seeds:
        env = BandEnv(k, dt, episode_steps=500, action=args.action)
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = train_agent(
                env, algorithm=args.algorithm, timesteps=args.timesteps, out=Path(folder) / "band.zip", seed=seed,
                meta={"action": "continuous", "every": "monthly", "symbols": [],
                      "observation": {"mode": "summary", "trend": {"kind": "momentum_12_1",
                                      "lookback_months": 12.0, "skip_months": 1.0}, "regime": None},
                      "problem": {"k": k, "dt": dt}},
                hyperparameters=(
                    {"n_steps": 2048, "batch_size": 256, "gamma": 0.98, "learning_rate": 3e-4,
                     "policy_kwargs": {"log_std_init": args.log_std_init}}
                    if args.algorithm == "ppo"
                    else {"gamma": 0.98, "learning_starts": 5000, "buffer_size": 200_000}
                ),
            )
            seconds = time.perf_counter() - started
            model = load_model(result.path)
        decide = policy_map(model, env)
        lower, upper = learned_band(decide, b_star)
        half = (upper - lower) / 2.0
        loss = simulate_band_policy(decide, k=k, dt=dt, steps=args.eval_steps, seed=123)
        print(f"| {seed} | {args.timesteps} | {seconds:.0f} | [{lower:.5f}, {upper:.5f}] | {half / dp.half_width:.3f} "
              f"| {half / first_order:.3f} | {loss:.6f} | {loss / dp_sim:.4f} |")


if __name__ == "__main__":
    main()
