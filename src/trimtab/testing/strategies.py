"""Hypothesis strategies for trimtab values: prices, tax lots, households, targets, settings, covariances.

For tests only (imports :mod:`hypothesis`, a test dependency); nothing in the package imports this module.

Examples
--------
>>> from hypothesis import given
>>> @given(case=rebalance_cases())
... def test_something(case): ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import strategies as st

from trimtab.domain import Account, AccountKind, Household, ReliefMethod, TaxLot
from trimtab.domain.settings import CostSettings, ImpactSettings, Placement, TaxSettings, TradingSettings
from trimtab.typing import FloatArray

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_SYMBOLS",
    "RebalanceCase",
    "accounts",
    "cost_settings",
    "households",
    "money_amounts",
    "prices",
    "psd_covariances",
    "rebalance_cases",
    "share_quantities",
    "target_weights",
    "tax_lots",
    "tax_settings",
    "trading_settings",
]

DEFAULT_SYMBOLS: tuple[str, ...] = ("AAPL", "MSFT", "JNJ", "XOM", "BND")
DEFAULT_AS_OF = date(2022, 12, 28)
_CENT = Decimal("0.01")


def money_amounts(min_value: Decimal | int = 0,
                  max_value: Decimal | int = 1_000_000) -> st.SearchStrategy[Decimal]:
    """Dollars with cents in ``[min_value, max_value]``."""
    low, high = int(Decimal(min_value) * 100), int(Decimal(max_value) * 100)
    return st.integers(low, high).map(lambda cents: Decimal(cents) * _CENT)


def share_quantities(min_shares: int = 1, max_shares: int = 2_000, *,
                     fractional: bool = False) -> st.SearchStrategy[Decimal]:
    """Positive share quantities: whole, or with up to 4 decimals when ``fractional``."""
    whole = st.integers(min_shares, max_shares).map(Decimal)
    if not fractional:
        return whole
    return st.one_of(whole, st.integers(min_shares * 10_000, max_shares * 10_000)
                     .map(lambda n: Decimal(n).scaleb(-4)))


@st.composite
def prices(draw: st.DrawFn, symbols: tuple[str, ...] = DEFAULT_SYMBOLS, *, min_price: Decimal | int = 1,
           max_price: Decimal | int = 500) -> dict[str, Decimal]:
    """Dollars per share with cents, one per symbol."""
    return {s: draw(money_amounts(min_price, max_price)) for s in symbols}


@st.composite
def tax_lots(draw: st.DrawFn, account: str, symbol: str, *, as_of: date = DEFAULT_AS_OF,
             max_shares: int = 2_000, fractional: bool = False, lot_id: str = "") -> TaxLot:
    """One lot acquired up to 15 years before ``as_of`` (short- and long-term both likely)."""
    quantity = draw(share_quantities(1, max_shares, fractional=fractional))
    unit_cost = draw(money_amounts(1, 600))
    acquired = as_of - timedelta(days=draw(st.integers(0, 15 * 365)))
    return TaxLot(account=account, symbol=symbol, quantity=quantity, cost_basis=quantity * unit_cost,
                  acquired=acquired, lot_id=lot_id or f"{account}:{symbol}:{acquired.isoformat()}")


@st.composite
def accounts(draw: st.DrawFn, *, min_accounts: int = 1, max_accounts: int = 3,
             max_cash: Decimal | int = 200_000) -> tuple[Account, ...]:
    """Accounts ``acct0, acct1, ...`` of any kind with cash in ``[0, max_cash]``."""
    n = draw(st.integers(min_accounts, max_accounts))
    return tuple(Account(id=f"acct{i}", kind=draw(st.sampled_from(list(AccountKind))),
                         cash=draw(money_amounts(0, max_cash))) for i in range(n))


@st.composite
def households(draw: st.DrawFn, symbols: tuple[str, ...] = DEFAULT_SYMBOLS, *, as_of: date = DEFAULT_AS_OF,
               min_accounts: int = 1, max_accounts: int = 3, max_lots: int = 3, max_shares: int = 2_000,
               max_cash: Decimal | int = 200_000, fractional: bool = False) -> Household:
    """A household: 1-3 accounts, and per account and symbol 0..``max_lots`` lots (unique lot ids)."""
    accts = draw(accounts(min_accounts=min_accounts, max_accounts=max_accounts, max_cash=max_cash))
    lots: list[TaxLot] = []
    for account in accts:
        for symbol in symbols:
            for k in range(draw(st.integers(0, max_lots))):
                lots.append(draw(tax_lots(account.id, symbol, as_of=as_of, max_shares=max_shares,
                                          fractional=fractional, lot_id=f"{account.id}:{symbol}:{k}")))
    return Household(name="hypothesis", accounts=accts, lots=tuple(lots))


@st.composite
def target_weights(draw: st.DrawFn, symbols: tuple[str, ...] = DEFAULT_SYMBOLS, *,
                   cash: bool = True) -> dict[str, float]:
    """Weights over ``symbols`` (and ``"CASH"`` when ``cash``), each >= 0, summing to 1 within 1e-12."""
    names = list(symbols) + (["CASH"] if cash else [])
    parts = [draw(st.integers(0, 100)) for _ in names]
    if sum(parts) == 0:
        parts[0] = 1
    total = sum(parts)
    return {name: part / total for name, part in zip(names, parts, strict=True) if part > 0}


@st.composite
def cost_settings(draw: st.DrawFn, *, max_min_trade: int = 500, impact: bool = True) -> CostSettings:
    """Costs from zero to large: spread 0-50 bp, $0-5 per ticket, $0-0.01 per share, optional impact."""
    return CostSettings(
        commission_per_trade=draw(money_amounts(0, 5)),
        commission_per_share=Decimal(draw(st.integers(0, 10))) / 1000,
        half_spread_bps=float(draw(st.integers(0, 50))),
        min_trade_value=draw(money_amounts(0, max_min_trade)),
        impact=ImpactSettings(b=1.0, alpha=1.5) if impact and draw(st.booleans()) else None)


@st.composite
def trading_settings(draw: st.DrawFn, *, buy_only: bool | None = None, cash_buffer: bool = True,
                     lot_sizes: tuple[int, ...] = (1, 10, 100)) -> TradingSettings:
    """Whole shares, round lots or fractional; optional buffer and buy-only; either placement."""
    fractional = draw(st.booleans())
    return TradingSettings(
        lot_size=draw(st.sampled_from(lot_sizes)), fractional=fractional,
        fraction_decimals=draw(st.integers(0, 6)) if fractional else 4,
        cash_buffer=draw(st.sampled_from([0.0, 0.01, 0.05])) if cash_buffer else 0.0,
        buy_only=draw(st.booleans()) if buy_only is None else buy_only,
        placement=draw(st.sampled_from(list(Placement))))


@st.composite
def tax_settings(draw: st.DrawFn, methods: tuple[ReliefMethod, ...] = tuple(ReliefMethod)) -> TaxSettings:
    """Rates 0-50 % and a relief method."""
    return TaxSettings(short_term_rate=draw(st.integers(0, 50)) / 100,
                       long_term_rate=draw(st.integers(0, 30)) / 100,
                       relief_method=draw(st.sampled_from(methods)))


@st.composite
def psd_covariances(draw: st.DrawFn, n: int, *, max_factors: int = 3) -> FloatArray:
    """A symmetric positive-definite ``(n, n)`` annual covariance ``A A' + diag(d)``, d in [1e-3, 0.05]."""
    k = draw(st.integers(1, max_factors))
    loadings = np.array([[draw(st.floats(-0.3, 0.3)) for _ in range(k)] for _ in range(n)], dtype=float)
    specific = np.array([draw(st.floats(1e-3, 0.05)) for _ in range(n)], dtype=float)
    return np.asarray(loadings @ loadings.T + np.diag(specific), dtype=float)


@dataclass(frozen=True)
class RebalanceCase:
    """Everything ``plan_trades`` needs, drawn together."""

    household: Household
    prices: dict[str, Decimal]
    weights: dict[str, float]
    costs: CostSettings
    trading: TradingSettings
    tax: TaxSettings
    as_of: date = DEFAULT_AS_OF
    sigma: dict[str, float] = field(default_factory=dict)
    volume: dict[str, float] = field(default_factory=dict)


@st.composite
def rebalance_cases(draw: st.DrawFn, symbols: tuple[str, ...] = DEFAULT_SYMBOLS, *,
                    trading: st.SearchStrategy[TradingSettings] | None = None,
                    costs: st.SearchStrategy[CostSettings] | None = None,
                    max_accounts: int = 3, fractional_lots: bool | None = None) -> RebalanceCase:
    """A household, prices, targets (some symbols held but not targeted and vice versa) and settings."""
    held = tuple(s for s in symbols if draw(st.booleans())) or symbols[:1]
    targeted = tuple(s for s in symbols if draw(st.booleans())) or symbols[-1:]
    fractional = draw(st.booleans()) if fractional_lots is None else fractional_lots
    household = draw(households(held, max_accounts=max_accounts, fractional=fractional))
    cost = draw(costs if costs is not None else cost_settings())
    sigma: dict[str, float] = {}
    volume: dict[str, float] = {}
    if cost.impact is not None:  # impact inputs only when the model prices impact
        sigma = {s: draw(st.floats(0.005, 0.05)) for s in symbols}
        volume = {s: draw(st.floats(1e6, 1e9)) for s in symbols}
    return RebalanceCase(household=household, prices=draw(prices(symbols)),
                         weights=draw(target_weights(targeted)), costs=cost,
                         trading=draw(trading if trading is not None else trading_settings()),
                         tax=draw(tax_settings()), sigma=sigma, volume=volume)
