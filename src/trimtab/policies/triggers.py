"""Triggers: conditions that say *when* a rule policy acts.

A trigger looks at a :class:`~trimtab.policies.base.DecisionContext` and returns a
:class:`TriggerResult`: whether it fired, plain-sentence reasons with the numbers, and the numbers
themselves. Triggers compose like booleans and print as code::

    Calendar(every="quarterly") | DriftExceeds(absolute=0.05, relative=0.25)   # either
    Calendar(every="monthly") & DriftExceeds(absolute=0.05)                    # bands checked monthly
    ~Calendar(every="weekly")                                                  # not at week ends

Like every policy part, a trigger reads only ``ctx`` and so only data up to ``ctx.as_of``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from trimtab.data.calendar import PERIODS, is_period_end, last_session_of_period
from trimtab.errors import ConfigError, SourceRef
from trimtab.policies.base import DecisionContext
from trimtab.typing import FloatArray

__all__ = [
    "DRIFT_TOLERANCE",
    "AllOf",
    "AnyOf",
    "Calendar",
    "DriftExceeds",
    "EveryCheck",
    "Never",
    "Not",
    "Trigger",
    "TriggerResult",
    "format_band",
    "format_pp",
    "largest_drift_sentence",
]

#: Drift within this of a band edge counts as inside the band (absorbs floating-point noise, e.g. right
#: after a move to the band edge), fraction of value.
DRIFT_TOLERANCE = 1e-12

_PERIOD_NOUN = {
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "semiannual": "half year",
    "annual": "year",
}


def format_pp(fraction: float) -> str:
    """A fraction of value as percentage points without a sign: 0.061 -> ``'6.1'``, 0.00013 -> ``'0.013'``."""
    points = abs(float(fraction)) * 100.0
    if points == 0.0 or points >= 0.1:
        return f"{points:.1f}"
    return f"{points:.2g}"


def format_band(fraction: float) -> str:
    """A band width in pp, without trailing zeros: 0.05 -> ``'5'``, 0.025 -> ``'2.5'``."""
    text = f"{abs(float(fraction)) * 100.0:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _format_percent(fraction: float) -> str:
    text = f"{float(fraction) * 100.0:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _over_under(drift: float) -> str:
    return "over" if drift > 0 else "under"


def largest_drift_sentence(ctx: DecisionContext) -> str:
    """``'the largest drift is JNJ, 6.1 pp over target'`` (or that every asset is on target)."""
    drift = ctx.drift
    if drift.size == 0 or not np.any(np.abs(drift) > 0):
        return "every asset is on target"
    i = int(np.argmax(np.abs(drift)))
    return f"the largest drift is {ctx.symbols[i]}, {format_pp(drift[i])} pp {_over_under(drift[i])} target"


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """Whether a trigger fired, why (plain sentences with numbers), and the numbers (JSON-friendly)."""

    fired: bool
    reasons: tuple[str, ...]
    details: Mapping[str, Any] = field(default_factory=dict)


class Trigger:
    """Base of all triggers: ``evaluate(ctx)``, ``describe()`` and the ``|``, ``&``, ``~`` combinators."""

    __slots__ = ()

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """Decide whether to act at ``ctx.as_of``."""
        raise NotImplementedError

    def describe(self) -> str:
        """The trigger as code, e.g. ``DriftExceeds(absolute=0.05)``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.describe()

    def __or__(self, other: Trigger) -> AnyOf:
        return AnyOf(triggers=(*_parts(self, AnyOf), *_parts(_check_trigger(other), AnyOf)))

    def __and__(self, other: Trigger) -> AllOf:
        return AllOf(triggers=(*_parts(self, AllOf), *_parts(_check_trigger(other), AllOf)))

    def __invert__(self) -> Not:
        return Not(trigger=self)


def _check_trigger(other: object) -> Trigger:
    if not isinstance(other, Trigger):
        raise TypeError(f"triggers combine only with triggers; got {type(other).__name__}")
    return other


def _parts(trigger: Trigger, kind: type) -> tuple[Trigger, ...]:
    return tuple(trigger.triggers) if isinstance(trigger, kind) else (trigger,)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, repr=False)
class EveryCheck(Trigger):
    """Fires at every decision date (each date the policy is asked)."""

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """Always fires."""
        return TriggerResult(
            True,
            (f"{ctx.as_of:%Y-%m-%d} is a check date (checked at every decision)",),
            {"every_check": True},
        )

    def describe(self) -> str:
        """``EveryCheck()``."""
        return "EveryCheck()"


@dataclass(frozen=True, slots=True, repr=False)
class Never(Trigger):
    """Never fires: buy and hold."""

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """Never fires; the reasons say so and report the largest drift."""
        return TriggerResult(
            False,
            ("buy and hold: this policy never rebalances", f"{largest_drift_sentence(ctx)}, left as it is"),
            {"never": True},
        )

    def describe(self) -> str:
        """``Never()``."""
        return "Never()"


@dataclass(frozen=True, slots=True, repr=False)
class Calendar(Trigger):
    """Fires on the last trading day of each period (see :mod:`trimtab.data.calendar`).

    Parameters
    ----------
    every : {'weekly', 'monthly', 'quarterly', 'semiannual', 'annual'}
    """

    every: str = "quarterly"

    def __post_init__(self) -> None:
        if self.every not in PERIODS:
            raise ConfigError(
                "Calendar.every: unknown period", got=self.every, fix=f"use one of {', '.join(PERIODS)}"
            )

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """Fire when ``ctx.as_of`` is the last trading day of its period."""
        snapshot = ctx.snapshot
        t = ctx.as_of
        noun = _PERIOD_NOUN[self.every]
        fired = is_period_end(
            t, self.every, dates=snapshot.times, data_periods_per_year=snapshot.periods_per_year
        )
        low_frequency = snapshot.periods_per_year <= 12.0
        details: dict[str, Any] = {"every": self.every, "period_end": fired}
        if fired:
            if low_frequency:
                reason = f"{t:%Y-%m-%d} ends its {noun} (the data have one stamp per month or fewer)"
            else:
                reason = f"{t:%Y-%m-%d} is the last trading day of its {noun}"
        else:
            reason = f"{t:%Y-%m-%d} is not the last trading day of its {noun}"
            end = (
                None
                if low_frequency or snapshot.periods_per_year < 252.0
                else last_session_of_period(t, self.every)
            )
            if end is not None and end > t:
                reason += f" (that is {end:%Y-%m-%d})"
                details["next_period_end"] = f"{end:%Y-%m-%d}"
            reason += "; rebalancing waits for the period end"
        return TriggerResult(fired, (reason,), details)

    def describe(self) -> str:
        """``Calendar(every='quarterly')``."""
        return f"Calendar(every={self.every!r})"


def _frozen_bands(bands: Mapping[str, float] | None) -> Mapping[str, float]:
    return MappingProxyType({str(k): float(v) for k, v in (bands or {}).items()})


@dataclass(frozen=True, slots=True, repr=False, kw_only=True)
class DriftExceeds(Trigger):
    """Fires when some asset's drift ``|w - w_target|`` is outside its band.

    Each asset's band half-width (its *tolerance*, fraction of value) is the smallest of the parts given:
    ``absolute`` (or ``absolute_by_symbol[sym]``) and ``relative * w_target`` (or
    ``relative_by_symbol[sym] * w_target``). The 5/25 rule is ``DriftExceeds(absolute=0.05, relative=0.25)``:
    act when the drift exceeds 5 pp or 25 % of the target, whichever is smaller. An asset is outside its
    band when ``|drift| > tolerance + DRIFT_TOLERANCE`` (strictly more). Cash is not banded: money moving
    into or out of cash shows as drift on the assets.

    Parameters
    ----------
    absolute : float, optional
        Band half-width for every asset, fraction of value (0.05 = 5 pp).
    relative : float, optional
        Band half-width as a fraction of each asset's target (0.25 = 25 % of the target).
    absolute_by_symbol, relative_by_symbol : mapping of str to float, optional
        Per-symbol overrides of ``absolute`` / ``relative``.
    where : SourceRef, optional
        Where the band was configured (for error messages); not part of equality.
    """

    absolute: float | None = None
    relative: float | None = None
    absolute_by_symbol: Mapping[str, float] = field(default_factory=dict)
    relative_by_symbol: Mapping[str, float] = field(default_factory=dict)
    where: SourceRef | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "absolute_by_symbol", _frozen_bands(self.absolute_by_symbol))
        object.__setattr__(self, "relative_by_symbol", _frozen_bands(self.relative_by_symbol))
        if (
            self.absolute is None
            and self.relative is None
            and not self.absolute_by_symbol
            and not self.relative_by_symbol
        ):
            raise ConfigError("DriftExceeds needs a band", fix="give absolute=0.05 and/or relative=0.25")
        values = [
            self.absolute,
            self.relative,
            *self.absolute_by_symbol.values(),
            *self.relative_by_symbol.values(),
        ]
        for value in values:
            if value is not None and not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(
                    "DriftExceeds: bands must be finite and zero or more",
                    got=value,
                    fix="use e.g. absolute=0.05 (5 pp) or relative=0.25 (25 % of target)",
                )

    # -- the bands ----------------------------------------------------------------------------------------
    def _check_symbols(self, ctx: DecisionContext) -> None:
        known = set(ctx.symbols)
        for mapping in (self.absolute_by_symbol, self.relative_by_symbol):
            unknown = sorted(set(mapping) - known)
            if unknown:
                key = self.where.key if self.where is not None and self.where.key else "policy.bands"
                where = (
                    None
                    if self.where is None
                    else SourceRef(self.where.file, self.where.row, f"{key}.{unknown[0]}")
                )
                raise ConfigError(
                    f"{'' if where else key + ': '}band for a symbol that is neither a target nor held",
                    got=unknown[0],
                    fix=f"use one of {', '.join(ctx.symbols)} (or drop it)",
                    where=where,
                )

    def tolerances(self, ctx: DecisionContext) -> FloatArray:
        """Each asset's band half-width, fraction of value.

        Returns
        -------
        ndarray of shape (n,)
            ``inf`` for an asset with no band part at all (only possible with per-symbol bands only).
        """
        self._check_symbols(ctx)
        target = np.asarray(ctx.target, dtype=float)
        out = np.full(target.shape, np.inf)
        for i, symbol in enumerate(ctx.symbols):
            absolute = self.absolute_by_symbol.get(symbol, self.absolute)
            relative = self.relative_by_symbol.get(symbol, self.relative)
            if absolute is not None:
                out[i] = min(out[i], absolute)
            if relative is not None:
                out[i] = min(out[i], relative * max(float(target[i]), 0.0))
        return out

    def outside(self, ctx: DecisionContext) -> np.ndarray:
        """Boolean mask of shape (n,): assets whose drift is outside their band."""
        return np.abs(ctx.drift) > self.tolerances(ctx) + DRIFT_TOLERANCE

    def band_phrase(self, ctx: DecisionContext, i: int, tolerance: float) -> str:
        """How asset ``i``'s band reads in a sentence: ``'the 5 pp band'``."""
        symbol = ctx.symbols[i]
        absolute = self.absolute_by_symbol.get(symbol, self.absolute)
        relative = self.relative_by_symbol.get(symbol, self.relative)
        target = float(ctx.target[i])
        if absolute is not None and relative is not None:
            return (
                f"its {format_band(tolerance)} pp band (the smaller of {format_band(absolute)} pp and "
                f"{_format_percent(relative)} % of its {_format_percent(target)} % target)"
            )
        if relative is not None:
            return (
                f"the {_format_percent(relative)} % relative band ({format_band(tolerance)} pp of its "
                f"{_format_percent(target)} % target)"
            )
        return f"the {format_band(tolerance)} pp band"

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """Fire when any asset is outside its band; one sentence per such asset, largest drift first."""
        drift = ctx.drift
        tolerance = self.tolerances(ctx)
        outside = np.abs(drift) > tolerance + DRIFT_TOLERANCE
        order = sorted(range(len(drift)), key=lambda i: (-abs(float(drift[i])), ctx.symbols[i]))
        details: dict[str, Any] = {
            "bands": {s: float(b) for s, b in zip(ctx.symbols, tolerance, strict=True)},
            "drift": {s: float(d) for s, d in zip(ctx.symbols, drift, strict=True)},
            "outside": [ctx.symbols[i] for i in order if outside[i]],
        }
        if outside.any():
            reasons = tuple(
                f"{ctx.symbols[i]} is {format_pp(drift[i])} pp {_over_under(drift[i])} target, outside "
                f"{self.band_phrase(ctx, i, float(tolerance[i]))}"
                for i in order
                if outside[i]
            )
            return TriggerResult(True, reasons, details)
        if len(drift) == 0:
            return TriggerResult(False, ("there are no assets to check",), details)
        i = order[0]
        if drift[i] == 0.0:
            reason = f"all {len(drift)} assets are within their bands: every asset is on target"
        else:
            reason = (
                f"all {len(drift)} assets are within their bands; the largest drift is {ctx.symbols[i]}, "
                f"{format_pp(drift[i])} pp {_over_under(drift[i])} target, inside "
                f"{self.band_phrase(ctx, i, float(tolerance[i]))}"
            )
        return TriggerResult(False, (reason,), details)

    def describe(self) -> str:
        """``DriftExceeds(absolute=0.05, relative=0.25)`` (only the parts given)."""
        parts = []
        if self.absolute is not None:
            parts.append(f"absolute={self.absolute:g}")
        if self.relative is not None:
            parts.append(f"relative={self.relative:g}")
        if self.absolute_by_symbol:
            parts.append(f"absolute_by_symbol={_describe_map(self.absolute_by_symbol)}")
        if self.relative_by_symbol:
            parts.append(f"relative_by_symbol={_describe_map(self.relative_by_symbol)}")
        return f"DriftExceeds({', '.join(parts)})"


def _describe_map(mapping: Mapping[str, float]) -> str:
    return "{" + ", ".join(f"{k!r}: {v:g}" for k, v in mapping.items()) + "}"


def _merge_details(results: list[tuple[Trigger, TriggerResult]]) -> dict[str, Any]:
    return {"parts": [{"trigger": t.describe(), "fired": r.fired, **dict(r.details)} for t, r in results]}


def _describe_part(trigger: Trigger) -> str:
    text = trigger.describe()
    return f"({text})" if isinstance(trigger, (AnyOf, AllOf)) else text


@dataclass(frozen=True, slots=True, repr=False)
class AnyOf(Trigger):
    """Fires when any part fires (``a | b``). Every part is evaluated, for the reasons."""

    triggers: tuple[Trigger, ...]

    def __post_init__(self) -> None:
        if len(self.triggers) < 2:
            raise ConfigError("AnyOf needs at least two triggers", got=len(self.triggers), fix="use a | b")

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """The reasons of the parts that fired, or of all parts when none did."""
        results = [(t, t.evaluate(ctx)) for t in self.triggers]
        fired = [r for _, r in results if r.fired]
        chosen = fired if fired else [r for _, r in results]
        return TriggerResult(
            bool(fired), tuple(s for r in chosen for s in r.reasons), _merge_details(results)
        )

    def describe(self) -> str:
        """``a | b``."""
        return " | ".join(_describe_part(t) for t in self.triggers)


@dataclass(frozen=True, slots=True, repr=False)
class AllOf(Trigger):
    """Fires when every part fires (``a & b``); stops at the first part that does not fire."""

    triggers: tuple[Trigger, ...]

    def __post_init__(self) -> None:
        if len(self.triggers) < 2:
            raise ConfigError("AllOf needs at least two triggers", got=len(self.triggers), fix="use a & b")

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """All parts' reasons when all fire; else the reasons of the first part that did not."""
        results: list[tuple[Trigger, TriggerResult]] = []
        for trigger in self.triggers:
            result = trigger.evaluate(ctx)
            results.append((trigger, result))
            if not result.fired:
                return TriggerResult(False, result.reasons, _merge_details(results))
        return TriggerResult(True, tuple(s for _, r in results for s in r.reasons), _merge_details(results))

    def describe(self) -> str:
        """``a & b``."""
        return " & ".join(_describe_part(t) for t in self.triggers)


@dataclass(frozen=True, slots=True, repr=False)
class Not(Trigger):
    """Fires when its part does not (``~a``); the part's reasons are kept, prefixed ``not:``."""

    trigger: Trigger

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """The opposite of the part."""
        inner = self.trigger.evaluate(ctx)
        return TriggerResult(
            not inner.fired,
            tuple(f"not: {s}" for s in inner.reasons),
            {"not": {"trigger": self.trigger.describe(), "fired": inner.fired, **dict(inner.details)}},
        )

    def describe(self) -> str:
        """``~a``."""
        inner = self.trigger.describe()
        return f"~({inner})" if isinstance(self.trigger, (AnyOf, AllOf)) else f"~{inner}"
