"""Trading-cost models: linear (spread and per-share commission), market impact, fixed ticket cost.

Every model prices a vector of trades ``u`` in dollars (buys positive) and returns the cost per asset in
dollars::

    LinearCost     (half_spread_bps * 1e-4 + commission_per_share / price) * |u|
    MarketImpact   b * sigma * |u|**alpha / V**(alpha - 1)
    FixedCost      per_trade * [|u| > 1e-12]

``sigma`` is the volatility of simple returns per period and ``V`` the traded value in dollars per period,
for the same period (e.g. daily); the impact term is the power law of Boyd et al. (2017), "Multi-Period
Trading via Convex Optimization", Found. Trends Optim. 3(1), section 2.3.  In weight form, with ``u = z v``
for portfolio value ``v``, the cost over ``v`` is KAT-10's
``phi(z) = (a + p/P)|z| + b sigma (v/V)^(alpha-1) |z|^alpha``.

Models add up (``LinearCost(...) + MarketImpact()`` is a :class:`CostModel`).  The optimizer reuses the
per-asset coefficients (:meth:`LinearCost.rate`, :meth:`MarketImpact.coefficient`), so the numpy cost and
the convex-program cost are the same formula.

Examples
--------
>>> import numpy as np
>>> model = LinearCost(half_spread_bps=10.0) + FixedCost(per_trade=1.0)
>>> inputs = TradeCostInputs(prices=np.array([100.0, 50.0]))
>>> model.evaluate(np.array([100_000.0, -100_000.0]), inputs).tolist()
[101.0, 101.0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

import numpy as np

from trimtab.domain.settings import CostSettings
from trimtab.errors import ConfigError, DataError
from trimtab.typing import FloatArray
from trimtab.units import CENT, ZERO, money, to_decimal, to_float

__all__ = [
    "TRADE_EPSILON_USD",
    "CostModel",
    "CostTerm",
    "FixedCost",
    "LinearCost",
    "MarketImpact",
    "TradeCostInputs",
]

#: A trade smaller than this many dollars in absolute value counts as no trade (for fixed costs).
TRADE_EPSILON_USD = 1e-12


def _vector(name: str, values: object, n: int | None) -> FloatArray:
    out = np.array(values, dtype=float, copy=True).reshape(-1)
    if n is not None and out.shape != (n,):
        raise DataError(
            f"trade cost inputs: {name} has {out.size} values but prices has {n}; "
            "give one value per asset, in the same order"
        )
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class TradeCostInputs:
    """Market data the cost models need, one entry per asset.

    Parameters
    ----------
    prices : ndarray of shape (n,)
        Dollars per share, finite and positive.
    sigma : ndarray of shape (n,), optional
        Volatility of simple returns per period (e.g. daily), as a fraction. Needed only for impact.
    volume : ndarray of shape (n,), optional
        Traded value per period in dollars (same period as ``sigma``). Needed only for impact.
    """

    prices: FloatArray
    sigma: FloatArray | None = None
    volume: FloatArray | None = None

    def __post_init__(self) -> None:
        prices = _vector("prices", self.prices, None)
        bad = np.flatnonzero(~(np.isfinite(prices) & (prices > 0)))
        if bad.size:
            raise DataError(
                f"trade cost inputs: prices must be finite and positive; asset positions "
                f"{bad.tolist()[:10]} have {prices[bad].tolist()[:10]}"
            )
        object.__setattr__(self, "prices", prices)
        n = prices.size
        if self.sigma is not None:
            object.__setattr__(self, "sigma", _vector("sigma", self.sigma, n))
        if self.volume is not None:
            object.__setattr__(self, "volume", _vector("volume", self.volume, n))

    @property
    def n_assets(self) -> int:
        """Number of assets."""
        return int(self.prices.size)


def _trades(u: FloatArray, inputs: TradeCostInputs) -> FloatArray:
    out = np.asarray(u, dtype=float).reshape(-1)
    if out.shape != (inputs.n_assets,):
        raise DataError(f"trades have {out.size} entries but the cost inputs have {inputs.n_assets} assets")
    if not np.all(np.isfinite(out)):
        raise DataError("trades must be finite dollar amounts; got NaN or infinity")
    return out


def _check_non_negative(owner: str, name: str, value: float, example: str) -> None:
    if not np.isfinite(value) or value < 0:
        raise ConfigError(f"{owner}: {name} must be a finite number, zero or more", got=value, fix=example)


class CostTerm:
    """Base of the single cost models; ``a + b`` makes a :class:`CostModel`."""

    def evaluate(self, u: FloatArray, inputs: TradeCostInputs) -> FloatArray:
        """Cost per asset in dollars of trades ``u`` (dollars, buys positive), shape (n,)."""
        raise NotImplementedError

    def total(self, u: FloatArray, inputs: TradeCostInputs) -> float:
        """Total cost of trades ``u`` in dollars."""
        return float(self.evaluate(u, inputs).sum())

    def estimate_one(
        self, quantity: Decimal, price: Decimal, *, sigma: float | None, volume: float | None
    ) -> Decimal:
        """Unrounded dollars for one trade of ``quantity`` shares (unsigned) at ``price``."""
        raise NotImplementedError

    def __add__(self, other: CostTerm | CostModel) -> CostModel:
        return CostModel(self) + other

    def __radd__(self, other: object) -> CostModel:
        if other == 0:  # sum([...]) starts from 0
            return CostModel(self)
        return NotImplemented


@dataclass(frozen=True, repr=False)
class LinearCost(CostTerm):
    """Half spread plus per-share commission: ``(half_spread_bps * 1e-4 + commission_per_share / price)|u|``.

    Parameters
    ----------
    half_spread_bps : float
        One-way cost in basis points of value traded (half the quoted bid-ask spread).
    commission_per_share : float
        Dollars per share traded.
    """

    half_spread_bps: float = 0.0
    commission_per_share: float = 0.0

    def __post_init__(self) -> None:
        _check_non_negative(
            "LinearCost", "half_spread_bps", self.half_spread_bps, "e.g. 2 for 2 basis points"
        )
        _check_non_negative(
            "LinearCost", "commission_per_share", self.commission_per_share, "dollars per share, e.g. 0.005"
        )

    def rate(self, inputs: TradeCostInputs) -> FloatArray:
        """Dollars of cost per dollar traded, per asset, shape (n,)."""
        return self.half_spread_bps * 1e-4 + self.commission_per_share / inputs.prices

    def evaluate(self, u: FloatArray, inputs: TradeCostInputs) -> FloatArray:
        """Cost per asset in dollars, shape (n,)."""
        return self.rate(inputs) * np.abs(_trades(u, inputs))

    @cached_property
    def _decimal_rates(self) -> tuple[Decimal, Decimal]:
        """Half spread per dollar and commission per share as Decimal (converted once, not per trade)."""
        spread = to_decimal(float(self.half_spread_bps)) / Decimal(10_000)
        return spread, to_decimal(float(self.commission_per_share))

    def estimate_one(
        self, quantity: Decimal, price: Decimal, *, sigma: float | None = None, volume: float | None = None
    ) -> Decimal:
        """Exact Decimal dollars for one trade (unrounded)."""
        spread, commission = self._decimal_rates
        return spread * quantity * price + commission * quantity

    def __repr__(self) -> str:
        args = [
            f"{k}={v!r}"
            for k, v in (
                ("half_spread_bps", self.half_spread_bps),
                ("commission_per_share", self.commission_per_share),
            )
            if v
        ]
        return f"LinearCost({', '.join(args)})"


@dataclass(frozen=True, repr=False)
class MarketImpact(CostTerm):
    """Market impact ``b * sigma * |u|**alpha / V**(alpha - 1)`` in dollars.

    Parameters
    ----------
    b : float
        Dimensionless scale, zero or more (about 1 in Boyd et al. 2017).
    alpha : float
        Exponent in [1, 2]; 3/2 is the square-root law of price impact.

    Notes
    -----
    Needs ``inputs.sigma`` and ``inputs.volume``.  Evaluating without them raises :class:`DataError`
    rather than silently pricing impact at zero; so does a traded asset whose ``sigma`` is not a finite
    number >= 0 or whose ``volume`` is not a finite number > 0.  Assets with no trade are not checked.
    """

    b: float = 1.0
    alpha: float = 1.5

    def __post_init__(self) -> None:
        _check_non_negative("MarketImpact", "b", self.b, "e.g. 1.0")
        if not (np.isfinite(self.alpha) and 1.0 <= self.alpha <= 2.0):
            raise ConfigError("MarketImpact: alpha must be between 1 and 2", got=self.alpha, fix="use 1.5")

    def coefficient(self, inputs: TradeCostInputs, *, only: np.ndarray | None = None) -> FloatArray:
        """Per-asset ``c = b sigma / V**(alpha-1)`` so that the cost is ``c |u|**alpha``, shape (n,).

        Parameters
        ----------
        inputs : TradeCostInputs
            Must carry ``sigma`` and ``volume``.
        only : ndarray of bool of shape (n,), optional
            Check (and compute) only these assets; the others get 0.  Default: all assets.
        """
        if inputs.sigma is None or inputs.volume is None:
            missing = " and ".join(k for k in ("sigma", "volume") if getattr(inputs, k) is None)
            raise DataError(
                f"market impact needs per-asset {missing}; give volatility per period and traded "
                "value per period in dollars, or remove the impact model from the costs"
            )
        mask = np.ones(inputs.n_assets, dtype=bool) if only is None else np.asarray(only, dtype=bool)
        sigma, volume = inputs.sigma, inputs.volume
        bad = np.flatnonzero(mask & ~(np.isfinite(sigma) & (sigma >= 0) & np.isfinite(volume) & (volume > 0)))
        if bad.size:
            raise DataError(
                f"market impact: asset positions {bad.tolist()[:10]} need a finite volatility >= 0 "
                f"and a traded value > 0; got sigma {sigma[bad].tolist()[:10]}, "
                f"volume {volume[bad].tolist()[:10]}"
            )
        out = np.zeros(inputs.n_assets)
        out[mask] = self.b * sigma[mask] / volume[mask] ** (self.alpha - 1.0)
        return out

    def evaluate(self, u: FloatArray, inputs: TradeCostInputs) -> FloatArray:
        """Cost per asset in dollars, shape (n,)."""
        u = _trades(u, inputs)
        size = np.abs(u)
        return self.coefficient(inputs, only=size > 0) * size**self.alpha

    def estimate_one(
        self, quantity: Decimal, price: Decimal, *, sigma: float | None = None, volume: float | None = None
    ) -> Decimal:
        """Dollars for one trade; zero when ``sigma`` or ``volume`` is not given."""
        if sigma is None or volume is None or quantity == 0:
            return ZERO
        inputs = TradeCostInputs(
            prices=np.array([to_float(price)]), sigma=np.array([sigma]), volume=np.array([volume])
        )
        return to_decimal(float(self.evaluate(np.array([to_float(quantity * price)]), inputs)[0]))

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v, d in (("b", self.b, 1.0), ("alpha", self.alpha, 1.5)) if v != d]
        return f"MarketImpact({', '.join(args)})"


@dataclass(frozen=True, repr=False)
class FixedCost(CostTerm):
    """A fixed ticket cost ``per_trade`` dollars for every asset traded (``|u| > 1e-12``).

    Not convex: the optimizer prices it only through a mixed-integer formulation.
    """

    per_trade: float = 0.0

    def __post_init__(self) -> None:
        _check_non_negative("FixedCost", "per_trade", self.per_trade, "dollars per order, e.g. 1.0")

    def evaluate(self, u: FloatArray, inputs: TradeCostInputs) -> FloatArray:
        """Cost per asset in dollars, shape (n,)."""
        return np.where(np.abs(_trades(u, inputs)) > TRADE_EPSILON_USD, float(self.per_trade), 0.0)

    def estimate_one(
        self, quantity: Decimal, price: Decimal, *, sigma: float | None = None, volume: float | None = None
    ) -> Decimal:
        """``per_trade`` when ``quantity > 0``."""
        return self._decimal_per_trade if quantity > 0 else ZERO

    @cached_property
    def _decimal_per_trade(self) -> Decimal:
        return to_decimal(float(self.per_trade))

    def __repr__(self) -> str:
        return f"FixedCost(per_trade={self.per_trade!r})" if self.per_trade else "FixedCost()"


@dataclass(frozen=True, init=False, repr=False)
class CostModel:
    """A sum of cost models; the cost of a trade list is the sum of each model's cost.

    Parameters
    ----------
    *terms : CostTerm or CostModel
        The parts (a nested model is flattened).  No terms means zero cost.
    """

    terms: tuple[CostTerm, ...] = field(default=())

    def __init__(self, *terms: CostTerm | CostModel) -> None:
        flat: list[CostTerm] = []
        for term in terms:
            if isinstance(term, CostModel):
                flat.extend(term.terms)
            elif isinstance(term, CostTerm):
                flat.append(term)
            else:
                raise ConfigError(
                    "a cost model is built from LinearCost, MarketImpact, FixedCost or CostModel",
                    got=type(term).__name__,
                    fix="pass cost model objects",
                )
        object.__setattr__(self, "terms", tuple(flat))

    @classmethod
    def from_settings(cls, settings: CostSettings) -> CostModel:
        """The model described by the portfolio file's ``costs`` section.

        ``half_spread_bps`` and ``commission_per_share`` make a :class:`LinearCost` (always present, maybe
        zero); ``commission_per_trade > 0`` adds a :class:`FixedCost`; ``impact`` adds a
        :class:`MarketImpact`.  ``min_trade_value`` is a trade-sizing rule, not a cost, and is ignored here.
        """
        terms: list[CostTerm] = [
            LinearCost(
                half_spread_bps=float(settings.half_spread_bps),
                commission_per_share=to_float(settings.commission_per_share),
            )
        ]
        if settings.commission_per_trade > 0:
            terms.append(FixedCost(per_trade=to_float(settings.commission_per_trade)))
        if settings.impact is not None:
            terms.append(MarketImpact(b=float(settings.impact.b), alpha=float(settings.impact.alpha)))
        return cls(*terms)

    def __iter__(self) -> Iterator[CostTerm]:
        return iter(self.terms)

    def __add__(self, other: CostTerm | CostModel) -> CostModel:
        if not isinstance(other, (CostTerm, CostModel)):
            return NotImplemented
        return CostModel(*self.terms, other)

    def __radd__(self, other: object) -> CostModel:
        if other == 0:
            return self
        return NotImplemented

    def of_type(self, kind: type[CostTerm]) -> tuple[CostTerm, ...]:
        """The terms that are instances of ``kind`` (e.g. all :class:`MarketImpact` parts)."""
        return tuple(t for t in self.terms if isinstance(t, kind))

    @property
    def is_convex(self) -> bool:
        """Whether every term is convex in the trades (no :class:`FixedCost` with a positive price)."""
        return not any(isinstance(t, FixedCost) and t.per_trade > 0 for t in self.terms)

    def evaluate(self, u: FloatArray, inputs: TradeCostInputs) -> FloatArray:
        """Cost per asset in dollars of trades ``u`` (dollars, buys positive), shape (n,)."""
        u = _trades(u, inputs)
        out = np.zeros(inputs.n_assets)
        for term in self.terms:
            out += term.evaluate(u, inputs)
        return out

    def total(self, u: FloatArray, inputs: TradeCostInputs) -> float:
        """Total cost of trades ``u`` in dollars."""
        return float(self.evaluate(u, inputs).sum())

    def estimate(
        self, quantity: Decimal, price: Decimal, *, sigma: float | None = None, volume: float | None = None
    ) -> Decimal:
        """Dollars, rounded to cents, for ONE trade of ``quantity`` shares (unsigned) at ``price``.

        Linear and fixed parts are computed exactly in Decimal; the fixed ticket cost applies when
        ``quantity > 0``; impact is included only when ``sigma`` (per period) and ``volume`` (dollars per
        period) are both given and the model has a :class:`MarketImpact` term.
        """
        quantity = abs(quantity if type(quantity) is Decimal else to_decimal(quantity))
        if type(price) is not Decimal:
            price = to_decimal(price)
        if price <= 0:
            raise DataError(f"cost estimate needs a positive price; got {price}")
        total = ZERO  # summed as sum(..., ZERO) would, term by term
        for term in self.terms:
            total += term.estimate_one(quantity, price, sigma=sigma, volume=volume)
        return money(total)

    def linear_estimate(self) -> Callable[[Decimal, Decimal], Decimal] | None:
        """:meth:`estimate` without impact inputs, as a function ``(quantity, price) -> dollars`` built once.

        The same Decimal operations in the same order (each term's part added to zero in term order, then
        rounded to cents), with the settings converted once; for ``quantity > 0`` and ``price > 0`` given
        as Decimal (anything else goes to :meth:`estimate`).  None when a term is not :class:`LinearCost`,
        :class:`FixedCost` or :class:`MarketImpact` (which prices nothing without inputs).
        """
        parts: list[tuple[Decimal, Decimal] | Decimal] = []
        for term in self.terms:
            kind = type(term)
            if kind is LinearCost:
                parts.append(term._decimal_rates)  # type: ignore[attr-defined]
            elif kind is FixedCost:
                parts.append(term._decimal_per_trade)  # type: ignore[attr-defined]
            elif kind is not MarketImpact:
                return None
        estimate = self.estimate
        if len(parts) == 1 and isinstance(parts[0], tuple):  # the usual model: spread and commission
            spread, commission = parts[0]
            half_up = ROUND_HALF_UP

            def linear(quantity: Decimal, price: Decimal) -> Decimal:
                if type(quantity) is not Decimal or type(price) is not Decimal or not quantity > 0 < price:
                    return estimate(quantity, price)
                total = ZERO + (spread * quantity * price + commission * quantity)
                return total.quantize(CENT, rounding=half_up)  # money(total): to_decimal(total) is total

            return linear

        def general(quantity: Decimal, price: Decimal) -> Decimal:
            if type(quantity) is not Decimal or type(price) is not Decimal or not quantity > 0 < price:
                return estimate(quantity, price)
            total = ZERO
            for part in parts:
                if isinstance(part, tuple):
                    total += part[0] * quantity * price + part[1] * quantity
                else:
                    total += part
            return money(total)

        return general

    def linear_rates(self, *, impact: bool = False) -> tuple[float, float, float] | None:
        """Float ``(per_dollar, per_share, per_trade)`` when the cost of one trade is linear plus a ticket.

        :meth:`estimate` of ``q > 0`` shares at ``p`` is then ``money(per_dollar * q * p + per_share * q +
        per_trade)`` (up to float rounding).  None when a term is neither :class:`LinearCost` nor
        :class:`FixedCost`, unless it is a :class:`MarketImpact` that prices nothing (``impact=False``: no
        trade has both ``sigma`` and ``volume``).  Trade sizing uses it to estimate costs in float; the
        costs it relies on still come from :meth:`estimate`.
        """
        per_dollar = per_share = per_trade = 0.0
        for term in self.terms:
            kind = type(term)
            if kind is LinearCost:
                per_dollar += float(term.half_spread_bps) * 1e-4  # type: ignore[attr-defined]
                per_share += float(term.commission_per_share)  # type: ignore[attr-defined]
            elif kind is FixedCost:
                per_trade += float(term.per_trade)  # type: ignore[attr-defined]
            elif kind is not MarketImpact or impact:
                return None
        return per_dollar, per_share, per_trade

    def __repr__(self) -> str:
        return " + ".join(repr(t) for t in self.terms) if self.terms else "CostModel()"
