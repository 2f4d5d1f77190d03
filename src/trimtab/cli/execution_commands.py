"""``trimtab execute``, ``trimtab book import|show``, ``trimtab orders list``, ``trimtab reconcile``.

Every command takes ``--db URL`` (default ``$TRIMTAB_DB``, else a SQLite file in the per-user data folder).
Errors are :class:`trimtab.errors.TrimtabError` and propagate: ``trimtab.cli.main.main`` prints them as one
line and exits with code 2 (unknown broker, unreachable database, a portfolio that does not match the book).
``reconcile`` exits with code 1 when it finds breaks.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from trimtab.errors import InputError

__all__ = ["app"]

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
book_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="The book of record: import a portfolio, show positions, cash and gains.",
)
orders_app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help="Orders in the journal."
)
app.add_typer(book_app, name="book")
app.add_typer(orders_app, name="orders")

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB); "
        "default $TRIMTAB_DB or "
        "~/.local/share/trimtab/trimtab.db.",
    ),
]
BrokerOpt = Annotated[str, typer.Option("--broker", help="Broker to use: paper.")]
PaperStateOpt = Annotated[
    Path | None,
    typer.Option(
        "--paper-state",
        help="JSON file holding the paper venue (default: next to a SQLite --db, or $TRIMTAB_PAPER_STATE).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]


def _console() -> Console:
    return Console(highlight=False)


def _num(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def _usd(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value.quantize(Decimal('0.01')):,}"


def _check_broker_name(name: str) -> None:
    from trimtab.execution.errors import UnknownBrokerError
    from trimtab.execution.workflow import BROKER_NAMES

    if name.strip().lower() not in BROKER_NAMES:
        raise UnknownBrokerError(
            f"unknown broker {name!r}", got=name, fix=f"use one of: {', '.join(BROKER_NAMES)}"
        )


# -- execute --------------------------------------------------------------------------------------------
@app.command("execute")
def execute(
    portfolio: Annotated[Path, typer.Argument(help="Portfolio YAML file.")],
    broker: BrokerOpt = "paper",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the orders; write nothing, send nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking for confirmation.")] = False,
    db: DbOpt = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="Override the file's policy: KIND[:ARG].")
    ] = None,
    paper_state: PaperStateOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Plan, journal and send the trades (sells first, then buys with the cash raised); book the fills."""
    from trimtab.db import open_database, resolve_database_url
    from trimtab.execution.workflow import execute_plan, make_broker
    from trimtab.job import plan_rebalance

    _check_broker_name(broker)
    if json_output and not (yes or dry_run):
        raise InputError(
            "--json cannot ask for confirmation",
            got="--json",
            fix="add --yes to send without asking, or --dry-run to only show the orders",
        )
    url = resolve_database_url(db)
    engine = open_database(url)
    try:
        result = plan_rebalance(portfolio, policy)
        pf = result.portfolio
        plan = result.plan if result.plan is not None else SimpleNamespace(trades=(), as_of=pf.as_of.date())
        venue = make_broker(
            broker,
            prices=None if dry_run else pf.prices_at_as_of(),
            paper_state=paper_state,
            database_url=url,
        )
        console = _console()

        def confirm(preview: Any) -> bool:
            _render_summary(console, preview, title="Orders to send")
            return typer.confirm("Send these orders?", default=False)

        summary = execute_plan(
            plan, pf.household, broker=venue, engine=engine, dry_run=dry_run, confirm=None if yes else confirm
        )
    finally:
        engine.dispose()
    if json_output:
        typer.echo(json.dumps(summary.to_json(), indent=2))
        return
    if summary.status == "declined":
        console.print("Nothing sent.")
        return
    _render_summary(
        console,
        summary,
        title={"dry_run": "Dry run: orders that would be sent"}.get(
            summary.status, f"Execution {summary.status}"
        ),
    )


def _render_summary(console: Console, summary: Any, *, title: str) -> None:
    table = Table(title=f"{title} — run {summary.run_id} ({summary.household}, {summary.venue})")
    for column in (
        "client order id",
        "account",
        "symbol",
        "side",
        "planned",
        "ordered",
        "filled",
        "avg price",
        "status",
    ):
        table.add_column(
            column, justify="right" if column in ("planned", "ordered", "filled", "avg price") else "left"
        )
    for line in summary.lines:
        table.add_row(
            line.client_order_id or "-",
            line.account,
            line.symbol,
            str(line.side),
            _num(line.planned),
            _num(line.ordered),
            _num(line.filled),
            _usd(line.average_price),
            line.status,
        )
    console.print(table)
    if summary.cash_before:
        after = summary.cash_after or {}
        console.print(
            "Cash: "
            + "; ".join(
                f"{a} {_usd(v)}" + (f" -> {_usd(after[a])}" if a in after else "")
                for a, v in summary.cash_before.items()
            )
        )
    if summary.fills_booked:
        console.print(f"Fills booked: {summary.fills_booked}")
    if summary.resumed:
        console.print(f"Finished earlier runs first: {', '.join(summary.resumed)}")
    if summary.reconciliation is not None:
        if summary.reconciliation.ok:
            console.print("[green]Book = broker[/]: positions and cash agree.")
        else:
            console.print("[red]Breaks between book and broker:[/]")
            for text in summary.reconciliation.lines():
                console.print(f"  {text}")
    for note in summary.notes:
        console.print(f"[dim]{note}[/]")


# -- book -----------------------------------------------------------------------------------------------
@book_app.command("import")
def book_import(
    portfolio: Annotated[
        Path, typer.Argument(help="Portfolio YAML file whose accounts, cash and lots open the book.")
    ],
    db: DbOpt = None,
) -> None:
    """Open the book with a portfolio's accounts, cash and lots (once per household)."""
    from trimtab.book.ledger import Book
    from trimtab.data.portfolio_file import load_portfolio
    from trimtab.db import open_database

    pf = load_portfolio(portfolio)
    engine = open_database(db)
    try:
        Book(engine).import_household(pf.household, as_of=pf.as_of.date())
    finally:
        engine.dispose()
    hh = pf.household
    _console().print(
        f"Imported {hh.name!r}: {len(hh.accounts)} accounts, {len(hh.lots)} lots, cash {_usd(hh.total_cash)}."
    )


@book_app.command("show")
def book_show(
    household: Annotated[str | None, typer.Option("--household", help="Only this household.")] = None,
    db: DbOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Accounts, cash, positions (shares and cost basis) and realized gains in the book."""
    from trimtab.book.ledger import Book
    from trimtab.db import open_database

    engine = open_database(db)
    try:
        book = Book(engine)
        names = [household] if household else book.households()
        document: dict[str, Any] = {"households": []}
        for name in names:
            accounts = book.accounts(name)
            if not accounts:
                raise InputError(
                    f"household {name!r} is not in the book",
                    got=name,
                    fix=f"use one of: {', '.join(book.households()) or '(none: run trimtab book import)'}",
                )
            lots = [lot for a in accounts for lot in book.lots(a.account_id)]
            realized = [r for a in accounts for r in book.realized(a.account_id)]
            positions: dict[tuple[str, str], list[Decimal]] = {}
            for lot in lots:
                agg = positions.setdefault((lot.account, lot.symbol), [Decimal(0), Decimal(0)])
                agg[0] += lot.quantity
                agg[1] += lot.cost_basis
            document["households"].append(
                {
                    "household": name,
                    "accounts": [
                        {"id": a.account_id, "kind": str(a.kind), "cash": str(a.cash)} for a in accounts
                    ],
                    "positions": [
                        {"account": a, "symbol": s, "quantity": str(q), "cost_basis": str(b)}
                        for (a, s), (q, b) in sorted(positions.items())
                    ],
                    "lots": len(lots),
                    "realized_gain": {
                        term: str(sum((r.gain for r in realized if str(r.term) == term), Decimal(0)))
                        for term in ("short", "long")
                    },
                    "fills": len([f for a in accounts for f in book.fills(account=a.account_id)]),
                }
            )
    finally:
        engine.dispose()
    if json_output:
        typer.echo(json.dumps(document, indent=2))
        return
    console = _console()
    if not document["households"]:
        console.print(
            "The book is empty: run `trimtab book import PORTFOLIO` or `trimtab execute PORTFOLIO`."
        )
    for item in document["households"]:
        table = Table(
            title=f"Book — {item['household']} ({item['fills']} fills booked, {item['lots']} open lots)"
        )
        for column in ("account", "symbol", "quantity", "cost basis"):
            table.add_column(column, justify="left" if column in ("account", "symbol") else "right")
        for p in item["positions"]:
            table.add_row(
                p["account"], p["symbol"], _num(Decimal(p["quantity"])), _usd(Decimal(p["cost_basis"]))
            )
        for a in item["accounts"]:
            table.add_row(a["id"], "CASH", "", _usd(Decimal(a["cash"])))
        console.print(table)
        gains = item["realized_gain"]
        console.print(
            f"Realized gains: short-term {_usd(Decimal(gains['short']))}, "
            f"long-term {_usd(Decimal(gains['long']))}"
        )


# -- orders ---------------------------------------------------------------------------------------------
@orders_app.command("list")
def orders_list(
    open_only: Annotated[bool, typer.Option("--open", help="Only orders not yet terminal.")] = False,
    run: Annotated[str | None, typer.Option("--run", help="Only this run id.")] = None,
    db: DbOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Journaled orders: client id, run, account, symbol, side, quantity, status, filled, average price."""
    from trimtab.db import open_database
    from trimtab.execution.journal import OrderJournal

    engine = open_database(db)
    try:
        entries = OrderJournal(engine).entries(run_id=run, open_only=open_only)
    finally:
        engine.dispose()
    rows = [
        {
            "client_order_id": e.client_order_id,
            "run_id": e.run_id,
            "account": e.order.account,
            "symbol": e.order.symbol,
            "side": str(e.order.side),
            "quantity": _num(e.order.quantity),
            "status": str(e.status),
            "filled": _num(e.filled_quantity),
            "average_price": _num(e.average_price),
            "venue_order_id": e.venue_order_id,
            "updated_at": e.updated_at.isoformat(),
        }
        for e in entries
    ]
    if json_output:
        typer.echo(json.dumps({"orders": rows}, indent=2))
        return
    table = Table(title=f"{'Open orders' if open_only else 'Orders'} ({len(rows)})")
    for column in (
        "client_order_id",
        "account",
        "symbol",
        "side",
        "quantity",
        "status",
        "filled",
        "average_price",
        "updated_at",
    ):
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(
            *(
                str(row[c] if row[c] is not None else "-")
                for c in (
                    "client_order_id",
                    "account",
                    "symbol",
                    "side",
                    "quantity",
                    "status",
                    "filled",
                    "average_price",
                    "updated_at",
                )
            )
        )
    _console().print(table)


# -- reconcile ------------------------------------------------------------------------------------------
@app.command("reconcile")
def reconcile_command(
    broker: BrokerOpt = "paper",
    household: Annotated[str | None, typer.Option("--household", help="Only this household.")] = None,
    db: DbOpt = None,
    paper_state: PaperStateOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Compare the book with the broker's positions and cash; list each break and its size (exit 1 if any)."""
    from trimtab.book.ledger import Book
    from trimtab.db import open_database, resolve_database_url
    from trimtab.execution.errors import BrokerError
    from trimtab.execution.journal import OrderJournal
    from trimtab.execution.workflow import make_broker, reconcile_with_broker

    _check_broker_name(broker)
    url = resolve_database_url(db)
    engine = open_database(url)
    try:
        book = Book(engine)
        names = [household] if household else book.households()
        venue = make_broker(broker, paper_state=paper_state, database_url=url)
        reports = []
        for name in names:
            accounts = [a.account_id for a in book.accounts(name)]
            if not accounts:
                raise InputError(
                    f"household {name!r} is not in the book",
                    got=name,
                    fix=f"use one of: {', '.join(book.households()) or '(none)'}",
                )
            try:
                reports.append((name, reconcile_with_broker(book, venue, accounts)))
            except BrokerError as err:
                raise InputError(
                    f"the {broker} broker cannot report household {name!r}: {err}",
                    got=broker,
                    fix="run `trimtab execute` with this broker first, or choose the broker that holds "
                    "these accounts",
                ) from err
        open_orders = OrderJournal(engine).entries(open_only=True)
    finally:
        engine.dispose()
    breaks = [(name, b) for name, report in reports for b in report.breaks]
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "households": [name for name, _ in reports],
                    "breaks": [
                        {
                            "household": n,
                            "account": b.account,
                            "symbol": b.symbol,
                            "book": str(b.book),
                            "broker": str(b.other),
                            "difference": str(b.difference),
                        }
                        for n, b in breaks
                    ],
                    "open_orders": [e.client_order_id for e in open_orders],
                },
                indent=2,
            )
        )
    else:
        console = _console()
        if not reports:
            console.print("The book is empty: nothing to reconcile.")
        for name, report in reports:
            if report.ok:
                console.print(f"[green]{name}[/]: book = {broker} broker ({len(report.accounts)} accounts).")
            else:
                console.print(f"[red]{name}[/]: {len(report.breaks)} breaks (book vs {broker}):")
                for text in report.lines():
                    console.print(f"  {text}")
        if open_orders:
            console.print(
                f"{len(open_orders)} orders not yet terminal in the journal: "
                f"{', '.join(e.client_order_id for e in open_orders[:5])}"
                + (" ..." if len(open_orders) > 5 else "")
            )
    if breaks:
        raise typer.Exit(1)
