"""Simulator identities: KAT-12 (zero cost = frictionless), 12b, 12c, 12d, 13, 14, 15, and buy-and-hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from backtest_helpers import daily_market, monthly_market, scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.backtest import CashFlow, Scenario, simulate
from trimtab.backtest.accounting import check_self_financing, remainder_factor
from trimtab.data.calendar import is_period_end
from trimtab.data.market import MarketData
from trimtab.domain import Account, AccountKind, Household, Side, TargetAllocation, TaxLot, Trade
from trimtab.domain.settings import CostSettings, PolicySpec
from trimtab.errors import TradeError
from trimtab.models.costs import LinearCost, TradeCostInputs
from trimtab.policies.registry import build_policy
from trimtab.reports.metrics import diversification_return
from trimtab.trades.plan import TradePlan


def _prices(run_market: MarketData, dates: pd.DatetimeIndex) -> np.ndarray:
    return run_market.prices.ffill().loc[dates].to_numpy()


def _frictionless(
    prices: np.ndarray, target: np.ndarray, value: float, rebalance
) -> tuple[np.ndarray, list[int]]:
    """Value path of the target weights, reset to target where ``rebalance(k, w)`` says so (no costs)."""
    h = target * value
    out, events = [value], []
    for k in range(1, len(prices)):
        h = h * prices[k] / prices[k - 1]
        v = float(h.sum())
        if rebalance(k, h / v):
            h = target * v
            events.append(k)
        out.append(v)
    return np.array(out), events


CASES = {
    "calendar-monthly": (PolicySpec("calendar", {"every": "monthly"}), "monthly"),
    "threshold-5pp": (PolicySpec("threshold", {"band": 0.05}), 0.05),
    "never": (PolicySpec("never"), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_kat12_zero_cost_equals_frictionless_path(case: str) -> None:
    """KAT-12: with every cost and tax rate at zero the wealth path is the frictionless path (1e-12 relative).

    Fractional shares (6 decimals) at $1e10 make one share step worth at most 1e-14 of the value, so the
    share granularity is below the tolerance.
    """
    spec, rule = CASES[case]
    market = daily_market(seed=11, vol=0.02)
    run = simulate(
        build_policy(spec), scenario(market, value=1e10, st=0.37, lt=0.2, kind=AccountKind.TAX_DEFERRED)
    )
    prices = _prices(market, run.dates)
    target = run.target

    def rebalance(k: int, w: np.ndarray) -> bool:
        if rule is None:
            return False
        if isinstance(rule, str):
            return is_period_end(run.dates[k], rule, data_periods_per_year=252)
        return bool(np.any(np.abs(w - target) > rule + 1e-12))

    reference, events = _frictionless(prices, target, 1e10, rebalance)
    assert [k for k in range(1, run.n_periods) if run.trade_counts[k]] == events
    assert np.max(np.abs(run.value / reference - 1.0)) <= 1e-12
    assert run.transaction_costs == 0.0 and run.taxes_paid == 0.0


def test_kat12_share_granularity_bound_at_a_million() -> None:
    """At $1e6 the only gap to the frictionless path is the 1e-6-share step: far below 1e-9 relative."""
    market = daily_market(seed=12, vol=0.02)
    run = simulate(build_policy(PolicySpec("calendar", {"every": "weekly"})), scenario(market))
    reference, _ = _frictionless(
        _prices(market, run.dates),
        run.target,
        1e6,
        lambda k, w: is_period_end(run.dates[k], "weekly", data_periods_per_year=252),
    )
    gap = np.max(np.abs(run.value / reference - 1.0))
    assert 0.0 < gap <= 1e-9


def test_never_trading_policy_is_buy_and_hold_with_costs_and_tax() -> None:
    """A never-trading policy holds the initial shares: value = shares x price + cash, no tax paid, and its
    after-tax value deducts the tax on the gains at liquidation (long-term here)."""
    market = daily_market(seed=5, drift=0.001)
    run = simulate(build_policy(PolicySpec("never")), scenario(market, spread_bps=10.0, st=0.37, lt=0.20))
    lots = run.final_household.lots
    shares = np.array(
        [float(sum((lot.quantity for lot in lots if lot.symbol == s), Decimal(0))) for s in run.symbols]
    )
    cash = float(run.final_household.total_cash)
    prices = _prices(market, run.dates)
    np.testing.assert_allclose(run.value, prices @ shares + cash, rtol=1e-13)
    assert run.trade_counts[1:].sum() == 0 and run.rebalance_events == 0 and run.taxes_paid == 0.0
    gain = sum(
        float(lot.quantity) * prices[-1, run.symbols.index(lot.symbol)] - float(lot.cost_basis)
        for lot in lots
    )
    assert gain > 0
    # Liquidation sells every position at 10 bp (rounded to cents per sale); the gain is after that cost.
    cost = sum(round(0.001 * shares[j] * prices[-1, j], 2) for j in range(len(run.symbols)))
    assert run.liquidation_cost == pytest.approx(cost, abs=0.011)
    assert run.liquidation_tax == pytest.approx(0.20 * (gain - cost), abs=0.01)
    assert run.after_tax_value == pytest.approx(run.value[-1] - cost - 0.20 * (gain - cost), abs=0.02)


def test_kat12b_cost_derivative_at_zero_is_the_traded_dollars() -> None:
    """KAT-12b: d(total cost)/dc at c -> 0 equals the dollars traded on the zero-cost path, and the deviation
    from linearity is O(c^2) (doubling c quadruples it)."""
    market = daily_market(seed=21, vol=0.02, end="2019-12-31")
    policy = build_policy(PolicySpec("calendar", {"every": "monthly"}))

    def total_cost(bps: float) -> float:
        return simulate(policy, scenario(market, value=1e10, spread_bps=bps)).transaction_costs

    traded = simulate(policy, scenario(market, value=1e10)).traded.sum()
    c = 1e-6  # 0.01 bp
    assert total_cost(c * 1e4) / c == pytest.approx(traded, rel=1e-4)
    h = 2e-4
    d1 = total_cost(2 * h * 1e4) - 2 * total_cost(h * 1e4)
    d2 = total_cost(4 * h * 1e4) - 2 * total_cost(2 * h * 1e4)
    assert d1 < 0 and d2 / d1 == pytest.approx(4.0, rel=0.1)


def test_kat12b_fixed_trade_list_cost_is_linear_in_the_rate() -> None:
    """KAT-12b: for a fixed trade list the proportional cost is exactly linear in the rate (1e-12)."""
    run = simulate(build_policy(PolicySpec("calendar", {"every": "monthly"})), scenario(daily_market(seed=4)))
    k = int(np.flatnonzero(run.trade_counts[1:])[0]) + 1
    u = np.zeros(len(run.symbols))
    for t in run.trades:
        if t.on == run.dates[k].date():
            u[run.symbols.index(t.symbol)] += float(t.value) * (1 if t.side == "buy" else -1)
    inputs = TradeCostInputs(prices=np.full(len(u), 50.0))
    one = LinearCost(half_spread_bps=3.0).total(u, inputs)
    assert LinearCost(half_spread_bps=6.0).total(u, inputs) == pytest.approx(2 * one, rel=1e-12)
    assert LinearCost(half_spread_bps=0.3).total(u, inputs) == pytest.approx(one / 10, rel=1e-12)


def _household(cash: str, **shares: int) -> Household:
    lots = tuple(
        TaxLot(
            account="a", symbol=s, quantity=Decimal(q), cost_basis=Decimal(q) * 100, acquired=date(2020, 1, 2)
        )
        for s, q in shares.items()
    )
    return Household(
        name="h", accounts=(Account(id="a", kind=AccountKind.TAXABLE, cash=Decimal(cash)),), lots=lots
    )


def test_kat12c_self_financing_worked_example() -> None:
    """KAT-12c: V = $1,000,000; buy $100,000 of A, sell $100,000 of B at 10 bp: fees $200, V_after 999,800."""
    before = _household("100000", A=4000, B=5000)
    after = _household("99800", A=5000, B=4000)
    trades = (
        Trade(
            account="a",
            symbol="B",
            side=Side.SELL,
            quantity=Decimal(1000),
            price=Decimal(100),
            estimated_cost=Decimal(100),
        ),
        Trade(
            account="a",
            symbol="A",
            side=Side.BUY,
            quantity=Decimal(1000),
            price=Decimal(100),
            estimated_cost=Decimal(100),
        ),
    )
    prices = {"A": Decimal(100), "B": Decimal(100)}
    plan = TradePlan(
        trades=trades,
        before=before,
        after=after,
        prices=prices,
        as_of=date(2020, 6, 1),
        transaction_cost=Decimal(200),
        turnover=0.1,
        realized_short=Decimal(0),
        realized_long=Decimal(0),
        estimated_tax=Decimal(0),
    )
    assert plan.value_before() == Decimal(1_000_000)
    check_self_financing(plan)
    assert plan.value_after() == Decimal(999_800)
    broken = TradePlan(
        trades=trades,
        before=before,
        after=_household("99800.01", A=5000, B=4000),
        prices=prices,
        as_of=date(2020, 6, 1),
        transaction_cost=Decimal(200),
        turnover=0.1,
        realized_short=Decimal(0),
        realized_long=Decimal(0),
        estimated_tax=Decimal(0),
    )
    with pytest.raises(TradeError):
        check_self_financing(broken)


def _conserved(run) -> float:
    """Largest relative gap in value[k] = value[k-1] (1 + held return) + flows - taxes - costs."""
    v = run.value
    grown = v[:-1] * (1.0 + run.holding_returns())
    predicted = grown + run.flows[1:] - run.taxes[1:] - run.costs[1:]
    return float(np.max(np.abs(predicted - v[1:]) / v[1:]))


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 99),
    bps=st.sampled_from([0.0, 2.0, 25.0]),
    st_rate=st.sampled_from([0.0, 0.37]),
    flow=st.sampled_from([0, 5000, -20000]),
    kind=st.sampled_from(["calendar:monthly", "threshold:0.03", "five_25"]),
)
def test_kat12c_cash_is_conserved_every_period(
    seed: int, bps: float, st_rate: float, flow: int, kind: str
) -> None:
    """KAT-12c over whole runs: value moves only by returns, flows, taxes and costs; cash never negative."""
    from trimtab.policies.registry import parse_policy_option

    market = daily_market(seed=seed, start="2018-06-01", end="2019-09-30", vol=0.025)
    flows = (CashFlow(amount=Decimal(flow), every="monthly"),) if flow else ()
    run = simulate(
        build_policy(parse_policy_option(kind)),
        scenario(market, spread_bps=bps, st=st_rate, lt=st_rate / 2, cash_flows=flows),
    )
    assert _conserved(run) <= 1e-11
    assert np.all(run.cash >= -1e-6) or run.taxes[-1] > 0  # the last year's tax is a liability at the end
    assert np.all(run.cash[:-1] >= 0)


def test_kat12d_zero_band_trades_at_every_check() -> None:
    """KAT-12d: a 0 % drift band checked every period trades at every check (the drift is never 0)."""
    market = daily_market(seed=8, end="2018-06-29")
    run = simulate(build_policy(PolicySpec("threshold", {"band": 0.0})), scenario(market, spread_bps=1.0))
    checks = run.n_periods - 1
    assert run.rebalance_events == checks
    assert run.decided[1:].all()


@pytest.mark.parametrize(
    ("w", "first", "second", "expected"),
    [
        (0.6, (0.20, 0.02), (-0.10, 0.03), 0.005616),  # reversal: rebalancing wins
        (0.5, (0.10, 0.0), (0.10, 0.0), -0.0025),  # trend: it loses
    ],
)
def test_kat14_two_period_rebalancing_identity(
    w: float, first: tuple[float, float], second: tuple[float, float], expected: float
) -> None:
    """KAT-14: V_rebalanced - V_buy&hold = -w(1-w)(a1-b1)(a2-b2), exactly (1e-12 of the value)."""
    a = np.array([1.0, 1.0 + first[0], (1.0 + first[0]) * (1.0 + second[0])])
    b = np.array([1.0, 1.0 + first[1], (1.0 + first[1]) * (1.0 + second[1])])
    index = pd.DatetimeIndex(["2020-01-31", "2020-02-29", "2020-03-31"])
    # Prices of a cent per share: one 1e-6-share step is worth 1e-8 dollars, 1e-14 of the value.
    market = MarketData(pd.DataFrame({"A": 0.01 * a, "B": 0.01 * b}, index=index), periods_per_year=12.0)
    targets = TargetAllocation({"A": w, "B": 1.0 - w})
    sc = Scenario(market=market, targets=targets, initial_value=Decimal(1_000_000))
    rebalanced = simulate(build_policy(PolicySpec("calendar", {"every": "monthly"})), sc)
    held = simulate(build_policy(PolicySpec("never")), sc)
    gap = (rebalanced.value[-1] - held.value[-1]) / 1_000_000
    assert gap == pytest.approx(-w * (1 - w) * (first[0] - first[1]) * (second[0] - second[1]), abs=1e-12)
    assert gap == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("before", "target", "mu"),
    [
        ((1.0, 0.0), (0.0, 1.0), 0.9975),
        ((0.4, 0.6), (0.5, 0.5), 0.99974969),
        ((1.0, 0.0), (0.5, 0.5), 0.99874844),
        ((0.0, 1.0, 0.0), (0.0, 0.5, 0.5), 0.99749688),
    ],
)
def test_kat13_remainder_factor_table(
    before: tuple[float, ...], target: tuple[float, ...], mu: float
) -> None:
    """KAT-13: the commission remainder factor with c_p = c_s = 0.25 % (table values to 8 decimals)."""
    got = remainder_factor(np.array(before), np.array(target), buy_rate=0.0025, sell_rate=0.0025)
    assert got == pytest.approx(mu, abs=5e-9)
    cash_residual = (
        before[0]
        + (1 - 0.0025) * sum(max(b - got * t, 0.0) for b, t in zip(before[1:], target[1:]))
        - sum(max(got * t - b, 0.0) for b, t in zip(before[1:], target[1:])) / (1 - 0.0025)
        - got * target[0]
    )
    assert abs(cash_residual) <= 1e-12


def test_kat13_closed_forms() -> None:
    """KAT-13 closed forms at c = 0.25 %: 1 - c, 2(0.6 - 0.2/(2-c)), (1-c)/(1-c/2), 2(1 - 1/(1+(1-c)^2))."""
    c = 0.0025
    forms = [
        (((1, 0), (0, 1)), 1 - c),
        (((0.4, 0.6), (0.5, 0.5)), 2 * (0.6 - 0.2 / (2 - c))),
        (((1, 0), (0.5, 0.5)), (1 - c) / (1 - c / 2)),
        (((0, 1, 0), (0, 0.5, 0.5)), 2 * (1 - 1 / (1 + (1 - c) ** 2))),
    ]
    for (before, target), expected in forms:
        assert remainder_factor(
            np.array(before, dtype=float), np.array(target, dtype=float), buy_rate=c, sell_rate=c
        ) == pytest.approx(expected, abs=1e-12)


def test_kat13_share_simulator_matches_the_remainder_factor_of_its_cost_convention() -> None:
    """The planner charges ``c`` per dollar traded on top of the buy: spending 1 of cash buys 1/(1+c), i.e.
    KAT-13's convention with c_p = c/(1+c). All cash -> all stock keeps mu = 1/(1+c) of the value."""
    c = 0.0025
    index = pd.DatetimeIndex(["2020-01-31", "2020-02-29"])
    market = MarketData(pd.DataFrame({"S": [0.01, 0.01]}, index=index), periods_per_year=12.0)
    sc = Scenario(
        market=market,
        targets=TargetAllocation({"S": 1.0}),
        initial_value=Decimal(10_000_000),
        costs=CostSettings(half_spread_bps=c * 1e4),
    )
    run = simulate(build_policy(PolicySpec("never")), sc)
    mu = remainder_factor(np.array([1.0, 0.0]), np.array([0.0, 1.0]), buy_rate=c / (1 + c), sell_rate=c)
    assert run.value[0] / 10_000_000 == pytest.approx(mu, abs=2e-9)  # cents of cost and one share step
    assert mu == pytest.approx(1 / (1 + c), abs=1e-15)


def test_kat15_diversification_return_formula() -> None:
    """KAT-15: 50/50 of two uncorrelated 20 % assets: 1.00 %/yr; 60/40, 20 %/10 %, rho 0.5: 0.36 %/yr."""
    assert diversification_return(np.array([0.5, 0.5]), np.diag([0.04, 0.04])) == pytest.approx(
        0.01, abs=1e-12
    )
    cov = np.array([[0.04, 0.5 * 0.2 * 0.1], [0.5 * 0.2 * 0.1, 0.01]])
    assert diversification_return(np.array([0.6, 0.4]), cov) == pytest.approx(0.0036, abs=1e-12)


def test_kat15_rebalanced_gbm_earns_the_diversification_return() -> None:
    """KAT-15 by simulation: monthly-rebalanced 50/50 of two uncorrelated GBMs (sigma 20 %) grows 1.00 %/yr
    faster in log terms than the average of its assets' log growth (within Monte Carlo error, ~0.05 %)."""
    months = 720
    rng = np.random.default_rng(2024)
    sigma, dt = 0.2, 1.0 / 12.0
    log_steps = rng.normal(-0.5 * sigma**2 * dt, sigma * np.sqrt(dt), size=(months, 2))
    prices = np.exp(np.vstack([np.zeros((1, 2)), np.cumsum(log_steps, axis=0)]))
    index = pd.date_range("1950-01-31", periods=months + 1, freq="ME")
    market = MarketData(pd.DataFrame(prices, index=index, columns=["X", "Y"]), periods_per_year=12.0)
    sc = Scenario(market=market, targets=TargetAllocation({"X": 0.5, "Y": 0.5}), initial_value=Decimal(10**9))
    run = simulate(build_policy(PolicySpec("calendar", {"every": "monthly"})), sc)
    years = months / 12.0
    portfolio = np.log(run.value[-1] / run.value[0]) / years
    assets = 0.5 * np.log(prices[-1] / prices[0]).sum() / years
    assert portfolio - assets == pytest.approx(0.01, abs=0.0015)


def test_monthly_market_helper_is_month_end() -> None:
    """The synthetic monthly data are stamped on month ends (low-frequency calendar rules apply)."""
    market = monthly_market()
    assert market.periods_per_year == 12.0 and bool(market.dates.is_month_end.all())
