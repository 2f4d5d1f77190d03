"""Accounting helpers of the backtester: yearly tax, liquidation tax, self-financing check, lot merging.

The yearly tax is :func:`trimtab.tax.netting.net_capital_gains` (the tax engine's netting, $3,000 limit
and carryforwards, KAT-23); this module only feeds it the year's recognized gains from the
:class:`~trimtab.tax.ledger.TaxLedger` and keeps the carryforward from one year to the next.

:func:`remainder_factor` is the weights-based commission identity of KAT-13 (Jiang, Xu & Liang 2017),
kept here so that the share-based simulator can be checked against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from trimtab.domain.household import Household
from trimtab.domain.lots import TaxLot, Term, _trusted_lot
from trimtab.domain.trades import Side
from trimtab.errors import TradeError
from trimtab.tax.netting import FilingStatus, NettingResult, net_capital_gains
from trimtab.tax.rules import TaxRates, holding_term
from trimtab.trades.plan import TradePlan
from trimtab.typing import FloatArray
from trimtab.units import ZERO, money

#: Relative tolerance of the value identity (Decimal's 28 digits round shares x float-derived prices).
_VALUE_TOLERANCE = Decimal("1e-20")

__all__ = [
    "YearEnd",
    "check_self_financing",
    "consolidate_lots",
    "marginal_tax",
    "remainder_factor",
    "settle_year",
    "unrealized_gains",
]


@dataclass(frozen=True, slots=True)
class YearEnd:
    """One tax year settled: the netting, the tax (dollars, cents; negative = refund), the carryforward."""

    year: int
    netting: NettingResult
    tax: Decimal

    @property
    def carryforward(self) -> tuple[Decimal, Decimal]:
        """``(short, long)`` losses carried into the next year, dollars (>= 0)."""
        return self.netting.carryforward_short, self.netting.carryforward_long


def settle_year(
    year: int,
    short_term: Decimal,
    long_term: Decimal,
    *,
    carryforward: tuple[Decimal, Decimal],
    rates: TaxRates,
    filing_status: str | FilingStatus = FilingStatus.SINGLE,
) -> YearEnd:
    """The tax of one year's recognized gains after netting and the carried-in losses.

    Parameters
    ----------
    year : int
        Tax year.
    short_term, long_term : Decimal
        The year's recognized gains by character in taxable accounts (after wash sales), dollars.
    carryforward : (Decimal, Decimal)
        Short- and long-term losses carried in (positive amounts), dollars.
    rates : TaxRates
        Flat rates; a deductible net loss saves ``rates.ordinary`` per dollar (up to $3,000).
    filing_status : str or FilingStatus
        Sets the $3,000 / $1,500 deduction limit.

    Returns
    -------
    YearEnd
        ``tax`` rounded to cents (negative when the deduction against ordinary income saves tax).
    """
    result = net_capital_gains(
        short_term,
        long_term,
        carryover_short=carryforward[0],
        carryover_long=carryforward[1],
        filing_status=filing_status,
    )
    return YearEnd(year, result, money(result.tax(rates)))


def marginal_tax(
    extra_short: Decimal,
    extra_long: Decimal,
    *,
    so_far: tuple[Decimal, Decimal],
    carryforward: tuple[Decimal, Decimal],
    rates: TaxRates,
    filing_status: str | FilingStatus = FilingStatus.SINGLE,
) -> Decimal:
    """Extra tax of the year, dollars, when ``extra_*`` gains are added to the gains realized ``so_far``.

    ``tax(so_far + extra) - tax(so_far)``, both netted with the same carried-in losses (KAT-24b: a loss is
    worth what it saves against the year's other gains).
    """
    base = net_capital_gains(
        so_far[0],
        so_far[1],
        carryover_short=carryforward[0],
        carryover_long=carryforward[1],
        filing_status=filing_status,
    ).tax(rates)
    more = net_capital_gains(
        so_far[0] + extra_short,
        so_far[1] + extra_long,
        carryover_short=carryforward[0],
        carryover_long=carryforward[1],
        filing_status=filing_status,
    ).tax(rates)
    return more - base


def unrealized_gains(
    household: Household,
    prices: Mapping[str, Decimal],
    as_of: date,
    selling_costs: Mapping[tuple[str, str], Decimal] | None = None,
    held: Mapping[tuple[str, str], Decimal] | None = None,
) -> tuple[Decimal, Decimal]:
    """Short- and long-term gains, dollars, if every lot in a taxable account were sold at ``prices``.

    The holding term of each lot is taken at ``as_of`` (from its holding-period start, so wash-sale
    tacking counts). ``selling_costs`` (dollars per ``(account, symbol)``, with the ``held`` quantities
    they were priced on) are deducted from the proceeds, shared among the position's lots by quantity.
    """
    taxable = {a.id for a in household.accounts if a.kind.is_taxable}
    costs = selling_costs or {}
    short = long = ZERO
    for lot in household.lots:
        if lot.account not in taxable:
            continue
        key = (lot.account, lot.symbol)
        fee = costs[key] * lot.quantity / held[key] if key in costs and held else ZERO
        gain = lot.quantity * prices[lot.symbol] - fee - lot.cost_basis
        if holding_term(lot.holding_start, as_of) is Term.SHORT:
            short += gain
        else:
            long += gain
    return short, long


def check_self_financing(plan: TradePlan) -> Decimal:
    """Raise :class:`TradeError` unless the plan moves every account's cash exactly (KAT-12c).

    Returns the household value before the trades (dollars), which the check computes anyway.

    Per account, in Decimal: ``cash_after = cash_before - sum(buy value + cost) + sum(sell value - cost)``
    exactly; for the household at the plan's prices: ``value_after = value_before - sum(costs)`` to within
    1e-20 of the value (Decimal's 28-digit context rounds ``shares * price`` when prices carry the 17
    digits of a float).
    """
    expected = {a.id: a.cash for a in plan.before.accounts}
    for trade in plan.trades:
        if trade.side is Side.BUY:
            expected[trade.account] -= trade.value + trade.estimated_cost
        else:
            expected[trade.account] += trade.value - trade.estimated_cost
    for account in plan.after.accounts:
        if account.cash != expected[account.id]:
            raise TradeError(
                f"cash of {account.id} is {account.cash} after the trades, but buys, sells and costs "
                f"give {expected[account.id]} (self-financing broken)"
            )
    fees = sum((t.estimated_cost for t in plan.trades), ZERO)
    before = plan.value_before()
    if abs(plan.value_after() - (before - fees)) > abs(before) * _VALUE_TOLERANCE:
        raise TradeError(
            f"value after the trades {plan.value_after()} differs from value before "
            f"{before} minus costs {fees}"
        )
    return before


def consolidate_lots(household: Household) -> Household:
    """One lot per account and symbol (quantities and bases summed, the earliest date kept).

    Used only where lots carry no tax meaning (a single account whose gains are not taxed): positions,
    cash and every trade are unchanged, and the planner works on fewer lots.
    """
    merged: dict[tuple[str, str], TaxLot] = {}
    for lot in household.lots:
        key = (lot.account, lot.symbol)
        seen = merged.get(key)
        if seen is None:
            lot_id = f"{lot.account}:{lot.symbol}"
            if lot.lot_id == lot_id and lot.holding_period_start is None:  # merged before: the same lot
                merged[key] = lot
                continue
            merged[key] = _trusted_lot(
                lot.account, lot.symbol, lot.quantity, lot.cost_basis, lot.acquired, lot_id
            )
        elif seen.acquired <= lot.acquired:  # the merged lot keeps its date, id and (no) holding start
            merged[key] = seen.with_size(seen.quantity + lot.quantity, seen.cost_basis + lot.cost_basis)
        else:
            merged[key] = TaxLot(
                account=lot.account,
                symbol=lot.symbol,
                quantity=seen.quantity + lot.quantity,
                cost_basis=seen.cost_basis + lot.cost_basis,
                acquired=min(seen.acquired, lot.acquired),
                lot_id=seen.lot_id,
            )
    return household.replace(lots=tuple(merged.values()))


def remainder_factor(
    w_before: FloatArray,
    w_target: FloatArray,
    *,
    buy_rate: float,
    sell_rate: float,
    tolerance: float = 1e-15,
    max_iterations: int = 200,
) -> float:
    """Value kept after trading to ``w_target`` in a weights-based simulator (KAT-13).

    Solves ``mu (1 - c_p w_0) = 1 - c_p w'_0 - (c_s + c_p - c_s c_p) * sum_{i>=1} (w'_i - mu w_i)^+`` by
    fixed-point iteration, with cash first (``w[0]``), pre-trade weights ``w'`` and target ``w``; spending 1
    of cash buys ``1 - c_p`` of stock and selling 1 of stock gives ``1 - c_s`` of cash. Uses the pre-trade
    cash weight ``w'_0`` (using the post-trade one is the known bug KAT-13 guards against).

    Parameters
    ----------
    w_before, w_target : ndarray of shape (n + 1,)
        Weights with cash first, each summing to 1.
    buy_rate, sell_rate : float
        ``c_p`` and ``c_s``, fractions.

    Returns
    -------
    float
        ``mu``, the fraction of value left after costs.

    Examples
    --------
    >>> cash, stock = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> round(remainder_factor(cash, stock, buy_rate=0.0025, sell_rate=0.0025), 12)
    0.9975
    """
    before = np.asarray(w_before, dtype=float)
    target = np.asarray(w_target, dtype=float)
    c_p, c_s = float(buy_rate), float(sell_rate)
    mu = 1.0 - c_p - c_s  # start below the answer; the map is a contraction for rates below 1
    for _ in range(max_iterations):
        sold = float(np.clip(before[1:] - mu * target[1:], 0.0, None).sum())
        new = float((1.0 - c_p * before[0] - (c_s + c_p - c_s * c_p) * sold) / (1.0 - c_p * target[0]))
        if abs(new - mu) <= tolerance:
            return new
        mu = new
    return mu
