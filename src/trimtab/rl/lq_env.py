# mypy: disable-error-code="import-untyped,misc"
"""The Garleanu-Pedersen problem of KAT-08 as a gymnasium environment (KAT-30: RL on a known LQ optimum).

State: the gap ``g = x - aim`` (shape (n,)) of the position from a static aim, before trading. Each period
the agent trades ``dx`` (post-trade gap ``d = g + dx``), pays ``(lam/2) dx' Sigma dx`` (``Lambda = lam
Sigma``) and is charged the risk of the position held into the next period, ``(1 - rho)(gamma/2) d' Sigma d``;
then the gap receives a shock ``eps ~ N(0, shock^2 Sigma)`` (the position drifts; the aim stays). The reward
is exactly the per-period term of the objective of KAT-08 and :mod:`trimtab.policies.multiperiod`,

    reward = -[(lam/2) dx' Sigma dx + (1 - rho)(gamma/2) d' Sigma d] / reward_scale,

so with the RL discount ``1 - rho`` the agent's return is the Garleanu-Pedersen objective (the static aim
turns ``x' mu - (gamma/2) x' Sigma x`` into ``-(gamma/2) g' Sigma g`` plus a constant). The shock changes
nothing in the optimum (LQ certainty equivalence): trade the fraction ``a / lam`` of the gap
(:func:`trimtab.policies.multiperiod.gp_trading_fraction`), from every state. It only gives every period
something to learn from; with ``shock = 0`` the dynamics are deterministic.

Actions: ``fraction`` -- ``Box([0], [1])``, the fraction ``f`` of the gap traded (``dx = -f g``); ``trade``
-- ``Box(-10, 10, (n,))``, the trade in units of ``scale`` (``dx = scale u``), which a linear policy
``u = W obs + b`` turns into ``dx = W g + scale b``: the fraction is ``-W``. Observation: ``g / scale``
(``float32``, clipped to [-10, 10]); ``scale`` is ``shock`` (or ``start`` when ``shock = 0``). Episodes
start at ``g ~ N(0, start^2 Sigma)`` (seeded) and last ``episode_steps`` periods.

:func:`gp_riccati` iterates the scalar Riccati map of KAT-08 (the cross-check of the closed form), and
:func:`fraction_value` gives the exact discounted cost of any constant fraction, which ranks fractions the
same way from every state.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from trimtab.errors import ConfigError, OptimizationError

__all__ = ["LqEnv", "fraction_value", "gp_riccati"]


def gp_riccati(
    gamma: float, lam: float, rho: float, *, tol: float = 1e-14, max_iter: int = 1_000_000
) -> tuple[float, float]:
    """KAT-08 cross-check: the fixed point of ``f = lam / (lam + (1-rho)(gamma + A))``,
    ``A = lam (1-f)^2 + (1-rho)(gamma + A) f^2`` (``f``: the fraction of the gap kept).

    Returns
    -------
    (fraction, A) : tuple of float
        The fraction traded ``1 - f`` (= ``a / lam``) and the value coefficient ``A``: from gap ``g`` the
        optimal discounted cost is ``(A/2) g' Sigma g`` (plus a constant from the shocks).
    """
    a_coef = 0.0
    for _ in range(max_iter):
        kept = lam / (lam + (1 - rho) * (gamma + a_coef))
        new = lam * (1 - kept) ** 2 + (1 - rho) * (gamma + a_coef) * kept**2
        if abs(new - a_coef) <= tol * max(1.0, abs(new)):
            return 1.0 - kept, new
        a_coef = new
    raise OptimizationError(f"the Riccati map did not converge in {max_iter} iterations")


def fraction_value(fraction: float, gamma: float, lam: float, rho: float) -> float:
    """Value coefficient ``A_f`` of trading the constant fraction ``f`` of the gap every period.

    From gap ``g`` the discounted cost of the policy is ``(A_f/2) g' Sigma g + C_f`` with
    ``A_f = (lam f^2 + (1-rho) gamma (1-f)^2) / (1 - (1-rho)(1-f)^2)`` and
    ``C_f = (1-rho) A_f shock^2 tr(Sigma^2) / (2 rho)``: both increase with ``A_f``, which is smallest at
    ``f = a / lam`` (where it equals :func:`gp_riccati`'s ``A``).
    """
    kept = 1.0 - fraction
    denominator = 1.0 - (1 - rho) * kept**2
    if denominator <= 0:
        return math.inf
    return (lam * fraction**2 + (1 - rho) * gamma * kept**2) / denominator


class LqEnv(gym.Env):
    """KAT-08's quadratic-cost problem with a static aim (see the module docstring).

    Parameters
    ----------
    gamma : float
        Risk aversion ``gamma`` (per period).
    lam : float
        Trading-cost multiple: ``Lambda = lam Sigma``.
    rho : float
        Discount rate per period, in [0, 1): the RL discount is ``1 - rho``.
    cov : array_like of shape (n, n), optional
        ``Sigma`` (symmetric positive definite); default ``[[1]]`` (one asset).
    shock : float
        Standard deviation multiple of the gap's shock per period, ``eps ~ N(0, shock^2 Sigma)`` (>= 0).
    start : float
        Initial gap ``g ~ N(0, start^2 Sigma)``.
    action : {'fraction', 'trade'}
    episode_steps : int
    reward_scale : float
        Divides the reward (a positive constant: the optimum is unchanged).
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - gymnasium's convention

    def __init__(
        self,
        gamma: float = 1.0,
        lam: float = 10.0,
        rho: float = 0.01,
        *,
        cov: Any = None,
        shock: float = 1.0,
        start: float = 1.5,
        action: str = "fraction",
        episode_steps: int = 200,
        reward_scale: float = 1.0,
    ) -> None:
        super().__init__()
        for name, value in (("gamma", gamma), ("lam", lam), ("start", start), ("reward_scale", reward_scale)):
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"LqEnv: {name} must be positive", got=value, fix="e.g. gamma=1, lam=10")
        if not (math.isfinite(rho) and 0.0 <= rho < 1.0):
            raise ConfigError("LqEnv: rho must be in [0, 1)", got=rho, fix="e.g. rho=0.01")
        if not (math.isfinite(shock) and shock >= 0):
            raise ConfigError("LqEnv: shock must be >= 0", got=shock, fix="e.g. shock=1 (0: deterministic)")
        if action not in ("fraction", "trade"):
            raise ConfigError("LqEnv: unknown action kind", got=action, fix="fraction or trade")
        sigma = np.atleast_2d(np.asarray([[1.0]] if cov is None else cov, dtype=float))
        if sigma.shape[0] != sigma.shape[1] or not np.allclose(sigma, sigma.T):
            raise ConfigError(
                "LqEnv: cov must be a symmetric square matrix", got=sigma.shape, fix="pass Sigma (n, n)"
            )
        try:
            self._chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            raise ConfigError("LqEnv: cov must be positive definite", got="not PD", fix="check cov") from None
        self.gamma, self.lam, self.rho = float(gamma), float(lam), float(rho)
        self.cov = sigma
        self.n = sigma.shape[0]
        self.shock, self.start = float(shock), float(start)
        self.scale = self.shock if self.shock > 0 else self.start
        self.action_kind = action
        self.episode_steps = int(episode_steps)
        self.reward_scale = float(reward_scale)
        self.observation_space = spaces.Box(-10.0, 10.0, shape=(self.n,), dtype=np.float32)
        self.action_space: spaces.Space[Any]
        if action == "fraction":
            self.action_space = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        else:
            self.action_space = spaces.Box(-10.0, 10.0, shape=(self.n,), dtype=np.float32)
        self.gap = np.zeros(self.n)
        self._t = 0

    def trade(self, gap: np.ndarray, action: Any) -> np.ndarray:
        """The trade ``dx`` of shape (n,) for a gap of shape (n,) and a raw action."""
        a = np.nan_to_num(np.asarray(action, dtype=float).reshape(-1))
        if self.action_kind == "fraction":
            return -min(max(float(a[0]), 0.0), 1.0) * gap
        return self.scale * np.clip(a, -10.0, 10.0)

    def stage_cost(self, gap: np.ndarray, dx: np.ndarray) -> tuple[float, float]:
        """(trading cost ``(lam/2) dx' Sigma dx``, risk ``(1-rho)(gamma/2) d' Sigma d``), ``d = gap + dx``."""
        d = gap + dx
        return (
            0.5 * self.lam * float(dx @ self.cov @ dx),
            (1.0 - self.rho) * 0.5 * self.gamma * float(d @ self.cov @ d),
        )

    def _obs(self) -> np.ndarray:
        return np.clip(self.gap / self.scale, -10.0, 10.0).astype(np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """A new episode from ``g ~ N(0, start^2 Sigma)``."""
        super().reset(seed=seed)
        self.gap = self.start * (self._chol @ self.np_random.standard_normal(self.n))
        self._t = 0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Trade, pay the trading cost and the risk of the position held, then let the gap move."""
        dx = self.trade(self.gap, action)
        cost, risk = self.stage_cost(self.gap, dx)
        self.gap = self.gap + dx
        if self.shock > 0:
            self.gap = self.gap + self.shock * (self._chol @ self.np_random.standard_normal(self.n))
        self._t += 1
        return (
            self._obs(),
            -(cost + risk) / self.reward_scale,
            False,
            self._t >= self.episode_steps,
            {"cost": cost, "risk": risk, "traded": dx},
        )
