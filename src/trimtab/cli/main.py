"""The ``trimtab`` command line: validate, drift, rebalance, demo (and the tax / execution sub-commands).

Every user error is a :class:`trimtab.errors.TrimtabError`: it is printed as one line on stderr and the
process exits with code 2, without a traceback. Files are written only after everything succeeded.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from trimtab import __version__
from trimtab.errors import TrimtabError

try:  # typer >= 0.22 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on top of click
    from click import ClickException  # type: ignore[no-redef]

__all__ = ["app", "main"]

app = typer.Typer(
    name="trimtab",
    help="Keep portfolios on target at the lowest total cost: drift, trading cost and tax.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PortfolioArg = Annotated[Path, typer.Argument(help="Portfolio YAML file (see README: input formats).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]


def _console() -> Console:
    # Wide tables when piped or captured (rich would otherwise assume 80 columns).
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, so a failure leaves no partial file."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise typer.BadParameter(f"folder {folder} does not exist; create it or choose another --output path")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        typer.echo(f"trimtab {__version__}")
        raise typer.Exit(0)


@app.command()
def validate(portfolio: PortfolioArg, json_output: JsonOpt = False) -> None:
    """Check a portfolio file, its lots and prices, and its policy; print a summary."""
    from trimtab.job import load_job, resolve_policy

    job = load_job(portfolio)
    policy = resolve_policy(job)
    pf = job.portfolio
    summary = {
        "valid": True,
        "household": pf.household.name,
        "as_of": pf.as_of.date().isoformat(),
        "accounts": [{"id": a.id, "kind": str(a.kind), "cash": str(a.cash)} for a in pf.household.accounts],
        "lots": len(pf.household.lots),
        "symbols": list(job.symbols),
        "prices": pf.prices_source,
        "policy": policy.describe(),
    }
    if json_output:
        _print_json(summary)
        return
    console = _console()
    console.print(f"[green]OK[/] {portfolio}: {summary['household']} as of {summary['as_of']}, "
                  f"{len(pf.household.accounts)} accounts, {summary['lots']} lots, {len(job.symbols)} symbols, "
                  f"prices {summary['prices']}, policy {summary['policy']}")


@app.command("drift")
def drift_command(portfolio: PortfolioArg, json_output: JsonOpt = False) -> None:
    """Show current weights per household and account, drift from target and tracking error."""
    from trimtab.cli.render import render_account_weights, render_drift, render_holdings
    from trimtab.job import load_job, view_portfolio

    job = load_job(portfolio)
    view = view_portfolio(job)
    if json_output:
        _print_json({
            "as_of": job.portfolio.as_of.date().isoformat(),
            "value": str(view.value),
            "weights": {k: round(v, 6) for k, v in view.weights.items()},
            "targets": {k: round(v, 6) for k, v in view.targets.items()},
            "drift": {k: round(v, 6) for k, v in view.drift.items()},
            "relative_drift": {k: (None if v is None else round(v, 6)) for k, v in view.relative_drift.items()},
            "tracking_error": round(view.tracking_error, 6),
            "te_contributions": {k: round(v, 6) for k, v in view.te_contributions.items()},
            "accounts": {a: {"value": str(v), "cash": str(view.cash[a]),
                             "weights": {k: round(w, 6) for k, w in view.account_weights[a].items()}}
                         for a, v in view.account_values.items()},
        })
        return
    console = _console()
    render_holdings(console, job)
    render_account_weights(console, view)
    render_drift(console, view)


def _trades_csv(result: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["account", "symbol", "side", "quantity", "price", "value", "estimated_cost", "realized_gain"])
    for t in (result.plan.trades if result.plan else ()):
        writer.writerow([t.account, t.symbol, str(t.side), t.quantity, t.price, t.value, t.estimated_cost,
                         t.realized_gain() if t.lots else ""])
    return out.getvalue()


@app.command()
def rebalance(
    portfolio: PortfolioArg,
    policy: Annotated[str | None, typer.Option(
        "--policy", help="Override the file's policy: KIND[:ARG], e.g. threshold:0.05, calendar:quarterly.")] = None,
    json_output: JsonOpt = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the trades to this CSV.")] = None,
) -> None:
    """Decide with the policy and propose trades (nothing is sent to a broker)."""
    from trimtab.cli.render import render_rebalance
    from trimtab.job import plan_rebalance

    result = plan_rebalance(portfolio, policy)
    if output is not None:
        _write_atomically(output, _trades_csv(result))
    if json_output:
        _print_json(result.to_json())
        return
    render_rebalance(_console(), result)


@contextmanager
def _bundled_example(name: str) -> Any:
    with resources.as_file(resources.files("trimtab.examples").joinpath(name, "portfolio.yaml")) as path:
        yield path


@app.command()
def demo(
    policy: Annotated[str | None, typer.Option("--policy", help="Policy to demo (KIND[:ARG]).")] = None,
    example: Annotated[str, typer.Option("--example", help="Bundled example household.")] = "family",
) -> None:
    """Run the main job on the bundled example: holdings, drift, decision with reasons, trades, before/after."""
    from trimtab.cli.render import render_drift, render_holdings, render_rebalance
    from trimtab.job import load_job, plan_rebalance, view_portfolio

    console = _console()
    with _bundled_example(example) as path:
        console.rule(f"trimtab demo — {example} (bundled data: 20 US stocks, demo data, not market data)")
        job = load_job(path)
        render_holdings(console, job)
        render_drift(console, view_portfolio(job))
        result = plan_rebalance(path, policy)
        render_rebalance(console, result)
        if result.plan is not None and result.plan.trades:
            render_drift(console, result.after, title="After the trades")
        console.print(f"[dim]example file: {path}; try: trimtab rebalance {path} --json[/]")


def _mount_subcommands() -> None:
    """Mount the sub-command groups that live with their engines."""
    try:
        from trimtab.cli.tax_commands import app as tax_app
    except ImportError:  # pragma: no cover - during development only
        tax_app = None
    if tax_app is not None:
        from trimtab.cli.tax_commands import harvest

        app.add_typer(tax_app, name="tax", help="Tax reports from transaction files; tax-loss harvesting.")
        app.command("harvest", help="Propose tax-loss harvests (sell + substitute buy), wash-sale safe.")(harvest)
    try:
        from trimtab.cli.optimizer_commands import mount as mount_optimizer_commands
    except ImportError:  # pragma: no cover
        mount_optimizer_commands = None
    if mount_optimizer_commands is not None:
        mount_optimizer_commands(app)
    try:
        from trimtab.cli.backtest_commands import app as backtest_app
    except ImportError:  # pragma: no cover
        backtest_app = None
    if backtest_app is not None:
        app.add_typer(backtest_app)
    try:
        from trimtab.cli.rl_commands import app as rl_app
    except ImportError:  # pragma: no cover
        rl_app = None
    if rl_app is not None:
        app.add_typer(rl_app)
    try:
        from trimtab.cli.execution_commands import app as execution_app
    except ImportError:  # pragma: no cover
        execution_app = None
    if execution_app is not None:
        app.add_typer(execution_app)


_mount_subcommands()


def main(argv: list[str] | None = None) -> int:
    """Console entry point: runs the app, turns user errors into one line on stderr and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    if not sys.stdout.isatty():
        # Piped or captured output: rich would assume 80 columns and squeeze the tables.
        os.environ.setdefault("COLUMNS", "160")
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        result = app(args=args, prog_name="trimtab", standalone_mode=False)
    except TrimtabError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        return 1
    except ClickException as exc:
        exc.show(file=sys.stderr)
        return 2
    except OSError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc.strerror or exc))}: {escape(str(exc.filename or ''))}".rstrip(": "))
        return 2
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
