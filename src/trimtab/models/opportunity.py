# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""The opportunity cost of not trading: what the part of the gap left open costs while it waits.

A trade that is not made now is delayed until the next decision, ``horizon`` years away.  Meanwhile the
portfolio holds ``w_plus`` instead of the target; with ``dv = w_plus - w_target`` (the gap left open):

* **expected return forgone**: the target's expected excess return minus the portfolio's, over the delay,
  counted only when positive (drifting toward assets expected to do better earns no credit, so the term
  never rewards staying away from the target): ``horizon * max(0, -mu' dv)``;
* **risk carried**: the certainty-equivalent cost of the extra tracking variance over the delay,
  ``horizon * (risk_aversion / 2) * dv' Sigma dv``.

``OpportunityCost = horizon * [max(0, -mu' dv) + (risk_aversion / 2) dv' Sigma dv]``, a fraction of value.
Both parts are convex in ``z`` (a positive part of an affine function and a convex quadratic) and zero on
target.  ``mu`` is the expected excess return per year over cash (cash is the residual of the budget),
per symbol: given as ``expected_returns`` or read from ``ProblemData.extras["expected_returns"]``
(shape (n,); the optimizer policy fills it from the mean of the recent returns, annualised, unless the
portfolio file gives them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError, DataError
from trimtab.models.base import CvxVars, ProblemData, Term
from trimtab.models.risk import TrackingError
from trimtab.typing import FloatArray

__all__ = ["EXPECTED_RETURNS", "OpportunityCost"]

#: Key of the expected excess returns per year in ``ProblemData.extras``: ndarray of shape (n,).
EXPECTED_RETURNS = "expected_returns"


@dataclass(frozen=True, repr=False, eq=False)
class OpportunityCost(Term):
    """``horizon * [max(0, -mu' dv) + (risk_aversion / 2) dv' Sigma dv]`` (see the module docstring).

    Parameters
    ----------
    horizon : float
        Years until the delayed trade can next be made (e.g. 0.25 when deciding quarterly), > 0.
    risk_aversion : float
        ``gamma >= 0`` of the risk-carried part (0: expected return forgone only).
    expected_returns : mapping of symbol to float, optional
        ``mu`` per year (symbols not named: 0); default ``extras["expected_returns"]``.
    """

    horizon: float
    risk_aversion: float = 0.0
    expected_returns: Mapping[str, float] | None = None

    label = "opportunity cost"

    def __post_init__(self) -> None:
        for name, low_open in (("horizon", True), ("risk_aversion", False)):
            x = getattr(self, name)
            ok = isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
            if not ok or x < 0 or (low_open and x == 0):
                raise ConfigError(
                    f"OpportunityCost: {name} must be a number {'> 0' if low_open else '>= 0'}",
                    got=x,
                    fix="e.g. horizon=0.25 (a quarter), risk_aversion=2",
                )
        if self.expected_returns is not None:
            mu = {}
            for s, x in dict(self.expected_returns).items():
                if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                    raise ConfigError(
                        f"OpportunityCost: expected return of {s} must be a number per year",
                        got=x,
                        fix="e.g. 0.06",
                    )
                mu[str(s)] = float(x)
            object.__setattr__(self, "expected_returns", mu)
        object.__setattr__(self, "_risk", TrackingError())

    def mu(self, data: ProblemData) -> FloatArray:
        """Expected excess returns per year, shape (n,)."""
        if self.expected_returns is not None:
            return np.array([self.expected_returns.get(s, 0.0) for s in data.symbols], dtype=float)
        if EXPECTED_RETURNS not in data.extras:
            raise DataError(
                "the opportunity cost needs expected returns: give expected_returns or put an (n,) array "
                f"in ProblemData.extras[{EXPECTED_RETURNS!r}]"
            )
        mu = np.asarray(data.extras[EXPECTED_RETURNS], dtype=float).reshape(-1)
        if mu.shape != (data.n,) or not np.isfinite(mu).all():
            raise DataError(f"expected returns must be {data.n} finite numbers; got shape {mu.shape}")
        return mu

    @property
    def _te(self) -> TrackingError:
        return self._risk  # type: ignore[attr-defined]

    def forgone(self, z: FloatArray, data: ProblemData) -> float:
        """Expected excess return forgone per year, ``max(0, -mu' dv)``."""
        dv = data.d0 + np.asarray(z, dtype=float)
        return max(0.0, -float(self.mu(data) @ dv))

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        value = self.forgone(z, data)
        if self.risk_aversion > 0:
            value += 0.5 * self.risk_aversion * self._te.evaluate(z, data)
        return self.horizon * value

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        dv = data.d0 + np.asarray(z, dtype=float)
        mu = self.mu(data)
        out = -mu if float(mu @ dv) < 0 else np.zeros(data.n)
        if self.risk_aversion > 0:
            out = out + 0.5 * self.risk_aversion * self._te.gradient(z, data)
        return self.horizon * out

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        mu = v.parameter(self, "mu", v.n)
        expr = cp.pos(-(mu @ v.dv))
        if self.risk_aversion > 0:
            expr = expr + 0.5 * self.risk_aversion * self._te.to_cvxpy(v)
        return self.horizon * expr

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        v.assign(v.parameter(self, "mu", v.n), self.mu(data))
        if self.risk_aversion > 0:
            self._te.bind(v, data)

    def needs(self) -> frozenset[str]:
        out = {"risk"} if self.risk_aversion > 0 else set()
        if self.expected_returns is None:
            out.add("expected_returns")
        return frozenset(out)

    def __repr__(self) -> str:
        args = [f"horizon={self.horizon!r}"]
        if self.risk_aversion:
            args.append(f"risk_aversion={self.risk_aversion!r}")
        if self.expected_returns is not None:
            args.append(f"expected_returns={{{len(self.expected_returns)} symbols}}")
        return f"OpportunityCost({', '.join(args)})"
