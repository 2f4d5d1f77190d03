"""Frozen, validated domain values: no I/O, no pandas.

Money and quantities are :class:`~decimal.Decimal`; weights are floats.
"""

from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household, Position
from trimtab.domain.lots import LotRelief, ReliefMethod, TaxLot, Term
from trimtab.domain.targets import CASH, TargetAllocation
from trimtab.domain.trades import Side, Trade

__all__ = [
    "CASH",
    "Account",
    "AccountKind",
    "Household",
    "LotRelief",
    "Position",
    "ReliefMethod",
    "Side",
    "TargetAllocation",
    "TaxLot",
    "Term",
    "Trade",
]
