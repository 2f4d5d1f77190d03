"""Two-asset no-trade region by dynamic programming (KAT-06 separability; correlated cases bend the region)."""

from __future__ import annotations

import numpy as np
import pytest

from trimtab.errors import ConfigError
from trimtab.policies.dp import continuous_band, discrete_band_estimate, solve_band
from trimtab.policies.dp2d import RegionSolution, solve_region

COSTS = (1e-3, 1e-2)
SIGMAS = (1.0, 0.5)
Q = (1.0, 2.0)
DT = 1e-4


@pytest.fixture(scope="module")
def separable() -> RegionSolution:
    """KAT-06 case: independent deviations, diagonal Q, 121 x 121 grid."""
    return solve_region(COSTS, SIGMAS, DT, q=Q, n_grid=121)


@pytest.fixture(scope="module")
def sheared() -> RegionSolution:
    """Correlated assets: Q = [[1, 0.6], [0.6, 1]], k = 1e-3, sigma = 1, 81 x 81 grid."""
    return solve_region((1e-3, 1e-3), (1.0, 1.0), DT, q=((1.0, 0.6), (0.6, 1.0)), n_grid=81)


def test_kat06_region_is_the_rectangle_of_1d_bands(separable: RegionSolution) -> None:
    """KAT-06: the region is [-b1, b1] x [-b2, b2], b_i the KAT-01b discrete band, within 2 grid steps; the
    edges along each axis do not move with the other coordinate (a rectangle)."""
    steps = (separable.grid1[1] - separable.grid1[0], separable.grid2[1] - separable.grid2[0])
    expected = [discrete_band_estimate(COSTS[i], DT, q=Q[i], sigma=SIGMAS[i]) for i in range(2)]
    widths = separable.half_widths()
    for i in range(2):
        assert abs(widths[i] - expected[i]) <= 2 * steps[i]
        assert widths[i] < continuous_band(COSTS[i], q=Q[i], sigma=SIGMAS[i])[0]  # KAT-09: b_dt <= b*
    for axis in (0, 1):
        lower, upper = separable.edges(axis)
        assert np.nanmax(upper) - np.nanmin(upper) < 1e-9
        assert np.nanmax(lower) - np.nanmin(lower) < 1e-9
        assert np.allclose(lower, -upper, atol=1e-12)
    mask = separable.no_trade_mask()
    rectangle = (np.abs(separable.grid1)[:, None] <= widths[0]) & (
        np.abs(separable.grid2)[None, :] <= widths[1]
    )
    assert np.array_equal(mask, rectangle)


def test_kat06_loss_is_the_sum_of_1d_losses(separable: RegionSolution) -> None:
    """KAT-06: loss = sum of 1-D losses: equal (rel 1e-6) to the 1-D DP on the same grids, and within 2 % of
    the fine-grid 1-D DPs (1,601 points) and of q b*^2 summed (KAT-01b: 1.5 % each at dt = 1e-4)."""
    same_grid = sum(
        solve_band(COSTS[i], DT, q=Q[i], sigma=SIGMAS[i], n_grid=121, half_width=float(grid[-1])).average_loss
        for i, grid in enumerate((separable.grid1, separable.grid2))
    )
    assert separable.average_loss == pytest.approx(same_grid, rel=1e-6)
    fine = sum(solve_band(COSTS[i], DT, q=Q[i], sigma=SIGMAS[i]).average_loss for i in range(2))
    closed = sum(continuous_band(COSTS[i], q=Q[i], sigma=SIGMAS[i])[1] for i in range(2))
    assert separable.average_loss == pytest.approx(fine, rel=0.02)
    assert separable.average_loss == pytest.approx(closed, rel=0.02)


def test_correlated_deviations_with_diagonal_q_stay_separable() -> None:
    """With diagonal Q and separable costs only the marginals matter: correlation 0.8 leaves a rectangle."""
    sol = solve_region((1e-3, 1e-3), (1.0, 1.0), DT, q=(1.0, 1.0), rho=0.8, n_grid=61)
    for axis in (0, 1):
        _lower, upper = sol.edges(axis)
        assert np.nanmax(upper) - np.nanmin(upper) < 1e-9
    step = sol.grid1[1] - sol.grid1[0]
    assert abs(sol.half_widths()[0] - discrete_band_estimate(1e-3, DT)) <= 2 * step


def test_cross_term_in_q_bends_the_region(sheared: RegionSolution) -> None:
    """Correlated assets (Q = [[1, 0.6], [0.6, 1]]): the x1-edges move with x2 (a sheared region, no oracle):
    wider where the two deviations offset each other, narrower where they add; point-symmetric; target inside."""
    sol = sheared
    step = sol.grid1[1] - sol.grid1[0]
    lower, upper = sol.edges(0)
    centre = len(sol.grid2) // 2
    offset = round(0.05 / (sol.grid2[1] - sol.grid2[0]))
    # x2 < 0 (asset 2 underweight): asset 1 may drift further overweight before trading
    assert upper[centre - offset] - upper[centre + offset] > 5 * step
    assert np.allclose(lower[::-1], -upper, equal_nan=True, atol=1e-9)
    mask = sol.no_trade_mask()
    assert mask[mask.shape[0] // 2, mask.shape[1] // 2]
    assert np.array_equal(mask, mask[::-1, ::-1])


def test_kat09_region_grows_with_cost() -> None:
    """KAT-09: each half-width strictly increases with its own cost; the target is inside."""
    small = solve_region((5e-4, 1e-3), (1.0, 1.0), DT, n_grid=61)
    large = solve_region((2e-3, 1e-3), (1.0, 1.0), DT, n_grid=61)
    assert large.half_widths()[0] > small.half_widths()[0]
    assert large.half_widths()[1] == pytest.approx(small.half_widths()[1], rel=1e-6)
    assert small.no_trade_mask()[30, 30]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"costs": (0.0, 1e-3)}, "k1"),
        ({"sigmas": (1.0, -1.0)}, "sigma2"),
        ({"rho": 1.0}, "rho"),
        ({"q": ((1.0, 2.0), (2.0, 1.0))}, "q"),
        ({"costs": (1e-3,)}, "two entries"),
    ],
)
def test_bad_inputs_name_the_parameter(kwargs: dict[str, object], key: str) -> None:
    """Bad parameters raise ConfigError naming the parameter (no bare ValueError)."""
    args: dict[str, object] = {"costs": (1e-3, 1e-3), "sigmas": (1.0, 1.0), "dt": DT}
    args.update(kwargs)
    with pytest.raises(ConfigError, match=key):
        solve_region(**args)  # type: ignore[arg-type]


def test_trade_to_region_clips_each_axis_in_the_separable_case(separable: RegionSolution) -> None:
    """KAT-06 actions: inside, hold; outside, trade each axis to its own band edge (trade to the edge)."""
    b1, b2 = separable.half_widths()
    assert separable.trade_to_region(0.5 * b1, -0.5 * b2) == pytest.approx((0.5 * b1, -0.5 * b2), abs=1e-12)
    assert separable.trade_to_region(3 * b1, 0.2 * b2) == pytest.approx((b1, 0.2 * b2), abs=1e-9)
    assert separable.trade_to_region(-2 * b1, 4 * b2) == pytest.approx((-b1, b2), abs=1e-9)


def test_trade_to_region_beats_every_grid_trade_in_a_bent_region(sheared: RegionSolution) -> None:
    """Correlated case: the per-axis trade to the edge costs (k|y - x| + V(y)) no more than the best trade to
    any grid point (up to interpolation error), and lands in the region."""
    from scipy.interpolate import RegularGridInterpolator

    sol = sheared
    value = RegularGridInterpolator((sol.grid1, sol.grid2), sol.value)
    g1, g2 = np.meshgrid(sol.grid1, sol.grid2, indexing="ij")
    step = sol.grid1[1] - sol.grid1[0]
    for x in ((0.15, 0.0), (0.12, 0.12), (-0.05, 0.14), (0.02, -0.03)):
        y = sol.trade_to_region(*x)
        ours = 1e-3 * (abs(y[0] - x[0]) + abs(y[1] - x[1])) + float(value(y))
        brute = float(np.min(1e-3 * (np.abs(g1 - x[0]) + np.abs(g2 - x[1])) + sol.value))
        assert ours <= brute + 1e-3 * step
        lower, upper = sol.edges(0)
        ok = np.isfinite(lower) & np.isfinite(upper)
        lo, hi = np.interp(y[1], sol.grid2[ok], lower[ok]), np.interp(y[1], sol.grid2[ok], upper[ok])
        assert lo - 1e-9 <= y[0] <= hi + 1e-9
