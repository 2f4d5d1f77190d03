"""What-if comparisons, trade-off frontiers and sensitivities of the optimizer's decision.

* :mod:`trimtab.analysis.frontier`: :class:`TradeoffProblem` (one compiled problem whose objective multipliers
  are Parameters) and :func:`frontier_for_portfolio` (tracking error against trading cost or tax);
* :mod:`trimtab.analysis.sensitivity`: dual values of the constraints and finite-difference derivatives of the
  decision with respect to each multiplier;
* :mod:`trimtab.analysis.whatif`: :func:`run_whatif`, the same portfolio decided twice (base and with changed
  parameters or price shocks) and the differences.

Modules are imported on use (they load cvxpy); nothing is re-exported here.
"""

from __future__ import annotations

__all__: list[str] = []
