"""Household placement: where (in which account) each household trade happens.

Accounts cannot move cash to each other: each is funded by its own cash and its own sales.  Placement works
on *groups* of accounts that share one target:

* ``pro_rata``: every account is its own group, with the household weights (or its
  ``TargetAllocation.per_account`` weights) applied to its own value.
* ``tax_aware`` (default): accounts with ``per_account`` weights are their own groups as above; all other
  accounts form one group that reaches the household targets left over after those pinned accounts.

Inside a group, in dollars:

1. **Targets.** ``T_s = w_s * V_G`` for each symbol.  A cash buffer reserves ``cash_buffer * V_a`` in
   each account; when the buffers add to more than the cash target ``w_CASH * V_G``, the symbol targets
   shrink in proportion so that the group's cash target covers the buffers.
2. **Sells** (skipped in buy-only mode): each symbol held above its target sells the excess
   ``H_s - T_s``.  Tax-aware placement takes it first from tax-deferred/exempt accounts (largest holding
   first), and only the rest from taxable accounts.  Among taxable accounts the excess is taken lot by
   lot, cheapest tax first: each account offers its lots in the order its relief method will relieve them,
   and the account whose next lot costs the least tax per dollar sold sells next.  The ranking key of a
   lot is ``(rate(term) * (price - unit_cost) / price, class, gain per dollar)``, class 0 for a loss,
   1 for a long-term gain, 2 for a short-term gain: losses go first, then gains by their tax per dollar,
   long-term before short-term when that tax is equal (for example when both rates are zero).
3. **Buys** go to symbols below target, ``B_s = T_s - H_s``.  The group spends at most its cash after
   sales minus its cash target, and each account at most its own cash after sales minus its buffer; when
   that is less than ``sum B_s`` every ``B_s`` is scaled by the same factor (proportional to shortfall,
   which is also the buy-only rule).  The buys are then assigned to accounts in order (tax-deferred and
   tax-exempt accounts first, then taxable; file order within), each account taking symbols in target
   order until its cash is used (a "north-west corner" fill: at most ``accounts + symbols - 1`` buys).

Wash sales across accounts are not checked here (the tax engine's lot selection is).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from trimtab.domain import CASH, Household, ReliefMethod, TaxLot, Term
from trimtab.domain.settings import Placement, TaxSettings
from trimtab.tax.relief import order_lots
from trimtab.tax.rules import holding_term
from trimtab.units import ZERO, to_decimal

__all__ = [
    "PlacementGroup",
    "lot_tax_key",
    "place_buys",
    "place_sells",
    "placement_groups",
    "tax_order",
]


@dataclass(frozen=True, slots=True)
class PlacementGroup:
    """Accounts that move together toward one target.

    Parameters
    ----------
    accounts : tuple of str
        Account ids, in household order.
    target_usd : dict of str to Decimal
        Dollars wanted per symbol after trading (cash excluded), in target order.
    cash_target_usd : Decimal
        Dollars of cash wanted across the group (at least the sum of the accounts' buffers).
    """

    accounts: tuple[str, ...]
    target_usd: dict[str, Decimal] = field(default_factory=dict)
    cash_target_usd: Decimal = ZERO


#: ``to_decimal(w)`` by float weight: targets repeat from plan to plan, and the conversion (through repr)
#: is the slow part of making the groups.  Zero is not cached (``-0.0 == 0.0`` but their reprs differ).
_DECIMAL_OF: dict[float, Decimal] = {}


def _weights_dec(weights: Mapping[str, float]) -> dict[str, Decimal]:
    known = _DECIMAL_OF
    out: dict[str, Decimal] = {}
    for s, w in weights.items():
        w = float(w)
        value = known.get(w) if w else None
        if value is None:
            value = to_decimal(w)
            if w:
                if len(known) >= 65_536:
                    known.clear()
                known[w] = value
        out[s] = value
    return out


def _group(accounts: tuple[str, ...], weights: Mapping[str, Decimal], value: Decimal,
           floors: Mapping[str, Decimal]) -> PlacementGroup:
    """Dollar targets for ``accounts`` worth ``value`` dollars at ``weights`` (symbols and CASH)."""
    cash_weight = weights.get(CASH, ZERO)
    cash_target = max(cash_weight * value, sum((floors[a] for a in accounts), ZERO))
    invested = sum((w for s, w in weights.items() if s != CASH), ZERO)
    scale = (value - cash_target) / invested if invested else ZERO
    target = {s: max(ZERO, w * scale) for s, w in weights.items() if s != CASH}
    return PlacementGroup(accounts, target, min(cash_target, value))


def placement_groups(household: Household, prices: Mapping[str, Decimal], weights: Mapping[str, float], *,
                     placement: Placement, per_account: Mapping[str, Mapping[str, float]],
                     floors: Mapping[str, Decimal]) -> list[PlacementGroup]:
    """Split the household into placement groups with dollar targets (see the module docstring).

    Parameters
    ----------
    household : Household
        Accounts, cash and lots before trading.
    prices : Mapping of str to Decimal
        Dollars per share.
    weights : Mapping of str to float
        Household target weights (symbols and ``"CASH"``), summing to 1.
    placement : Placement
        ``tax_aware`` or ``pro_rata``.
    per_account : Mapping of str to Mapping of str to float
        Weights of single accounts' own value that override the household weights there.
    floors : Mapping of str to Decimal
        Cash buffer per account, dollars.

    Returns
    -------
    list of PlacementGroup
        Pinned (per-account) groups first, then the shared group (tax-aware) or one group per account.
    """
    household_weights = _weights_dec(weights)
    value_of = {a.id: household.market_value(prices, a.id) for a in household.accounts}
    pinned = [a for a in household.account_ids if a in per_account]
    groups = [_group((a,), _weights_dec(per_account[a]), value_of[a], floors) for a in pinned]
    rest = tuple(a for a in household.account_ids if a not in per_account)
    if placement is Placement.PRO_RATA:
        return groups + [_group((a,), household_weights, value_of[a], floors) for a in rest]
    if not rest:
        return groups
    if not pinned:
        return [*groups, _group(rest, household_weights, sum((value_of[a] for a in rest), ZERO), floors)]
    # What the household wants minus what the pinned accounts will hold, as weights of the rest's value.
    total = sum(value_of.values(), ZERO)
    left = {s: w * total for s, w in household_weights.items()}
    for group in groups:
        for symbol, usd in group.target_usd.items():
            left[symbol] = left.get(symbol, ZERO) - usd
        left[CASH] = left.get(CASH, ZERO) - group.cash_target_usd
    left = {s: max(ZERO, usd) for s, usd in left.items()}
    left_total = sum(left.values(), ZERO)
    rest_weights = {s: usd / left_total for s, usd in left.items()} if left_total > 0 else {CASH: Decimal(1)}
    return [*groups, _group(rest, rest_weights, sum((value_of[a] for a in rest), ZERO), floors)]


def lot_tax_key(lot: TaxLot, price: Decimal, tax: TaxSettings, as_of: date) -> tuple[Decimal, int, Decimal]:
    """Ranking key of selling ``lot`` at ``price`` on ``as_of``: lower sells first (see module docstring).

    Returns
    -------
    (tax_per_dollar, class, gain_per_dollar) : tuple
        ``rate(term) * gain / proceeds``; 0 loss, 1 long-term gain, 2 short-term gain; ``gain / proceeds``.
    """
    gain_per_dollar = (price - lot.unit_cost) / price
    term = holding_term(lot.holding_start, as_of)
    rate = to_decimal(float(tax.short_term_rate if term is Term.SHORT else tax.long_term_rate))
    kind = 0 if gain_per_dollar < 0 else (1 if term is Term.LONG else 2)
    return rate * gain_per_dollar, kind, gain_per_dollar


def tax_order(lots: Sequence[TaxLot], price: Decimal, tax: TaxSettings, as_of: date) -> list[TaxLot]:
    """Lots by ascending :func:`lot_tax_key` (ties in the given order)."""
    return sorted(lots, key=lambda lot: lot_tax_key(lot, price, tax, as_of))


def relief_order(lots: Sequence[TaxLot], price: Decimal, tax: TaxSettings, as_of: date) -> list[TaxLot]:
    """The order a sale in a taxable account will relieve ``lots`` under ``tax.relief_method``.

    FIFO, LIFO and HIFO are :func:`trimtab.tax.relief.order_lots`.  ``avg_cost`` relieves first-acquired
    first at the position's average basis, so the lots are ranked as such.  Specific identification lets
    the planner pick, and it picks :func:`tax_order`; ``min_tax`` relieves in ascending per-share tax, which
    is :func:`tax_order` too (ties may differ; only the ranking of accounts depends on it here -- the
    relief itself is done by :func:`trimtab.tax.relief.relieve`).
    """
    if tax.relief_method in (ReliefMethod.FIFO, ReliefMethod.LIFO, ReliefMethod.HIFO):
        return order_lots(lots, tax.relief_method)
    if tax.relief_method is ReliefMethod.AVG_COST:
        # first acquired first, every share at the position's average basis
        total_quantity = sum((lot.quantity for lot in lots), ZERO)
        average = sum((lot.cost_basis for lot in lots), ZERO) / total_quantity if total_quantity else ZERO
        return sorted((replace(lot, cost_basis=average * lot.quantity) for lot in lots),
                      key=lambda lot: lot.acquired)
    return tax_order(lots, price, tax, as_of)


def place_sells(group: PlacementGroup, household: Household, prices: Mapping[str, Decimal], *,
                placement: Placement, tax: TaxSettings, as_of: date) -> dict[tuple[str, str], Decimal]:
    """Dollars to sell per ``(account, symbol)`` so that the group comes down to its symbol targets.

    Parameters
    ----------
    group : PlacementGroup
        The accounts and their dollar targets.
    household : Household
        Lots before trading.
    prices : Mapping of str to Decimal
        Dollars per share.
    placement : Placement
        ``tax_aware`` prefers tax-deferred/exempt accounts, then the cheapest taxable lots; ``pro_rata``
        groups hold one account, so the order does not matter.
    tax : TaxSettings
        Rates and relief method (for the taxable ranking).
    as_of : date
        Trade date (holding terms).

    Returns
    -------
    dict of (str, str) to Decimal
        Wanted sale in dollars (> 0) per account and symbol, not above the holding's value.
    """
    kind = {a.id: a.kind for a in household.accounts}
    held: dict[tuple[str, str], Decimal] = {}
    lots_of: dict[tuple[str, str], list[TaxLot]] = {}
    for lot in household.lots:
        if lot.account in group.accounts:
            key = (lot.account, lot.symbol)
            held[key] = held.get(key, ZERO) + lot.quantity
            lots_of.setdefault(key, []).append(lot)
    symbols = list(dict.fromkeys(s for (_a, s) in held))
    out: dict[tuple[str, str], Decimal] = {}
    alone = len(group.accounts) == 1
    if alone and placement is Placement.TAX_AWARE and not kind[group.accounts[0]].is_taxable:
        # One sheltered account (the usual backtest): each symbol's excess is sold there, the same Decimal
        # operations as below without the per-symbol lists (the only holder, sheltered, nothing taxable).
        account = group.accounts[0]
        target = group.target_usd
        for symbol in symbols:
            usd = held[(account, symbol)] * prices[symbol]
            excess = (ZERO + usd) - target.get(symbol, ZERO)  # sum(value.values(), ZERO) - target
            if excess > 0:
                take = min(excess, usd)
                if take > 0:
                    out[(account, symbol)] = take
        return out
    for symbol in symbols:
        price = prices[symbol]
        holders = [a for a in group.accounts if (a, symbol) in held]
        value = {a: held[(a, symbol)] * price for a in holders}
        excess = sum(value.values(), ZERO) - group.target_usd.get(symbol, ZERO)
        if excess <= 0:
            continue
        if placement is Placement.TAX_AWARE:
            sheltered = sorted((a for a in holders if not kind[a].is_taxable), key=lambda a: -value[a])
        else:
            sheltered = []
        for account in sheltered:
            take = min(excess, value[account])
            if take > 0:
                out[(account, symbol)] = take
                excess -= take
        taxable = [a for a in holders if a not in sheltered]
        if not taxable or excess <= 0:  # nothing left to take, or no one to take it from
            continue
        for account, usd in _taxable_sells(taxable, lots_of, symbol, price, excess, tax, as_of).items():
            out[(account, symbol)] = out.get((account, symbol), ZERO) + usd
    return out


def _taxable_sells(accounts: Sequence[str], lots_of: Mapping[tuple[str, str], list[TaxLot]], symbol: str,
                   price: Decimal, excess: Decimal, tax: TaxSettings, as_of: date) -> dict[str, Decimal]:
    """Take ``excess`` dollars of ``symbol`` from ``accounts``, the cheapest-tax next lot first."""
    queues = {a: relief_order(lots_of[(a, symbol)], price, tax, as_of) for a in accounts}
    heap: list[tuple[tuple[Decimal, int, Decimal], int, str, int]] = []
    for rank, account in enumerate(accounts):
        if queues[account]:
            heap.append((lot_tax_key(queues[account][0], price, tax, as_of), rank, account, 0))
    heapq.heapify(heap)
    out: dict[str, Decimal] = {}
    while excess > 0 and heap:
        _key, rank, account, i = heapq.heappop(heap)
        lot = queues[account][i]
        take = min(excess, lot.quantity * price)
        out[account] = out.get(account, ZERO) + take
        excess -= take
        if i + 1 < len(queues[account]):
            following = queues[account][i + 1]
            heapq.heappush(heap, (lot_tax_key(following, price, tax, as_of), rank, account, i + 1))
    return out


def place_buys(group: PlacementGroup, household: Household, held_usd: Mapping[tuple[str, str], Decimal],
               cash: Mapping[str, Decimal], floors: Mapping[str, Decimal]) -> dict[tuple[str, str], Decimal]:
    """Dollars to buy per ``(account, symbol)`` after the sells.

    Parameters
    ----------
    group : PlacementGroup
        The accounts and their dollar targets.
    household : Household
        For the account kinds and order.
    held_usd : Mapping of (str, str) to Decimal
        Dollars held per account and symbol after the sells.
    cash : Mapping of str to Decimal
        Cash per account after the sells and their costs, dollars.
    floors : Mapping of str to Decimal
        Cash buffer per account, dollars.

    Returns
    -------
    dict of (str, str) to Decimal
        Wanted buys in dollars (> 0); each account's total is at most its ``cash - floor``.
    """
    held = {s: ZERO for s in group.target_usd}
    for (account, held_symbol), usd in held_usd.items():
        if account in group.accounts and held_symbol in held:
            held[held_symbol] += usd
    need = {s: group.target_usd[s] - held[s] for s in group.target_usd if group.target_usd[s] > held[s]}
    wanted = sum(need.values(), ZERO)
    supply = {a: max(ZERO, cash[a] - floors[a]) for a in group.accounts}
    cap = sum((cash[a] for a in group.accounts), ZERO) - group.cash_target_usd
    spend = max(ZERO, min(wanted, cap, sum(supply.values(), ZERO)))
    if spend <= 0:
        return {}
    if spend < wanted:
        need = {s: usd * spend / wanted for s, usd in need.items()}
    kinds = {a.id: a.kind for a in household.accounts}
    order = sorted(group.accounts, key=lambda a: kinds[a].is_taxable)  # stable: file order within
    out: dict[tuple[str, str], Decimal] = {}
    symbols = iter(list(need))
    symbol: str | None = next(symbols, None)
    for account in order:
        left = supply[account]
        while symbol is not None and left > 0:
            take = min(left, need[symbol])
            if take > 0:
                out[(account, symbol)] = take
            left -= take
            need[symbol] -= take
            if need[symbol] <= 0:
                symbol = next(symbols, None)
    return out
