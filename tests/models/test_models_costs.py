"""Cost models: known answers (KAT-10, KAT-12b, KAT-12c), then properties, then errors."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.domain.settings import CostSettings, ImpactSettings
from trimtab.errors import ConfigError, DataError
from trimtab.models.costs import CostModel, FixedCost, LinearCost, MarketImpact, TradeCostInputs

# KAT-10 example: a = 5e-4, p = 0.005 $/share, P = $50, b = 1, sigma = 0.02, v/V = 0.01.
V_PORTFOLIO = 1_000_000.0
KAT10_MODEL = LinearCost(half_spread_bps=5.0, commission_per_share=0.005) + MarketImpact(b=1.0, alpha=1.5)
KAT10_INPUTS = TradeCostInputs(
    prices=np.array([50.0]), sigma=np.array([0.02]), volume=np.array([V_PORTFOLIO / 0.01])
)


def phi(z: float, model: CostModel = KAT10_MODEL) -> float:
    """KAT-10 weight form: cost in dollars over portfolio value for a trade of weight z."""
    return model.total(np.array([z * V_PORTFOLIO]), KAT10_INPUTS) / V_PORTFOLIO


# ---------------------------------------------------------------------------------------------- known answers
def test_kat10_phi_values() -> None:
    """KAT-10 (Boyd et al. 2017 cost model): phi(0.01) = 8.0e-6, phi(0.02) = 1.76569e-5, phi(-0.01) = 8.0e-6."""
    assert phi(0.01) == pytest.approx(8.0e-6, abs=1e-12)
    assert phi(0.02) == pytest.approx(1.76569e-5, abs=1e-10)  # table value has 6 significant digits
    exact_002 = 6e-4 * 0.02 + 0.02 * 0.01**0.5 * 0.02**1.5
    assert phi(0.02) == pytest.approx(exact_002, abs=1e-12)
    assert phi(-0.01) == pytest.approx(8.0e-6, abs=1e-12)


@pytest.mark.parametrize("s", [-3.0, -1.0, -0.5, 0.0, 0.25, 2.0, 7.5])
def test_kat10_scaling(s: float) -> None:
    """KAT-10: phi(s z) = |s| (a + p/P)|z| + |s|^alpha b sigma (v/V)^(alpha-1) |z|^alpha."""
    z = 0.013
    linear = LinearCost(half_spread_bps=5.0, commission_per_share=0.005)
    impact = MarketImpact()
    expected = abs(s) * phi(z, CostModel(linear)) + abs(s) ** 1.5 * phi(z, CostModel(impact))
    assert phi(s * z) == pytest.approx(expected, abs=1e-12)


def test_kat12b_linear_cost_is_exactly_linear_in_the_rate() -> None:
    """KAT-12b: for a fixed trade list, proportional cost is exactly linear in the rate (1e-12)."""
    rng = np.random.default_rng(0)
    u = rng.normal(scale=20_000.0, size=12)
    inputs = TradeCostInputs(prices=rng.uniform(5.0, 500.0, size=12))
    base = LinearCost(half_spread_bps=1.0).total(u, inputs)
    for rate_bps in (0.5, 2.0, 10.0, 37.0):
        assert LinearCost(half_spread_bps=rate_bps).total(u, inputs) == pytest.approx(
            rate_bps * base, rel=1e-12
        )


def test_kat12c_self_financing_fees() -> None:
    """KAT-12c: V = $1,000,000, buy $100,000 of A, sell $100,000 of B at 10 bp one-way -> fees $200."""
    model = CostModel.from_settings(CostSettings(half_spread_bps=10.0))
    inputs = TradeCostInputs(prices=np.array([100.0, 40.0]))
    assert model.total(np.array([100_000.0, -100_000.0]), inputs) == pytest.approx(200.0, abs=1e-9)
    fee_a = model.estimate(Decimal(1000), Decimal("100.00"))
    fee_b = model.estimate(Decimal(2500), Decimal("40.00"))
    assert fee_a + fee_b == Decimal("200.00")
    assert Decimal(1000000) - (fee_a + fee_b) == Decimal("999800.00")


def test_fixed_cost_counts_traded_assets() -> None:
    inputs = TradeCostInputs(prices=np.ones(4))
    cost = FixedCost(per_trade=4.95).evaluate(np.array([0.0, 1e-13, -3.0, 1e6]), inputs)
    assert cost.tolist() == [0.0, 0.0, 4.95, 4.95]


def test_estimate_parts() -> None:
    settings_ = CostSettings(
        commission_per_trade=Decimal("1.00"),
        commission_per_share=Decimal("0.005"),
        half_spread_bps=2.0,
        impact=ImpactSettings(b=1.0, alpha=1.5),
    )
    model = CostModel.from_settings(settings_)
    # 84 shares at 176.65: spread 2 bp of 14838.60 = 2.96772, commission 0.42, ticket 1.00 -> 4.38772
    assert model.estimate(Decimal(84), Decimal("176.65")) == Decimal("4.39")
    assert model.estimate(Decimal(-84), Decimal("176.65")) == Decimal("4.39")  # unsigned
    assert model.estimate(Decimal(0), Decimal("176.65")) == Decimal("0.00")
    with_impact = model.estimate(Decimal(84), Decimal("176.65"), sigma=0.02, volume=1e6)
    impact = 0.02 * 14838.60**1.5 / 1e6**0.5
    assert with_impact == (Decimal("4.38772") + Decimal(repr(impact))).quantize(Decimal("0.01"))


def test_from_settings_terms_and_repr() -> None:
    model = CostModel.from_settings(
        CostSettings(half_spread_bps=3.0, commission_per_trade=Decimal(2), impact=ImpactSettings(alpha=1.6))
    )
    assert [type(t) for t in model] == [LinearCost, FixedCost, MarketImpact]
    assert (
        repr(model) == "LinearCost(half_spread_bps=3.0) + FixedCost(per_trade=2.0) + MarketImpact(alpha=1.6)"
    )
    assert not model.is_convex
    assert CostModel.from_settings(CostSettings()).is_convex
    assert sum([LinearCost(), FixedCost()]) == LinearCost() + FixedCost()


# --------------------------------------------------------------------------------------------------- properties
finite = st.floats(min_value=-5e6, max_value=5e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    u1=st.lists(finite, min_size=3, max_size=3),
    u2=st.lists(finite, min_size=3, max_size=3),
    alpha=st.floats(min_value=1.0, max_value=2.0),
    bps=st.floats(min_value=0.0, max_value=50.0),
)
def test_convex_costs_satisfy_the_midpoint_inequality(
    u1: list[float], u2: list[float], alpha: float, bps: float
) -> None:
    """Linear + impact is convex: cost((u1+u2)/2) <= (cost(u1) + cost(u2))/2, per asset."""
    model = LinearCost(half_spread_bps=bps, commission_per_share=0.01) + MarketImpact(b=0.7, alpha=alpha)
    inputs = TradeCostInputs(
        prices=np.array([10.0, 100.0, 1000.0]),
        sigma=np.array([0.01, 0.02, 0.03]),
        volume=np.array([1e6, 1e7, 1e9]),
    )
    a, b = np.array(u1), np.array(u2)
    mid = model.evaluate((a + b) / 2, inputs)
    ends = (model.evaluate(a, inputs) + model.evaluate(b, inputs)) / 2
    assert np.all(mid <= ends * (1 + 1e-12) + 1e-9)


@settings(max_examples=200, deadline=None)
@given(u=st.lists(finite, min_size=4, max_size=4))
def test_costs_are_even_and_non_negative(u: list[float]) -> None:
    model = KAT10_MODEL + FixedCost(per_trade=1.0)
    inputs = TradeCostInputs(prices=np.full(4, 50.0), sigma=np.full(4, 0.02), volume=np.full(4, 1e8))
    a = np.array(u)
    assert np.array_equal(model.evaluate(a, inputs), model.evaluate(-a, inputs))
    assert np.all(model.evaluate(a, inputs) >= 0)


# ------------------------------------------------------------------------------------------------------ errors
def test_impact_without_sigma_or_volume_raises() -> None:
    with pytest.raises(DataError, match="sigma and volume"):
        MarketImpact().evaluate(np.array([1.0]), TradeCostInputs(prices=np.array([1.0])))


def test_impact_with_zero_volume_on_a_traded_asset_raises() -> None:
    inputs = TradeCostInputs(prices=np.ones(2), sigma=np.array([0.01, 0.01]), volume=np.array([1e6, 0.0]))
    assert MarketImpact().evaluate(np.array([5.0, 0.0]), inputs)[1] == 0.0  # untraded: not checked
    with pytest.raises(DataError, match=r"asset positions \[1\]"):
        MarketImpact().evaluate(np.array([5.0, 1.0]), inputs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LinearCost(half_spread_bps=-1.0),
        lambda: LinearCost(commission_per_share=float("nan")),
        lambda: MarketImpact(alpha=2.5),
        lambda: MarketImpact(b=-1.0),
        lambda: FixedCost(per_trade=-0.01),
    ],
)
def test_bad_parameters_raise_config_error(make) -> None:
    with pytest.raises(ConfigError, match="Fix:"):
        make()


def test_bad_inputs_raise_data_error() -> None:
    with pytest.raises(DataError, match="finite and positive"):
        TradeCostInputs(prices=np.array([1.0, 0.0]))
    with pytest.raises(DataError, match="sigma has 1 values"):
        TradeCostInputs(prices=np.array([1.0, 2.0]), sigma=np.array([0.1]))
    with pytest.raises(DataError, match="trades have 3 entries"):
        LinearCost().evaluate(np.zeros(3), TradeCostInputs(prices=np.ones(2)))
