"""Validated settings shared by trades, costs, tax and policies (built from the portfolio file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from trimtab.domain.lots import ReliefMethod
from trimtab.errors import ConfigError

__all__ = ["CostSettings", "ImpactSettings", "Placement", "PolicySpec", "TaxSettings", "TradingSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactSettings:
    """Market impact ``b * sigma * |u|^alpha / V^(alpha-1)`` (dollars; sigma per period, V dollars/period)."""

    b: float = 1.0
    alpha: float = 1.5

    def __post_init__(self) -> None:
        if self.b < 0:
            raise ConfigError("costs.impact.b must be zero or more", got=self.b, fix="use e.g. 1.0")
        if not 1.0 <= self.alpha <= 2.0:
            raise ConfigError("costs.impact.alpha must be between 1 and 2", got=self.alpha, fix="use 1.5")


@dataclass(frozen=True, slots=True, kw_only=True)
class CostSettings:
    """Trading costs.

    ``commission_per_trade`` dollars per order (a fixed ticket cost); ``commission_per_share`` dollars per
    share; ``half_spread_bps`` one-way cost in basis points of value traded; ``min_trade_value`` dollars,
    smaller trades are dropped; ``impact`` optional market impact.
    """

    commission_per_trade: Decimal = Decimal("0")
    commission_per_share: Decimal = Decimal("0")
    half_spread_bps: float = 0.0
    min_trade_value: Decimal = Decimal("0")
    impact: ImpactSettings | None = None

    def __post_init__(self) -> None:
        for name in ("commission_per_trade", "commission_per_share", "min_trade_value"):
            if getattr(self, name) < 0:
                raise ConfigError(f"costs.{name} must be zero or more", got=str(getattr(self, name)),
                                  fix="costs are non-negative dollars")
        if self.half_spread_bps < 0:
            raise ConfigError("costs.half_spread_bps must be zero or more", got=self.half_spread_bps,
                              fix="e.g. 2 for 2 basis points")


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxSettings:
    """Tax rates (fractions, e.g. 0.37) and how sells pick lots."""

    short_term_rate: float = 0.0
    long_term_rate: float = 0.0
    relief_method: ReliefMethod = ReliefMethod.FIFO
    filing_status: str = "single"

    def __post_init__(self) -> None:
        for name in ("short_term_rate", "long_term_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate < 1.0:
                raise ConfigError(f"tax.{name} must be a fraction in [0, 1)", got=rate, fix="e.g. 0.37 for 37 %")


class Placement(StrEnum):
    """How household trades are split across accounts.

    ``tax_aware``: trade in tax-deferred/exempt accounts first, sell in taxable accounts only when needed.
    ``pro_rata``: each account moves toward the household targets on its own value.
    """

    TAX_AWARE = "tax_aware"
    PRO_RATA = "pro_rata"


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingSettings:
    """How trades are sized.

    ``lot_size`` shares per round lot (1 = whole shares); ``fractional`` allows fractional shares (then
    ``lot_size`` is ignored and quantities have ``fraction_decimals`` places); ``cash_buffer`` fraction of
    each account's value kept in cash; ``buy_only`` invests cash without selling.
    """

    lot_size: int = 1
    fractional: bool = False
    fraction_decimals: int = 4
    cash_buffer: float = 0.0
    buy_only: bool = False
    placement: Placement = Placement.TAX_AWARE

    def __post_init__(self) -> None:
        if self.lot_size < 1:
            raise ConfigError("trading.lot_size must be a whole number of shares >= 1", got=self.lot_size,
                              fix="1 for whole shares, 100 for round lots")
        if not 0.0 <= self.cash_buffer < 1.0:
            raise ConfigError("trading.cash_buffer must be a fraction in [0, 1)", got=self.cash_buffer,
                              fix="e.g. 0.01 to keep 1 % in cash")
        if not 0 <= self.fraction_decimals <= 6:
            raise ConfigError("trading.fraction_decimals must be 0..6", got=self.fraction_decimals, fix="e.g. 4")


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A policy as written in a file: its ``kind`` and raw parameters (validated by the policy registry)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
