"""Dollars to shares: whole shares, round lots or fractional; minimum trade; no oversell; cash >= floor.

Rules, applied per account (all amounts Decimal dollars, quantities Decimal shares):

* **Step.** Every quantity is a multiple of the trading step: ``lot_size`` shares (1 = whole shares, 100 =
  round lots) or, with ``fractional``, ``10**-fraction_decimals`` shares.
* **Sells** round the wanted dollars to the nearest step (half up) and never exceed the holding rounded
  down to a step; a sell whose estimated cost is not below its value is dropped (it cannot raise cash).
* **Buys** round to the nearest step when the account can pay for all of them with their costs.  When it
  cannot, every buy is scaled by one common factor ``f`` (the largest that fits, found by bisection;
  quantities rounded down at ``f``) and the cash left is then topped up one step at a time, always to the
  symbol furthest below its wanted dollars, while a step still fits.  What no step can use stays in cash.
* **Minimum trade.** Trades worth less than ``min_trade_value`` dollars are dropped after rounding (a
  dropped buy only leaves more cash).

Every skip and every scale-down is reported as a plain-language note.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np

from trimtab.domain import Side
from trimtab.domain.settings import TradingSettings
from trimtab.domain.slots import slot_builder
from trimtab.units import ZERO

__all__ = [
    "CostFunction",
    "LinearRates",
    "SizedTrade",
    "fit_buys",
    "is_multiple",
    "quantity_step",
    "round_to_step",
    "size_buys",
    "size_sells",
]

#: ``cost_of(symbol, quantity) -> dollars`` (cents) of one trade of ``quantity`` shares.
CostFunction = Callable[[str, Decimal], Decimal]

#: ``(per_dollar, per_share, per_trade)`` when ``cost_of(symbol, q)`` is ``money(per_dollar * q * price +
#: per_share * q + per_trade)`` for ``q > 0`` (linear costs and a ticket, no impact), as
#: :meth:`trimtab.models.costs.CostModel.linear_rates` gives them.  A hint: buy sizing estimates costs
#: with it in float and still takes every cost it relies on from ``cost_of``.
LinearRates = tuple[float, float, float]

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


#: ``_sized(account, symbol, side, quantity, price, cost)``: a ``SizedTrade`` through the slots' setters.
_sized = slot_builder(SizedTrade, ("account", "symbol", "side", "quantity", "price", "cost"))


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
        trades.append(_sized(account, symbol, Side.SELL, quantity, price, cost))
    return trades, notes


def fit_buys(wanted_usd: Mapping[str, Decimal], prices: Mapping[str, Decimal], *, budget: Decimal,
             step: Decimal, cost_of: CostFunction, rates: LinearRates | None = None
             ) -> tuple[dict[str, Decimal], bool]:
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
    rates : LinearRates, optional
        The cost per dollar, per share and per trade when ``cost_of`` is linear plus a ticket (a speed
        hint: the result is the same without it).

    Returns
    -------
    quantities : dict of str to Decimal
        Shares per symbol (multiples of ``step``, maybe zero), total cost within ``budget``.
    scaled : bool
        True when the nearest-step quantities did not fit and the buys were scaled down.
    """
    quantities, scaled, _lines = _fit_buys(wanted_usd, prices, budget=budget, step=step, cost_of=cost_of,
                                           rates=rates)
    return quantities, scaled


def _fit_buys(wanted_usd: Mapping[str, Decimal], prices: Mapping[str, Decimal], *, budget: Decimal,
              step: Decimal, cost_of: CostFunction, rates: LinearRates | None = None
              ) -> tuple[dict[str, Decimal], bool, _BuyLines]:
    """:func:`fit_buys`, plus the costs it knows (:class:`_BuyLines`, for the trades' costs).

    The common scale is found by bisection on ``total(at(scale)) <= budget`` (40 halvings of [0, 1],
    keeping the low end affordable).  For speed, without changing the result:

    * with ``rates`` (linear costs), the scale where the total first exceeds the budget is found in float
      (:func:`_linear_threshold`) and each bisection step is judged by comparing with it, exactly only
      when within ``1e-14`` (relative) of it.  The total is non-decreasing in the scale, so the exact path
      is reproduced when the largest scale judged affordable by estimate is affordable and the smallest
      judged unaffordable is not; both are checked exactly at the end, and if either check fails the
      general path below runs;
    * otherwise each bisection step is first judged by a float estimate of the total
      (:class:`_FloatTotals`); only the steps where the estimate is within its error margin of the budget
      are evaluated exactly, and the two ends are checked in the same way (if either check fails the
      bisection is redone exactly);
    * exact totals take quantities in whole steps from a float ratio (Decimal when within 1e-9 of a step
      boundary) and costs from :class:`_BuyLines`, which knows a cost without asking the cost model when
      two computed costs of the same symbol around it are equal (costs are non-decreasing in quantity).
    """
    wanted = {s: usd for s, usd in wanted_usd.items() if usd > 0}
    lines = _BuyLines(prices, step, cost_of)
    if not wanted:
        return {}, False, lines
    line = lines.line

    def total(quantities: Mapping[str, Decimal]) -> Decimal:
        return sum((line(s, q) for s, q in quantities.items()), ZERO)

    def nearest_steps() -> dict[str, Decimal]:
        return {s: round_to_step(usd / prices[s], step) for s, usd in wanted.items()}

    steps = _StepCounts(wanted, prices, step)
    # With linear costs whose estimate says that even at(1) <= nearest is over the budget, the exact check
    # of nearest waits: the exact costs of the fit below usually prove it without asking for its costs.
    deferred = rates is not None and budget > 0 and _surely_over_at_one(steps, rates, budget)
    if not deferred:
        nearest = nearest_steps()
        if total(nearest) <= budget:
            return nearest, False, lines
    if budget <= 0:
        return {s: ZERO for s in wanted}, True, lines

    def at(scale: Decimal) -> dict[str, Decimal]:
        return {s: round_to_step(scale * usd / prices[s], step, ROUND_DOWN) for s, usd in wanted.items()}

    low: Decimal | None = None
    spent: Decimal | None = None
    if rates is not None:
        fits = _ExactTotals(steps, lines, budget)  # fits(scale): total(at(scale)) <= budget
        threshold = _linear_threshold(steps, rates, budget)
        if threshold is not None:
            judge = _Judge(threshold, fits)
            guessed = _bisect_from_one(judge)
            if _confirmed(guessed, fits):
                low = guessed[0]
                spent = fits.total_at(low)
        if deferred and not (low is not None and fits.over_at_one()):
            nearest = nearest_steps()
            if total(nearest) <= budget:
                return nearest, False, lines
    if low is None:
        low = _general_scale(steps, nearest_steps(), lines, budget)
    quantities = at(low)
    if spent is None:
        spent = total(quantities)
    # Top up: one step at a time to the symbol furthest below its wanted dollars among those whose next
    # step still fits.  The total only grows and a symbol's next step costs the same until it is taken, so
    # a symbol whose next step does not fit never will: it leaves the queue (ascending; the last is next).
    queue = sorted(item for item in ((wanted[s] - q * prices[s], s) for s, q in quantities.items())
                   if item[0] > 0)
    unit = {s: prices[s] * step for s in wanted}  # a step's value: it costs at least that
    # a step worth more than the room cannot fit; the slack covers the 28-digit rounding of the totals
    slack = (abs(budget) + 1) * Decimal("1e-15")
    room = budget - spent + slack
    for _ in range(4 * len(wanted) + 4):
        while queue:
            _gap, symbol = queue.pop()
            if unit[symbol] > room:  # cannot fit (costs are non-decreasing)
                continue
            more = line(symbol, quantities[symbol] + step) - line(symbol, quantities[symbol])
            if spent + more <= budget:
                quantities[symbol] += step
                gap = wanted[symbol] - quantities[symbol] * prices[symbol]
                if gap > 0:
                    bisect.insort(queue, (gap, symbol))
                spent += more
                room = budget - spent + slack
                break
        else:
            break
    return quantities, True, lines


def _general_scale(steps: _StepCounts, nearest: Mapping[str, Decimal], lines: _BuyLines,
                   budget: Decimal) -> Decimal:
    """The bisection's low end for any cost function: judged by :class:`_FloatTotals` where it can."""
    fits = _Affordable(steps, lines, budget)  # fits(scale): total(at(scale)) <= budget
    estimate = _FloatTotals(steps, nearest, lines, budget)  # before fits(1): its anchor helps lines infer
    low, high = Decimal(0), Decimal(1)
    if fits(high):
        low = high
    if low < high:
        guessed = _bisect(low, high, lambda scale: estimate.fits(scale, budget, fits))
        if _confirmed(guessed, fits):
            low = guessed[0]
        else:  # the float estimate misjudged a step (rare): the exact path
            exact = _Affordable(steps, lines, budget)  # fresh: the misjudged scales may have moved fits' ends
            low = _bisect(low, high, lambda scale: (exact(scale), False))[0]
    return low


def _surely_over_at_one(steps: _StepCounts, rates: LinearRates, budget: Decimal) -> bool:
    """Whether the linear cost estimate puts ``total(at(1))`` over ``budget`` by a clear margin (a hint)."""
    per_dollar, per_share, per_trade = rates
    unit = steps.values * (1.0 + per_dollar) + per_share * steps.fstep  # value and cost of a step, dollars
    lowest = float((steps.ratios - 1.0) @ unit) - 0.01 * len(unit)  # whole steps and cents rounded down
    return lowest > float(budget) * (1.0 + 1e-9) + 0.01


class _Judge:
    """``judge(scale) -> (affordable, estimated)``: below ``threshold`` by estimate, by ``exact`` within
    ``1e-14`` (relative) of it (bounds as Decimal, so the scales are compared without conversion)."""

    def __init__(self, threshold: float, exact: Callable[[Decimal], bool]) -> None:
        finite = math.isfinite(threshold)
        self.below = Decimal(threshold * (1.0 - 1e-14)) if finite else None
        self.above = Decimal(threshold * (1.0 + 1e-14)) if finite else None
        self.exact = exact

    def __call__(self, scale: Decimal) -> tuple[bool, bool]:
        if self.below is None or scale < self.below:
            return True, True
        if scale > self.above:  # type: ignore[operator]
            return False, True
        return self.exact(scale), False


def _bisect_from_one(judge: Callable[[Decimal], tuple[bool, bool]]) -> _Bisection:
    """Scale 1 if ``judge`` finds it affordable, else :func:`_bisect` of ``[0, 1]``, both ends tracked."""
    one = Decimal(1)
    affordable, estimated = judge(one)
    if affordable:
        return one, (one if estimated else None), None
    low, yes, no = _bisect(Decimal(0), one, judge)
    return low, yes, (no if no is not None else (one if estimated else None))


def _linear_threshold(steps: _StepCounts, rates: LinearRates, budget: Decimal) -> float | None:
    """The scale where ``total(at(scale))`` first exceeds ``budget``, in float (``inf`` if 1 fits).

    Costs are taken as ``money(q * (per_dollar * price + per_share) + per_trade)`` in whole cents and counts
    as float floors, so the float total is exact up to rounding far below a cent, except at cent ties and
    count boundaries (then a bisection step may be misjudged, which :func:`_confirmed` catches).  The total
    is within a few dollars of linear in the scale: a secant step comes within a few steps per symbol of
    the answer, and every step of every symbol in a small window around it is then walked in scale order
    until the budget is exceeded.  None when no window is found (then the general path decides).
    """
    per_dollar, per_share, per_trade = rates
    ratios = steps.ratios
    values = steps.values
    fstep = steps.fstep
    per_step = 100.0 * (per_dollar * steps.fprices + per_share) * fstep  # cents per step
    ticket = 100.0 * per_trade + 0.5  # cents per trade, plus the half cent of rounding half up
    limit = float(budget)

    def cents(counts: np.ndarray, rate: np.ndarray) -> np.ndarray:
        out = np.floor(counts * rate + ticket)
        out[counts <= 0] = 0.0
        return out

    def total(scale: float) -> float:
        counts = np.floor(scale * ratios)
        return float(counts @ values + cents(counts, per_step).sum() / 100.0)

    n = len(ratios)
    slope = float(ratios @ (values + per_step / 100.0))  # dollars per unit of scale
    spread = float(values.sum() + per_step.sum() / 100.0) + 0.01 * n + per_trade * n  # total - slope * scale
    if not slope > 0:
        return None
    if slope - spread <= limit and total(1.0) <= limit:  # (the total at 1 is at least slope - spread)
        return math.inf
    # A secant step from the linear guess lands within a few steps per symbol of the answer; from an
    # affordable scale at or below it, the steps are walked in windows of a few steps per symbol.
    scale = min(1.0, max(0.0, (limit - per_trade * n) / slope))
    scale = min(1.0, max(0.0, scale + (limit - total(scale)) / slope))
    width = float(values.sum()) / slope  # a step of every symbol
    low, at_low = scale, total(scale)
    for _ in range(64):  # total(0) = 0 <= limit: this ends
        if at_low <= limit:
            break
        low, width = max(0.0, low - width), 2.0 * width
        at_low = total(low)
    else:
        return None
    for _ in range(64):
        high = min(1.0, low + 2.0 * width)
        first, last = np.floor(low * ratios), np.floor(high * ratios)
        if float((last - first).sum()) > 4096:  # too many steps to walk: a narrower window
            width *= 0.25
            continue
        counts = (last - first).astype(np.int64)
        which = np.repeat(np.arange(n), counts)
        k = first[which] + (np.arange(which.size) - np.repeat(np.cumsum(counts) - counts, counts)) + 1.0
        at = k / ratios[which]  # the scale where symbol ``which`` reaches ``k`` steps
        rate = per_step[which]
        more = values[which] + (cents(k, rate) - cents(k - 1.0, rate)) / 100.0
        order = np.argsort(at, kind="stable")
        over = np.flatnonzero(at_low + np.cumsum(more[order]) > limit)
        if over.size:
            return float(at[order[over[0]]])
        if high >= 1.0:
            return None
        low, at_low, width = high, total(high), 2.0 * width
    return None


class _ExactTotals:
    """``fits(scale)``: whether ``total(at(scale)) <= budget``, summed in Decimal (for the few exact checks
    of the linear path, where float pre-checks would cost more than they save).

    ``low`` is the largest affordable scale seen, with its step counts and total (dollars).
    """

    def __init__(self, steps: _StepCounts, lines: _BuyLines, budget: Decimal) -> None:
        self.steps = steps
        self.lines = lines
        self.budget = budget
        self.verdicts: dict[tuple[int, ...], tuple[bool, Decimal, Decimal]] = {}
        #: (value plus cost, cost) of a buy by symbol and count, dollars (the checks share most of them)
        self._lines: dict[tuple[str, int], tuple[Decimal, Decimal]] = {}
        #: the largest affordable scale seen: (scale, step counts, total, sum of the costs), dollars
        self.low: tuple[Decimal, tuple[int, ...], Decimal, Decimal] | None = None

    def __call__(self, scale: Decimal) -> bool:
        counts, _array = self.steps.at(scale)
        known = self.verdicts.get(counts)
        if known is None:
            step, prices, cost = self.steps.step, self.steps.prices, self.lines.decimal_cost
            lines = self._lines
            spent = costs = ZERO  # line by line in symbol order, as total() adds them (a zero line adds 0)
            for symbol, count in zip(self.steps.symbols, counts, strict=True):
                if count > 0:
                    line = lines.get((symbol, count))
                    if line is None:
                        quantity = Decimal(count) * step
                        fee = cost(symbol, count, quantity)
                        line = lines[(symbol, count)] = (quantity * prices[symbol] + fee, fee)
                    spent += line[0]
                    costs += line[1]
            known = self.verdicts[counts] = (spent <= self.budget, spent, costs)
        if known[0] and (self.low is None or scale > self.low[0]):
            self.low = (scale, counts, known[1], known[2])
        return known[0]

    def total_at(self, scale: Decimal) -> Decimal | None:
        """The exact total at ``scale`` when it was evaluated as affordable and is the largest such."""
        return self.low[2] if self.low is not None and self.low[0] == scale else None

    def over_at_one(self) -> bool:
        """Whether ``total(nearest) > budget`` follows from the largest affordable counts seen (exact costs).

        ``nearest >= at(1) >= at(scale)`` for every symbol, and costs are non-decreasing in the quantity, so
        ``total(nearest) >= sum(at(1) * price) + sum(cost(at(scale)))``; ``at(1)`` is bounded below by the
        float count minus one.
        """
        if self.low is None:
            return False
        whole = np.maximum(np.floor(self.steps.ratios) - 1.0, 0.0)
        bound = float(whole @ self.steps.values) + float(self.low[3])
        limit = float(self.budget)
        return bound - limit > 4e-16 * (len(whole) + 8) * (abs(bound) + abs(limit)) + 1e-12


class _Affordable:
    """``fits(scale)``: whether ``total(at(scale)) <= budget``, exactly, for the bisection of :func:`_fit_buys`.

    The total ``sum(line(symbol, count * step))`` (in ``steps.symbols`` order, from 0) is taken in float
    first from the exact costs, and redone in Decimal only when it is within ``4e-16 * (n + 8)`` (relative)
    of the budget -- over three times the float error bound of the sum of ``2 n`` positive terms (each
    term within 4 roundings of its exact value, the sums within ``n`` more).  The costs come from
    :class:`_BuyLines`; between the largest affordable and the smallest unaffordable step counts seen so
    far, a symbol whose cost is the same at both ends has that cost in between (costs are non-decreasing in
    the quantity), so only the other symbols are looked up.
    """

    def __init__(self, steps: _StepCounts, lines: _BuyLines, budget: Decimal) -> None:
        self.steps = steps
        self.lines = lines
        self.budget = budget
        self.limit = float(budget)
        self.step_values = np.array(steps.step_values)
        #: verdict and float cost per symbol, by step counts
        self.verdicts: dict[tuple[int, ...], tuple[bool, np.ndarray]] = {}
        #: (counts, costs) of the largest affordable and the smallest unaffordable counts seen
        self.low: tuple[np.ndarray, np.ndarray] | None = None
        self.high: tuple[np.ndarray, np.ndarray] | None = None
        self.low_scale = self.high_scale = Decimal(0)
        #: symbols with one cost across [low, high], and the others' indices
        self.bracket: tuple[np.ndarray, list[int]] | None = None
        #: low and high counts, the indices where they differ, low counts as ints
        self.between: tuple[np.ndarray, np.ndarray, list[int], list[int]] | None = None

    def __call__(self, scale: Decimal) -> bool:
        counts, array = self._counts(scale)
        known = self.verdicts.get(counts)
        if known is None:
            known = self.verdicts[counts] = self._affordable(counts, array, scale)
        verdict, costs = known
        # counts are non-decreasing in the scale: a larger affordable scale has counts >= low's
        if verdict and (self.low is None or scale > self.low_scale):
            self.low, self.bracket, self.low_scale = (array, costs), None, scale
        elif not verdict and (self.high is None or scale < self.high_scale):
            self.high, self.bracket, self.high_scale = (array, costs), None, scale
        return verdict

    def _counts(self, scale: Decimal) -> tuple[tuple[int, ...], np.ndarray]:
        """``steps.at(scale)``; between two evaluated scales only the symbols whose counts differ there are
        computed (counts are non-decreasing in the scale)."""
        low, high = self.low, self.high
        if low is None or high is None or not self.low_scale <= scale <= self.high_scale:
            return self.steps.at(scale)
        if self.between is None or self.between[0] is not low[0] or self.between[1] is not high[0]:
            differ = np.flatnonzero(low[0] != high[0]).tolist()
            self.between = (low[0], high[0], differ, [int(c) for c in low[0].tolist()])
        _low, _high, differ, base = self.between
        if len(differ) > 8:
            return self.steps.at(scale)
        counts = list(base)
        for i in differ:
            counts[i] = self.steps.count(i, scale)
        return tuple(counts), np.array(counts, dtype=float)

    def _cost(self, i: int, count: int) -> float:
        return self.lines.cost_in_steps(self.steps.symbols[i], count)[1] if count > 0 else 0.0

    def _affordable(self, counts: tuple[int, ...], array: np.ndarray, scale: Decimal) -> tuple[bool, np.ndarray]:
        low, high = self.low, self.high
        if low is not None and high is not None and self.low_scale <= scale <= self.high_scale:
            if self.bracket is None:
                same = (low[1] == high[1]) & ((low[0] > 0) == (high[0] > 0))
                self.bracket = same, np.flatnonzero(~same).tolist()
            same, varying = self.bracket
            costs = np.where(same, low[1], 0.0)
            for i in varying:
                costs[i] = self._cost(i, counts[i])
        else:
            costs = np.array([self._cost(i, count) for i, count in enumerate(counts)])
        approx = float(np.dot(array, self.step_values)) + float(costs.sum())
        # float error: about (n + 4) roundings of 1.1e-16 relative to the sum of the (positive) terms
        if abs(approx - self.limit) > 4e-16 * (len(counts) + 8) * (abs(approx) + abs(self.limit)) + 1e-12:
            return approx <= self.limit, costs
        spent = ZERO
        step = self.steps.step
        for symbol, count in zip(self.steps.symbols, counts, strict=True):
            if count > 0:
                spent += self.lines.line(symbol, Decimal(count) * step)
        return spent <= self.budget, costs


class _BuyLines:
    """Value plus cost of one buy, ``quantity * price + cost_of(symbol, quantity)``, memoized.

    A cost of ``q`` steps is not asked of the cost model when the nearest quantities below and above with
    known costs have the same cost: costs are non-decreasing in the quantity, so it is that cost.
    """

    def __init__(self, prices: Mapping[str, Decimal], step: Decimal, cost_of: CostFunction) -> None:
        self.prices = prices
        self.step = step
        self.cost_of = cost_of
        self._lines: dict[tuple[str, Decimal], Decimal] = {}
        self._by_quantity: dict[tuple[str, Decimal], Decimal] = {}
        #: per symbol: cost by quantity in steps, and its float when asked for
        self._costs: dict[str, dict[int, Decimal]] = {}
        self._floats: dict[tuple[str, int], float] = {}
        #: per symbol: quantities in steps with known costs, ascending, and those costs
        self._grid: dict[str, tuple[list[int], list[Decimal]]] = {}

    def line(self, symbol: str, quantity: Decimal) -> Decimal:
        """Dollars of ``quantity`` shares plus their cost (0 for no shares)."""
        if quantity <= 0:
            return ZERO
        key = (symbol, quantity)
        known = self._lines.get(key)
        if known is None:
            known = self._lines[key] = quantity * self.prices[symbol] + self.cost(symbol, quantity)
        return known

    def cost(self, symbol: str, quantity: Decimal) -> Decimal:
        """``cost_of(symbol, quantity)`` for ``quantity > 0`` shares (a multiple of the step), dollars."""
        key = (symbol, quantity)
        known = self._by_quantity.get(key)
        if known is None:
            count = int(quantity / self.step)
            known = self._by_quantity[key] = self.decimal_cost(symbol, count, quantity)
        return known

    def cost_in_steps(self, symbol: str, count: int, quantity: Decimal | None = None) -> tuple[Decimal, float]:
        """The cost of ``count > 0`` steps of ``symbol`` (``quantity`` shares if given), Decimal and float."""
        cost = self.decimal_cost(symbol, count, quantity)
        key = (symbol, count)
        known = self._floats.get(key)
        if known is None:
            known = self._floats[key] = float(cost)
        return cost, known

    def decimal_cost(self, symbol: str, count: int, quantity: Decimal | None = None) -> Decimal:
        """The cost of ``count > 0`` steps of ``symbol`` (``quantity`` shares if given), dollars."""
        by_count = self._costs.get(symbol)
        if by_count is None:
            by_count = self._costs[symbol] = {}
            self._grid[symbol] = ([], [])
        known = by_count.get(count)
        if known is not None:
            return known
        counts, costs = self._grid[symbol]
        i = bisect.bisect_left(counts, count)
        if 0 < i < len(counts) and costs[i - 1] == costs[i]:
            cost = costs[i]
        else:
            cost = self.cost_of(symbol, quantity if quantity is not None else Decimal(count) * self.step)
        counts.insert(i, count)
        costs.insert(i, cost)
        by_count[count] = cost
        return cost


class _StepCounts:
    """Whole steps ``floor(scale * usd / price / step)`` per symbol, as the Decimal arithmetic gives them.

    Computed in float; a symbol whose float ratio is within ``1e-9`` (relative) of a whole step is computed
    in Decimal exactly as :func:`round_to_step` does (the two agree far inside that margin).
    """

    def __init__(self, wanted: Mapping[str, Decimal], prices: Mapping[str, Decimal], step: Decimal) -> None:
        self.symbols = list(wanted)
        self.wanted = wanted
        self.prices = prices
        self.step = step
        self.fstep = float(step)
        #: dollars per share of each symbol (float)
        self.fprices = np.array([float(prices[s]) for s in self.symbols])
        self.ratios = np.array([float(wanted[s]) for s in self.symbols]) / self.fprices / self.fstep
        #: dollars of one step of each symbol (float)
        self.values = self.fprices * self.fstep
        self.step_values = self.values.tolist()

    def count(self, i: int, scale: Decimal) -> int:
        """Steps of symbol ``i`` at ``scale`` (as :meth:`at`)."""
        x = float(scale) * float(self.ratios[i])
        count = math.floor(x)
        if min(x - count, count + 1 - x) <= 1e-9 * (abs(x) + 1.0):  # too close to call in float
            s = self.symbols[i]
            count = int((scale * self.wanted[s] / self.prices[s] / self.step).to_integral_value(
                rounding=ROUND_DOWN))
        return count

    def at(self, scale: Decimal) -> tuple[tuple[int, ...], np.ndarray]:
        """Steps per symbol at ``scale``, in ``symbols`` order: as a tuple and as a float array."""
        x = float(scale) * self.ratios
        counts = np.floor(x)
        close = np.flatnonzero(np.minimum(x - counts, counts + 1.0 - x) <= 1e-9 * (np.abs(x) + 1.0))
        out: list[int] = [int(c) for c in counts.tolist()]
        if close.size:
            for i in close.tolist():  # too close to call in float: as round_to_step does
                s = self.symbols[i]
                out[i] = int((scale * self.wanted[s] / self.prices[s] / self.step).to_integral_value(
                    rounding=ROUND_DOWN))
            counts = np.array(out, dtype=float)
        return tuple(out), counts


#: One bisection: (low, largest scale judged affordable by estimate, smallest judged unaffordable by it).
_Bisection = tuple[Decimal, Decimal | None, Decimal | None]


def _bisect(low: Decimal, high: Decimal, judge: Callable[[Decimal], tuple[bool, bool]]) -> _Bisection:
    """``_BISECTION_STEPS`` halvings of ``[low, high]`` keeping ``judge(low)`` affordable.

    ``judge(scale) -> (affordable, estimated)``; the scales judged by estimate only are tracked so that
    :func:`_confirmed` can check them.
    """
    estimated_yes: Decimal | None = None
    estimated_no: Decimal | None = None
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        affordable, estimated = judge(middle)
        if affordable:
            low = middle
            if estimated:
                estimated_yes = middle  # low only grows: the last one is the largest
        else:
            high = middle
            if estimated:
                estimated_no = middle  # high only shrinks: the last one is the smallest
    return low, estimated_yes, estimated_no


def _confirmed(bisection: _Bisection, fits: Callable[[Decimal], bool]) -> bool:
    """Whether the estimated steps of ``bisection`` agree with the exact test (monotone in the scale)."""
    _low, yes, no = bisection
    return (yes is None or fits(yes)) and (no is None or not fits(no))


class _FloatTotals:
    """Float estimate of ``total(at(scale))`` with a safety margin, for the bisection of :func:`_fit_buys`.

    The cost of a buy is estimated by the affine function (per step) through its exact cost at two
    quantities: the nearest-step quantity and the quantity at a scale just below where a proportional cost
    estimate meets the budget (whose costs also let :class:`_BuyLines` infer the costs near the answer
    without asking the cost model).  The quantities are not rounded to steps, so the estimate is linear in
    the scale.  The margin allows 2 cents per symbol (cent rounding of three costs), 0.01 % of the costs
    (curvature of market impact), 2 cents per symbol for every anchor distance away from the anchor (the
    slope is uncertain by that much) and, below, one step of every symbol.  The estimate decides a
    bisection step only outside its margin; otherwise ``exact`` decides, and a misjudged step (possible
    with fixed ticket costs or strong impact) is caught by :func:`_confirmed`.
    """

    def __init__(self, steps: _StepCounts, nearest: Mapping[str, Decimal], lines: _BuyLines,
                 budget: Decimal) -> None:
        self.steps = steps
        step, prices = steps.step, steps.prices
        unit = np.array(steps.step_values)
        n1 = np.array([float(nearest[s] / step) for s in steps.symbols])
        c1 = np.array([lines.cost(s, nearest[s]) if nearest[s] > 0 else 0.0 for s in steps.symbols], dtype=float)
        # the scale where a proportional estimate meets the budget, a little below it: the second anchor
        proportional = float(np.dot(steps.ratios, unit + np.divide(c1, n1, out=np.zeros_like(c1), where=n1 > 0)))
        guess = min(1.0, float(budget) / proportional) if proportional > 0 else 1.0
        self.anchor = max(0.0, guess * (1.0 - 1e-3))
        counts, _array = steps.at(Decimal(repr(self.anchor)))
        self.fixed: list[float] = []
        self.per_step: list[float] = []
        margin = widening = 0.0
        for i, s in enumerate(steps.symbols):
            q0 = Decimal(counts[i]) * step
            c0 = float(lines.cost(s, q0)) if q0 > 0 else c1[i]
            n0 = float(counts[i])
            slope = (c1[i] - c0) / (n1[i] - n0) if n1[i] > n0 else (c1[i] / n1[i] if n1[i] > 0 else 0.0)
            self.per_step.append(float(prices[s]) * float(step) + slope)
            self.fixed.append(c1[i] - slope * n1[i])
            margin += 0.02 + 1e-4 * abs(c1[i])
            # the slope is uncertain by 2 cents over the anchors' distance: more margin away from them
            widening += 0.02 * float(steps.ratios[i]) / max(n1[i] - n0, 1.0)
        self.margin = margin
        self.widening = widening
        self.slope = float(np.dot(steps.ratios, self.per_step))
        self.intercept = sum(self.fixed)
        self.rounding = sum(self.per_step)

    def fits(self, scale: Decimal, budget: Decimal, exact: Callable[[Decimal], bool]) -> tuple[bool, bool]:
        """``(affordable, estimated)`` at ``scale``: by estimate when clear, else by ``exact``.

        The estimate is linear in the scale, without rounding to steps: the total lies between it minus
        one step of every symbol and it.
        """
        estimate = float(scale) * self.slope + self.intercept
        gap = float(budget) - estimate
        margin = self.margin + self.widening * abs(float(scale) - self.anchor)
        if gap > margin:
            return True, True
        if gap < -margin - self.rounding:
            return False, True
        return exact(scale), False


def size_buys(account: str, wanted_usd: Mapping[str, Decimal], prices: Mapping[str, Decimal], *,
              budget: Decimal, step: Decimal, min_trade_value: Decimal, cost_of: CostFunction,
              floor_text: str = "0", rates: LinearRates | None = None) -> tuple[list[SizedTrade], list[str]]:
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
    rates : LinearRates, optional
        Cost per dollar, per share and per trade when ``cost_of`` is linear plus a ticket (a speed hint,
        see :func:`fit_buys`).

    Returns
    -------
    trades : list of SizedTrade
        In the order of ``wanted_usd``.
    notes : list of str
    """
    quantities, scaled, lines = _fit_buys(wanted_usd, prices, budget=budget, step=step, cost_of=cost_of,
                                          rates=rates)
    cost = lines.cost  # the fit's costs: the same values, each asked of the cost model once
    values = {s: q * prices[s] for s, q in quantities.items()}  # dollars bought per symbol
    fees = {s: cost(s, q) for s, q in quantities.items() if q > 0}  # dollars per bought symbol

    notes: list[str] = []
    if scaled:
        wanted_total = sum((usd for usd in wanted_usd.values() if usd > 0), ZERO)
        bought = sum(values.values(), ZERO)
        left = budget - sum((values[s] + fee for s, fee in fees.items()), ZERO)
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
        value = values[symbol]
        if value < min_trade_value:
            notes.append(f"buy of {quantity} {symbol} in {account} ({_usd(value)}) below min_trade_value "
                         f"{_usd(min_trade_value)}: skipped")
            continue
        trades.append(_sized(account, symbol, Side.BUY, quantity, price, fees[symbol]))
    return trades, notes
