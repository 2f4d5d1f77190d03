"""Tax-loss harvesting: the value of a harvested loss (KAT-27) and a scan that proposes harvests.

See :func:`harvest_benefit` for the deferral identity and :func:`find_harvests` for the scan.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["harvest_benefit"]


def harvest_benefit(loss: Decimal, rate_now: Decimal, rate_later: Decimal, after_tax_return: Decimal,
                    years: int | Decimal) -> Decimal:
    """Value in dollars, at the horizon, of harvesting a loss now (KAT-27).

    ``benefit = rate_now * loss * (1 + r)**years - rate_later * loss``: the tax saved now, reinvested at the
    after-tax return ``r`` for ``years``, minus the extra tax at liquidation (the harvest lowered the basis
    by ``loss``). ``rate_later = 0`` models a step-up in basis at death.

    Parameters
    ----------
    loss : Decimal
        Loss harvested, dollars (positive).
    rate_now, rate_later : Decimal
        Tax rates (fractions) at which the loss is used now and the extra gain is taxed later.
    after_tax_return : Decimal
        Yearly after-tax return on the reinvested saving (fraction).
    years : int or Decimal
        Years to liquidation. Whole years are exact.

    Examples
    --------
    >>> harvest_benefit(Decimal(10000), Decimal("0.37"), Decimal("0.20"), Decimal(0), 10)
    Decimal('1700.00')
    """
    loss, rate_now, rate_later = Decimal(loss), Decimal(rate_now), Decimal(rate_later)
    growth = (1 + Decimal(after_tax_return)) ** years
    return rate_now * loss * growth - rate_later * loss
