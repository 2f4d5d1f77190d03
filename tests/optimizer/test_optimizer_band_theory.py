"""Band theory: scaling laws (KAT-02, KAT-02b) and policy-class ratios (KAT-03), closed forms and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from trimtab.errors import ConfigError
from trimtab.policies.band_theory import (
    calendar_rule,
    fixed_cost_band,
    fixed_cost_loss,
    reset_band,
    simulate_band_loss,
)
from trimtab.policies.dp import BETA, continuous_band, solve_band

RATIO_TARGET = 4 ** (2 / 3) / 2  # 1.25992
RATIO_CALENDAR = 1.5 * (4 * math.sqrt(2 / math.pi) / 3) ** (2 / 3)  # 1.56319


def _slope(x: list[float] | np.ndarray, y: list[float] | np.ndarray) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


# --- KAT-03 closed forms -------------------------------------------------------------------------------------


def test_kat03_closed_form_values() -> None:
    """KAT-03 (q = sigma = 1, k = 1e-3): losses 8.2548e-3 / 1.04004e-2 / 1.29038e-2, b = 0.144225,
    h = 8.6025e-3; ratios 1.25992 and 1.56319 (1e-12 against their closed forms)."""
    _, edge = continuous_band(1e-3)
    b_target, target = reset_band(1e-3)
    h, calendar = calendar_rule(1e-3)
    assert edge == pytest.approx(8.2548e-3, rel=1e-5)
    assert target == pytest.approx(1.04004e-2, rel=1e-5)
    assert calendar == pytest.approx(1.29038e-2, rel=1e-5)
    assert b_target == pytest.approx(0.144225, abs=5e-7)
    assert h == pytest.approx(8.6025e-3, rel=1e-5)
    assert RATIO_TARGET == pytest.approx(1.25992, abs=5e-6)
    assert RATIO_CALENDAR == pytest.approx(1.56319, abs=5e-6)
    for k, q, sigma in ((1e-4, 1.0, 1.0), (1e-3, 2.0, 0.3), (0.02, 0.5, 1.7)):
        edge = continuous_band(k, q=q, sigma=sigma)[1]
        assert reset_band(k, q=q, sigma=sigma)[1] / edge == pytest.approx(RATIO_TARGET, rel=1e-12)
        assert calendar_rule(k, q=q, sigma=sigma)[1] / edge == pytest.approx(RATIO_CALENDAR, rel=1e-12)


def test_kat03_parameters_minimise_their_loss_functions() -> None:
    """KAT-03 derivations: each best parameter minimises its renewal loss function (numerically, 1e-6)."""
    k = 1e-3
    target = minimize_scalar(
        lambda b: b * b / 6 + k / b, bounds=(1e-3, 1.0), method="bounded", options={"xatol": 1e-12}
    )
    assert target.x == pytest.approx(reset_band(k)[0], rel=1e-6)
    calendar = minimize_scalar(
        lambda h: h / 2 + k * math.sqrt(2 / math.pi) / math.sqrt(h),
        bounds=(1e-5, 1.0),
        method="bounded",
        options={"xatol": 1e-14},
    )
    assert calendar.x == pytest.approx(calendar_rule(k)[0], rel=1e-6)


# --- KAT-02b fixed cost ------------------------------------------------------------------------------------------


def test_kat02b_fixed_cost_constants() -> None:
    """KAT-02b: q = sigma = 1, K = 1e-4: b* = 0.156508, J* = 0.0081650; J(b*) = J*, tracking = trading = J*/2."""
    b, j = fixed_cost_band(1e-4)
    assert b == pytest.approx(0.156508, abs=5e-7)
    assert j == pytest.approx(0.0081650, abs=5e-8)
    assert fixed_cost_loss(b, 1e-4) == pytest.approx(j, rel=1e-12)
    assert b * b / 6 == pytest.approx(j / 2, rel=1e-12)
    best = minimize_scalar(
        lambda x: fixed_cost_loss(x, 1e-4), bounds=(1e-3, 1.0), method="bounded", options={"xatol": 1e-12}
    )
    assert best.x == pytest.approx(b, rel=1e-6)


def test_kat02b_fixed_cost_monte_carlo() -> None:
    """KAT-02b: Monte Carlo loss of "band b*, reset to 0" within 2 % of J* = sigma sqrt(2 q K / 3) (seeded,
    1,000 paths x 50 mean cycles, b^2/dt = 400).  The halves follow the renewal formula at the continuity-
    corrected band b + beta sigma sqrt(dt) (checks every dt overshoot the band): tracking b^2/6 and trading
    K/b^2 within 2 %; the total is flat in b at the optimum, so the overshoot leaves it unchanged."""
    fixed = 1e-4
    b, j = fixed_cost_band(fixed)
    mc = simulate_band_loss(
        "target", b, fixed=fixed, dt=b * b / 400, horizon=50 * b * b, n_paths=1000, seed=2
    )
    assert mc.total == pytest.approx(j, rel=0.02)
    b_eff = b + BETA * math.sqrt(b * b / 400)
    assert mc.tracking == pytest.approx(b_eff**2 / 6, rel=0.02)
    assert mc.trading == pytest.approx(fixed / b_eff**2, rel=0.02)


# --- KAT-02 scaling laws ----------------------------------------------------------------------------------------


def test_kat02_proportional_slopes_from_the_dp() -> None:
    """KAT-02: DP bands (dt = 1e-4) over k = 1e-4 .. 1e-2: the continuity-corrected band b_dt + beta sigma
    sqrt(dt) grows as k^(1/3), the loss as k^(2/3) (log-log slopes within 0.03)."""
    ks = np.array([1e-4, 1e-3, 1e-2])
    dt = 1e-4
    sols = [solve_band(k, dt, n_grid=801) for k in ks]
    bands = [s.half_width + BETA * math.sqrt(dt) for s in sols]
    assert _slope(ks, bands) == pytest.approx(1 / 3, abs=0.03)
    assert _slope(ks, [s.average_loss for s in sols]) == pytest.approx(2 / 3, abs=0.03)


def test_kat02_slopes_from_closed_forms() -> None:
    """KAT-02: closed forms over three decades: proportional 1/3 and 2/3 (all three policy classes), fixed 1/4
    and 1/2 (numerical minimisation of the renewal loss, not the formula)."""
    ks = np.logspace(-5, -2, 7)
    for rule in (continuous_band, reset_band, calendar_rule):
        params, losses = zip(*(rule(k) for k in ks), strict=True)
        expected_param = 2 / 3 if rule is calendar_rule else 1 / 3  # a calendar interval ~ band^2
        assert _slope(ks, params) == pytest.approx(expected_param, abs=1e-9)
        assert _slope(ks, losses) == pytest.approx(2 / 3, abs=1e-9)
    bands, losses = [], []
    for fixed in ks:
        best = minimize_scalar(
            lambda x, f=fixed: fixed_cost_loss(x, f),
            bounds=(1e-4, 2.0),
            method="bounded",
            options={"xatol": 1e-12},
        )
        bands.append(best.x)
        losses.append(best.fun)
    assert _slope(ks, bands) == pytest.approx(1 / 4, abs=0.03)
    assert _slope(ks, losses) == pytest.approx(1 / 2, abs=0.03)


def test_kat02_fixed_cost_loss_slope_by_monte_carlo() -> None:
    """KAT-02 (fixed row): Monte Carlo losses at K = 1e-5, 1e-4, 1e-3 (each at its b*) give slope 1/2 +/- 0.03."""
    ks = [1e-5, 1e-4, 1e-3]
    losses = []
    for i, fixed in enumerate(ks):
        b, _ = fixed_cost_band(fixed)
        losses.append(
            simulate_band_loss(
                "target", b, fixed=fixed, dt=b * b / 200, horizon=30 * b * b, n_paths=500, seed=10 + i
            ).total
        )
    assert _slope(ks, losses) == pytest.approx(0.5, abs=0.03)


# --- KAT-03 Monte Carlo ratios ----------------------------------------------------------------------------------


def _policy_losses(n_paths: int, cycles: float, per_cycle: int, seed: int) -> tuple[float, float, float]:
    k = 1.0  # scale-free: with q = sigma = 1 only b^2 / dt and the number of cycles matter
    b, _ = continuous_band(k)
    b_target, _ = reset_band(k)
    h, _ = calendar_rule(k)
    common = {"k": k, "n_paths": n_paths}
    edge = simulate_band_loss("edge", b, dt=b * b / per_cycle, horizon=cycles * b * b, seed=seed, **common)
    target = simulate_band_loss(
        "target", b_target, dt=b_target**2 / per_cycle, horizon=cycles * b_target**2, seed=seed + 1, **common
    )
    calendar = simulate_band_loss("calendar", h, dt=h / 50, horizon=cycles * h, seed=seed + 2, **common)
    return edge.total, target.total, calendar.total


def test_kat03_monte_carlo_ratios() -> None:
    """KAT-03: seeded Monte Carlo ratios of the best reset-to-target band (1.25992) and best calendar rule
    (1.56319) to the best trade-to-edge band, within 2 % (1,000 paths, 50 cycles each, b^2/dt = 400)."""
    edge, target, calendar = _policy_losses(n_paths=1000, cycles=50, per_cycle=400, seed=1)
    assert target / edge == pytest.approx(RATIO_TARGET, rel=0.02)
    assert calendar / edge == pytest.approx(RATIO_CALENDAR, rel=0.02)
    assert edge == pytest.approx(continuous_band(1.0)[1], rel=0.02)


@pytest.mark.slow
def test_kat03_monte_carlo_ratios_large() -> None:
    """KAT-03, larger run (4,000 paths, 100 cycles, b^2/dt = 1,600): ratios within 1 %."""
    edge, target, calendar = _policy_losses(n_paths=4000, cycles=100, per_cycle=1600, seed=7)
    assert target / edge == pytest.approx(RATIO_TARGET, rel=0.01)
    assert calendar / edge == pytest.approx(RATIO_CALENDAR, rel=0.01)


@pytest.mark.slow
def test_kat02b_fixed_cost_monte_carlo_large() -> None:
    """KAT-02b, larger run (4,000 paths, 100 cycles, b^2/dt = 1,600): J* within 1 %."""
    b, j = fixed_cost_band(1e-4)
    mc = simulate_band_loss(
        "target", b, fixed=1e-4, dt=b * b / 1600, horizon=100 * b * b, n_paths=4000, seed=3
    )
    assert mc.total == pytest.approx(j, rel=0.01)


def test_simulation_rejects_bad_inputs() -> None:
    """Unknown policy or non-positive parameters raise ConfigError naming the fix."""
    with pytest.raises(ConfigError, match="policy"):
        simulate_band_loss("sometimes", 0.1, dt=1e-4, horizon=1.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="positive"):
        simulate_band_loss("edge", -0.1, dt=1e-4, horizon=1.0)
