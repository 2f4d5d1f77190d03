"""plan_trades: household target weights -> trades per account, with lot relief, costs and tax.

The pipeline (each stage in its own module):

1. check the inputs (targets, prices, lots) and set each account's cash floor ``cash_buffer * V_a``;
2. :mod:`~trimtab.trades.location` splits the household into placement groups with dollar targets and
   decides the dollars to sell per account and symbol (none in buy-only mode);
3. :mod:`~trimtab.trades.sizing` turns them into shares; every sell relieves lots with
   :func:`trimtab.tax.relief.relieve` under ``tax.relief_method`` and its proceeds minus cost land in the
   account's cash;
4. placement decides the dollars to buy from the cash each account now has; sizing fits them (with their
   costs) into ``cash - floor`` and each buy adds a lot;
5. the :class:`~trimtab.trades.plan.TradePlan` sums costs, turnover, realized gains and estimated tax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_UP, Decimal

from trimtab.domain import CASH, Household, ReliefMethod, Side, TargetAllocation, TaxLot, Trade
from trimtab.domain.lots import _trusted_lot
from trimtab.domain.settings import CostSettings, TaxSettings, TradingSettings
from trimtab.domain.trades import _trusted_trade
from trimtab.errors import AccountError, LotError, MissingPriceError, NegativeCashError
from trimtab.models.costs import CostModel
from trimtab.tax.relief import relieve
from trimtab.trades.location import place_buys, place_sells, placement_groups, tax_order
from trimtab.trades.plan import TradePlan, estimate_tax, realized_gains
from trimtab.trades.sizing import SizedTrade, quantity_step, size_buys, size_sells
from trimtab.units import CENT, ZERO, parse_decimal

__all__ = ["plan_trades"]


def plan_trades(household: Household, prices: Mapping[str, Decimal], target_weights: Mapping[str, float]
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

    # Without impact priced for any symbol, the cost is linear plus a ticket: a faster estimate (the same
    # Decimal operations, settings converted once) and a float hint for sizing buys.
    impact = any(sigma_of.get(s) is not None and volume_of.get(s) is not None for s in prices)
    estimate = model.linear_estimate() if type(model) is CostModel and not impact else None
    rates = model.linear_rates() if estimate is not None else None

    def cost_of(symbol: str, quantity: Decimal) -> Decimal:
        if estimate is not None:
            return estimate(quantity, prices[symbol])
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
    shares_held: dict[tuple[str, str], Decimal] = {}  # household.quantity(symbol, account), in one pass
    for lot in household.lots:
        key = (lot.account, lot.symbol)
        shares_held[key] = shares_held.get(key, ZERO) + lot.quantity
    sells: list[Trade] = []
    for account in account_ids:
        wanted = {s: usd for (a, s), usd in sorted(sell_usd.items(), key=lambda kv: symbol_rank[kv[0][1]])
                  if a == account}
        held = {s: shares_held.get((account, s), ZERO) for s in wanted}
        sized, sell_notes = size_sells(account, wanted, held, prices, step=step, min_trade_value=min_trade,
                                       cost_of=cost_of)
        notes.extend(sell_notes)
        if sized:
            account_sells, lots_by_account[account] = _sell(sized, lots_by_account[account], as_of, tax)
            sells.extend(account_sells)
        for item in sized:
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
    day = as_of.isoformat()  # new lots' ids
    for account in account_ids:
        wanted = {s: usd for (a, s), usd in sorted(buy_usd.items(), key=lambda kv: target_rank[kv[0][1]])
                  if a == account}
        if not wanted:
            continue
        floor_text = f"the {_usd(floors[account])} cash buffer" if floors[account] > 0 else "0"
        sized, buy_notes = size_buys(account, wanted, prices, budget=cash[account] - floors[account],
                                     step=step, min_trade_value=min_trade, cost_of=cost_of,
                                     floor_text=floor_text, rates=rates)
        notes.extend(buy_notes)
        for item in sized:
            buys.append(_trusted_trade(account, item.symbol, Side.BUY, item.quantity, item.price, item.cost))
            new_lots.append(_new_lot(item, as_of, lot_ids, day))
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
        if type(raw) is Decimal and raw.is_finite() and raw > 0:  # parse_decimal would give it back
            out[symbol] = raw
            continue
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
def _sell(items: Sequence[SizedTrade], lots: Sequence[TaxLot], as_of: date,
          tax: TaxSettings) -> tuple[list[Trade], list[TaxLot]]:
    """The sell trades of one account (one per symbol) with their lot reliefs, and its lots after them.

    Each sold symbol's remaining lots take the place of its first lot in the account's lot order; the
    other lots keep theirs.
    """
    mine: dict[str, list[TaxLot]] = {item.symbol: [] for item in items}
    for lot in lots:
        if lot.symbol in mine:
            mine[lot.symbol].append(lot)
    trades: list[Trade] = []
    remaining: dict[str, list[TaxLot]] = {}
    for item in items:
        trade, remaining[item.symbol] = _relieve(item, mine[item.symbol], as_of, tax)
        trades.append(trade)
    out: list[TaxLot] = []
    for lot in lots:
        if lot.symbol not in remaining:
            out.append(lot)
        elif lot.symbol in mine:  # the symbol's first lot: its remaining lots go here
            out.extend(remaining[lot.symbol])
            del mine[lot.symbol]
    return trades, out


def _relieve(item: SizedTrade, mine: list[TaxLot], as_of: date,
             tax: TaxSettings) -> tuple[Trade, list[TaxLot]]:
    """The sell trade of ``item`` relieving ``mine`` (the account's lots of its symbol, in order)."""
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
    trade = _trusted_trade(item.account, item.symbol, Side.SELL, item.quantity, item.price, item.cost,
                           tuple(reliefs))
    return trade, list(remaining)


def _new_lot(item: SizedTrade, as_of: date, taken: set[str], day: str | None = None) -> TaxLot:
    """The lot a buy adds: basis = value + estimated cost, acquired on the trade date, id not in ``taken``.

    ``day`` is ``as_of.isoformat()`` when the caller has it.
    """
    stem = f"{item.account}:{item.symbol}:{as_of.isoformat() if day is None else day}"
    n = 1
    lot_id = f"{stem}:1"
    while lot_id in taken:
        n += 1
        lot_id = f"{stem}:{n}"
    return _trusted_lot(item.account, item.symbol, item.quantity, item.value + item.cost, as_of, lot_id)
