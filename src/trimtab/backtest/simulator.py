"""The backtest simulator: point-in-time decisions, planned trades, lots and taxes, period after period.

A policy decides on point-in-time data, the trade planner trades, and the tax engine keeps lots and taxes.

The simulator drives the same objects as a live run (``trimtab rebalance``): the policy gets a
:class:`~trimtab.policies.base.DecisionContext` whose market data is ``MarketData.snapshot(t)`` (rows
stamped on or before ``t`` only), and its decision goes through
:func:`trimtab.trades.planner.plan_trades` with the configured costs, trading rules and tax settings.
At each date ``t_k`` of the run, in this order:

1. **Taxes.** At the first date of a new calendar year the previous year is settled: its recognized gains
   (from the :class:`~trimtab.tax.ledger.TaxLedger`, wash sales applied) are netted with the carried-in
   losses (:func:`trimtab.tax.netting.net_capital_gains`: $3,000 limit, carryforward by character) and the
   tax is paid from the taxable accounts' cash, selling pro rata there when the cash is short; a negative
   tax (the deduction against ordinary income) is credited to the first taxable account. Accounts that are
   not taxable, or zero rates, pay nothing.
2. **Cash flows** due at ``t_k`` (the last date of each ``every`` period, the first date of the run
   excluded): contributions go to cash,
   withdrawals are paid from cash, selling pro rata when it is short.
3. **Decision.** The policy decides at every date (it decides itself whether that date is a check date:
   calendar or bands). Trades fill at the date's price (close) with the configured costs; every plan is
   checked to be self-financing in Decimal (KAT-12c).

The first date ``t_0``: with ``initial_value`` the household is one account holding that much cash, which
buys the targets at ``t_0`` (whole or fractional shares per ``trading``; this purchase is not asked of the
policy); with a ``household`` (a portfolio file) the policy also decides at ``t_0``. At the last date the
last year's tax is settled as a liability (deducted from the value, no sale), and the liquidation tax of
the unrealized gains is computed (see :class:`~trimtab.backtest.result.PolicyRun`).

**Fast path.** With ``exact=False`` (the default) a rule policy is asked only at dates where its trigger
fires; :mod:`trimtab.backtest.screen` reproduces the trigger exactly, so the run is identical to
``exact=True`` (tested). Lots of a single account whose gains are not taxed are merged into one lot per
symbol after each trade in both paths (positions and cash are unchanged).

Valuation between trades is in floats (shares times price); the book (lots, cash, trades, costs, taxes) is
Decimal, as in live runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np
import pandas as pd

from trimtab.backtest.accounting import (
    check_self_financing,
    consolidate_lots,
    marginal_tax,
    settle_year,
)
from trimtab.backtest.liquidation import liquidate
from trimtab.backtest.result import DecisionRecord, PolicyRun, TradeRecord
from trimtab.backtest.screen import hold_screen
from trimtab.data.calendar import PERIODS, is_period_end
from trimtab.data.market import MarketData
from trimtab.data.snapshot import MarketSnapshot
from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household
from trimtab.domain.lots import LotRelief, Term
from trimtab.domain.settings import CostSettings, TaxSettings, TradingSettings
from trimtab.domain.slots import slot_builder
from trimtab.domain.targets import CASH, TargetAllocation
from trimtab.domain.trades import Side, Trade
from trimtab.errors import ConfigError
from trimtab.estimates.covariance import estimate_covariance
from trimtab.models.costs import CostModel
from trimtab.policies.base import CostEstimate, Decision, DecisionContext, Policy
from trimtab.tax.harvest import HarvestSettings, find_harvests
from trimtab.tax.ledger import TaxLedger, Transaction
from trimtab.tax.rules import TaxRates
from trimtab.trades.plan import TradePlan
from trimtab.trades.planner import plan_trades
from trimtab.trades.sizing import quantity_step, round_to_step
from trimtab.typing import FloatArray
from trimtab.units import ZERO, money, to_decimal

__all__ = ["DEFAULT_TRADING", "CashFlow", "Scenario", "simulate"]

#: Trading rules of a backtest unless configured: fractional shares with six decimals.
DEFAULT_TRADING = TradingSettings(fractional=True, fraction_decimals=6)
#: Progress is reported every this many dates.
_PROGRESS_EVERY = 64
#: Attempts at raising cash by selling (each sells more if rounding and costs left it short).
_RAISE_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class CashFlow:
    """A recurring contribution (``amount > 0``) or withdrawal (``amount < 0``), dollars.

    Paid on the last date of every ``every`` period (``weekly``, ``monthly``, ``quarterly``,
    ``semiannual``, ``annual``) between ``start`` and ``end`` (inclusive, optional), into or out of
    ``account`` (default: the first account).
    """

    amount: Decimal
    every: str = "monthly"
    account: str | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if self.every not in PERIODS:
            raise ConfigError(
                "cash flow period unknown", got=self.every, fix=f"use one of {', '.join(PERIODS)}"
            )
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", to_decimal(self.amount))


@dataclass(frozen=True, slots=True)
class _SwitchBack:
    """A harvest to undo on ``on``: sell the substitute lot bought then, buy the original back."""

    on: date
    account: str
    substitute: str
    lot_id: str
    original: str


@dataclass(frozen=True, eq=False)
class Scenario:
    """Everything a run needs except the policy.

    Parameters
    ----------
    market : MarketData
        Prices of the universe (and optional traded value per period); history before ``start`` is
        visible to policies and estimators.
    targets : TargetAllocation
        Household target weights (optional per-account pins).
    start, end : pandas.Timestamp, optional
        First and last date simulated (defaults: the data's first and last dates).
    initial_value : Decimal, optional
        Dollars in one account of kind ``account_kind`` that buy the targets at ``start``.
    household : Household, optional
        Accounts, cash and lots at ``start`` instead (exactly one of the two).
    account_kind : AccountKind
        Kind of the account made for ``initial_value``.
    costs, trading, tax : CostSettings, TradingSettings, TaxSettings
        As in a portfolio file; ``trading`` defaults to fractional shares with six decimals.
    cash_flows : tuple of CashFlow
    sigmas : pandas.DataFrame, optional
        Volatility per period per symbol for impact costs (default: trailing standard deviation of returns
        over ``volatility_lookback`` periods).
    risk_lookback : int or None
        Periods of returns for the covariance a policy may ask for (``ctx.covariance``).
    volatility_lookback, volume_lookback : int
        Periods for the trailing volatility and average traded value (impact costs only).
    harvest : HarvestSettings, optional
        Tax-loss harvesting overlay: on the last date of every ``harvest_every`` period, after the policy's
        trades, :func:`trimtab.tax.harvest.find_harvests` proposes loss sales with substitute buys, which are
        booked (and switched back after the wash-sale window when the settings say so). Taxable accounts
        with a non-zero rate only.
    harvest_every : str
        ``weekly``, ``monthly`` (default), ``quarterly``, ``semiannual`` or ``annual``.
    covariance : callable, optional
        ``covariance(snapshot, symbols) -> ndarray of shape (n, n)``, annualized: the risk model behind
        ``ctx.covariance`` (default: sample covariance of the last ``risk_lookback`` returns). It gets only
        the point-in-time snapshot.
    dividends : pandas.DataFrame, optional
        Cash dividends in dollars per share, one row per ex-date and one column per symbol (e.g. from
        :func:`trimtab.data.dividends.load_dividends_csv`). A dividend whose ex-date falls in
        ``(t_{k-1}, t_k]`` is paid at ``t_k`` into the cash of each account holding the symbol over that
        period (cents per position); ex-dates on or before the first date are ignored. ``market`` must then
        hold price-only prices (not adjusted for dividends).
    dividend_rate : float, optional
        Tax rate on dividends in taxable accounts (qualified dividends; default ``tax.long_term_rate``),
        paid with the yearly tax; dividends are not netted with capital losses.
    """

    market: MarketData
    targets: TargetAllocation
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    initial_value: Decimal | None = None
    household: Household | None = None
    account_kind: AccountKind = AccountKind.TAXABLE
    costs: CostSettings = field(default_factory=CostSettings)
    trading: TradingSettings = DEFAULT_TRADING
    tax: TaxSettings = field(default_factory=TaxSettings)
    cash_flows: tuple[CashFlow, ...] = ()
    sigmas: pd.DataFrame | None = None
    risk_lookback: int | None = 756
    volatility_lookback: int = 60
    volume_lookback: int = 20
    harvest: HarvestSettings | None = None
    harvest_every: str = "monthly"
    covariance: Callable[[MarketSnapshot, tuple[str, ...]], FloatArray] | None = None
    dividends: pd.DataFrame | None = None
    dividend_rate: float | None = None

    def __post_init__(self) -> None:
        if self.dividends is not None:
            frame = self.dividends.astype(float).fillna(0.0)
            values = frame.to_numpy()
            if not np.all(np.isfinite(values)) or np.any(values < 0):
                raise ConfigError(
                    "dividends must be finite amounts of zero or more dollars per share",
                    got=float(values[~(np.isfinite(values) & (values >= 0))][0]),
                    fix="fix the dividends data",
                )
            object.__setattr__(self, "dividends", frame.sort_index())
        if self.dividend_rate is not None and not 0 <= self.dividend_rate < 1:
            raise ConfigError(
                "the dividend tax rate must be in [0, 1)", got=self.dividend_rate, fix="e.g. 0.2 for 20 %"
            )
        if self.harvest_every not in PERIODS:
            raise ConfigError(
                "harvest period unknown", got=self.harvest_every, fix=f"use one of {', '.join(PERIODS)}"
            )
        if (self.initial_value is None) == (self.household is None):
            raise ConfigError(
                "give exactly one of an initial value and a household",
                fix="initial: {value: 1000000} or portfolio: portfolio.yaml",
            )
        if self.initial_value is not None:
            value = to_decimal(self.initial_value)
            if not value.is_finite() or value <= 0:
                raise ConfigError(
                    "initial value must be a positive amount of dollars",
                    got=str(value),
                    fix="e.g. initial: {value: 1000000}",
                )
            object.__setattr__(self, "initial_value", value)
        object.__setattr__(self, "cash_flows", tuple(self.cash_flows))
        start = self.market.first_date if self.start is None else pd.Timestamp(self.start)
        end = self.market.last_date if self.end is None else pd.Timestamp(self.end)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if end <= start:
            raise ConfigError(
                "end must be after start",
                got=f"{start:%Y-%m-%d} .. {end:%Y-%m-%d}",
                fix="choose an end date later than the start date",
            )
        dates = self.dates
        if len(dates) < 2:
            raise ConfigError(
                "fewer than two dates of data between start and end",
                got=len(dates),
                fix=f"the data covers {self.market.first_date:%Y-%m-%d} .. {self.market.last_date:%Y-%m-%d}",
            )
        missing = [s for s in self.symbols if s not in self.market.symbols]
        if missing:
            raise ConfigError(
                f"no market data for {', '.join(missing)}",
                got=missing[0],
                fix=f"use symbols of the data: {', '.join(self.market.symbols[:20])}",
            )
        first = self.market.prices[list(self.symbols)].loc[: dates[0]].ffill()
        unpriced = [s for s in self.symbols if not (len(first) and np.isfinite(first[s].iloc[-1]))]
        if unpriced:
            first_dates = {s: self.market.prices[s].first_valid_index() for s in unpriced}
            latest = max((d for d in first_dates.values() if d is not None), default=None)
            raise ConfigError(
                f"no price for {', '.join(unpriced)} on or before the start {dates[0]:%Y-%m-%d}",
                got=unpriced[0],
                fix=(
                    "start on or after " + f"{latest:%Y-%m-%d}"
                    if latest is not None
                    else "drop the symbol from the targets"
                ),
            )
        if self.costs.impact is not None and self.market.volumes is None:
            raise ConfigError(
                "market impact costs need traded value per period",
                got="costs.impact",
                fix="give data.volumes (or a long prices CSV with a volume column), or drop impact",
            )

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Dates simulated: the data's dates from ``start`` to ``end``."""
        index = self.market.dates
        return index[(index >= self.start) & (index <= self.end)]

    @property
    def symbols(self) -> tuple[str, ...]:
        """The universe: target symbols, then per-account targets, then other symbols held."""
        per_account = [s for w in self.targets.per_account.values() for s in w if s != CASH]
        held = self.household.symbols if self.household is not None else ()
        return tuple(dict.fromkeys([*self.targets.symbols, *per_account, *held]))


def simulate(
    policy: Policy,
    scenario: Scenario,
    *,
    name: str | None = None,
    exact: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PolicyRun:
    """Run ``policy`` through ``scenario`` (see the module docstring).

    Parameters
    ----------
    policy : Policy
        Any object with ``describe()`` and ``decide(ctx)``.
    scenario : Scenario
    name : str, optional
        Name in reports (default ``policy.describe()``).
    exact : bool
        Ask the policy at every date (no hold screen).
    progress : callable, optional
        ``progress(done, total)`` in dates, called every few dates and at the end.

    Returns
    -------
    PolicyRun
    """
    return _Run(policy, scenario, name=name, exact=exact, progress=progress).run()


#: ``_trade_record(on, account, symbol, side, quantity, price, cost, reason)``: a record through the slots'
#: setters (the class checks nothing).
_trade_record = slot_builder(
    TradeRecord, ("on", "account", "symbol", "side", "quantity", "price", "cost", "reason")
)


class _Stamps:
    """``dates[k]`` as a Timestamp, made on first use: listing every date costs about 1.5 ms a run (1261
    dates), and a run with the hold screen looks at few of them."""

    __slots__ = ("_dates", "_made")

    def __init__(self, dates: pd.DatetimeIndex) -> None:
        self._dates = dates
        self._made: list[pd.Timestamp | None] = [None] * len(dates)

    def __getitem__(self, k: int) -> pd.Timestamp:
        stamp = self._made[k]
        if stamp is None:
            stamp = self._made[k] = self._dates[k]
        return stamp


class _Run:
    """The state of one run (mutable; used once)."""

    def __init__(
        self,
        policy: Policy,
        scenario: Scenario,
        *,
        name: str | None,
        exact: bool,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.policy = policy
        self.sc = scenario
        self.name = name or policy.describe()
        self.progress = progress
        self.dates = scenario.dates
        self.symbols = scenario.symbols
        self.index = {s: j for j, s in enumerate(self.symbols)}
        market = scenario.market
        # the data's own columns when they are the universe already (select would copy them)
        same = tuple(market.prices.columns) == self.symbols
        self.market = market if same else market.select(list(self.symbols))
        raw = self.market.prices
        filled = raw.ffill()
        self.prices = filled.loc[self.dates].to_numpy(dtype=float)
        self._times = self.market.dates
        self._close = raw.to_numpy(dtype=float, copy=True)
        self._volume = (
            None if self.market.volumes is None else self.market.volumes.to_numpy(dtype=float, copy=True)
        )
        self._ends = self._times.searchsorted(self.dates, side="right")
        # the exact engine looks at every date: one list is cheaper there
        self._stamps: list[pd.Timestamp] | _Stamps = list(self.dates) if exact else _Stamps(self.dates)
        self.target = np.array([scenario.targets.weight(s) for s in self.symbols], dtype=float)
        self.target_cash = float(scenario.targets.cash_weight)
        self.per_account = {a: dict(w) for a, w in scenario.targets.per_account.items()} or None
        self.ppy = float(self.market.periods_per_year)
        self.cost_model = CostModel.from_settings(scenario.costs)
        self.rates = TaxRates.from_settings(scenario.tax)
        self.step = quantity_step(scenario.trading)
        self.screen = (
            None if exact else hold_screen(policy, self.dates, periods_per_year=self.ppy, target=self.target)
        )
        t_count, n = len(self.dates), len(self.symbols)
        self.value = np.zeros(t_count)
        self.cash_path = np.zeros(t_count)
        self.flows = np.zeros(t_count)
        self.costs = np.zeros(t_count)
        self.taxes = np.zeros(t_count)
        self.traded = np.zeros(t_count)
        self.turnover = np.zeros(t_count)
        self.weights = np.zeros((t_count, n))
        self.weights_before = np.zeros((t_count, n))
        self.cash_weight = np.zeros(t_count)
        self.cash_weight_before = np.zeros(t_count)
        self.trade_counts = np.zeros(t_count, dtype=np.int64)
        self.decided = np.zeros(t_count, dtype=bool)
        self.actions = [""] * t_count
        self.decisions: list[DecisionRecord] = []
        self.trades: list[TradeRecord] = []
        self.notes: list[str] = []
        self.fallbacks = 0
        self.tax_by_year: dict[int, Decimal] = {}
        self.carry: tuple[Decimal, Decimal] = (ZERO, ZERO)
        self.last_rebalance: pd.Timestamp | None = None
        self._price_cache: tuple[int, dict[str, Decimal]] | None = None
        self._ytd_cache: tuple[int, tuple[Decimal, Decimal]] | None = None
        self._cov_cache: tuple[int, FloatArray] | None = None
        self.flow_due = [self._flow_mask(f) for f in scenario.cash_flows]
        self._flow_any = (
            np.logical_or.reduce(self.flow_due) if self.flow_due else np.zeros(t_count, dtype=bool)
        )
        self._flow_any[0] = False  # the first date is the start: no flow before the run has begun
        years = self.dates.year.to_numpy()
        self._new_year = np.concatenate([[False], years[1:] != years[:-1]])
        self._version = 0

        self.funded = scenario.initial_value is not None
        if scenario.household is not None:
            household = scenario.household
        else:
            assert scenario.initial_value is not None
            household = Household(
                name="backtest",
                accounts=(Account(id="portfolio", kind=scenario.account_kind, cash=scenario.initial_value),),
            )
        self.taxable = any(a.kind.is_taxable for a in household.accounts) and (
            scenario.tax.short_term_rate > 0 or scenario.tax.long_term_rate > 0
        )
        self.ledger: TaxLedger | None = None
        if self.taxable:
            self.ledger = TaxLedger.from_household(
                household,
                method=scenario.tax.relief_method,
                rates=self.rates,
                filing_status=scenario.tax.filing_status,
            )
            household = household.replace(lots=self.ledger.open_lots())
        self.merge_lots = self.ledger is None and len(household.accounts) == 1
        self.harvest = scenario.harvest if self.ledger is not None else None
        self._harvest_due = (
            self._flow_mask(CashFlow(amount=Decimal(1), every=scenario.harvest_every))
            if self.harvest is not None
            else np.zeros(t_count, dtype=bool)
        )
        self._switch_backs: list[_SwitchBack] = []
        self.harvests = 0
        if self.merge_lots:
            household = consolidate_lots(household)
        self.household = household
        self.settled_year = self.dates[0].year - 1
        self._refresh()

    # -- state ------------------------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._version += 1
        qty = np.zeros(len(self.symbols))
        for lot in self.household.lots:
            qty[self.index[lot.symbol]] += float(lot.quantity)
        self.qty = qty
        self.cash = float(self.household.total_cash)

    def _prices(self, k: int) -> dict[str, Decimal]:
        if self._price_cache is None or self._price_cache[0] != k:
            row = self.prices[k].tolist()  # Python floats: to_decimal(x) is Decimal(repr(x))
            self._price_cache = (k, {s: Decimal(repr(row[j])) for s, j in self.index.items()})
        return self._price_cache[1]

    def _valuation(self, k: int) -> tuple[FloatArray, float, float]:
        """Weights of shape (n,), cash weight and value (dollars) at date ``k``."""
        h = self.qty * self.prices[k]
        v = float(h.sum()) + self.cash
        if not v > 0:
            return np.zeros(len(self.symbols)), 0.0, v
        return h / v, self.cash / v, v

    def _flow_mask(self, flow: CashFlow) -> np.ndarray:
        start = flow.start if flow.start is not None else self.dates[0]
        end = flow.end if flow.end is not None else self.dates[-1]
        return np.fromiter(
            (
                (start <= t <= end) and is_period_end(t, flow.every, data_periods_per_year=self.ppy)
                for t in self.dates
            ),
            dtype=bool,
            count=len(self.dates),
        )

    def _snapshot(self, k: int) -> MarketSnapshot:
        """``market.snapshot(dates[k])``, built from arrays prepared once (same object, less overhead)."""
        end = int(self._ends[k])
        return MarketSnapshot(
            as_of=self._stamps[k],
            times=self._times[:end],
            symbols=self.symbols,
            close=self._close[:end].view(),
            volume=None if self._volume is None else self._volume[:end].view(),
            periods_per_year=self.ppy,
        )

    # -- market inputs of costs -----------------------------------------------------------------------------
    def _impact_inputs(self, k: int) -> tuple[dict[str, float] | None, dict[str, float] | None]:
        if self.sc.costs.impact is None:
            return None, None
        t = self._stamps[k]
        snapshot = self._snapshot(k)
        volume: dict[str, float] = {}
        for s in self.symbols:
            average = snapshot.average_volume(s, self.sc.volume_lookback)
            if average is not None and average > 0:
                volume[s] = average
        if self.sc.sigmas is not None:
            known = self.sc.sigmas.loc[:t].ffill()
            row = known.iloc[-1] if len(known) else None
            sigma = {
                s: float(row[s])
                for s in self.symbols
                if row is not None and s in row.index and np.isfinite(row[s])
            }
        else:
            returns = snapshot.returns(list(self.symbols), lookback=self.sc.volatility_lookback).to_numpy()
            sigma = {}
            for j, s in enumerate(self.symbols):
                col = returns[:, j][np.isfinite(returns[:, j])]
                sigma[s] = float(np.std(col, ddof=1)) if col.size > 2 else 0.0
        return sigma, volume

    # -- planning and applying trades ------------------------------------------------------------------------
    def _plan(
        self,
        household: Household,
        k: int,
        weights: Mapping[str, float],
        per_account: Mapping[str, Mapping[str, float]] | None,
    ) -> TradePlan:
        sigma, volume = self._impact_inputs(k)
        return plan_trades(
            household,
            self._prices(k),
            weights,
            as_of=self._stamps[k].date(),
            costs=self.sc.costs,
            trading=self.sc.trading,
            tax=self.sc.tax,
            cost_model=self.cost_model,
            sigma=sigma,
            volume=volume,
            per_account=per_account,
        )

    def _apply(self, plan: TradePlan, k: int, reason: str, account: str | None = None) -> None:
        """Book ``plan`` (of the whole household, or of ``account`` alone) at date ``k``."""
        value_before = check_self_financing(plan)
        if not plan.trades:
            return
        on = self._stamps[k].date()
        if self.ledger is not None:
            for trade in plan.trades:
                ids = tuple(dict.fromkeys(r.lot_id for r in trade.lots if r.lot_id))
                self.ledger.apply(
                    Transaction(
                        on=on,
                        account=trade.account,
                        symbol=trade.symbol,
                        side=trade.side,
                        quantity=trade.quantity,
                        price=trade.price,
                        fees=trade.estimated_cost,
                        specific_ids=ids,
                    )
                )
            self._ytd_cache = None
        if account is None:
            household = plan.after
        else:
            mine = plan.after.account(account)
            household = self.household.replace(
                accounts=[mine if a.id == account else a for a in self.household.accounts],
                lots=[lot for lot in self.household.lots if lot.account != account] + list(plan.after.lots),
            )
        if self.ledger is not None:
            household = household.replace(lots=self.ledger.open_lots())
        elif self.merge_lots:
            household = consolidate_lots(household)
        self.household = household
        record = _trade_record
        for trade in plan.trades:
            self.trades.append(
                record(on, trade.account, trade.symbol, str(trade.side), trade.quantity, trade.price,
                       trade.estimated_cost, reason)
            )
        traded = float(sum((t.value for t in plan.trades), ZERO))
        self.costs[k] += float(plan.transaction_cost)
        self.traded[k] += traded
        if reason != "initial":
            before = float(value_before)
            self.turnover[k] += traded / 2.0 / before if before > 0 else 0.0
        self.trade_counts[k] += len(plan.trades)
        if reason == "policy":
            self.last_rebalance = self._stamps[k]
        self._refresh()

    # -- cash ---------------------------------------------------------------------------------------------
    def _set_cash(self, account_id: str, cash: Decimal) -> None:
        self.household = self.household.replace(
            accounts=[a.with_cash(cash) if a.id == account_id else a for a in self.household.accounts]
        )
        self._refresh()

    def _sell_for_cash(self, k: int, account_id: str, shortfall: Decimal, reason: str) -> None:
        """Sell pro rata in one account until its cash grows by at least ``shortfall`` dollars (if it can)."""
        prices = self._prices(k)
        for attempt in range(_RAISE_ATTEMPTS):
            account = self.household.account(account_id)
            lots = tuple(lot for lot in self.household.lots if lot.account == account_id)
            held: dict[str, Decimal] = {}
            for lot in lots:
                held[lot.symbol] = held.get(lot.symbol, ZERO) + lot.quantity * prices[lot.symbol]
            invested = sum(held.values(), ZERO)
            if invested <= 0 or shortfall <= 0:
                return
            sub = Household(name=self.household.name, accounts=(account,), lots=lots)
            value = invested + account.cash
            # A margin for rounding to the trading step and for costs, doubled on every retry.
            margin = (
                sum((self.step * prices[s] for s in held), ZERO)
                + Decimal(len(held)) * to_decimal(float(self.sc.costs.commission_per_trade))
                + Decimal("0.01")
            )
            rate = Decimal(repr(float(self.sc.costs.half_spread_bps))) / Decimal(10_000) + Decimal("0.001")
            wanted = (shortfall * (1 + rate) + margin) * (2**attempt)
            keep = max(ZERO, 1 - wanted / invested)
            weights = {s: float(usd * keep / value) for s, usd in held.items()}
            weights[CASH] = max(0.0, 1.0 - math.fsum(weights.values()))
            cash_before = account.cash
            plan = plan_trades(
                sub,
                prices,
                weights,
                as_of=self._stamps[k].date(),
                costs=self.sc.costs,
                trading=self.sc.trading,
                tax=self.sc.tax,
                cost_model=self.cost_model,
            )
            self._apply(plan, k, reason, account=account_id)
            shortfall -= self.household.account(account_id).cash - cash_before
            if keep == 0:
                return

    def _pay(self, k: int, amount: Decimal, accounts: list[str], reason: str) -> Decimal:
        """Pay ``amount`` dollars (> 0) from ``accounts`` in order, selling when cash is short.

        Returns the amount that could not be paid (0 unless everything was sold).
        """
        left = amount
        for account_id in accounts:
            if left <= 0:
                break
            cash = self.household.account(account_id).cash
            if cash < left:
                self._sell_for_cash(k, account_id, left - cash, reason)
                cash = self.household.account(account_id).cash
            paid = min(cash, left)
            self._set_cash(account_id, cash - paid)
            left -= paid
        return left

    # -- taxes and flows ----------------------------------------------------------------------------------
    def _year_gains(self, year: int) -> tuple[Decimal, Decimal]:
        if self.ledger is None:
            return ZERO, ZERO
        if self._ytd_cache is None or self._ytd_cache[0] != year:
            self._ytd_cache = (year, self.ledger.gains_by_year().get(year, (ZERO, ZERO)))
        return self._ytd_cache[1]

    def _settle(self, year: int) -> Decimal:
        """Settle ``year``: tax (dollars, negative = refund) after netting; updates the carryforward."""
        short, long = self._year_gains(year)
        result = settle_year(
            year,
            short,
            long,
            carryforward=self.carry,
            rates=self.rates,
            filing_status=self.sc.tax.filing_status,
        )
        self.carry = result.carryforward
        tax = result.tax + self._dividend_tax(year)
        self.tax_by_year[year] = tax
        return tax

    def _taxes(self, k: int) -> None:
        year = self._stamps[k].year
        if self.ledger is None or year <= self.settled_year + 1:
            return
        taxable = [a.id for a in self.household.accounts if a.kind.is_taxable]
        for settled in range(self.settled_year + 1, year):
            tax = self._settle(settled)
            self.settled_year = settled
            if tax > 0:
                unpaid = self._pay(k, tax, taxable, "tax")
                if unpaid > 0:
                    self.notes.append(
                        f"{self._stamps[k]:%Y-%m-%d}: ${unpaid:,.2f} of the {settled} tax could not "
                        "be paid: the taxable accounts hold nothing more to sell"
                    )
                tax -= unpaid
            elif tax < 0:
                first = taxable[0]
                self._set_cash(first, self.household.account(first).cash - tax)
            self.taxes[k] += float(tax)

    # -- dividends ------------------------------------------------------------------------------------------
    @cached_property
    def _dividend_per_share(self) -> FloatArray:
        """Dollars per share paid at each date, shape (T, n); ex-dates in ``(t_{k-1}, t_k]`` pay at t_k."""
        out = np.zeros((len(self.dates), len(self.symbols)))
        table = self.sc.dividends
        if table is None or not len(table):
            return out
        ex = pd.DatetimeIndex(table.index)
        inside = (ex > self.dates[0]) & (ex <= self.dates[-1])
        rows = self.dates.searchsorted(ex[inside], side="left")
        for symbol in table.columns:
            j = self.index.get(str(symbol))
            if j is not None:
                np.add.at(out[:, j], rows, table[symbol].to_numpy(dtype=float)[inside])
        return out

    @cached_property
    def _dividend_due(self) -> np.ndarray:
        """Whether any dividend is paid at each date, shape (T,)."""
        return np.asarray(self._dividend_per_share.any(axis=1))

    @cached_property
    def _dividend_path(self) -> FloatArray:
        """Dividends credited at each date (all accounts), dollars, shape (T,)."""
        return np.zeros(len(self.dates))

    @cached_property
    def _dividend_income(self) -> dict[int, Decimal]:
        """Dividends credited to taxable accounts per calendar year, dollars."""
        return {}

    def _dividends(self, k: int) -> None:
        """Credit the dividends paid at date ``k`` to the cash of the accounts holding the shares."""
        per_share = self._dividend_per_share[k]
        held: dict[tuple[str, str], Decimal] = {}
        for lot in self.household.lots:
            if per_share[self.index[lot.symbol]] > 0:
                key = (lot.account, lot.symbol)
                held[key] = held.get(key, ZERO) + lot.quantity
        if not held:
            return
        cash = {a.id: a.cash for a in self.household.accounts}
        taxable = {a.id for a in self.household.accounts if a.kind.is_taxable}
        year = self._stamps[k].year
        total = ZERO
        for (account, symbol), quantity in held.items():
            # per-share amounts of one date were summed in float (0.1 + 0.2 -> 0.30000000000000004): round to
            # 1e-8 dollars before Decimal so the sum is the one the file meant
            amount = money(quantity * to_decimal(round(float(per_share[self.index[symbol]]), 8)))
            cash[account] += amount
            total += amount
            if account in taxable:
                self._dividend_income[year] = self._dividend_income.get(year, ZERO) + amount
        self.household = self.household.replace(
            accounts=[a.with_cash(cash[a.id]) for a in self.household.accounts]
        )
        self._dividend_path[k] += float(total)
        self._refresh()

    def _dividend_tax(self, year: int) -> Decimal:
        """Tax on ``year``'s dividends in taxable accounts (qualified: the dividend rate), cents."""
        income = self._dividend_income.get(year, ZERO) if self.sc.dividends is not None else ZERO
        if income == 0:
            return ZERO
        rate = self.sc.dividend_rate if self.sc.dividend_rate is not None else self.sc.tax.long_term_rate
        return money(Decimal(repr(float(rate))) * income)

    def _cash_flows(self, k: int) -> None:
        for flow, due in zip(self.sc.cash_flows, self.flow_due, strict=True):
            if not due[k]:
                continue
            account_id = flow.account or self.household.accounts[0].id
            if flow.amount >= 0:
                self._set_cash(account_id, self.household.account(account_id).cash + flow.amount)
                self.flows[k] += float(flow.amount)
            else:
                unpaid = self._pay(k, -flow.amount, [account_id], "withdrawal")
                if unpaid > 0:
                    self.notes.append(
                        f"{self._stamps[k]:%Y-%m-%d}: withdrawal short by ${unpaid:,.2f}: "
                        f"{account_id} holds nothing more"
                    )
                self.flows[k] -= float(-flow.amount - unpaid)

    # -- the policy -----------------------------------------------------------------------------------------
    def _covariance(self, k: int, snapshot: MarketSnapshot | None = None) -> FloatArray:
        """The covariance at date ``k`` (once per date); ``snapshot`` is the decision context's, else built."""
        if self._cov_cache is None or self._cov_cache[0] != k:
            snapshot = self._snapshot(k) if snapshot is None else snapshot
            if self.sc.covariance is not None:
                matrix = np.asarray(self.sc.covariance(snapshot, self.symbols), dtype=float)
            else:
                matrix = estimate_covariance(snapshot, self.symbols, lookback=self.sc.risk_lookback).matrix
            self._cov_cache = (k, np.array(matrix, dtype=float))
        return self._cov_cache[1]

    def _cost_of(self, k: int, weights: Mapping[str, float]) -> CostEstimate:
        plan = self._plan(self.household, k, weights, self.per_account)
        tax = ZERO
        if self.ledger is not None:
            tax = marginal_tax(
                plan.realized_short,
                plan.realized_long,
                so_far=self._year_gains(self._stamps[k].year),
                carryforward=self.carry,
                rates=self.rates,
                filing_status=self.sc.tax.filing_status,
            )
        return CostEstimate(trading_cost=float(plan.transaction_cost), tax=float(tax))

    def _context(self, k: int, w: FloatArray, cash_weight: float, value: float) -> DecisionContext:
        t = self._stamps[k]
        snapshot = self._snapshot(k)  # also the covariance's: one snapshot per decision
        return DecisionContext(
            as_of=t,
            symbols=self.symbols,
            weights=np.array(w, dtype=float),
            cash_weight=float(cash_weight),
            target=self.target.copy(),
            target_cash=self.target_cash,
            value=float(value),
            snapshot=snapshot,
            covariance=lambda: self._covariance(k, snapshot),
            cost_of=lambda weights: self._cost_of(k, weights),
            last_rebalance=self.last_rebalance,
            household=self.household,
            explain=False,  # a run records actions and weights, never the reasons
        )

    def _decide(self, k: int, w: FloatArray, cash_weight: float, value: float) -> None:
        contexts: list[DecisionContext] = []

        def make() -> DecisionContext:
            if not contexts:
                contexts.append(self._context(k, w, cash_weight, value))
            return contexts[0]

        if self.screen is not None and not self.screen.fires(k, w, make):
            self.actions[k] = "hold"
            return
        t = self._stamps[k]
        try:
            decision: Decision = self.policy.decide(make())
        except Exception as err:
            err.add_note(f"while {self.policy.describe()} decided at {t:%Y-%m-%d}")
            raise
        self.decided[k] = True
        self.actions[k] = decision.action
        fallback = bool(decision.details.get("fallback")) if isinstance(decision.details, Mapping) else False
        self.fallbacks += int(fallback)
        if not decision.trades:
            return
        self.decisions.append(
            DecisionRecord(
                k=k,
                on=t,
                action=decision.action,
                target_weights=dict(decision.target_weights),
                fallback=fallback,
            )
        )
        try:
            plan = self._plan(self.household, k, solver_clean(decision.target_weights), self.per_account)
        except Exception as err:
            err.add_note(f"while trading the decision of {self.policy.describe()} at {t:%Y-%m-%d}")
            raise
        self._apply(plan, k, "policy")

    # -- tax-loss harvesting overlay ----------------------------------------------------------------------
    def _held(self, account: str, symbol: str, lot_id: str | None = None) -> Decimal:
        assert self.ledger is not None
        return sum(
            (
                lot.quantity
                for lot in self.ledger.open_lots(symbol, account)
                if lot_id is None or lot.lot_id == lot_id
            ),
            ZERO,
        )

    def _affordable(self, quantity: Decimal, price: Decimal, budget: Decimal) -> Decimal:
        """The largest quantity (a multiple of the step, at most ``quantity``) whose value plus cost fits."""
        if budget <= 0:
            return ZERO
        if quantity * price + self.cost_model.estimate(quantity, price) <= budget:
            return quantity
        rate = Decimal(repr(float(self.sc.costs.half_spread_bps))) / Decimal(10_000)
        fixed = to_decimal(float(self.sc.costs.commission_per_trade))
        per_share = to_decimal(float(self.sc.costs.commission_per_share))
        guess = (budget - fixed) / (price * (1 + rate) + per_share)
        quantity = min(quantity, round_to_step(max(guess, ZERO), self.step, ROUND_DOWN))
        for _ in range(1000):
            if quantity <= 0 or quantity * price + self.cost_model.estimate(quantity, price) <= budget:
                return max(quantity, ZERO)
            quantity -= self.step
        return ZERO

    def _book(self, k: int, trades: list[Trade], reason: str) -> dict[str, str]:
        """Book explicit trades (sells first) at date ``k``'s prices through the ledger.

        Sells are cut to the shares held (and name their lots when those are still held); buys are cut to
        the account's cash. Returns the ledger lot id of each buy by symbol.
        """
        assert self.ledger is not None
        on = self._stamps[k].date()
        prices = self._prices(k)
        cash = {a.id: a.cash for a in self.household.accounts}
        value_before = self.household.market_value(prices)
        done: list[TradeRecord] = []
        bought: dict[str, str] = {}
        for trade in sorted(trades, key=lambda t: t.side is Side.BUY):
            price = prices[trade.symbol]
            if trade.side is Side.SELL:
                quantity = round_to_step(
                    min(trade.quantity, self._held(trade.account, trade.symbol)), self.step, ROUND_DOWN
                )
                if quantity <= 0:
                    continue
                ids = tuple(dict.fromkeys(r.lot_id for r in trade.lots if r.lot_id))
                if ids and sum((self._held(trade.account, trade.symbol, i) for i in ids), ZERO) < quantity:
                    ids = ()
                cost = self.cost_model.estimate(quantity, price)
                self.ledger.sell(
                    trade.account, trade.symbol, quantity, price, on=on, fees=cost, specific_ids=ids
                )
                cash[trade.account] += quantity * price - cost
            else:
                quantity = self._affordable(
                    round_to_step(trade.quantity, self.step, ROUND_DOWN), price, cash[trade.account]
                )
                if quantity <= 0:
                    continue
                cost = self.cost_model.estimate(quantity, price)
                bought[trade.symbol] = self.ledger.buy(
                    trade.account, trade.symbol, quantity, price, on=on, fees=cost
                )
                cash[trade.account] -= quantity * price + cost
            done.append(
                TradeRecord(
                    on=on,
                    account=trade.account,
                    symbol=trade.symbol,
                    side=str(trade.side),
                    quantity=quantity,
                    price=price,
                    cost=cost,
                    reason=reason,
                )
            )
        if not done:
            return bought
        self._ytd_cache = None
        self.household = self.household.replace(
            accounts=[a.with_cash(cash[a.id]) for a in self.household.accounts], lots=self.ledger.open_lots()
        )
        self.trades.extend(done)
        traded = float(sum((t.value for t in done), ZERO))
        self.costs[k] += float(sum((t.cost for t in done), ZERO))
        self.traded[k] += traded
        self.turnover[k] += traded / 2.0 / float(value_before) if value_before > 0 else 0.0
        self.trade_counts[k] += len(done)
        self._refresh()
        return bought

    def _harvest(self, k: int) -> None:
        assert self.ledger is not None and self.harvest is not None
        scan = find_harvests(
            self.household,
            self._prices(k),
            as_of=self._stamps[k].date(),
            rates=self.rates,
            costs=self.sc.costs,
            settings=self.harvest,
            ledger=self.ledger,
        )
        for proposal in scan.proposals:
            if self._held(proposal.account, proposal.symbol) <= 0:
                continue
            bought = self._book(k, [proposal.sell, proposal.buy], "harvest")
            self.harvests += 1
            if proposal.switch_back_on is not None and proposal.substitute in bought:
                self._switch_backs.append(
                    _SwitchBack(
                        on=proposal.switch_back_on,
                        account=proposal.account,
                        substitute=proposal.substitute,
                        lot_id=bought[proposal.substitute],
                        original=proposal.symbol,
                    )
                )

    def _switch_back(self, k: int) -> None:
        today = self._stamps[k].date()
        due = [s for s in self._switch_backs if s.on <= today]
        self._switch_backs = [s for s in self._switch_backs if s.on > today]
        prices = self._prices(k)
        for back in due:
            quantity = self._held(back.account, back.substitute, back.lot_id)
            if quantity <= 0:
                continue
            proceeds = quantity * prices[back.substitute]
            sell = Trade(
                account=back.account,
                symbol=back.substitute,
                side=Side.SELL,
                quantity=quantity,
                price=prices[back.substitute],
            )
            lots = tuple(
                lot
                for lot in self.ledger.open_lots(back.substitute, back.account)  # type: ignore[union-attr]
                if lot.lot_id == back.lot_id
            )
            if lots:
                sell = Trade(
                    account=back.account,
                    symbol=back.substitute,
                    side=Side.SELL,
                    quantity=quantity,
                    price=prices[back.substitute],
                    lots=(
                        LotRelief(
                            lot_id=back.lot_id,
                            acquired=lots[0].acquired,
                            quantity=quantity,
                            cost_basis=sum((x.cost_basis for x in lots), ZERO),
                            proceeds=proceeds,
                            term=Term.SHORT,
                        ),
                    ),
                )
            buy = Trade(
                account=back.account,
                symbol=back.original,
                side=Side.BUY,
                quantity=round_to_step(proceeds / prices[back.original], self.step, ROUND_DOWN) or self.step,
                price=prices[back.original],
            )
            self._book(k, [sell, buy], "switch_back")

    # -- the loop -------------------------------------------------------------------------------------------
    def _record(self, k: int) -> None:
        w, cash_weight, v = self._valuation(k)
        self.value[k] = v
        self.cash_path[k] = self.cash
        self.weights[k] = w
        self.cash_weight[k] = cash_weight

    def run(self) -> PolicyRun:
        total = len(self.dates)
        # Dates where something other than the policy may trade; between them the holdings stay put and the
        # hold screen can pass over a block of dates at once (_hold_block).  Every per-date event of the
        # loop below must be in this mask.
        events = self._new_year | self._dividend_due | self._flow_any | self._harvest_due
        events[0] = True
        following = np.flatnonzero(events)  # sorted: the next event at or after k by searchsorted
        k = 0
        while k < total:
            if self.screen is not None and not self._switch_backs and not events[k]:
                stop = int(following[np.searchsorted(following, k)]) if following[-1] >= k else total
                k = self._hold_block(k, stop, total)
                if k >= total:
                    break
            if k == 0 and self.funded:
                plan = self._plan(self.household, 0, dict(self.sc.targets.weights), self.per_account)
                self._apply(plan, 0, "initial")
            if self._new_year[k]:
                self._taxes(k)
            if self._dividend_due[k]:
                self._dividends(k)
            if self._flow_any[k]:
                self._cash_flows(k)
            if self._switch_backs:
                self._switch_back(k)
            w, cash_weight, v = self._valuation(k)
            self.weights_before[k] = w
            self.cash_weight_before[k] = cash_weight
            version = self._version
            if v > 0 and not (k == 0 and self.funded):
                self._decide(k, w, cash_weight, v)
            if self._harvest_due[k] and k > 0:
                self._harvest(k)
            if version == self._version:  # nothing traded: the weights before are the weights after
                self.value[k] = v
                self.cash_path[k] = self.cash
                self.weights[k] = w
                self.cash_weight[k] = cash_weight
            else:
                self._record(k)
            if self.progress is not None and ((k + 1) % _PROGRESS_EVERY == 0 or k + 1 == total):
                self.progress(k + 1, total)
            k += 1
        return self._finish()

    def _hold_block(self, start: int, stop: int, total: int) -> int:
        """Record dates ``start..`` up to the first where the screen fires (before ``stop``) as holds.

        The loop body of :meth:`run` for such a date only values the holdings and records them; here that
        is done for many dates at once with the same elementwise float operations (row sums are the same
        pairwise sums as a single row's), in chunks of growing size.  Returns the first date left for the
        loop: where the screen fires, ``stop``, a date with a value that is not positive, or ``start`` when
        the screen cannot tell yet.
        """
        assert self.screen is not None
        k, size = start, 8
        while k < stop:
            end = min(stop, k + size)
            h = self.qty * self.prices[k:end]
            v = h.sum(axis=1) + self.cash
            positive = v > 0
            if not positive.all():  # the loop values such a date itself (no decision there)
                end = k + int(np.argmin(positive))
                h, v = h[: end - k], v[: end - k]
            w = h / v[:, None]
            held = self.screen.first_firing(k, w) if end > k else 0
            if not held:
                return k
            cash_weight = self.cash / v[:held]
            done = k + held
            self.weights_before[k:done] = w[:held]
            self.cash_weight_before[k:done] = cash_weight
            self.value[k:done] = v[:held]
            self.cash_path[k:done] = self.cash
            self.weights[k:done] = w[:held]
            self.cash_weight[k:done] = cash_weight
            self.actions[k:done] = ["hold"] * held
            if self.progress is not None:
                for j in range(k, done):
                    if (j + 1) % _PROGRESS_EVERY == 0 or j + 1 == total:
                        self.progress(j + 1, total)
            if done < end or end < min(stop, k + size):  # fired, or stopped at a non-positive value
                return done
            k, size = done, 4 * size
        return k

    def _finish(self) -> PolicyRun:
        last = len(self.dates) - 1
        realized: dict[int, tuple[Decimal, Decimal]] = {}
        wash_sales = 0
        year = self._stamps[last].year
        if self.ledger is not None:
            for settled in range(self.settled_year + 1, year):  # a run that ends on the first date of a year
                self.taxes[last] += float(self._settle(settled))
        # Selling everything at the last close: cost in every account, marginal tax of the year in taxable
        # ones (before the year is settled, so the year's gains and carried-in losses net with the sale).
        sigma, volume = self._impact_inputs(last)
        liquidation = liquidate(
            self.household,
            self._prices(last),
            self._stamps[last].date(),
            cost_model=self.cost_model,
            rates=self.rates,
            so_far=self._year_gains(year),
            carryforward=self.carry,
            taxed=self.ledger is not None,
            filing_status=self.sc.tax.filing_status,
            sigma=sigma,
            volume=volume,
        )
        if self.ledger is not None:
            tax = self._settle(year)
            self.taxes[last] += float(tax)
            self.value[last] -= float(tax)
            self.cash_path[last] -= float(tax)
            realized = dict(self.ledger.gains_by_year())
            wash_sales = len(self.ledger.wash_sales)
        return PolicyRun(
            name=self.name,
            policy=self.policy.describe(),
            dates=self.dates,
            symbols=self.symbols,
            target=self.target,
            target_cash=self.target_cash,
            periods_per_year=self.ppy,
            asset_returns=_returns(self.prices),
            value=self.value,
            cash=self.cash_path,
            flows=self.flows,
            costs=self.costs,
            taxes=self.taxes,
            traded=self.traded,
            turnover=self.turnover,
            weights=self.weights,
            weights_before=self.weights_before,
            cash_weight=self.cash_weight,
            cash_weight_before=self.cash_weight_before,
            trade_counts=self.trade_counts,
            decided=self.decided,
            actions=tuple(self.actions),
            funded=self.funded,
            decisions=tuple(self.decisions),
            trades=tuple(self.trades),
            tax_by_year=self.tax_by_year,
            realized_by_year=realized,
            carryforward=self.carry,
            dividends=self._dividend_path,
            liquidation_tax=float(liquidation.tax),
            liquidation_cost=float(liquidation.selling_cost),
            carryforward_after_liquidation=liquidation.carryforward,
            after_tax_value=float(self.value[last])
            - float(liquidation.selling_cost)
            - float(liquidation.tax),
            taxable=self.taxable,
            wash_sales=wash_sales,
            harvests=self.harvests,
            fallbacks=self.fallbacks,
            final_household=self.household,
            notes=tuple(self.notes),
        )


#: Weights this far below zero are solver noise (an interior-point solver's 1e-9), read as zero; the same
#: 1e-6 that target weights may miss summing to 1 by.
_NEGATIVE_NOISE = 1e-6


def solver_clean(weights: Mapping[str, float]) -> dict[str, float]:
    """Target weights with solver noise removed: values in ``(-1e-6, 0)`` become 0.

    Anything else is passed on unchanged, so the planner still rejects weights that are really invalid.
    """
    return {s: (0.0 if -_NEGATIVE_NOISE < w < 0.0 else float(w)) for s, w in weights.items()}


def _returns(prices: FloatArray) -> FloatArray:
    """Simple returns per period of shape (T, n), row 0 zero."""
    out = np.zeros_like(prices)
    out[1:] = prices[1:] / prices[:-1] - 1.0
    return out


def scenario_summary(scenario: Scenario) -> dict[str, Any]:
    """The resolved settings of a scenario as plain values (for reports)."""
    return {
        "start": f"{scenario.dates[0]:%Y-%m-%d}",
        "end": f"{scenario.dates[-1]:%Y-%m-%d}",
        "periods": len(scenario.dates),
        "periods_per_year": scenario.market.periods_per_year,
        "symbols": list(scenario.symbols),
        "targets": dict(scenario.targets.weights),
        "initial_value": None if scenario.initial_value is None else str(scenario.initial_value),
        "account_kind": str(scenario.account_kind) if scenario.household is None else "from portfolio file",
        "costs": {
            "half_spread_bps": scenario.costs.half_spread_bps,
            "commission_per_trade": str(scenario.costs.commission_per_trade),
            "commission_per_share": str(scenario.costs.commission_per_share),
            "min_trade_value": str(scenario.costs.min_trade_value),
            "impact": None
            if scenario.costs.impact is None
            else {"b": scenario.costs.impact.b, "alpha": scenario.costs.impact.alpha},
        },
        "tax": {
            "short_term_rate": scenario.tax.short_term_rate,
            "long_term_rate": scenario.tax.long_term_rate,
            "relief_method": str(scenario.tax.relief_method),
            "filing_status": scenario.tax.filing_status,
        },
        "trading": {
            "fractional": scenario.trading.fractional,
            "fraction_decimals": scenario.trading.fraction_decimals,
            "lot_size": scenario.trading.lot_size,
        },
        "cash_flows": [{"amount": str(f.amount), "every": f.every} for f in scenario.cash_flows],
    }
