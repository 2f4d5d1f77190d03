"""Trade splitting over several days under the impact model (policies/splitting.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.errors import ConfigError, DataError, InfeasibleError
from trimtab.policies.splitting import TradeSplitter, compare_splitting, evaluate_schedule


@pytest.mark.parametrize("days", [2, 3, 5, 10])
def test_no_risk_square_root_law_equal_parts(days: int) -> None:
    """alpha = 3/2, no risk term: equal parts, impact cut by exactly 1 - D^(-1/2) (29.3 % for D = 2)."""
    comparison = compare_splitting(5e6, days, adv_usd=1e8, sigma=0.02, half_spread_bps=2.0)
    np.testing.assert_allclose(comparison.optimal.trades_usd, np.full(days, 5e6 / days), rtol=1e-3)
    assert comparison.impact_reduction == pytest.approx(1 - days**-0.5, abs=1e-8)
    assert comparison.equal_impact_reduction == pytest.approx(1 - days**-0.5, rel=1e-12)
    spread = 2e-4 * 5e6  # the spread is paid on every dollar whatever the schedule
    assert comparison.optimal.spread_usd == pytest.approx(spread) == comparison.one_shot.spread_usd
    one_shot_impact = 1.0 * 0.02 * 5e6**1.5 / 1e8**0.5  # KAT-10 form: b sigma |u|^alpha / V^(alpha-1)
    assert comparison.one_shot.impact_usd == pytest.approx(one_shot_impact, rel=1e-12)
    assert comparison.cost_reduction < comparison.impact_reduction


@pytest.mark.parametrize(("days", "risk_aversion"), [(4, 1e-7), (6, 1e-6), (10, 3e-6), (3, 1e-5)])
def test_quadratic_impact_matches_almgren_chriss(days: int, risk_aversion: float) -> None:
    """alpha = 2: x_d = X sinh(kappa (D - d)) / sinh(kappa D) with 2 (cosh kappa - 1) = lam sigma^2 / eta."""
    trade, adv, sigma, b = 5e6, 1e8, 0.02, 1.0
    eta = b * sigma / adv
    kappa = math.acosh(1 + risk_aversion * sigma**2 / (2 * eta))
    expected = [trade * math.sinh(kappa * (days - d)) / math.sinh(kappa * days) for d in range(1, days)]
    got = TradeSplitter(days, alpha=2.0).schedule(
        trade, adv_usd=adv, sigma=sigma, b=b, risk_aversion=risk_aversion
    )
    np.testing.assert_allclose(got.remaining_usd, expected, rtol=1e-5, atol=1e-6 * trade)


def test_linear_impact_gains_nothing_from_splitting() -> None:
    """alpha = 1: impact is linear in size, so splitting saves nothing and any risk makes one-shot optimal."""
    flat = compare_splitting(5e6, 5, adv_usd=1e8, sigma=0.02, alpha=1.0)
    assert flat.equal_impact_reduction == pytest.approx(0.0, abs=1e-12)
    assert flat.impact_reduction == pytest.approx(0.0, abs=1e-7)
    urgent = TradeSplitter(5, alpha=1.0).schedule(-5e6, adv_usd=1e8, sigma=0.02, risk_aversion=1e-7)
    np.testing.assert_allclose(urgent.trades_usd, [-5e6, 0, 0, 0, 0], atol=50.0)


def test_participation_cap() -> None:
    splitter = TradeSplitter(4)
    capped = splitter.schedule(30e6, adv_usd=1e8, sigma=0.02, risk_aversion=1e-6, max_participation=0.1)
    assert capped.participation.max() <= 0.1 + 1e-7
    assert capped.trades_usd.sum() == pytest.approx(30e6)
    with pytest.raises(InfeasibleError, match="covers only 40.0 % of the trade"):
        splitter.schedule(100e6, adv_usd=1e8, sigma=0.02, max_participation=0.1)


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="days"):
        TradeSplitter(0)
    with pytest.raises(ConfigError, match="alpha"):
        TradeSplitter(3, alpha=2.5)
    with pytest.raises(DataError, match="adv_usd"):
        TradeSplitter(3).schedule(1e6, adv_usd=0.0, sigma=0.02)
    with pytest.raises(ConfigError, match="risk_aversion"):
        TradeSplitter(3).schedule(1e6, adv_usd=1e8, sigma=0.02, risk_aversion=-1.0)
    assert TradeSplitter(3).schedule(0.0, adv_usd=1e8, sigma=0.02).objective_usd == 0.0


_SPLITTER = {d: TradeSplitter(d) for d in (2, 3, 5, 8)}


@settings(max_examples=200, deadline=None)
@given(
    days=st.sampled_from([2, 3, 5, 8]),
    participation=st.floats(0.01, 0.2),
    sigma=st.floats(0.005, 0.05),
    lam_x=st.floats(0.0, 50.0),
    sell=st.booleans(),
)
def test_optimal_schedule_beats_both_and_is_front_loaded(
    days: int, participation: float, sigma: float, lam_x: float, sell: bool
) -> None:
    """The optimum is no worse than one-shot or equal parts; trades keep the sign, sum to X, decrease."""
    adv = 2e8
    trade = (-1 if sell else 1) * participation * adv
    lam = lam_x / abs(trade)
    c = compare_splitting(
        trade,
        days,
        adv_usd=adv,
        sigma=sigma,
        half_spread_bps=2.0,
        risk_aversion=lam,
        splitter=_SPLITTER[days],
    )
    scale = c.one_shot.objective_usd
    assert c.optimal.objective_usd <= c.one_shot.objective_usd + 1e-6 * scale
    assert c.optimal.objective_usd <= c.equal.objective_usd + 1e-6 * scale
    assert c.optimal.impact_usd >= c.equal.impact_usd - 1e-6 * scale  # equal parts minimise impact alone
    u = c.optimal.trades_usd
    assert u.sum() == pytest.approx(trade, rel=1e-9)
    assert np.all(np.sign(u[np.abs(u) > 1e-6 * abs(trade)]) == np.sign(trade))
    assert np.all(np.diff(np.abs(u)) <= 1e-4 * abs(trade))  # front-loaded under constant sigma and volume
    assert 0.0 <= c.impact_reduction <= 1 - days**-0.5 + 1e-7


def test_compiled_value_equals_exact_cost() -> None:
    """The compiled objective (bp of the trade) equals the numpy cost of the schedule it returns."""
    splitter = TradeSplitter(5)
    adv, sigma = np.array([1e8, 8e7, 1.2e8, 1e8, 9e7]), np.array([0.02, 0.025, 0.018, 0.02, 0.03])
    got = splitter.schedule(4e6, adv_usd=adv, sigma=sigma, risk_aversion=2e-7)
    exact = evaluate_schedule(got.trades_usd, adv_usd=adv, sigma=sigma, risk_aversion=2e-7)
    splitter.problem.solve(solver="CLARABEL")
    assert splitter.problem.value / 1e4 * 4e6 == pytest.approx(exact.objective_usd, rel=1e-6)
