"""KAT-01b at small check intervals: the DP band must not exploit the grid's end bins.

Regression: with tail mass lumped on the end bins for free, a grid narrower than ``sqrt(3) b*`` made "never
trade" cheaper than the optimum (``q w^2 / 3 < J*``), and at ``dt = 1e-5`` the value iteration mixed long
enough to find it ("band edge outside the grid"). Leaving mass is now charged ``k`` per unit beyond the end.
"""

from __future__ import annotations

import pytest

from trimtab.policies.dp import continuous_band, discrete_band_estimate, solve_band


def test_kat01b_band_at_dt_1e5_matches_first_order_estimate() -> None:
    """KAT-01b (Rogers 2001 / Janeček–Shreve): b(dt) = b* - beta sigma sqrt(dt), k = 1e-3, dt = 1e-5."""
    solution = solve_band(1e-3, 1e-5)
    assert solution.upper == pytest.approx(discrete_band_estimate(1e-3, 1e-5), abs=5e-5)
    assert solution.lower == pytest.approx(-solution.upper, abs=1e-9)
    # the discrete-check loss is above the continuous optimum J* and close to it
    j_star = continuous_band(1e-3)[1]
    assert j_star <= solution.average_loss <= 1.002 * j_star


@pytest.mark.parametrize("factor", [1.2, 1.5])
def test_narrow_grid_gives_no_free_reflection(factor: float) -> None:
    """A grid only ``factor * b*`` wide still gives the true band and a loss no lower than J* (KAT-01)."""
    b_star, j_star = continuous_band(1e-3)
    solution = solve_band(1e-3, 1e-4, half_width=factor * b_star, n_grid=801)
    assert solution.upper == pytest.approx(discrete_band_estimate(1e-3, 1e-4), abs=3e-4)
    assert solution.average_loss >= j_star
