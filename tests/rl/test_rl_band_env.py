"""The KAT-01 environment: checker, the DP's stage cost, and the DP band's loss by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from trimtab.policies.dp import BETA, solve_band
from trimtab.rl.band_env import BandEnv, band_policy_loss


@pytest.mark.parametrize("action", ["continuous", "discrete"])
def test_band_environment_passes_the_checker(action: str) -> None:
    check_env(BandEnv(action=action, episode_steps=50), skip_render_check=True)


def test_reward_is_minus_the_dp_stage_cost_scaled() -> None:
    """KAT-29 reward: -(k|dx| + q(y^2 dt + sigma^2 dt^2 / 2)) / (J* dt); half-way trade by hand."""
    env = BandEnv(k=1e-3, dt=1e-3)
    env.reset(seed=0)
    env.x = 0.2
    _, reward, _, _, info = env.step(np.array([0.5], dtype=np.float32))
    expected = 1e-3 * 0.1 + (0.1**2 * 1e-3 + 1e-6 / 2)
    assert info["loss"] == pytest.approx(expected, rel=1e-12)
    assert reward == pytest.approx(-expected / (env.j_star * 1e-3), rel=1e-12)
    assert env.b_star == pytest.approx(0.090856, abs=1e-6)  # KAT-01 table, k = 1e-3


def test_dp_band_simulated_loss_matches_the_dp_average_loss() -> None:
    """KAT-01b: the DP band (k = 1e-3, dt = 1e-3), simulated with trades to the edge, costs the DP's average
    loss within Monte Carlo error (1.5 %), and its half-width is near b* - beta sigma sqrt(dt) = 0.0724."""
    solution = solve_band(1e-3, 1e-3, n_grid=1601)
    assert solution.half_width == pytest.approx(0.090856 - BETA * math.sqrt(1e-3), abs=0.003)
    loss = band_policy_loss(solution.lower, solution.upper, k=1e-3, dt=1e-3, steps=400_000, seed=1)
    assert loss == pytest.approx(solution.average_loss, rel=0.015)
    wider = band_policy_loss(
        1.5 * solution.lower, 1.5 * solution.upper, k=1e-3, dt=1e-3, steps=400_000, seed=1
    )
    assert wider > loss
