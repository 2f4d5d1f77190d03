"""Rich tables for the CLI: holdings, drift, decision, trades, before/after."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from trimtab.domain.targets import CASH
from trimtab.job import Job, PortfolioView, RebalanceResult
from trimtab.units import money

__all__ = ["render_account_weights", "render_drift", "render_holdings", "render_rebalance"]


def _usd(x: Decimal) -> str:
    return f"${money(x):,}"


def _pct(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def _pp(x: float) -> str:
    return f"{100 * x:+.2f} pp"


def render_holdings(console: Console, job: Job) -> None:
    """Accounts, cash and positions with market values."""
    household = job.portfolio.household
    table = Table(title=f"{household.name} — holdings at {job.portfolio.as_of:%Y-%m-%d}", title_justify="left")
    for col, justify in (("account", "left"), ("kind", "left"), ("symbol", "left"), ("shares", "right"),
                         ("price", "right"), ("value", "right"), ("cost basis", "right"), ("unrealized", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for (account, symbol), pos in sorted(household.positions().items()):
        price = job.prices[symbol]
        value = pos.quantity * price
        table.add_row(account, str(household.account(account).kind), symbol, f"{pos.quantity:,}", _usd(price),
                      _usd(value), _usd(pos.cost_basis), _usd(value - pos.cost_basis))
    for acct in household.accounts:
        table.add_row(acct.id, str(acct.kind), CASH, "", "", _usd(acct.cash), "", "")
    console.print(table)


def render_account_weights(console: Console, view: PortfolioView) -> None:
    """Each account's weights (of its own value) next to the household's."""
    table = Table(title="Weights by account (of each account's value) and for the household", title_justify="left")
    table.add_column("symbol")
    for account, value in view.account_values.items():
        table.add_column(f"{account}\n{_usd(value)}", justify="right")
    table.add_column(f"household\n{_usd(view.value)}", justify="right")
    for symbol in view.weights:
        cells = [_pct(view.account_weights[a].get(symbol, 0.0)) if view.account_weights[a] else "—"
                 for a in view.account_values]
        table.add_row(symbol, *cells, _pct(view.weights[symbol]))
    console.print(table)


def render_drift(console: Console, view: PortfolioView, title: str = "Drift from target") -> None:
    """Per-symbol weight, target, absolute and relative drift, and tracking-error contributions."""
    table = Table(title=f"{title} — value {_usd(view.value)}, tracking error {_pct(view.tracking_error)}/yr",
                  title_justify="left")
    for col in ("symbol", "weight", "target", "drift", "relative", "TE contribution"):
        table.add_column(col, justify="left" if col == "symbol" else "right")
    for symbol in view.weights:
        drift = view.drift.get(symbol, 0.0)
        style = "bold red" if abs(drift) >= 0.05 else None
        table.add_row(symbol, _pct(view.weights[symbol]), _pct(view.targets.get(symbol, 0.0)), _pp(drift),
                      _pct(view.relative_drift.get(symbol), 1) if symbol != CASH else "",
                      _pct(view.te_contributions.get(symbol), 3) if symbol != CASH else "", style=style)
    console.print(table)


def render_rebalance(console: Console, result: RebalanceResult) -> None:
    """Decision with reasons, trades, totals and before/after."""
    decision = result.decision
    color = {"hold": "green", "rebalance": "yellow", "partial": "yellow"}[decision.action]
    body = "\n".join(f"• {r}" for r in decision.reasons) or "(no reasons given)"
    console.print(Panel(body, title=f"[{color}]{decision.action.upper()}[/] — {decision.policy}", title_align="left"))
    plan = result.plan
    if plan is None or not plan.trades:
        console.print("No trades.")
        return
    table = Table(title="Trades (sells first)", title_justify="left")
    for col in ("account", "side", "symbol", "shares", "price", "value", "est. cost", "realized gain", "term"):
        table.add_column(col, justify="left" if col in ("account", "side", "symbol", "term") else "right")
    for t in plan.trades:
        gain = t.realized_gain()
        terms = ",".join(sorted({str(r.term) for r in t.lots}))
        table.add_row(t.account, str(t.side), t.symbol, f"{t.quantity:,}", _usd(t.price), _usd(t.value),
                      _usd(t.estimated_cost), _usd(gain) if t.lots else "", terms)
    console.print(table)
    totals = Table(title="Totals", title_justify="left", show_header=False)
    totals.add_column("what")
    totals.add_column("value", justify="right")
    b, a = result.before, result.after
    totals.add_row("value before → after", f"{_usd(b.value)} → {_usd(a.value)}")
    totals.add_row("tracking error before → after", f"{_pct(b.tracking_error)} → {_pct(a.tracking_error)}")
    totals.add_row("turnover (one-way)", _pct(plan.turnover))
    totals.add_row("transaction cost", _usd(plan.transaction_cost))
    totals.add_row("realized gain short / long", f"{_usd(plan.realized_short)} / {_usd(plan.realized_long)}")
    totals.add_row("estimated tax", _usd(plan.estimated_tax))
    for account, cash in a.cash.items():
        totals.add_row(f"cash after in {account}", _usd(cash))
    console.print(totals)
    for note in plan.notes:
        console.print(f"[dim]note: {note}[/]")
