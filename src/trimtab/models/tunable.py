# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""A term whose weight is a Parameter: ``mu * term`` written as ``mu * t`` with the epigraph ``term <= t``.

Under DPP a Parameter may not multiply a Parameter-dependent expression (``mu * sum_squares(S @ dv)`` with
``S`` a Parameter is not DPP), but it may multiply a Parameter-free variable ``t``; the epigraph
``term(z) <= t`` is convex whenever the term is, and at the optimum ``t = term(z)`` for ``mu > 0``.  So one
compiled problem can be re-solved for new term weights by assigning ``mu`` only
(:class:`trimtab.analysis.frontier.TradeoffProblem` uses it for frontiers and sensitivities).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from trimtab.models.base import CvxVars, ProblemData, Term
from trimtab.typing import FloatArray

__all__ = ["TermWeights", "TunableTerm"]


class TermWeights:
    """The current Parameter values of the tunable leaves (mutable; shared by the leaves of one problem)."""

    def __init__(self, n: int) -> None:
        self.values = np.ones(n)


@dataclass(frozen=True, repr=False, eq=False)
class TunableTerm(Term):
    """``mu * term`` with ``mu`` a nonnegative Parameter, written as ``mu * t`` with ``term <= t`` (DPP).

    Parameters
    ----------
    term : Term
        The convex leaf.
    slot : int
        Its index in ``weights``.
    weights : TermWeights
        Holder of the current multipliers (set by :class:`TradeoffProblem` before each solve).
    """

    term: Term
    slot: int
    weights: TermWeights

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.term.label

    @property
    def weight(self) -> float:
        """The current multiplier ``mu``."""
        return float(self.weights.values[self.slot])

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return self.weight * self.term.evaluate(z, data)

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        epigraph = cp.Variable(name=f"t{self.slot}")
        v.epigraphs.append(self.term.to_cvxpy(v) <= epigraph)
        return v.parameter(self, "weight", nonneg=True) * epigraph

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        self.term.bind(v, data)
        v.assign(v.parameter(self, "weight", nonneg=True), self.weight)

    def gradient(self, z: FloatArray, data: ProblemData) -> FloatArray:
        return self.weight * self.term.gradient(z, data)

    def kink(self, data: ProblemData) -> FloatArray:
        return self.weight * self.term.kink(data)

    def needs(self) -> frozenset[str]:
        return self.term.needs()

    def check_convex(self) -> None:
        self.term.check_convex()

    def __repr__(self) -> str:
        return f"mu{self.slot} * {self.term!r}"
