# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Downside risk over return scenarios: conditional value at risk and semi-deviation.

Both terms read ``S`` return scenarios from ``ProblemData.extras["scenarios"]`` (an array of shape (S, n):
simple returns of each asset per period, e.g. the last 252 daily returns as historical scenarios) and
optional probabilities ``extras["scenario_probabilities"]`` (shape (S,), >= 0, summing to 1; default equal).
Cash earns nothing in a scenario (returns are excess returns over cash).

The return in scenario ``s`` is

* ``active`` (default): ``r_s = R_s . (w_plus - w_target)``, the portfolio's return minus the target's, so
  the term is zero on target and measures downside *tracking*;
* ``total``: ``r_s = R_s . w_plus``, the portfolio's own return.

The loss is ``L_s = -r_s`` (a fraction of portfolio value per period).

``CVaR(alpha)`` is the expected loss in the worst ``1 - alpha`` of probability (Rockafellar and Uryasev 2000,
"Optimization of conditional value-at-risk", J. Risk 2(3)): ``min_t t + E[(L - t)^+] / (1 - alpha)``, a
linear program with one variable per scenario; ``evaluate`` computes the same number exactly from the sorted
losses (the tail mean, with a fractional weight on the scenario at the ``alpha`` quantile).

``SemiDeviation()`` is ``sqrt(E[((tau - r)^+)^2])``, the root mean square of returns below ``tau``: the
probability-weighted mean return (default) or a fixed ``threshold`` per period.  It is convex: with the
mean as ``tau`` each ``tau - r_s`` is linear in the weights (the centred scenarios ``R_s - E[R]``).

Compile once: the number of scenarios is fixed when the problem is compiled (``max_scenarios``); data with
fewer scenarios is padded with zero-probability rows, so a growing history re-uses the compiled problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError, DataError
from trimtab.models.base import CvxVars, ProblemData, Term
from trimtab.typing import FloatArray

__all__ = ["PROBABILITIES", "SCENARIOS", "CVaR", "SemiDeviation", "cvar", "scenario_set"]

#: Key of the scenario returns in ``ProblemData.extras``: ndarray of shape (S, n), returns per period.
SCENARIOS = "scenarios"
#: Key of the scenario probabilities in ``ProblemData.extras``: ndarray of shape (S,) (default equal).
PROBABILITIES = "scenario_probabilities"

Relative = Literal["active", "total"]


def scenario_set(data: ProblemData, max_scenarios: int | None = None) -> tuple[FloatArray, FloatArray]:
    """The scenario returns ``R`` (S, n) and probabilities ``p`` (S,) of ``data``, checked.

    Parameters
    ----------
    data : ProblemData
        Reads ``extras["scenarios"]`` and optionally ``extras["scenario_probabilities"]``.
    max_scenarios : int, optional
        When given, pad ``R`` and ``p`` with zero rows up to this many scenarios (more is a DataError).
    """
    if SCENARIOS not in data.extras:
        raise DataError(
            "downside risk needs return scenarios: put an (S, n) array of returns per period in "
            f"ProblemData.extras[{SCENARIOS!r}] (the optimizer policy uses the snapshot's recent returns)"
        )
    r = np.asarray(data.extras[SCENARIOS], dtype=float)
    if r.ndim != 2 or r.shape[1] != data.n or r.shape[0] < 1:
        raise DataError(f"scenarios must have shape (S, {data.n}) with S >= 1; got {r.shape}")
    if not np.isfinite(r).all():
        raise DataError("scenario returns must be finite (drop rows with missing prices)")
    s = r.shape[0]
    if PROBABILITIES in data.extras and data.extras[PROBABILITIES] is not None:
        p = np.asarray(data.extras[PROBABILITIES], dtype=float).reshape(-1)
        if p.shape != (s,) or not np.isfinite(p).all() or (p < 0).any() or abs(p.sum() - 1.0) > 1e-9:
            raise DataError(
                f"scenario probabilities must be {s} numbers >= 0 that sum to 1; got shape {p.shape}, "
                f"sum {p.sum() if p.size else 0:.6g}"
            )
    else:
        p = np.full(s, 1.0 / s)
    if max_scenarios is not None:
        if s > max_scenarios:
            raise DataError(
                f"{s} scenarios given but the problem was compiled for at most {max_scenarios}; "
                "raise max_scenarios (the policy's lookback) or pass fewer scenarios"
            )
        if s < max_scenarios:
            r = np.vstack([r, np.zeros((max_scenarios - s, data.n))])
            p = np.concatenate([p, np.zeros(max_scenarios - s)])
    return r, p


def cvar(losses: FloatArray, probabilities: FloatArray, alpha: float) -> float:
    """Exact CVaR at level ``alpha`` of a discrete loss distribution (expected loss in the worst ``1 - alpha``).

    Equals ``min_t t + sum_s p_s (L_s - t)^+ / (1 - alpha)`` (Rockafellar and Uryasev); computed from the
    losses sorted from the largest down: full weight on scenarios inside the tail, the remainder of the
    tail probability on the scenario that straddles the ``alpha`` quantile.

    Parameters
    ----------
    losses : ndarray of shape (S,)
        Loss per scenario.
    probabilities : ndarray of shape (S,)
        Probabilities, >= 0, summing to 1.
    alpha : float
        Level in [0, 1); ``alpha = 0`` gives the mean loss.
    """
    loss = np.asarray(losses, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    tail = 1.0 - alpha
    order = np.argsort(-loss, kind="stable")
    total = 0.0
    mass = 0.0
    for i in order:
        if p[i] <= 0:
            continue
        take = min(p[i], tail - mass)
        if take <= 0:
            break
        total += take * loss[i]
        mass += take
    if mass < tail:  # probabilities summing slightly below 1: the rest of the tail at the smallest loss
        total += (tail - mass) * float(loss[p > 0].min(initial=0.0))
    return total / tail


def _check_relative(name: str, relative: str) -> None:
    if relative not in ("active", "total"):
        raise ConfigError(
            f"{name}: relative must be 'active' (return minus the target's) or 'total'",
            got=relative,
            fix="relative='active'",
        )


def _check_max_scenarios(name: str, max_scenarios: int) -> None:
    if isinstance(max_scenarios, bool) or not isinstance(max_scenarios, int) or max_scenarios < 1:
        raise ConfigError(
            f"{name}: max_scenarios must be a whole number >= 1", got=max_scenarios, fix="e.g. 252"
        )


class _ScenarioTerm(Term):
    """Shared pieces: scenario returns of the decision, ``r = R dv + r0``."""

    relative: Relative
    max_scenarios: int

    def _returns(self, z: FloatArray, data: ProblemData) -> tuple[FloatArray, FloatArray]:
        r, p = scenario_set(data)
        dv = data.d0 + np.asarray(z, dtype=float)
        w = dv if self.relative == "active" else data.w_target + dv
        return r @ w, p

    def _offset(self, r: FloatArray, data: ProblemData) -> FloatArray:
        """``r0 = R w_target`` for total returns (kept out of the Parameter product for DPP), else 0."""
        return r @ data.w_target if self.relative == "total" else np.zeros(r.shape[0])

    def needs(self) -> frozenset[str]:
        return frozenset({"scenarios"})


@dataclass(frozen=True, repr=False, eq=False)
class CVaR(_ScenarioTerm):
    """Conditional value at risk of the loss over scenarios, a fraction of value per period.

    Parameters
    ----------
    alpha : float
        Confidence level in [0, 1), e.g. 0.95: the mean loss in the worst 5 % of scenarios.
    relative : {"active", "total"}
        Loss of the active return (default) or of the portfolio's total return; see the module docstring.
    max_scenarios : int
        Most scenarios the compiled problem takes (fewer are padded with zero probability).
    """

    alpha: float = 0.95
    relative: Relative = "active"
    max_scenarios: int = 252

    label = "CVaR"

    def __post_init__(self) -> None:
        if not (isinstance(self.alpha, (int, float)) and math.isfinite(self.alpha) and 0 <= self.alpha < 1):
            raise ConfigError("CVaR: alpha must be in [0, 1)", got=self.alpha, fix="e.g. alpha=0.95")
        _check_relative("CVaR", self.relative)
        _check_max_scenarios("CVaR", self.max_scenarios)

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        returns, p = self._returns(z, data)
        return cvar(-returns, p, self.alpha)

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        """A subgradient: minus the tail-weighted mean of the scenario returns, shape (n,)."""
        returns, p = self._returns(z, data)
        r, _ = scenario_set(data)
        tail = 1.0 - self.alpha
        weights = np.zeros(len(p))
        mass = 0.0
        for i in np.argsort(returns, kind="stable"):  # largest loss first
            take = min(p[i], tail - mass)
            if take <= 0:
                break
            weights[i] = take
            mass += take
        return -(weights @ r) / tail

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        s = self.max_scenarios
        r = v.parameter(self, "R", (s, v.n))
        r0 = v.parameter(self, "r0", s)
        p_tail = v.parameter(self, "p_over_tail", s, nonneg=True)
        t = cp.Variable(name="cvar_t")
        excess = cp.Variable(s, nonneg=True, name="cvar_excess")
        v.epigraphs.append(excess >= -(r @ v.dv + r0) - t)
        return t + p_tail @ excess

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        r, p = scenario_set(data, self.max_scenarios)
        v.assign(v.parameter(self, "R", (self.max_scenarios, v.n)), r)
        v.assign(v.parameter(self, "r0", self.max_scenarios), self._offset(r, data))
        v.assign(v.parameter(self, "p_over_tail", self.max_scenarios, nonneg=True), p / (1.0 - self.alpha))

    def __repr__(self) -> str:
        extra = "" if self.relative == "active" else f", relative={self.relative!r}"
        return f"CVaR(alpha={self.alpha!r}{extra})"


@dataclass(frozen=True, repr=False, eq=False)
class SemiDeviation(_ScenarioTerm):
    """Downside semi-deviation ``sqrt(E[((tau - r)^+)^2])`` over scenarios, a fraction of value per period.

    Parameters
    ----------
    threshold : float, optional
        ``tau`` per period; default the probability-weighted mean return (the classical semi-deviation).
    relative : {"active", "total"}
        Active (default) or total returns; see the module docstring.
    max_scenarios : int
        Most scenarios the compiled problem takes.
    """

    threshold: float | None = None
    relative: Relative = "active"
    max_scenarios: int = 252

    label = "semi-deviation"

    def __post_init__(self) -> None:
        if self.threshold is not None and not (
            isinstance(self.threshold, (int, float)) and math.isfinite(self.threshold)
        ):
            raise ConfigError(
                "SemiDeviation: threshold must be a finite return per period or None (the mean)",
                got=self.threshold,
                fix="threshold=0.0",
            )
        _check_relative("SemiDeviation", self.relative)
        _check_max_scenarios("SemiDeviation", self.max_scenarios)

    def _tau(self, returns: FloatArray, p: FloatArray) -> float:
        return float(p @ returns) if self.threshold is None else float(self.threshold)

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        returns, p = self._returns(z, data)
        shortfall = np.maximum(self._tau(returns, p) - returns, 0.0)
        return float(math.sqrt(float(p @ (shortfall * shortfall))))

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        returns, p = self._returns(z, data)
        r, _ = scenario_set(data)
        shortfall = np.maximum(self._tau(returns, p) - returns, 0.0)
        value = math.sqrt(float(p @ (shortfall * shortfall)))
        if value <= 0:
            return np.zeros(data.n)
        centred = r - (p @ r) if self.threshold is None else r
        return -((p * shortfall) @ centred) / value

    def _centred(self, data: ProblemData) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``C`` (S, n), ``c0`` (S,) with ``tau - r_s = -(C_s dv + c0_s)``, and padded probabilities."""
        r, p = scenario_set(data, self.max_scenarios)
        r0 = self._offset(r, data)
        if self.threshold is None:
            mean_r = p @ r
            return r - mean_r, r0 - float(p @ r0), p
        return r, r0 - self.threshold, p

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        s = self.max_scenarios
        c = v.parameter(self, "C", (s, v.n))
        c0 = v.parameter(self, "c0", s)
        sqrt_p = v.parameter(self, "sqrt_p", s, nonneg=True)
        shortfall = cp.Variable(s, nonneg=True, name="semidev_shortfall")
        v.epigraphs.append(shortfall >= -(c @ v.dv + c0))
        return cp.norm(cp.multiply(sqrt_p, shortfall), 2)

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        c, c0, p = self._centred(data)
        s = self.max_scenarios
        v.assign(v.parameter(self, "C", (s, v.n)), c)
        v.assign(v.parameter(self, "c0", s), c0)
        v.assign(v.parameter(self, "sqrt_p", s, nonneg=True), np.sqrt(p))

    def __repr__(self) -> str:
        args = [] if self.threshold is None else [f"threshold={self.threshold!r}"]
        if self.relative != "active":
            args.append(f"relative={self.relative!r}")
        return f"SemiDeviation({', '.join(args)})"
