"""``trimtab backtest CONFIG.yaml [--json] [--report report.html [--report-points N]]``: compare policies.

Errors are :class:`trimtab.errors.TrimtabError` and propagate: ``trimtab.cli.main.main`` prints them as one
line and exits with code 2. The progress bar goes to stderr, only when stderr is a terminal and ``--json``
is not given.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trimtab.backtest.config import load_backtest_config
from trimtab.backtest.result import BacktestResult
from trimtab.backtest.runner import run_backtest
from trimtab.reports.metrics import backtest_json

__all__ = ["app", "backtest"]

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Backtest rebalancing policies after tax and cost.",
)

ConfigArg = Annotated[Path, typer.Argument(help="Backtest config YAML (see docs/backtest.md).")]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print only the metrics as one JSON document on stdout.")
]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")]
PointsOpt = Annotated[
    int,
    typer.Option(
        "--report-points",
        min=0,
        help="Largest number of points per line in the report's plots (weekly or monthly lows and highs, "
        "or last values, of long runs); 0 draws every date.",
    ),
]


@app.command("backtest")
def backtest(
    config: ConfigArg, json_output: JsonOpt = False, report: ReportOpt = None, report_points: PointsOpt = 2000
) -> None:
    """Simulate every policy of CONFIG on the same history and compare them after tax and cost."""
    loaded = load_backtest_config(config)
    if report is not None:
        folder = report.expanduser().parent
        if not folder.is_dir():
            raise typer.BadParameter(
                f"folder {folder} does not exist; create it or choose another --report path"
            )
    show_progress = not json_output and sys.stderr.isatty()
    if show_progress:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(f"{name}", total=total)
                bar.update(tasks[name], completed=done)

            result = run_backtest(loaded, progress=progress)
    else:
        result = run_backtest(loaded)
    if report is not None:
        from trimtab.reports.html import render_report

        text = render_report(result, risk_free_rate=loaded.risk_free_rate, max_points=report_points)
        _write_atomically(report, text)
    document = backtest_json(result, risk_free_rate=loaded.risk_free_rate)
    if json_output:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    _print_table(result, document, report)


def _write_atomically(path: Path, text: str) -> None:
    path = path.expanduser()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes the file private; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pct(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{100 * value:.2f}%"


def _usd(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"${value:,.0f}"


def _print_table(result: BacktestResult, document: dict[str, Any], report: Path | None) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    first = next(iter(result.runs.values()))
    console.print(
        f"{result.source}: {result.data_source}, {first.dates[0]:%Y-%m-%d} .. {first.dates[-1]:%Y-%m-%d} "
        f"({first.n_periods} dates, {first.years:.1f} years)"
    )
    table = Table(show_lines=False)
    for column in (
        "policy",
        "return",
        "vol",
        "Sharpe",
        "max DD",
        "TE",
        "turnover/yr",
        "events",
        "costs",
        "taxes",
        "dividends",
        "after-tax value",
    ):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for name, m in document["policies"].items():
        sharpe = m["sharpe"]
        table.add_row(
            name,
            _pct(m["annualized_return"]),
            _pct(m["annualized_volatility"]),
            "n/a" if sharpe is None else f"{sharpe:.3f}",
            _pct(m["max_drawdown"]),
            _pct(m["tracking_error"]),
            _pct(m["turnover"]),
            str(m["rebalance_events"]),
            _usd(m["transaction_costs"]),
            _usd(m["taxes_paid"]),
            _usd(m["dividends"]),
            _usd(m["after_tax_value"]),
        )
    console.print(table)
    for name, run in result.runs.items():
        for note in run.notes:
            console.print(f"[yellow]{name}:[/] {note}")
    if report is not None:
        console.print(f"report written to {report}")
