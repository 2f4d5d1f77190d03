"""Optimizer commands: ``whatif``, ``frontier`` and ``fit-costs`` (typer command functions).

The lead's ``trimtab.cli.main`` mounts them as top-level commands (``mount(app)`` does all three)::

    trimtab whatif PORTFOLIO --set tc_weight=4 --shock AAPL=-0.20 [--policy KIND[:ARG]] [--json]
    trimtab frontier PORTFOLIO --vary tc_weight|tax_weight|te_weight [--points 20] [--json] [--plot f.html]
    trimtab fit-costs FILLS.csv [--alpha 1.5 | --fit-alpha] [--bootstrap 200] [--json]

Errors are :class:`trimtab.errors.TrimtabError` and propagate: ``trimtab.cli.main.main`` prints them as one
line and exits with code 2.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from trimtab.errors import ConfigError, SourceRef

__all__ = ["fit_costs", "frontier", "mount", "whatif"]

PortfolioArg = Annotated[Path, typer.Argument(help="Portfolio YAML file (see README: input formats).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
PolicyOpt = Annotated[
    str | None,
    typer.Option("--policy", help="Use this policy instead of the file's: KIND[:ARG], e.g. optimizer:2."),
]


def _console() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


def _write_text(path: Path, text: str) -> None:
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(
            "the folder for the output file does not exist",
            got=str(folder),
            fix="create it or choose another path",
            where=SourceRef("--plot"),
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------------------------ whatif
def whatif(
    portfolio: PortfolioArg,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="KEY=VALUE: a policy key (tc_weight, max_turnover, ...), costs.* or tax.*."
        ),
    ] = None,
    shocks: Annotated[
        list[str] | None, typer.Option("--shock", help="SYMBOL=RETURN price shock at as_of, e.g. AAPL=-0.20.")
    ] = None,
    policy: PolicyOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Compare the decision and trades as the file says and with changed parameters or price shocks."""
    from trimtab.analysis.whatif import run_whatif

    result = run_whatif(portfolio, settings=settings or [], shocks=shocks or [], policy=policy)
    if json_output:
        _print_json(result.to_json())
        return
    console = _console()
    doc = result.to_json()
    base, changed = doc["base"], doc["changed"]
    table = Table(title=f"What if ({doc['as_of']}): {_changes_text(doc['changes'])}", title_justify="left")
    for col in ("", "base", "changed"):
        table.add_column(col, justify="left" if not col else "right")
    table.add_row("policy", base["policy"], changed["policy"])
    table.add_row("decision", base["decision"], changed["decision"])
    table.add_row("portfolio value", f"${float(base['value']):,.2f}", f"${float(changed['value']):,.2f}")
    table.add_row(
        "tracking error before",
        f"{100 * base['tracking_error_before']:.3f} %",
        f"{100 * changed['tracking_error_before']:.3f} %",
    )
    table.add_row(
        "tracking error after",
        f"{100 * base['tracking_error_after']:.3f} %",
        f"{100 * changed['tracking_error_after']:.3f} %",
    )
    table.add_row("trading cost", f"${base['transaction_cost']}", f"${changed['transaction_cost']}")
    table.add_row("estimated tax", f"${base['estimated_tax']}", f"${changed['estimated_tax']}")
    table.add_row("turnover", f"{100 * base['turnover']:.2f} %", f"{100 * changed['turnover']:.2f} %")
    for symbol in dict.fromkeys([*base["trades"], *changed["trades"]]):
        table.add_row(
            f"trade {symbol}",
            base["trades"].get(symbol, {}).get("quantity", "0"),
            changed["trades"].get(symbol, {}).get("quantity", "0"),
        )
    console.print(table)
    console.print("[bold]Differences[/]")
    for line in doc["differences"]:
        console.print(f"  - {line}")
    sens = doc.get("sensitivity", {}).get("changed")
    if sens:
        console.print("[bold]Sensitivity (changed case)[/]")
        for dual in sens["duals"]:
            if dual["binding"]:
                console.print(f"  - {dual['sentence']}")
        for key, d in sens["derivatives"].items():
            console.print(
                f"  - d/d {key} at {d['value']:g}: turnover {d['d_turnover']:+.4g}, tracking error "
                f"{d['d_tracking_error']:+.4g}, trading cost {d['d_trading_cost_bp']:+.4g} bp per unit"
            )
    for note in doc["notes"]:
        console.print(f"[dim]{note}[/]")


def _changes_text(changes: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in changes["settings"].items()]
    parts += [f"{s} {100 * r:+.1f} %" for s, r in changes["shocks"].items()]
    return ", ".join(parts) or "no changes"


# ---------------------------------------------------------------------------------------------------- frontier
def frontier(
    portfolio: PortfolioArg,
    vary: Annotated[str, typer.Option("--vary", help="tc_weight, tax_weight or te_weight.")] = "tc_weight",
    points: Annotated[int, typer.Option("--points", help="Number of multiplier values.")] = 20,
    low: Annotated[float | None, typer.Option("--low", help="Smallest value (default base/100).")] = None,
    high: Annotated[float | None, typer.Option("--high", help="Largest value (default base*100).")] = None,
    policy: PolicyOpt = None,
    json_output: JsonOpt = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the frontier as an HTML plot.")] = None,
) -> None:
    """Trace tracking error against trading cost (or tax) as one objective multiplier varies."""
    from trimtab.analysis.frontier import frontier_for_portfolio

    result = frontier_for_portfolio(portfolio, vary=vary, points=points, low=low, high=high, policy=policy)
    if plot is not None:
        _write_text(plot, result.to_html())
    if json_output:
        _print_json(result.to_json())
        return
    console = _console()
    table = Table(title=f"Frontier: {vary} ({result.policy}, {result.as_of})", title_justify="left")
    for col in (vary, "TE after %", "trading cost bp", "tax bp", "turnover %", "trades"):
        table.add_column(col, justify="right")
    for p in result.points:
        table.add_row(
            f"{p.lambdas[vary]:.4g}",
            f"{100 * p.tracking_error:.3f}",
            f"{1e4 * p.trading_cost:.2f}",
            f"{1e4 * p.tax:.2f}",
            f"{100 * p.turnover:.2f}",
            str(p.n_trades),
        )
    console.print(table)
    console.print(
        f"before trading: TE {100 * result.before_tracking_error:.3f} %; policy as set ({vary} = "
        f"{result.base.lambdas[vary]:.4g}): TE {100 * result.base.tracking_error:.3f} %"
    )
    for note in result.notes:
        console.print(f"[dim]{note}[/]")
    if plot is not None:
        console.print(f"plot written to {plot}")


# --------------------------------------------------------------------------------------------------- fit-costs
def fit_costs(
    fills: Annotated[
        Path, typer.Argument(help="CSV: date,symbol,side,quantity,price,arrival_price[,adv,sigma].")
    ],
    alpha: Annotated[float, typer.Option("--alpha", help="Impact exponent held fixed (1..2).")] = 1.5,
    fit_alpha: Annotated[bool, typer.Option("--fit-alpha", help="Estimate the exponent too.")] = False,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap resamples for the intervals.")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    json_output: JsonOpt = False,
) -> None:
    """Fit the half-spread and market-impact parameters from executions (implementation shortfall)."""
    from trimtab.models.fit import fit_costs_file

    result = fit_costs_file(fills, alpha=None if fit_alpha else alpha, bootstrap=bootstrap, seed=seed)
    if json_output:
        _print_json(result.to_json())
        return
    console = _console()
    table = Table(title=f"Cost parameters from {result.n_fills} fills ({fills})", title_justify="left")
    for col in ("parameter", "estimate", "std. error", "95 % interval"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for p in result.parameters:
        table.add_row(
            p.name,
            f"{p.estimate:.4g}",
            "-" if p.std_error is None else f"{p.std_error:.2g}",
            f"[{p.low:.4g}, {p.high:.4g}]",
        )
    console.print(table)
    for line in result.summary_lines():
        console.print(line)


def mount(app: typer.Typer) -> None:
    """Register ``whatif``, ``frontier`` and ``fit-costs`` as top-level commands of ``app``."""
    app.command("whatif")(whatif)
    app.command("frontier")(frontier)
    app.command("fit-costs")(fit_costs)
