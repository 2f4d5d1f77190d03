"""KAT-30 smoke: tiny PPO runs on the LQ environment (fraction with an MLP, trade with a linear policy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from stable_baselines3 import PPO

from trimtab.rl.lq_env import LqEnv
from trimtab.rl.policy import load_model
from trimtab.rl.train import train_agent

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


@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space")
@pytest.mark.parametrize("action", ["fraction", "trade"])
def test_tiny_ppo_run_on_the_lq_problem_exports_the_policy_it_trained(action: str, tmp_path: Path) -> None:
    """1,024 PPO steps (discount 1 - rho): the numpy network gives model.predict's deterministic actions;
    with ``trade`` and no hidden policy layer the exported policy is one linear layer (fraction = -W)."""
    env = LqEnv(1.0, 10.0, 0.01, action=action, episode_steps=128)
    hyper: dict[str, object] = {"n_steps": 512, "batch_size": 128, "gamma": 0.99, "n_epochs": 2}
    if action == "trade":
        hyper["policy_kwargs"] = {"net_arch": {"pi": [], "vf": [16]}}
    result = train_agent(env, algorithm="ppo", timesteps=1024, out=tmp_path / "lq", seed=0, meta=META,
                         hyperparameters=hyper)
    model = load_model(result.path)
    agent = PPO.load(str(result.path), device="cpu")
    obs = np.linspace(-3.0, 3.0, 13, dtype=np.float32)[:, None]
    expected, _ = agent.predict(obs, deterministic=True)
    ours = np.clip(model.network(obs), env.action_space.low, env.action_space.high)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
    if action == "trade":
        assert len(model.network.weights) == 1
        assert model.network.weights[0].shape == (1, 1)
