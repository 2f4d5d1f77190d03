"""KAT-29b: delta hedging with proportional costs mapped onto KAT-01 (Whalley-Wilmott band)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trimtab.errors import ConfigError
from trimtab.policies.dp import continuous_band, discrete_band_estimate, solve_band
from trimtab.rl.hedge_env import HedgeProblem, hedge_band_env, whalley_wilmott_half_width


def test_whalley_wilmott_half_width_known_value() -> None:
    """KAT-29b: Gamma = 0.05, sigma = 0.2, S = 100, a = 1, c = 0.001: W&W half-width 0.072112."""
    assert whalley_wilmott_half_width(0.001, 100.0, 0.05, 1.0) == pytest.approx(0.072112, abs=1e-6)
    assert HedgeProblem().half_width() == pytest.approx(0.072112, abs=1e-6)
    assert HedgeProblem().half_width() == pytest.approx(0.000375 ** (1 / 3), rel=1e-12)


@pytest.mark.parametrize(
    ("gamma", "sigma", "spot", "a", "c"),
    [(0.05, 0.2, 100.0, 1.0, 0.001), (0.02, 0.35, 40.0, 0.3, 0.004), (0.1, 0.1, 250.0, 5.0, 0.0002)],
)
def test_kat01_mapping_gives_the_whalley_wilmott_band(
    gamma: float, sigma: float, spot: float, a: float, c: float
) -> None:
    """KAT-29b consistency: KAT-01 with sigma_x = Gamma sigma S, q = a sigma^2 S^2 / 2, k = c S: b* = W&W."""
    problem = HedgeProblem(gamma=gamma, sigma=sigma, spot=spot, risk_aversion=a, cost=c)
    params = problem.kat01()
    expected = {"k": c * spot, "q": a * sigma**2 * spot**2 / 2, "sigma": gamma * sigma * spot}
    assert params == pytest.approx(expected)
    b_star, _ = continuous_band(**params)
    assert b_star == pytest.approx(whalley_wilmott_half_width(c, spot, gamma, a), rel=1e-12)


def test_dp_band_on_the_hedge_mapping_is_the_discrete_whalley_wilmott_band() -> None:
    """KAT-01b on the hedge mapping (dt = 1e-3 yr): the DP band is W&W - beta sigma_x sqrt(dt) = 0.05369
    within two grid steps; its average loss is within 1.5 % of J* = q b*^2 at dt = 1e-4 (KAT-01b)."""
    problem = HedgeProblem()
    params = problem.kat01()
    solution = solve_band(dt=1e-3, n_grid=1601, **params)
    step = solution.grid[1] - solution.grid[0]
    expected = discrete_band_estimate(dt=1e-3, **params)
    assert expected == pytest.approx(0.072112 - 0.5825972 * math.sqrt(1e-3), abs=1e-6)
    assert solution.upper == pytest.approx(expected, abs=2 * step)
    assert solution.lower == pytest.approx(-expected, abs=2 * step)
    fine = solve_band(dt=1e-4, n_grid=1601, **params)
    assert fine.average_loss == pytest.approx(problem.q * problem.half_width() ** 2, rel=0.015)


@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space")  # the edge action is in units of b*
def test_hedge_environment_is_the_band_environment_on_the_mapping() -> None:
    pytest.importorskip("gymnasium")
    from gymnasium.utils.env_checker import check_env

    env = hedge_band_env(dt=1e-3, action="edge", episode_steps=50)
    check_env(env, skip_render_check=True)
    assert env.b_star == pytest.approx(0.072112, abs=1e-6)
    env.reset(seed=0)
    env.x = 0.1
    _, reward, _, _, info = env.step(np.array([1.0], dtype=np.float32))  # trade to the edge +b*
    problem = HedgeProblem()
    y = env.b_star
    expected = problem.k * (0.1 - y) + problem.q * (y * y * 1e-3 + problem.sigma_x**2 * 1e-6 / 2)
    assert info["loss"] == pytest.approx(expected, rel=1e-6)
    assert reward == pytest.approx(-expected / (env.j_star * 1e-3), rel=1e-6)


def test_bad_hedge_parameters_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        HedgeProblem(gamma=0.0)
    with pytest.raises(ConfigError):
        HedgeProblem(cost=float("nan"))
