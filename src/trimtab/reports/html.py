"""A self-contained HTML report comparing the policies of a backtest (plotly, no network needed to view).

Sections: the settings, the metrics table (:func:`trimtab.reports.metrics.policy_metrics`), then plots of
wealth, drift, weights, trades, and cumulative costs and taxes. plotly.js is embedded once, so the file
opens offline in any browser.

**Downsampling.** A line of a long run keeps at most ``max_points`` points (:data:`MAX_POINTS` by
default; ``trimtab backtest --report-points N``, 0 keeps every date): the dates are grouped into calendar
weeks, else months, quarters or years -- the finest grouping whose points fit -- (equal runs of dates if
even years do not fit) and each group is drawn by

* its **lowest and highest** value, at their own dates, for the wealth and drift lines (an *envelope*:
  each period's extremes survive), plus the peak and the trough of the largest drawdown, so the maximum
  drawdown of the drawn wealth is the run's (tested);
* its **last** value for the stacked weights and the cumulative costs and taxes (levels at the end of
  each week or month; the stacked areas need one date list per policy).

The first and the last date are always drawn; every trade is still shown in the trades plot. Values are
sent to plotly as 32-bit floats (seven digits: a plot, not a ledger). Measured on
``examples/backtests/us-stocks.yaml`` (3 policies x 18 years daily): 6.3 MB with the default, of which
plotly.js is 4.8 MB (9.8 MB before; 11.2 MB with every date; ``docs/backtest.md``).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from trimtab.backtest.result import BacktestResult, PolicyRun
from trimtab.data.calendar import period_keys
from trimtab.reports.metrics import policy_metrics
from trimtab.typing import FloatArray

__all__ = ["MAX_POINTS", "downsample", "render_report", "write_report"]

#: Points per line at most by default (``--report-points``); 0 keeps every date.
MAX_POINTS = 2000
#: Calendar groupings tried in order, finest first.
_GROUPINGS = ("weekly", "monthly", "quarterly", "annual")

_STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.settings td { text-align: left; }
.note { color: #555; font-size: 0.9em; max-width: 60em; }
"""


def _bounds(dates: pd.DatetimeIndex, max_points: int, per_group: int, fixed: int) -> tuple[np.ndarray, str]:
    """Start of each group plus ``len(dates)``, shape (n_groups + 1,), and the grouping's name.

    The finest grouping with ``n_groups * per_group + fixed <= max_points``.
    """
    n = len(dates)
    for grouping in _GROUPINGS:
        keys = period_keys(dates, grouping)  # ISO weeks, calendar months, quarters, years
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        if len(starts) * per_group + fixed <= max_points:
            return np.r_[starts, n], grouping
    groups = max(1, (max_points - fixed) // per_group)
    return np.unique(np.linspace(0, n, groups + 1).round().astype(int)), f"{groups} equal runs"


def _drawdown_ends(y: FloatArray) -> list[int]:
    """Indices of the peak and the trough of the largest drawdown of a positive path (none otherwise)."""
    if not (y.size and np.all(np.isfinite(y)) and np.all(y > 0)):
        return []
    trough = int(np.argmax(1.0 - y / np.maximum.accumulate(y)))
    return [int(np.argmax(y[: trough + 1])), trough]


def downsample(
    dates: pd.DatetimeIndex, max_points: int, values: FloatArray | None = None
) -> tuple[np.ndarray, str]:
    """Indices of the dates to draw, at most ``max_points`` of them, and how they were chosen.

    Parameters
    ----------
    dates : pandas.DatetimeIndex of shape (T,)
        Sorted dates of the run.
    max_points : int
        Largest number of points; 0 (or ``T`` or more) keeps every date.
    values : ndarray of shape (T,), optional
        With values: the **envelope** -- the dates of the lowest and highest value of each group, and the
        peak and trough of the largest drawdown of a positive path. Without: the **last** date of each
        group.

    Returns
    -------
    idx : ndarray of int of shape (m,)
        Sorted, unique, the first (0) and last (T - 1) always included; ``m <= max_points`` when
        ``max_points`` is at least 3 (last values) or 6 (envelope).
    how : str
        ``"every date"``, or the grouping, e.g. ``"weekly"``.

    Examples
    --------
    >>> days = pd.bdate_range("2020-01-06", periods=10)          # two weeks, Monday to Friday
    >>> downsample(days, 5)
    (array([0, 4, 9]), 'weekly')
    >>> downsample(days, 8, np.array([5.0, 1, 2, 3, 4, 4, 9, 8, 7, 6]))
    (array([0, 1, 5, 6, 9]), 'weekly')
    """
    n = len(dates)
    if max_points <= 0 or n <= max_points:
        return np.arange(n), "every date"
    if values is None:
        bounds, how = _bounds(dates, max_points, 1, 2)
        picked = bounds[1:] - 1
    else:
        y = np.asarray(values, dtype=float)
        bounds, how = _bounds(dates, max_points, 2, 4)
        chosen = _drawdown_ends(y)
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            part = y[start:stop]
            if part.size and np.isfinite(part).any():
                chosen += [start + int(np.nanargmin(part)), start + int(np.nanargmax(part))]
            elif part.size:
                chosen.append(stop - 1)
        picked = np.array(chosen, dtype=int)
    return np.unique(np.r_[0, picked, n - 1]), how


def _dates(run: PolicyRun, idx: np.ndarray) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in run.dates[idx]]


def _y(values: FloatArray, idx: np.ndarray) -> FloatArray:
    """Values at ``idx`` as 32-bit floats (half the bytes in the page; seven digits are plenty to draw)."""
    return np.asarray(values, dtype=float)[idx].astype(np.float32)


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


def _wealth(result: BacktestResult, max_points: int = MAX_POINTS) -> go.Figure:
    fig = _figure("Value after costs and taxes paid (dollars)", "dollars", log=True)
    for name, run in result.runs.items():
        idx, _ = downsample(run.dates, max_points, run.value)
        fig.add_trace(go.Scatter(x=_dates(run, idx), y=_y(run.value, idx), mode="lines", name=name))
    return fig


def _drift(result: BacktestResult, max_points: int = MAX_POINTS) -> go.Figure:
    fig = _figure(
        "Largest drift from target the policy saw, |w - w*| (before trading)", "drift", percent=True
    )
    for name, run in result.runs.items():
        largest = np.max(np.abs(run.drift()), axis=1)
        idx, _ = downsample(run.dates, max_points, largest)
        fig.add_trace(go.Scatter(x=_dates(run, idx), y=_y(largest, idx), mode="lines", name=name))
    return fig


def _weights(run: PolicyRun, max_points: int = MAX_POINTS) -> go.Figure:
    fig = _figure(f"Weights after trading: {run.name}", "weight", percent=True)
    idx, _ = downsample(run.dates, max_points)
    x = _dates(run, idx)
    for j, symbol in enumerate(run.symbols):
        fig.add_trace(
            go.Scatter(x=x, y=_y(run.weights[:, j], idx), mode="lines", name=symbol, stackgroup="w")
        )
    fig.add_trace(go.Scatter(x=x, y=_y(run.cash_weight, idx), mode="lines", name="CASH", stackgroup="w"))
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
                y=_y(run.turnover, idx),
                mode="markers",
                name=name,
                text=[f"{int(run.trade_counts[k])} trades" for k in idx],
            )
        )
    return fig


def _costs_taxes(result: BacktestResult, max_points: int = MAX_POINTS) -> go.Figure:
    fig = _figure("Cumulative transaction costs (solid) and taxes paid (dotted), dollars", "dollars")
    for name, run in result.runs.items():
        idx, _ = downsample(run.dates, max_points)
        x = _dates(run, idx)
        fig.add_trace(go.Scatter(x=x, y=_y(np.cumsum(run.costs), idx), mode="lines", name=f"{name} costs"))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_y(np.cumsum(run.taxes), idx),
                mode="lines",
                name=f"{name} taxes",
                line={"dash": "dot"},
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


def render_report(
    result: BacktestResult,
    *,
    risk_free_rate: float = 0.0,
    title: str | None = None,
    max_points: int = MAX_POINTS,
) -> str:
    """The report as one HTML document (plotly.js embedded once).

    Parameters
    ----------
    result : BacktestResult
    risk_free_rate : float
        Annual, for the Sharpe ratio.
    title : str, optional
        Defaults to ``"trimtab backtest: <config>"``.
    max_points : int
        Largest number of points per line (see the module docstring); 0 draws every date.
    """
    if max_points < 0:
        raise ValueError(f"max_points must be 0 (every date) or more; got {max_points}")
    title = title or f"trimtab backtest: {result.source}"
    figures = [("Wealth", _wealth(result, max_points)), ("Drift", _drift(result, max_points))]
    figures += [(f"Weights: {name}", _weights(run, max_points)) for name, run in result.runs.items()]
    figures += [("Trades", _trades(result)), ("Costs and taxes", _costs_taxes(result, max_points))]
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
    first = next(iter(result.runs.values()), None)
    if first is not None:
        _, how = downsample(first.dates, max_points)
        if how != "every date":
            definitions += (
                f" Plots of these {first.n_periods} dates are drawn {how}: the lowest and highest value of "
                "each period for wealth and drift, the last for weights, costs and taxes (trimtab backtest "
                "--report-points 0 draws every date)."
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


def write_report(
    result: BacktestResult, path: str | Path, *, risk_free_rate: float = 0.0, max_points: int = MAX_POINTS
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    text = render_report(result, risk_free_rate=risk_free_rate, max_points=max_points)
    out.write_text(text, encoding="utf-8")
    return out
