# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Group bounds: the total weight of a group of assets (asset class, sector) after trading stays in a range.

``GroupBounds(groups={"tech": ["AAPL", "MSFT"]}, bounds={"tech": (0.0, 0.30)})`` keeps
``0 <= w_plus[AAPL] + w_plus[MSFT] <= 0.30``.  A group may name ``CASH`` (the cash weight after trading).
Symbols not in the universe are ignored (a group with none of its symbols present has weight 0, so a
positive minimum for it cannot hold and is reported as a conflict).  The membership matrix is fixed when
the problem is compiled for a universe; the bounds are constants.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError
from trimtab.models.base import Constraint, CvxVars, ProblemData
from trimtab.typing import FloatArray

__all__ = ["CASH_MEMBER", "GroupBounds"]

#: A group member meaning the cash weight.
CASH_MEMBER = "CASH"


def _pp(x: float) -> str:
    return f"{100 * x:.2f} %"


@dataclass(frozen=True, repr=False, eq=False)
class GroupBounds(Constraint):
    """``low_g <= sum of w_plus over group g <= high_g`` for every bounded group.

    Parameters
    ----------
    groups : mapping of str to sequence of str
        Group name to its symbols (``CASH`` for cash).  A symbol may belong to several groups.
    bounds : mapping of str to (low, high)
        Per group; ``None`` for an open side.  Every bounded group must be defined in ``groups``.
    """

    groups: Mapping[str, Sequence[str]]
    bounds: Mapping[str, tuple[float | None, float | None]]

    def __post_init__(self) -> None:
        if not isinstance(self.groups, Mapping):
            raise ConfigError(
                "GroupBounds: groups must map group names to symbol lists",
                got=self.groups,
                fix="e.g. groups={'tech': ['AAPL', 'MSFT']}",
            )
        groups: dict[str, tuple[str, ...]] = {}
        for name, members in self.groups.items():
            if isinstance(members, str) or not isinstance(members, Iterable):
                raise ConfigError(
                    f"GroupBounds: group {name} must be a list of symbols",
                    got=members,
                    fix=f"e.g. {name}: [AAPL, MSFT]",
                )
            groups[str(name)] = tuple(dict.fromkeys(str(s) for s in members))
        bounds: dict[str, tuple[float | None, float | None]] = {}
        for name, pair in dict(self.bounds).items():
            if str(name) not in groups:
                raise ConfigError(
                    f"GroupBounds: bounds for group {name}, which is not defined",
                    got=name,
                    fix=f"define it in groups, or use one of {', '.join(groups) or '(none)'}",
                )
            if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ConfigError(
                    f"GroupBounds: bounds of {name} must be [low, high] (null for an open side)",
                    got=pair,
                    fix=f"e.g. {name}: [0.0, 0.3]",
                )
            low, high = (None if x is None else x for x in pair)
            for x in (low, high):
                if x is not None and (
                    isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x)
                ):
                    raise ConfigError(
                        f"GroupBounds: bounds of {name} must be fractions of value",
                        got=pair,
                        fix=f"e.g. {name}: [0.0, 0.3]",
                    )
            if low is not None and high is not None and low > high:
                raise ConfigError(
                    f"GroupBounds: the minimum of {name} is above its maximum", got=pair, fix="swap them"
                )
            bounds[str(name)] = (None if low is None else float(low), None if high is None else float(high))
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "bounds", bounds)

    def membership(self, symbols: tuple[str, ...]) -> tuple[FloatArray, FloatArray]:
        """``M`` (g, n) with 1 where a bounded group holds an asset, and ``c`` (g,) with 1 where it holds cash."""
        names = list(self.bounds)
        m = np.zeros((len(names), len(symbols)))
        cash = np.zeros(len(names))
        index = {s: i for i, s in enumerate(symbols)}
        for row, name in enumerate(names):
            for s in self.groups[name]:
                if s == CASH_MEMBER:
                    cash[row] = 1.0
                elif s in index:
                    m[row, index[s]] = 1.0
        return m, cash

    def totals(self, z: FloatArray, data: ProblemData) -> FloatArray:
        """Weight of each bounded group after trades ``z``, shape (g,)."""
        m, cash = self.membership(data.symbols)
        cash_plus = float(data.cash) - float(np.sum(z))  # type: ignore[arg-type]
        return m @ (data.w + np.asarray(z, dtype=float)) + cash * cash_plus

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        if not self.bounds:
            return []
        m, cash = self.membership(v.symbols)
        total = m @ v.dv + m @ v.w_target
        if cash.any():
            total = total + cash * v.cash_plus
        low = np.array([b[0] if b[0] is not None else -np.inf for b in self.bounds.values()])
        high = np.array([b[1] if b[1] is not None else np.inf for b in self.bounds.values()])
        out = []
        if np.isfinite(low).any():
            rows = np.flatnonzero(np.isfinite(low))
            out.append(total[rows] >= low[rows])
        if np.isfinite(high).any():
            rows = np.flatnonzero(np.isfinite(high))
            out.append(total[rows] <= high[rows])
        return out

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        totals = self.totals(z, data)
        worst = 0.0
        for total, (low, high) in zip(totals, self.bounds.values(), strict=True):
            if low is not None:
                worst = max(worst, low - total)
            if high is not None:
                worst = max(worst, total - high)
        return float(worst)

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        totals = self.totals(z, data)
        at = []
        for name, total, (low, high) in zip(self.bounds, totals, self.bounds.values(), strict=True):
            if low is not None and abs(total - low) <= 1e-6:
                at.append(f"{name} at its minimum {_pp(low)}")
            elif high is not None and abs(total - high) <= 1e-6:
                at.append(f"{name} at its maximum {_pp(high)}")
        return "group bounds bind: " + (", ".join(at) if at else "(near an edge)")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}: [{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]"
            for name, (lo, hi) in self.bounds.items()
        )
        return f"GroupBounds({{{shown}}})"
