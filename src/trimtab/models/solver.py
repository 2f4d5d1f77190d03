# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Calling the solvers directly on a compiled DPP problem (the re-solve fast paths).

cvxpy compiles a DPP problem once into linear maps from the Parameter values to the solver's data
(``q``, ``P``, ``A``, ``b``).  :class:`CompiledMaps` keeps those maps and, for each re-solve, applies them
with one sparse product each; the solver objects below keep one solver per compiled problem and hand it only
the new values (sparsity fixed), skipping cvxpy's per-solve checks and result unpacking:

* :class:`DirectClarabel`: Clarabel (``DefaultSolver.update``); dual values are unpacked through cvxpy only
  when asked for (:meth:`DirectClarabel.unpack`);
* :class:`ReducedQp`: the QP fast path, for problems whose cones are only zero and nonnegative (a quadratic
  risk term, linear costs, linear constraints): the quadratic's helper variables and their equality rows are
  eliminated; the dense reduced QP goes first to DAQP, a dual active-set solver warm-started from the last
  solve's working set, whose answer is accepted only after our own KKT check (:data:`KKT_TOLERANCE`); else
  Clarabel solves it with lean settings, and only its ``Solved`` status is accepted (the caller falls back
  to :class:`DirectClarabel` on anything else).

It relies on cvxpy's parametric program (``ParamConeProg``; tested with cvxpy 1.9); if the structures are
not as expected, the ``build`` methods return ``None`` and the caller uses ``Problem.solve``.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from trimtab.typing import FloatArray

__all__ = [
    "CLARABEL_STATUS",
    "DAQP_MAX_VARIABLES",
    "DAQP_RETRY_SETTINGS",
    "DAQP_SETTINGS",
    "KKT_TOLERANCE",
    "QP_SETTINGS",
    "CompiledMaps",
    "DirectClarabel",
    "ReducedQp",
    "kkt_residuals",
]

#: Clarabel status -> cvxpy status.
CLARABEL_STATUS = {
    "Solved": cp.OPTIMAL,
    "AlmostSolved": cp.OPTIMAL_INACCURATE,
    "PrimalInfeasible": cp.INFEASIBLE,
    "AlmostPrimalInfeasible": cp.INFEASIBLE_INACCURATE,
    "DualInfeasible": cp.UNBOUNDED,
    "AlmostDualInfeasible": cp.UNBOUNDED_INACCURATE,
}

#: Clarabel settings of the QP fast path (:class:`ReducedQp`): no presolve and no iterative refinement of
#: the search directions (Clarabel's termination test computes the residuals from the problem data, so a
#: ``Solved`` status keeps its meaning), and a duality-gap tolerance of 1e-10 instead of 1e-8: the reduced
#: objective leaves out the constant part, and at 1e-8 weakly curved problems (absolute variance, tiny costs)
#: stopped up to 6e-6 away in weights from the full problem's answer; at 1e-10 within 1e-8 (two or three
#: more iterations).  Anything but ``Solved`` is re-solved with the default settings on the full problem.
QP_SETTINGS: dict[str, Any] = {
    "presolve_enable": False,
    "iterative_refinement_enable": False,
    "tol_gap_abs": 1e-10,
    "tol_gap_rel": 1e-10,
}
#: Largest number of remaining variables for which :class:`ReducedQp` forms the reduced quadratic densely.
QP_MAX_VARIABLES = 400
#: DAQP settings of the QP fast path: primal feasibility to 1e-9 (default 1e-6; weights) and an iteration cap
#: (the warm start needs a median 15 iterations on the 50-asset benchmark, a cold start about 110), and
#: DAQP's default proximal stop (``eta_prox`` -1) spelled out: assigning settings changes only the keys given,
#: so after a retry with :data:`DAQP_RETRY_SETTINGS` this puts the default back.
DAQP_SETTINGS: dict[str, Any] = {"primal_tol": 1e-9, "iter_limit": 5000, "eta_prox": -1.0}
#: DAQP's proximal iterations (for the semidefinite Hessian) stop by default when they stall at about 1e-8:
#: an answer that fails the KKT check is solved once more from its working set with this stopping tolerance
#: (on random problems 9 % of first answers failed stationarity at 1e-9, none after the retry; always using it
#: costs a third proximal iteration on most benchmark solves, 0.25 -> 0.47 ms).
DAQP_RETRY_SETTINGS: dict[str, Any] = {**DAQP_SETTINGS, "eta_prox": 1e-12}
#: Largest number of remaining variables for which :class:`ReducedQp` tries DAQP: each active-set iteration
#: costs O(n^2) and a cold start about as many iterations as variables, so on unrelated data (a fresh
#: covariance every solve) DAQP at 400 variables (200 assets, dense) took 105 ms against Clarabel's 83.
DAQP_MAX_VARIABLES = 200
#: Relative tolerances of the KKT check on DAQP's answer (:func:`kkt_residuals`): primal feasibility,
#: stationarity, sign of the multipliers, complementarity.  Tighter than Clarabel's 1e-8/1e-10 (an active-set
#: answer solves the KKT equations of its working set exactly: on the benchmark all four were below 2e-9
#: absolute with |q| about 5).
KKT_TOLERANCE = 1e-9
#: DAQP's "infinite" bound and its constraint kind for an equality row (active and immutable).
_DAQP_INF = 1e30
_DAQP_EQUALITY = 5


class CompiledMaps:
    """cvxpy's maps from Parameter values to the solver data of one compiled problem (see module docstring).

    Parameters
    ----------
    problem : cvxpy.Problem
        A DPP problem; every Parameter must have a value.
    variable : cvxpy.Variable
        The variable whose value the solvers return (``dv``).
    """

    def __init__(self, problem: cp.Problem, variable: cp.Variable) -> None:
        from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones

        data, chain, inverse = problem.get_problem_data(cp.CLARABEL, solver_opts={})
        prog = data["param_prob"]
        self.problem = problem
        self.chain, self.inverse = chain, inverse
        self.prog = prog
        self.n_x = int(prog.x.size)
        known = {p.id: p for p in problem.parameters()}
        self._params: list[tuple[int, int, cp.Parameter]] = []
        for pid, col in prog.param_id_to_col.items():
            if pid == -1:  # the constant column
                self._const_col = int(col)
                continue
            if pid not in known:
                raise LookupError("a Parameter was rewritten by cvxpy; use Problem.solve")
            self._params.append((int(col), int(prog.param_id_to_size[pid]), known[pid]))
        self._n_param = int(prog.total_param_size) + 1
        self.col = int(prog.var_id_to_col[variable.id])
        self.n = int(variable.size)
        # A and b: one CSC structure with the offset as its last column
        prog.reduced_A.cache(keep_zeros=True)
        self._a_map = sp.csr_matrix(prog.reduced_A.reduced_mat)
        indices, indptr, shape = prog.reduced_A.problem_data_index
        self.a_rows = int(shape[0])
        end = int(indptr[-2])
        self._a_end = end
        self.a_indices = np.asarray(indices[:end], dtype=np.int64)
        self.a_indptr = np.asarray(indptr[:-1], dtype=np.int64)
        self._b_rows = np.asarray(indices[end:], dtype=np.int64)
        # P (upper triangle kept, as Clarabel wants)
        if prog.P is not None:
            prog.reduced_P.cache(keep_zeros=True)
            p_indices, p_indptr, p_shape = prog.reduced_P.problem_data_index
            p_indices = np.asarray(p_indices, dtype=np.int64)
            p_indptr = np.asarray(p_indptr, dtype=np.int64)
            cols = np.repeat(np.arange(int(p_shape[1])), np.diff(p_indptr))
            self._p_keep = p_indices <= cols
            self._p_map = sp.csr_matrix(prog.reduced_P.reduced_mat)
            counts = np.bincount(cols[self._p_keep], minlength=int(p_shape[1]))
            self.p_indices = p_indices[self._p_keep]
            self.p_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        else:
            self._p_map = None
        self._q_map = sp.csr_matrix(prog.q)
        self.cones = dims_to_solver_cones(prog.cone_dims)
        #: Rows ``A x + s = b`` with ``s == 0`` (first) and ``s >= 0`` (next).
        self.zero_rows = int(prog.cone_dims.zero)
        #: Whether the cones are only zero and nonnegative (a QP: the fast path of :class:`ReducedQp` applies).
        self.linear_cones = self.zero_rows + int(prog.cone_dims.nonneg) == self.a_rows
        #: Constant of the objective in the last :meth:`data` (cvxpy's objective = solver's + offset).
        self.offset = 0.0

    def _param_vector(self) -> FloatArray:
        vec = np.zeros(self._n_param)
        for col, size, param in self._params:
            value = param.value
            vec[col : col + size] = np.ravel(np.asarray(value), order="F") if size > 1 else value
        vec[self._const_col] = 1.0
        return vec

    def data(self) -> tuple[FloatArray | None, FloatArray, FloatArray, FloatArray]:
        """``(P values or None, q, A values, b)`` from the current Parameter values (``A x + s = b``)."""
        vec = self._param_vector()
        q_full = self._q_map @ vec
        q = np.asarray(q_full[: self.n_x], dtype=float)
        self.offset = float(q_full[self.n_x]) if q_full.shape[0] > self.n_x else 0.0
        values = self._a_map @ vec
        a_data = -np.asarray(values[: self._a_end], dtype=float)
        b = np.zeros(self.a_rows)
        b[self._b_rows] = values[self._a_end :]
        p_data = None
        if self._p_map is not None:
            p_data = np.asarray((self._p_map @ vec)[self._p_keep], dtype=float)
        return p_data, q, a_data, b

    def matrices(self, p_data: FloatArray | None, a_data: FloatArray) -> tuple[sp.csc_matrix, sp.csc_matrix]:
        """``P`` (upper triangle) and ``A`` as CSC matrices with the fixed sparsity."""
        a_mat = sp.csc_matrix((a_data, self.a_indices, self.a_indptr), shape=(self.a_rows, self.n_x))
        if p_data is None:
            p_mat = sp.csc_matrix((self.n_x, self.n_x))
        else:
            p_mat = sp.csc_matrix((p_data, self.p_indices, self.p_indptr), shape=(self.n_x, self.n_x))
        return p_mat, a_mat


class DirectClarabel:
    """Clarabel on cvxpy's compiled parameter maps (see module docstring).

    Build with :meth:`build` after every Parameter has a value; then :meth:`solve` after each re-bind.
    """

    def __init__(self, problem: cp.Problem, variable: cp.Variable, maps: CompiledMaps | None = None) -> None:
        self.maps = maps if maps is not None else CompiledMaps(problem, variable)
        self.problem = problem
        self._solver: Any = None
        self._last: Any = None
        self._offset = 0.0

    @classmethod
    def build(
        cls, problem: cp.Problem, variable: cp.Variable, maps: CompiledMaps | None = None
    ) -> DirectClarabel | None:
        """The fast path for ``problem``, or ``None`` when cvxpy's structures are not as expected."""
        try:
            return cls(problem, variable, maps)
        except (AttributeError, KeyError, LookupError, TypeError, ValueError, ImportError):
            return None

    def solve(self, **settings: Any) -> tuple[str, FloatArray | None]:
        """Solve with the current Parameter values; returns (cvxpy status, value of the variable or None)."""
        import clarabel

        maps = self.maps
        p_data, q, a_data, b = maps.data()
        self._offset = maps.offset
        if self._solver is None or not self._solver.is_data_update_allowed():
            options = clarabel.DefaultSettings()
            options.verbose = False
            for key, value in settings.items():
                setattr(options, key, value)
            p_mat, a_mat = maps.matrices(p_data, a_data)
            self._solver = clarabel.DefaultSolver(p_mat, q, a_mat, b, maps.cones, options)
        else:
            update: dict[str, Any] = {"q": q, "A": a_data, "b": b}
            if p_data is not None:
                update["P"] = p_data
            self._solver.update(**update)
        result = self._solver.solve()
        self._last = result
        status = CLARABEL_STATUS.get(str(result.status), cp.SOLVER_ERROR)
        if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            x = np.asarray(result.x, dtype=float)
            return status, x[maps.col : maps.col + maps.n]
        return status, None

    @property
    def last_objective(self) -> float | None:
        """Objective value of the last solve as cvxpy states it (compiled objective, constant included)."""
        if self._last is None:
            return None
        return float(self._last.obj_val) + self._offset

    def unpack(self) -> None:
        """Load the last result (variables and dual values) into the cvxpy problem."""
        if self._last is not None:
            self.problem.unpack_results(self._last, self.maps.chain, self.maps.inverse)




def kkt_residuals(
    hess: FloatArray, q: FloatArray, a: FloatArray, b: FloatArray, n_eq: int, x: FloatArray, y: FloatArray
) -> float:
    """Largest scaled KKT residual of ``x`` and multipliers ``y`` for a dense QP.

    The QP is ``minimise x'Hx/2 + q'x  s.t.  a[:n_eq] x = b[:n_eq],  a[n_eq:] x <= b[n_eq:]`` with the
    stationarity condition ``H x + q + a'y = 0`` and ``y[n_eq:] >= 0``.

    Parameters
    ----------
    hess : ndarray of shape (n, n)
        Symmetric positive semidefinite ``H``.
    q : ndarray of shape (n,)
    a : ndarray of shape (m, n)
    b : ndarray of shape (m,)
    n_eq : int
        Number of equality rows (first).
    x : ndarray of shape (n,)
    y : ndarray of shape (m,)

    Returns
    -------
    float
        The largest of: primal infeasibility over ``max(1, |b|, |a x|)``, stationarity over
        ``max(1, |H x|, |q|, |a'y|)``, the most negative inequality multiplier and the complementarity
        ``sum(y_i * slack_i)`` over ``max(1, |y|)`` (sup norms); ``inf`` when anything is not finite.
    """
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return float("inf")
    hx, ax, aty = hess @ x, a @ x, a.T @ y
    slack = b - ax

    def norm(v: FloatArray) -> float:
        return float(np.max(np.abs(v), initial=0.0))

    primal = max(norm(slack[:n_eq]), float(np.max(-slack[n_eq:], initial=0.0))) / max(1.0, norm(b), norm(ax))
    station = norm(hx + q + aty) / max(1.0, norm(hx), norm(q), norm(aty))
    y_in = y[n_eq:]
    sign = float(np.max(-y_in, initial=0.0)) / max(1.0, norm(y_in))
    comp = abs(float(y_in @ slack[n_eq:])) / max(1.0, norm(y_in))
    worst = max(primal, station, sign, comp)
    return worst if np.isfinite(worst) else float("inf")  # overflow


class ReducedQp:
    """The QP fast path: DAQP, then Clarabel, on the problem with the quadratic's helper variables eliminated.

    cvxpy writes a quadratic term ``||S dv||^2`` as ``t'P t`` with a helper ``t`` and rows ``t - S dv == 0``:
    the linear system Clarabel factors at each of its iterations then carries ``S`` as a dense block of
    equality rows.  When every variable ``t`` that the quadratic touches appears in exactly one zero-cone
    row (and that row holds no other such variable), the rows give ``t = c + H y`` for the remaining variables
    ``y`` and the problem becomes ``minimise y'(H'P H)y / 2 + (q_y + H'(P c + q_t))'y`` over the other rows:
    the same optimum, with fewer variables and rows.  It is built only for problems whose cones are zero and
    nonnegative (quadratic risk, linear costs and constraints) with at most :data:`QP_MAX_VARIABLES` remaining
    variables (``H'P H`` is formed densely).  ``H'P H`` is recomputed only when ``P`` or ``A`` values change.

    Each solve goes first to DAQP (dense dual active set, :data:`DAQP_SETTINGS`) when it is installed and
    there are at most :data:`DAQP_MAX_VARIABLES` remaining variables: one
    DAQP workspace per reduced QP keeps the factorization of the Hessian and warm-starts from the working set
    of the previous solve (consecutive periods of a backtest bind close data: a median 15 active-set
    iterations instead of 110 from cold); DAQP's own proximal iterations handle the semidefinite Hessian
    (the ``|z|`` epigraph variables have no curvature).  Its answer is accepted only when DAQP reports it
    optimal and :func:`kkt_residuals` is at most :data:`KKT_TOLERANCE` (after one retry with
    :data:`DAQP_RETRY_SETTINGS` when the first answer fails the check); anything else is counted in
    :attr:`active_set_fallbacks`, the workspace is dropped (the next solve starts cold) and Clarabel solves
    the reduced QP with :data:`QP_SETTINGS`.  New ``P`` or ``A`` values (a covariance estimated each period)
    are handed to the same workspace, which keeps the working set (on the benchmark's QPs with the
    covariance rescaled every period: 1.0 ms per solve and 15 iterations, against 1.6 ms and 106 from
    cold).  The warm start makes an answer depend slightly on the previous
    solve of the same compiled problem (DAQP's proximal iterations stop at slightly different points: up to
    about 3e-9 in weights on random problems, tested below 1e-8): a backtest, whose sequence of solves is
    fixed by its data, gives the same result every time.

    Parameters
    ----------
    maps : CompiledMaps
        The compiled problem's maps.
    """

    def __init__(self, maps: CompiledMaps) -> None:
        if not maps.linear_cones or maps._p_map is None:
            raise ValueError("the QP fast path takes a quadratic objective with zero and nonnegative cones")
        n_x, zero = maps.n_x, maps.zero_rows
        p_cols = np.repeat(np.arange(n_x), np.diff(maps.p_indptr))
        quad = np.union1d(maps.p_indices, p_cols)  # variables the quadratic touches (t)
        a_cols = np.repeat(np.arange(n_x), np.diff(maps.a_indptr))
        a_rows = maps.a_indices
        in_quad = np.zeros(n_x, dtype=bool)
        in_quad[quad] = True
        counts = np.diff(maps.a_indptr)[quad]
        if quad.size == 0 or np.any(counts != 1):
            raise ValueError("a quadratic variable appears in more than one row")
        defining = a_rows[maps.a_indptr[quad]]  # the row of each t
        per_row = np.bincount(a_rows[in_quad[a_cols]], minlength=maps.a_rows)
        if np.any(defining >= zero) or np.any(per_row[defining] != 1):
            raise ValueError("a quadratic variable is not defined by its own equality row")
        rest = np.flatnonzero(~in_quad)
        if rest.size > QP_MAX_VARIABLES or rest.size == 0:
            raise ValueError("too many remaining variables for a dense reduced quadratic")
        dv = np.arange(maps.col, maps.col + maps.n)
        if np.any(in_quad[dv]):
            raise ValueError("the returned variable is a quadratic helper")
        removed = np.zeros(maps.a_rows, dtype=bool)
        removed[defining] = True
        kept_rows = np.flatnonzero(~removed)
        row_rank = np.cumsum(~removed) - 1
        col_rank = np.cumsum(~in_quad) - 1
        quad_rank = np.cumsum(in_quad) - 1
        entry_kept = ~removed[a_rows]  # entries of the remaining rows (all in remaining columns)
        entry_h = removed[a_rows] & ~in_quad[a_cols]  # entries of H (defining rows, remaining columns)
        self.maps = maps
        self._quad, self._rest, self._kept_rows = quad, rest, kept_rows
        self._defining = defining
        self._coef_entries = maps.a_indptr[quad]  # entry of each t in its row
        self._kept_entries = np.flatnonzero(entry_kept)
        self._h_entries = np.flatnonzero(entry_h)
        # position of each H entry: row = which t its row defines, column = rank among remaining variables
        t_of_row = np.full(maps.a_rows, -1)
        t_of_row[defining] = np.arange(quad.size)
        self._h_rows = t_of_row[a_rows[entry_h]]
        self._h_cols = col_rank[a_cols[entry_h]]
        self._p_rows = quad_rank[maps.p_indices]
        self._p_cols = quad_rank[p_cols]
        kept_counts = np.bincount(a_cols[entry_kept], minlength=n_x)[rest]
        self._a_indices = row_rank[a_rows[entry_kept]].astype(np.int64)
        self._a_indptr = np.concatenate([[0], np.cumsum(kept_counts)]).astype(np.int64)
        self._dv = col_rank[dv]
        # the reduced quadratic's structural pattern (upper triangle), from the patterns of H and P
        h_pattern = np.zeros((quad.size, rest.size))
        h_pattern[self._h_rows, self._h_cols] = 1.0
        p_pattern = np.zeros((quad.size, quad.size))
        p_pattern[self._p_rows, self._p_cols] = 1.0
        p_pattern = np.maximum(p_pattern, p_pattern.T)
        upper = np.triu(h_pattern.T @ p_pattern @ h_pattern != 0)
        # CSC order: column by column, rows ascending within each
        cols_r, rows_r = np.nonzero(upper.T)
        self._q_rows, self._q_cols = rows_r, cols_r
        per_col = np.bincount(cols_r, minlength=rest.size)
        self._q_indptr = np.concatenate([[0], np.cumsum(per_col)]).astype(np.int64)
        n_zero = zero - quad.size
        n_nonneg = maps.a_rows - zero
        from clarabel import NonnegativeConeT, ZeroConeT

        self.cones = [ZeroConeT(n_zero)] if n_zero else []
        self.cones += [NonnegativeConeT(n_nonneg)] if n_nonneg else []
        self._key: tuple[FloatArray, FloatArray] | None = None
        self._h = np.zeros((quad.size, rest.size))
        self._p_quad = np.zeros((quad.size, quad.size))
        self._p_values = np.zeros(self._q_rows.size)
        self._solver: Any = None
        self._last: Any = None
        self._n_zero = n_zero
        self._clarabel_stale = False
        try:
            import daqp  # noqa: F401
        except ImportError:  # without DAQP, Clarabel solves every reduced QP
            self._use_daqp = False
        else:
            self._use_daqp = kept_rows.size > 0 and rest.size <= DAQP_MAX_VARIABLES
        self._daqp: Any = None
        self._daqp_stale = False
        self._dense: tuple[FloatArray, FloatArray] | None = None
        #: Solves answered by DAQP, and DAQP answers rejected (then Clarabel solved the reduced QP).
        self.active_set_solves = 0
        self.active_set_fallbacks = 0

    @classmethod
    def build(cls, maps: CompiledMaps | None) -> ReducedQp | None:
        """The QP fast path for ``maps``, or ``None`` when the problem does not have its structure."""
        if maps is None:
            return None
        try:
            return cls(maps)
        except (ValueError, IndexError, ImportError):
            return None

    def _reduce(self, p_data: FloatArray, a_data: FloatArray) -> bool:
        """Recompute ``H`` and ``H'P H`` for new ``P`` and ``A`` values; False if a coefficient of t is 0."""
        coef = a_data[self._coef_entries]
        if np.any(coef == 0.0):
            self._key = None
            return False
        self._coef = coef
        h = self._h
        h[:] = 0.0
        h[self._h_rows, self._h_cols] = -a_data[self._h_entries] / coef[self._h_rows]
        p = self._p_quad
        p[:] = 0.0
        p[self._p_rows, self._p_cols] = p_data
        p[self._p_cols, self._p_rows] = p_data
        reduced = h.T @ (p @ h)
        self._p_values = reduced[self._q_rows, self._q_cols]
        self._a_values = a_data[self._kept_entries]
        self._key = (p_data.copy(), a_data.copy())
        self._dense = None  # new Hessian or rows: DAQP gets them at its next solve
        self._daqp_stale = True
        self._clarabel_stale = True  # and Clarabel needs them at its next solve
        return True

    def _dense_data(self) -> tuple[FloatArray, FloatArray]:
        """The reduced QP's Hessian (symmetric, from the upper triangle Clarabel gets) and rows, dense."""
        if self._dense is None:
            size = self._rest.size
            hess = np.zeros((size, size))
            hess[self._q_rows, self._q_cols] = self._p_values
            hess[self._q_cols, self._q_rows] = self._p_values
            a_mat = sp.csc_matrix(
                (self._a_values, self._a_indices, self._a_indptr), shape=(self._kept_rows.size, size)
            ).toarray()
            self._dense = (hess, np.ascontiguousarray(a_mat))
        return self._dense

    def _solve_active_set(self, q: FloatArray, b: FloatArray) -> FloatArray | None:
        """DAQP on the reduced QP; its ``x`` when optimal and the KKT check passes, else ``None``."""
        import daqp

        hess, a_mat = self._dense_data()
        n_eq = self._n_zero
        lower = np.full(b.size, -_DAQP_INF)
        lower[:n_eq] = b[:n_eq]
        if self._daqp is None:
            sense = np.zeros(b.size, dtype=np.intc)
            sense[:n_eq] = _DAQP_EQUALITY
            model = daqp.Model()
            if model.setup(hess, q, a_mat, b, lower, sense)[0] < 0:
                return None
            model.settings = DAQP_SETTINGS
            self._daqp = model
        elif self._daqp_stale:  # new Hessian or rows: refactorized, the working set kept (a warm start)
            self._daqp.update(H=hess, f=q, A=a_mat, bupper=b, blower=lower)
        else:  # the workspace keeps the factorization and the last working set: a warm start
            self._daqp.update(f=q, bupper=b, blower=lower)
        self._daqp_stale = False
        model = self._daqp
        for retry in (False, True):
            if retry:
                model.settings = DAQP_RETRY_SETTINGS
            x, _, flag, info = model.solve()
            if retry:
                model.settings = DAQP_SETTINGS
            if flag != 1:
                break
            x = np.asarray(x, dtype=float)
            y = np.asarray(info["lam"], dtype=float)
            if kkt_residuals(hess, q, a_mat, b, n_eq, x, y) <= KKT_TOLERANCE:
                return x
        self._daqp = None  # the next solve starts cold
        return None

    def cold_start(self) -> None:
        """Forget DAQP's working set: the next solve starts cold (and so does not depend on earlier ones)."""
        self._daqp = None

    def solve(self) -> tuple[str, FloatArray | None]:
        """Solve with the current Parameter values; returns (cvxpy status, value of the variable or None).

        A verified DAQP answer or Clarabel's ``Solved`` gives ``optimal``; every other outcome is
        ``solver_error`` (the caller then solves the full problem with the default settings, which also
        reports infeasibility).
        """
        import clarabel

        maps = self.maps
        p_data, q, a_data, b = maps.data()
        assert p_data is not None
        changed = self._key is None or not (
            np.array_equal(self._key[0], p_data) and np.array_equal(self._key[1], a_data)
        )
        if changed and not self._reduce(p_data, a_data):
            return cp.SOLVER_ERROR, None
        c = b[self._defining] / self._coef
        q_quad = q[self._quad]
        q_rest = q[self._rest] + self._h.T @ (self._p_quad @ c + q_quad)
        b_rest = b[self._kept_rows]
        if self._use_daqp:
            x = self._solve_active_set(q_rest, b_rest)
            if x is not None:
                self.active_set_solves += 1
                return cp.OPTIMAL, x[self._dv]
            self.active_set_fallbacks += 1
        if self._solver is None or not self._solver.is_data_update_allowed():
            options = clarabel.DefaultSettings()
            options.verbose = False
            for key, value in QP_SETTINGS.items():
                setattr(options, key, value)
            size = self._rest.size
            p_mat = sp.csc_matrix((self._p_values, self._q_rows, self._q_indptr), shape=(size, size))
            a_mat = sp.csc_matrix(
                (self._a_values, self._a_indices, self._a_indptr), shape=(self._kept_rows.size, size)
            )
            self._solver = clarabel.DefaultSolver(p_mat, q_rest, a_mat, b_rest, self.cones, options)
        elif self._clarabel_stale:
            self._solver.update(P=self._p_values, q=q_rest, A=self._a_values, b=b_rest)
        else:
            self._solver.update(q=q_rest, b=b_rest)
        self._clarabel_stale = False
        result = self._solver.solve()
        self._last = result
        if str(result.status) != "Solved":
            return cp.SOLVER_ERROR, None
        x = np.asarray(result.x, dtype=float)
        if not np.isfinite(x).all():
            return cp.SOLVER_ERROR, None
        return cp.OPTIMAL, x[self._dv]
