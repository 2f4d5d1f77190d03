"""The fast path's exact hold screen: skip ``decide`` on dates where a rule policy's trigger cannot fire.

A rule policy (:class:`~trimtab.policies.rules.RuleRebalance`) holds whenever its trigger does not fire,
and a trigger built from :class:`~trimtab.policies.triggers.Never`,
:class:`~trimtab.policies.triggers.EveryCheck`, :class:`~trimtab.policies.triggers.Calendar` and
:class:`~trimtab.policies.triggers.DriftExceeds` with ``|``, ``&`` and ``~`` depends only on the date and on
the current weights:

* ``Calendar(every)`` fires on :func:`~trimtab.data.calendar.is_period_end` of the date (computed once
  for every date of the run, with the data's periods per year, exactly as the trigger does);
* ``DriftExceeds`` fires when ``|w - w_target| > tolerance + DRIFT_TOLERANCE`` for some asset, with the
  tolerances the trigger itself computes (they depend only on the symbols and the targets, which stay
  fixed during a run) and the same float operations on the same weights.

So the screen reproduces the trigger's answer bit for bit, and the simulator calls the policy only where
the trigger fires (the policy then still decides, e.g. a cost gate may hold).  Between trades the holdings
do not change, so :meth:`HoldScreen.first_firing` answers for a block of dates at once from the weights of
all of them (the same elementwise float operations, row by row). Any other policy or trigger
gets no screen and is asked at every date. ``tests/backtest`` checks that both paths give identical runs
for every rule kind.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from trimtab.data.calendar import is_period_end
from trimtab.policies.base import DecisionContext, Policy
from trimtab.policies.rules import RuleRebalance
from trimtab.policies.triggers import (
    DRIFT_TOLERANCE,
    AllOf,
    AnyOf,
    Calendar,
    DriftExceeds,
    EveryCheck,
    Never,
    Not,
    Trigger,
)
from trimtab.typing import FloatArray

__all__ = ["HoldScreen", "hold_screen"]

#: ``fires(k, weights, make_context) -> bool``
_Check = Callable[[int, FloatArray, Callable[[], DecisionContext]], bool]
#: ``fires(start, stop, weights) -> bool array`` for dates ``start..stop-1`` with weights of shape (m, n);
#: None when it cannot tell yet (a drift tolerance not computed: that needs a context).
_Block = Callable[[int, int, FloatArray], "np.ndarray | None"]


class HoldScreen:
    """Whether a rule policy's trigger fires at date ``k`` with weights ``w`` (exactly as the trigger would).

    Parameters
    ----------
    check : callable
        ``check(k, w, make_context) -> bool``; ``make_context()`` builds the full context (used once, to
        let :class:`DriftExceeds` compute its tolerances with its own code).
    """

    def __init__(self, check: _Check, block: _Block | None = None) -> None:
        self._check = check
        self._block = block

    def fires(self, k: int, weights: FloatArray, make_context: Callable[[], DecisionContext]) -> bool:
        """True when the trigger fires at date index ``k`` for weights of shape (n,)."""
        return self._check(k, weights, make_context)

    def first_firing(self, start: int, weights: FloatArray) -> int | None:
        """Where the trigger first fires in dates ``start, start + 1, ...`` with weights of shape (m, n).

        Returns the row (``m`` when it fires nowhere), the same answers :meth:`fires` gives date by date;
        None when the screen cannot tell without a context yet (before its first drift check).
        """
        if self._block is None:
            return None
        fired = self._block(start, start + len(weights), weights)
        if fired is None:
            return None
        rows = np.flatnonzero(fired)
        return int(rows[0]) if rows.size else len(weights)


def hold_screen(
    policy: Policy, dates: pd.DatetimeIndex, *, periods_per_year: float, target: FloatArray
) -> HoldScreen | None:
    """The exact screen of ``policy``, or None when it is not a rule policy made of known triggers.

    Parameters
    ----------
    policy : Policy
    dates : pandas.DatetimeIndex of shape (T,)
        The run's dates.
    periods_per_year : float
        Of the market data (what the snapshot reports to :class:`Calendar`).
    target : ndarray of shape (n,)
        Target weights of the universe (constant during a run).
    """
    if type(policy) is not RuleRebalance:
        return None
    compiled = _compile(policy.when, dates, periods_per_year, np.asarray(target, dtype=float))
    return None if compiled is None else HoldScreen(*compiled)


def _compile(
    trigger: Trigger, dates: pd.DatetimeIndex, ppy: float, target: FloatArray
) -> tuple[_Check, _Block] | None:
    """The trigger's check date by date and for blocks of dates (see :class:`HoldScreen`), or None."""
    kind = type(trigger)
    if kind is Never:
        return (lambda k, w, make: False), (lambda start, stop, w: np.zeros(stop - start, dtype=bool))
    if kind is EveryCheck:
        return (lambda k, w, make: True), (lambda start, stop, w: np.ones(stop - start, dtype=bool))
    if kind is Calendar:
        every = trigger.every  # type: ignore[attr-defined]
        mask = np.fromiter(
            (is_period_end(t, every, data_periods_per_year=ppy) for t in dates), dtype=bool, count=len(dates)
        )
        return (lambda k, w, make: bool(mask[k])), (lambda start, stop, w: mask[start:stop])
    if kind is DriftExceeds:
        drift_trigger: DriftExceeds = trigger  # type: ignore[assignment]
        cache: dict[str, FloatArray] = {}

        def drift_fires(k: int, w: FloatArray, make: Callable[[], DecisionContext]) -> bool:
            limit = cache.get("limit")
            if limit is None:
                limit = drift_trigger.tolerances(make()) + DRIFT_TOLERANCE
                cache["limit"] = limit
            drift = np.asarray(w - target, dtype=float)
            return bool((np.abs(drift) > limit).any())

        def drift_block(start: int, stop: int, w: FloatArray) -> np.ndarray | None:
            limit = cache.get("limit")
            if limit is None:
                return None
            return (np.abs(w - target) > limit).any(axis=1)  # row by row as drift_fires

        return drift_fires, drift_block
    if kind in (AnyOf, AllOf):
        parts = [_compile(t, dates, ppy, target) for t in trigger.triggers]  # type: ignore[attr-defined]
        if any(p is None for p in parts):
            return None
        checks: list[_Check] = [p[0] for p in parts if p is not None]
        blocks: list[_Block] = [p[1] for p in parts if p is not None]
        combine = np.logical_or if kind is AnyOf else np.logical_and

        def block(start: int, stop: int, w: FloatArray) -> np.ndarray | None:
            out = np.zeros(stop - start, dtype=bool) if kind is AnyOf else np.ones(stop - start, dtype=bool)
            for part in blocks:
                fired = part(start, stop, w)
                if fired is None:
                    return None
                out = combine(out, fired)
            return out

        if kind is AnyOf:
            return (lambda k, w, make: any(c(k, w, make) for c in checks)), block
        return (lambda k, w, make: all(c(k, w, make) for c in checks)), block
    if kind is Not:
        compiled = _compile(trigger.trigger, dates, ppy, target)  # type: ignore[attr-defined]
        if compiled is None:
            return None
        inner, inner_block = compiled

        def not_block(start: int, stop: int, w: FloatArray) -> np.ndarray | None:
            fired = inner_block(start, stop, w)
            return None if fired is None else ~fired

        return (lambda k, w, make: not inner(k, w, make)), not_block
    return None
