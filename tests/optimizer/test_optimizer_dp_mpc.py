"""Dynamic-programming bands (KAT-01, KAT-01b, KAT-09) and model predictive control (KAT-08)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trimtab.models.base import ProblemData
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import QuadraticTradingCost
from trimtab.policies.dp import BETA, continuous_band, discrete_band_estimate, solve_band
from trimtab.policies.multiperiod import MultiPeriodProblem, MultiPeriodRebalancer, gp_trading_fraction


@pytest.mark.parametrize(
    ("k", "band", "loss"),
    [(1e-4, 0.042172, 1.7784e-3), (1e-3, 0.090856, 8.2548e-3), (1e-2, 0.195743, 3.8315e-2)],
)
def test_kat01_closed_form_band(k: float, band: float, loss: float) -> None:
    """KAT-01: b* = (3 k sigma^2 / (4 q))^(1/3), J* = q b*^2 (q = sigma = 1); table to its printed digits."""
    b, j = continuous_band(k)
    assert b == pytest.approx(band, abs=5e-7)
    assert j == pytest.approx(loss, rel=5e-5)
    assert j == pytest.approx((3 / 4) ** (2 / 3) * k ** (2 / 3), rel=1e-12)
    tracking, trading = b * b / 3, k / (2 * b)  # J(b) = q b^2/3 + k sigma^2/(2b)
    assert trading == pytest.approx(2 * tracking, rel=1e-12)


def test_beta_is_the_zeta_constant() -> None:
    """KAT-01b: beta = -zeta(1/2)/sqrt(2 pi) = 0.5825972."""
    from scipy.special import zeta

    assert BETA == pytest.approx(-zeta(0.5) / math.sqrt(2 * math.pi), abs=1e-15)


KAT01B = [
    (1e-4, 1e-3, 0.02375),
    (1e-4, 1e-4, 0.03635),
    (1e-3, 1e-3, 0.07243),
    (1e-3, 1e-4, 0.08503),
    (1e-2, 1e-3, 0.17732),
]


@pytest.fixture(scope="module")
def dp_bands() -> dict[tuple[float, float], object]:
    return {(k, dt): solve_band(k, dt, n_grid=1601) for k, dt, _ in KAT01B}


@pytest.mark.parametrize(("k", "dt", "expected"), KAT01B)
def test_kat01b_dp_band_matches_the_discrete_monitoring_shift(
    dp_bands, k: float, dt: float, expected: float
) -> None:
    """KAT-01b: DP band = b* - 0.5826 sqrt(dt) within 2 grid steps (1,601 points, Gaussian kernel)."""
    sol = dp_bands[(k, dt)]
    step = sol.grid[1] - sol.grid[0]
    assert discrete_band_estimate(k, dt) == pytest.approx(expected, abs=5e-6)
    assert abs(sol.upper - expected) <= 2 * step
    assert abs(-sol.lower - expected) <= 2 * step
    if dt == 1e-4:  # average loss converges to q b*^2 with error O(sqrt(dt)): within 1.5 % at dt = 1e-4
        assert sol.average_loss == pytest.approx(continuous_band(k)[1], rel=0.015)


def test_kat09_dp_band_limits_and_monotonicity(dp_bands) -> None:
    """KAT-09: band strictly increasing in cost; target inside; b_dt <= b*."""
    widths = [dp_bands[(k, 1e-3)].upper for k in (1e-4, 1e-3, 1e-2)]
    assert widths[0] < widths[1] < widths[2]
    for (k, _), sol in dp_bands.items():
        assert sol.lower < 0 < sol.upper
        assert sol.upper <= continuous_band(k)[0]


@pytest.mark.parametrize(
    ("gamma", "lam", "rho", "fraction"),
    [(1, 10, 0.01, 0.265933), (5, 100, 0.001, 0.199556), (0.5, 2, 0.05, 0.371079), (1, 1, 0, 0.618034)],
)
def test_kat08_garleanu_pedersen_trading_fraction(
    gamma: float, lam: float, rho: float, fraction: float
) -> None:
    """KAT-08: a/lam by formula (1e-6), by the scalar Riccati fixed point, and by MPC with quadratic costs (1e-3)."""
    assert gp_trading_fraction(gamma, lam, rho) == pytest.approx(fraction, abs=1e-6)
    f, big_a = 0.5, 0.0
    for _ in range(10_000):
        f = lam / (lam + (1 - rho) * (gamma + big_a))
        big_a = lam * (1 - f) ** 2 + (1 - rho) * (gamma + big_a) * f**2
    assert 1 - f == pytest.approx(fraction, abs=1e-6)
    sigma = np.array([[0.04, 0.01], [0.01, 0.02]])
    data = ProblemData(
        symbols=("A", "B"), w=np.array([0.5, 0.3]), w_target=np.array([0.6, 0.25]), v=1e6, covariance=sigma
    )
    problem = MultiPeriodProblem.build(
        (gamma / 2) * TrackingError(), (lam / 2) * QuadraticTradingCost(), [], data, horizon=60, discount=rho
    )
    solution, plan = problem.solve_plan(data)
    assert solution.z / -data.d0 == pytest.approx([fraction, fraction], abs=1e-3)
    assert plan.shape == (60, 2) and plan[0] == pytest.approx(solution.z, abs=1e-6)
    remaining = -data.d0 - plan.sum(axis=0)  # the gap shrinks geometrically along the plan
    assert np.all(np.abs(remaining) < np.abs(data.d0) * 1e-3)


def test_mpc_policy_records_the_plan(make_context) -> None:
    target = np.array([0.3, 0.3, 0.2, 0.15])
    ctx = make_context(np.array([0.36, 0.24, 0.21, 0.14]), target)
    policy = MultiPeriodRebalancer(
        2.0 * TrackingError(), 10.0 * QuadraticTradingCost(), horizon=5, discount=0.01
    )
    decision = policy.decide(ctx)
    assert decision.action == "partial"
    assert len(decision.details["plan"]) == 5
    assert policy.describe().startswith("mpc(horizon=5")
