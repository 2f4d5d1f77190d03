# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Soft penalties: convex terms that pull the solution without forbidding anything.

=========================================  ====================================================================
``DistanceToTarget(norm="l1", weights)``   ``sum_i c_i |w_plus_i - w_target_i|`` (``"l2"``: ``sum_i c_i (...)^2``)
``StyleTilt(scores)``                      ``-sum_i s_i (w_plus_i - w_target_i)``: a linear reward for tilting
                                           toward high scores (negative when the tilt helps; 0 on target)
``TradeBalance()``                         ``|buys - sells| = |sum_i z_i|``: how far trades are from
                                           paying for themselves (the change in cash)
=========================================  ====================================================================

All values are fractions of portfolio value (or their squares for ``l2``); weights ``c_i >= 0`` and scores
are per symbol (a number for every asset, or ``{symbol: x}`` with symbols not named at the default).
Factor-exposure deviation is :class:`trimtab.models.exposures.FactorDeviation`.

``StyleTilt`` is linear, so on its own it is unbounded; pair it with a risk term or hard bounds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError
from trimtab.models.base import CvxVars, ProblemData, Term
from trimtab.typing import FloatArray

__all__ = ["DistanceToTarget", "StyleTilt", "TradeBalance"]


def _per_symbol(
    owner: str, name: str, value: float | Mapping[str, float] | None, *, default: float, nonneg: bool
) -> float | dict[str, float]:
    if value is None:
        return default
    items = value.items() if isinstance(value, Mapping) else [("", value)]
    out: dict[str, float] = {}
    for sym, x in items:
        if (
            isinstance(x, bool)
            or not isinstance(x, (int, float))
            or not math.isfinite(x)
            or (nonneg and x < 0)
        ):
            where = f" for {sym}" if sym else ""
            raise ConfigError(
                f"{owner}: {name}{where} must be a finite number{' >= 0' if nonneg else ''}",
                got=x,
                fix="e.g. 1.0",
            )
        out[str(sym)] = float(x)
    return out if isinstance(value, Mapping) else out[""]


def _vector(value: float | Mapping[str, float], symbols: tuple[str, ...], default: float) -> FloatArray:
    if isinstance(value, Mapping):
        return np.array([float(value.get(s, default)) for s in symbols])
    return np.full(len(symbols), float(value))


@dataclass(frozen=True, repr=False, eq=False)
class DistanceToTarget(Term):
    """Distance of the weights after trading to the target, ``l1`` or squared ``l2``, weighted per asset.

    Parameters
    ----------
    norm : {"l1", "l2"}
        ``sum c_i |dv_i|`` or ``sum c_i dv_i^2`` with ``dv = w_plus - w_target``.
    weights : float or mapping of symbol to float, optional
        ``c_i >= 0`` (default 1; symbols not named in a mapping: 1).
    """

    norm: Literal["l1", "l2"] = "l1"
    weights: float | Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        if self.norm not in ("l1", "l2"):
            raise ConfigError("DistanceToTarget: norm must be 'l1' or 'l2'", got=self.norm, fix="norm='l1'")
        object.__setattr__(
            self, "weights", _per_symbol("DistanceToTarget", "weight", self.weights, default=1.0, nonneg=True)
        )

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"{self.norm.upper()} distance to target"

    def _c(self, data: ProblemData) -> FloatArray:
        assert self.weights is not None
        return _vector(self.weights, data.symbols, 1.0)

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        dv = data.d0 + np.asarray(z, dtype=float)
        c = self._c(data)
        return float(c @ np.abs(dv)) if self.norm == "l1" else float(c @ (dv * dv))

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        dv = data.d0 + np.asarray(z, dtype=float)
        c = self._c(data)
        return c * np.sign(dv) if self.norm == "l1" else 2.0 * c * dv

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        if self.norm == "l1":
            return v.parameter(self, "c", v.n, nonneg=True) @ cp.abs(v.dv)
        return cp.sum_squares(cp.multiply(v.parameter(self, "sqrt_c", v.n, nonneg=True), v.dv))

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        c = self._c(data)
        if self.norm == "l1":
            v.assign(v.parameter(self, "c", v.n, nonneg=True), c)
        else:
            v.assign(v.parameter(self, "sqrt_c", v.n, nonneg=True), np.sqrt(c))

    def __repr__(self) -> str:
        args = [f"norm={self.norm!r}"]
        if self.weights != 1.0:
            args.append(f"weights={self.weights!r}")
        return f"DistanceToTarget({', '.join(args)})"


@dataclass(frozen=True, repr=False, eq=False)
class StyleTilt(Term):
    """A linear tilt toward high scores: ``-scores' (w_plus - w_target)`` (0 on target, < 0 when tilted up).

    Parameters
    ----------
    scores : mapping of symbol to float
        A score per symbol (e.g. a value or quality z-score); symbols not named score 0.
    """

    scores: Mapping[str, float]

    label = "style tilt"

    def __post_init__(self) -> None:
        if not isinstance(self.scores, Mapping):
            raise ConfigError(
                "StyleTilt: scores must map symbols to numbers", got=self.scores, fix="e.g. {AAPL: 0.5}"
            )
        object.__setattr__(
            self, "scores", _per_symbol("StyleTilt", "score", self.scores, default=0.0, nonneg=False)
        )

    def _s(self, data: ProblemData) -> FloatArray:
        return _vector(self.scores, data.symbols, 0.0)

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return -float(self._s(data) @ (data.d0 + np.asarray(z, dtype=float)))

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        return -self._s(data)

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        return -(v.parameter(self, "scores", v.n) @ v.dv)

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        v.assign(v.parameter(self, "scores", v.n), self._s(data))

    def __repr__(self) -> str:
        return f"StyleTilt({len(self.scores)} scores)"


@dataclass(frozen=True, repr=False, eq=False)
class TradeBalance(Term):
    """``|buys - sells| = |sum(z)|``: the net cash the trades use or free, a fraction of value."""

    label = "trade imbalance"

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return abs(float(np.sum(z)))

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        return np.full(data.n, float(np.sign(np.sum(z))))

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        return cp.abs(cp.sum(v.z))

    def __repr__(self) -> str:
        return "TradeBalance()"
