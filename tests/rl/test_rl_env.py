"""The rebalancing environment: env checker, equality with the backtest, rewards, seeding, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rl_helpers import daily_market, scenario

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from trimtab.backtest import simulate
from trimtab.data.market import MarketData
from trimtab.policies.rules import calendar, never
from trimtab.rl.env import RebalancingEnv
from trimtab.rl.features import ObservationSpec

FAST = ObservationSpec(regime=None)


@pytest.mark.parametrize("action", ["discrete", "continuous"])
@pytest.mark.parametrize("mode", ["assets", "summary"])
def test_environment_passes_the_gymnasium_checker(action: str, mode: str) -> None:
    env = RebalancingEnv(
        scenario(end="2017-06-30"), action=action, observation=ObservationSpec(mode=mode), episode_years=0.5
    )
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=1)
    assert obs.shape == ((2 * 2 + 5) if mode == "assets" else 8,)


def _episode(env: RebalancingEnv, actions: object, seed: int = 0) -> tuple[list, list, list]:
    obs, _ = env.reset(seed=seed)
    observations, rewards, infos = [obs], [], []
    done, i = False, 0
    while not done:
        action = actions(i) if callable(actions) else actions
        obs, reward, done, _, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
        i += 1
    return observations, rewards, infos


@pytest.mark.parametrize(("action", "policy"), [(2, calendar("monthly")), (0, never())])
def test_full_every_month_is_the_monthly_calendar_backtest_bit_for_bit(action: int, policy: object) -> None:
    """The environment drives the backtest's own simulator: 'full' at every month end gives exactly the
    values, costs and taxes of ``simulate(calendar monthly)``, and 'none' those of ``never`` (costs 5 bp,
    taxes 37/20 %, daily data over three years)."""
    sc = scenario()
    env = RebalancingEnv(sc, observation=FAST)
    _episode(env, action)
    run = env.policy_run()
    reference = simulate(policy, sc)  # type: ignore[arg-type]
    np.testing.assert_array_equal(run.value, reference.value)
    np.testing.assert_array_equal(run.costs, reference.costs)
    np.testing.assert_array_equal(run.taxes, reference.taxes)
    assert run.after_tax_value == reference.after_tax_value


def test_kat12_without_costs_and_taxes_rewards_compound_to_the_frictionless_value() -> None:
    """KAT-12: zero cost and tax, full rebalance each month: the reward is the period return over the
    benchmark (no cost, no tax, no tracking error after a full rebalance), and the period returns compound
    exactly to the final value."""
    sc = scenario(spread_bps=0.0, st=0.0, lt=0.0)
    env = RebalancingEnv(sc, observation=FAST)
    _, rewards, infos = _episode(env, 2)
    run = env.policy_run()
    assert all(i["trading_cost"] == 0.0 and i["tax"] == 0.0 for i in infos)
    for reward, info in zip(rewards, infos, strict=True):
        assert reward == pytest.approx(
            info["period_return"] - info["benchmark_return"] - info["te_penalty"], abs=1e-15
        )
    rewards = [i["period_return"] for i in infos]
    assert max(abs(i["te_penalty"]) for i in infos) < 1e-16
    first = int(np.flatnonzero(run.dates >= pd.Timestamp(infos[0]["date"]))[0])
    growth = float(np.prod(1.0 + np.array(rewards)))
    assert growth == pytest.approx(run.value[-1] / run.value[first], rel=1e-12)


def test_reward_is_return_minus_cost_minus_tax_minus_tracking_penalty() -> None:
    """The documented decomposition, and the trading cost is what the trade took from the value."""
    env = RebalancingEnv(scenario(), observation=FAST, te_penalty=50.0)
    _, rewards, infos = _episode(env, lambda i: [0, 1, 2][i % 3])
    for reward, info in zip(rewards, infos, strict=True):
        assert reward == pytest.approx(
            info["period_return"]
            - info["benchmark_return"]
            - info["trading_cost"]
            - info["tax"]
            - info["te_penalty"],
            abs=1e-15,
        )
    assert sum(i["trading_cost"] > 0 for i in infos) > 5
    assert sum(i["tax"] > 0 for i in infos) > 0  # selling winners in a taxable account realises gains
    assert sum(i["te_penalty"] > 0 for i in infos) > 5
    # the benchmark is the target rebalanced every day without cost
    assert all(abs(i["benchmark_return"]) < 0.2 for i in infos)


def test_seeding_is_deterministic() -> None:
    env = RebalancingEnv(scenario(), observation=FAST, episode_years=1.0)
    a = [env.reset(seed=3)[1]["date"] for _ in range(2)]
    b = env.reset(seed=4)[1]["date"]
    assert a[0] == a[1] and b != a[0]
    obs_a, rewards_a, _ = _episode(env, 1, seed=3)
    obs_b, rewards_b, _ = _episode(env, 1, seed=3)
    np.testing.assert_array_equal(np.array(obs_a), np.array(obs_b))
    assert rewards_a == rewards_b


def test_kat12d_observations_and_rewards_up_to_t_ignore_later_data() -> None:
    """KAT-12d: scaling the prices after a cut changes no observation at or before the cut and no reward of
    a step that ends at or before it (the reward uses the t -> t+1 return only)."""
    base = daily_market(seed=2)
    cut = pd.Timestamp("2017-06-30")
    prices = base.prices.copy()
    later = prices.index > cut
    prices.loc[later] = prices.loc[later].to_numpy() * np.exp(
        np.cumsum(np.random.default_rng(9).normal(0, 0.02, size=(int(later.sum()), 2)), axis=0)
    )
    other = MarketData(prices, source="perturbed")
    runs = []
    for market in (base, other):
        env = RebalancingEnv(scenario(market), observation=ObservationSpec())
        runs.append((_episode(env, lambda i: [2, 0, 1][i % 3]), env))
    (obs_a, rew_a, info_a), _ = runs[0]
    (obs_b, rew_b, _), _ = runs[1]
    steps_before = sum(pd.Timestamp(i["date"]) < cut for i in info_a)  # steps that end on or before the cut
    np.testing.assert_array_equal(np.array(obs_a[: steps_before + 1]), np.array(obs_b[: steps_before + 1]))
    assert rew_a[:steps_before] == rew_b[:steps_before]
    assert rew_a[steps_before + 1 :] != rew_b[steps_before + 1 :]
