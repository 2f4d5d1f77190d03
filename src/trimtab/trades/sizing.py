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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np

from trimtab.domain import Side
from trimtab.domain.settings import TradingSettings
from trimtab.units import ZERO

__all__ = [
    "CostFunction",
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
    quantities, scaled, _costs = _fit_buys(wanted_usd, prices, budget=budget, step=step, cost_of=cost_of)
    return quantities, scaled


def _fit_buys(wanted_usd: Mapping[str, Decimal], prices: Mapping[str, Decimal], *, budget: Decimal,
              step: Decimal, cost_of: CostFunction
              ) -> tuple[dict[str, Decimal], bool, dict[tuple[str, Decimal], Decimal]]:
    """:func:`fit_buys`, plus the costs ``cost_of(symbol, quantity)`` it knows, by ``(symbol, quantity)``.

    The common scale is found by bisection on ``total(at(scale)) <= budget`` (40 halvings of [0, 1],
    keeping the low end affordable).  For speed, without changing the result:

    * each bisection step is first judged by a float estimate of the total (:class:`_FloatTotals`); only
      the steps where the estimate is within its error margin of the budget are evaluated exactly.  The
      total is non-decreasing in the scale, so the exact path is reproduced when the largest scale judged
      affordable by estimate is affordable and the smallest judged unaffordable is not; both are checked
      exactly at the end, and if either check fails the bisection is redone exactly;
    * exact totals take quantities in whole steps from a float ratio (Decimal when within 1e-9 of a step
      boundary) and costs from :class:`_BuyLines`, which knows a cost without asking the cost model when
      two computed costs of the same symbol around it are equal (costs are non-decreasing in quantity).
    """
    wanted = {s: usd for s, usd in wanted_usd.items() if usd > 0}
    lines = _BuyLines(prices, step, cost_of)
    if not wanted:
        return {}, False, lines.costs
    line = lines.line

    def total(quantities: Mapping[str, Decimal]) -> Decimal:
        return sum((line(s, q) for s, q in quantities.items()), ZERO)

    nearest = {s: round_to_step(usd / prices[s], step) for s, usd in wanted.items()}
    if total(nearest) <= budget:
        return nearest, False, lines.costs
    if budget <= 0:
        return {s: ZERO for s in wanted}, True, lines.costs

    def at(scale: Decimal) -> dict[str, Decimal]:
        return {s: round_to_step(scale * usd / prices[s], step, ROUND_DOWN) for s, usd in wanted.items()}

    steps = _StepCounts(wanted, prices, step)
    verdicts: dict[tuple[int, ...], bool] = {}

    def fits(scale: Decimal) -> bool:  # total(at(scale)) <= budget
        counts = steps.at(scale)
        verdict = verdicts.get(counts)
        if verdict is None:
            verdict = verdicts[counts] = _affordable(steps, counts, lines, budget)
        return verdict

    low, high = Decimal(0), Decimal(1)
    if fits(high):
        low = high
    if low < high:
        estimate = _FloatTotals(steps, nearest, line)
        guessed = _bisect(low, high, lambda scale: estimate.fits(scale, budget, fits))
        if _confirmed(guessed, fits):
            low = guessed[0]
        else:  # pragma: no cover - only when the float estimate misjudged a step (fallback: exact path)
            low = _bisect(low, high, lambda scale: (fits(scale), False))[0]
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
    return quantities, True, lines.costs


def _affordable(steps: _StepCounts, counts: tuple[int, ...], lines: _BuyLines, budget: Decimal) -> bool:
    """Whether ``sum(line(symbol, count * step))`` (in ``steps.symbols`` order, from 0) is ``<= budget``.

    The sum is taken in float first, from the exact costs; only when it is within ``1e-10`` (relative) of
    the budget -- far above the float error of a sum of 2 x 50 terms -- is it redone in Decimal.
    """
    step = steps.step
    approx = 0.0
    for symbol, count, unit_value in zip(steps.symbols, counts, steps.step_values, strict=True):
        if count > 0:
            approx += count * unit_value + float(lines.cost(symbol, Decimal(count) * step))
    limit = float(budget)
    if abs(approx - limit) > 1e-10 * (abs(approx) + abs(limit)) + 1e-9:
        return approx <= limit
    spent = ZERO
    for symbol, count in zip(steps.symbols, counts, strict=True):
        if count > 0:
            spent += lines.line(symbol, Decimal(count) * step)
    return spent <= budget


class _BuyLines:
    """Value plus cost of one buy, ``quantity * price + cost_of(symbol, quantity)``, memoized.

    A cost of ``q`` steps is not asked of the cost model when the nearest quantities below and above with
    known costs have the same cost: costs are non-decreasing in the quantity, so it is that cost.
    """

    def __init__(self, prices: Mapping[str, Decimal], step: Decimal, cost_of: CostFunction) -> None:
        self.prices = prices
        self.step = step
        self.cost_of = cost_of
        #: cost per (symbol, quantity) as the cost model gives it (or would give it), dollars
        self.costs: dict[tuple[str, Decimal], Decimal] = {}
        self._lines: dict[tuple[str, Decimal], Decimal] = {}
        #: per symbol: quantities in steps with known costs (ascending) and those costs
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
        known = self.costs.get(key)
        if known is not None:
            return known
        counts, costs = self._grid.setdefault(symbol, ([], []))
        count = int(quantity / self.step)
        i = bisect.bisect_left(counts, count)
        if 0 < i < len(counts) and costs[i - 1] == costs[i]:
            cost = costs[i]
        else:
            cost = self.cost_of(symbol, quantity)
        counts.insert(i, count)
        costs.insert(i, cost)
        self.costs[key] = cost
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
        self.ratios = np.array([float(wanted[s]) / float(prices[s]) / float(step) for s in self.symbols])
        #: dollars of one step of each symbol (float)
        self.step_values = [float(prices[s]) * float(step) for s in self.symbols]

    def at(self, scale: Decimal) -> tuple[int, ...]:
        """Steps per symbol at ``scale``, in ``symbols`` order."""
        x = float(scale) * self.ratios
        counts = np.floor(x)
        close = np.minimum(x - counts, counts + 1.0 - x) <= 1e-9 * (np.abs(x) + 1.0)
        out: list[int] = [int(c) for c in counts.tolist()]
        for i in np.flatnonzero(close).tolist():  # too close to call in float: as round_to_step does
            s = self.symbols[i]
            out[i] = int((scale * self.wanted[s] / self.prices[s] / self.step).to_integral_value(
                rounding=ROUND_DOWN))
        return tuple(out)


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
    quantities, the nearest-step quantity and half of it; the margin allows 2 cents per symbol (cent
    rounding of three costs) plus 0.01 % of the costs (curvature of market impact).  The estimate decides a
    step only outside its margin; otherwise ``exact`` decides (and a misjudged step is caught by
    :func:`_confirmed`).
    """

    def __init__(self, steps: _StepCounts, nearest: Mapping[str, Decimal],
                 line: Callable[[str, Decimal], Decimal]) -> None:
        self.steps = steps
        step, prices = steps.step, steps.prices
        self.fixed: list[float] = []
        self.per_step: list[float] = []
        margin = 0.0
        for s in steps.symbols:
            q1 = nearest[s]
            q0 = round_to_step(q1 / 2, step, ROUND_DOWN)
            c1 = float(line(s, q1) - q1 * prices[s]) if q1 > 0 else 0.0
            c0 = float(line(s, q0) - q0 * prices[s]) if q0 > 0 else c1
            n1, n0 = float(q1 / step), float(q0 / step)
            slope = (c1 - c0) / (n1 - n0) if n1 > n0 else (c1 / n1 if n1 > 0 else 0.0)
            self.per_step.append(float(prices[s]) * float(step) + slope)
            self.fixed.append(c1 - slope * n1)
            margin += 0.02 + 1e-4 * abs(c1)
        self.margin = margin

    def fits(self, scale: Decimal, budget: Decimal, exact: Callable[[Decimal], bool]) -> tuple[bool, bool]:
        """``(affordable, estimated)`` at ``scale``: by estimate when clear, else by ``exact``."""
        estimate = 0.0
        for count, per_step, fixed in zip(self.steps.at(scale), self.per_step, self.fixed, strict=True):
            if count > 0:
                estimate += count * per_step + fixed
        gap = float(budget) - estimate
        if gap > self.margin:
            return True, True
        if gap < -self.margin:
            return False, True
        return exact(scale), False


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
    quantities, scaled, costs = _fit_buys(wanted_usd, prices, budget=budget, step=step, cost_of=cost_of)

    def cost(symbol: str, quantity: Decimal) -> Decimal:  # the fit's memo first: the same value, once
        known = costs.get((symbol, quantity))
        return known if known is not None else cost_of(symbol, quantity)

    notes: list[str] = []
    if scaled:
        wanted_total = sum((usd for usd in wanted_usd.values() if usd > 0), ZERO)
        bought = sum((q * prices[s] for s, q in quantities.items()), ZERO)
        left = budget - _total(quantities, prices, cost)
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
        trades.append(SizedTrade(account, symbol, Side.BUY, quantity, price, cost(symbol, quantity)))
    return trades, notes
