"""What-if comparisons and sensitivities (analysis/whatif.py, analysis/sensitivity.py, CLI ``whatif``)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from trimtab.analysis.frontier import TradeoffProblem
from trimtab.analysis.sensitivity import constraint_duals, sensitivity
from trimtab.analysis.whatif import optimizer_data, run_whatif
from trimtab.cli.optimizer_commands import mount
from trimtab.errors import ConfigError
from trimtab.job import load_job
from trimtab.models.base import ProblemData
from trimtab.models.constraints import CashBounds, LongOnly, TurnoverAtMost
from trimtab.models.costs import LinearCost
from trimtab.models.risk import TrackingError
from trimtab.models.trading_cost import TradingCost

FAMILY = Path(str(resources.files("trimtab.examples").joinpath("family", "portfolio.yaml")))


def test_no_change_means_no_difference() -> None:
    result = run_whatif(FAMILY, policy="optimizer:2")
    assert result.differences == ["no difference"]
    doc = result.to_json()
    assert doc["base"] == doc["changed"]
    assert doc["sensitivity"]["base"]["lambdas"] == {"te_weight": 1.0, "tc_weight": 2.0}


def test_shock_revalues_the_holding_exactly() -> None:
    """AAPL=-20 %: the household value falls by exactly 20 % of the AAPL holding (known answer, Decimal)."""
    job = load_job(FAMILY)
    shares = sum((lot.quantity for lot in job.portfolio.household.lots if lot.symbol == "AAPL"), Decimal(0))
    loss = Decimal("0.2") * shares * job.prices["AAPL"]
    result = run_whatif(FAMILY, shocks=["AAPL=-20%"], with_sensitivity=False)
    base = Decimal(result.to_json()["base"]["value"])
    changed = Decimal(result.to_json()["changed"]["value"])
    assert base - changed == pytest.approx(loss, abs=Decimal("0.01"))
    assert result.shocks == {"AAPL": -0.2}
    assert any(line.startswith("tracking error before trading") for line in result.differences)


def test_spread_change_scales_the_cost_of_the_same_trades() -> None:
    """KAT-12b: a rule policy makes the same trades; with spread-only costs the cost doubles with the spread."""
    result = run_whatif(FAMILY, settings=["costs.half_spread_bps=4"], with_sensitivity=False)
    base, changed = result.to_json()["base"], result.to_json()["changed"]
    assert base["trades"] == changed["trades"] and base["trades"]
    assert Decimal(changed["transaction_cost"]) == pytest.approx(
        2 * Decimal(base["transaction_cost"]), abs=Decimal("0.02")
    )
    assert any(line.startswith("trading cost") for line in result.differences)


def test_higher_tc_weight_trades_less_and_differences_are_listed() -> None:
    result = run_whatif(
        FAMILY, policy="optimizer:1", settings={"tc_weight": "30", "tax.long_term_rate": "0.25"}
    )
    doc = result.to_json()
    assert doc["changed"]["turnover"] < doc["base"]["turnover"]
    assert doc["changed"]["tracking_error_after"] > doc["base"]["tracking_error_after"]
    assert any(line.startswith("turnover:") for line in result.differences)
    assert "optimizer(tc_weight=30.0)" == doc["changed"]["policy"]
    assert doc["changes"]["settings"] == {"tc_weight": "30", "tax.long_term_rate": "0.25"}


def test_derivatives_respect_scale_invariance() -> None:
    """Only lam_tc / lam_te matters, so lam_te dz/dlam_te = -lam_tc dz/dlam_tc (up to O(step^2))."""
    rebalancer, data, _, _ = optimizer_data(FAMILY, "optimizer:2")
    problem = TradeoffProblem(rebalancer.objective, rebalancer.constraints, data)
    sens = sensitivity(problem, data, step=0.01)
    te, tc = sens.derivatives["te_weight"], sens.derivatives["tc_weight"]
    for symbol, d in te.d_trades.items():
        assert te.value * d == pytest.approx(-tc.value * tc.d_trades[symbol], rel=0.03, abs=1e-6)
    assert tc.d_turnover < 0 < te.d_turnover
    assert tc.d_trading_cost < 0 and tc.d_tracking_error > 0


def test_turnover_dual_is_the_marginal_value_of_the_cap() -> None:
    """Dual value of a binding turnover cap = objective saved per pp of extra turnover (finite difference)."""
    rng = np.random.default_rng(3)
    n = 6
    target = np.full(n, 0.16)
    w = target + np.array([0.04, -0.03, 0.02, -0.02, 0.01, -0.02])
    cov = np.diag(rng.uniform(0.02, 0.06, n))
    data = ProblemData(symbols=tuple("ABCDEF"), w=w, w_target=target, v=1e6, covariance=cov)
    objective = TrackingError() + TradingCost(LinearCost(half_spread_bps=5))

    def objective_at(limit: float) -> tuple[float, TradeoffProblem]:
        problem = TradeoffProblem(objective, [LongOnly(), CashBounds(), TurnoverAtMost(limit)], data)
        return problem.point(data).objective, problem

    limit, delta = 0.03, 1e-5
    value, problem = objective_at(limit)
    solution, s_te = problem.solve(data)
    duals = {d.constraint: d for d in constraint_duals(problem, solution, s_te)}
    cap = duals["TurnoverAtMost(0.03)"]
    assert cap.binding and not duals["LongOnly()"].binding
    saved_bp_per_pp = (value - objective_at(limit + delta)[0]) * 1e4 / (delta * 100)
    assert 2 * cap.bp_per_pp == pytest.approx(saved_bp_per_pp, rel=0.02)
    assert "raising the turnover cap by 1 pp" in cap.sentence


@pytest.mark.parametrize(
    ("settings", "shocks", "message"),
    [
        (["gamma=3"], [], "unknown --set key"),
        (["tc_weight"], [], "--set takes KEY=VALUE"),
        (["tc_weight=high"], [], "--set"),
        (["costs.half_spread_bps=-1"], [], "must be 0 or more"),
        (["costs.impact.alpha=3"], [], "alpha must be between 1 and 2"),
        ([], ["AAPL:-0.2"], "--shock takes KEY=VALUE"),
        ([], ["ZZZZ=-0.2"], "symbol the portfolio does not hold"),
        ([], ["AAPL=-1.5"], "above -1"),
        ([], ["AAPL=down"], "must be a number"),
    ],
)
def test_bad_input_is_one_line_config_error(settings: list[str], shocks: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        run_whatif(FAMILY, settings=settings, shocks=shocks, policy="optimizer", with_sensitivity=False)
    assert "\n" not in str(info.value)
    assert "--set" in str(info.value) or "--shock" in str(info.value)


def test_whatif_cli_json_and_table() -> None:
    app = typer.Typer()
    mount(app)
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "whatif",
            str(FAMILY),
            "--policy",
            "optimizer:2",
            "--set",
            "tc_weight=10",
            "--shock",
            "XOM=-0.1",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert set(doc) >= {"base", "changed", "differences", "sensitivity", "changes"}
    assert doc["changes"]["shocks"] == {"XOM": -0.1}
    assert set(doc["sensitivity"]["changed"]["derivatives"]) == {"te_weight", "tc_weight"}
    table = runner.invoke(app, ["whatif", str(FAMILY), "--set", "costs.half_spread_bps=10"])
    assert table.exit_code == 0 and "Differences" in table.stdout
    bad = runner.invoke(app, ["whatif", str(FAMILY), "--set", "nonsense=1"])
    assert isinstance(bad.exception, ConfigError)  # trimtab.cli.main turns it into one line, exit code 2
