# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Factor exposures of the portfolio after trading, against the target's.

The exposure deviation is ``y = B' w_plus - t`` (shape (k,)): ``B`` (n, k) are the assets' loadings on
``k`` factors and ``t`` the target exposures, by default the target portfolio's own (``t = B' w_target``, so
``y = B' (w_plus - w_target)``).  ``B`` comes from

* ``exposures``: a mapping ``{factor: {symbol: loading}}`` (symbols not named load 0), e.g. sector or
  style scores; the factors are named and their number is fixed when the term is made; or
* the factor model of the problem (``ProblemData.factors``, the factor form of the risk), when
  ``exposures`` is not given; the problem must then be compiled in factor form.

Two terms:

* ``FactorExposureRisk()``: ``y' W y``, with ``W`` the factor covariance ``F`` for the factor model (the
  systematic part of the tracking error, a fraction squared per year) or ``diag(weights)`` for named
  exposures;
* ``FactorDeviation(weights, norm="l1")``: the soft penalty ``sum_j c_j |y_j|`` (``norm="l2"``:
  ``sum_j c_j y_j^2``), with ``c_j`` per factor.

DPP: ``B' w_target`` would multiply two Parameters, so ``y0 = B' w_target - t`` is its own Parameter and
``y`` a helper variable (``y == B' dv + y0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError, DataError, ModelError
from trimtab.models.base import CvxVars, ProblemData, Term, psd_sqrt
from trimtab.typing import FloatArray

__all__ = ["FactorDeviation", "FactorExposureRisk", "exposure_matrix"]


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number", got=value, fix="e.g. 0.5")
    return float(value)


def _freeze_exposures(
    exposures: Mapping[str, Mapping[str, float]] | None,
) -> dict[str, dict[str, float]] | None:
    if exposures is None:
        return None
    if not isinstance(exposures, Mapping) or not exposures:
        raise ConfigError(
            "exposures must be a non-empty mapping {factor: {symbol: loading}}",
            got=exposures,
            fix="e.g. {value: {AAPL: -0.3, JNJ: 0.8}}",
        )
    out: dict[str, dict[str, float]] = {}
    for factor, loadings in exposures.items():
        if not isinstance(loadings, Mapping):
            raise ConfigError(
                f"exposures of factor {factor} must map symbols to loadings",
                got=loadings,
                fix=f"e.g. {factor}: {{AAPL: 1.0}}",
            )
        out[str(factor)] = {str(s): _finite(f"exposure of {s} to {factor}", x) for s, x in loadings.items()}
    return out


def exposure_matrix(exposures: Mapping[str, Mapping[str, float]], symbols: tuple[str, ...]) -> FloatArray:
    """``B`` of shape (n, k) from ``{factor: {symbol: loading}}`` (missing symbols load 0)."""
    return np.array([[float(exposures[f].get(s, 0.0)) for f in exposures] for s in symbols]).reshape(
        len(symbols), len(exposures)
    )


@dataclass(frozen=True, repr=False, eq=False)
class _Exposures(Term):
    """Shared pieces: ``B``, ``y0`` and the helper ``y == B' dv + y0``."""

    exposures: Mapping[str, Mapping[str, float]] | None = None
    target_exposures: Mapping[str, float] | None = None

    def _freeze(self) -> None:
        object.__setattr__(self, "exposures", _freeze_exposures(self.exposures))
        if self.target_exposures is not None:
            if self.exposures is None:
                raise ConfigError(
                    f"{type(self).__name__}: target_exposures needs named exposures",
                    got=dict(self.target_exposures),
                    fix="give exposures={factor: {symbol: loading}} too",
                )
            unknown = sorted(set(self.target_exposures) - set(self.exposures))
            if unknown:
                raise ConfigError(
                    f"{type(self).__name__}: target exposure for unknown factor {unknown[0]}",
                    got=unknown[0],
                    fix=f"use one of {', '.join(self.exposures)}",
                )
            object.__setattr__(
                self,
                "target_exposures",
                {str(f): _finite(f"target exposure {f}", x) for f, x in self.target_exposures.items()},
            )

    def factor_names(self, k: int) -> tuple[str, ...]:
        """Names of the factors (``f0 ... f{k-1}`` for a factor model)."""
        return tuple(self.exposures) if self.exposures is not None else tuple(f"f{j}" for j in range(k))

    def _loadings(self, data: ProblemData) -> FloatArray:
        if self.exposures is not None:
            return exposure_matrix(self.exposures, data.symbols)
        if data.factors is None:
            raise DataError(
                f"{type(self).__name__} without named exposures uses the factor model, but the data has "
                "none; give exposures={factor: {symbol: loading}} or use the factor form of the risk"
            )
        return np.asarray(data.factors.loadings)

    def _k(self, v: CvxVars) -> int:
        if self.exposures is not None:
            return len(self.exposures)
        if v.risk_form != "factor":
            raise ModelError(
                f"{type(self).__name__} without named exposures needs the problem in factor form "
                "(risk: factor); or give exposures={factor: {symbol: loading}}"
            )
        return v.n_factors

    def deviation(self, z: FloatArray, data: ProblemData) -> FloatArray:
        """``y = B' w_plus - t`` after trades ``z``, shape (k,)."""
        b = self._loadings(data)
        return b.T @ (data.w_target + data.d0 + np.asarray(z, dtype=float)) - self._target(b, data)

    def _target(self, b: FloatArray, data: ProblemData) -> FloatArray:
        own = b.T @ data.w_target
        if self.target_exposures is None or self.exposures is None:
            return own
        return np.array(
            [self.target_exposures.get(f, own[j]) for j, f in enumerate(self.exposures)], dtype=float
        )

    def _y(self, v: CvxVars) -> cp.Variable:
        k = self._k(v)
        b = v.parameter(self, "B", (v.n, k))
        y0 = v.parameter(self, "y0", k)

        def make() -> cp.Variable:
            y = cp.Variable(k, name="exposure_deviation")
            v.epigraphs.append(y == b.T @ v.dv + y0)
            return y

        return v.shared(f"exposure.y.{id(self)}", make)

    def _bind_y(self, v: CvxVars, data: ProblemData) -> FloatArray:
        k = self._k(v)
        b = self._loadings(data)
        if b.shape != (v.n, k):
            raise DataError(f"exposures have shape {b.shape}; the problem was compiled for {(v.n, k)}")
        v.assign(v.parameter(self, "B", (v.n, k)), b)
        v.assign(v.parameter(self, "y0", k), b.T @ data.w_target - self._target(b, data))
        return b

    def needs(self) -> frozenset[str]:
        return frozenset() if self.exposures is not None else frozenset({"risk"})


@dataclass(frozen=True, repr=False, eq=False)
class FactorExposureRisk(_Exposures):
    """Factor-exposure risk ``y' W y`` of the exposure deviation ``y`` (see the module docstring).

    Parameters
    ----------
    exposures : mapping, optional
        ``{factor: {symbol: loading}}``; default the problem's factor model (then ``W = F``, the factor
        covariance, and the value is the systematic part of the squared tracking error, per year).
    weights : float or mapping of factor to float, optional
        ``W = diag(weights)`` for named exposures (default 1 for every factor), each >= 0.
    target_exposures : mapping of factor to float, optional
        ``t``; factors not named keep the target portfolio's exposure.
    """

    weights: float | Mapping[str, float] | None = None

    label = "factor-exposure risk"

    def __post_init__(self) -> None:
        self._freeze()
        if self.weights is not None and self.exposures is None:
            raise ConfigError(
                "FactorExposureRisk: weights apply to named exposures; with the factor model W is the "
                "factor covariance",
                got=self.weights,
                fix="drop weights, or give exposures",
            )
        object.__setattr__(
            self, "weights", _factor_weights("FactorExposureRisk", self.weights, self.exposures)
        )

    def _w(self, data: ProblemData, k: int) -> FloatArray:
        if self.exposures is None:
            assert data.factors is not None
            return np.asarray(data.factors.factor_cov)
        return np.diag(_weight_vector(self.weights, self.exposures))

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        y = self.deviation(z, data)
        return float(y @ self._w(data, len(y)) @ y)

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        y = self.deviation(z, data)
        return 2.0 * self._loadings(data) @ (self._w(data, len(y)) @ y)

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        k = self._k(v)
        w_half = v.parameter(self, "W_half", (k, k))
        return cp.sum_squares(w_half @ self._y(v))

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        self._bind_y(v, data)
        k = self._k(v)
        v.assign(v.parameter(self, "W_half", (k, k)), psd_sqrt(self._w(data, k)))

    def __repr__(self) -> str:
        if self.exposures is None:
            return "FactorExposureRisk()"
        return f"FactorExposureRisk(exposures={sorted(self.exposures)!r})"


Norm = Literal["l1", "l2"]


def _factor_weights(
    owner: str, weights: float | Mapping[str, float] | None, exposures: Mapping[str, object] | None
) -> float | dict[str, float] | None:
    if weights is None:
        return None
    if isinstance(weights, Mapping):
        if exposures is None:
            raise ConfigError(
                f"{owner}: per-factor weights need named exposures", got=dict(weights), fix="use one number"
            )
        unknown = sorted(set(map(str, weights)) - set(exposures))
        if unknown:
            raise ConfigError(
                f"{owner}: weight for unknown factor {unknown[0]}",
                got=unknown[0],
                fix=f"use one of {', '.join(exposures)}",
            )
        out = {str(f): _finite(f"{owner} weight of {f}", x) for f, x in weights.items()}
        if any(x < 0 for x in out.values()):
            raise ConfigError(f"{owner}: weights must be >= 0", got=out, fix="e.g. 1.0")
        return out
    value = _finite(f"{owner} weight", weights)
    if value < 0:
        raise ConfigError(f"{owner}: weight must be >= 0", got=value, fix="e.g. 1.0")
    return value


def _weight_vector(
    weights: float | Mapping[str, float] | None, names: Mapping[str, object] | int
) -> FloatArray:
    k = names if isinstance(names, int) else len(names)
    if weights is None:
        return np.ones(k)
    if isinstance(weights, Mapping):
        assert not isinstance(names, int)
        return np.array([float(weights.get(f, 1.0)) for f in names])
    return np.full(k, float(weights))


@dataclass(frozen=True, repr=False, eq=False)
class FactorDeviation(_Exposures):
    """Soft penalty on the exposure deviation: ``sum_j c_j |y_j|`` (l1) or ``sum_j c_j y_j^2`` (l2).

    Parameters
    ----------
    exposures : mapping, optional
        ``{factor: {symbol: loading}}``; default the problem's factor model (factor form).
    weights : float or mapping of factor to float, optional
        ``c_j`` (default 1 each), >= 0; a mapping needs named exposures.
    norm : {"l1", "l2"}
    target_exposures : mapping of factor to float, optional
        ``t``; factors not named keep the target portfolio's exposure.
    """

    weights: float | Mapping[str, float] | None = None
    norm: Norm = "l1"

    label = "factor deviation"

    def __post_init__(self) -> None:
        self._freeze()
        if self.norm not in ("l1", "l2"):
            raise ConfigError("FactorDeviation: norm must be 'l1' or 'l2'", got=self.norm, fix="norm='l1'")
        object.__setattr__(self, "weights", _factor_weights("FactorDeviation", self.weights, self.exposures))

    def _c(self, k: int) -> FloatArray:
        return _weight_vector(self.weights, self.exposures if self.exposures is not None else k)

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        y = self.deviation(z, data)
        c = self._c(len(y))
        return float(c @ np.abs(y)) if self.norm == "l1" else float(c @ (y * y))

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        y = self.deviation(z, data)
        c = self._c(len(y))
        inner = c * np.sign(y) if self.norm == "l1" else 2.0 * c * y
        return self._loadings(data) @ inner

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        k = self._k(v)
        y = self._y(v)
        if self.norm == "l1":
            return v.parameter(self, "c", k, nonneg=True) @ cp.abs(y)
        return cp.sum_squares(cp.multiply(v.parameter(self, "sqrt_c", k, nonneg=True), y))

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        self._bind_y(v, data)
        k = self._k(v)
        c = self._c(k)
        if self.norm == "l1":
            v.assign(v.parameter(self, "c", k, nonneg=True), c)
        else:
            v.assign(v.parameter(self, "sqrt_c", k, nonneg=True), np.sqrt(c))

    def __repr__(self) -> str:
        args = [] if self.exposures is None else [f"exposures={sorted(self.exposures)!r}"]
        if self.norm != "l1":
            args.append(f"norm={self.norm!r}")
        return f"FactorDeviation({', '.join(args)})"
