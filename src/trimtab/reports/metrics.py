"""Performance metrics of a backtest run: pure functions on arrays, and :func:`policy_metrics` for a run.

Definitions (also in ``docs/backtest.md``), with per-period returns ``r_k`` (``T - 1`` of them, ``P``
periods per year):

* **annualized return**: geometric, ``(prod(1 + r_k))^(P / (T - 1)) - 1``. The returns are time-weighted
  (cash flows excluded) and after costs and taxes paid: ``r_k = (V_k - F_k) / V_{k-1} - 1``.
* **annualized volatility**: ``std(r_k, ddof=1) * sqrt(P)``.
* **Sharpe**: ``(mean(r_k) * P - risk_free_rate) / annualized volatility`` (arithmetic mean, annual
  risk-free rate).
* **maximum drawdown**: largest fall of the wealth index from its running peak, a positive fraction.
* **tracking error**: ``std(a_k, ddof=1) * sqrt(P)`` of the active return ``a_k = (w_{k-1} - w*)' R_k`` of
  the weights held over each period against the target weights rebalanced every period without cost
  (the continuously rebalanced target); cash earns nothing in both.
* **turnover** (per year): the sum over dates of one-way turnover ``(dollars bought + dollars sold) / 2 /
  value before trading``, divided by the years simulated; the initial purchase is excluded, sales that
  pay taxes or withdrawals are included.
* **rebalance events**: dates with at least one trade (the initial purchase excluded).
* **transaction costs** and **taxes paid**: dollars over the whole run (the initial purchase's costs
  included; taxes net of refunds, the last year's settled at the end).
* **dividends**: cash dividends credited over the run, dollars, all accounts, before their tax (zero
  without dividend data).
* **after-tax value**: liquidation value at the end, dollars: value minus the cost of selling every
  position and the tax of that sale (netted with the year's gains and the carryforward; a loss still
  carried forward after it is worth nothing; :mod:`trimtab.backtest.liquidation`).
* **average weights**: time average of the weights held after trading, ``CASH`` included.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from trimtab.backtest.result import BacktestResult, PolicyRun
from trimtab.typing import FloatArray

__all__ = [
    "METRIC_KEYS",
    "annualized_return",
    "annualized_volatility",
    "backtest_json",
    "diversification_return",
    "max_drawdown",
    "policy_metrics",
    "sharpe_ratio",
    "tracking_error",
    "turnover_per_year",
]

#: The keys of each policy's entry in ``trimtab backtest --json``, in order.
METRIC_KEYS: tuple[str, ...] = (
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
    "average_weights",
)


def annualized_return(returns: FloatArray, periods_per_year: float) -> float:
    """Geometric annualized return of simple per-period returns of shape (m,); NaN when m == 0.

    Examples
    --------
    >>> round(annualized_return(np.array([0.01] * 12), 12), 6)
    0.126825
    """
    r = np.asarray(returns, dtype=float)
    if r.size == 0:
        return math.nan
    growth = float(np.sum(np.log1p(r)))
    return math.expm1(growth * periods_per_year / r.size)


def annualized_volatility(returns: FloatArray, periods_per_year: float) -> float:
    """``std(r, ddof=1) * sqrt(periods_per_year)``; NaN with fewer than two returns."""
    r = np.asarray(returns, dtype=float)
    if r.size < 2:
        return math.nan
    return float(np.std(r, ddof=1) * math.sqrt(periods_per_year))


def sharpe_ratio(returns: FloatArray, periods_per_year: float, risk_free_rate: float = 0.0) -> float:
    """``(mean(r) * P - risk_free_rate) / (std(r, ddof=1) * sqrt(P))``; NaN when the volatility is 0."""
    r = np.asarray(returns, dtype=float)
    volatility = annualized_volatility(r, periods_per_year)
    if not volatility > 0:
        return math.nan
    return (float(np.mean(r)) * periods_per_year - risk_free_rate) / volatility


def max_drawdown(wealth: FloatArray) -> float:
    """Largest fall from a running peak, ``max_k (1 - W_k / max_{j<=k} W_j)``, as a fraction >= 0.

    Examples
    --------
    >>> max_drawdown(np.array([1.0, 1.2, 0.9, 1.3, 1.0]))
    0.25
    """
    w = np.asarray(wealth, dtype=float)
    if w.size == 0:
        return 0.0
    peak = np.maximum.accumulate(w)
    return float(np.max(1.0 - w / peak))


def tracking_error(active_returns: FloatArray, periods_per_year: float) -> float:
    """``std(a, ddof=1) * sqrt(P)`` of active returns of shape (m,); 0 with fewer than two."""
    a = np.asarray(active_returns, dtype=float)
    if a.size < 2:
        return 0.0
    return float(np.std(a, ddof=1) * math.sqrt(periods_per_year))


def turnover_per_year(turnover: FloatArray, years: float) -> float:
    """Sum of one-way turnovers of shape (T,) over the years simulated; NaN for a run of length 0."""
    if not years > 0:
        return math.nan
    return float(np.sum(turnover)) / years


def diversification_return(weights: FloatArray, covariance: FloatArray) -> float:
    """Excess log growth of a constantly rebalanced portfolio over its assets' weighted log growth (KAT-15).

    ``0.5 * (sum_i w_i sigma_i^2 - w' Sigma w)`` per year, for annualized covariance ``Sigma`` of shape
    (n, n) and weights of shape (n,).

    Examples
    --------
    >>> round(diversification_return(np.array([0.5, 0.5]), np.diag([0.04, 0.04])), 12)
    0.01
    """
    w = np.asarray(weights, dtype=float)
    sigma = np.asarray(covariance, dtype=float)
    return 0.5 * (float(w @ np.diag(sigma)) - float(w @ sigma @ w))


def policy_metrics(run: PolicyRun, *, risk_free_rate: float = 0.0) -> dict[str, Any]:
    """Metrics of one run as plain floats and ints, keyed by :data:`METRIC_KEYS` (see module docstring)."""
    returns = run.period_returns()
    ppy = run.periods_per_year
    average = {s: float(x) for s, x in zip(run.symbols, run.weights.mean(axis=0), strict=True)}
    average["CASH"] = float(run.cash_weight.mean())
    out: dict[str, Any] = {
        "annualized_return": annualized_return(returns, ppy),
        "annualized_volatility": annualized_volatility(returns, ppy),
        "sharpe": sharpe_ratio(returns, ppy, risk_free_rate),
        "max_drawdown": max_drawdown(run.wealth_index()),
        "tracking_error": tracking_error(run.active_returns(), ppy),
        "turnover": turnover_per_year(run.turnover, run.years),
        "rebalance_events": run.rebalance_events,
        "transaction_costs": run.transaction_costs,
        "taxes_paid": run.taxes_paid,
        "dividends": run.dividends_received,
        "after_tax_value": run.after_tax_value,
        "average_weights": average,
    }
    return out


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    return value


def backtest_json(result: BacktestResult, *, risk_free_rate: float = 0.0) -> dict[str, Any]:
    """``{"policies": {name: {metric: value}}}`` with exactly :data:`METRIC_KEYS` per policy (NaN -> null)."""
    return {
        "policies": {
            name: _finite(policy_metrics(run, risk_free_rate=risk_free_rate))
            for name, run in result.runs.items()
        }
    }
