"""Metrics (known answers and definitions), the ``--json`` document, the HTML report and the CLI command."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from backtest_helpers import daily_market, scenario
from typer.testing import CliRunner

from trimtab.backtest import BacktestResult, simulate
from trimtab.cli.backtest_commands import app
from trimtab.domain.settings import PolicySpec
from trimtab.errors import ConfigError
from trimtab.policies.registry import build_policy
from trimtab.reports.html import render_report
from trimtab.reports.metrics import (
    METRIC_KEYS,
    annualized_return,
    annualized_volatility,
    backtest_json,
    max_drawdown,
    policy_metrics,
    sharpe_ratio,
    tracking_error,
    turnover_per_year,
)


def test_metric_functions_known_answers() -> None:
    r = np.array([0.10, -0.05, 0.02, 0.03])
    assert annualized_return(r, 4) == pytest.approx(1.10 * 0.95 * 1.02 * 1.03 - 1, rel=1e-12)
    assert annualized_return(np.array([0.01] * 24), 12) == pytest.approx(1.01**12 - 1, rel=1e-12)
    assert annualized_volatility(r, 4) == pytest.approx(np.std(r, ddof=1) * 2, rel=1e-12)
    assert sharpe_ratio(r, 4, 0.02) == pytest.approx(
        (r.mean() * 4 - 0.02) / (np.std(r, ddof=1) * 2), rel=1e-12
    )
    assert max_drawdown(np.array([1.0, 2.0, 1.0, 1.5, 0.5, 3.0])) == pytest.approx(0.75)
    assert max_drawdown(np.array([1.0, 1.1, 1.2])) == 0.0
    assert tracking_error(np.array([0.01, -0.01] * 6), 12) == pytest.approx(
        np.std([0.01, -0.01] * 6, ddof=1) * math.sqrt(12)
    )
    assert turnover_per_year(np.array([0.0, 0.1, 0.0, 0.2]), 0.5) == pytest.approx(0.6)
    assert math.isnan(annualized_return(np.array([]), 12)) and math.isnan(sharpe_ratio(np.zeros(5), 12))


def _result() -> BacktestResult:
    market = daily_market(seed=31, start="2018-01-02", end="2019-03-29")
    sc = scenario(market, spread_bps=5.0, st=0.37, lt=0.2)
    runs = {
        name: simulate(build_policy(spec), sc, name=name)
        for name, spec in (
            ("monthly", PolicySpec("calendar", {"every": "monthly"})),
            ("never", PolicySpec("never")),
        )
    }
    return BacktestResult(
        runs=runs, source="memory", data_source=market.source, settings={"start": "2018-01-02"}
    )


def test_policy_metrics_follow_the_definitions() -> None:
    result = _result()
    run = result["monthly"]
    m = policy_metrics(run)
    assert tuple(m) == METRIC_KEYS
    returns = run.period_returns()
    assert m["annualized_return"] == pytest.approx(
        np.prod(1 + returns) ** (252 / len(returns)) - 1, rel=1e-12
    )
    assert m["rebalance_events"] == int(np.count_nonzero(run.trade_counts[1:]))
    assert m["turnover"] == pytest.approx(run.turnover.sum() / ((run.n_periods - 1) / 252))
    assert m["transaction_costs"] == pytest.approx(run.costs.sum())
    assert sum(m["average_weights"].values()) == pytest.approx(1.0, abs=1e-12)
    never = policy_metrics(result["never"])
    assert never["turnover"] == 0.0 and never["rebalance_events"] == 0
    # The benchmark is the target rebalanced every period: the monthly policy tracks it much more closely.
    assert 0 < m["tracking_error"] < never["tracking_error"]


def test_json_document_has_exactly_the_issue_keys() -> None:
    document = backtest_json(_result())
    assert list(document) == ["policies"]
    for entry in document["policies"].values():
        assert list(entry) == list(METRIC_KEYS)
        assert set(entry["average_weights"]) == {"AAA", "BBB", "CCC", "CASH"}
    json.dumps(document, allow_nan=False)


def test_html_report_is_one_self_contained_file_with_the_plots() -> None:
    text = render_report(_result())
    # wealth, drift, weights of each of the 2 policies, trades, costs and taxes
    assert text.startswith("<!DOCTYPE html>") and text.count("Plotly.newPlot") == 6
    assert "<script src=" not in text  # plotly.js embedded, not linked
    for heading in (
        "Metrics",
        "Wealth",
        "Drift",
        "Weights: monthly",
        "Trades",
        "Costs and taxes",
        "after-tax value",
    ):
        assert heading in text


CONFIG = """\
data: {prices: builtin:us-stocks}
start: 2019-01-02
end: 2019-06-28
initial: {value: 100000}
targets: {MSFT: 0.5, KO: 0.5}
policies: [{name: monthly, kind: calendar, every: monthly}, {name: never, kind: never}]
costs: {half_spread_bps: 5}
tax: {short_term_rate: 0.37, long_term_rate: 0.2}
"""


def test_cli_json_and_report(tmp_path: Path) -> None:
    config = tmp_path / "bt.yaml"
    config.write_text(CONFIG)
    report = tmp_path / "report.html"
    runner = CliRunner()
    out = runner.invoke(app, [str(config), "--json", "--report", str(report)])
    assert out.exit_code == 0, out.output
    document = json.loads(out.stdout)
    assert set(document["policies"]) == {"monthly", "never"}
    assert report.stat().st_size > 1_000_000 and "Plotly.newPlot" in report.read_text()
    table = runner.invoke(app, [str(config)])
    assert table.exit_code == 0 and "monthly" in table.stdout and "after-tax value" in table.stdout


def test_cli_config_error_propagates_for_exit_code_two(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(textwrap.dedent(CONFIG).replace("KO: 0.5", "KO: 0.6"))
    out = CliRunner().invoke(app, [str(config), "--json"])
    assert isinstance(out.exception, ConfigError)
    try:
        from trimtab.cli.main import app as main_app
        from trimtab.cli.main import main
    except ImportError:  # pragma: no cover
        pytest.skip("the main CLI is not importable")
    import typer

    names = {c for c in typer.main.get_command(main_app).commands}  # type: ignore[attr-defined]
    if "backtest" not in names:
        pytest.skip("the lead has not mounted the backtest command yet")
    assert main(["backtest", str(config), "--json"]) == 2
