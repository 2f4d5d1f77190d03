# mypy: disable-error-code="no-any-return,import-untyped"
"""Merton / Davis-Norman no-trade band for one risky asset and cash (KNOWN_ANSWERS KAT-05, KAT-05b).

A CRRA investor (risk aversion ``gamma``) holds risky weight ``pi``; frictionless optimum
``pi* = (mu - r) / (gamma sigma^2)``.  Buying costs ``(1 + cost)`` per unit, selling returns ``(1 - cost)``.
For small ``cost`` the optimal policy keeps ``pi`` in ``[pi*- w, pi* + w]`` with

``w = (3 / (2 gamma) * pi*^2 (1 - pi*)^2 * cost)^(1/3)``

which is KAT-01 with ``q = gamma sigma^2 / 2`` and ``sigma_x = sigma pi* (1 - pi*)``; the leading-order
certainty-equivalent loss rate is ``q w^2``.

* :func:`merton_band`: the closed form (plus the best calendar rule and the KAT-01b discrete-check band);
* :func:`solve_weight_band`: a DP over the risky weight itself (exact GBM transition of ``pi`` on a grid,
  buy/sell costs, mean-variance loss ``q (pi - pi*)^2``) that checks the expansion (KAT-05 tolerance 15 %);
* :func:`solve_crra_band`: the CRRA problem itself (long-run certainty-equivalent growth of power utility,
  exact buy/sell wealth factors) by multiplicative relative value iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from trimtab.errors import ConfigError, OptimizationError
from trimtab.policies.dp import BETA, BandSolution, band_edge
from trimtab.typing import FloatArray

__all__ = ["MertonBand", "WeightBandSolution", "merton_band", "solve_crra_band", "solve_weight_band"]


@dataclass(frozen=True)
class MertonBand:
    """Closed-form small-cost band (KAT-05).  Weights are fractions; rates per year.

    Parameters
    ----------
    pi_star : float
        Frictionless Merton weight ``(mu - r) / (gamma sigma^2)``.
    half_width : float
        ``(3 / (2 gamma) pi*^2 (1 - pi*)^2 cost)^(1/3)`` (continuous checks).
    q : float
        Tracking-loss coefficient ``gamma sigma^2 / 2`` (CE loss per year per unit squared weight gap).
    sigma_x : float
        Volatility of the weight at ``pi*``: ``sigma pi* (1 - pi*)`` per sqrt(year).
    cost : float
        One-way proportional cost.
    """

    pi_star: float
    half_width: float
    q: float
    sigma_x: float
    cost: float

    @property
    def lower(self) -> float:
        """``pi- = pi* - half_width``."""
        return self.pi_star - self.half_width

    @property
    def upper(self) -> float:
        """``pi+ = pi* + half_width``."""
        return self.pi_star + self.half_width

    @property
    def ce_loss(self) -> float:
        """Leading-order certainty-equivalent loss rate ``q w^2`` (fraction of wealth per year)."""
        return self.q * self.half_width**2

    def discrete_half_width(self, dt: float) -> float:
        """KAT-01b: half-width with checks every ``dt`` years, ``w - beta sigma_x sqrt(dt)``."""
        return self.half_width - BETA * self.sigma_x * math.sqrt(dt)

    @property
    def calendar_interval(self) -> float:
        """KAT-03: best calendar interval ``h = (cost sqrt(2/pi) / (q sigma_x))^(2/3)`` in years."""
        return (self.cost * math.sqrt(2.0 / math.pi) / (self.q * self.sigma_x)) ** (2.0 / 3.0)

    @property
    def calendar_loss(self) -> float:
        """KAT-03: loss rate of the best calendar rule, ``(3/2) q sigma_x^2 h`` (= 1.56319 x ``ce_loss``)."""
        return 1.5 * self.q * self.sigma_x**2 * self.calendar_interval


def merton_band(gamma: float, excess_return: float, sigma: float, cost: float) -> MertonBand:
    """KAT-05 closed form.

    Parameters
    ----------
    gamma : float
        CRRA risk aversion (> 0).
    excess_return : float
        ``mu - r`` per year.
    sigma : float
        Volatility of the risky asset per sqrt(year) (> 0).
    cost : float
        One-way proportional cost ``lambda`` (>= 0; 10 bp = 0.001).  A quoted spread ``eps`` is ``2 lambda``.
    """
    for name, value, positive in (("gamma", gamma, True), ("sigma", sigma, True), ("cost", cost, False)):
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise ConfigError(
                f"merton_band: {name} must be a {'positive' if positive else 'non-negative'} number",
                got=value,
                fix="e.g. gamma=2.572, sigma=0.18, cost=0.001",
            )
    if not math.isfinite(excess_return):
        raise ConfigError(
            "merton_band: excess_return must be a finite number", got=excess_return, fix="e.g. 0.05"
        )
    pi_star = excess_return / (gamma * sigma**2)
    spread = (pi_star * (1.0 - pi_star)) ** 2
    half = (1.5 / gamma * spread * cost) ** (1.0 / 3.0)
    return MertonBand(
        pi_star=pi_star,
        half_width=half,
        q=gamma * sigma**2 / 2.0,
        sigma_x=sigma * abs(pi_star * (1.0 - pi_star)),
        cost=cost,
    )


class WeightBandSolution(BandSolution):
    """DP answer over the risky weight (:func:`solve_weight_band`).

    Parameters
    ----------
    lower, upper : float
        Band edges in weight units.
    average_loss : float
        Long-run average of ``q (pi - pi*)^2`` plus trading cost, per year.
    grid, value : ndarray of shape (n_grid,)
        Weight grid and post-trade relative value.
    iterations : int
        Relative value iterations used.
    """


def _edge_up(mid: FloatArray, slope: FloatArray, level: float) -> float:
    return band_edge(mid, slope, level, grid_parameter="half_range")


def solve_weight_band(
    gamma: float,
    excess_return: float,
    sigma: float,
    cost: float,
    dt: float,
    *,
    n_grid: int = 1201,
    half_range: float | None = None,
    tol: float = 1e-14,
    max_iter: int = 100_000,
) -> WeightBandSolution:
    """No-trade band in the risky weight by relative value iteration (KAT-05 check of the expansion).

    State: risky weight ``pi`` (post-trade) on a grid around ``pi*``.  Between checks the risky asset is a GBM
    and cash earns the riskless rate, so ``logit(pi)`` moves by ``(mu - r - sigma^2/2) dt + sigma sqrt(dt) Z``
    exactly (bin probabilities from the normal cdf).  Loss per check: ``q (pi - pi*)^2 dt`` with
    ``q = gamma sigma^2 / 2`` (the CRRA certainty-equivalent gap to second order); trading from ``pi`` to
    ``pi'`` costs ``cost |pi' - pi|`` of wealth (buy and sell priced alike; the exact wealth factors
    ``1 -/+ cost d`` differ from this only at ``O(cost^2)``).

    Parameters
    ----------
    gamma, excess_return, sigma, cost : float
        As :func:`merton_band` (``cost > 0``).
    dt : float
        Years between checks.
    n_grid : int
        Grid points.
    half_range : float, optional
        Grid ``pi* +/- half_range``; default ``2 w + 8 sigma_x sqrt(dt)`` (``w`` the closed-form half-width).
    tol, max_iter : float, int
        Convergence (sup norm of the relative value change) and iteration limit.
    """
    band = merton_band(gamma, excess_return, sigma, cost)
    if not (cost > 0 and dt > 0 and math.isfinite(dt)):
        raise ConfigError(
            "solve_weight_band: cost and dt must be positive", got=(cost, dt), fix="e.g. 0.001, 1/252"
        )
    pi_star = band.pi_star
    if not 0 < pi_star < 1:
        raise ConfigError(
            "solve_weight_band: needs 0 < pi* < 1 (no leverage, no short)",
            got=pi_star,
            fix="lower excess_return or raise gamma",
        )
    width = half_range if half_range is not None else 2 * band.half_width + 8 * band.sigma_x * math.sqrt(dt)
    lo, hi = max(pi_star - width, 1e-6), min(pi_star + width, 1 - 1e-6)
    x = np.linspace(lo, hi, n_grid)
    dx = x[1] - x[0]
    logit = np.log(x / (1 - x))
    edges = np.concatenate([[-np.inf], (x[:-1] + x[1:]) / 2, [np.inf]])
    inner = edges[1:-1]
    edge_logit = np.concatenate([[-np.inf], np.log(inner / (1 - inner)), [np.inf]])
    drift = (excess_return - sigma**2 / 2) * dt
    sd = sigma * math.sqrt(dt)
    kernel = np.diff(ndtr((edge_logit[None, :] - logit[:, None] - drift) / sd), axis=1)
    stage = band.q * (x - pi_star) ** 2 * dt
    ramp = cost * dx * np.arange(n_grid)
    centre = int(np.argmin(np.abs(x - pi_star)))
    h = np.zeros(n_grid)
    for iteration in range(1, max_iter + 1):
        value = stage + kernel @ h
        total = np.minimum(
            np.minimum.accumulate(value - ramp) + ramp,
            np.minimum.accumulate((value + ramp)[::-1])[::-1] - ramp,
        )
        gain = total[centre]
        new = total - gain
        if np.max(np.abs(new - h)) < tol:
            h = new
            break
        h = new
    else:
        raise OptimizationError(f"weight-band DP did not converge in {max_iter} iterations")
    value = stage + kernel @ h
    mid = (x[:-1] + x[1:]) / 2
    slopes = np.diff(value) / dx
    upper = _edge_up(mid, slopes, cost)
    lower = -_edge_up(-mid[::-1], -slopes[::-1], cost)
    return WeightBandSolution(
        lower=lower, upper=upper, average_loss=float(gain / dt), grid=x, value=value, iterations=iteration
    )


def _crra_kernel(
    x: FloatArray, excess_return: float, sigma: float, dt: float, a: float, nodes: int
) -> FloatArray:
    """``M[i, j]`` with ``sum_j M[i, j] f_j = E[(W'/W)^a f(pi')]`` from post-trade weight ``x_i``.

    Gauss-Hermite in the risky log return ``R = (mu - r - sigma^2/2) dt + sigma sqrt(dt) Z``; wealth grows by
    ``1 - y + y e^R`` exactly, and ``f`` is interpolated linearly at ``pi' = y e^R / (1 - y + y e^R)`` (held
    at the end values beyond the grid), so the wealth factor carries no grid error.
    """
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    growth = np.exp((excess_return - sigma**2 / 2) * dt + sigma * math.sqrt(dt) * z)
    wealth = 1 - x[:, None] + x[:, None] * growth[None, :]
    nxt = np.clip(x[:, None] * growth[None, :] / wealth, x[0], x[-1])
    j = np.clip(np.searchsorted(x, nxt, side="right") - 1, 0, x.size - 2)
    frac = (nxt - x[j]) / (x[j + 1] - x[j])
    weight = w[None, :] * wealth**a
    out = np.zeros((x.size, x.size))
    rows = np.broadcast_to(np.arange(x.size)[:, None], j.shape)
    np.add.at(out, (rows, j), weight * (1 - frac))
    np.add.at(out, (rows, j + 1), weight * frac)
    return out


def solve_crra_band(
    gamma: float,
    excess_return: float,
    sigma: float,
    cost: float,
    dt: float,
    *,
    n_grid: int = 601,
    half_range: float | None = None,
    tol: float = 1e-15,
    max_iter: int = 100_000,
    nodes: int = 41,
) -> WeightBandSolution:
    """The CRRA no-trade band (Davis-Norman, checks every ``dt``) by multiplicative relative value iteration.

    Maximises the long-run certainty-equivalent growth ``lim (1 / ((1 - gamma) T)) log E[W_T^(1 - gamma)]``
    (``gamma != 1``).  Between checks ``logit(pi)`` moves exactly as in :func:`solve_weight_band` and wealth
    grows by ``(1 - pi) / (1 - pi')`` (riskless rate 0; ``excess_return`` is ``mu - r``).  Trading from ``pi``
    to ``y`` keeps the wealth fraction ``(1 + cost pi) / (1 + cost y)`` when buying and
    ``(1 - cost pi) / (1 - cost y)`` when selling (buy at ``(1 + cost) S``, sell at ``(1 - cost) S``, cash
    pays) -- a difference of potentials, so the best trade is two running maxima on the grid.

    Bellman equation (``u`` pre-trade, ``U`` post-trade, ``g`` the CE growth rate, ``a = 1 - gamma``):
    ``U(y) = log(E[(W'/W)^a e^(a u(pi'))]) / a`` (``nodes``-point Gauss-Hermite in the return, exact wealth
    factor, ``u`` interpolated linearly),
    ``u(pi) + g dt = max(U(pi), max_{y > pi} log((1 + c pi)/(1 + c y)) + U(y), max_{y < pi} ...)``.
    The band is read where the slope of ``U`` equals ``cost / (1 + cost y)`` (lower edge) and
    ``-cost / (1 - cost y)`` (upper edge).

    Returns
    -------
    WeightBandSolution
        ``average_loss`` is the certainty-equivalent growth rate ``g`` per year (a gain, not a loss);
        ``value`` is ``U`` on the grid.
    """
    if gamma == 1.0:
        raise ConfigError(
            "solve_crra_band: gamma = 1 (log utility) is not handled", got=gamma, fix="use 1.0001"
        )
    band = merton_band(gamma, excess_return, sigma, cost)
    if not (cost > 0 and dt > 0 and math.isfinite(dt)):
        raise ConfigError(
            "solve_crra_band: cost and dt must be positive", got=(cost, dt), fix="e.g. 0.001, 1/252"
        )
    pi_star = band.pi_star
    if not 0 < pi_star < 1:
        raise ConfigError(
            "solve_crra_band: needs 0 < pi* < 1 (no leverage, no short)",
            got=pi_star,
            fix="lower excess_return or raise gamma",
        )
    width = half_range if half_range is not None else 2 * band.half_width + 8 * band.sigma_x * math.sqrt(dt)
    x = np.linspace(max(pi_star - width, 1e-6), min(pi_star + width, 1 - 1e-6), n_grid)
    a = 1.0 - gamma
    kernel = _crra_kernel(x, excess_return, sigma, dt, a, nodes)
    buy_potential = np.log1p(cost * x)
    sell_potential = np.log1p(-cost * x)
    centre = int(np.argmin(np.abs(x - pi_star)))

    def post_trade(u: FloatArray) -> FloatArray:
        z = a * u
        shift = z.max()
        return (np.log(kernel @ np.exp(z - shift)) + shift) / a

    u = np.zeros(n_grid)
    for iteration in range(1, max_iter + 1):
        big_u = post_trade(u)
        # buy: y >= pi, running max from the right of U(y) - log(1 + c y)
        buy = buy_potential + np.maximum.accumulate((big_u - buy_potential)[::-1])[::-1]
        # sell: y <= pi, running max from the left of U(y) - log(1 - c y)
        sell = sell_potential + np.maximum.accumulate(big_u - sell_potential)
        total = np.maximum(buy, sell)
        gain = total[centre]
        new = total - gain
        if np.max(np.abs(new - u)) < tol:
            u = new
            break
        u = new
    else:
        raise OptimizationError(f"CRRA band DP did not converge in {max_iter} iterations")
    big_u = post_trade(u)
    dx = x[1] - x[0]
    mid = (x[:-1] + x[1:]) / 2
    slopes = np.diff(big_u) / dx
    # slope of U falls through +c/(1 + c y) at the lower edge and through -c/(1 - c y) at the upper edge
    lower = _edge_up(-mid[::-1], (slopes - cost / (1 + cost * mid))[::-1], 0.0)
    upper = _edge_up(mid, -slopes - cost / (1 - cost * mid), 0.0)
    return WeightBandSolution(
        lower=-lower, upper=upper, average_loss=float(gain / dt), grid=x, value=big_u, iterations=iteration
    )
