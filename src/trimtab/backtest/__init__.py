"""The after-tax, after-cost backtester: the same policies, planner and tax engine as live runs, over history.

``load_backtest_config(path)`` reads a config (``docs/backtest.md``), ``run_backtest(config)`` simulates each
policy and returns a :class:`BacktestResult`; :func:`simulate` runs one policy on a :class:`Scenario`.
Metrics and the HTML report live in :mod:`trimtab.reports`.
"""

from trimtab.backtest.config import (
    BacktestConfig,
    NamedPolicy,
    load_backtest_config,
    parse_backtest_config,
    to_monthly,
)
from trimtab.backtest.result import BacktestResult, DecisionRecord, PolicyRun, TradeRecord
from trimtab.backtest.runner import run_backtest
from trimtab.backtest.simulator import DEFAULT_TRADING, CashFlow, Scenario, simulate

__all__ = [
    "DEFAULT_TRADING",
    "BacktestConfig",
    "BacktestResult",
    "CashFlow",
    "DecisionRecord",
    "NamedPolicy",
    "PolicyRun",
    "Scenario",
    "TradeRecord",
    "load_backtest_config",
    "parse_backtest_config",
    "run_backtest",
    "simulate",
    "to_monthly",
]
