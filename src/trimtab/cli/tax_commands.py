"""``trimtab tax ...``: the tax report from a transactions file (and tax-loss harvesting).

Errors are :class:`trimtab.errors.TrimtabError` and propagate: ``trimtab.cli.main.main`` prints them as one
line and exits with code 2.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trimtab.tax.report import TaxReport, format_quantity, tax_report_from_files
from trimtab.units import money

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Tax reports from transaction files; tax-loss harvesting.")


class MethodChoice(StrEnum):
    """Relief methods the report offers."""

    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"
    AVG = "avg"


def _usd(value: Decimal) -> str:
    return f"{money(value):,}"


@app.callback()
def _group() -> None:
    """Tax reports from transaction files; tax-loss harvesting."""


@app.command("report")
def report(
    transactions: Annotated[Path, typer.Argument(help="CSV: date,account,symbol,side,quantity,price[,fees,lot_id].")],
    accounts: Annotated[Path | None, typer.Option("--accounts", help="ACCOUNTS.yaml: kinds, identical groups, "
                                                                       "filing_status.")] = None,
    method: Annotated[MethodChoice, typer.Option("--method", help="Lot relief for sells that name no lot.",
                                                 case_sensitive=False)] = MethodChoice.FIFO,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Realized gains with wash sales (all accounts, IRAs included), totals per tax year, open lots."""
    result = tax_report_from_files(transactions, accounts, method=method.value)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    render_tax_report(Console(highlight=False), result)


def render_tax_report(console: Console, result: TaxReport) -> None:
    """Rich tables: realized gains, totals per year, wash sales, open lots, flags."""
    table = Table(title=f"Realized gains ({result.method.value})", title_justify="left")
    for col in ("sold", "account", "symbol", "shares", "acquired", "term", "proceeds", "cost basis",
                "wash sale", "gain"):
        table.add_column(col, justify="right" if col in ("shares", "proceeds", "cost basis", "wash sale", "gain")
                         else "left")
    for r in result.realized:
        disallowed = _usd(r.wash_sale_disallowed) + (" (perm.)" if r.permanently_disallowed > 0 else "")
        table.add_row(f"{r.sold:%Y-%m-%d}", r.account, r.symbol, format_quantity(r.quantity),
                      f"{r.acquired:%Y-%m-%d}", r.term.value, _usd(r.proceeds), _usd(r.cost_basis),
                      disallowed if r.wash_sale_disallowed else "", _usd(r.gain),
                      style="red" if r.gain < 0 else None)
    console.print(table)
    totals = Table(title="Totals per tax year", title_justify="left")
    labels = {"short_term": "short-term", "long_term": "long-term", "wash_sale_disallowed": "wash sale disallowed",
              "permanently_disallowed": "permanently disallowed", "carryover_in_short": "carryover in (short)",
              "carryover_in_long": "carryover in (long)", "net": "net", "taxable_short_term": "taxed short-term",
              "taxable_long_term": "taxed long-term", "deductible_against_ordinary": "deductible vs ordinary",
              "carryforward_short": "carryforward short", "carryforward_long": "carryforward long"}
    totals.add_column("")
    for year in result.years:
        totals.add_column(str(year), justify="right")
    for key, label in labels.items():
        totals.add_row(label, *(_usd(result.year_totals(year)[key]) for year in result.years))
    if result.years:
        console.print(totals)
    if result.wash_sales:
        wash = Table(title="Wash sales", title_justify="left")
        for col in ("sold", "account", "symbol", "shares", "replacement", "bought", "disallowed", "holding from"):
            wash.add_column(col)
        for m in result.wash_sales:
            wash.add_row(f"{m.sold:%Y-%m-%d}", m.sale_account, m.sale_symbol, format_quantity(m.quantity),
                         f"{m.replacement_account} {m.replacement_symbol}", f"{m.replacement_acquired:%Y-%m-%d}",
                         _usd(m.amount) + (" permanent" if m.permanent else ""),
                         f"{m.replacement_holding_start:%Y-%m-%d}" if m.replacement_holding_start else "—")
        console.print(wash)
    lots = Table(title="Open lots", title_justify="left")
    for col in ("account", "symbol", "lot", "shares", "acquired", "holding from", "cost basis"):
        lots.add_column(col, justify="right" if col in ("shares", "cost basis") else "left")
    for lot in result.open_lots:
        lots.add_row(lot.account, lot.symbol, lot.lot_id, format_quantity(lot.quantity), f"{lot.acquired:%Y-%m-%d}",
                     f"{lot.holding_start:%Y-%m-%d}", _usd(lot.cost_basis))
    console.print(lots)
    for flag in result.flags:
        console.print(f"[yellow]note[/] {flag.code}: {flag.message}")
