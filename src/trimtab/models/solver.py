# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Calling Clarabel directly on a compiled DPP problem (the re-solve fast path).

cvxpy compiles a DPP problem once into linear maps from the Parameter values to the solver's data
(``q``, ``P``, ``A``, ``b``).  :class:`DirectClarabel` keeps those maps and, for each re-solve, applies them
with one sparse product each and hands the new values to the *same* Clarabel solver object
(``DefaultSolver.update`` with the non-zero values, sparsity fixed), skipping cvxpy's per-solve checks and
result unpacking.  Dual values are unpacked through cvxpy only when asked for (:meth:`DirectClarabel.unpack`).

It relies on cvxpy's parametric program (``ParamConeProg``; tested with cvxpy 1.9); if the structures are
not as expected, :meth:`DirectClarabel.build` returns ``None`` and the caller uses ``Problem.solve``.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from trimtab.typing import FloatArray

__all__ = ["CLARABEL_STATUS", "DirectClarabel"]

#: Clarabel status -> cvxpy status.
CLARABEL_STATUS = {
    "Solved": cp.OPTIMAL,
    "AlmostSolved": cp.OPTIMAL_INACCURATE,
    "PrimalInfeasible": cp.INFEASIBLE,
    "AlmostPrimalInfeasible": cp.INFEASIBLE_INACCURATE,
    "DualInfeasible": cp.UNBOUNDED,
    "AlmostDualInfeasible": cp.UNBOUNDED_INACCURATE,
}


class DirectClarabel:
    """Clarabel on cvxpy's compiled parameter maps (see module docstring).

    Build with :meth:`build` after every Parameter has a value; then :meth:`solve` after each re-bind.
    """

    def __init__(self, problem: cp.Problem, variable: cp.Variable) -> None:
        from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones

        data, chain, inverse = problem.get_problem_data(cp.CLARABEL, solver_opts={})
        prog = data["param_prob"]
        self.problem = problem
        self._chain, self._inverse = chain, inverse
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
        self._col = int(prog.var_id_to_col[variable.id])
        self._n = int(variable.size)
        # A and b: one CSC structure with the offset as its last column
        prog.reduced_A.cache(keep_zeros=True)
        self._a_map = sp.csr_matrix(prog.reduced_A.reduced_mat)
        indices, indptr, shape = prog.reduced_A.problem_data_index
        self._a_rows = int(shape[0])
        end = int(indptr[-2])
        self._a_end = end
        self._a_indices = np.asarray(indices[:end], dtype=np.int64)
        self._a_indptr = np.asarray(indptr[:-1], dtype=np.int64)
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
            self._p_indices = p_indices[self._p_keep]
            self._p_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        else:
            self._p_map = None
        self._q_map = sp.csr_matrix(prog.q)
        self.cones = dims_to_solver_cones(prog.cone_dims)
        self._solver: Any = None
        self._last: Any = None
        self._offset = 0.0

    @classmethod
    def build(cls, problem: cp.Problem, variable: cp.Variable) -> DirectClarabel | None:
        """The fast path for ``problem``, or ``None`` when cvxpy's structures are not as expected."""
        try:
            return cls(problem, variable)
        except (AttributeError, KeyError, LookupError, TypeError, ValueError, ImportError):
            return None

    def _param_vector(self) -> FloatArray:
        vec = np.zeros(self._n_param)
        for col, size, param in self._params:
            value = param.value
            vec[col : col + size] = np.ravel(np.asarray(value), order="F") if size > 1 else value
        vec[self._const_col] = 1.0
        return vec

    def _data(self) -> tuple[FloatArray | None, FloatArray, FloatArray, FloatArray]:
        vec = self._param_vector()
        q_full = self._q_map @ vec
        q = np.asarray(q_full[: self.n_x], dtype=float)
        self._offset = float(q_full[self.n_x]) if q_full.shape[0] > self.n_x else 0.0
        values = self._a_map @ vec
        a_data = -np.asarray(values[: self._a_end], dtype=float)
        b = np.zeros(self._a_rows)
        b[self._b_rows] = values[self._a_end :]
        p_data = None
        if self._p_map is not None:
            p_data = np.asarray((self._p_map @ vec)[self._p_keep], dtype=float)
        return p_data, q, a_data, b

    def solve(self, **settings: Any) -> tuple[str, FloatArray | None]:
        """Solve with the current Parameter values; returns (cvxpy status, value of the variable or None)."""
        import clarabel

        p_data, q, a_data, b = self._data()
        if self._solver is None or not self._solver.is_data_update_allowed():
            options = clarabel.DefaultSettings()
            options.verbose = False
            for key, value in settings.items():
                setattr(options, key, value)
            shape = (self._a_rows, self.n_x)
            a_mat = sp.csc_matrix((a_data, self._a_indices, self._a_indptr), shape=shape)
            if p_data is None:
                p_mat = sp.csc_matrix((self.n_x, self.n_x))
            else:
                p_mat = sp.csc_matrix((p_data, self._p_indices, self._p_indptr), shape=(self.n_x, self.n_x))
            self._solver = clarabel.DefaultSolver(p_mat, q, a_mat, b, self.cones, options)
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
            return status, x[self._col : self._col + self._n]
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
            self.problem.unpack_results(self._last, self._chain, self._inverse)
