"""Tax lots, lot relief methods and the record of a lot (partly) sold."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from trimtab.domain.slots import slot_builder
from trimtab.errors import LotError

__all__ = ["LotRelief", "ReliefMethod", "TaxLot", "Term"]


class ReliefMethod(StrEnum):
    """Which lots a sale relieves first.

    ``fifo`` oldest first; ``lifo`` newest first; ``hifo`` highest unit cost first; ``spec_id`` the lots the
    user names; ``avg_cost`` the average basis of all shares (funds that allow it); ``min_tax`` the lots
    that minimise the tax of the sale (ascending per-share tax; see :mod:`trimtab.tax.relief`).
    """

    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"
    SPEC_ID = "spec_id"
    AVG_COST = "avg_cost"
    MIN_TAX = "min_tax"


class Term(StrEnum):
    """Character of a realized gain: held one year or less (short) or more (long)."""

    SHORT = "short"
    LONG = "long"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxLot:
    """Shares of one symbol in one account bought together.

    Parameters
    ----------
    account : str
        Account id.
    symbol : str
        Ticker.
    quantity : Decimal
        Shares, > 0.
    cost_basis : Decimal
        Total cost basis in dollars (fees and wash-sale adjustments included), >= 0.
    acquired : date
        Trade date of the purchase.
    lot_id : str
        Identifier for specific identification; defaults to ``account:symbol:acquired:n`` set by loaders.
    holding_period_start : date, optional
        Start of the holding period when it differs from ``acquired`` (wash-sale tacking).
    """

    account: str
    symbol: str
    quantity: Decimal
    cost_basis: Decimal
    acquired: date
    lot_id: str = ""
    holding_period_start: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, Decimal):
            object.__setattr__(self, "quantity", Decimal(str(self.quantity)))
        if not isinstance(self.cost_basis, Decimal):
            object.__setattr__(self, "cost_basis", Decimal(str(self.cost_basis)))
        if not self.symbol or not isinstance(self.symbol, str):
            raise LotError("lot symbol must be a non-empty text", got=self.symbol, fix="name the ticker")
        if self.quantity <= 0:
            raise LotError("lot quantity must be positive", got=str(self.quantity),
                           fix="delete lots already sold; quantities are shares held")
        if self.cost_basis < 0:
            raise LotError("lot cost basis must not be negative", got=str(self.cost_basis),
                           fix="give the total (or unit) price paid, fees included")
        if not isinstance(self.acquired, date):
            raise LotError("lot acquisition date must be a date", got=self.acquired, fix="use YYYY-MM-DD")

    @property
    def unit_cost(self) -> Decimal:
        """Cost basis per share in dollars."""
        return self.cost_basis / self.quantity

    @property
    def holding_start(self) -> date:
        """Date the holding period counts from (``holding_period_start`` or ``acquired``)."""
        return self.holding_period_start or self.acquired

    def take(self, quantity: Decimal) -> tuple[TaxLot, TaxLot | None]:
        """Split off ``quantity`` shares: ``(taken, rest)``, basis shared pro rata; ``rest`` is None if empty."""
        if quantity <= 0 or quantity > self.quantity:
            raise LotError(f"cannot take {quantity} shares from lot {self.lot_id or self.symbol}",
                           got=str(quantity), fix=f"take between 0 and {self.quantity} shares")
        if quantity == self.quantity:
            return self, None
        basis_taken = self.cost_basis * quantity / self.quantity
        return self.with_size(quantity, basis_taken), self.with_size(self.quantity - quantity,
                                                                      self.cost_basis - basis_taken)

    def with_size(self, quantity: Decimal, cost_basis: Decimal) -> TaxLot:
        """This lot with ``quantity`` shares and ``cost_basis`` dollars (both Decimal), everything else kept.

        ``replace(lot, quantity=..., cost_basis=...)`` for the hot paths (lot relief, merging, the trade
        planner): only the two new values are checked (quantity > 0, basis >= 0); the rest was checked when
        this lot was made.
        """
        trusted = type(quantity) is Decimal and type(cost_basis) is Decimal and quantity > 0 <= cost_basis
        if not trusted:
            return replace(self, quantity=quantity, cost_basis=cost_basis)  # converts or raises as usual
        return _built_lot(self.account, self.symbol, quantity, cost_basis, self.acquired, self.lot_id,
                          self.holding_period_start)


#: ``_built_lot(account, symbol, quantity, cost_basis, acquired, lot_id, holding_period_start)``: a lot from
#: values already checked (no conversion, no check).
_built_lot = slot_builder(
    TaxLot, ("account", "symbol", "quantity", "cost_basis", "acquired", "lot_id", "holding_period_start")
)


def _trusted_lot(account: str, symbol: str, quantity: Decimal, cost_basis: Decimal, acquired: date,
                 lot_id: str) -> TaxLot:
    """``TaxLot(account=..., ..., lot_id=...)`` for the hot paths (the trade planner's new lots, merging).

    The same checks; anything the constructor would convert or reject goes through it (and converts or
    raises as usual).
    """
    if (type(quantity) is Decimal and type(cost_basis) is Decimal and type(symbol) is str and symbol
            and quantity > 0 <= cost_basis and isinstance(acquired, date)):
        return _built_lot(account, symbol, quantity, cost_basis, acquired, lot_id, None)
    return TaxLot(account=account, symbol=symbol, quantity=quantity, cost_basis=cost_basis, acquired=acquired,
                  lot_id=lot_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class LotRelief:
    """Shares of one lot delivered by a sale, and the gain they realize.

    ``realized_gain = proceeds - cost_basis`` in dollars (before any wash-sale adjustment);
    ``term`` follows the holding period of the lot.
    """

    lot_id: str
    acquired: date
    quantity: Decimal
    cost_basis: Decimal
    proceeds: Decimal
    term: Term

    @property
    def realized_gain(self) -> Decimal:
        """Proceeds minus cost basis, in dollars."""
        return self.proceeds - self.cost_basis


#: ``_trusted_relief(lot_id, acquired, quantity, cost_basis, proceeds, term)``: a relief for lot relief's hot
#: path (the class checks nothing).
_trusted_relief = slot_builder(LotRelief, ("lot_id", "acquired", "quantity", "cost_basis", "proceeds", "term"))
