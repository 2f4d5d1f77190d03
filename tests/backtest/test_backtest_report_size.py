"""The HTML report's downsampling: at most N points per line, envelopes keep every peak and trough (the
drawn wealth has the run's maximum drawdown), ``--report-points`` on the CLI, and a smaller file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from backtest_helpers import daily_market, scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from trimtab.backtest import BacktestResult, simulate
from trimtab.cli.backtest_commands import app
from trimtab.data.calendar import nyse_sessions
from trimtab.domain.settings import PolicySpec
from trimtab.policies.registry import build_policy
from trimtab.reports.html import MAX_POINTS, _drift, _weights, _wealth, downsample, render_report
from trimtab.reports.metrics import max_drawdown

SESSIONS = nyse_sessions()


def _sessions(start: str, end: str) -> pd.DatetimeIndex:
    return SESSIONS[(SESSIONS >= pd.Timestamp(start)) & (SESSIONS <= pd.Timestamp(end))]


def test_downsample_known_answers() -> None:
    """Ten weekdays (two weeks): the last day of each week, or each week's low and high at their dates;
    short runs and ``max_points=0`` keep every date; 18 years of sessions fall back to months, quarters."""
    days = pd.bdate_range("2020-01-06", periods=10)
    assert downsample(days, 0)[1] == "every date" and len(downsample(days, 0)[0]) == 10
    assert downsample(days, 10)[1] == "every date"
    idx, how = downsample(days, 5)
    assert how == "weekly" and idx.tolist() == [0, 4, 9]
    idx, how = downsample(days, 8, np.array([5.0, 1, 2, 3, 4, 4, 9, 8, 7, 6]))  # 2 weeks x 2 + 4
    assert how == "weekly" and idx.tolist() == [0, 1, 5, 6, 9]
    long = _sessions("2005-01-03", "2022-12-28")  # the us-stocks example's sessions
    weeks = long.to_period("W").nunique()  # 939: the last session of each week, plus the first session
    ramp = np.arange(len(long), dtype=float)
    assert downsample(long, 2000)[1] == "weekly" and len(downsample(long, 2000)[0]) == weeks + 1
    assert downsample(long, 2000, ramp)[1] == "weekly"  # 2 x 939 + 4 <= 2000
    assert downsample(long, 1500, ramp)[1] == "monthly"  # 2 x 939 + 4 > 1500
    assert downsample(long, 300)[1] == "monthly" and downsample(long, 200)[1] == "quarterly"  # 216 months
    # 18 years do not fit in 10 points: equal runs of dates, (10 - 2) // 1 and (10 - 4) // 2 of them
    assert downsample(long, 10)[1] == "8 equal runs" and len(downsample(long, 10)[0]) <= 10
    assert downsample(long, 10, ramp)[1] == "3 equal runs" and len(downsample(long, 10, ramp)[0]) <= 10


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    max_points=st.sampled_from([3, 7, 40, 150, 600]),
    years=st.sampled_from([1, 3, 8]),
)
def test_envelope_keeps_every_peak_and_trough(seed: int, max_points: int, years: int) -> None:
    """For any path the envelope has at most ``max_points`` points (6 at least: first, last, one group's
    low and high, the largest drawdown's peak and trough), includes the first and last date and the
    path's global low and high, and its maximum drawdown is the path's (a sub-path has no deeper
    drawdown, and the deepest one's ends are drawn)."""
    dates = _sessions("2010-01-04", f"{2010 + years - 1}-12-31")
    rng = np.random.default_rng(seed)
    wealth = np.exp(np.cumsum(rng.normal(0.0003, 0.02, len(dates))))
    idx, _ = downsample(dates, max_points, wealth)
    assert len(idx) <= max(max_points, 6) and idx[0] == 0 and idx[-1] == len(dates) - 1
    assert np.all(np.diff(idx) > 0)
    assert wealth[idx].min() == wealth.min() and wealth[idx].max() == wealth.max()
    assert max_drawdown(wealth[idx]) == max_drawdown(wealth)
    last, _ = downsample(dates, max_points)
    assert len(last) <= max(max_points, 3) and last[0] == 0 and last[-1] == len(dates) - 1


def _result() -> BacktestResult:
    market = daily_market(start="2012-01-03", end="2020-12-31", seed=11)
    sc = scenario(market, spread_bps=5.0, st=0.37, lt=0.2)
    runs = {
        name: simulate(build_policy(PolicySpec(*spec)), sc, name=name)
        for name, spec in (("monthly", ("calendar", {"every": "monthly"})), ("never", ("never",)))
    }
    return BacktestResult(runs=runs, source="test")


@pytest.fixture(scope="module")
def nine_years() -> BacktestResult:
    return _result()


@pytest.mark.parametrize("max_points", [0, 60, 500, MAX_POINTS])
def test_every_trace_of_the_report_has_at_most_max_points(
    nine_years: BacktestResult, max_points: int
) -> None:
    n = nine_years["never"].n_periods
    limit = n if max_points == 0 else max_points
    figures = [
        _wealth(nine_years, max_points),
        _drift(nine_years, max_points),
        _weights(nine_years["never"], max_points),
    ]
    for fig in figures:
        for trace in fig.data:
            assert len(trace.x) <= limit and len(trace.x) == len(trace.y)
            assert trace.x[0] == f"{nine_years['never'].dates[0]:%Y-%m-%d}"
            assert trace.x[-1] == f"{nine_years['never'].dates[-1]:%Y-%m-%d}"
    wealth = figures[0].data[0]
    run = nine_years["monthly"]
    drawn = np.asarray(wealth.y, dtype=float)
    assert max_drawdown(drawn) == pytest.approx(max_drawdown(run.value), rel=1e-6)  # float32 values


def test_downsampled_report_is_smaller_and_says_how_it_was_drawn(nine_years: BacktestResult) -> None:
    full = render_report(nine_years, max_points=0)
    small = render_report(nine_years)
    tiny = render_report(nine_years, max_points=100)
    assert len(tiny) < len(small) < len(full)
    # wealth, drift, the weights of each of the two policies, trades, costs and taxes
    assert small.count("Plotly.newPlot") == full.count("Plotly.newPlot") == 6
    assert small.count("plotly.js v") == 1  # embedded once
    assert "drawn weekly" in small and "--report-points 0" in small and "--report-points 0" not in full
    with pytest.raises(ValueError, match="max_points"):
        render_report(nine_years, max_points=-1)


CONFIG = """\
data: {prices: builtin:us-stocks}
start: 2015-01-02
end: 2016-12-30
initial: {value: 100000}
targets: {MSFT: 0.5, KO: 0.5}
policies: [{name: monthly, kind: calendar, every: monthly}]
"""


def test_cli_report_points(tmp_path: Path) -> None:
    """``--report-points 50`` caps every line of the written report at 50 points; 0 draws all 504 dates."""
    config = tmp_path / "bt.yaml"
    config.write_text(CONFIG)
    lengths = {}
    for points in (50, 0):
        report = tmp_path / f"r{points}.html"
        args = [str(config), "--json", "--report", str(report), "--report-points", str(points)]
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 0, out.output
        json.loads(out.stdout)
        text = report.read_text()
        arrays = re.findall(r'"x":\[[^\]]*\]', text)
        lengths[points] = [len(re.findall(r'"\d{4}-\d{2}-\d{2}"', x)) for x in arrays]
    assert lengths[50] and max(lengths[50]) <= 50
    assert max(lengths[0]) == 504
    bad = CliRunner().invoke(
        app, [str(config), "--report", str(tmp_path / "r.html"), "--report-points", "-1"]
    )
    assert bad.exit_code != 0
