# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""No-trade bands by dynamic programming for one tracked deviation (KAT-01, KAT-01b).

Model (KNOWN_ANSWERS KAT-01): the deviation ``x`` of a weight from its target moves as ``dx = sigma dW``
between checks; at each check (every ``dt`` years) a trade moves it from ``x`` to ``y`` at cost ``k |y - x|``;
tracking loss accrues at rate ``q x^2``.  The long-run average of tracking loss plus trading cost is
minimised by a band ``[-b, b]``: inside it do nothing, outside trade to the nearest edge.

* :func:`continuous_band`: ``b* = (3 k sigma^2 / (4 q))^(1/3)`` and loss ``J* = q b*^2`` (continuous checks);
* :func:`discrete_band_estimate`: ``b* - beta sigma sqrt(dt)``, ``beta = -zeta(1/2)/sqrt(2 pi) = 0.5825972``;
* :func:`solve_band` (the DP): relative value iteration on a grid with a Gaussian transition kernel
  (exact bin probabilities), costs per check ``k |y - x| + q (y^2 dt + sigma^2 dt^2 / 2)``.

Reading the band (KAT-01b pitfall): outside the band "trade to the edge" and "stay" differ by only
``O(dt)`` in cost-to-go, so the band is read from where the slope of the post-trade value ``V`` reaches
``k`` (linear interpolation between grid midpoints), not from an ``argmin``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from trimtab.errors import ConfigError, OptimizationError
from trimtab.typing import FloatArray

__all__ = ["BETA", "BandSolution", "continuous_band", "discrete_band_estimate", "solve_band"]

#: Broadie-Glasserman-Kou continuity correction, ``-zeta(1/2) / sqrt(2 pi)``.
BETA = 0.5825971579390106


def continuous_band(k: float, *, q: float = 1.0, sigma: float = 1.0) -> tuple[float, float]:
    """KAT-01: half-width ``b* = (3 k sigma^2 / (4 q))^(1/3)`` and loss rate ``J* = q b*^2``.

    Parameters
    ----------
    k : float
        One-way proportional cost per unit traded.
    q : float
        Tracking-loss rate coefficient (loss ``q x^2`` per year).
    sigma : float
        Volatility of the deviation per sqrt(year).
    """
    b = (3.0 * k * sigma**2 / (4.0 * q)) ** (1.0 / 3.0)
    return b, q * b * b


def discrete_band_estimate(k: float, dt: float, *, q: float = 1.0, sigma: float = 1.0) -> float:
    """KAT-01b first-order band with checks every ``dt`` years: ``b* - beta sigma sqrt(dt)``."""
    return continuous_band(k, q=q, sigma=sigma)[0] - BETA * sigma * math.sqrt(dt)


@dataclass(frozen=True, eq=False)
class BandSolution:
    """The DP answer.

    Parameters
    ----------
    lower, upper : float
        Band edges (deviation units); inside, no trade; outside, trade to the nearest edge.
    average_loss : float
        Long-run average of tracking loss plus trading cost per year.
    grid : ndarray of shape (n_grid,)
        Deviation grid.
    value : ndarray of shape (n_grid,)
        Post-trade value ``V(y)`` (relative), whose slope is ``k`` at the band edges.
    iterations : int
        Relative value iterations used.
    """

    lower: float
    upper: float
    average_loss: float
    grid: FloatArray
    value: FloatArray
    iterations: int

    @property
    def half_width(self) -> float:
        """``(upper - lower) / 2``."""
        return (self.upper - self.lower) / 2.0


def _inf_convolution(values: FloatArray, slope: float) -> FloatArray:
    """``out_i = min_j values_j + slope |i - j|`` (grid units): a running minimum each way."""
    ramp = slope * np.arange(values.size)
    forward = np.minimum.accumulate(values - ramp) + ramp
    backward = (np.minimum.accumulate((values + ramp)[::-1]))[::-1] - ramp
    return np.minimum(forward, backward)


def band_edge(mid: FloatArray, slope: FloatArray, level: float, *, grid_parameter: str = "half_width") -> float:
    """First midpoint where ``slope`` reaches ``level`` (slope increasing), linearly interpolated.

    ``grid_parameter`` names the caller's grid-size argument in the error raised when the edge is off the grid.
    """
    above = np.flatnonzero(slope >= level)
    if above.size == 0 or above[0] == 0:
        raise OptimizationError(f"the DP band edge is outside the grid; widen the grid ({grid_parameter})")
    j = int(above[0])
    s0, s1 = slope[j - 1], slope[j]
    return float(mid[j - 1] + (level - s0) / (s1 - s0) * (mid[j] - mid[j - 1]))


def solve_band(
    k: float,
    dt: float,
    *,
    q: float = 1.0,
    sigma: float = 1.0,
    n_grid: int = 1601,
    half_width: float | None = None,
    tol: float = 1e-13,
    max_iter: int = 200_000,
) -> BandSolution:
    """The optimal no-trade band for discrete checks, by relative value iteration (KAT-01b).

    Parameters
    ----------
    k : float
        One-way proportional cost per unit of deviation traded (> 0).
    dt : float
        Years between checks (> 0).
    q, sigma : float
        Tracking-loss coefficient and volatility of the deviation (see :func:`continuous_band`).
    n_grid : int
        Grid points (odd, so 0 is a grid point); KAT-01b asks for at least 1,600.
    half_width : float, optional
        Grid ``[-half_width, half_width]``; default ``1.5 b* + 6 sigma sqrt(dt)``.
    tol : float
        Stop when the relative values change by less than this (sup norm, units of loss per check).
    max_iter : int
        Iteration limit (:class:`OptimizationError` beyond it).
    """
    for name, value in (("k", k), ("dt", dt), ("q", q), ("sigma", sigma)):
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"solve_band: {name} must be a positive number", got=value, fix="e.g. k=1e-3")
    if n_grid < 11:
        raise ConfigError("solve_band: n_grid must be at least 11", got=n_grid, fix="use 1601 or more")
    n_grid += 1 - n_grid % 2
    step_sd = sigma * math.sqrt(dt)
    width = (
        half_width if half_width is not None else 1.5 * continuous_band(k, q=q, sigma=sigma)[0] + 6 * step_sd
    )
    x = np.linspace(-width, width, n_grid)
    dx = x[1] - x[0]
    # transition kernel: probability that y + N(0, step_sd^2) lands in each bin (tails to the end bins)
    edges = np.concatenate([[-np.inf], (x[:-1] + x[1:]) / 2, [np.inf]])
    cdf = ndtr((edges[None, :] - x[:, None]) / step_sd)
    kernel = np.diff(cdf, axis=1)
    # Mass that leaves the grid is lumped on the end bins, but it must not come back for free: a free
    # reflection at +-half_width costs q w^2/3, less than J* when w < sqrt(3) b*, and at small dt the value
    # iteration mixes long enough to find that artefact. Outside the band h has slope k, so the leaving
    # mass is charged k times its expected distance beyond the end point (exact there).
    beyond = (width - x) / step_sd
    excess = step_sd * (np.exp(-0.5 * beyond**2) / math.sqrt(2.0 * math.pi) - beyond * ndtr(-beyond))
    tail_cost = k * (excess + excess[::-1])
    stage = q * (x**2 * dt + step_sd**2 * dt / 2.0) + tail_cost
    slope = k * dx
    centre = n_grid // 2
    # start from the continuous-time relative value (KAT-01): (J x^2 - q x^4 / 6) / sigma^2 inside the band,
    # slope k outside; relative value iteration then only corrects the discrete-check effects
    b_star, j_star = continuous_band(k, q=q, sigma=sigma)
    inside = np.minimum(np.abs(x), b_star)
    h = (j_star * inside**2 - q * inside**4 / 6.0) / sigma**2 + k * (np.abs(x) - inside)
    for iteration in range(1, max_iter + 1):
        value = stage + kernel @ h
        total = _inf_convolution(value, slope)
        gain = total[centre]
        new = total - gain
        if np.max(np.abs(new - h)) < tol:
            h = new
            break
        h = new
    else:
        raise OptimizationError(f"DP band did not converge in {max_iter} iterations")
    value = stage + kernel @ h
    mid = (x[:-1] + x[1:]) / 2
    slopes = np.diff(value) / dx
    upper = band_edge(mid, slopes, k)
    lower = -band_edge(-mid[::-1], -slopes[::-1], k)
    return BandSolution(
        lower=lower, upper=upper, average_loss=float(gain / dt), grid=x, value=value, iterations=iteration
    )
