# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Hard constraints on the trades ``z`` (weights; cash is ``cash - sum(z)`` after trading).

=================================  ==========================================================================
``LongOnly()``                     ``w_plus >= 0``
``CashBounds(min_weight, max_weight)``  ``min_weight <= cash_plus <= max_weight`` (default 0..1: no borrowing)
``Budget(cash=None)``              ``cash_plus == cash`` (default: the current cash weight, i.e. ``sum(z) == 0``)
``WeightBounds(lower, upper)``     ``lower <= w_plus <= upper``; a number for every asset or ``{symbol: x}``
``TurnoverAtMost(limit)``          one-way turnover ``sum(|z|) / 2 <= limit``
``DoNotTrade(symbols)``            ``z == 0`` for those symbols
``DoNotBuy(symbols)``              ``z <= 0``
``DoNotSell(symbols)``             ``z >= 0``
=================================  ==========================================================================

Symbols not in the universe are ignored by the lists and by per-symbol bounds.  Every constraint measures
itself exactly with ``violation(z, data)`` (weights; 0 when it holds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError
from trimtab.models.base import Constraint, CvxVars, ProblemData
from trimtab.typing import FloatArray

__all__ = [
    "Budget",
    "CashBounds",
    "DoNotBuy",
    "DoNotSell",
    "DoNotTrade",
    "LongOnly",
    "TurnoverAtMost",
    "WeightBounds",
]

#: Stand-in for "no bound" inside Parameters (weights beyond +-1000 % are not meaningful).
NO_BOUND = 10.0


def _pp(x: float) -> str:
    return f"{100 * x:.2f} %"


@dataclass(frozen=True, repr=False, eq=False)
class LongOnly(Constraint):
    """No short positions: ``w_plus >= 0``."""

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        return [v.w_plus >= 0]

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        return float(max(0.0, -np.min(data.w + z, initial=0.0)))

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        w_plus = data.w + z
        names = [
            data.symbols[i] for i in np.flatnonzero(w_plus <= 1e-7) if data.w_target[i] > 0 or data.w[i] > 0
        ]
        return (
            (
                "long only binds: "
                + ", ".join(names[:5])
                + (" ..." if len(names) > 5 else "")
                + " sold out entirely"
            )
            if names
            else "long only binds"
        )

    def __repr__(self) -> str:
        return "LongOnly()"


@dataclass(frozen=True, repr=False, eq=False)
class CashBounds(Constraint):
    """``min_weight <= cash_plus <= max_weight`` (fractions of value; default 0..1, no borrowing)."""

    min_weight: float = 0.0
    max_weight: float = 1.0

    def __post_init__(self) -> None:
        for name in ("min_weight", "max_weight"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(
                    f"CashBounds: {name} must be a finite fraction",
                    got=getattr(self, name),
                    fix="e.g. min_weight=0.01 to keep 1 % cash",
                )
        if self.min_weight > self.max_weight:
            raise ConfigError(
                "CashBounds: min_weight is above max_weight",
                got=(self.min_weight, self.max_weight),
                fix="swap them",
            )

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        return [v.cash_plus >= self.min_weight, v.cash_plus <= self.max_weight]

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        cash_plus = float(data.cash) - float(np.sum(z))  # type: ignore[arg-type]
        return max(0.0, self.min_weight - cash_plus, cash_plus - self.max_weight)

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        cash_plus = float(data.cash) - float(np.sum(z))  # type: ignore[arg-type]
        edge = (
            "minimum" if abs(cash_plus - self.min_weight) <= abs(cash_plus - self.max_weight) else "maximum"
        )
        return f"the cash {edge} binds (cash after trading {_pp(cash_plus)})"

    def __repr__(self) -> str:
        args = [
            f"{k}={v!r}"
            for k, v, d in (("min_weight", self.min_weight, 0.0), ("max_weight", self.max_weight, 1.0))
            if v != d
        ]
        return f"CashBounds({', '.join(args)})"


@dataclass(frozen=True, repr=False, eq=False)
class Budget(Constraint):
    """Cash after trading equals ``cash`` (a weight); ``None`` keeps the current cash (``sum(z) == 0``)."""

    cash: float | None = None

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        if self.cash is None:
            return [cp.sum(v.z) == 0]
        return [v.cash_plus == self.cash]

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        if self.cash is None:
            return abs(float(np.sum(z)))
        return abs(float(data.cash) - float(np.sum(z)) - self.cash)  # type: ignore[arg-type]

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return (
            "the budget binds: buys are paid for by sells"
            if self.cash is None
            else f"the budget binds: cash after trading is held at {_pp(self.cash)}"
        )

    def __repr__(self) -> str:
        return "Budget()" if self.cash is None else f"Budget(cash={self.cash!r})"


def _per_asset(
    value: float | Mapping[str, float] | None, data_symbols: tuple[str, ...], default: float
) -> FloatArray:
    if value is None:
        return np.full(len(data_symbols), default)
    if isinstance(value, Mapping):
        return np.array([float(value.get(s, default)) for s in data_symbols])
    return np.full(len(data_symbols), float(value))


@dataclass(frozen=True, repr=False, eq=False)
class WeightBounds(Constraint):
    """``lower <= w_plus <= upper`` per asset.

    Parameters
    ----------
    lower, upper : float or mapping of symbol to float, optional
        One bound for every asset, or per symbol (symbols not named are unbounded on that side).
    """

    lower: float | Mapping[str, float] | None = None
    upper: float | Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        for name in ("lower", "upper"):
            value = getattr(self, name)
            values = value.values() if isinstance(value, Mapping) else ([] if value is None else [value])
            for x in values:
                if not (isinstance(x, (int, float)) and math.isfinite(x)):
                    raise ConfigError(
                        f"WeightBounds: {name} bounds must be finite fractions", got=x, fix="e.g. upper=0.25"
                    )
            if isinstance(value, Mapping):
                object.__setattr__(self, name, dict(value))

    def bounds(self, data: ProblemData) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds per asset, shape (n,) each (+-10 where unbounded)."""
        return (
            _per_asset(self.lower, data.symbols, -NO_BOUND),
            _per_asset(self.upper, data.symbols, NO_BOUND),
        )

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        out = []
        if self.lower is not None:
            out.append(v.w_plus >= v.parameter(self, "lower", v.n))
        if self.upper is not None:
            out.append(v.w_plus <= v.parameter(self, "upper", v.n))
        return out

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        lower, upper = self.bounds(data)
        if self.lower is not None:
            v.assign(v.parameter(self, "lower", v.n), lower)
        if self.upper is not None:
            v.assign(v.parameter(self, "upper", v.n), upper)

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        lower, upper = self.bounds(data)
        w_plus = data.w + z
        return float(max(0.0, np.max(lower - w_plus, initial=0.0), np.max(w_plus - upper, initial=0.0)))

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        lower, upper = self.bounds(data)
        w_plus = data.w + z
        at = [
            f"{data.symbols[i]} at {_pp(w_plus[i])}"
            for i in range(data.n)
            if min(abs(w_plus[i] - lower[i]), abs(w_plus[i] - upper[i])) <= 1e-6
        ]
        return "weight bounds bind: " + (", ".join(at[:5]) + (" ..." if len(at) > 5 else "") if at else "")

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v in (("lower", self.lower), ("upper", self.upper)) if v is not None]
        return f"WeightBounds({', '.join(args)})"


@dataclass(frozen=True, repr=False, eq=False)
class TurnoverAtMost(Constraint):
    """One-way turnover ``sum(|z|) / 2 <= limit`` (a fraction of value, e.g. 0.10)."""

    limit: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.limit) and self.limit >= 0):
            raise ConfigError(
                "TurnoverAtMost: limit must be a fraction >= 0", got=self.limit, fix="e.g. 0.10"
            )

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        return [cp.sum(v.abs_z()) <= 2.0 * self.limit]

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        return max(0.0, float(np.sum(np.abs(z))) / 2.0 - self.limit)

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return f"the turnover cap binds (one-way turnover {_pp(float(np.sum(np.abs(z))) / 2)} of {_pp(self.limit)})"

    def __repr__(self) -> str:
        return f"TurnoverAtMost({self.limit!r})"


@dataclass(frozen=True, repr=False, eq=False)
class _SymbolList(Constraint):
    symbols: frozenset[str] = field(default_factory=frozenset)

    def __init__(self, symbols: Iterable[str]) -> None:
        if isinstance(symbols, str):
            symbols = [symbols]
        object.__setattr__(self, "symbols", frozenset(str(s) for s in symbols))

    def mask(self, symbols: tuple[str, ...]) -> np.ndarray:
        """Which of ``symbols`` are listed."""
        return np.array([s in self.symbols for s in symbols], dtype=bool)

    def _index(self, v: CvxVars) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.mask(v.symbols))]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self.symbols)!r})"


class DoNotTrade(_SymbolList):
    """No trade in the listed symbols: ``z_i == 0``."""

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        idx = self._index(v)
        return [v.dv[idx] == v.d0[idx]] if idx else []

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        return float(np.max(np.abs(z) * self.mask(data.symbols), initial=0.0))

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return f"do-not-trade list holds {', '.join(sorted(self.symbols & set(data.symbols)))}"


class DoNotBuy(_SymbolList):
    """No buys in the listed symbols: ``z_i <= 0``."""

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        idx = self._index(v)
        return [v.dv[idx] <= v.d0[idx]] if idx else []

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        return float(np.max(np.maximum(z, 0.0) * self.mask(data.symbols), initial=0.0))

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return f"do-not-buy list blocks buying {', '.join(sorted(self.symbols & set(data.symbols)))}"


class DoNotSell(_SymbolList):
    """No sells in the listed symbols: ``z_i >= 0``."""

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        idx = self._index(v)
        return [v.dv[idx] >= v.d0[idx]] if idx else []

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        return float(np.max(np.maximum(-z, 0.0) * self.mask(data.symbols), initial=0.0))

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return f"do-not-sell list blocks selling {', '.join(sorted(self.symbols & set(data.symbols)))}"
