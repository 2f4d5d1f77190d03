"""Shipped conformance checks: run them on built-in and on your own terms and constraints.

``check_term(term, data, z)`` pins the trades at ``z`` and minimises the term alone, so helper variables
(epigraphs) go tight; the cvxpy value must equal ``term.evaluate(z, data)`` within ``rel`` (DESIGN 3.3).
It also checks that the compiled problem is DPP.

``check_constraints_hold(problem_solution)`` re-measures every constraint of a solution exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from trimtab.models.base import OBJECTIVE_SCALE, Constraint, CvxVars, ProblemData, Term
from trimtab.typing import FloatArray

__all__ = ["TermMismatch", "check_constraints_hold", "check_term"]


class TermMismatch(AssertionError):
    """``evaluate`` and ``to_cvxpy`` disagree."""


def check_term(term: Term, data: ProblemData, z: FloatArray, *, rel: float = 1e-6, abs_tol: float = 1e-10) -> float:
    """Assert that ``term.to_cvxpy`` at pinned trades ``z`` equals ``term.evaluate(z, data)``.

    Parameters
    ----------
    term : Term
        The term under test.
    data : ProblemData
        Its data (risk form taken from ``data``).
    z : ndarray of shape (n,)
        Trades as weights.
    rel, abs_tol : float
        Relative and absolute tolerances on the value (fraction of portfolio value).

    Returns
    -------
    float
        The exact value ``term.evaluate(z, data)``.
    """
    z = np.asarray(z, dtype=float)
    v = CvxVars.for_data(data)
    expr = term.to_cvxpy(v)
    v.bind(data)
    term.bind(v, data)
    problem = cp.Problem(cp.Minimize(OBJECTIVE_SCALE * expr), [v.dv == data.d0 + z, *v.epigraphs])
    if not problem.is_dcp(dpp=True):
        raise TermMismatch(f"{term!r} is not DPP")
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10)
    if problem.status != cp.OPTIMAL:
        raise TermMismatch(f"{term!r}: Clarabel status {problem.status} at pinned trades")
    exact = term.evaluate(z, data)
    got = float(problem.value) / OBJECTIVE_SCALE
    if not abs(got - exact) <= max(abs_tol, rel * abs(exact)):
        raise TermMismatch(f"{term!r}: cvxpy value {got!r} != evaluate {exact!r} (rel {rel}, abs {abs_tol})")
    return exact


def check_constraints_hold(constraints: Sequence[Constraint], z: FloatArray, data: ProblemData,
                           tolerance: float = 1e-6) -> None:
    """Assert every constraint holds at ``z`` within ``tolerance`` (weights)."""
    broken = [(c, c.violation(np.asarray(z, dtype=float), data)) for c in constraints]
    broken = [(c, x) for c, x in broken if x > tolerance]
    if broken:
        raise AssertionError("constraints broken: " + ", ".join(f"{c!r} by {x:.3g}" for c, x in broken))
