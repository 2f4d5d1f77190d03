"""KAT-29 / KAT-29b: a reinforcement-learning agent against the exact dynamic-programming band in 1-D.

``--case band`` (KAT-29): the KAT-01 problem with discrete checks (``trimtab.rl.band_env.BandEnv``:
deviation ``dx = sigma dW``, checks every ``dt`` years, proportional cost ``k``, tracking loss ``q x^2``,
``q = sigma = 1``).
``--case hedge`` (KAT-29b): delta hedging a short option with proportional costs, mapped onto the same problem
(``trimtab.rl.hedge_env``: ``sigma_x = Gamma sigma S``, ``q = a sigma^2 S^2 / 2``, ``k = c S``), whose
continuous band is the Whalley-Wilmott half-width.

PPO (stable-baselines3, CPU) learns, per check, where to trade to; the DP (``trimtab.policies.dp.solve_band``)
gives the optimal band. For each of ``--seeds`` seeds the study reports the learned no-trade band (read from
the deterministic policy: the deviations at which it starts trading), its half-width against the DP's and
against the first-order band ``b* - beta sigma sqrt(dt)``, and the long-run average loss of each policy
simulated on the same random numbers; then mean +- sd over seeds and how many seeds meet KAT-29's criteria
(loss within 3 % of the DP, half-width within 10 %).

    .venv/bin/python studies/rl_vs_dp.py --seeds 5 --timesteps 120000         # PPO, edge action
    .venv/bin/python studies/rl_vs_dp.py --case hedge --seeds 3 --timesteps 120000
    .venv/bin/python studies/rl_vs_dp.py --algorithm dqn --action discrete --seeds 1 --timesteps 200000
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
from trimtab.rl.hedge_env import HedgeProblem
from trimtab.rl.policy import load_model
from trimtab.rl.train import train_agent


def policy_map(model, env: BandEnv):  # type: ignore[no-untyped-def]
    """``decide(x) -> y``: the agent's post-trade deviations for deviations ``x`` (vectorized)."""

    def decide(x: np.ndarray) -> np.ndarray:
        out = model.network(np.clip(x / env.b_star, -10, 10)[:, None])
        action = np.argmax(out, axis=1) if env.action_kind == "discrete" else out.reshape(-1)
        return env.post_trade(x, action)

    return decide


def learned_band(decide, b_star: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The deviations (lower, upper) beyond which the agent trades (``y != x``), read on a fine grid."""
    x = np.linspace(-3.0, 3.0, 60001) * b_star
    trading = np.abs(decide(x) - x) > 1e-9 * b_star
    upper = x[(x > 0) & trading].min() if np.any((x > 0) & trading) else math.inf
    lower = x[(x < 0) & trading].max() if np.any((x < 0) & trading) else -math.inf
    return float(lower), float(upper)


def problem_parameters(case: str, k: float) -> tuple[dict[str, float], str]:
    """``{'k', 'q', 'sigma'}`` of the case and a one-line description."""
    if case == "hedge":
        hedge = HedgeProblem()
        return hedge.kat01(), (
            f"KAT-29b hedge: Gamma = {hedge.gamma:g}, sigma = {hedge.sigma:g}, S = {hedge.spot:g}, "
            f"a = {hedge.risk_aversion:g}, c = {hedge.cost:g} -> sigma_x = {hedge.sigma_x:g}, "
            f"q = {hedge.q:g}, k = {hedge.k:g}; Whalley-Wilmott half-width {hedge.half_width():.6f}"
        )
    return {"k": k, "q": 1.0, "sigma": 1.0}, f"KAT-01 problem: q = sigma = 1, k = {k:g}"


def mean_sd(values: list[float]) -> str:
    """``mean +- sd`` (sample sd; ``-`` for one value)."""
    finite = np.array([v for v in values if math.isfinite(v)])
    if finite.size == 0:
        return "none finite"
    sd = f"{np.std(finite, ddof=1):.3f}" if finite.size > 1 else "-"
    note = f" ({finite.size} finite)" if finite.size < len(values) else ""
    return f"{np.mean(finite):.3f} +- {sd}{note}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", default="band", choices=["band", "hedge"], help="KAT-29 or KAT-29b")
    parser.add_argument("--k", type=float, default=1e-3, help="cost (band case only)")
    parser.add_argument("--dt", type=float, default=1e-3)
    parser.add_argument("--timesteps", type=int, default=300_000)
    parser.add_argument("--seeds", type=int, default=5, help="seeds first-seed, first-seed + 1, ...")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--eval-steps", type=int, default=1_000_000)
    parser.add_argument("--action", default="edge", choices=["edge", "continuous", "discrete"])
    parser.add_argument("--algorithm", default="ppo", choices=["ppo", "dqn"])
    parser.add_argument("--log-std-init", type=float, default=-1.5, help="PPO: initial log std")
    args = parser.parse_args()
    dt = args.dt
    params, title = problem_parameters(args.case, args.k)
    k, q, sigma = params["k"], params["q"], params["sigma"]
    b_star, j_star = continuous_band(k, q=q, sigma=sigma)
    dp = solve_band(k, dt, q=q, sigma=sigma, n_grid=1601)
    first_order = b_star - BETA * sigma * math.sqrt(dt)
    dp_sim = band_policy_loss(dp.lower, dp.upper, **params, dt=dt, steps=args.eval_steps, seed=123)
    print(f"{title}; dt = {dt:g}; b* = {b_star:.5f}, J* = {j_star:.6g}")
    print(f"DP band [{dp.lower:.5f}, {dp.upper:.5f}] (half-width {dp.half_width:.5f}), first-order estimate "
          f"{first_order:.5f}; DP average loss {dp.average_loss:.6g}/yr, simulated {dp_sim:.6g}/yr\n")
    print(f"agent: {args.algorithm.upper()}, action {args.action!r}, {args.timesteps} steps"
          + (f", initial log std {args.log_std_init:g}" if args.algorithm == "ppo" else "") + "\n")
    print("| seed | train s | learned band | half-width / DP | half-width / (b* - beta sigma sqrt dt) "
          "| loss / yr | loss / DP (simulated) |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    widths, ratios = [], []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        env = BandEnv(k, dt, q=q, sigma=sigma, episode_steps=500, action=args.action)
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = train_agent(
                env, algorithm=args.algorithm, timesteps=args.timesteps, out=Path(folder) / "band.zip",
                seed=seed,
                meta={"action": "continuous", "every": "monthly", "symbols": [],
                      "observation": {"mode": "summary", "trend": {"kind": "momentum_12_1",
                                      "lookback_months": 12.0, "skip_months": 1.0}, "regime": None},
                      "problem": {"case": args.case, "k": k, "q": q, "sigma": sigma, "dt": dt}},
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
        loss = simulate_band_policy(decide, **params, dt=dt, steps=args.eval_steps, seed=123)
        widths.append(half / dp.half_width)
        ratios.append(loss / dp_sim)
        print(f"| {seed} | {seconds:.0f} | [{lower:.5f}, {upper:.5f}] | {half / dp.half_width:.3f} "
              f"| {half / first_order:.3f} | {loss:.6g} | {loss / dp_sim:.4f} |", flush=True)
    n = len(ratios)
    cost_ok = sum(r <= 1.03 for r in ratios)
    width_ok = sum(abs(w - 1.0) <= 0.10 for w in widths)
    both = sum(r <= 1.03 and abs(w - 1.0) <= 0.10 for r, w in zip(ratios, widths, strict=True))
    print(f"\nover {n} seeds: loss / DP {mean_sd(ratios)}; half-width / DP {mean_sd(widths)}")
    print(f"loss within 3 % of the DP: {cost_ok}/{n}; half-width within 10 % of the DP: {width_ok}/{n}; "
          f"both (KAT-29): {both}/{n}")


if __name__ == "__main__":
    main()
