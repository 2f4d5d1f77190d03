# mypy: disable-error-code="no-any-return,import-untyped"
"""No-trade region for two tracked deviations by dynamic programming (KNOWN_ANSWERS KAT-06).

Model: the deviations ``x = (x1, x2)`` of two weights from target move as a 2-D Brownian motion with
covariance rate ``Sigma = [[s1^2, rho s1 s2], [rho s1 s2, s2^2]]`` between checks (every ``dt`` years);
a trade moves ``x`` to ``y`` at cost ``k1 |y1 - x1| + k2 |y2 - x2|``; tracking loss accrues at ``x' Q x``.
The long-run average of loss plus cost is minimised by relative value iteration on an ``n x n`` grid:

* post-trade value ``V(y) = y' Q y dt + tr(Q Sigma) dt^2 / 2 + E[h(y + e)]``, ``e ~ N(0, Sigma dt)``:
  a separable exact-bin kernel when ``rho = 0`` (two small matrix products), otherwise a bivariate kernel
  integrated over each cell (sub-sampled) and applied as a 2-D correlation, tails to the edge cells;
* pre-trade value ``h(x) = min_y k1|y1 - x1| + k2|y2 - x2| + V(y)``: because the cost is a sum over axes the
  minimum is two 1-D running-minimum passes (an exact inf-convolution on the grid, no loop over actions);
  each optimal action trades some axes to the edge of the region and leaves the others.

The region (where ``|dV/dy1| <= k1`` and ``|dV/dy2| <= k2``) is read from the slopes of ``V`` (KAT-01b's pitfall:
never from an argmin).  With ``rho = 0`` and diagonal ``Q`` it is the rectangle of the two 1-D bands
(KAT-06).  With diagonal ``Q`` the problem stays separable whatever ``rho`` (only the marginals enter the
average of a sum), so it is a cross term in ``Q`` (correlated assets tracked by ``gamma Sigma / 2``) that
bends the region into a sheared, point-symmetric shape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import correlate, correlate1d
from scipy.special import ndtr

from trimtab.errors import ConfigError, OptimizationError
from trimtab.policies.dp import continuous_band
from trimtab.typing import FloatArray

__all__ = ["RegionSolution", "solve_region"]


def _running_min(values: FloatArray, slope: float, axis: int) -> FloatArray:
    """``out_i = min_j values_j + slope |i - j|`` along ``axis`` (grid units), vectorised over the other axis."""
    v = np.moveaxis(values, axis, -1)
    ramp = slope * np.arange(v.shape[-1])
    forward = np.minimum.accumulate(v - ramp, axis=-1) + ramp
    backward = np.flip(np.minimum.accumulate(np.flip(v + ramp, -1), axis=-1), -1) - ramp
    return np.moveaxis(np.minimum(forward, backward), -1, axis)


def _bin_probabilities(step: float, sd: float, reach: int) -> FloatArray:
    """``P(N(0, sd^2) in [(j - 1/2) step, (j + 1/2) step])`` for ``j = -reach..reach`` (tails in the ends)."""
    j = np.arange(-reach, reach + 1)
    upper = np.where(j == reach, np.inf, (j + 0.5) * step / sd)
    lower = np.where(j == -reach, -np.inf, (j - 0.5) * step / sd)
    return ndtr(upper) - ndtr(lower)


def _correlated_weights(
    steps: tuple[float, float], sds: tuple[float, float], rho: float, reach: tuple[int, int], sub: int = 9
) -> FloatArray:
    """Bivariate normal mass of each cell (offsets ``-reach..reach``), by a ``sub x sub`` midpoint rule per cell."""
    offsets = (np.arange(sub) + 0.5) / sub - 0.5
    u = ((np.arange(-reach[0], reach[0] + 1)[:, None] + offsets[None, :]) * steps[0] / sds[0]).ravel()
    v = ((np.arange(-reach[1], reach[1] + 1)[:, None] + offsets[None, :]) * steps[1] / sds[1]).ravel()
    uu, vv = np.meshgrid(u, v, indexing="ij")
    density = np.exp(-(uu**2 - 2 * rho * uu * vv + vv**2) / (2 * (1 - rho**2)))
    cells = density.reshape(2 * reach[0] + 1, sub, 2 * reach[1] + 1, sub).sum(axis=(1, 3))
    return cells / cells.sum()


@dataclass(frozen=True, eq=False)
class RegionSolution:
    """The 2-D DP answer.

    Parameters
    ----------
    grid1, grid2 : ndarray of shape (n1,), (n2,)
        Grids of the two deviations.
    value : ndarray of shape (n1, n2)
        Post-trade relative value ``V(y)``.
    average_loss : float
        Long-run average of tracking loss plus trading cost per year.
    costs : tuple of float
        ``(k1, k2)``.
    iterations : int
        Relative value iterations used.
    """

    grid1: FloatArray
    grid2: FloatArray
    value: FloatArray
    average_loss: float
    costs: tuple[float, float]
    iterations: int

    def no_trade_mask(self) -> npt.NDArray[np.bool_]:
        """Boolean ``(n1, n2)`` mask of grid points inside the region.

        A point is inside when, on its grid line along each axis, it lies between the crossings of the slope of
        ``V`` through ``-k`` and ``+k`` nearest the centre (:meth:`edges`); the flat value near the grid ends
        (tails lumped into the end cells) is therefore never mistaken for the region.
        """
        low1, up1 = self.edges(0)  # along axis 0, one pair per grid2 line
        low2, up2 = self.edges(1)  # along axis 1, one pair per grid1 line
        y1 = self.grid1[:, None]
        y2 = self.grid2[None, :]
        with np.errstate(invalid="ignore"):
            inside1 = (y1 >= low1[None, :]) & (y1 <= up1[None, :])
            inside2 = (y2 >= low2[:, None]) & (y2 <= up2[:, None])
        return inside1 & inside2

    def edges(self, axis: int) -> tuple[FloatArray, FloatArray]:
        """Lower and upper edge of the region along ``axis`` on each grid line of the other axis.

        Read where the slope of ``V`` along ``axis`` crosses ``-k`` and ``+k`` (linear interpolation between
        cell midpoints).  Returns two arrays of shape ``(n_other,)``; ``nan`` where a crossing is not on the grid.
        """
        grid = self.grid1 if axis == 0 else self.grid2
        k = self.costs[axis]
        v = np.moveaxis(self.value, axis, -1)
        slopes = np.diff(v, axis=-1) / np.diff(grid)
        mid = (grid[:-1] + grid[1:]) / 2
        lower = np.full(v.shape[0], np.nan)
        upper = np.full(v.shape[0], np.nan)
        for row in range(v.shape[0]):
            s = slopes[row]
            for level, out in ((k, upper), (-k, lower)):
                idx = np.flatnonzero((s[:-1] - level) * (s[1:] - level) <= 0)
                if idx.size == 0:
                    continue
                # the crossing nearest the grid centre (the slope is increasing across the region)
                j = int(idx[np.argmin(np.abs(mid[idx]))])
                s0, s1 = s[j], s[j + 1]
                frac = 0.5 if s1 == s0 else (level - s0) / (s1 - s0)
                out[row] = mid[j] + frac * (mid[j + 1] - mid[j])
        return lower, upper

    def half_widths(self) -> tuple[float, float]:
        """Half-widths of the region along each axis, on the line through the centre of the other axis."""
        out = []
        for axis, other in ((0, self.grid2), (1, self.grid1)):
            lower, upper = self.edges(axis)
            c = int(np.argmin(np.abs(other)))
            out.append(float((upper[c] - lower[c]) / 2))
        return out[0], out[1]

    def trade_to_region(self, x1: float, x2: float, *, max_sweeps: int = 100) -> tuple[float, float]:
        """Post-trade deviations from ``(x1, x2)``: trade each axis to the region's edge, or not at all.

        Alternates the two axes: move ``x1`` into ``[lower_1(x2), upper_1(x2)]`` (the edges along axis 0,
        interpolated over the line coordinate ``x2``), then ``x2`` into ``[lower_2(x1), upper_2(x1)]``, until
        nothing moves (a rectangle needs one sweep; a sheared region a few).  Inside the region nothing trades.
        """
        curves = []
        for axis, line_grid in ((0, self.grid2), (1, self.grid1)):
            lower, upper = self.edges(axis)
            ok = np.isfinite(lower) & np.isfinite(upper)
            if not ok.any():
                raise OptimizationError("no no-trade region on the grid; widen the grid (half_widths)")
            curves.append((line_grid[ok], lower[ok], upper[ok]))
        y = [float(x1), float(x2)]
        for _ in range(max_sweeps):
            moved = 0.0
            for axis in (0, 1):
                line, lower, upper = curves[axis]
                at = y[1 - axis]
                lo, hi = float(np.interp(at, line, lower)), float(np.interp(at, line, upper))
                new = min(max(y[axis], lo), hi)
                moved = max(moved, abs(new - y[axis]))
                y[axis] = new
            if moved <= 1e-12:
                break
        return y[0], y[1]


def solve_region(
    costs: Sequence[float],
    sigmas: Sequence[float],
    dt: float,
    *,
    q: Sequence[Sequence[float]] | Sequence[float] = (1.0, 1.0),
    rho: float = 0.0,
    n_grid: int = 121,
    half_widths: Sequence[float] | None = None,
    tol: float = 1e-13,
    max_iter: int = 50_000,
) -> RegionSolution:
    """The optimal 2-D no-trade region for checks every ``dt`` years (relative value iteration).

    Parameters
    ----------
    costs : (k1, k2)
        One-way proportional costs per unit of deviation traded (> 0).
    sigmas : (s1, s2)
        Volatilities of the two deviations per sqrt(year) (> 0).
    dt : float
        Years between checks; ``s_i sqrt(dt)`` should span at least about one grid step.
    q : (q1, q2) or 2x2 matrix
        Tracking-loss matrix ``Q`` (diagonal given as two numbers); must be positive definite.
    rho : float
        Correlation of the two deviations, ``|rho| < 1``.
    n_grid : int
        Points per axis (made odd, so 0 is a grid point).
    half_widths : (w1, w2), optional
        Grid ``[-w_i, w_i]``; default ``1.6 b_i + 6 s_i sqrt(dt)`` with ``b_i`` the 1-D continuous band
        (2.2 ``b_i`` when ``rho != 0``).
    tol : float
        Stop when the relative values change by less than this (sup norm, loss per check).
    max_iter : int
        Iteration limit (:class:`OptimizationError` beyond it).
    """
    k = tuple(float(c) for c in costs)
    s = tuple(float(v) for v in sigmas)
    if len(k) != 2 or len(s) != 2:
        raise ConfigError(
            "solve_region: costs and sigmas need two entries each",
            got=(costs, sigmas),
            fix="e.g. costs=(1e-3, 1e-2), sigmas=(1.0, 0.5)",
        )
    for name, value in (("k1", k[0]), ("k2", k[1]), ("sigma1", s[0]), ("sigma2", s[1]), ("dt", dt)):
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"solve_region: {name} must be a positive number", got=value, fix="e.g. 1e-3")
    if not (math.isfinite(rho) and abs(rho) < 1):
        raise ConfigError("solve_region: rho must lie in (-1, 1)", got=rho, fix="e.g. rho=0.5")
    qm = np.asarray(q, dtype=float)
    if qm.shape == (2,):
        qm = np.diag(qm)
    if qm.shape != (2, 2) or not np.allclose(qm, qm.T) or np.any(np.linalg.eigvalsh(qm) <= 0):
        raise ConfigError(
            "solve_region: q must be two positive numbers or a symmetric positive definite 2x2",
            got=q,
            fix="e.g. q=(1.0, 2.0)",
        )
    if n_grid < 21:
        raise ConfigError("solve_region: n_grid must be at least 21", got=n_grid, fix="use 121")
    n = n_grid + 1 - n_grid % 2
    sd = (s[0] * math.sqrt(dt), s[1] * math.sqrt(dt))
    if half_widths is None:
        factor = 1.6 if rho == 0 else 2.2
        half_widths = tuple(
            factor * continuous_band(k[i], q=float(qm[i, i]), sigma=s[i])[0] + 6 * sd[i] for i in range(2)
        )
    g1 = np.linspace(-half_widths[0], half_widths[0], n)
    g2 = np.linspace(-half_widths[1], half_widths[1], n)
    steps = (g1[1] - g1[0], g2[1] - g2[0])
    reach = tuple(min(n - 1, math.ceil((6 if rho == 0 else 4.5) * sd[i] / steps[i]) + 1) for i in range(2))
    cov = np.array([[s[0] ** 2, rho * s[0] * s[1]], [rho * s[0] * s[1], s[1] ** 2]])
    y1, y2 = np.meshgrid(g1, g2, indexing="ij")
    stage = (qm[0, 0] * y1**2 + 2 * qm[0, 1] * y1 * y2 + qm[1, 1] * y2**2) * dt + np.trace(
        qm @ cov
    ) * dt**2 / 2
    if rho == 0:
        w1 = _bin_probabilities(steps[0], sd[0], reach[0])
        w2 = _bin_probabilities(steps[1], sd[1], reach[1])

        def expect(h: FloatArray) -> FloatArray:
            return correlate1d(correlate1d(h, w1, axis=0, mode="nearest"), w2, axis=1, mode="nearest")
    else:
        weights = _correlated_weights(steps, sd, rho, reach)

        def expect(h: FloatArray) -> FloatArray:
            return correlate(h, weights, mode="nearest")

    slopes = (k[0] * steps[0], k[1] * steps[1])
    centre = (n // 2, n // 2)
    # warm start: the sum of the continuous-time 1-D relative values (exact in the separable case's limit)
    h = np.zeros((n, n))
    for axis, grid in ((0, y1), (1, y2)):
        b, j = continuous_band(k[axis], q=float(qm[axis, axis]), sigma=s[axis])
        inside = np.minimum(np.abs(grid), b)
        h += (j * inside**2 - qm[axis, axis] * inside**4 / 6.0) / s[axis] ** 2 + k[axis] * (
            np.abs(grid) - inside
        )
    for iteration in range(1, max_iter + 1):
        value = stage + expect(h)
        total = _running_min(_running_min(value, slopes[0], 0), slopes[1], 1)
        gain = total[centre]
        new = total - gain
        change = float(np.max(np.abs(new - h)))
        h = new
        if change < tol:
            break
    else:
        raise OptimizationError(f"2-D DP did not converge in {max_iter} iterations")
    value = stage + expect(h)
    return RegionSolution(
        grid1=g1,
        grid2=g2,
        value=value,
        average_loss=float(gain / dt),
        costs=(k[0], k[1]),
        iterations=iteration,
    )
