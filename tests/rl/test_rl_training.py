"""Training (stable-baselines3, tiny runs), the model file, and the ``rl`` policy kind in backtests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rl_helpers import daily_market, scenario

pytest.importorskip("stable_baselines3")

from stable_baselines3 import DQN, PPO

from trimtab.backtest import load_backtest_config, simulate
from trimtab.cli.main import main
from trimtab.domain.settings import PolicySpec
from trimtab.errors import ConfigError
from trimtab.policies.registry import _KINDS, build_policy
from trimtab.rl.band_env import BandEnv
from trimtab.rl.env import RebalancingEnv
from trimtab.rl.features import ObservationSpec
from trimtab.rl.policy import RlPolicy, load_model
from trimtab.rl.train import environment_meta, train_agent, train_from_config


@pytest.fixture
def rl_kind() -> Iterator[None]:
    """The ``rl`` kind registered for one test (and removed after, so other tests see the usual kinds)."""
    import trimtab.rl.policy as module

    module._register()
    yield
    _KINDS.pop("rl", None)


@pytest.fixture(scope="module")
def dqn_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DQN agent trained for 600 steps on a small two-asset scenario (monthly decisions, 5 bp, taxes)."""
    env = RebalancingEnv(scenario(), observation=ObservationSpec(regime=None), episode_years=1.0)
    out = tmp_path_factory.mktemp("rl") / "dqn.zip"
    result = train_agent(env, algorithm="dqn", timesteps=600, out=out, seed=0, meta=environment_meta(env))
    return result.path


def test_tiny_ppo_run_on_the_band_problem_saves_a_model_whose_numpy_network_matches(tmp_path: Path) -> None:
    """2,048 PPO steps on the KAT-01 environment: the file loads in stable-baselines3 and trimtab, and
    trimtab's numpy forward pass gives the same deterministic actions as ``model.predict``."""
    result = train_agent(
        BandEnv(episode_steps=256),
        algorithm="ppo",
        timesteps=2048,
        out=tmp_path / "band",
        seed=0,
        meta={
            "action": "continuous",
            "every": "monthly",
            "symbols": [],
            "observation": ObservationSpec().to_json(),
        },
    )
    assert result.path == tmp_path / "band.zip" and result.path.is_file()
    model = load_model(result.path)
    sb3 = PPO.load(result.path, device="cpu")
    x = np.linspace(-3, 3, 61, dtype=np.float32)[:, None]
    ours = np.array([model.act(o) for o in x]).reshape(-1)
    theirs = sb3.predict(x, deterministic=True)[0].reshape(-1)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_dqn_model_as_a_policy_reproduces_its_environment_episode(dqn_model: Path) -> None:
    """The same model acting in the environment and as ``RlPolicy`` in ``simulate`` gives identical runs
    (shared features: no train/serve skew); its actions are the SB3 model's."""
    model = load_model(dqn_model)
    sb3 = DQN.load(dqn_model, device="cpu")
    sc = scenario()
    env = RebalancingEnv(sc, observation=model.observation)
    obs, _ = env.reset(seed=0)
    done = False
    while not done:
        action = model.act(obs)
        assert action == int(sb3.predict(obs, deterministic=True)[0])
        obs, _, done, _, _ = env.step(action)
    episode = env.policy_run()
    run = simulate(RlPolicy(model), sc)
    np.testing.assert_array_equal(run.value, episode.value)
    np.testing.assert_array_equal(run.costs, episode.costs)


def test_rl_kind_in_a_backtest_config(dqn_model: Path, tmp_path: Path, rl_kind: None) -> None:
    (tmp_path / "model.zip").write_bytes(dqn_model.read_bytes())
    market = daily_market()
    market.prices.to_csv(tmp_path / "prices.csv", index_label="date")
    config = tmp_path / "bt.yaml"
    config.write_text(
        "data: {prices: prices.csv}\nstart: 2016-01-04\ninitial: {value: 1000000}\n"
        "targets: {STK: 0.6, BND: 0.4}\ncosts: {half_spread_bps: 5}\n"
        "policies:\n  - {name: agent, kind: rl, model: model.zip}\n  - {name: wrong, kind: rl, model: nope.zip}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_backtest_config(config)
    assert str(err.value).startswith(f"{config}:8 policies[wrong].model: model file not found")
    assert main(["backtest", str(config)]) == 2
    config.write_text(config.read_text().replace("  - {name: wrong, kind: rl, model: nope.zip}\n", ""))
    loaded = load_backtest_config(config)
    run = simulate(loaded.policies[0].policy, loaded.scenario)
    assert run.value[-1] > 0 and run.policy == "rl(model=model.zip)"
    assert main(["backtest", str(config), "--json"]) == 0


def test_model_for_another_universe_is_a_config_error(dqn_model: Path, rl_kind: None) -> None:
    policy = build_policy(PolicySpec("rl", {"model": str(dqn_model)}))
    market = daily_market().prices.rename(columns={"BND": "TLT"})
    import dataclasses

    from trimtab.data.market import MarketData
    from trimtab.domain.targets import TargetAllocation

    base = scenario()
    other = dataclasses.replace(
        base, market=MarketData(market, source="renamed"), targets=TargetAllocation({"STK": 0.6, "TLT": 0.4})
    )
    with pytest.raises(
        ConfigError, match=r"trained for another asset universe \(missing BND; not in training TLT\)"
    ):
        simulate(policy, other)


def test_missing_model_key_and_non_model_file(tmp_path: Path, rl_kind: None) -> None:
    with pytest.raises(ConfigError, match="policy.model: the rl policy needs a trained model file"):
        build_policy(PolicySpec("rl"))
    bad = tmp_path / "x.zip"
    bad.write_text("not a zip")
    with pytest.raises(ConfigError, match="cannot read the model file"):
        build_policy(PolicySpec("rl", {"model": str(bad)}))


def test_train_from_config_with_the_cli_options(tmp_path: Path) -> None:
    config = tmp_path / "bt.yaml"
    daily_market().prices.to_csv(tmp_path / "prices.csv", index_label="date")
    config.write_text(
        "data: {prices: prices.csv}\nfrequency: monthly\ninitial: {value: 1000000}\n"
        "targets: {STK: 0.6, BND: 0.4}\ncosts: {half_spread_bps: 5}\npolicies: [never]\n"
    )
    result = train_from_config(
        config,
        out=tmp_path / "m.zip",
        timesteps=128,
        action="continuous",
        observation="summary",
        regime=False,
        start="2016-01-29",
    )
    model = load_model(result.path)
    assert model.meta["observation"]["mode"] == "summary" and model.action_kind == "continuous"
    assert model.meta["trained_on"]["start"] == "2016-01-29"
