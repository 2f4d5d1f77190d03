"""Known answers for the added risk terms, penalties, group bounds and mixed-integer parts (issue 4, item 1-4).

Every expected number is worked out by hand in the test's docstring (no KAT in KNOWN_ANSWERS.md covers
them); the mixed-integer answers are also checked against enumerating every trade pattern.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from test_optimizer_conformance import random_data

from trimtab.errors import InfeasibleError
from trimtab.models.base import Constraint, CvxVars, FactorRisk, ProblemData
from trimtab.models.constraints import Budget, CashBounds, LongOnly, WeightBounds
from trimtab.models.costs import LinearCost
from trimtab.models.downside import CVaR, SemiDeviation, cvar
from trimtab.models.exposures import FactorExposureRisk
from trimtab.models.groups import GroupBounds
from trimtab.models.mixed_integer import FixedTradeCost, MaxTrades, MinTradeSize, MixedIntegerProblem
from trimtab.models.opportunity import OpportunityCost
from trimtab.models.penalties import DistanceToTarget, StyleTilt, TradeBalance
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost
from trimtab.models.variance import Variance
from trimtab.testing.checks import check_term

ONE_ASSET_RETURNS = np.array([[-0.05], [-0.02], [0.0], [0.01], [0.03]])


def one_asset(extras: dict | None = None, *, w: float = 1.0, target: float = 1.0) -> ProblemData:
    return ProblemData(
        symbols=("A",),
        w=np.array([w]),
        w_target=np.array([target]),
        v=1e6,
        covariance=np.array([[0.04]]),
        extras=extras or {},
    )


# ------------------------------------------------------------------------------------------------------ CVaR
@pytest.mark.parametrize(
    ("alpha", "probabilities", "expected"),
    [
        (0.6, None, 0.035),  # worst 40 % = two of five scenarios: mean(0.05, 0.02)
        (0.7, None, 0.04),  # worst 30 %: (0.2 * 0.05 + 0.1 * 0.02) / 0.3
        (0.0, None, 0.006),  # alpha 0: mean loss (0.05 + 0.02 + 0 - 0.01 - 0.03) / 5
        (0.8, None, 0.05),  # worst 20 % = the worst scenario
        (0.75, [0.1, 0.2, 0.3, 0.2, 0.2], 0.032),  # (0.1 * 0.05 + 0.15 * 0.02) / 0.25
    ],
)
def test_cvar_of_a_small_discrete_scenario_set_by_hand(alpha, probabilities, expected) -> None:
    """Losses of a 100 % position in one asset: 5 %, 2 %, 0 %, -1 %, -3 % (equal probabilities unless given)."""
    extras = {"scenarios": ONE_ASSET_RETURNS}
    if probabilities is not None:
        extras["scenario_probabilities"] = np.array(probabilities)
    data = one_asset(extras)
    term = CVaR(alpha=alpha, relative="total", max_scenarios=8)
    assert term.evaluate(np.zeros(1), data) == pytest.approx(expected, abs=1e-15)
    assert check_term(term, data, np.zeros(1)) == pytest.approx(expected, abs=1e-15)  # the R-U LP agrees
    half = term.evaluate(np.array([-0.5]), data)  # half the position: half the loss in every scenario
    assert half == pytest.approx(expected / 2, abs=1e-15)
    p = np.full(5, 0.2) if probabilities is None else np.array(probabilities)
    assert cvar(-ONE_ASSET_RETURNS[:, 0], p, alpha) == pytest.approx(expected, abs=1e-15)


def test_minimum_cvar_hedges_two_mirror_assets() -> None:
    """A gains 10 % when B loses 10 % and vice versa: the worst-half loss is 0.1 |a - b|, so with the budget
    fixed (a + b = 1) the minimum is 50/50: from 80/20 sell 30 pp of A and buy 30 pp of B."""
    data = ProblemData(
        symbols=("A", "B"),
        w=np.array([0.8, 0.2]),
        w_target=np.array([0.5, 0.5]),
        v=1e6,
        covariance=np.eye(2) * 0.01,
        extras={"scenarios": np.array([[0.1, -0.1], [-0.1, 0.1]])},
    )
    term = CVaR(alpha=0.5, relative="total", max_scenarios=2)
    assert term.evaluate(np.zeros(2), data) == pytest.approx(0.06)  # 0.1 * |0.8 - 0.2|
    sol = RebalanceProblem.for_data(term, [LongOnly(), Budget()], data).solve(data)
    assert sol.z == pytest.approx([-0.3, 0.3], abs=1e-6)
    assert sol.objective == pytest.approx(0.0, abs=1e-8)


def test_semi_deviation_by_hand() -> None:
    """Returns -2 %, 0 %, 2 %, 4 % (mean 1 %): shortfalls 3 % and 1 %, semi-variance (9e-4 + 1e-4) / 4."""
    data = one_asset({"scenarios": np.array([[-0.02], [0.0], [0.02], [0.04]])})
    assert SemiDeviation(relative="total").evaluate(np.zeros(1), data) == pytest.approx(math.sqrt(2.5e-4))
    # below a fixed threshold of 0: only the -2 % scenario, sqrt(4e-4 / 4) = 1 %
    assert SemiDeviation(threshold=0.0, relative="total").evaluate(np.zeros(1), data) == pytest.approx(0.01)
    # active returns on target are zero in every scenario
    assert SemiDeviation().evaluate(np.zeros(1), data) == 0.0


# -------------------------------------------------------------------------------------------- variance, factors
def test_minimum_variance_of_two_uncorrelated_assets() -> None:
    """Fully invested, uncorrelated, volatilities 20 % and 10 %: weights proportional to 1/sigma^2 = (0.2, 0.8),
    variance 1 / (1/0.04 + 1/0.01) = 0.008."""
    data = ProblemData(
        symbols=("A", "B"),
        w=np.array([0.5, 0.5]),
        w_target=np.array([0.5, 0.5]),
        v=1e6,
        covariance=np.diag([0.04, 0.01]),
    )
    sol = RebalanceProblem.for_data(Variance(), [LongOnly(), CashBounds(max_weight=0.0)], data).solve(data)
    assert sol.w_plus == pytest.approx([0.2, 0.8], abs=1e-6)
    assert sol.objective == pytest.approx(0.008, rel=1e-6)


def test_factor_exposure_risk_is_the_systematic_part_of_tracking_error() -> None:
    rng = np.random.default_rng(3)
    f = rng.normal(size=(2, 2)) * 0.1
    factors = FactorRisk(
        loadings=rng.normal(size=(5, 2)), factor_cov=f @ f.T, idio_var=rng.uniform(0.01, 0.05, 5)
    )
    data = dataclasses.replace(random_data(rng, 5, factor=True), factors=factors)
    z = rng.normal(scale=0.02, size=5)
    dv = data.d0 + z
    systematic = FactorExposureRisk().evaluate(z, data)
    assert systematic + float(np.sum(factors.idio_var * dv * dv)) == pytest.approx(
        TrackingError().evaluate(z, data)
    )


def test_named_exposure_deviation_by_hand() -> None:
    """Exposure 1 to 'value' for A, -1 for B; after trading A +2 pp, B -1 pp from target: y = 0.03,
    risk with weight 4: 4 * 0.03^2 = 3.6e-3."""
    data = ProblemData(
        symbols=("A", "B"),
        w=np.array([0.5, 0.5]),
        w_target=np.array([0.5, 0.5]),
        v=1e6,
        covariance=np.eye(2) * 0.04,
    )
    term = FactorExposureRisk(exposures={"value": {"A": 1.0, "B": -1.0}}, weights={"value": 4.0})
    assert term.evaluate(np.array([0.02, -0.01]), data) == pytest.approx(3.6e-3)


# ------------------------------------------------------------------------------------- opportunity, penalties
def test_opportunity_cost_by_hand() -> None:
    """mu = (10 %, 0 %), 2 pp under A and over B: 0.2 % a year forgone; over half a year 0.1 %.  Tilted the
    other way (toward the higher expected return) it costs nothing; the risk part adds h gamma/2 TE^2."""
    data = ProblemData(
        symbols=("A", "B"),
        w=np.array([0.38, 0.42]),
        w_target=np.array([0.4, 0.4]),
        v=1e6,
        covariance=np.diag([0.04, 0.01]),
    )
    term = OpportunityCost(horizon=0.5, expected_returns={"A": 0.10})
    assert term.evaluate(np.zeros(2), data) == pytest.approx(0.001)
    assert term.evaluate(np.array([0.04, -0.04]), data) == 0.0
    te = 0.04 * 0.02**2 + 0.01 * 0.02**2
    risky = OpportunityCost(horizon=0.5, risk_aversion=3.0, expected_returns={"A": 0.10})
    assert risky.evaluate(np.zeros(2), data) == pytest.approx(0.001 + 0.5 * 1.5 * te)


def test_opportunity_cost_makes_a_costly_trade_worth_it() -> None:
    """One asset 2 pp under target, cost 30 bp one-way, TE weight tiny: without the opportunity cost the
    trade does not pay; forgoing 8 %/yr for a year (marginal 0.08 > 0.003) it trades all the way."""
    data = ProblemData(
        symbols=("A",), w=np.array([0.58]), w_target=np.array([0.6]), v=1e6, covariance=np.array([[0.04]])
    )
    base = 0.01 * TrackingError() + TradingCost(LinearCost(half_spread_bps=30))
    assert not RebalanceProblem.for_data(base, [LongOnly()], data).solve(data).trades
    with_oc = base + OpportunityCost(horizon=1.0, expected_returns={"A": 0.08})
    assert RebalanceProblem.for_data(with_oc, [LongOnly()], data).solve(data).z == pytest.approx(
        [0.02], abs=1e-6
    )


@pytest.mark.parametrize(("l1_weight", "trades"), [(0.002, False), (0.004, True)])
def test_l1_distance_trades_iff_its_weight_beats_the_cost(l1_weight: float, trades: bool) -> None:
    """L1 distance c |dv| against linear cost k |z| (k = 30 bp): moving toward target pays iff c > k."""
    data = ProblemData(symbols=("A", "B"), w=np.array([0.45, 0.35]), w_target=np.array([0.4, 0.4]), v=1e6)
    objective = l1_weight * DistanceToTarget() + TradingCost(LinearCost(half_spread_bps=30))
    sol = RebalanceProblem.for_data(objective, [LongOnly()], data).solve(data)
    assert sol.trades is trades
    if trades:
        assert sol.w_plus == pytest.approx([0.4, 0.4], abs=1e-6)


def test_l2_distance_and_style_tilt_closed_form() -> None:
    """minimise sum dv^2 - lam s'dv: dv = lam s / 2 (cash free); lam = 0.01, s = (1, -2) -> (0.005, -0.01)."""
    data = ProblemData(symbols=("A", "B"), w=np.array([0.3, 0.3]), w_target=np.array([0.3, 0.3]), v=1e6)
    objective = DistanceToTarget(norm="l2") + 0.01 * StyleTilt({"A": 1.0, "B": -2.0})
    sol = RebalanceProblem.for_data(objective, [], data).solve(data)
    assert sol.z == pytest.approx([0.005, -0.01], abs=1e-7)


def test_trade_balance_makes_trades_pay_for_themselves() -> None:
    """Underweight both assets with 20 % cash: TE alone buys 10 pp; a heavy |buys - sells| penalty keeps the
    trades self-financing (sum z = 0), so cash stays and the buys are traded off against each other."""
    data = ProblemData(
        symbols=("A", "B"),
        w=np.array([0.45, 0.35]),
        w_target=np.array([0.5, 0.5]),
        v=1e6,
        covariance=np.diag([0.04, 0.04]),
    )
    free = RebalanceProblem.for_data(TrackingError(), [LongOnly(), CashBounds()], data).solve(data)
    assert free.z.sum() == pytest.approx(0.2, abs=1e-5)
    balanced = RebalanceProblem.for_data(
        TrackingError() + 10.0 * TradeBalance(), [LongOnly(), CashBounds()], data
    )
    sol = balanced.solve(data)
    assert abs(sol.z.sum()) <= 1e-6
    assert sol.z == pytest.approx([-0.05, 0.05], abs=1e-5)  # equal deviations of -0.1 each side


# ------------------------------------------------------------------------------------------------ group bounds
def test_group_bound_binds_and_is_explained() -> None:
    """A, B at 40 % each with the group {A, B} capped at 60 %, uncorrelated equal risk: the least tracking error
    takes 10 pp off each (cash absorbs it), C untouched."""
    data = ProblemData(
        symbols=("A", "B", "C"),
        w=np.array([0.4, 0.4, 0.2]),
        w_target=np.array([0.4, 0.4, 0.2]),
        v=1e6,
        covariance=np.eye(3) * 0.04,
    )
    groups = GroupBounds(
        {"tech": ["A", "B"], "other": ["C", "CASH"]}, {"tech": (None, 0.6), "other": (0.1, None)}
    )
    sol = RebalanceProblem.for_data(TrackingError(), [LongOnly(), CashBounds(), groups], data).solve(data)
    assert sol.w_plus == pytest.approx([0.3, 0.3, 0.2], abs=1e-6)
    assert groups in sol.binding
    assert "tech at its maximum 60.00 %" in groups.describe_binding(sol.z, data)
    assert groups.violation(sol.z, data) <= 1e-9
    assert groups.totals(np.zeros(3), data) == pytest.approx([0.8, 0.2])


def test_conflicting_group_and_weight_bounds_are_named() -> None:
    data = ProblemData(
        symbols=("A", "B", "C"),
        w=np.array([0.4, 0.4, 0.2]),
        w_target=np.array([0.4, 0.4, 0.2]),
        v=1e6,
        covariance=np.eye(3) * 0.04,
    )
    constraints = [
        LongOnly(),
        CashBounds(),
        GroupBounds({"ab": ["A", "B"]}, {"ab": (0.9, None)}),
        WeightBounds(upper=0.4),
    ]
    with pytest.raises(
        InfeasibleError, match=r"GroupBounds\(\{ab: \[0.9, \]\}\) and WeightBounds\(upper=0.4\)"
    ):
        RebalanceProblem.for_data(TrackingError(), constraints, data).solve(data)


# --------------------------------------------------------------------------------------------- mixed integer
@pytest.mark.parametrize(("drift", "expected"), [(0.003, -0.005), (0.002, 0.0), (0.02, -0.02)])
def test_min_trade_is_zero_or_at_least_the_minimum(drift: float, expected: float) -> None:
    """One asset ``drift`` over target, TE only, minimum trade 0.5 pp: a drift of 0.3 pp is better closed with
    the minimum trade (0.2 pp left over the other side) than kept; 0.2 pp is better kept (a 0.5 pp trade would
    leave 0.3 pp); 2 pp is simply closed."""
    data = ProblemData(
        symbols=("A",),
        w=np.array([0.5 + drift]),
        w_target=np.array([0.5]),
        v=1e6,
        covariance=np.array([[0.04]]),
    )
    sol = MixedIntegerProblem.for_data(TrackingError(), [LongOnly(), MinTradeSize(0.005)], data).solve(data)
    assert sol.z == pytest.approx([expected], abs=1e-7)


def test_max_trades_picks_the_largest_gains() -> None:
    """Four uncorrelated assets off target by 1, 4, 2, 3 pp with equal risk; two trades allowed: close the
    4 pp and 3 pp gaps, leave the others."""
    data = ProblemData(
        symbols=tuple("ABCD"),
        w=np.array([0.21, 0.24, 0.18, 0.17]),
        w_target=np.full(4, 0.2),
        v=1e6,
        covariance=np.eye(4) * 0.04,
    )
    problem = MixedIntegerProblem.for_data(TrackingError(), [LongOnly(), CashBounds(), MaxTrades(2)], data)
    sol = problem.solve(data)
    assert sol.z == pytest.approx([0.0, -0.04, 0.0, 0.03], abs=1e-6)
    assert [repr(c) for c in sol.binding] == ["MaxTrades(2)"]
    assert problem.last_search["gap"] == 0.0


def test_max_trades_conflict_is_named() -> None:
    """Weights above a 25 % cap in A and B need two sells; one trade allowed."""
    data = ProblemData(
        symbols=("A", "B", "C"),
        w=np.array([0.5, 0.3, 0.2]),
        w_target=np.array([0.3, 0.3, 0.3]),
        v=1e6,
        covariance=np.eye(3) * 0.04,
    )
    constraints = [LongOnly(), CashBounds(), WeightBounds(upper=0.25), MaxTrades(1)]
    with pytest.raises(InfeasibleError, match=r"WeightBounds\(upper=0.25\) and MaxTrades\(1\)"):
        MixedIntegerProblem.for_data(TrackingError(), constraints, data).solve(data)


@dataclasses.dataclass(frozen=True, eq=False)
class TradedSet(Constraint):
    """Only the assets in ``mask`` may trade (bounds on ``z`` as Parameters, so one compile serves every set)."""

    mask: list = dataclasses.field(default_factory=list)

    def to_cvxpy(self, v: CvxVars) -> list:
        bound = v.parameter(self, "bound", v.n, nonneg=True)
        return [v.z <= bound, v.z >= -bound]

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        v.assign(v.parameter(self, "bound", v.n, nonneg=True), 10.0 * np.asarray(self.mask, dtype=float))

    def violation(self, z, data: ProblemData) -> float:
        return float(np.max(np.abs(z) * (1 - np.asarray(self.mask, dtype=float)), initial=0.0))


def enumerate_patterns(objective, convex_objective, constraints, data: ProblemData) -> float:
    """Best exact objective over every set of traded assets (a convex solve with the rest frozen)."""
    best = math.inf
    traded = TradedSet([True] * data.n)
    problem = RebalanceProblem.for_data(convex_objective, [*constraints, traded], data)
    for mask in itertools.product([False, True], repeat=data.n):
        traded.mask[:] = mask
        try:
            sol = problem.solve(data)
        except InfeasibleError:
            continue
        best = min(best, objective.evaluate(sol.z, data))
    return best


def test_fixed_cost_branch_and_bound_equals_enumeration() -> None:
    """TE + 5 bp linear cost + a fixed charge per asset traded, n <= 6: the branch and bound finds the best of
    all 2^n trade patterns (each pattern is convex once the traded set is fixed)."""
    rng = np.random.default_rng(31)
    for _ in range(8):
        n = int(rng.integers(2, 7))
        data = random_data(rng, n)
        per_trade = float(rng.uniform(1e-6, 2e-4)) * data.v
        convex = TrackingError() + TradingCost(LinearCost(half_spread_bps=5))
        objective = convex + FixedTradeCost(per_trade)
        constraints = [LongOnly(), CashBounds()]
        problem = MixedIntegerProblem.for_data(objective, constraints, data)
        sol = problem.solve(data)
        assert sol.objective == pytest.approx(
            enumerate_patterns(objective, convex, constraints, data), rel=1e-7, abs=1e-12
        )
        assert problem.last_search["gap"] == 0.0


def test_native_highs_and_branch_and_bound_agree_on_a_milp() -> None:
    """A linear objective (CVaR, linear cost, L1 distance, fixed cost) is a MILP: HiGHS solves it natively,
    the branch and bound over Clarabel relaxations gives the same objective."""
    rng = np.random.default_rng(37)
    for _ in range(4):
        n = int(rng.integers(3, 6))
        data = dataclasses.replace(random_data(rng, n), extras={"scenarios": rng.normal(0, 0.02, (10, n))})
        objective = (
            CVaR(alpha=0.8, max_scenarios=10)
            + 0.01 * DistanceToTarget()
            + TradingCost(LinearCost(half_spread_bps=3))
            + FixedTradeCost(2e-5 * data.v)
        )
        constraints = [LongOnly(), CashBounds(), MinTradeSize(0.01), MaxTrades(2)]
        native = MixedIntegerProblem.for_data(objective, constraints, data, solvers=("HIGHS",)).solve(data)
        bnb = MixedIntegerProblem.for_data(objective, constraints, data).solve(data)
        assert native.solver == "HIGHS" and bnb.solver == "CLARABEL"
        assert bnb.objective == pytest.approx(native.objective, rel=1e-5, abs=1e-9)


def test_highs_refuses_a_quadratic_objective_and_the_chain_falls_back() -> None:
    data = random_data(np.random.default_rng(41), 4)
    objective = TrackingError() + FixedTradeCost(1e-4 * data.v)
    problem = MixedIntegerProblem.for_data(
        objective, [LongOnly(), CashBounds()], data, solvers=("HIGHS", "CLARABEL")
    )
    assert problem.solve(data).solver == "CLARABEL"


def test_node_limit_returns_the_incumbent_with_its_gap() -> None:
    rng = np.random.default_rng(43)
    data = random_data(rng, 8)
    objective = TrackingError() + FixedTradeCost(5e-5 * data.v)
    problem = MixedIntegerProblem.for_data(objective, [LongOnly(), CashBounds()], data, max_nodes=1)
    sol = problem.solve(data)
    search = problem.last_search
    assert search["nodes"] == 1
    if search["node_limit_hit"]:
        assert sol.status == "optimal_inaccurate"
        assert search["gap"] >= 0 and search["bound"] <= sol.objective + 1e-12
