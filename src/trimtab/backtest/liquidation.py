"""The liquidation value at the end of a backtest: sell every position, pay the selling cost and the tax.

A backtest ends holding securities; its **after-tax value** is what the household would keep if it sold
everything at the last close:

``after_tax_value = value - selling_cost - liquidation_tax``

* ``value`` is the value after the last year's tax on the gains already realized (a liability).
* ``selling_cost`` is the trading cost of one sale per account and symbol of every share held, priced by
  the same :class:`~trimtab.models.costs.CostModel` that charged the run's trades (spread, commissions
  and, with volumes, market impact on the trailing volume and volatility), rounded to cents per sale. It
  is paid in every account kind.
* ``liquidation_tax`` is the *marginal* tax of the sale in the last year: the gains of the lots in taxable
  accounts, net of the selling cost (allocated to the lots pro rata by shares, as the tax ledger allocates
  the fees of a sale), added to the year's realized gains and netted with the carried-in losses by the
  tax engine (:func:`trimtab.tax.netting.net_capital_gains`: short against short, long against long,
  then across; up to $3,000 of a net loss deducted against ordinary income at the ordinary rate). It is
  negative when the sale's losses save tax that year.

**Convention for losses left over.** A capital loss still carried forward after the liquidation year's
netting is **worth nothing** in the after-tax value (the household holds nothing more to sell against it,
and its future $3,000-a-year deductions are not counted); the amount is reported
(``PolicyRun.carryforward_after_liquidation``) so a reader can value it differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from trimtab.backtest.accounting import unrealized_gains
from trimtab.domain.household import Household
from trimtab.models.costs import CostModel
from trimtab.tax.netting import FilingStatus, net_capital_gains
from trimtab.tax.rules import TaxRates
from trimtab.units import ZERO, money

__all__ = ["Liquidation", "liquidate"]


@dataclass(frozen=True, slots=True)
class Liquidation:
    """Selling everything at one date (dollars).

    Attributes
    ----------
    selling_cost : Decimal
        Trading cost of selling every position, all accounts, cents.
    short_term, long_term : Decimal
        Gains (negative: losses) of the lots in taxable accounts by holding term, after the selling cost.
    tax : Decimal
        Marginal tax of those gains in the year, after netting with the year's realized gains and the
        carried-in losses, cents (negative: the sale saves tax).
    carryforward : (Decimal, Decimal)
        Short- and long-term losses still carried forward after the sale (worth nothing by convention).
    """

    selling_cost: Decimal
    short_term: Decimal
    long_term: Decimal
    tax: Decimal
    carryforward: tuple[Decimal, Decimal]


def liquidate(
    household: Household,
    prices: Mapping[str, Decimal],
    as_of: date,
    *,
    cost_model: CostModel,
    rates: TaxRates,
    so_far: tuple[Decimal, Decimal] = (ZERO, ZERO),
    carryforward: tuple[Decimal, Decimal] = (ZERO, ZERO),
    taxed: bool = True,
    filing_status: str | FilingStatus = FilingStatus.SINGLE,
    sigma: Mapping[str, float] | None = None,
    volume: Mapping[str, float] | None = None,
) -> Liquidation:
    """Cost and tax of selling every lot of ``household`` at ``prices`` on ``as_of`` (see module docstring).

    Parameters
    ----------
    household : Household
        Accounts and lots (lots of taxable accounts carry the basis and holding-period start).
    prices : mapping of str to Decimal
        Dollars per share of every symbol held.
    as_of : date
        Sale date (sets each lot's holding term).
    cost_model : CostModel
        Prices one sale per account and symbol.
    rates : TaxRates
        Short-, long-term and ordinary rates.
    so_far : (Decimal, Decimal)
        Short- and long-term gains already realized in the year, dollars.
    carryforward : (Decimal, Decimal)
        Losses carried into the year (positive amounts), dollars.
    taxed : bool
        False when gains are not taxed at all (no taxable account or zero rates): the tax is zero.
    filing_status : str or FilingStatus
        Sets the $3,000 / $1,500 deduction limit.
    sigma, volume : mapping of str to float, optional
        Volatility and traded value per period, for market impact.

    Returns
    -------
    Liquidation

    Examples
    --------
    >>> from trimtab.domain import Account, AccountKind, TaxLot
    >>> from trimtab.models.costs import LinearCost
    >>> h = Household(name="h", accounts=(Account(id="t", kind=AccountKind.TAXABLE, cash=Decimal(0)),),
    ...     lots=(TaxLot(account="t", symbol="A", quantity=Decimal(100), cost_basis=Decimal(5000),
    ...                  acquired=date(2020, 1, 2), lot_id="a"),))
    >>> out = liquidate(h, {"A": Decimal(80)}, date(2022, 1, 3), cost_model=CostModel(LinearCost(50.0)),
    ...                 rates=TaxRates(Decimal("0.37"), Decimal("0.2")))
    >>> out.selling_cost, out.long_term, out.tax
    (Decimal('40.00'), Decimal('2960.00'), Decimal('592.00'))
    """
    sigma_of = dict(sigma or {})
    volume_of = dict(volume or {})
    held: dict[tuple[str, str], Decimal] = {}
    for lot in household.lots:
        key = (lot.account, lot.symbol)
        held[key] = held.get(key, ZERO) + lot.quantity
    cost: dict[tuple[str, str], Decimal] = {}
    for (account, symbol), quantity in held.items():
        if quantity > 0:
            cost[account, symbol] = cost_model.estimate(
                quantity, prices[symbol], sigma=sigma_of.get(symbol), volume=volume_of.get(symbol)
            )
    short, long = unrealized_gains(household, prices, as_of, selling_costs=cost, held=held)
    selling_cost = sum(cost.values(), ZERO)
    if not taxed:
        return Liquidation(selling_cost, short, long, ZERO, carryforward)
    base = net_capital_gains(
        so_far[0],
        so_far[1],
        carryover_short=carryforward[0],
        carryover_long=carryforward[1],
        filing_status=filing_status,
    )
    after = net_capital_gains(
        so_far[0] + short,
        so_far[1] + long,
        carryover_short=carryforward[0],
        carryover_long=carryforward[1],
        filing_status=filing_status,
    )
    tax = money(after.tax(rates) - base.tax(rates))
    return Liquidation(selling_cost, short, long, tax, (after.carryforward_short, after.carryforward_long))
