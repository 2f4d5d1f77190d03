"""The optimizer's tax term (models/tax.py) and its wiring: known answers, conformance, brute force (KAT-24, KAT-25)."""

from __future__ import annotations

import itertools
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household
from trimtab.domain.lots import ReliefMethod, TaxLot, Term
from trimtab.domain.settings import CostSettings, PolicySpec, TaxSettings, TradingSettings
from trimtab.errors import ConfigError, OptimizationError
from trimtab.models.base import ProblemData
from trimtab.models.constraints import CashBounds, LongOnly
from trimtab.models.costs import LinearCost
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.tax import (
    LotTax,
    RealizedGainAtMost,
    TaxInputs,
    TaxProxy,
    TradeCell,
    cell_problem_patterns,
    initial_cells,
    with_cells,
)
from trimtab.models.trading_cost import TradingCost
from trimtab.policies.optimizer import ConvexRebalancer, build_optimizer_policy, solve_in_cells
from trimtab.policies.registry import build_policy
from trimtab.tax.rules import TaxRates
from trimtab.testing.checks import TermMismatch, check_term
from trimtab.trades.planner import plan_trades

SOLD = date(2024, 6, 3)
RATES = TaxRates("0.37", "0.20")
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "trimtab" / "examples" / "family"


def _lot(
    symbol: str, qty: float, unit: float, acquired: date, lot_id: str = "", account: str = "brokerage"
) -> TaxLot:
    quantity = Decimal(repr(float(qty)))
    return TaxLot(
        account=account,
        symbol=symbol,
        quantity=quantity,
        cost_basis=quantity * Decimal(repr(float(unit))),
        acquired=acquired,
        lot_id=lot_id,
    )


def _kat24_lots() -> list[TaxLot]:
    """KAT-24: price 100; A 110 ST, B 130 LT, C 60 LT, D 90 ST, 100 shares each."""
    short, long_ = date(2024, 1, 2), date(2020, 1, 2)
    return [
        _lot("X", 100, 110, short, "A"),
        _lot("X", 100, 130, long_, "B"),
        _lot("X", 100, 60, long_, "C"),
        _lot("X", 100, 90, short, "D"),
    ]


def _instance(seed: int, n: int, *, sheltered_share: float = 0.5, all_gains: bool = False) -> ProblemData:
    """Random household: each symbol 1-4 taxable lots in two taxable accounts, some also held in an IRA."""
    rng = np.random.default_rng(seed)
    v = 1_000_000.0
    prices = np.round(rng.uniform(20, 200, n), 2)
    w = rng.dirichlet(np.ones(n)) * rng.uniform(0.85, 0.98)
    target = rng.dirichlet(np.ones(n)) * 0.97
    a = rng.normal(size=(n, n)) * 0.1
    cov = a @ a.T + np.diag(rng.uniform(0.01, 0.06, n))
    lots, sheltered = [], {}
    for i in range(n):
        symbol = f"S{i}"
        dollars = w[i] * v
        frac = rng.uniform(0.1, 0.9) if rng.random() < sheltered_share else 0.0
        if frac:
            sheltered[symbol] = Decimal(repr(float(dollars * frac / prices[i])))
        k = int(rng.integers(1, 5))
        for j, part in enumerate(rng.dirichlet(np.ones(k)) * dollars * (1 - frac)):
            ratio = float(np.exp(rng.normal(0, 0.4)))
            if all_gains:
                ratio = min(ratio, 0.95)
            lots.append(
                _lot(
                    symbol,
                    part / prices[i],
                    round(prices[i] * ratio, 2),
                    SOLD - timedelta(days=int(rng.integers(10, 3000))),
                    f"{symbol}-{j}",
                    f"t{j % 2}",
                )
            )
    inputs = TaxInputs(lots=lots, sheltered_shares=sheltered, rates=RATES, sold=SOLD)
    held = np.array(
        [
            float(inputs.taxable_shares(f"S{i}") + sheltered.get(f"S{i}", Decimal(0))) * prices[i] / v
            for i in range(n)
        ]
    )
    return ProblemData(
        symbols=tuple(f"S{i}" for i in range(n)),
        w=held,
        w_target=target,
        v=v,
        prices=prices,
        covariance=cov,
        extras={"tax": inputs},
    )


def _random_trade(rng: np.random.Generator, data: ProblemData) -> np.ndarray:
    """Trades inside the holdings: buys, sells within the sheltered part, sells into the taxable lots."""
    z = np.zeros(data.n)
    for i in range(data.n):
        kind = rng.integers(0, 4)
        if kind == 1:
            z[i] = rng.uniform(0, 0.05)
        elif kind >= 2:
            z[i] = -rng.uniform(0, 1) * data.w[i]
    return z


# ---------------------------------------------------------------------------------------------- known answers
@pytest.mark.parametrize(
    ("shares", "tax"), [(0, 0), (100, -600), (200, -970), (300, -600), (400, 200), (150, -785)]
)
def test_kat24_curve_through_the_term(shares: int, tax: float) -> None:
    """KAT-24: minimal tax 0, -600, -970, -600, +200 at 0..400 shares (and linear between) via both front ends."""
    inputs = TaxInputs(lots=_kat24_lots(), rates=RATES, sold=SOLD)
    data = ProblemData(
        symbols=("X", "Y"),
        w=np.array([0.4, 0.3]),
        w_target=np.array([0.3, 0.3]),
        v=100_000.0,
        prices=np.array([100.0, 50.0]),
        extras={"tax": inputs},
    )
    z = np.array([-shares * 100.0 / data.v, 0.0])
    term = LotTax()
    assert term.dollars(z, data) == pytest.approx(tax, abs=1e-9)
    assert check_term(term, with_cells(data, initial_cells(z, data)), z) * data.v == pytest.approx(
        tax, abs=1e-6
    )


def test_kat24_relaxed_cell_is_the_harvest_lower_bound() -> None:
    """Without cells the convex form may sell the loss lots and buy them back: its value is min L = -970."""
    inputs = TaxInputs(lots=_kat24_lots(), rates=RATES, sold=SOLD)
    data = ProblemData(
        symbols=("X",),
        w=np.array([0.4]),
        w_target=np.array([0.4]),
        v=100_000.0,
        prices=np.array([100.0]),
        extras={"tax": inputs},
    )
    z = np.zeros(1)
    with pytest.raises(TermMismatch):  # relaxed: -970/v, exact: 0
        check_term(LotTax(), data, z)
    assert check_term(LotTax(), with_cells(data, [TradeCell.BUY]), z) == 0.0


def test_sheltered_shares_are_sold_first_and_untaxed() -> None:
    """100 shares in an IRA: the first $10,000 sold cost no tax, the next 100 shares are lot B (-600)."""
    inputs = TaxInputs(lots=_kat24_lots(), sheltered_shares={"X": Decimal(100)}, rates=RATES, sold=SOLD)
    data = ProblemData(
        symbols=("X",),
        w=np.array([0.5]),
        w_target=np.array([0.4]),
        v=100_000.0,
        prices=np.array([100.0]),
        extras={"tax": inputs},
    )
    for shares, tax in [(50, 0.0), (100, 0.0), (200, -600.0), (500, 200.0)]:
        z = np.array([-shares * 100.0 / data.v])
        assert LotTax().dollars(z, data) == pytest.approx(tax, abs=1e-9)
        assert check_term(LotTax(), with_cells(data, initial_cells(z, data)), z) * data.v == pytest.approx(
            tax, abs=1e-6
        )


def test_tax_inputs_from_household_respect_account_kinds() -> None:
    """Lots in tax-deferred and tax-exempt accounts are sheltered shares; only taxable lots make curves."""
    household = Household(
        name="h",
        accounts=(
            Account(id="b", kind=AccountKind.TAXABLE),
            Account(id="ira", kind=AccountKind.TAX_DEFERRED),
            Account(id="roth", kind=AccountKind.TAX_EXEMPT),
        ),
        lots=(
            _lot("X", 10, 50, date(2020, 1, 2), "1", "b"),
            _lot("X", 5, 10, date(2020, 1, 2), "2", "ira"),
            _lot("X", 7, 10, date(2020, 1, 2), "3", "roth"),
        ),
    )
    inputs = TaxInputs.from_household(household, RATES, sold=SOLD, relief=ReliefMethod.FIFO)
    assert [lot.lot_id for lot in inputs.taxable_lots("X")] == ["1"]
    assert inputs.sheltered_shares["X"] == Decimal(12)
    assert isinstance(inputs.tax_term(), TaxProxy) and inputs.exact_relief is ReliefMethod.FIFO
    assert isinstance(TaxInputs(lots=(), relief=ReliefMethod.SPEC_ID).tax_term(), LotTax)


# ------------------------------------------------------------------------------------------------ conformance
def test_check_term_on_120_random_cases() -> None:
    """Exact evaluation (lot engine) = convex form inside the trade's cells, for LotTax, on 120 random trades."""
    rng = np.random.default_rng(7)
    checked = 0
    for case in range(120):
        data = _instance(1000 + case, int(rng.integers(1, 6)))
        z = _random_trade(rng, data)
        cells = initial_cells(z, data)
        value = check_term(LotTax(pieces=8), with_cells(data, cells), z)
        assert value == pytest.approx(LotTax().evaluate(z, data), rel=1e-9, abs=1e-12)
        checked += 1
    assert checked == 120


def test_relaxed_form_is_a_lower_bound_and_proxies_cost_more() -> None:
    """Relaxed convex value <= exact; TaxProxy (fifo, lifo, hifo, avg) >= LotTax (min_tax is the least tax)."""
    rng = np.random.default_rng(11)
    gaps = []
    for case in range(30):
        data = _instance(2000 + case, int(rng.integers(1, 5)))
        z = _random_trade(rng, data)
        exact = LotTax().evaluate(z, data)
        relaxed = _pinned_value(LotTax(pieces=8), data, z)
        assert relaxed <= exact + 1e-9
        for relief in (ReliefMethod.FIFO, ReliefMethod.LIFO, ReliefMethod.HIFO, ReliefMethod.AVG_COST):
            proxy = TaxProxy(relief=relief)
            gap = proxy.evaluate(z, data) - exact
            assert gap >= -1e-12, (relief, gap)
            gaps.append(gap)
    assert max(gaps) > 0  # the proxy's gap is real on random lots


def _pinned_value(term: LotTax, data: ProblemData, z: np.ndarray) -> float:
    import cvxpy as cp

    from trimtab.models.base import OBJECTIVE_SCALE, CvxVars

    v = CvxVars.for_data(data)
    expr = term.to_cvxpy(v)
    v.bind(data)
    term.bind(v, data)
    problem = cp.Problem(cp.Minimize(OBJECTIVE_SCALE * expr), [v.dv == data.d0 + z, *v.epigraphs])
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value) / OBJECTIVE_SCALE


def test_few_pieces_give_a_convex_majorant_exact_at_kept_breakpoints() -> None:
    """With pieces=2 the four KAT-24 segments merge into chords: above the curve, equal at the kept ends."""
    inputs = TaxInputs(lots=_kat24_lots(), rates=RATES, sold=SOLD)
    data = ProblemData(
        symbols=("X",),
        w=np.array([0.4]),
        w_target=np.array([0.3]),
        v=100_000.0,
        prices=np.array([100.0]),
        extras={"tax": inputs},
    )
    term = LotTax(pieces=2)
    assert not term.is_exact(data) and LotTax().is_exact(data)
    for shares in (0, 50, 100, 150, 200, 250, 300, 350, 400):
        z = np.array([-shares * 100.0 / data.v])
        convex = _pinned_value(term, with_cells(data, initial_cells(z, data)), z)
        assert convex >= term.evaluate(z, data) - 1e-9
    z = np.array([-0.4])
    assert _pinned_value(term, with_cells(data, initial_cells(z, data)), z) == pytest.approx(
        term.evaluate(z, data)
    )


def test_term_equals_the_planners_tax_under_min_tax_relief() -> None:
    """LotTax = sum of rate x gain of the lots the trade planner relieves (tax_aware, min_tax, 2 taxable + IRA)."""
    rng = np.random.default_rng(3)
    lots = []
    for symbol, price in (("A", 100.0), ("B", 40.0)):
        for j in range(6):
            lots.append(
                _lot(
                    symbol,
                    float(rng.integers(10, 60)),
                    round(price * float(np.exp(rng.normal(0, 0.4))), 2),
                    SOLD - timedelta(days=int(rng.integers(30, 2000))),
                    f"{symbol}{j}",
                    ("b1", "b2", "ira")[j % 3],
                )
            )
    household = Household(
        name="h",
        accounts=(
            Account(id="b1", kind=AccountKind.TAXABLE, cash=Decimal(1000)),
            Account(id="b2", kind=AccountKind.TAXABLE),
            Account(id="ira", kind=AccountKind.TAX_DEFERRED),
        ),
        lots=tuple(lots),
    )
    prices = {"A": Decimal(100), "B": Decimal(40)}
    v = float(household.market_value(prices))
    w = np.array([float(household.quantity(s) * prices[s]) / v for s in ("A", "B")])
    inputs = TaxInputs.from_household(household, RATES, sold=SOLD)
    data = ProblemData(
        symbols=("A", "B"), w=w, w_target=w, v=v, prices=np.array([100.0, 40.0]), extras={"tax": inputs}
    )
    tax = TaxSettings(short_term_rate=0.37, long_term_rate=0.20, relief_method=ReliefMethod.MIN_TAX)
    trading = TradingSettings(fractional=True, fraction_decimals=6)
    for fraction in (0.1, 0.35, 0.6, 0.9):
        z = np.array([-fraction * w[0], -0.5 * fraction * w[1]])
        target = {"A": float(w[0] + z[0]), "B": float(w[1] + z[1])}
        target["CASH"] = 1.0 - sum(target.values())
        plan = plan_trades(
            household, prices, target, as_of=SOLD, costs=CostSettings(), trading=trading, tax=tax
        )
        planned = sum(
            float(RATES.rate(r.term)) * float(r.realized_gain)
            for t in plan.trades
            if t.account != "ira"
            for r in t.lots
        )
        assert LotTax().dollars(z, data) == pytest.approx(planned, abs=0.05)


# -------------------------------------------------------------------------------------------- KAT-25 and limits
def _objective(lam: float) -> object:
    return TrackingError() + TradingCost(LinearCost(half_spread_bps=5)) + lam * LotTax(pieces=8)


def test_kat25_brute_force_over_cells() -> None:
    """KAT-25: on 30 random instances (2-6 assets), the cell search never beats the enumerated optimum of the
    same model (all cell patterns) and here matches it every time (Moehle et al. report "almost always")."""
    equal = total = 0
    worst = 0.0
    for seed in range(15):
        data = _instance(seed, 2 + seed % 5)
        for lam in (0.05, 0.5):
            problem = RebalanceProblem.for_data(_objective(lam), [LongOnly(), CashBounds()], data)
            solution, info = solve_in_cells(problem, data)
            best = np.inf
            for pattern in itertools.product(*cell_problem_patterns(data)):
                try:
                    best = min(best, problem.solve(with_cells(data, pattern)).objective)
                except OptimizationError:
                    continue
            gap = solution.objective - best
            assert gap >= -1e-6, "the search cannot beat the enumerated optimum"
            assert gap <= 1e-6, (seed, lam, gap, info)
            equal += gap <= 1e-9
            worst = max(worst, gap)
            total += 1
    print(f"KAT-25 brute force: {equal}/{total} equal to the enumerated optimum, worst gap {worst:.2e}")
    assert total == 30


def test_kat25_prohibitive_tax_sells_nothing_at_a_gain() -> None:
    """KAT-25 limit: every lot at a gain and tax weight -> infinity: no sell at all (taxable-only household)."""
    for seed in range(5):
        data = _instance(50 + seed, 5, sheltered_share=0.0, all_gains=True)
        problem = RebalanceProblem.for_data(_objective(1e4), [LongOnly(), CashBounds()], data)
        solution, _ = solve_in_cells(problem, data)
        assert solution.z.min() >= -1e-7
        assert LotTax().evaluate(solution.z, data) == 0.0


def test_kat25_zero_tax_weight_is_the_tax_blind_rebalance() -> None:
    """KAT-25 limit: tax weight 0 gives the tax-blind optimizer's trades."""
    for seed in range(5):
        data = _instance(70 + seed, 4)
        blind = RebalanceProblem.for_data(
            TrackingError() + TradingCost(LinearCost(half_spread_bps=5)), [LongOnly(), CashBounds()], data
        ).solve(data)
        aware, _ = solve_in_cells(
            RebalanceProblem.for_data(_objective(0.0), [LongOnly(), CashBounds()], data), data
        )
        np.testing.assert_allclose(aware.z, blind.z, atol=1e-6)


def test_budget_keeps_the_exact_realized_gain_within_the_limit() -> None:
    """max_realized_gain: the lot engine's net realized gain of the solution never exceeds the limit."""
    bound = 0
    for seed in range(12):
        data = _instance(300 + seed, 5)
        for limit in (0.0, 2_000.0):
            budget = RealizedGainAtMost(limit, pieces=8)
            problem = RebalanceProblem.for_data(TrackingError(), [LongOnly(), CashBounds(), budget], data)
            solution, _ = solve_in_cells(problem, data)
            assert budget.realized_gain(solution.z, data) <= limit + 1e-6 * data.v
            free = RebalanceProblem.for_data(TrackingError(), [LongOnly(), CashBounds()], data).solve(data)
            bound += budget.realized_gain(free.z, data) > limit + 1.0
    assert bound > 0  # the budget did bind somewhere


# ---------------------------------------------------------------------------------------------------- wiring
def _portfolio(tmp_path: Path, policy: str, relief: str = "min_tax") -> Path:
    shutil.copy(EXAMPLE / "lots.csv", tmp_path / "lots.csv")
    text = (EXAMPLE / "portfolio.yaml").read_text()
    lines = [f"policy: {policy}" if line.startswith("policy:") else line for line in text.splitlines()]
    text = "\n".join(lines).replace("relief_method: fifo", f"relief_method: {relief}")
    path = tmp_path / "portfolio.yaml"
    path.write_text(text + "\n")
    return path


def test_portfolio_file_policy_with_tax_through_rebalance(tmp_path: Path) -> None:
    """{kind: optimizer, tax_weight: 1.0, max_realized_gain: 5000} works through the main job."""
    from trimtab.job import plan_rebalance

    path = _portfolio(tmp_path, "{kind: optimizer, tax_weight: 1.0, max_realized_gain: 5000}")
    result = plan_rebalance(path)
    assert result.decision.action in ("partial", "rebalance")
    assert "tax" in result.decision.details["terms"] and "cells" in result.decision.details["tax"]
    assert result.plan is not None
    assert result.plan.realized_short + result.plan.realized_long <= Decimal(5000)
    assert any("netting" in note for note in result.decision.details["notes"])


def test_budget_zero_and_prohibitive_tax_through_rebalance(tmp_path: Path) -> None:
    """Budget 0 with tax weight 0 realizes no net gain; tax-blind optimizer realizes some on the same file."""
    from trimtab.job import plan_rebalance

    blind = plan_rebalance(_portfolio(tmp_path, "{kind: optimizer, max_turnover: 0.3}"))
    capped = plan_rebalance(
        _portfolio(tmp_path, "{kind: optimizer, max_turnover: 0.3, max_realized_gain: 0}")
    )
    assert blind.plan is not None and blind.plan.realized_short + blind.plan.realized_long > 0
    gain = Decimal(0) if capped.plan is None else capped.plan.realized_short + capped.plan.realized_long
    assert gain <= Decimal(50)  # whole-share rounding of the planner


def test_fifo_relief_uses_the_proxy_and_says_so(tmp_path: Path) -> None:
    """With relief_method: fifo the optimizer's tax is TaxProxy and every decision notes the lower bound."""
    from trimtab.job import plan_rebalance

    result = plan_rebalance(_portfolio(tmp_path, "{kind: optimizer, tax_weight: 1.0}", relief="fifo"))
    assert any("fifo" in note for note in result.decision.details["notes"])


def test_tax_keys_without_lots_and_bad_values_are_config_errors() -> None:
    """Without the household's lots tax_weight / max_realized_gain name the key; tax_context is not a file key."""
    for params, key in (
        ({"tax_weight": 1.0}, "tax_weight"),
        ({"max_realized_gain": 100}, "max_realized_gain"),
        ({"max_realized_gain": "lots"}, "max_realized_gain"),
    ):
        with pytest.raises(ConfigError, match=key):
            build_optimizer_policy(params)
    with pytest.raises(ConfigError, match="tax_context"):
        build_policy(PolicySpec("optimizer", {"tax_context": {"lots": []}}))
    inputs = TaxInputs(lots=_kat24_lots(), rates=RATES, sold=SOLD)
    policy = build_policy(
        PolicySpec("optimizer", {"tax_weight": 2.0, "max_realized_gain": 100, "tax_context": inputs})
    )
    assert isinstance(policy, ConvexRebalancer) and "max_realized_gain=100" in policy.describe()
    assert any(isinstance(c, RealizedGainAtMost) for c in policy.constraints)


def test_term_reprs_and_term_character() -> None:
    assert (
        repr(LotTax()) == "LotTax()" and repr(TaxProxy(relief=ReliefMethod.HIFO)) == "TaxProxy(relief='hifo')"
    )
    assert repr(RealizedGainAtMost(5000)) == "RealizedGainAtMost(5000.0)"
    assert Term.SHORT is not Term.LONG


@pytest.mark.parametrize(
    "method", [ReliefMethod.MIN_TAX, ReliefMethod.FIFO, ReliefMethod.LIFO, ReliefMethod.HIFO]
)
def test_evaluation_matches_the_lot_engines_relieve(method: ReliefMethod) -> None:
    """The term's exact evaluation = trimtab.tax.relief.relieve (rate x gain per lot part) on random lots."""
    from trimtab.tax.relief import relieve

    rng = np.random.default_rng(5)
    for case in range(15):
        data = _instance(500 + case, 3, sheltered_share=0.0)
        inputs = data.extras["tax"]
        i = int(rng.integers(0, 3))
        held = inputs.taxable_shares(data.symbols[i])
        shares = Decimal(int(rng.integers(1, max(int(held), 2))))
        shares = min(shares, held)
        z = np.zeros(3)
        z[i] = -float(shares) * data.prices[i] / data.v
        term = LotTax() if method is ReliefMethod.MIN_TAX else TaxProxy(relief=method)
        price = Decimal(repr(float(data.prices[i])))
        reliefs, _ = relieve(
            list(inputs.taxable_lots(data.symbols[i])),
            shares,
            price=price,
            sold=SOLD,
            method=method,
            rates=RATES,
        )
        expected = sum(float(RATES.rate(r.term)) * float(r.realized_gain) for r in reliefs)
        assert term.dollars(z, data) == pytest.approx(expected, abs=0.01 * len(reliefs))
