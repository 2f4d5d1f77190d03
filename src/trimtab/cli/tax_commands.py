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

from trimtab.domain.trades import Trade
from trimtab.errors import ConfigError
from trimtab.tax.harvest import DEFAULT_SUBSTITUTES, HarvestScan, HarvestSettings, find_harvests
from trimtab.tax.report import TaxReport, format_quantity, tax_report_from_files
from trimtab.tax.rules import TaxRates
from trimtab.units import money, to_decimal

__all__ = ["app"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Tax reports from transaction files; tax-loss harvesting.",
)


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
    transactions: Annotated[
        Path, typer.Argument(help="CSV: date,account,symbol,side,quantity,price[,fees,lot_id].")
    ],
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="ACCOUNTS.yaml: kinds, identical groups, filing_status.")
    ] = None,
    method: Annotated[
        MethodChoice,
        typer.Option("--method", help="Lot relief for sells that name no lot.", case_sensitive=False),
    ] = MethodChoice.FIFO,
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
    for col in (
        "sold",
        "account",
        "symbol",
        "shares",
        "acquired",
        "term",
        "proceeds",
        "cost basis",
        "wash sale",
        "gain",
    ):
        table.add_column(
            col,
            justify="right" if col in ("shares", "proceeds", "cost basis", "wash sale", "gain") else "left",
        )
    for r in result.realized:
        disallowed = _usd(r.wash_sale_disallowed) + (" (perm.)" if r.permanently_disallowed > 0 else "")
        table.add_row(
            f"{r.sold:%Y-%m-%d}",
            r.account,
            r.symbol,
            format_quantity(r.quantity),
            f"{r.acquired:%Y-%m-%d}",
            r.term.value,
            _usd(r.proceeds),
            _usd(r.cost_basis),
            disallowed if r.wash_sale_disallowed else "",
            _usd(r.gain),
            style="red" if r.gain < 0 else None,
        )
    console.print(table)
    totals = Table(title="Totals per tax year", title_justify="left")
    labels = {
        "short_term": "short-term",
        "long_term": "long-term",
        "wash_sale_disallowed": "wash sale disallowed",
        "permanently_disallowed": "permanently disallowed",
        "carryover_in_short": "carryover in (short)",
        "carryover_in_long": "carryover in (long)",
        "net": "net",
        "taxable_short_term": "taxed short-term",
        "taxable_long_term": "taxed long-term",
        "deductible_against_ordinary": "deductible vs ordinary",
        "carryforward_short": "carryforward short",
        "carryforward_long": "carryforward long",
    }
    totals.add_column("")
    for year in result.years:
        totals.add_column(str(year), justify="right")
    for key, label in labels.items():
        totals.add_row(label, *(_usd(result.year_totals(year)[key]) for year in result.years))
    if result.years:
        console.print(totals)
    if result.wash_sales:
        wash = Table(title="Wash sales", title_justify="left")
        for col in (
            "sold",
            "account",
            "symbol",
            "shares",
            "replacement",
            "bought",
            "disallowed",
            "holding from",
        ):
            wash.add_column(col)
        for m in result.wash_sales:
            wash.add_row(
                f"{m.sold:%Y-%m-%d}",
                m.sale_account,
                m.sale_symbol,
                format_quantity(m.quantity),
                f"{m.replacement_account} {m.replacement_symbol}",
                f"{m.replacement_acquired:%Y-%m-%d}",
                _usd(m.amount) + (" permanent" if m.permanent else ""),
                f"{m.replacement_holding_start:%Y-%m-%d}" if m.replacement_holding_start else "—",
            )
        console.print(wash)
    lots = Table(title="Open lots", title_justify="left")
    for col in ("account", "symbol", "lot", "shares", "acquired", "holding from", "cost basis"):
        lots.add_column(col, justify="right" if col in ("shares", "cost basis") else "left")
    for lot in result.open_lots:
        lots.add_row(
            lot.account,
            lot.symbol,
            lot.lot_id,
            format_quantity(lot.quantity),
            f"{lot.acquired:%Y-%m-%d}",
            f"{lot.holding_start:%Y-%m-%d}",
            _usd(lot.cost_basis),
        )
    console.print(lots)
    for flag in result.flags:
        console.print(f"[yellow]note[/] {flag.code}: {flag.message}")


# -- harvest ------------------------------------------------------------------------------------------
def _pairs(items: list[str], option: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        symbol, sep, subs = item.partition("=")
        names = tuple(s.strip() for s in subs.split(",") if s.strip())
        if not sep or not symbol.strip() or not names:
            raise ConfigError(
                f"{option} must look like SYMBOL=SUBSTITUTE[,SUBSTITUTE]",
                got=item,
                fix=f"e.g. {option} XOM=CVX",
            )
        out[symbol.strip()] = names
    return out


@app.command("harvest")
def harvest(
    portfolio: Annotated[
        Path, typer.Argument(help="Portfolio YAML file (accounts, lots, prices, costs, tax).")
    ],
    substitute: Annotated[
        list[str] | None,
        typer.Option(
            "--substitute",
            help="SYMBOL=SUB[,SUB]: substitutes to buy (repeatable); replaces the built-in map "
            "for that symbol.",
        ),
    ] = None,
    identical: Annotated[
        list[str] | None,
        typer.Option(
            "--identical", help="A,B[,C]: substantially identical symbols for wash sales (repeatable)."
        ),
    ] = None,
    min_benefit: Annotated[
        float, typer.Option("--min-benefit", help="Dollars the net benefit must exceed.")
    ] = 0.0,
    risk_aversion: Annotated[
        float, typer.Option("--risk-aversion", help="Gamma of the tracking cost.")
    ] = 3.0,
    no_switch_back: Annotated[bool, typer.Option("--no-switch-back", help="Keep the substitute.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Propose tax-loss harvests: sell loss lots, buy a substitute, respecting wash sales in every account."""
    from trimtab.data.portfolio_file import load_portfolio

    loaded = load_portfolio(portfolio)
    as_of = loaded.as_of
    history = loaded.market.prices.loc[:as_of]
    prices = {}
    for symbol in history.columns:
        column = history[symbol].dropna()
        column = column[column > 0]
        if len(column):
            prices[symbol] = to_decimal(float(column.iloc[-1]))
    prices.update(loaded.prices_at_as_of())
    substitutes = {**DEFAULT_SUBSTITUTES, **_pairs(substitute or [], "--substitute")}
    groups = [[s.strip() for s in g.split(",") if s.strip()] for g in (identical or [])]
    settings = HarvestSettings(
        substitutes=substitutes,
        risk_aversion=risk_aversion,
        switch_back=not no_switch_back,
        min_net_benefit=to_decimal(min_benefit),
        fractional=loaded.trading.fractional,
    )
    from trimtab.tax.harvest import tracking_errors_from_prices

    scan = find_harvests(
        loaded.household,
        prices,
        as_of=as_of.date(),
        rates=TaxRates.from_settings(loaded.tax),
        costs=loaded.costs,
        settings=settings,
        identical=groups,
        tracking_error=tracking_errors_from_prices(
            loaded.market.prices, as_of=as_of, periods_per_year=loaded.market.periods_per_year
        ),
    )
    if as_json:
        typer.echo(json.dumps(harvest_to_dict(scan), indent=2))
        return
    render_harvest(Console(highlight=False), scan)


def harvest_to_dict(scan: HarvestScan) -> dict[str, object]:
    """The ``harvest --json`` document (amounts as strings of dollars, quantities as plain decimals)."""

    def trade(t: Trade) -> dict[str, str]:
        return {
            "account": t.account,
            "symbol": t.symbol,
            "side": str(t.side),
            "quantity": format_quantity(t.quantity),
            "price": str(t.price),
        }

    return {
        "as_of": scan.as_of.isoformat(),
        "proposals": [
            {
                "account": p.account,
                "symbol": p.symbol,
                "lots": list(p.lots),
                "substitute": p.substitute,
                "sell": trade(p.sell),
                "buy": trade(p.buy),
                "loss": str(p.loss),
                "short_term_loss": str(p.short_term_loss),
                "tax_saving": str(p.tax_saving),
                "benefit": str(p.benefit),
                "trading_cost": str(p.trading_cost),
                "tracking_cost": str(p.tracking_cost),
                "net_benefit": str(p.net_benefit),
                "tracking_error": round(p.tracking_error, 6),
                "switch_back_on": p.switch_back_on.isoformat() if p.switch_back_on else None,
                "switch_back": [trade(t) for t in p.switch_back],
                "notes": list(p.notes),
            }
            for p in scan.proposals
        ],
        "skipped": [
            {"account": s.account, "symbol": s.symbol, "loss": str(s.loss), "reason": s.reason}
            for s in scan.skipped
        ],
        "totals": {"loss": str(money(scan.total_loss)), "net_benefit": str(money(scan.total_net_benefit))},
    }


def render_harvest(console: Console, scan: HarvestScan) -> None:
    """Rich table of proposals and skipped positions."""
    table = Table(title=f"Tax-loss harvests at {scan.as_of:%Y-%m-%d}", title_justify="left")
    for col in (
        "account",
        "sell",
        "buy",
        "loss",
        "tax saved",
        "benefit",
        "trading",
        "tracking",
        "net",
        "switch back",
    ):
        table.add_column(col, justify="left" if col in ("account", "sell", "buy", "switch back") else "right")
    for p in scan.proposals:
        table.add_row(
            p.account,
            f"{format_quantity(p.sell.quantity)} {p.symbol}",
            f"{format_quantity(p.buy.quantity)} {p.substitute}",
            _usd(p.loss),
            _usd(p.tax_saving),
            _usd(p.benefit),
            _usd(p.trading_cost),
            _usd(p.tracking_cost),
            _usd(p.net_benefit),
            f"{p.switch_back_on:%Y-%m-%d}" if p.switch_back_on else "—",
        )
    console.print(table)
    for s in scan.skipped:
        console.print(f"[yellow]skipped[/] {s.account} {s.symbol} (loss {_usd(s.loss)}): {s.reason}")
