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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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
