# mypy: disable-error-code="no-any-return"
"""Closed forms and a seeded Monte Carlo for 1-D band policies (KNOWN_ANSWERS KAT-02, KAT-02b, KAT-03).

Model (KAT-01): between trades the deviation moves as ``dx = sigma dW``; tracking loss accrues at ``q x^2``.

* proportional cost ``k |trade|``: band, trade to the edge (:func:`trimtab.policies.dp.continuous_band`),
  band, reset to target (:func:`reset_band`) and calendar reset (:func:`calendar_rule`);
* fixed cost ``K`` per trade: band, reset to target (:func:`fixed_cost_band`);
* :func:`simulate_band_loss` estimates the long-run loss rate of any of these policies by Monte Carlo
  (vectorised over paths, seeded), for the ratios of KAT-03 and the constants of KAT-02b.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from trimtab.errors import ConfigError

__all__ = [
    "PolicyLoss",
    "calendar_rule",
    "fixed_cost_band",
    "fixed_cost_loss",
    "reset_band",
    "simulate_band_loss",
]


def reset_band(k: float, *, q: float = 1.0, sigma: float = 1.0) -> tuple[float, float]:
    """KAT-03: best "band, reset to target": ``b = (3 k sigma^2 / q)^(1/3)``, loss ``(q/2) b^2``.

    From ``J(b) = q b^2 / 6 + k sigma^2 / b`` (``E[x^2] = b^2/6``, a trade of size ``b`` per mean exit time
    ``b^2 / sigma^2``).  Returns ``(b, loss rate)``.
    """
    b = (3.0 * k * sigma**2 / q) ** (1.0 / 3.0)
    return b, 0.5 * q * b * b


def calendar_rule(k: float, *, q: float = 1.0, sigma: float = 1.0) -> tuple[float, float]:
    """KAT-03: best calendar reset interval ``h = (k sqrt(2/pi) / (q sigma))^(2/3)`` and loss ``1.5 q sigma^2 h``.

    From ``J(h) = q sigma^2 h / 2 + k sigma sqrt(2/pi) / sqrt(h)``.  Returns ``(h in years, loss rate)``.
    """
    h = (k * math.sqrt(2.0 / math.pi) / (q * sigma)) ** (2.0 / 3.0)
    return h, 1.5 * q * sigma**2 * h


def fixed_cost_loss(b: float, fixed: float, *, q: float = 1.0, sigma: float = 1.0) -> float:
    """KAT-02b: loss rate of "band ``+/-b``, reset to 0" with fixed cost ``K``: ``q b^2/6 + K sigma^2 / b^2``."""
    return q * b * b / 6.0 + fixed * sigma**2 / (b * b)


def fixed_cost_band(fixed: float, *, q: float = 1.0, sigma: float = 1.0) -> tuple[float, float]:
    """KAT-02b: ``b* = (6 K sigma^2 / q)^(1/4)`` and ``J* = sigma sqrt(2 q K / 3)``.  Returns ``(b*, J*)``."""
    return (6.0 * fixed * sigma**2 / q) ** 0.25, sigma * math.sqrt(2.0 * q * fixed / 3.0)


@dataclass(frozen=True)
class PolicyLoss:
    """Monte Carlo estimate of a policy's long-run loss rate (per year).

    Parameters
    ----------
    tracking, trading : float
        Mean tracking-loss rate and trading-cost rate.
    standard_error : float
        Standard error of ``total`` across paths.
    trades_per_year : float
        Mean number of trades per year (per path).
    """

    tracking: float
    trading: float
    standard_error: float
    trades_per_year: float

    @property
    def total(self) -> float:
        """``tracking + trading``."""
        return self.tracking + self.trading


def simulate_band_loss(
    policy: Literal["edge", "target", "calendar"],
    parameter: float,
    *,
    k: float = 0.0,
    fixed: float = 0.0,
    q: float = 1.0,
    sigma: float = 1.0,
    dt: float,
    horizon: float,
    n_paths: int = 1000,
    seed: int = 0,
    chunk: int = 512,
) -> PolicyLoss:
    """Long-run loss rate of a 1-D band policy by seeded Monte Carlo, started in the stationary law.

    Band paths start from the policy's stationary distribution (uniform on ``[-b, b]`` for "edge", the tent
    density ``(b - |x|) / b^2`` for "target"); calendar paths start at 0 and run a whole number of periods,
    so no start or end transient biases the rate.

    Parameters
    ----------
    policy : {"edge", "target", "calendar"}
        Band, trade to the edge; band, reset to target; reset to target every ``parameter`` years.
    parameter : float
        Half-width ``b`` (band policies) or interval ``h`` in years (calendar; rounded to whole steps).
    k, fixed : float
        Proportional cost per unit traded and fixed cost per trade.
    q, sigma : float
        Tracking-loss coefficient and deviation volatility.
    dt : float
        Simulation step (years); band policies are checked every step, so ``sqrt(dt) sigma`` should be small
        next to ``b`` (the loss is flat at the optimum, so the overshoot bias is second order).
    horizon : float
        Years simulated per path.
    n_paths, seed, chunk : int
        Paths, RNG seed, steps drawn per batch of normals.

    Notes
    -----
    Tracking loss per step uses its conditional mean given the post-trade state ``x``:
    ``q (x^2 dt + sigma^2 dt^2 / 2)``.
    """
    if policy not in ("edge", "target", "calendar"):
        raise ConfigError(
            "simulate_band_loss: unknown policy", got=policy, fix="use edge, target or calendar"
        )
    if not (parameter > 0 and dt > 0 and horizon > 0):
        raise ConfigError(
            "simulate_band_loss: parameter, dt and horizon must be positive",
            got=(parameter, dt, horizon),
            fix="e.g. parameter=0.09, dt=1e-5, horizon=1",
        )
    rng = np.random.default_rng(seed)
    n_steps = max(1, round(horizon / dt))
    sd = sigma * math.sqrt(dt)
    period = max(1, round(parameter / dt)) if policy == "calendar" else 0
    if policy == "calendar":
        n_steps = max(period, n_steps - n_steps % period)
        x = np.zeros(n_paths)
    elif policy == "edge":
        x = rng.uniform(-parameter, parameter, n_paths)
    else:
        x = parameter * (1.0 - np.sqrt(rng.uniform(size=n_paths))) * rng.choice([-1.0, 1.0], n_paths)
    tracking = np.zeros(n_paths)
    trading = np.zeros(n_paths)
    trades = np.zeros(n_paths)
    done = 0
    while done < n_steps:
        steps = min(chunk, n_steps - done)
        shocks = rng.standard_normal((steps, n_paths)) * sd
        for i in range(steps):
            tracking += x * x
            x += shocks[i]
            if policy == "calendar":
                if (done + i + 1) % period == 0:
                    trading += k * np.abs(x) + fixed
                    trades += 1
                    x[:] = 0.0
                continue
            over = np.abs(x) - parameter
            hit = over > 0
            if not hit.any():
                continue
            if policy == "edge":
                trading += k * np.where(hit, over, 0.0) + fixed * hit
                x = np.where(hit, np.sign(x) * parameter, x)
            else:
                trading += np.where(hit, k * np.abs(x) + fixed, 0.0)
                x = np.where(hit, 0.0, x)
            trades += hit
        done += steps
    years = n_steps * dt
    track_rate = q * (tracking * dt + n_steps * sd**2 * dt / 2.0) / years
    trade_rate = trading / years
    total = track_rate + trade_rate
    return PolicyLoss(
        tracking=float(track_rate.mean()),
        trading=float(trade_rate.mean()),
        standard_error=float(total.std(ddof=1) / math.sqrt(n_paths)),
        trades_per_year=float(trades.mean() / years),
    )
