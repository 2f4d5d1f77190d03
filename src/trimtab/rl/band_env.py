# mypy: disable-error-code="import-untyped,misc"
"""The one-asset tracking problem of KAT-01 as a gymnasium environment, for the comparison with DP.

The deviation ``x`` of a weight from its target moves as ``dx = sigma dW`` between checks ``dt`` years
apart; at a check the agent trades it from ``x`` to ``y = x (1 - f)`` (``f``: the fraction of the way back to
target) at cost ``k |y - x|``; tracking loss accrues at rate ``q x^2``. Per check the expected loss given
``y`` is ``q (y^2 dt + sigma^2 dt^2 / 2)`` -- the same stage cost as :func:`trimtab.policies.dp.solve_band`
-- so the reward

    reward = -(k |y - x| + q (y^2 dt + sigma^2 dt^2 / 2)) / (J* dt)

has the DP's optimum (KAT-29: "the RL and DP optima coincide"); dividing by ``J* dt`` (``J*`` the
continuous-time optimal loss rate) only rescales it so an optimal step costs about 1. The optimum is a band:
``f = 0`` for ``|x| <= b``, else ``f = 1 - b / |x|`` (trade to the edge).

Observation: ``x / b*`` (``float32``, clipped to [-10, 10]). Actions: ``continuous`` -- ``Box([0], [1])``,
the fraction ``f``; ``discrete`` -- ``n_fractions`` evenly spaced fractions from 0 to 1; ``edge`` --
``Box([0], [3])``, a half-width ``u`` in units of ``b*``: the agent trades only if ``|x| > u b*`` and then to
``+-u b*`` (``y = clip(x, -u b*, u b*)``). With ``edge`` holding is exact whenever ``u b* >= |x|``, which a
Gaussian policy's deterministic mean can express; with ``continuous`` holding needs the mean at or below 0
(the clip), which PPO did not learn on one side (docs/ai.md). Each episode starts
at ``x`` drawn uniformly from ``[-2 b*, 2 b*]`` (seeded) and lasts ``episode_steps`` checks.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from trimtab.errors import ConfigError
from trimtab.policies.dp import continuous_band

__all__ = ["BandEnv", "band_policy_loss", "simulate_band_policy"]


class BandEnv(gym.Env):
    """KAT-01 with discrete checks (see the module docstring).

    Parameters
    ----------
    k : float
        One-way proportional cost per unit of deviation traded.
    dt : float
        Years between checks.
    q, sigma : float
        Tracking-loss coefficient and volatility of the deviation per sqrt(year).
    action : {'continuous', 'discrete'}
    n_fractions : int
        Number of discrete fractions (with ``action='discrete'``).
    episode_steps : int
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - gymnasium's convention

    def __init__(
        self,
        k: float = 1e-3,
        dt: float = 1e-3,
        *,
        q: float = 1.0,
        sigma: float = 1.0,
        action: str = "continuous",
        n_fractions: int = 11,
        episode_steps: int = 500,
    ) -> None:
        super().__init__()
        for name, value in (("k", k), ("dt", dt), ("q", q), ("sigma", sigma)):
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"BandEnv: {name} must be positive", got=value, fix="e.g. k=1e-3, dt=1e-3")
        if action not in ("continuous", "discrete", "edge"):
            raise ConfigError("BandEnv: unknown action kind", got=action, fix="continuous, discrete or edge")
        self.k, self.dt, self.q, self.sigma = float(k), float(dt), float(q), float(sigma)
        self.b_star, self.j_star = continuous_band(k, q=q, sigma=sigma)
        self.action_kind = action
        self.fractions = np.linspace(0.0, 1.0, n_fractions)
        self.episode_steps = int(episode_steps)
        self.observation_space = spaces.Box(-10.0, 10.0, shape=(1,), dtype=np.float32)
        self.action_space: spaces.Space[Any]
        if action == "continuous":
            self.action_space = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        elif action == "edge":
            self.action_space = spaces.Box(0.0, 3.0, shape=(1,), dtype=np.float32)
        else:
            self.action_space = spaces.Discrete(n_fractions)
        self.x = 0.0
        self._t = 0

    def fraction(self, action: Any) -> float:
        """The fraction ``f`` an action asks for."""
        if self.action_kind == "discrete":
            return float(self.fractions[int(np.asarray(action).reshape(-1)[0])])
        value = float(np.asarray(action, dtype=float).reshape(-1)[0])
        return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0

    def post_trade(self, x: np.ndarray, action: np.ndarray) -> np.ndarray:
        """Post-trade deviations ``y`` of shape (m,) for deviations ``x`` and raw actions of shape (m,) (vectorized)."""
        x = np.asarray(x, dtype=float)
        a = np.asarray(action, dtype=float).reshape(x.shape)
        if self.action_kind == "edge":
            edge = np.clip(np.nan_to_num(a), 0.0, 3.0) * self.b_star
            return np.clip(x, -edge, edge)
        if self.action_kind == "discrete":
            f = self.fractions[a.astype(int)]
        else:
            f = np.clip(np.nan_to_num(a), 0.0, 1.0)
        return x * (1.0 - f)

    def _obs(self) -> np.ndarray:
        return np.clip(np.array([self.x / self.b_star], dtype=np.float32), -10.0, 10.0)

    def stage_cost(self, x: float, y: float) -> float:
        """Expected loss of one check: trading ``k |y - x|`` plus tracking ``q (y^2 dt + sigma^2 dt^2 / 2)``."""
        return self.k * abs(y - x) + self.q * (y * y * self.dt + self.sigma**2 * self.dt**2 / 2.0)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """A new episode from ``x`` uniform on ``[-2 b*, 2 b*]``."""
        super().reset(seed=seed)
        self.x = float(self.np_random.uniform(-2.0 * self.b_star, 2.0 * self.b_star))
        self._t = 0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Trade, pay, and let the deviation move for ``dt``."""
        before = self.x
        if self.action_kind == "edge":
            y = float(self.post_trade(np.array([before]), np.asarray(action, dtype=float).reshape(-1)[:1])[0])
        else:
            y = before * (1.0 - self.fraction(action))
        cost = self.stage_cost(before, y)
        self.x = y + self.sigma * math.sqrt(self.dt) * float(self.np_random.standard_normal())
        self._t += 1
        truncated = self._t >= self.episode_steps
        return (
            self._obs(),
            -cost / (self.j_star * self.dt),
            False,
            truncated,
            {"loss": cost, "traded": abs(y - before)},
        )


def simulate_band_policy(
    decide: Any,
    *,
    k: float,
    dt: float,
    q: float = 1.0,
    sigma: float = 1.0,
    steps: int = 200_000,
    seed: int = 0,
) -> float:
    """Long-run average loss per year of a policy on the KAT-01 problem (common random numbers by ``seed``).

    Parameters
    ----------
    decide : callable
        ``decide(x: ndarray of shape (m,)) -> ndarray of shape (m,)``: the post-trade deviation ``y`` for each
        of ``m`` states (vectorized over 64 independent paths).
    steps : int
        Checks per path after a burn-in of 2,000.

    Returns
    -------
    float
        Average of ``k |y - x| + q (y^2 dt + sigma^2 dt^2 / 2)`` per check, divided by ``dt``.
    """
    rng = np.random.default_rng(seed)
    paths = 64
    x = np.zeros(paths)
    total = 0.0
    shock = sigma * math.sqrt(dt)
    burn = 2000
    for t in range(burn + steps // paths):
        y = np.asarray(decide(x), dtype=float)
        if t >= burn:
            total += float(np.sum(k * np.abs(y - x) + q * (y * y * dt + sigma**2 * dt * dt / 2.0)))
        x = y + shock * rng.standard_normal(paths)
    return total / ((steps // paths) * paths) / dt


def band_policy_loss(lower: float, upper: float, **kwargs: Any) -> float:
    """:func:`simulate_band_policy` for the band ``[lower, upper]`` with trades to the nearest edge."""
    return simulate_band_policy(lambda x: np.clip(x, lower, upper), **kwargs)
