"""Frozen copy of the trade planner before the speed work (sizing, location, planner at commit ea53cd9).

``reference_plan_trades`` is the pre-optimisation ``plan_trades``; ``test_trades_reference.py`` checks that
the optimised planner returns exactly the same plan.  Do not "fix" or speed up this file: it is the oracle.
"""

from __future__ import annotations

# ---- frozen copy of src/trimtab/trades/sizing.py ----
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from trimtab.domain import Side
from trimtab.domain.settings import TradingSettings
from trimtab.units import ZERO

#: ``cost_of(symbol, quantity) -> dollars`` (cents) of one trade of ``quantity`` shares.
CostFunction = Callable[[str, Decimal], Decimal]

_BISECTION_STEPS = 40


def quantity_step(trading: TradingSettings) -> Decimal:
    """Shares per trading step: ``10**-fraction_decimals`` when fractional, else ``lot_size``.

    Examples
    --------
    >>> quantity_step(TradingSettings(lot_size=100))
    Decimal('100')
    >>> quantity_step(TradingSettings(fractional=True, fraction_decimals=4))
    Decimal('0.0001')
    """
    if trading.fractional:
        return Decimal(1).scaleb(-trading.fraction_decimals)
    return Decimal(trading.lot_size)


def round_to_step(shares: Decimal, step: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``shares`` rounded to a multiple of ``step`` (half up by default; ``ROUND_DOWN`` toward zero)."""
    return (shares / step).to_integral_value(rounding=rounding) * step


def is_multiple(quantity: Decimal, step: Decimal) -> bool:
    """Whether ``quantity`` is a whole number of ``step``."""
    ratio = quantity / step
    return ratio == ratio.to_integral_value()


@dataclass(frozen=True, slots=True)
class SizedTrade:
    """A trade sized in shares, before lot relief: ``quantity`` shares of ``symbol`` at ``price``."""

    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    cost: Decimal

    @property
    def value(self) -> Decimal:
        """Quantity times price, dollars."""
        return self.quantity * self.price


def _usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _listing(symbols: list[str], shown: int = 5) -> str:
    """``"A, B, C"``, or ``"A, B, C, D, E and 7 more"`` for long lists."""
    if len(symbols) <= shown:
        return ", ".join(symbols)
    return f"{', '.join(symbols[:shown])} and {len(symbols) - shown} more"


def size_sells(account: str, wanted_usd: Mapping[str, Decimal], held: Mapping[str, Decimal],
               prices: Mapping[str, Decimal], *, step: Decimal, min_trade_value: Decimal,
               cost_of: CostFunction) -> tuple[list[SizedTrade], list[str]]:
    """Size the sells of one account.

    Parameters
    ----------
    account : str
        Account id (for the trades and notes).
    wanted_usd : Mapping of str to Decimal
        Dollars to sell per symbol (> 0).
    held : Mapping of str to Decimal
        Shares held per symbol in this account.
    prices : Mapping of str to Decimal
        Dollars per share.
    step : Decimal
        Trading step in shares.
    min_trade_value : Decimal
        Sells worth less (dollars) are dropped.
    cost_of : CostFunction
        Estimated cost of a trade, dollars.

    Returns
    -------
    trades : list of SizedTrade
        In the order of ``wanted_usd``; never more than the holding rounded down to a step.
    notes : list of str
    """
    trades: list[SizedTrade] = []
    notes: list[str] = []
    for symbol, usd in wanted_usd.items():
        if usd <= 0:
            continue
        price = prices[symbol]
        sellable = round_to_step(held.get(symbol, ZERO), step, ROUND_DOWN)
        quantity = min(round_to_step(usd / price, step), sellable)
        if quantity <= 0:
            if sellable <= 0 < held.get(symbol, ZERO):
                notes.append(f"{held[symbol]} {symbol} in {account} is less than one trading step "
                             f"({step} shares): not sold")
            continue
        value = quantity * price
        if value < min_trade_value:
            notes.append(f"sell of {quantity} {symbol} in {account} ({_usd(value)}) below min_trade_value "
                         f"{_usd(min_trade_value)}: skipped")
            continue
        cost = cost_of(symbol, quantity)
        if cost >= value:
            notes.append(f"sell of {quantity} {symbol} in {account} ({_usd(value)}) costs {_usd(cost)}, "
                         "not less than its value: skipped")
            continue
        trades.append(SizedTrade(account, symbol, Side.SELL, quantity, price, cost))
    return trades, notes


def _total(quantities: Mapping[str, Decimal], prices: Mapping[str, Decimal],
           cost_of: CostFunction) -> Decimal:
    return sum((q * prices[s] + cost_of(s, q) for s, q in quantities.items() if q > 0), ZERO)


def fit_buys(wanted_usd: Mapping[str, Decimal], prices: Mapping[str, Decimal], *, budget: Decimal,
             step: Decimal, cost_of: CostFunction) -> tuple[dict[str, Decimal], bool]:
    """Quantities to buy so that their value plus cost is at most ``budget`` dollars.

    Parameters
    ----------
    wanted_usd : Mapping of str to Decimal
        Dollars wanted per symbol (>= 0).
    prices : Mapping of str to Decimal
        Dollars per share.
    budget : Decimal
        Dollars available for value plus costs (may be <= 0: nothing is bought).
    step : Decimal
        Trading step in shares.
    cost_of : CostFunction
        Estimated cost of a trade, dollars.

    Returns
    -------
    quantities : dict of str to Decimal
        Shares per symbol (multiples of ``step``, maybe zero), total cost within ``budget``.
    scaled : bool
        True when the nearest-step quantities did not fit and the buys were scaled down.
    """
    wanted = {s: usd for s, usd in wanted_usd.items() if usd > 0}
    if not wanted:
        return {}, False
    known: dict[tuple[str, Decimal], Decimal] = {}

    def line(symbol: str, quantity: Decimal) -> Decimal:  # value plus cost of one buy, memoized
        if quantity <= 0:
            return ZERO
        key = (symbol, quantity)
        if key not in known:
            known[key] = quantity * prices[symbol] + cost_of(symbol, quantity)
        return known[key]

    def total(quantities: Mapping[str, Decimal]) -> Decimal:
        return sum((line(s, q) for s, q in quantities.items()), ZERO)

    nearest = {s: round_to_step(usd / prices[s], step) for s, usd in wanted.items()}
    if total(nearest) <= budget:
        return nearest, False
    if budget <= 0:
        return {s: ZERO for s in wanted}, True

    def at(scale: Decimal) -> dict[str, Decimal]:
        return {s: round_to_step(scale * usd / prices[s], step, ROUND_DOWN) for s, usd in wanted.items()}

    low, high = Decimal(0), Decimal(1)
    if total(at(high)) <= budget:
        low = high
    # the total is non-decreasing in the scale: bisect, keeping at(low) affordable
    for _ in range(_BISECTION_STEPS if low < high else 0):
        middle = (low + high) / 2
        if total(at(middle)) <= budget:
            low = middle
        else:
            high = middle
    quantities = at(low)
    spent = total(quantities)
    for _ in range(4 * len(wanted) + 4):  # top up: one step to the symbol furthest below its wanted dollars
        short = sorted(((wanted[s] - q * prices[s], s) for s, q in quantities.items()
                        if wanted[s] - q * prices[s] > 0), reverse=True)
        for _gap, symbol in short:
            more = line(symbol, quantities[symbol] + step) - line(symbol, quantities[symbol])
            if spent + more <= budget:
                quantities[symbol] += step
                spent += more
                break
        else:
            break
    return quantities, True


def size_buys(account: str, wanted_usd: Mapping[str, Decimal], prices: Mapping[str, Decimal], *,
              budget: Decimal, step: Decimal, min_trade_value: Decimal, cost_of: CostFunction,
              floor_text: str = "0") -> tuple[list[SizedTrade], list[str]]:
    """Size the buys of one account within ``budget`` dollars (cash after sells minus the cash floor).

    Parameters
    ----------
    account : str
        Account id.
    wanted_usd : Mapping of str to Decimal
        Dollars to buy per symbol (>= 0).
    prices : Mapping of str to Decimal
        Dollars per share.
    budget : Decimal
        Dollars available for value plus costs.
    step : Decimal
        Trading step in shares.
    min_trade_value : Decimal
        Buys worth less (dollars) are dropped.
    cost_of : CostFunction
        Estimated cost of a trade, dollars.
    floor_text : str
        How the cash floor reads in notes (e.g. ``"0"`` or ``"the $500.00 cash buffer"``).

    Returns
    -------
    trades : list of SizedTrade
        In the order of ``wanted_usd``.
    notes : list of str
    """
    quantities, scaled = fit_buys(wanted_usd, prices, budget=budget, step=step, cost_of=cost_of)
    notes: list[str] = []
    if scaled:
        wanted_total = sum((usd for usd in wanted_usd.values() if usd > 0), ZERO)
        bought = sum((q * prices[s] for s, q in quantities.items()), ZERO)
        left = budget - _total(quantities, prices, cost_of)
        symbols = _listing([s for s, usd in wanted_usd.items() if usd > 0])
        notes.append(f"buys of {symbols} in {account} scaled down to keep cash >= {floor_text}: "
                     f"{_usd(wanted_total)} wanted, {_usd(bought)} bought, {_usd(max(left, ZERO))} of "
                     "rounding residual left in cash")
    trades: list[SizedTrade] = []
    for symbol in wanted_usd:
        quantity = quantities.get(symbol, ZERO)
        if quantity <= 0:
            continue
        price = prices[symbol]
        value = quantity * price
        if value < min_trade_value:
            notes.append(f"buy of {quantity} {symbol} in {account} ({_usd(value)}) below min_trade_value "
                         f"{_usd(min_trade_value)}: skipped")
            continue
        trades.append(SizedTrade(account, symbol, Side.BUY, quantity, price, cost_of(symbol, quantity)))
    return trades, notes

# ---- frozen copy of src/trimtab/trades/location.py ----


import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from trimtab.domain import CASH, Household, ReliefMethod, TaxLot, Term
from trimtab.domain.settings import Placement, TaxSettings
from trimtab.tax.relief import order_lots
from trimtab.tax.rules import holding_term
from trimtab.units import to_decimal


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


def _weights_dec(weights: Mapping[str, float]) -> dict[str, Decimal]:
    return {s: to_decimal(float(w)) for s, w in weights.items()}


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

# ---- frozen copy of src/trimtab/trades/planner.py ----


from decimal import ROUND_UP, Decimal

from trimtab.domain import TargetAllocation, Trade
from trimtab.domain.settings import CostSettings
from trimtab.errors import AccountError, LotError, MissingPriceError, NegativeCashError
from trimtab.models.costs import CostModel
from trimtab.tax.relief import relieve
from trimtab.trades.plan import TradePlan, estimate_tax, realized_gains
from trimtab.units import CENT, ZERO, parse_decimal


def reference_plan_trades(household: Household, prices: Mapping[str, Decimal], target_weights: Mapping[str, float]
                | TargetAllocation, *, as_of: date, costs: CostSettings, trading: TradingSettings,
                tax: TaxSettings, cost_model: CostModel | None = None,
                sigma: Mapping[str, float] | None = None, volume: Mapping[str, float] | None = None,
                per_account: Mapping[str, Mapping[str, float]] | None = None) -> TradePlan:
    """Trades that move ``household`` to ``target_weights`` at ``prices``.

    Parameters
    ----------
    household : Household
        Accounts (cash in dollars) and tax lots before trading.
    prices : Mapping of str to Decimal
        Dollars per share for every symbol held or targeted (floats and text are converted exactly).
    target_weights : Mapping of str to float, or TargetAllocation
        Household weights of total value (symbols and ``"CASH"``), each in [0, 1], summing to 1.  A
        :class:`~trimtab.domain.TargetAllocation` also brings its ``per_account`` weights.
    as_of : date
        Trade date: holding terms of sold lots, acquisition date of new lots.
    costs : CostSettings
        ``min_trade_value`` and, unless ``cost_model`` is given, the cost model.
    trading : TradingSettings
        Step (whole shares, ``lot_size`` round lots, fractional), ``cash_buffer``, ``buy_only`` and
        ``placement``.
    tax : TaxSettings
        Rates and ``relief_method`` (FIFO by default).
    cost_model : CostModel, optional
        Estimated cost per trade; defaults to ``CostModel.from_settings(costs)``.
    sigma, volume : Mapping of str to float, optional
        Volatility per period and dollar volume per period per symbol, for market impact.
    per_account : Mapping of str to Mapping of str to float, optional
        Weights of single accounts' own value that override the household targets in those accounts.

    Returns
    -------
    TradePlan

    Raises
    ------
    TargetError
        Weights negative, above 1 or not summing to 1.
    AccountError
        ``per_account`` names an unknown account.
    MissingPriceError
        A held or targeted symbol has no positive price.
    LotError
        A lot acquired after ``as_of``.
    """
    allocation = _allocation(target_weights, per_account, household)
    prices = _check_prices(household, allocation, prices)
    _check_lots(household, as_of)
    model = cost_model if cost_model is not None else CostModel.from_settings(costs)
    sigma_of = dict(sigma or {})
    volume_of = dict(volume or {})

    def cost_of(symbol: str, quantity: Decimal) -> Decimal:
        return model.estimate(quantity, prices[symbol], sigma=sigma_of.get(symbol),
                              volume=volume_of.get(symbol))

    step = quantity_step(trading)
    min_trade = costs.min_trade_value
    account_ids = household.account_ids
    floors = {a: (Decimal(repr(float(trading.cash_buffer))) * household.market_value(prices, a)).quantize(
        CENT, rounding=ROUND_UP) for a in account_ids}
    groups = placement_groups(household, prices, allocation.weights, placement=trading.placement,
                              per_account=allocation.per_account, floors=floors)
    notes: list[str] = []
    cash = {a.id: a.cash for a in household.accounts}
    lots_by_account: dict[str, list[TaxLot]] = {a: [] for a in account_ids}
    for lot in household.lots:
        lots_by_account[lot.account].append(lot)

    # -- sells -------------------------------------------------------------------------------------------
    sell_usd: dict[tuple[str, str], Decimal] = {}
    if not trading.buy_only:
        for group in groups:
            sell_usd.update(place_sells(group, household, prices, placement=trading.placement, tax=tax,
                                        as_of=as_of))
    symbol_rank = {s: i for i, s in enumerate(household.symbols)}
    sells: list[Trade] = []
    for account in account_ids:
        wanted = {s: usd for (a, s), usd in sorted(sell_usd.items(), key=lambda kv: symbol_rank[kv[0][1]])
                  if a == account}
        held = {s: household.quantity(s, account) for s in wanted}
        sized, sell_notes = size_sells(account, wanted, held, prices, step=step, min_trade_value=min_trade,
                                       cost_of=cost_of)
        notes.extend(sell_notes)
        for item in sized:
            trade, lots_by_account[account] = _sell(item, lots_by_account[account], as_of, tax)
            sells.append(trade)
            cash[account] += item.value - item.cost

    # -- buys --------------------------------------------------------------------------------------------
    held_usd: dict[tuple[str, str], Decimal] = {}
    for account, lots in lots_by_account.items():
        for lot in lots:
            key = (account, lot.symbol)
            held_usd[key] = held_usd.get(key, ZERO) + lot.quantity * prices[lot.symbol]
    buy_usd: dict[tuple[str, str], Decimal] = {}
    for group in groups:
        buy_usd.update(place_buys(group, household, held_usd, cash, floors))
    target_order = list(allocation.weights) + [s for w in allocation.per_account.values() for s in w]
    target_rank = {s: i for i, s in enumerate(dict.fromkeys(target_order))}
    buys: list[Trade] = []
    new_lots: list[TaxLot] = []
    lot_ids = {lot.lot_id for lot in household.lots}
    for account in account_ids:
        wanted = {s: usd for (a, s), usd in sorted(buy_usd.items(), key=lambda kv: target_rank[kv[0][1]])
                  if a == account}
        if not wanted:
            continue
        floor_text = f"the {_usd(floors[account])} cash buffer" if floors[account] > 0 else "0"
        sized, buy_notes = size_buys(account, wanted, prices, budget=cash[account] - floors[account],
                                     step=step, min_trade_value=min_trade, cost_of=cost_of,
                                     floor_text=floor_text)
        notes.extend(buy_notes)
        for item in sized:
            buys.append(Trade(account=account, symbol=item.symbol, side=Side.BUY, quantity=item.quantity,
                              price=item.price, estimated_cost=item.cost))
            new_lots.append(_new_lot(item, as_of, lot_ids))
            lot_ids.add(new_lots[-1].lot_id)
            cash[account] -= item.value + item.cost

    for account, amount in cash.items():
        if amount < 0:  # pragma: no cover - sizing guarantees it; a failure here is a bug, not bad input
            raise NegativeCashError(f"plan would leave {account} with {amount} dollars of cash")
    after = household.replace(
        accounts=[a.with_cash(cash[a.id]) for a in household.accounts],
        lots=[lot for account in account_ids for lot in lots_by_account[account]] + new_lots)
    trades = tuple(sells + buys)
    value_before = household.market_value(prices)
    traded = sum((t.value for t in trades), ZERO)
    short, long = realized_gains(trades, household)
    return TradePlan(
        trades=trades, before=household, after=after, prices=prices, as_of=as_of,
        transaction_cost=sum((t.estimated_cost for t in trades), ZERO),
        turnover=float(traded / 2 / value_before) if value_before > 0 else 0.0,
        realized_short=short, realized_long=long, estimated_tax=estimate_tax(short, long, tax),
        notes=tuple(notes))


def _usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


# -- input checks ------------------------------------------------------------------------------------------
def _allocation(target_weights: Mapping[str, float] | TargetAllocation,
                per_account: Mapping[str, Mapping[str, float]] | None,
                household: Household) -> TargetAllocation:
    """Validated targets (raises TargetError) whose per-account weights name known accounts."""
    if isinstance(target_weights, TargetAllocation):
        allocation = target_weights
        if per_account is not None:
            allocation = TargetAllocation(allocation.weights, per_account)
    else:
        allocation = TargetAllocation(dict(target_weights), dict(per_account or {}))
    for account in allocation.per_account:
        if account not in household.account_ids:
            raise AccountError(f"per-account targets name unknown account {account!r}", got=account,
                               fix=f"use one of: {', '.join(household.account_ids)}")
    return allocation


def _check_prices(household: Household, allocation: TargetAllocation,
                  prices: Mapping[str, Decimal | float | str]) -> dict[str, Decimal]:
    """Prices as Decimal for every held or targeted symbol; raises MissingPriceError."""
    needed = dict.fromkeys(household.symbols)
    needed.update(dict.fromkeys(s for s in allocation.symbols if allocation.weight(s) > 0))
    for weights in allocation.per_account.values():
        needed.update(dict.fromkeys(s for s, w in weights.items() if s != CASH and w > 0))
    out: dict[str, Decimal] = {}
    for symbol in needed:
        raw = prices.get(symbol)
        value = parse_decimal(raw) if raw is not None else None
        if value is None or value <= 0:
            what = "no price" if raw is None else f"price {raw!r} is not a positive number"
            raise MissingPriceError(f"{what} for {symbol}, which is held or has a target; "
                                    f"fix: add a positive close for {symbol} on or before the plan date")
        out[symbol] = value
    return out


def _check_lots(household: Household, as_of: date) -> None:
    for lot in household.lots:
        if lot.acquired > as_of:
            raise LotError(f"lot of {lot.symbol} in {lot.account} was acquired after the plan date {as_of}",
                           got=lot.acquired.isoformat(),
                           fix="correct the acquisition date or plan at a later date")


# -- lots ------------------------------------------------------------------------------------------------
def _sell(item: SizedTrade, lots: Sequence[TaxLot], as_of: date,
          tax: TaxSettings) -> tuple[Trade, list[TaxLot]]:
    """The sell trade with its lot reliefs, and the account's lots after it."""
    mine = [lot for lot in lots if lot.symbol == item.symbol]
    method = tax.relief_method
    if method is ReliefMethod.SPEC_ID:
        # Specific identification: the planner names the lots, cheapest tax per dollar first.  Lots get
        # positional ids for the call so that missing or repeated ids cannot confuse it.
        tagged = [replace(lot, lot_id=f"#{i}") for i, lot in enumerate(mine)]
        chosen = [lot.lot_id for lot in tax_order(tagged, item.price, tax, as_of)]
        reliefs, remaining = relieve(tagged, item.quantity, price=item.price, sold=as_of, method=method,
                                     specific_ids=chosen)
        original = {f"#{i}": lot.lot_id for i, lot in enumerate(mine)}
        reliefs = [replace(r, lot_id=original[r.lot_id]) for r in reliefs]
        remaining = [replace(lot, lot_id=original[lot.lot_id]) for lot in remaining]
    elif method is ReliefMethod.MIN_TAX:
        from trimtab.tax.rules import TaxRates  # min_tax relief prices the lots with the rates

        reliefs, remaining = relieve(mine, item.quantity, price=item.price, sold=as_of, method=method,
                                     rates=TaxRates.from_settings(tax))
    else:
        reliefs, remaining = relieve(mine, item.quantity, price=item.price, sold=as_of, method=method)
    trade = Trade(account=item.account, symbol=item.symbol, side=Side.SELL, quantity=item.quantity,
                  price=item.price, estimated_cost=item.cost, lots=tuple(reliefs))
    # keep the account's lot order: the symbol's remaining lots where its lots were
    out: list[TaxLot] = []
    placed = False
    for lot in lots:
        if lot.symbol != item.symbol:
            out.append(lot)
        elif not placed:
            out.extend(remaining)
            placed = True
    return trade, out


def _new_lot(item: SizedTrade, as_of: date, taken: set[str]) -> TaxLot:
    """The lot a buy adds: basis = value + estimated cost, acquired on the trade date, id not in ``taken``."""
    stem = f"{item.account}:{item.symbol}:{as_of.isoformat()}"
    n = 1
    while f"{stem}:{n}" in taken:
        n += 1
    return TaxLot(account=item.account, symbol=item.symbol, quantity=item.quantity,
                  cost_basis=item.value + item.cost,
                  acquired=as_of, lot_id=f"{stem}:{n}")
