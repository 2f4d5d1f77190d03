"""Hypothesis properties of plan_trades (issue "Foundation", acceptance: 200 examples each)."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_UP, Decimal

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trimtab.domain import CASH, Side
from trimtab.domain.settings import CostSettings, TradingSettings
from trimtab.testing.strategies import (
    DEFAULT_SYMBOLS,
    RebalanceCase,
    cost_settings,
    psd_covariances,
    rebalance_cases,
    trading_settings,
)
from trimtab.trades import TradePlan, plan_trades, quantity_step
from trimtab.units import CENT

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(case: RebalanceCase) -> TradePlan:
    return plan_trades(
        case.household,
        case.prices,
        case.weights,
        as_of=case.as_of,
        costs=case.costs,
        trading=case.trading,
        tax=case.tax,
        sigma=case.sigma,
        volume=case.volume,
    )


@PROPERTY
@given(case=rebalance_cases())
def test_never_sells_more_than_held(case: RebalanceCase) -> None:
    """Sells per account and symbol stay within the holding; lots after = before - sells + buys."""
    plan = run(case)
    sold: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    bought: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for trade in plan.trades:
        key = (trade.account, trade.symbol)
        if trade.side is Side.SELL:
            sold[key] += trade.quantity
            assert sum(r.quantity for r in trade.lots) == trade.quantity
        else:
            bought[key] += trade.quantity
    for (account, symbol), quantity in sold.items():
        assert quantity <= case.household.quantity(symbol, account)
    for account in case.household.account_ids:
        for symbol in set(case.household.symbols) | {s for (_a, s) in bought}:
            key = (account, symbol)
            before = case.household.quantity(symbol, account)
            assert plan.after.quantity(symbol, account) == before - sold[key] + bought[key]
    assert all(lot.quantity > 0 for lot in plan.after.lots)


@PROPERTY
@given(case=rebalance_cases())
def test_cash_never_negative_and_buffer_kept_when_buying(case: RebalanceCase) -> None:
    """Every account ends with cash >= 0 after costs; an account that buys keeps its cash buffer."""
    plan = run(case)
    buffer = Decimal(repr(case.trading.cash_buffer))
    buyers = {t.account for t in plan.buys}
    for account, cash in plan.cash_after().items():
        assert cash >= 0
        if account in buyers:
            floor = (buffer * case.household.market_value(case.prices, account)).quantize(
                CENT, rounding=ROUND_UP
            )
            assert cash >= floor


@PROPERTY
@given(case=rebalance_cases())
def test_value_conserved_up_to_costs_exactly(case: RebalanceCase) -> None:
    """KAT-12c at fixed prices, exact in Decimal: V_after = V_before - costs, and per account
    cash_after = cash_before + sells - buys - costs."""
    plan = run(case)
    assert plan.value_after() == plan.value_before() - plan.transaction_cost
    assert plan.transaction_cost == sum((t.estimated_cost for t in plan.trades), Decimal(0))
    for account in case.household.accounts:
        flows = sum(
            (
                t.value - t.estimated_cost if t.side is Side.SELL else -(t.value + t.estimated_cost)
                for t in plan.trades
                if t.account == account.id
            ),
            Decimal(0),
        )
        assert plan.cash_after()[account.id] == account.cash + flows


@PROPERTY
@given(case=rebalance_cases())
def test_lot_sizes_minimum_trade_and_order_respected(case: RebalanceCase) -> None:
    """Quantities are whole steps (round lot / whole share / 10^-d), values >= min_trade_value, sells
    before buys, no sells in buy-only mode, realized gains only from taxable accounts."""
    plan = run(case)
    step = quantity_step(case.trading)
    for trade in plan.trades:
        assert trade.quantity > 0 and (trade.quantity / step) == (trade.quantity / step).to_integral_value()
        assert trade.value >= case.costs.min_trade_value
    sides = [t.side for t in plan.trades]
    assert sides == sorted(sides, key=lambda s: s is Side.BUY)
    if case.trading.buy_only:
        assert not plan.sells
    taxable = {a.id for a in case.household.accounts if a.kind.is_taxable}
    expected = sum((r.realized_gain for t in plan.sells if t.account in taxable for r in t.lots), Decimal(0))
    assert plan.realized_gain == expected


def _active_weights(plan: TradePlan, after: bool, symbols: list[str]) -> np.ndarray:
    weights = plan.weights_after() if after else plan.weights_before()
    return np.array([weights.get(s, 0.0) for s in symbols])


@st.composite
def full_rebalances(draw: st.DrawFn) -> tuple[RebalanceCase, np.ndarray]:
    trading = trading_settings(buy_only=False, cash_buffer=False, lot_sizes=(1, 10))
    case = draw(rebalance_cases(trading=trading, costs=cost_settings(max_min_trade=200)))
    return case, draw(psd_covariances(len(DEFAULT_SYMBOLS)))


@PROPERTY
@given(problem=full_rebalances())
def test_tracking_error_after_full_rebalance_not_above_before(
    problem: tuple[RebalanceCase, np.ndarray],
) -> None:
    """TE to target after a full rebalance (no buffer, not buy-only) is not above TE before.

    Precondition: the plan can miss the targets only by its frictions -- each (account, symbol) trade
    rounds to a step (at most one step of value), may be dropped below ``min_trade_value`` or because its
    cost exceeds its value (at most ``min_trade_value + 2 x ticket + one step`` of value), and costs take
    cash from buys.  So the household misses by at most, in dollars, in L1 over symbols,

        bound = 2 * (n_accounts * n_symbols * (max step value + min_trade + 2 * ticket) + costs)

    (the factor 2: a dollar not raised by a sell is also a dollar not bought).  We check that bound, and
    when TE before is at least ``sqrt(lambda_max(Sigma)) * bound / V`` -- the value is large relative to
    prices and frictions, which is when "after <= before" can hold at all (a portfolio already within a
    share of target cannot be improved by whole-share trades) -- that TE after <= TE before, using
    ``TE(d) = sqrt(d' Sigma d) <= sqrt(lambda_max) * ||d||_1``.
    """
    case, sigma = problem
    plan = run(case)
    symbols = list(DEFAULT_SYMBOLS)
    target = np.array([case.weights.get(s, 0.0) for s in symbols])
    before = _active_weights(plan, False, symbols) - target
    after = _active_weights(plan, True, symbols) - target
    value = float(plan.value_before())
    assume(value > 0)
    step = float(quantity_step(case.trading))
    step_value = step * max(float(p) for p in case.prices.values())
    ticket = float(case.costs.commission_per_trade)
    n_accounts = len(case.household.accounts)
    bound = 2 * (
        n_accounts * len(symbols) * (step_value + float(case.costs.min_trade_value) + 2 * ticket)
        + float(plan.transaction_cost)
    )
    missed = float(np.abs(after).sum()) * float(plan.value_after())
    assert missed <= bound + 1e-6 * value
    lam_max = float(np.linalg.eigvalsh(sigma)[-1])
    te_before = float(np.sqrt(before @ sigma @ before))
    te_after = float(np.sqrt(after @ sigma @ after))
    assume(te_before >= np.sqrt(lam_max) * (bound / value + 1e-6))
    assert te_after <= te_before


@PROPERTY
@given(
    case=rebalance_cases(
        trading=st.just(TradingSettings(fractional=True, fraction_decimals=6)), costs=st.just(CostSettings())
    )
)
def test_frictionless_fractional_rebalance_hits_the_targets(case: RebalanceCase) -> None:
    """Zero costs, 6-decimal fractional shares, tax-aware: every household weight within one share step
    of its target (the accounts can always be rearranged; only rounding is left)."""
    plan = run(case)
    weights = plan.weights_after()
    value = float(plan.value_after())
    assume(value > 1000)
    slack = len(case.household.accounts) * 2 * 1e-6 * 500 / value
    for symbol in DEFAULT_SYMBOLS:
        assert abs(weights.get(symbol, 0.0) - case.weights.get(symbol, 0.0)) <= slack + 1e-12
    assert abs(weights.get(CASH, 0.0) - case.weights.get(CASH, 0.0)) <= len(DEFAULT_SYMBOLS) * slack + 1e-12
