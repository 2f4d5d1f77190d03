"""The tax report: realized gains with wash-sale adjustments, totals per tax year, open lots.

:func:`build_tax_report` replays transactions through a :class:`~trimtab.tax.ledger.TaxLedger` and turns
any problem into an error that names the row; :meth:`TaxReport.to_dict` gives the JSON of
``trimtab tax report --json`` (amounts as strings of dollars to the cent, quantities as plain decimals).

Totals. Each tax year has its own netting (``years``); ``totals`` sums the flows over the whole file
(``short_term``, ``long_term``, ``wash_sale_disallowed``, ``permanently_disallowed``,
``deductible_against_ordinary``), ``net = short_term + long_term`` over the file, and the carryforwards
are those out of the last year. Year totals are computed from the rows as printed (cents), so they add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from trimtab.domain.lots import ReliefMethod, TaxLot, Term
from trimtab.errors import AccountError, ConfigError, OversellError, SourceRef, TaxError, TradeError
from trimtab.tax.ledger import RealizedGain, TaxFlag, TaxLedger, Transaction
from trimtab.tax.netting import NettingResult, net_years
from trimtab.tax.transactions import AccountsFile, TransactionFileError, read_accounts_file, read_transactions
from trimtab.tax.wash_sale import WashSaleMatch
from trimtab.units import money

__all__ = ["METHODS", "TaxReport", "build_tax_report", "format_quantity", "tax_report_from_files"]

ZERO = Decimal(0)
METHODS = {
    "fifo": ReliefMethod.FIFO,
    "lifo": ReliefMethod.LIFO,
    "hifo": ReliefMethod.HIFO,
    "avg": ReliefMethod.AVG_COST,
    "avg_cost": ReliefMethod.AVG_COST,
}


def format_quantity(value: Decimal) -> str:
    """Shares as plain text without exponent or trailing zeros (``Decimal("100.000") -> "100"``)."""
    return format(value.normalize(), "f")


def _usd(value: Decimal) -> str:
    return str(money(value))


@dataclass(frozen=True, slots=True)
class TaxReport:
    """Everything ``trimtab tax report`` prints.

    Attributes
    ----------
    realized : tuple of RealizedGain
        Sales in taxable accounts, in sale order.
    years : dict of int to NettingResult
        Netting per tax year (first to last year with a sale), from the rows rounded to cents.
    wash_sale_disallowed, permanently_disallowed : dict of int to Decimal
        Per year, dollars.
    open_lots : tuple of TaxLot
        Lots held at the end, every account.
    wash_sales : tuple of WashSaleMatch
    flags : tuple of TaxFlag
    method : ReliefMethod
    """

    realized: tuple[RealizedGain, ...]
    years: dict[int, NettingResult]
    wash_sale_disallowed: dict[int, Decimal]
    permanently_disallowed: dict[int, Decimal]
    open_lots: tuple[TaxLot, ...]
    wash_sales: tuple[WashSaleMatch, ...]
    flags: tuple[TaxFlag, ...]
    method: ReliefMethod

    def totals(self) -> dict[str, Decimal]:
        """Whole-file totals in dollars (see the module docstring for their definitions)."""
        years = list(self.years.values())
        short = sum((y.short_term for y in years), ZERO)
        long_ = sum((y.long_term for y in years), ZERO)
        last = years[-1] if years else None
        return {
            "short_term": short,
            "long_term": long_,
            "wash_sale_disallowed": sum(self.wash_sale_disallowed.values(), ZERO),
            "permanently_disallowed": sum(self.permanently_disallowed.values(), ZERO),
            "net": short + long_,
            "deductible_against_ordinary": sum((y.deductible_against_ordinary for y in years), ZERO),
            "carryforward_short": last.carryforward_short if last else ZERO,
            "carryforward_long": last.carryforward_long if last else ZERO,
        }

    def year_totals(self, year: int) -> dict[str, Decimal]:
        """One year's totals in dollars (the JSON ``years[...]`` entry)."""
        y = self.years[year]
        return {
            "short_term": y.short_term,
            "long_term": y.long_term,
            "wash_sale_disallowed": self.wash_sale_disallowed.get(year, ZERO),
            "permanently_disallowed": self.permanently_disallowed.get(year, ZERO),
            "carryover_in_short": y.carryover_in_short,
            "carryover_in_long": y.carryover_in_long,
            "net": y.net,
            "taxable_short_term": y.taxable_short_term,
            "taxable_long_term": y.taxable_long_term,
            "deductible_against_ordinary": y.deductible_against_ordinary,
            "carryforward_short": y.carryforward_short,
            "carryforward_long": y.carryforward_long,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (strings for every amount, ISO dates)."""
        realized = [
            {
                "account": r.account,
                "symbol": r.symbol,
                "lot_id": r.lot_id,
                "quantity": format_quantity(r.quantity),
                "acquired": r.acquired.isoformat(),
                "holding_period_start": r.holding_period_start.isoformat(),
                "sold": r.sold.isoformat(),
                "proceeds": _usd(r.proceeds),
                "cost_basis": _usd(r.cost_basis),
                "wash_sale_disallowed": _usd(r.wash_sale_disallowed),
                "permanently_disallowed": _usd(r.permanently_disallowed),
                "gain": _usd(money(r.proceeds) - money(r.cost_basis) + money(r.wash_sale_disallowed)),
                "term": r.term.value,
                "flags": list(r.flags),
            }
            for r in self.realized
        ]
        open_lots = [
            {
                "account": lot.account,
                "symbol": lot.symbol,
                "lot_id": lot.lot_id,
                "quantity": format_quantity(lot.quantity),
                "acquired": lot.acquired.isoformat(),
                "holding_period_start": lot.holding_start.isoformat(),
                "cost_basis": _usd(lot.cost_basis),
            }
            for lot in self.open_lots
        ]
        wash = [
            {
                "sale_account": m.sale_account,
                "symbol": m.sale_symbol,
                "sold": m.sold.isoformat(),
                "sold_lot_id": m.sold_lot_id,
                "replacement_account": m.replacement_account,
                "replacement_symbol": m.replacement_symbol,
                "replacement_acquired": m.replacement_acquired.isoformat(),
                "replacement_lot_id": m.replacement_lot_id,
                "quantity": format_quantity(m.quantity),
                "disallowed": _usd(m.amount),
                "permanent": m.permanent,
                "replacement_holding_period_start": (
                    m.replacement_holding_start.isoformat() if m.replacement_holding_start else None
                ),
            }
            for m in self.wash_sales
        ]
        return {
            "method": self.method.value,
            "realized": realized,
            "totals": {k: _usd(v) for k, v in self.totals().items()},
            "years": {
                str(year): {k: _usd(v) for k, v in self.year_totals(year).items()} for year in self.years
            },
            "open_lots": open_lots,
            "wash_sales": wash,
            "flags": [
                {
                    "code": f.code,
                    "date": f.on.isoformat(),
                    "account": f.account,
                    "symbol": f.symbol,
                    "message": f.message,
                }
                for f in self.flags
            ],
        }


def _row_error(tx: Transaction, err: Exception, key: str, fix: str) -> TransactionFileError:
    where = SourceRef(tx.source.file, tx.source.row, key) if tx.source else None
    return TransactionFileError(
        str(err), got=f"{tx.side} {tx.quantity} {tx.symbol} in {tx.account}", fix=fix, where=where
    )


def build_tax_report(
    transactions: Sequence[Transaction],
    *,
    accounts: AccountsFile | None = None,
    method: ReliefMethod | str = ReliefMethod.FIFO,
) -> TaxReport:
    """Replay ``transactions`` and build the report.

    Parameters
    ----------
    transactions : sequence of Transaction
        In date order (``source`` set for row-aware errors).
    accounts : AccountsFile, optional
        Kinds, identical groups, filing status, carryovers; without it every account is taxable.
    method : ReliefMethod or str
        ``fifo``, ``lifo``, ``hifo``, ``avg`` (average cost); sells naming lots use specific identification.

    Raises
    ------
    TransactionFileError
        A sale of more than held, a sale naming a lot not held, dates out of order.
    AccountError
        A row naming an account missing from ``accounts``.
    """
    relief = METHODS.get(str(method).lower(), None) if not isinstance(method, ReliefMethod) else method
    if relief is None:
        raise ConfigError("unknown relief method", got=method, fix="use fifo, lifo, hifo or avg")
    if accounts is None:
        ledger = TaxLedger(method=relief)
    else:
        ledger = TaxLedger(
            dict(accounts.accounts),
            identical=accounts.identical,
            method=relief,
            filing_status=accounts.filing_status,
            carryover_short=accounts.carryover_short,
            carryover_long=accounts.carryover_long,
            unknown_accounts=None,
        )
    for tx in transactions:
        if accounts is not None and tx.account not in accounts.accounts:
            where = SourceRef(tx.source.file, tx.source.row, "account") if tx.source else None
            raise AccountError(
                f"unknown account {tx.account!r}",
                got=tx.account,
                fix=f"use one of the accounts in {accounts.source or 'the accounts file'}: "
                f"{', '.join(accounts.accounts) or '(none)'}, or add it there",
                where=where,
            )
        try:
            ledger.apply(tx)
        except OversellError as err:
            raise _row_error(
                tx,
                err,
                "quantity",
                "sell at most the shares bought earlier in this account; add the missing buys",
            ) from None
        except (TaxError, TradeError) as err:
            raise _row_error(
                tx,
                err,
                "lot_id" if tx.specific_ids else "row",
                "check the row against the earlier buys of this account and symbol",
            ) from None
    realized = tuple(ledger.realized())
    by_year: dict[int, list[Decimal]] = {}
    wash: dict[int, Decimal] = {}
    permanent: dict[int, Decimal] = {}
    for r in realized:
        pair = by_year.setdefault(r.year, [ZERO, ZERO])
        gain = money(r.proceeds) - money(r.cost_basis) + money(r.wash_sale_disallowed)
        pair[0 if r.term is Term.SHORT else 1] += gain
        wash[r.year] = wash.get(r.year, ZERO) + money(r.wash_sale_disallowed)
        permanent[r.year] = permanent.get(r.year, ZERO) + money(r.permanently_disallowed)
    years = net_years(
        {y: (v[0], v[1]) for y, v in by_year.items()},
        filing_status=ledger.filing_status,
        carryover_short=ledger.carryover_short,
        carryover_long=ledger.carryover_long,
    )
    return TaxReport(
        realized=realized,
        years=years,
        wash_sale_disallowed=wash,
        permanently_disallowed=permanent,
        open_lots=tuple(ledger.open_lots()),
        wash_sales=tuple(ledger.wash_sales),
        flags=tuple(ledger.flags),
        method=relief,
    )


def tax_report_from_files(
    transactions: str | Path,
    accounts: str | Path | None = None,
    *,
    method: ReliefMethod | str = ReliefMethod.FIFO,
) -> TaxReport:
    """:func:`build_tax_report` on a transactions CSV and an optional ``ACCOUNTS.yaml``."""
    accounts_file = read_accounts_file(accounts) if accounts is not None else None
    return build_tax_report(read_transactions(transactions), accounts=accounts_file, method=method)
