"""A trade: whole or fractional shares of one symbol in one account, with the lots a sell relieves."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trimtab.domain.lots import LotRelief, Term
from trimtab.domain.slots import slot_builder
from trimtab.errors import TradeError

__all__ = ["Side", "Trade"]


class Side(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    """One trade in one account.

    ``quantity`` shares (> 0) at ``price`` dollars per share; ``estimated_cost`` dollars of trading cost;
    ``lots`` the lots a sell relieves (empty for buys and for accounts that do not track tax).
    """

    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    estimated_cost: Decimal = Decimal("0")
    lots: tuple[LotRelief, ...] = ()

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise TradeError(f"trade quantity must be positive for {self.side} {self.symbol}: {self.quantity}")
        if self.price <= 0:
            raise TradeError(f"trade price must be positive for {self.symbol}: {self.price}")
        if self.side is Side.BUY and self.lots:
            raise TradeError(f"a buy of {self.symbol} cannot relieve lots")

    @property
    def value(self) -> Decimal:
        """Quantity times price, in dollars (unsigned)."""
        return self.quantity * self.price

    @property
    def signed_value(self) -> Decimal:
        """Value with buys positive and sells negative, in dollars."""
        return self.value if self.side is Side.BUY else -self.value

    def realized_gain(self, term: Term | None = None) -> Decimal:
        """Realized gain in dollars from the relieved lots, optionally of one term only."""
        return sum((r.realized_gain for r in self.lots if term is None or r.term is term), Decimal("0"))


_built_trade = slot_builder(
    Trade, ("account", "symbol", "side", "quantity", "price", "estimated_cost", "lots")
)


def _trusted_trade(account: str, symbol: str, side: Side, quantity: Decimal, price: Decimal,
                   estimated_cost: Decimal, lots: tuple[LotRelief, ...] = ()) -> Trade:
    """``Trade(account=..., ..., lots=...)`` for the trade planner's hot path: the same checks, then the
    slots' own setters (:func:`~trimtab.domain.slots.slot_builder`); a trade the checks reject goes through
    the constructor, which raises as usual."""
    if not (quantity > 0 and price > 0) or (side is Side.BUY and lots):
        return Trade(account=account, symbol=symbol, side=side, quantity=quantity, price=price,
                     estimated_cost=estimated_cost, lots=lots)
    return _built_trade(account, symbol, side, quantity, price, estimated_cost, lots)
