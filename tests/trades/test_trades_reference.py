"""The optimised trade planner returns exactly the plan of the pre-optimisation planner.

``trades_reference_impl.reference_plan_trades`` is a frozen copy of ``plan_trades`` (sizing, placement,
lot relief) from before the speed work of issue "After-tax, after-cost backtester", item 6 "Speed".  Every
field of the :class:`~trimtab.trades.TradePlan` -- trades, lot reliefs, the household after (lot order
included), costs, turnover, realized gains, tax and notes -- must be equal, and inputs the old planner
rejects must be rejected with the same error.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trades_reference_impl import reference_plan_trades

from trimtab.domain.settings import CostSettings, TradingSettings
from trimtab.errors import TrimtabError
from trimtab.testing.strategies import (
    RebalanceCase,
    cost_settings,
    rebalance_cases,
    trading_settings,
)
from trimtab.trades import TradePlan, plan_trades

SAME = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SYMBOLS = tuple(f"S{i:02d}" for i in range(12))


def _outcome(planner: Callable[..., TradePlan], case: RebalanceCase) -> TradePlan | tuple[type, str]:
    """The plan, or the type and message of the error the planner raised."""
    try:
        return planner(case.household, case.prices, case.weights, as_of=case.as_of, costs=case.costs,
                       trading=case.trading, tax=case.tax, sigma=case.sigma, volume=case.volume)
    except TrimtabError as error:
        return type(error), str(error)


def _assert_same(case: RebalanceCase) -> None:
    new = _outcome(plan_trades, case)
    old = _outcome(reference_plan_trades, case)
    assert new == old
    if not isinstance(new, tuple):  # field by field again, so a failure names the field
        for name in ("trades", "after", "transaction_cost", "turnover", "realized_short", "realized_long",
                     "estimated_tax", "notes"):
            assert getattr(new, name) == getattr(old, name), name
        assert dict(new.prices) == dict(old.prices)


@SAME
@given(case=rebalance_cases())
def test_plan_equals_reference_planner(case: RebalanceCase) -> None:
    """Random households, targets, steps, costs, buffers and relief methods: the same plan."""
    _assert_same(case)


@SAME
@given(case=rebalance_cases(SYMBOLS, trading=trading_settings(buy_only=True),
                            costs=cost_settings(max_min_trade=50)))
def test_scaled_buys_equal_reference_planner(case: RebalanceCase) -> None:
    """Twelve symbols, buy-only (cash-limited buys, the scaled fit and its top-up): the same plan."""
    _assert_same(case)


@SAME
@given(case=rebalance_cases(SYMBOLS, trading=st.sampled_from([
    TradingSettings(fractional=True, fraction_decimals=6),
    TradingSettings(fractional=True, fraction_decimals=2, cash_buffer=0.01),
    TradingSettings(lot_size=1, cash_buffer=0.02),
]), costs=st.one_of(st.just(CostSettings(half_spread_bps=5.0)), cost_settings())))
def test_fractional_and_buffered_plans_equal_reference_planner(case: RebalanceCase) -> None:
    """Fractional steps and cash buffers (the backtester's settings): the same plan."""
    _assert_same(case)


def test_reference_agrees_on_a_fixed_plan() -> None:
    """A fixed two-symbol plan: both planners sell the overweight and buy the underweight alike."""
    from trimtab.domain import Account, AccountKind, Household, TaxLot
    from trimtab.domain.settings import TaxSettings
    from trimtab.testing.strategies import DEFAULT_AS_OF

    household = Household(name="h", accounts=(Account(id="a", kind=AccountKind.TAXABLE, cash=Decimal(100)),),
                          lots=(TaxLot(account="a", symbol="X", quantity=Decimal(30), cost_basis=Decimal(2000),
                                       acquired=DEFAULT_AS_OF.replace(year=DEFAULT_AS_OF.year - 2)),))
    case = RebalanceCase(household=household, prices={"X": Decimal(100), "Y": Decimal(50)},
                         weights={"X": 0.5, "Y": 0.5}, costs=CostSettings(half_spread_bps=5.0),
                         trading=TradingSettings(), tax=TaxSettings(), sigma={}, volume={})
    plan = _outcome(plan_trades, case)
    assert [(t.side.value, t.symbol) for t in plan.trades] == [("sell", "X"), ("buy", "Y")]
    _assert_same(case)
