# mypy: disable-error-code="import-untyped,import-not-found,no-any-return"
"""Train an agent with stable-baselines3 (PPO or DQN, CPU) and save it as a trimtab model.

``train_agent(env, algorithm=..., timesteps=..., out=...)`` trains on any gymnasium environment;
``train_from_config(path, ...)`` builds a :class:`~trimtab.rl.env.RebalancingEnv` from a backtest config file
(its data, targets, initial value or portfolio, costs, trading, tax and cash flows; its ``policies`` are not
used). The saved zip is a stable-baselines3 model plus ``trimtab.json`` and ``trimtab_weights.npz``
(:mod:`trimtab.rl.policy`), usable as ``policy: {kind: rl, model: model.zip}``.

Needs the optional extra: ``pip install -e .[rl]`` (stable-baselines3, gymnasium and the CPU build of
torch 2.13.0).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trimtab.errors import ConfigError
from trimtab.rl.features import ObservationSpec
from trimtab.rl.policy import FORMAT_VERSION, MlpNetwork, write_model_entries
from trimtab.signals.regime import RegimeDetector
from trimtab.signals.trend import TrendSignal

__all__ = ["ALGORITHMS", "TrainResult", "export_network", "train_agent", "train_from_config"]

ALGORITHMS = ("ppo", "dqn")
_INSTALL = "install the optional extra: pip install -e .[rl]"


def _sb3() -> Any:
    try:
        import stable_baselines3
    except ImportError:
        raise ConfigError(
            "training needs stable-baselines3 and torch", got="not installed", fix=_INSTALL
        ) from None
    return stable_baselines3


@dataclass(frozen=True, slots=True)
class TrainResult:
    """Where the model went and what training did."""

    path: Path
    algorithm: str
    timesteps: int
    meta: Mapping[str, Any]


def export_network(model: Any) -> MlpNetwork:
    """The deterministic action network of a trained PPO or DQN model as numpy layers.

    PPO: the policy branch of ``mlp_extractor`` then ``action_net`` (logits, or the mean of a continuous
    action); DQN: ``q_net`` (Q-values). Only flatten feature extractors (the default for vector
    observations) are supported.
    """
    import torch

    policy = model.policy
    layers: list[Any] = []
    if hasattr(policy, "mlp_extractor"):
        layers = [*policy.mlp_extractor.policy_net, policy.action_net]
    elif hasattr(policy, "q_net"):
        layers = list(policy.q_net.q_net)
    else:
        raise ConfigError(
            "cannot export this model's network", got=type(policy).__name__, fix="use PPO or DQN"
        )
    weights, biases, activations = [], [], []
    for layer in layers:
        if isinstance(layer, torch.nn.Linear):
            weights.append(layer.weight.detach().cpu().numpy().astype(np.float64))
            biases.append(layer.bias.detach().cpu().numpy().astype(np.float64))
        elif isinstance(layer, torch.nn.Tanh):
            activations.append("tanh")
        elif isinstance(layer, torch.nn.ReLU):
            activations.append("relu")
        else:
            raise ConfigError(
                "cannot export a network layer", got=type(layer).__name__, fix="use Tanh or ReLU MLPs"
            )
    while len(activations) < len(weights) - 1:  # a linear layer straight into the next (no activation)
        activations.append("identity")
    return MlpNetwork(weights, biases, activations)


def train_agent(
    env: Any,
    *,
    algorithm: str = "ppo",
    timesteps: int = 100_000,
    out: str | Path,
    seed: int = 0,
    meta: Mapping[str, Any] | None = None,
    progress_bar: bool = False,
    callback: Any = None,
    hyperparameters: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train ``algorithm`` on ``env`` for ``timesteps`` and save to ``out`` (with trimtab's entries).

    Parameters
    ----------
    env : gymnasium.Env
    algorithm : {'ppo', 'dqn'}
        DQN needs a discrete action space.
    timesteps : int
    out : path
        The zip to write (``.zip`` is added when missing, as stable-baselines3 does).
    seed : int
        Seeds the algorithm, torch and the environment (deterministic on CPU for a given seed).
    meta : mapping, optional
        Extra entries of ``trimtab.json`` (the environment's settings).
    progress_bar : bool
        stable-baselines3's progress bar (needs tqdm and rich).
    hyperparameters : mapping, optional
        Passed to the algorithm (e.g. ``learning_rate``, ``gamma``, ``n_steps``).
    """
    sb3 = _sb3()
    import torch

    algorithm = algorithm.lower()
    if algorithm not in ALGORITHMS:
        raise ConfigError("unknown algorithm", got=algorithm, fix=f"use one of {', '.join(ALGORITHMS)}")
    if timesteps < 1:
        raise ConfigError("timesteps must be at least 1", got=timesteps, fix="e.g. --timesteps 100000")
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    options = dict(hyperparameters or {})
    if algorithm == "ppo":
        options.setdefault("n_steps", 256)
        options.setdefault("batch_size", 64)
        model = sb3.PPO("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **options)
    else:
        from gymnasium import spaces

        if not isinstance(env.action_space, spaces.Discrete):
            raise ConfigError(
                "DQN needs discrete actions", got="continuous", fix="use --action discrete or ppo"
            )
        options.setdefault("learning_starts", 100)
        options.setdefault("exploration_fraction", 0.3)
        model = sb3.DQN("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **options)
    model.learn(total_timesteps=int(timesteps), progress_bar=progress_bar, callback=callback)
    path = Path(out)
    if path.suffix != ".zip":
        path = path.with_suffix(path.suffix + ".zip") if path.suffix else path.with_suffix(".zip")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(path))
    info = {
        "format": FORMAT_VERSION,
        "algorithm": algorithm,
        "timesteps": int(timesteps),
        "seed": int(seed),
        **dict(meta or {}),
    }
    write_model_entries(path, info, export_network(model))
    return TrainResult(path=path, algorithm=algorithm, timesteps=int(timesteps), meta=info)


def environment_meta(env: Any) -> dict[str, Any]:
    """``trimtab.json`` entries describing a :class:`~trimtab.rl.env.RebalancingEnv`."""
    scenario = env.scenario
    return {
        "action": env.action_kind,
        "every": env.every,
        "observation": env.spec_observation.to_json(),
        "symbols": list(env.symbols),
        "targets": {s: float(w) for s, w in scenario.targets.weights.items()},
        "te_penalty": env.te_penalty,
        "benchmark_relative": env.benchmark_relative,
        "episode_years": env.episode_years,
        "trained_on": {
            "start": f"{scenario.dates[0]:%Y-%m-%d}",
            "end": f"{scenario.dates[-1]:%Y-%m-%d}",
            "data": getattr(scenario.market, "source", ""),
        },
    }


def train_from_config(
    config: str | Path,
    *,
    out: str | Path,
    timesteps: int = 100_000,
    algorithm: str = "ppo",
    action: str = "discrete",
    observation: str = "assets",
    every: str = "monthly",
    te_penalty: float = 1.5,
    episode_years: float | None = None,
    regime: bool = True,
    start: str | None = None,
    end: str | None = None,
    seed: int = 0,
    progress_bar: bool = False,
    callback: Any = None,
    hyperparameters: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train on the scenario of a backtest config file (see the module docstring).

    ``start``/``end`` narrow the training period (e.g. train 1990-2005 and backtest later years).
    """
    from trimtab.backtest.config import load_backtest_config
    from trimtab.rl.env import RebalancingEnv

    loaded = load_backtest_config(config)
    scenario = loaded.scenario
    if start is not None or end is not None:
        scenario = dataclasses.replace(
            scenario,
            start=pd.Timestamp(start) if start is not None else scenario.start,
            end=pd.Timestamp(end) if end is not None else scenario.end,
        )
    spec = ObservationSpec(mode=observation, trend=TrendSignal(), regime=RegimeDetector() if regime else None)
    env = RebalancingEnv(
        scenario,
        every=every,
        action=action,
        observation=spec,
        te_penalty=te_penalty,
        episode_years=episode_years,
    )
    return train_agent(
        env,
        algorithm=algorithm,
        timesteps=timesteps,
        out=out,
        seed=seed,
        meta=environment_meta(env),
        progress_bar=progress_bar,
        callback=callback,
        hyperparameters=hyperparameters,
    )
