"""Lot relief: which lots a sale of ``quantity`` shares delivers.

FIFO, LIFO, HIFO and specific identification are orderings; the tax engine extends this module with
average cost and tax-optimal relief.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from trimtab.domain.lots import LotRelief, ReliefMethod, TaxLot
from trimtab.errors import OversellError, TaxError
from trimtab.tax.rules import holding_term

__all__ = ["order_lots", "relieve"]


def order_lots(lots: Sequence[TaxLot], method: ReliefMethod, *,
               specific_ids: Sequence[str] = ()) -> list[TaxLot]:
    """Lots in the order a sale relieves them.

    Ties keep file order (stable sorts). ``spec_id`` takes the lots named in ``specific_ids`` in that order.
    """
    if method is ReliefMethod.FIFO:
        return sorted(lots, key=lambda lot: lot.acquired)
    if method is ReliefMethod.LIFO:
        return sorted(lots, key=lambda lot: lot.acquired, reverse=True)
    if method is ReliefMethod.HIFO:
        return sorted(lots, key=lambda lot: lot.unit_cost, reverse=True)
    if method is ReliefMethod.SPEC_ID:
        by_id = {lot.lot_id: lot for lot in lots}
        missing = [i for i in specific_ids if i not in by_id]
        if missing:
            raise TaxError(f"specific identification names unknown lots: {', '.join(missing)}")
        return [by_id[i] for i in specific_ids]
    raise TaxError(f"relief method {method} needs prices and rates: use trimtab.tax relief functions")


def relieve(lots: Sequence[TaxLot], quantity: Decimal, *, price: Decimal, sold: date,
            method: ReliefMethod = ReliefMethod.FIFO, specific_ids: Sequence[str] = (),
            ) -> tuple[list[LotRelief], list[TaxLot]]:
    """Sell ``quantity`` shares at ``price`` dollars on ``sold`` from ``lots`` (one account, one symbol).

    Returns
    -------
    reliefs : list of LotRelief
        The part of each lot delivered, with proceeds (``quantity * price``, before costs) and term.
    remaining : list of TaxLot
        The lots left, in their original order, partly sold lots reduced pro rata.

    Raises
    ------
    OversellError
        When ``quantity`` exceeds the shares in ``lots``.
    """
    held = sum((lot.quantity for lot in lots), Decimal("0"))
    if quantity > held:
        symbol = lots[0].symbol if lots else "?"
        raise OversellError(f"cannot sell {quantity} {symbol}: only {held} held")
    left = quantity
    taken: dict[int, TaxLot | None] = {}
    reliefs: list[LotRelief] = []
    index = {id(lot): i for i, lot in enumerate(lots)}
    for lot in order_lots(lots, method, specific_ids=specific_ids):
        if left <= 0:
            break
        take = min(left, lot.quantity)
        part, rest = lot.take(take)
        reliefs.append(LotRelief(lot_id=lot.lot_id, acquired=lot.acquired, quantity=take,
                                 cost_basis=part.cost_basis, proceeds=take * price,
                                 term=holding_term(lot.holding_start, sold)))
        taken[index[id(lot)]] = rest
        left -= take
    if left > 0:
        raise OversellError(f"the lots named cover only {quantity - left} of {quantity} shares")
    remaining = [taken.get(i, lot) if i in taken else lot for i, lot in enumerate(lots)]
    return reliefs, [lot for lot in remaining if lot is not None]
