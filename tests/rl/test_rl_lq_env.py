"""KAT-30: the Garleanu-Pedersen environment (KAT-08): checker, seeding, closed form, Riccati, simulation."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from trimtab.errors import ConfigError
from trimtab.policies.multiperiod import gp_trading_fraction
from trimtab.rl.lq_env import LqEnv, fraction_value, gp_riccati

#: KAT-08 table: (gamma, lam, rho, a / lam).
KAT08_ROWS = [
    (1.0, 10.0, 0.01, 0.265933),
    (5.0, 100.0, 0.001, 0.199556),
    (0.5, 2.0, 0.05, 0.371079),
    (1.0, 1.0, 0.0, 0.618034),
]


@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space")  # trade: in units of scale
@pytest.mark.parametrize("action", ["fraction", "trade"])
@pytest.mark.parametrize("cov", [None, [[0.04, 0.01], [0.01, 0.02]]])
def test_lq_environment_passes_the_checker(action: str, cov: object) -> None:
    check_env(LqEnv(action=action, cov=cov, episode_steps=20), skip_render_check=True)


def test_lq_environment_is_deterministic_for_a_seed() -> None:
    def episode(seed: int) -> list[float]:
        env = LqEnv(cov=[[0.04, 0.01], [0.01, 0.02]], episode_steps=30)
        obs, _ = env.reset(seed=seed)
        rewards = [float(obs[0])]
        for _ in range(30):
            obs, reward, _, _, _ = env.step(np.array([0.3], dtype=np.float32))
            rewards += [reward, float(obs[1])]
        return rewards

    assert episode(7) == episode(7)
    assert episode(7) != episode(8)


@pytest.mark.parametrize(("gamma", "lam", "rho", "expected"), KAT08_ROWS)
def test_kat08_closed_form_and_riccati_fixed_point(
    gamma: float, lam: float, rho: float, expected: float
) -> None:
    """KAT-08: a/lam by the closed form and by the scalar Riccati map (1e-6); A_f is smallest at a/lam."""
    fraction = gp_trading_fraction(gamma, lam, rho)
    assert fraction == pytest.approx(expected, abs=1e-6)
    riccati_fraction, value = gp_riccati(gamma, lam, rho)
    assert riccati_fraction == pytest.approx(expected, abs=1e-6)
    assert fraction_value(fraction, gamma, lam, rho) == pytest.approx(value, rel=1e-9)
    for other in (fraction - 0.05, fraction + 0.05, 0.5 * fraction, min(1.0, 1.5 * fraction)):
        assert fraction_value(other, gamma, lam, rho) > value


@pytest.mark.parametrize(("gamma", "lam", "rho", "expected"), KAT08_ROWS[:3])
def test_env_reward_is_the_gp_objective_riccati_value(
    gamma: float, lam: float, rho: float, expected: float
) -> None:
    """KAT-08 Riccati cross-check through the environment: without shocks, the discounted return of "trade
    a/lam of the gap" from gap g equals -(A/2) g' Sigma g, A the Riccati value coefficient (1e-6 relative)."""
    cov = np.array([[0.04, 0.01], [0.01, 0.02]])
    env = LqEnv(gamma, lam, rho, cov=cov, shock=0.0, episode_steps=20_000)
    env.reset(seed=3)
    gap = env.gap.copy()
    total, discount = 0.0, 1.0
    for _ in range(5000):  # the gap shrinks geometrically: 5,000 periods leave nothing
        _, reward, _, _, _ = env.step(np.array([expected], dtype=np.float32))
        total += discount * reward
        discount *= 1.0 - rho
    _, value = gp_riccati(gamma, lam, rho)
    # float32 action: the fraction is rounded to ~1e-8, far inside 1e-6
    assert total == pytest.approx(-0.5 * value * float(gap @ cov @ gap), rel=1e-6)


def _discounted_returns(env: LqEnv, fraction: float, episodes: int, steps: int) -> float:
    """Discounted return of "trade ``fraction`` of the gap" on seeded episodes (common random numbers)."""
    totals = []
    for episode in range(episodes):
        env.reset(seed=1000 + episode)
        total, discount = 0.0, 1.0
        for _ in range(steps):
            _, reward, _, _, _ = env.step(np.array([fraction]))
            total += discount * reward
            discount *= 1.0 - env.rho
        totals.append(total)
    return float(np.mean(totals))


@pytest.mark.parametrize(("gamma", "lam", "rho", "expected"), KAT08_ROWS)
def test_trading_a_over_lam_beats_nearby_fractions_in_simulation(
    gamma: float, lam: float, rho: float, expected: float
) -> None:
    """KAT-30 premise: on the environment's own rewards (shocks on, common random numbers), a/lam earns more
    than a/lam - 0.1 and a/lam + 0.1 (their exact excess costs are 5-33 %)."""
    env = LqEnv(gamma, lam, rho, episode_steps=10_000)
    best = _discounted_returns(env, expected, episodes=40, steps=150)
    assert best > _discounted_returns(env, expected - 0.1, episodes=40, steps=150)
    assert best > _discounted_returns(env, expected + 0.1, episodes=40, steps=150)


def test_trade_action_is_scaled_and_a_linear_policy_gives_the_fraction() -> None:
    """``trade``: dx = scale * u; u = -f * obs is the fraction f (obs = g / scale)."""
    env = LqEnv(shock=2.0, action="trade")
    obs, _ = env.reset(seed=0)
    gap = env.gap.copy()
    _, _, _, _, info = env.step(-0.25 * obs)
    assert info["traded"] == pytest.approx(-0.25 * gap, rel=1e-6)
    cost, risk = info["cost"], info["risk"]
    assert cost == pytest.approx(0.5 * 10.0 * (0.25 * gap[0]) ** 2, rel=1e-6)
    assert risk == pytest.approx(0.99 * 0.5 * (0.75 * gap[0]) ** 2, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [{"lam": 0.0}, {"rho": 1.0}, {"shock": -1.0}, {"action": "weights"}, {"cov": [[1.0, 2.0], [2.0, 1.0]]}],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        LqEnv(**kwargs)  # type: ignore[arg-type]
