"""Exact US tax accounting on Decimal lots: holding period, lot relief, netting, wash sales, harvesting.

* :mod:`~trimtab.tax.rules` -- holding period (KAT-22), :class:`TaxRates`.
* :mod:`~trimtab.tax.relief` -- FIFO/LIFO/HIFO/spec-id/average cost/min-tax relief, the convex gain curve.
* :mod:`~trimtab.tax.netting` -- short/long netting, the $3,000 limit, carryforwards (KAT-23).
* :mod:`~trimtab.tax.wash_sale` -- the 61-day window, identical groups, tacking, :func:`would_wash`.
* :mod:`~trimtab.tax.ledger` -- :class:`TaxLedger`, which replays trades into realized gains.
* :mod:`~trimtab.tax.report` / :mod:`~trimtab.tax.transactions` -- ``trimtab tax report``.
* :mod:`~trimtab.tax.harvest` -- tax-loss harvesting and the KAT-27 benefit.
"""

from trimtab.tax.harvest import (
    DEFAULT_SUBSTITUTES,
    HarvestProposal,
    HarvestScan,
    HarvestSettings,
    find_harvests,
    harvest_benefit,
    tracking_errors_from_prices,
)
from trimtab.tax.ledger import RealizedGain, TaxFlag, TaxLedger, Transaction
from trimtab.tax.netting import (
    FilingStatus,
    NettingResult,
    loss_limit,
    net_capital_gains,
    net_years,
    netted_tax,
)
from trimtab.tax.relief import (
    Breakpoint,
    GainCurve,
    minimal_tax,
    minimal_tax_lp,
    order_lots,
    per_share_tax,
    plan_relief,
    realized_gain_curve,
    relieve,
    taxmin_order,
)
from trimtab.tax.report import TaxReport, build_tax_report, tax_report_from_files
from trimtab.tax.rules import TaxRates, first_long_term_date, holding_term, one_year_anniversary
from trimtab.tax.transactions import TransactionFileError, read_accounts_file, read_transactions
from trimtab.tax.wash_sale import IdenticalGroups, WashCheck, WashSaleMatch, wash_window, would_wash

__all__ = [
    "DEFAULT_SUBSTITUTES",
    "Breakpoint",
    "FilingStatus",
    "GainCurve",
    "HarvestProposal",
    "HarvestScan",
    "HarvestSettings",
    "IdenticalGroups",
    "NettingResult",
    "RealizedGain",
    "TaxFlag",
    "TaxLedger",
    "TaxRates",
    "TaxReport",
    "Transaction",
    "TransactionFileError",
    "WashCheck",
    "WashSaleMatch",
    "build_tax_report",
    "find_harvests",
    "first_long_term_date",
    "harvest_benefit",
    "holding_term",
    "loss_limit",
    "minimal_tax",
    "minimal_tax_lp",
    "net_capital_gains",
    "net_years",
    "netted_tax",
    "one_year_anniversary",
    "order_lots",
    "per_share_tax",
    "plan_relief",
    "read_accounts_file",
    "read_transactions",
    "realized_gain_curve",
    "relieve",
    "tax_report_from_files",
    "taxmin_order",
    "tracking_errors_from_prices",
    "wash_window",
    "would_wash",
]
