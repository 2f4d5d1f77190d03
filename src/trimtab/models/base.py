# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""The optimizer's building blocks: problem data, cvxpy variables, terms and constraints.

A :class:`Term` is a convex function of the trades ``z`` (weights, buys positive) with two front ends that
must agree (``trimtab.testing.checks.check_term`` proves it on random inputs):

* ``evaluate(z, data) -> float``: exact numpy value, used by reports, backtests and explanations;
* ``to_cvxpy(v) -> cvxpy.Expression``: the same function over the variables ``v`` (a :class:`CvxVars`),
  written with cvxpy Parameters only (DPP), so a problem is compiled once per universe and re-solved by
  ``bind(v, data)``, which only assigns Parameter values.

Terms compose: ``a + b`` is a :class:`Sum`, ``2.0 * a`` a :class:`Scaled` (weights are non-negative
constants, fixed when the problem is compiled), ``a <= 0.001`` a :class:`TermConstraint` (a strict ``<``
raises).  A :class:`Constraint` has ``to_cvxpy(v) -> list of cvxpy constraints``, ``bind`` and an exact
``violation(z, data)`` (0 when it holds).

Notation (DESIGN 3.13): ``w``, ``w_target`` current and target weights (n,); ``z`` trades as weights;
``dv = w_plus - w_target`` is the decision variable, so ``z = dv - d0`` with ``d0 = w - w_target``; cash is
kept apart: ``cash_plus = cash - sum(z)``.

A plug-in term (e.g. the tax engine's) needs only to subclass :class:`Term` and implement ``evaluate``,
``to_cvxpy`` and ``bind``; the data it needs beyond weights, prices and risk travels in
``ProblemData.extras`` (e.g. ``extras["lots"]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import cvxpy as cp
import numpy as np

from trimtab.errors import DataError, ModelError
from trimtab.models.costs import TradeCostInputs
from trimtab.typing import FloatArray

__all__ = [
    "OBJECTIVE_SCALE",
    "Constraint",
    "CvxVars",
    "FactorRisk",
    "ProblemData",
    "RiskForm",
    "Scaled",
    "Sum",
    "Term",
    "TermConstraint",
]

#: The compiled objective is multiplied by this constant (values in basis points of portfolio value), so the
#: solver's absolute tolerances (1e-8) sit far below the numbers that matter.
OBJECTIVE_SCALE = 1e4

RiskForm = Literal["dense", "factor"]


def _vector(
    name: str, values: object, n: int | None = None, *, allow_none: bool = False
) -> FloatArray | None:
    if values is None:
        if allow_none:
            return None
        raise DataError(f"problem data: {name} is required")
    out = np.array(values, dtype=float, copy=True)
    if out.ndim != 1 or (n is not None and out.shape != (n,)):
        raise DataError(f"problem data: {name} must have shape ({n},); got {out.shape}")
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class FactorRisk:
    """A covariance in factor form ``Sigma = B F B' + diag(d)``, annualised.

    Field names match :class:`trimtab.estimates.factor.FactorModel`, so either can be passed.

    Parameters
    ----------
    loadings : ndarray of shape (n, k)
        ``B``.
    factor_cov : ndarray of shape (k, k)
        ``F``, symmetric positive semi-definite, per year.
    idio_var : ndarray of shape (n,)
        ``d``, idiosyncratic variances per year, >= 0.
    """

    loadings: FloatArray
    factor_cov: FloatArray
    idio_var: FloatArray

    def __post_init__(self) -> None:
        b = np.array(self.loadings, dtype=float, copy=True)
        f = np.array(self.factor_cov, dtype=float, copy=True)
        d = np.array(self.idio_var, dtype=float, copy=True)
        if b.ndim != 2 or f.shape != (b.shape[1], b.shape[1]) or d.shape != (b.shape[0],):
            raise DataError(
                f"factor risk: shapes do not fit: loadings {b.shape}, factor_cov {f.shape}, "
                f"idio_var {d.shape}; expected (n, k), (k, k), (n,)"
            )
        if not (np.isfinite(b).all() and np.isfinite(f).all() and np.isfinite(d).all()) or (d < 0).any():
            raise DataError("factor risk: entries must be finite and idiosyncratic variances >= 0")
        for name, value in (("loadings", b), ("factor_cov", 0.5 * (f + f.T)), ("idio_var", d)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_factors(self) -> int:
        """``k``."""
        return int(self.loadings.shape[1])

    def quad(self, x: FloatArray) -> float:
        """``x' Sigma x`` without forming ``Sigma``."""
        y = self.loadings.T @ x
        return float(y @ self.factor_cov @ y + np.sum(self.idio_var * x * x))

    def matvec(self, x: FloatArray) -> FloatArray:
        """``Sigma x`` without forming ``Sigma``, shape (n,)."""
        return self.loadings @ (self.factor_cov @ (self.loadings.T @ x)) + self.idio_var * x


#: The last few inputs and results of :func:`psd_sqrt` (a backtest with a fixed covariance asks for the same
#: square root at every date; comparing the input costs a tenth of the factorization).
_SQRT_MEMO: list[tuple[FloatArray, FloatArray]] = []
_SQRT_MEMO_SIZE = 4


def psd_sqrt(matrix: FloatArray) -> FloatArray:
    """A matrix ``S`` with ``S' S = matrix`` for a symmetric PSD ``matrix`` (Cholesky, else eigen-clipped).

    Results for the last few inputs are remembered (a new array is returned each time).
    """
    arr = np.asarray(matrix, dtype=float)
    for given, root in _SQRT_MEMO:
        if given.shape == arr.shape and np.array_equal(given, arr):
            return root.copy()
    m = 0.5 * (arr + arr.T)
    try:
        root = np.linalg.cholesky(m).T
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(m)
        if vals.min(initial=0.0) < -1e-8 * max(1.0, float(np.abs(vals).max(initial=0.0))):
            raise DataError(
                f"covariance is not positive semi-definite (smallest eigenvalue {vals.min():.3g})"
            )
        root = (vecs * np.sqrt(np.clip(vals, 0.0, None))).T
    _SQRT_MEMO.insert(0, (arr.copy(), root.copy()))
    del _SQRT_MEMO[_SQRT_MEMO_SIZE:]
    return root


@dataclass(frozen=True, eq=False)
class ProblemData:
    """The numbers of one rebalancing decision, as the terms see them.

    Parameters
    ----------
    symbols : tuple of str of length n
        The universe, cash excluded.
    w : ndarray of shape (n,)
        Current weights (fractions of ``v``, cash included in ``v``).
    w_target : ndarray of shape (n,)
        Target weights.
    v : float
        Portfolio value in dollars, cash included.
    cash : float, optional
        Current cash weight; default ``1 - w.sum()``.
    target_cash : float, optional
        Target cash weight; default ``1 - w_target.sum()``.
    prices : ndarray of shape (n,), optional
        Dollars per share (needed by per-share commissions).
    sigma, volume : ndarray of shape (n,), optional
        Volatility of returns per period and traded value in dollars per period (market impact).
    covariance : ndarray of shape (n, n), optional
        Annualised covariance of returns (dense risk form).
    factors : FactorRisk, optional
        Factor form of the covariance; when given, risk terms use it and ignore ``covariance``
        (``Sigma`` is never formed).
    extras : mapping, optional
        Anything a plug-in term needs (e.g. ``"lots"`` for a tax term).
    """

    symbols: tuple[str, ...]
    w: FloatArray
    w_target: FloatArray
    v: float
    cash: float | None = None
    target_cash: float | None = None
    prices: FloatArray | None = None
    sigma: FloatArray | None = None
    volume: FloatArray | None = None
    covariance: FloatArray | None = None
    factors: FactorRisk | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.symbols)
        object.__setattr__(self, "symbols", tuple(self.symbols))
        for name in ("w", "w_target"):
            value = _vector(name, getattr(self, name), n)
            assert value is not None
            if not np.isfinite(value).all():
                raise DataError(f"problem data: {name} must be finite")
            object.__setattr__(self, name, value)
        for name in ("prices", "sigma", "volume"):
            object.__setattr__(self, name, _vector(name, getattr(self, name), n, allow_none=True))
        if not (math.isfinite(self.v) and self.v > 0):
            raise DataError(f"problem data: portfolio value must be positive dollars; got {self.v!r}")
        if self.cash is None:
            object.__setattr__(self, "cash", float(1.0 - self.w.sum()))
        if self.target_cash is None:
            object.__setattr__(self, "target_cash", float(1.0 - self.w_target.sum()))
        if self.covariance is not None:
            cov = np.array(self.covariance, dtype=float, copy=True)
            if cov.shape != (n, n) or not np.isfinite(cov).all():
                raise DataError(
                    f"problem data: covariance must be a finite ({n}, {n}) matrix; got {cov.shape}"
                )
            cov.setflags(write=False)
            object.__setattr__(self, "covariance", cov)
        if self.factors is not None:
            f = self.factors
            if not isinstance(f, FactorRisk):
                f = FactorRisk(f.loadings, f.factor_cov, f.idio_var)  # e.g. estimates.factor.FactorModel
            if f.loadings.shape[0] != n:
                raise DataError(
                    f"problem data: factor loadings have {f.loadings.shape[0]} rows for {n} symbols"
                )
            object.__setattr__(self, "factors", f)
        object.__setattr__(self, "extras", MappingProxyType(dict(self.extras)))

    @property
    def n(self) -> int:
        """Number of assets."""
        return len(self.symbols)

    @property
    def d0(self) -> FloatArray:
        """``w - w_target``, shape (n,)."""
        return self.w - self.w_target

    def risk_form(self) -> RiskForm:
        """``factor`` when a factor model is given (it then takes precedence), else ``dense``."""
        return "factor" if self.factors is not None else "dense"

    @cached_property
    def _cost_inputs(self) -> TradeCostInputs:
        prices = self.prices if self.prices is not None else np.ones(self.n)
        return TradeCostInputs(prices=prices, sigma=self.sigma, volume=self.volume)

    def cost_inputs(self) -> TradeCostInputs:
        """Prices (1.0 when unknown: only per-share commissions use them), sigma and volume per asset."""
        return self._cost_inputs

    def name(self, i: int) -> str:
        """Symbol of asset ``i``."""
        return self.symbols[i]

    def _risk_model(self, needed_by: str) -> FactorRisk | FloatArray:
        if self.factors is not None:
            return self.factors
        if self.covariance is None:
            raise DataError(f"{needed_by} needs a covariance or a factor model of the symbols' returns")
        return self.covariance

    def risk_quad(self, x: FloatArray, *, needed_by: str) -> float:
        """``x' Sigma x`` (annualised) in the factor form when given, else dense; ``needed_by`` names the term."""
        risk = self._risk_model(needed_by)
        return risk.quad(x) if isinstance(risk, FactorRisk) else float(x @ risk @ x)

    def risk_matvec(self, x: FloatArray, *, needed_by: str) -> FloatArray:
        """``Sigma x`` (annualised) in the factor form when given, else dense."""
        risk = self._risk_model(needed_by)
        return risk.matvec(x) if isinstance(risk, FactorRisk) else risk @ x


class CvxVars:
    """The cvxpy variables and shared Parameters of one compiled problem.

    ``dv`` is the decision variable (``w_plus - w_target``); ``d0``, ``w_target`` and ``cash`` are
    Parameters set from :class:`ProblemData` by :meth:`bind`.  Terms ask for helpers that several of them
    share: :meth:`abs_z` (the epigraph ``tau >= |z|``) and :meth:`parameter` (one Parameter per owner and
    name).  Helper constraints land in :attr:`epigraphs`, which the problem must include.

    Parameters
    ----------
    symbols : tuple of str of length n
        The universe the problem is compiled for (lists such as do-not-trade resolve against it).
    risk_form : {"dense", "factor"}
        How risk terms are written.
    n_factors : int
        ``k`` in factor form (0 for dense).
    """

    def __init__(self, symbols: Sequence[str], *, risk_form: RiskForm = "dense", n_factors: int = 0) -> None:
        self.symbols = tuple(str(s) for s in symbols)
        n = self.n = len(self.symbols)
        if n == 0:
            raise ModelError("an optimization problem needs at least one asset")
        self.risk_form: RiskForm = risk_form
        self.n_factors = n_factors
        self.dv = cp.Variable(n, name="dv")
        self.d0: cp.Expression = cp.Parameter(n, name="d0")
        self.w_target: cp.Expression = cp.Parameter(n, name="w_target")
        self.cash: cp.Expression = cp.Parameter(name="cash")
        self.chained = False
        self.epigraphs: list[cp.Constraint] = []
        self._tau: cp.Variable | None = None
        self._params: dict[tuple[int, str], cp.Parameter] = {}
        self._shared: dict[str, Any] = {}
        self._owners: list[object] = []  # keeps owners alive so their ids stay unique
        self.constraints_of: dict[int, list[cp.Constraint]] = {}

    @classmethod
    def for_data(cls, data: ProblemData) -> CvxVars:
        """Variables for ``data``'s universe and risk form."""
        k = data.factors.n_factors if data.factors is not None else 0
        return cls(data.symbols, risk_form=data.risk_form(), n_factors=k)

    def next_period(self) -> CvxVars:
        """Variables of the following period (multi-period problems).

        Its starting deviation ``d0`` is this period's ``dv``, its starting cash this period's ``cash_plus``,
        and it shares the target Parameter; it has its own ``dv``, epigraphs and term Parameters.
        """
        following = CvxVars(self.symbols, risk_form=self.risk_form, n_factors=self.n_factors)
        following.d0 = self.dv
        following.cash = self.cash_plus
        following.w_target = self.w_target
        following.chained = True
        return following

    def z_variable(self) -> cp.Variable:
        """A Variable equal to ``z`` (so a Parameter may multiply the trades while staying DPP)."""

        def make() -> cp.Variable:
            var = cp.Variable(self.n, name="z")
            self.epigraphs.append(var == self.z)
            return var

        return self.shared("z", make)

    @property
    def z(self) -> cp.Expression:
        """Trades as weights, ``dv - d0``."""
        return self.dv - self.d0

    @property
    def w_plus(self) -> cp.Expression:
        """Weights after trades."""
        return self.w_target + self.dv

    @property
    def cash_plus(self) -> cp.Expression:
        """Cash weight after trades (costs are paid out of cash by trade generation, not modelled here)."""
        return self.cash - cp.sum(self.z)

    def abs_z(self) -> cp.Variable:
        """``tau`` with ``tau >= |z|`` (created once; minimising a positive cost on it makes it ``|z|``)."""
        if self._tau is None:
            self._tau = cp.Variable(self.n, nonneg=True, name="abs_z")
            self.epigraphs += [self._tau >= self.z, self._tau >= -self.z]
        return self._tau

    def parameter(
        self, owner: object, name: str, shape: tuple[int, ...] | int = (), **attrs: Any
    ) -> cp.Parameter:
        """The Parameter ``name`` of ``owner`` (created on first use)."""
        key = (id(owner), name)
        if key not in self._params:
            self._owners.append(owner)
            self._params[key] = cp.Parameter(shape, name=f"{type(owner).__name__}.{name}", **attrs)
        return self._params[key]

    def has_parameter(self, owner: object, name: str) -> bool:
        """Whether ``owner`` created Parameter ``name`` in this problem."""
        return (id(owner), name) in self._params

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """A helper shared by terms (e.g. factor exposures ``y``), made once."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    def bind(self, data: ProblemData) -> None:
        """Set the shared Parameters from ``data``."""
        if data.symbols != self.symbols:
            raise DataError(
                f"problem compiled for {self.n} symbols ({', '.join(self.symbols[:5])} ...), data "
                f"has {data.n} ({', '.join(data.symbols[:5])} ...); compile it again for this universe"
            )
        if self.chained:  # d0, cash and the target come from the previous period
            return
        self.assign(self.d0, data.d0)
        self.assign(self.w_target, data.w_target)
        self.assign(self.cash, float(data.cash))  # type: ignore[arg-type]

    @staticmethod
    def assign(param: cp.Parameter, value: object) -> None:
        """Set a Parameter's value after checking shape, finiteness and sign.

        Equivalent to ``param.value = value`` but without cvxpy's generic validation, which costs more
        than Clarabel's own solve on small problems.
        """
        arr = np.asarray(value, dtype=float)
        if arr.shape != param.shape:
            raise DataError(f"{param.name()}: expected shape {param.shape}, got {arr.shape}")
        if not np.isfinite(arr).all():
            raise DataError(f"{param.name()}: values must be finite (NaN or infinity found)")
        if param.is_nonneg() and arr.size and arr.min() < 0:
            raise DataError(f"{param.name()}: values must be >= 0; smallest is {arr.min():.3g}")
        param.save_value(arr)


# ------------------------------------------------------------------------------------------------------ terms
class Term:
    """A convex function of the trades ``z``: ``evaluate`` (numpy) and ``to_cvxpy`` (cvxpy) agree.

    Subclasses implement :meth:`evaluate`, :meth:`to_cvxpy`, :meth:`bind`; optionally :meth:`gradient` and
    :meth:`kink` (used to explain decisions) and :attr:`label`.
    """

    #: Plain-words name used in explanations.
    label: str = "term"

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        """Exact value at trades ``z`` (weights, shape (n,)), as a fraction of portfolio value."""
        raise NotImplementedError

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        """The same function over ``v`` (DPP: Parameters enter affinely)."""
        raise NotImplementedError

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        """Assign this term's Parameter values from ``data`` (no other work)."""

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        """Gradient of the smooth part at ``z`` (where ``z_i != 0`` for the kinked part), shape (n,)."""
        return np.zeros(data.n)

    def kink(self, data: ProblemData) -> FloatArray:
        """Half-width of the subdifferential at ``z_i = 0`` (the per-unit cost of starting a trade), (n,)."""
        return np.zeros(data.n)

    def parts(self) -> Iterator[tuple[float, Term]]:
        """The leaves of a composite term with their weights (a leaf yields itself with weight 1)."""
        yield 1.0, self

    def needs(self) -> frozenset[str]:
        """Which optional :class:`ProblemData` fields this term reads (``"sigma"``, ``"volume"``, ...)."""
        return frozenset()

    def check_convex(self) -> None:
        """Raise :class:`ModelError` when the term cannot go into a convex program."""

    # -- arithmetic ---------------------------------------------------------------------------------------
    def __add__(self, other: Term) -> Sum:
        if not isinstance(other, Term):
            return NotImplemented
        return Sum((self, other))

    def __radd__(self, other: object) -> Term:
        if isinstance(other, (int, float)) and other == 0:
            return self
        return NotImplemented

    def __mul__(self, weight: float) -> Scaled:
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.floating, np.integer)):
            return NotImplemented
        return Scaled(float(weight), self)

    __rmul__ = __mul__

    def __le__(self, limit: float) -> TermConstraint:
        return TermConstraint(self, float(limit))

    def __lt__(self, limit: float) -> TermConstraint:
        raise ModelError(f"{self!r} < {limit}: a strict inequality cannot be enforced by a solver; use <=")

    def __ge__(self, limit: float) -> TermConstraint:
        raise ModelError(f"{self!r} >= {limit}: a lower limit on a convex term is not convex; use <=")

    __gt__ = __ge__


@dataclass(frozen=True, repr=False, eq=False)
class Sum(Term):
    """The sum of terms (nested sums are flattened)."""

    terms: tuple[Term, ...]

    def __post_init__(self) -> None:
        flat: list[Term] = []
        for t in self.terms:
            flat.extend(t.terms if isinstance(t, Sum) else (t,))
        object.__setattr__(self, "terms", tuple(flat))

    label = "sum"

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return float(sum(t.evaluate(z, data) for t in self.terms))

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        return cp.sum(cp.hstack([t.to_cvxpy(v) for t in self.terms]))

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        for t in self.terms:
            t.bind(v, data)

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        return np.sum([t.gradient(z, data) for t in self.terms], axis=0)

    def kink(self, data: ProblemData) -> FloatArray:
        return np.sum([t.kink(data) for t in self.terms], axis=0)

    def parts(self) -> Iterator[tuple[float, Term]]:
        for t in self.terms:
            yield from t.parts()

    def needs(self) -> frozenset[str]:
        return frozenset().union(*(t.needs() for t in self.terms))

    def check_convex(self) -> None:
        for t in self.terms:
            t.check_convex()

    def __repr__(self) -> str:
        return " + ".join(repr(t) for t in self.terms)


@dataclass(frozen=True, repr=False, eq=False)
class Scaled(Term):
    """``weight * term`` with a constant ``weight >= 0`` (a negative weight would break convexity)."""

    weight: float
    term: Term

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ModelError(
                f"{self.weight!r} * {self.term!r}: a term's weight must be a finite number >= 0 "
                "(a negative weight makes the objective non-convex)"
            )

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.term.label

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return self.weight * self.term.evaluate(z, data)

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        return self.term.to_cvxpy(v) * self.weight

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        self.term.bind(v, data)

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        return self.weight * self.term.gradient(z, data)

    def kink(self, data: ProblemData) -> FloatArray:
        return self.weight * self.term.kink(data)

    def parts(self) -> Iterator[tuple[float, Term]]:
        for w, t in self.term.parts():
            yield self.weight * w, t

    def needs(self) -> frozenset[str]:
        return self.term.needs()

    def check_convex(self) -> None:
        self.term.check_convex()

    def __repr__(self) -> str:
        inner = repr(self.term)
        return f"{self.weight!r} * ({inner})" if isinstance(self.term, Sum) else f"{self.weight!r} * {inner}"


# ------------------------------------------------------------------------------------------------ constraints
class Constraint:
    """A hard constraint: ``to_cvxpy(v)`` gives cvxpy constraints; ``violation`` measures it exactly.

    Subclasses implement :meth:`to_cvxpy`, :meth:`violation` and optionally :meth:`bind` and
    :meth:`describe_binding`.  :meth:`compile` registers the cvxpy constraints on ``v`` so their dual values
    can be read after a solve.
    """

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        """The cvxpy constraints (DPP)."""
        raise NotImplementedError

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        """Assign Parameter values from ``data``."""

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        """How far trades ``z`` break the constraint (weights; 0 when it holds)."""
        raise NotImplementedError

    def needs(self) -> frozenset[str]:
        """Optional :class:`ProblemData` fields read."""
        return frozenset()

    def compile(self, v: CvxVars) -> list[cp.Constraint]:
        """:meth:`to_cvxpy`, remembered on ``v`` for dual values."""
        out = self.to_cvxpy(v)
        v.constraints_of[id(self)] = out
        v._owners.append(self)
        return out

    def dual_size(self, v: CvxVars) -> float:
        """Largest absolute dual value of this constraint's rows in the last solve (0 when none)."""
        size = 0.0
        for c in v.constraints_of.get(id(self), []):
            dual = c.dual_value
            if dual is not None:
                size = max(size, float(np.max(np.abs(np.atleast_1d(dual)), initial=0.0)))
        return size

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        """A sentence saying that (and how) this constraint limits the solution."""
        return f"{self!r} binds"


@dataclass(frozen=True, repr=False, eq=False)
class TermConstraint(Constraint):
    """``term(z) <= limit`` (e.g. ``TradingCost(LinearCost(half_spread_bps=3)) <= 0.001``)."""

    term: Term
    limit: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.limit):
            raise ModelError(f"{self.term!r} <= {self.limit!r}: the limit must be a finite number")

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        return [self.term.to_cvxpy(v) <= self.limit]

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        self.term.bind(v, data)

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        return max(0.0, self.term.evaluate(z, data) - self.limit)

    def needs(self) -> frozenset[str]:
        return self.term.needs()

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return (
            f"the limit {self.term.label} <= {self.limit:.6g} binds "
            f"({self.term.label} = {self.term.evaluate(z, data):.6g})"
        )

    def __repr__(self) -> str:
        return f"{self.term!r} <= {self.limit!r}"


def constraint_names(constraints: Sequence[Constraint]) -> str:
    """``A, B and C`` from the constraints' reprs."""
    names = [repr(c) for c in constraints]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
