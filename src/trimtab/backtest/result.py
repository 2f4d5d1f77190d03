"""What a backtest produced: per-period paths of each policy, and the comparison of several policies.

:class:`PolicyRun` holds one policy's paths; :class:`BacktestResult` several policies on the same scenario.

Conventions (every array has one row per simulated date ``t_0 .. t_{T-1}``):

* ``value[k]`` is the household value in dollars at the close of ``t_k`` *after* everything that happened
  at ``t_k``: cash flows, the tax payment (if ``t_k`` opens a new tax year), the policy's trades and their
  costs. ``value[0]`` is the value after the initial purchase (``initial: {value: ...}``) or of the
  portfolio file's holdings.
* ``weights_before[k]`` are the weights the policy saw at ``t_k`` (after flows and taxes, before trading);
  ``weights[k]`` the weights after trading, held over ``(t_k, t_{k+1}]``. Both are fractions of the
  value, cash in ``cash_weight``/``cash_weight_before``.
* ``flows[k]`` external cash flows (contributions positive, withdrawals negative), dollars; ``costs[k]``
  transaction costs, dollars; ``taxes[k]`` tax paid (a negative number is a refund from the $3,000
  deduction against ordinary income), dollars; ``traded[k]`` dollars bought plus sold; ``turnover[k]``
  one-way turnover ``traded / 2 / value_before``.
* Row 0 of ``costs``/``traded``/``trade_counts`` holds the initial purchase (``funded`` is True): it is in
  the transaction costs but not in turnover or rebalancing events (see ``docs/backtest.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from trimtab.domain.household import Household
from trimtab.typing import FloatArray

__all__ = ["BacktestResult", "DecisionRecord", "PolicyRun", "TradeRecord"]


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One filled trade: ``quantity`` shares at ``price`` dollars, ``cost`` dollars, and why it happened.

    ``reason`` is ``"initial"`` (the initial purchase), ``"policy"``, ``"tax"`` (sales to pay tax),
    ``"withdrawal"`` (sales to pay a withdrawal), ``"harvest"`` or ``"switch_back"`` (the harvesting overlay).
    """

    on: date
    account: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    cost: Decimal
    reason: str

    @property
    def value(self) -> Decimal:
        """Quantity times price, dollars (unsigned)."""
        return self.quantity * self.price


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision that traded: the date index ``k``, the action and the weights the policy asked for."""

    k: int
    on: pd.Timestamp
    action: str
    target_weights: Mapping[str, float]
    fallback: bool = False


@dataclass(frozen=True, eq=False)
class PolicyRun:
    """Per-period paths of one policy on one scenario (see the module docstring for conventions).

    Parameters
    ----------
    name : str
        The policy's name in the config.
    policy : str
        ``policy.describe()``.
    dates : pandas.DatetimeIndex of shape (T,)
    symbols : tuple of str of length n
        The universe, target symbols first.
    target : ndarray of shape (n,)
        Target weights; ``target_cash`` the cash target.
    target_cash : float
    periods_per_year : float
        252 for daily, 12 for monthly data.
    asset_returns : ndarray of shape (T, n)
        Simple return of each symbol from ``t_{k-1}`` to ``t_k`` (row 0 is zero).
    value, cash, flows, costs, taxes, traded, turnover : ndarray of shape (T,)
    weights, weights_before : ndarray of shape (T, n)
    cash_weight, cash_weight_before : ndarray of shape (T,)
    trade_counts : ndarray of int of shape (T,)
        Trades filled at each date.
    decided : ndarray of bool of shape (T,)
        Whether the policy's ``decide`` was called at ``t_k`` (False where the exact hold screen of the fast
        path showed that its trigger does not fire, and at ``t_0`` after an initial purchase).
    actions : tuple of str of length T
        ``hold``, ``rebalance`` or ``partial``; ``""`` where the policy was not asked.
    funded : bool
        Row 0 holds the initial purchase.
    decisions : tuple of DecisionRecord
        The decisions that asked for trades.
    trades : tuple of TradeRecord
    tax_by_year : mapping of int to Decimal
        Tax paid for each tax year, dollars (negative: a refund).
    realized_by_year : mapping of int to (Decimal, Decimal)
        Recognized short- and long-term gains per year in taxable accounts (after wash sales), dollars.
    carryforward : (Decimal, Decimal)
        Short- and long-term capital-loss carryforward left after the last year, dollars.
    liquidation_tax : float
        Extra tax, dollars, if every position were sold at the last date: the gains after the selling
        cost, netted with the last year's realized gains and the carryforward (negative when the sale's
        losses save tax that year; :mod:`trimtab.backtest.liquidation`).
    after_tax_value : float
        ``value[-1] - liquidation_cost - liquidation_tax``: what the household would have after selling
        everything and paying all tax, dollars. A loss still carried forward after that sale
        (``carryforward_after_liquidation``) is counted as worth nothing.
    taxable : bool
        Whether gains were taxed (a taxable account and a non-zero rate).
    wash_sales : int
        Wash-sale matches the tax ledger found.
    fallbacks : int
        Decisions that used a fallback (e.g. a failed optimization held).
    final_household : Household
        Accounts, cash and lots at the last date.
    notes : tuple of str
        Plain-language remarks (forced sales, unpaid amounts).
    harvests : int
        Tax-loss harvests booked by the harvesting overlay (trades marked ``harvest``; their switch-backs
        ``switch_back``).
    liquidation_cost : float
        Trading cost, dollars, of selling every position at the last date (the run's cost model, one sale
        per account and symbol, every account kind).
    carryforward_after_liquidation : (Decimal, Decimal)
        Short- and long-term losses still carried forward after that sale, dollars (not valued).
    dividends : ndarray of shape (T,), optional
        Cash dividends credited at each date, all accounts, dollars (zeros without dividend data). They
        are part of the return (not a flow); their tax is in ``taxes``.
    """

    name: str
    policy: str
    dates: pd.DatetimeIndex
    symbols: tuple[str, ...]
    target: FloatArray
    target_cash: float
    periods_per_year: float
    asset_returns: FloatArray
    value: FloatArray
    cash: FloatArray
    flows: FloatArray
    costs: FloatArray
    taxes: FloatArray
    traded: FloatArray
    turnover: FloatArray
    weights: FloatArray
    weights_before: FloatArray
    cash_weight: FloatArray
    cash_weight_before: FloatArray
    trade_counts: np.ndarray
    decided: np.ndarray
    actions: tuple[str, ...]
    funded: bool
    decisions: tuple[DecisionRecord, ...]
    trades: tuple[TradeRecord, ...]
    tax_by_year: Mapping[int, Decimal]
    realized_by_year: Mapping[int, tuple[Decimal, Decimal]]
    carryforward: tuple[Decimal, Decimal]
    liquidation_tax: float
    after_tax_value: float
    taxable: bool
    wash_sales: int
    fallbacks: int
    final_household: Household
    notes: tuple[str, ...] = ()
    harvests: int = 0
    liquidation_cost: float = 0.0
    carryforward_after_liquidation: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))
    dividends: FloatArray | None = None

    def __post_init__(self) -> None:
        if self.dividends is None:
            object.__setattr__(self, "dividends", np.zeros(len(self.dates)))
        for name in ("tax_by_year", "realized_by_year"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        for name in (
            "asset_returns",
            "value",
            "cash",
            "flows",
            "costs",
            "taxes",
            "traded",
            "turnover",
            "weights",
            "weights_before",
            "cash_weight",
            "cash_weight_before",
            "trade_counts",
            "decided",
            "target",
            "dividends",
        ):
            getattr(self, name).setflags(write=False)

    # -- derived paths --------------------------------------------------------------------------------------
    @property
    def n_periods(self) -> int:
        """Number of dates T."""
        return len(self.dates)

    @property
    def years(self) -> float:
        """Length of the run in years: ``(T - 1) / periods_per_year``."""
        return max(self.n_periods - 1, 0) / self.periods_per_year

    def period_returns(self) -> FloatArray:
        """Time-weighted return of each period, shape (T-1,): ``(value[k] - flows[k]) / value[k-1] - 1``.

        Costs and taxes paid lower it (after-cost, after-tax-paid returns); cash flows do not count.
        """
        v = self.value
        return (v[1:] - self.flows[1:]) / v[:-1] - 1.0

    def wealth_index(self) -> FloatArray:
        """Growth of one dollar, shape (T,): 1 at ``t_0``, then the compounded :meth:`period_returns`."""
        return np.concatenate([[1.0], np.cumprod(1.0 + self.period_returns())])

    def benchmark_returns(self) -> FloatArray:
        """Return of the target weights rebalanced every period (no costs), shape (T-1,); cash earns 0."""
        return self.asset_returns[1:] @ self.target

    def holding_returns(self) -> FloatArray:
        """Return of the weights held over each period before any trade, cost or tax, shape (T-1,)."""
        out: FloatArray = np.einsum("ij,ij->i", self.weights[:-1], self.asset_returns[1:])
        return out

    def active_returns(self) -> FloatArray:
        """``holding_returns - benchmark_returns``, shape (T-1,): the drift part of the tracking error."""
        out: FloatArray = np.einsum("ij,ij->i", self.weights[:-1] - self.target, self.asset_returns[1:])
        return out

    def drift(self) -> FloatArray:
        """``weights_before - target``, shape (T, n): drift the policy saw at each date."""
        return self.weights_before - self.target

    @property
    def rebalance_events(self) -> int:
        """Dates with at least one trade, the initial purchase excluded."""
        counts = self.trade_counts[1:] if self.funded else self.trade_counts
        return int(np.count_nonzero(counts))

    @property
    def transaction_costs(self) -> float:
        """All trading costs paid, dollars (the initial purchase included)."""
        return float(self.costs.sum())

    @property
    def dividends_received(self) -> float:
        """All cash dividends credited during the run, dollars (before their tax)."""
        return float(np.sum(self.dividends))

    @property
    def taxes_paid(self) -> float:
        """All tax paid during the run, dollars, the last year's settled at the last date."""
        return float(self.taxes.sum())

    def weights_frame(self, before: bool = False) -> pd.DataFrame:
        """Weights (after trading, or before with ``before=True``) as a DataFrame with a ``CASH`` column."""
        w = self.weights_before if before else self.weights
        c = self.cash_weight_before if before else self.cash_weight
        frame = pd.DataFrame(np.array(w, copy=True), index=self.dates, columns=list(self.symbols))
        frame["CASH"] = c
        return frame

    def trades_frame(self) -> pd.DataFrame:
        """The trades as a DataFrame (date, account, symbol, side, quantity, price, value, cost, reason)."""
        rows = [
            {
                "date": t.on,
                "account": t.account,
                "symbol": t.symbol,
                "side": t.side,
                "quantity": float(t.quantity),
                "price": float(t.price),
                "value": float(t.value),
                "cost": float(t.cost),
                "reason": t.reason,
            }
            for t in self.trades
        ]
        columns = ["date", "account", "symbol", "side", "quantity", "price", "value", "cost", "reason"]
        return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Several policies run on the same scenario, in config order.

    Parameters
    ----------
    runs : mapping of str to PolicyRun
        By policy name.
    source : str
        The config file (or ``"memory"``).
    data_source : str
        Where the market data came from.
    settings : mapping
        The resolved settings, for reports (costs, tax, trading, start, end, frequency).
    """

    runs: Mapping[str, PolicyRun]
    source: str = "memory"
    data_source: str = "memory"
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", MappingProxyType(dict(self.runs)))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @property
    def names(self) -> tuple[str, ...]:
        """Policy names in config order."""
        return tuple(self.runs)

    def __getitem__(self, name: str) -> PolicyRun:
        return self.runs[name]
