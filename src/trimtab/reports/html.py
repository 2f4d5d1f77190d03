"""A self-contained HTML report comparing the policies of a backtest (plotly, no network needed to view).

Sections: the settings, the metrics table (:func:`trimtab.reports.metrics.policy_metrics`), then plots of
wealth, drift, weights, trades, and cumulative costs and taxes. plotly.js is embedded once, so the file
opens offline in any browser. Long daily runs are thinned to at most :data:`MAX_POINTS` points per line
(every trade is still shown in the trades plot).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from trimtab.backtest.result import BacktestResult, PolicyRun
from trimtab.reports.metrics import policy_metrics

__all__ = ["MAX_POINTS", "render_report", "write_report"]

#: Points per line at most (lines of longer runs are thinned evenly, first and last point kept).
MAX_POINTS = 2500

_STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.settings td { text-align: left; }
.note { color: #555; font-size: 0.9em; max-width: 60em; }
"""


def _thin(n: int) -> np.ndarray:
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, MAX_POINTS).round().astype(int))


def _dates(run: PolicyRun, idx: np.ndarray) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in run.dates[idx]]


def _figure(title: str, ytitle: str, *, log: bool = False, percent: bool = False) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=title,
        xaxis_title="date",
        yaxis_title=ytitle,
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    if log:
        fig.update_yaxes(type="log")
    if percent:
        fig.update_yaxes(tickformat=".1%")
    return fig


def _wealth(result: BacktestResult) -> go.Figure:
    fig = _figure("Value after costs and taxes paid (dollars)", "dollars", log=True)
    for name, run in result.runs.items():
        idx = _thin(run.n_periods)
        fig.add_trace(go.Scatter(x=_dates(run, idx), y=run.value[idx], mode="lines", name=name))
    return fig


def _drift(result: BacktestResult) -> go.Figure:
    fig = _figure(
        "Largest drift from target the policy saw, |w - w*| (before trading)", "drift", percent=True
    )
    for name, run in result.runs.items():
        idx = _thin(run.n_periods)
        largest = np.max(np.abs(run.drift()), axis=1)
        fig.add_trace(go.Scatter(x=_dates(run, idx), y=largest[idx], mode="lines", name=name))
    return fig


def _weights(run: PolicyRun) -> go.Figure:
    fig = _figure(f"Weights after trading: {run.name}", "weight", percent=True)
    idx = _thin(run.n_periods)
    x = _dates(run, idx)
    for j, symbol in enumerate(run.symbols):
        fig.add_trace(go.Scatter(x=x, y=run.weights[idx, j], mode="lines", name=symbol, stackgroup="w"))
    fig.add_trace(go.Scatter(x=x, y=run.cash_weight[idx], mode="lines", name="CASH", stackgroup="w"))
    fig.update_yaxes(range=[0, 1])
    return fig


def _trades(result: BacktestResult) -> go.Figure:
    fig = _figure("Trades: one-way turnover at each date with trades", "turnover", percent=True)
    for name, run in result.runs.items():
        idx = np.flatnonzero(run.trade_counts > 0)
        if run.funded:
            idx = idx[idx > 0]
        fig.add_trace(
            go.Scatter(
                x=_dates(run, idx),
                y=run.turnover[idx],
                mode="markers",
                name=name,
                text=[f"{int(run.trade_counts[k])} trades" for k in idx],
            )
        )
    return fig


def _costs_taxes(result: BacktestResult) -> go.Figure:
    fig = _figure("Cumulative transaction costs (solid) and taxes paid (dotted), dollars", "dollars")
    for name, run in result.runs.items():
        idx = _thin(run.n_periods)
        x = _dates(run, idx)
        fig.add_trace(go.Scatter(x=x, y=np.cumsum(run.costs)[idx], mode="lines", name=f"{name} costs"))
        fig.add_trace(
            go.Scatter(
                x=x, y=np.cumsum(run.taxes)[idx], mode="lines", name=f"{name} taxes", line={"dash": "dot"}
            )
        )
    return fig


def _fmt(key: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if key in ("annualized_return", "annualized_volatility", "max_drawdown", "tracking_error", "turnover"):
        return f"{100 * value:.2f} %"
    if key in ("transaction_costs", "taxes_paid", "dividends", "after_tax_value"):
        return f"${value:,.0f}"
    if key == "sharpe":
        return f"{value:.3f}"
    return html.escape(str(value))


def _metrics_table(result: BacktestResult, risk_free_rate: float) -> str:
    keys = [
        "annualized_return",
        "annualized_volatility",
        "sharpe",
        "max_drawdown",
        "tracking_error",
        "turnover",
        "rebalance_events",
        "transaction_costs",
        "taxes_paid",
        "dividends",
        "after_tax_value",
    ]
    labels = [
        "return (ann.)",
        "volatility (ann.)",
        "Sharpe",
        "max drawdown",
        "tracking error",
        "turnover / yr",
        "rebalance events",
        "transaction costs",
        "taxes paid",
        "dividends",
        "after-tax value",
    ]
    head = "<tr><th>policy</th><th>rule</th>" + "".join(f"<th>{label}</th>" for label in labels) + "</tr>"
    rows = []
    for name, run in result.runs.items():
        metrics = policy_metrics(run, risk_free_rate=risk_free_rate)
        cells = "".join(f"<td>{_fmt(k, metrics[k])}</td>" for k in keys)
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(run.policy)}</td>{cells}</tr>")
    weights = []
    for name, run in result.runs.items():
        average = policy_metrics(run)["average_weights"]
        weights.append(
            "<tr><td>"
            + html.escape(name)
            + "</td>"
            + "".join(f"<td>{100 * average[s]:.1f} %</td>" for s in [*run.symbols, "CASH"])
            + "</tr>"
        )
    first = next(iter(result.runs.values()))
    weights_head = (
        "<tr><th>policy</th>"
        + "".join(f"<th>{html.escape(s)}</th>" for s in [*first.symbols, "CASH"])
        + "</tr>"
    )
    return (
        f"<table>{head}{''.join(rows)}</table>"
        f"<h2>Average weights</h2><table>{weights_head}{''.join(weights)}</table>"
    )


def _settings(result: BacktestResult) -> str:
    rows = []
    for key, value in result.settings.items():
        if key == "targets":
            value = ", ".join(f"{s} {100 * w:.1f} %" for s, w in value.items())
        rows.append(f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(str(value))}</td></tr>")
    return f"<table class='settings'>{''.join(rows)}</table>"


def render_report(result: BacktestResult, *, risk_free_rate: float = 0.0, title: str | None = None) -> str:
    """The report as one HTML document (plotly.js embedded once).

    Parameters
    ----------
    result : BacktestResult
    risk_free_rate : float
        Annual, for the Sharpe ratio.
    title : str, optional
        Defaults to ``"trimtab backtest: <config>"``.
    """
    title = title or f"trimtab backtest: {result.source}"
    figures = [("Wealth", _wealth(result)), ("Drift", _drift(result))]
    figures += [(f"Weights: {name}", _weights(run)) for name, run in result.runs.items()]
    figures += [("Trades", _trades(result)), ("Costs and taxes", _costs_taxes(result))]
    parts = []
    for i, (heading, fig) in enumerate(figures):
        div = pio.to_html(fig, include_plotlyjs=(i == 0), full_html=False, config={"responsive": True})
        parts.append(f"<h2>{html.escape(heading)}</h2>{div}")
    notes = [
        f"<li>{html.escape(name)}: {html.escape(note)}</li>"
        for name, run in result.runs.items()
        for note in run.notes
    ]
    definitions = (
        "Returns are time-weighted (cash flows excluded), after costs and taxes paid. Tracking error: "
        "annualized standard deviation of the return of the weights held minus the target weights "
        "rebalanced every period without cost. Turnover: one-way, (bought + sold) / 2 / value, summed "
        "per year; the initial purchase is excluded. After-tax value: value at the end minus the cost "
        "and the tax of selling everything (a loss left to carry forward counts as nothing). See "
        "docs/backtest.md."
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='note'>Data: {html.escape(result.data_source)}.</p>"
        f"{_settings(result)}<h2>Metrics</h2>{_metrics_table(result, risk_free_rate)}"
        f"<p class='note'>{definitions}</p>"
        + (f"<h2>Notes</h2><ul>{''.join(notes)}</ul>" if notes else "")
        + "".join(parts)
        + "</body></html>"
    )


def write_report(result: BacktestResult, path: str | Path, *, risk_free_rate: float = 0.0) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(render_report(result, risk_free_rate=risk_free_rate), encoding="utf-8")
    return out
