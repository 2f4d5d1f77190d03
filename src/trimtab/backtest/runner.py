"""Run every policy of a backtest config on its scenario: :func:`run_backtest`."""

from __future__ import annotations

from collections.abc import Callable

from trimtab.backtest.config import BacktestConfig
from trimtab.backtest.result import BacktestResult, PolicyRun
from trimtab.backtest.simulator import simulate

__all__ = ["run_backtest"]


def run_backtest(
    config: BacktestConfig, *, progress: Callable[[str, int, int], None] | None = None
) -> BacktestResult:
    """Simulate each policy of ``config`` on the same scenario, in config order.

    Parameters
    ----------
    config : BacktestConfig
        From :func:`trimtab.backtest.config.load_backtest_config`.
    progress : callable, optional
        ``progress(policy_name, done, total)`` in dates, every few dates.

    Returns
    -------
    BacktestResult
    """
    runs: dict[str, PolicyRun] = {}
    for named in config.policies:
        report = None
        if progress is not None:

            def report(done: int, total: int, _name: str = named.name) -> None:
                progress(_name, done, total)

        runs[named.name] = simulate(
            named.policy, config.scenario, name=named.name, exact=config.exact, progress=report
        )
    return BacktestResult(
        runs=runs,
        source=str(config.path) if config.path else "memory",
        data_source=config.scenario.market.source,
        settings=config.settings,
    )
