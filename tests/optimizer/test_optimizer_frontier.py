"""Frontiers: one compiled problem re-solved with new multipliers (analysis/frontier.py, CLI ``frontier``)."""

from __future__ import annotations

import itertools
import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from trimtab.analysis.frontier import TradeoffProblem, frontier_for_portfolio, frontier_values
from trimtab.cli.optimizer_commands import mount
from trimtab.errors import ConfigError
from trimtab.models.base import ProblemData
from trimtab.models.constraints import CashBounds, LongOnly, TurnoverAtMost
from trimtab.models.costs import LinearCost, MarketImpact
from trimtab.models.problem import RebalanceProblem
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost

FAMILY = Path(str(resources.files("trimtab.examples").joinpath("family", "portfolio.yaml")))


def _random_data(seed: int, n: int = 8, impact: bool = False) -> ProblemData:
    rng = np.random.default_rng(seed)
    target = rng.dirichlet(np.ones(n)) * 0.97
    w = np.clip(target + rng.normal(scale=0.03, size=n), 0.0, None)
    w *= 0.97 / w.sum()
    b = rng.normal(scale=0.2, size=(n, 3))
    cov = b @ np.diag([0.04, 0.02, 0.01]) @ b.T + np.diag(rng.uniform(0.01, 0.05, n))
    return ProblemData(
        symbols=tuple(f"S{i}" for i in range(n)),
        w=w,
        w_target=target,
        v=1e6,
        covariance=cov,
        sigma=rng.uniform(0.01, 0.03, n) if impact else None,
        volume=10 ** rng.uniform(6.5, 8.0, n) if impact else None,
    )


def test_scalar_band_edge_as_tc_weight_varies() -> None:
    """KAT-07 scalar band: min sigma^2 (d0+z)^2 + lam c |z| trades to the edge lam c / (2 sigma^2), else holds."""
    sigma2, c, d0 = 0.04, 0.001, 0.03
    data = ProblemData(
        symbols=("A",),
        w=np.array([0.5 + d0]),
        w_target=np.array([0.5]),
        v=1e6,
        covariance=np.array([[sigma2]]),
    )
    cost = TradingCost(LinearCost(half_spread_bps=1e4 * c))
    problem = TradeoffProblem(TrackingError() + 1.0 * cost, [], data)
    for lam in (0.5, 1.0, 2.0, 10.0, 20.0, 23.9, 24.1, 40.0, 100.0):
        point = problem.point(data, {"tc_weight": lam})
        edge = lam * c / (2 * sigma2)
        expected = -(d0 - edge) if edge < d0 else 0.0
        assert point.z[0] == pytest.approx(expected, abs=2e-7), lam
        assert point.tracking_error == pytest.approx(math.sqrt(sigma2) * abs(d0 + expected), abs=1e-6)
        assert point.trading_cost == pytest.approx(c * abs(expected), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("vary", ["tc_weight", "te_weight"])
def test_resolve_equals_fresh_compile(seed: int, vary: str) -> None:
    """Re-solving the compiled trade-off problem gives the optimum of a problem compiled for those weights."""
    impact = seed % 2 == 1
    data = _random_data(seed, impact=impact)
    model = LinearCost(half_spread_bps=20.0) + (MarketImpact() if impact else LinearCost())
    constraints = [LongOnly(), CashBounds(), TurnoverAtMost(0.04)]
    te_weight, tc_weight = 1.5, 2.0
    problem = TradeoffProblem(te_weight * TrackingError() + tc_weight * TradingCost(model), constraints, data)
    compiled = problem.problem.problem
    rng = np.random.default_rng(100 + seed)
    for value in rng.uniform(0.05, 20.0, size=3):
        point = problem.point(data, {vary: float(value)})
        lam = {"te_weight": te_weight, "tc_weight": tc_weight, vary: float(value)}
        fresh_objective = lam["te_weight"] * TrackingError() + lam["tc_weight"] * TradingCost(model)
        fresh = RebalanceProblem.for_data(fresh_objective, constraints, data).solve(data)
        np.testing.assert_allclose(point.z, fresh.z, atol=2e-6)
        assert point.objective == pytest.approx(fresh_objective.evaluate(point.z, data), rel=1e-9)
        assert point.objective == pytest.approx(fresh.objective, rel=1e-5, abs=1e-10)
    assert problem.problem.problem is compiled  # compiled once: only Parameter values changed


def test_portfolio_frontier_is_monotone_and_brackets_the_policy() -> None:
    """Along increasing tc_weight the trading cost falls and the tracking error rises (parametric optimum)."""
    result = frontier_for_portfolio(FAMILY, vary="tc_weight", points=10)
    cost = [p.trading_cost for p in result.points]
    te = [p.tracking_error for p in result.points]
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(cost))
    assert all(a <= b + 1e-7 for a, b in itertools.pairwise(te))
    assert result.points[-1].n_trades == 0  # 100 x the base weight holds
    assert result.points[-1].tracking_error == pytest.approx(result.before_tracking_error, rel=1e-6)
    assert result.points[0].tracking_error < 0.05 * result.before_tracking_error
    assert te[0] <= result.base.tracking_error <= te[-1]
    doc = result.to_json()
    assert doc["vary"] == "tc_weight" and len(doc["points"]) == 10
    assert "file's policy is threshold" in doc["notes"][0]


def test_frontier_values() -> None:
    np.testing.assert_allclose(frontier_values(2.0, 5), [0.02, 0.2, 2.0, 20.0, 200.0])
    np.testing.assert_allclose(frontier_values(1.0, 3, 1.0, 4.0), [1.0, 2.0, 4.0])
    with pytest.raises(ConfigError, match="at least 2 points"):
        frontier_values(1.0, 1)
    with pytest.raises(ConfigError, match="0 < low < high"):
        frontier_values(1.0, 4, 3.0, 2.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vary": "tax_weight"}, "no tax_weight term"),
        ({"vary": "gamma"}, "--vary must name an objective multiplier"),
        ({"vary": "tc_weight", "policy": "threshold:0.05"}, "needs the optimizer policy"),
        (
            {"vary": "tc_weight", "policy": "optimizer:te_weight=0"},
            "tracking-error term with a positive weight",
        ),
    ],
)
def test_frontier_errors_are_config_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        frontier_for_portfolio(FAMILY, points=3, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_frontier_cli_json_and_plot(tmp_path: Path) -> None:
    app = typer.Typer()
    mount(app)
    plot = tmp_path / "frontier.html"
    out = CliRunner().invoke(
        app,
        [
            "frontier",
            str(FAMILY),
            "--vary",
            "tc_weight",
            "--points",
            "4",
            "--json",
            "--plot",
            str(plot),
            "--policy",
            "optimizer:2",
        ],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["policy"] == "optimizer(tc_weight=2.0)" and len(doc["points"]) == 4
    assert doc["points"][0]["lambdas"]["tc_weight"] == pytest.approx(0.02)
    text = plot.read_text()
    assert "plotly" in text.lower() and "Frontier" in text
    table = CliRunner().invoke(app, ["frontier", str(FAMILY), "--points", "3"])
    assert table.exit_code == 0 and "trading cost bp" in table.stdout


def test_tax_frontier_runs_the_cell_search_and_matches_the_policy() -> None:
    """With the tax term the frontier's base point is the policy's own decision; tax falls as tax_weight rises."""
    from trimtab.analysis.whatif import _option_spec
    from trimtab.job import build_job_policy, decide_and_plan, load_job

    option = "optimizer:tc_weight=2,tax_weight=1"
    result = frontier_for_portfolio(FAMILY, vary="tax_weight", points=4, policy=option)
    assert result.measure == "tax"
    job = load_job(FAMILY)
    spec, where = _option_spec(option)
    decided = decide_and_plan(job, build_job_policy(job, spec, where)).decision.details["trades"]
    np.testing.assert_allclose(result.base.z, [decided.get(s, 0.0) for s in result.symbols], atol=1e-6)
    taxes = [p.tax for p in result.points]
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(taxes))
    assert taxes[0] > taxes[-1]


@pytest.mark.parametrize("seed", range(20))
def test_tunable_term_conformance(seed: int) -> None:
    """check_term: the epigraph form mu * t, term <= t agrees with mu * term.evaluate (rel 1e-6)."""
    from trimtab.models.tunable import TermWeights, TunableTerm
    from trimtab.testing.checks import check_term

    data = _random_data(seed, impact=True)
    rng = np.random.default_rng(seed)
    weights = TermWeights(2)
    weights.values[:] = rng.uniform(0.1, 5.0, 2)
    cost = TradingCost(LinearCost(half_spread_bps=3.0) + MarketImpact())
    term = TunableTerm(cost, 0, weights) + TunableTerm(TrackingError(), 1, weights)
    z = rng.normal(scale=0.02, size=data.n)
    expected = weights.values[0] * cost.evaluate(z, data) + weights.values[1] * TrackingError().evaluate(
        z, data
    )
    assert check_term(term, data, z) == pytest.approx(expected, rel=1e-12)
