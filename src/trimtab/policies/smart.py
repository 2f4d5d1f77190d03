"""Smart triggers and the ``smart`` policy kind: drift, weight ratio, crisis regime, trend delay, cost gate.

Small rule objects that compose with ``|``, ``&`` and ``~`` (they are
:class:`~trimtab.policies.triggers.Trigger` objects) and say why in plain words:

* :class:`WeightRatioExceeds` -- an asset's weight is more than ``ratio`` times its target or less than
  ``1 / ratio`` of it (1.5 by default).
* :class:`InCrisis` -- the point-in-time regime model (:class:`~trimtab.signals.regime.RegimeDetector`) reads
  the crisis state with probability above ``probability``.
* :class:`~trimtab.policies.triggers.DriftExceeds` (from the rule policies) -- an asset is more than ``band``
  away from its target.

:class:`SmartRebalance` checks its rules in order; the first whose trigger fires makes its move. The
default rules of the ``smart`` kind::

    ratio   WeightRatioExceeds(1.5)                    -> every asset to target           (delayable)
    crisis  DriftExceeds(0.03) & InCrisis(0.5)         -> every asset to target, now
    drift   DriftExceeds(0.05)                         -> outside assets to the band edge (delayable, gated)

Then two modifiers:

* :class:`TrendDelay` -- postpone selling an asset whose trend is up, or buying one whose trend is down,
  while that trend persists, for at most ``max_delay_days`` calendar days per asset and never once the
  asset's drift exceeds ``hard_cap``. Applied to the delayable rules (not to the crisis rule).
* the cost gate (:class:`~trimtab.policies.rules.CostGated`): the move is made only when its
  tracking-error benefit exceeds its estimated trading cost plus tax. Applied to the gated rules (the
  routine drift rule; the ratio and crisis rules are guard rails and are not gated).

Everything reads only ``ctx`` (data up to ``ctx.as_of``). The trend delay remembers, per asset, the first
date it postponed a trade (calendar days count from there); the memory is cleared for an asset as soon as
it is no longer postponed, and entirely when a decision date comes before the last one seen (a new run).
A single ``trimtab rebalance`` run has no memory: its delay starts that day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trimtab.errors import ConfigError
from trimtab.policies.base import Decision, DecisionContext, Policy
from trimtab.policies.rules import (
    DEFAULT_HORIZON_YEARS,
    DEFAULT_RISK_AVERSION,
    CostGated,
    Move,
    Proposal,
    ToBandEdge,
    ToTarget,
)
from trimtab.policies.triggers import (
    Calendar,
    DriftExceeds,
    Trigger,
    TriggerResult,
    format_band,
    format_pp,
)
from trimtab.signals.regime import RegimeDetector
from trimtab.signals.trend import TREND_KINDS, TrendSignal

__all__ = [
    "DEFAULT_CRISIS_DRIFT",
    "DEFAULT_CRISIS_PROBABILITY",
    "DEFAULT_DRIFT_BAND",
    "DEFAULT_HARD_CAP",
    "DEFAULT_MAX_DELAY_DAYS",
    "DEFAULT_RATIO",
    "InCrisis",
    "SmartRebalance",
    "SmartRule",
    "TrendDelay",
    "WeightRatioExceeds",
    "smart",
]

#: Drift beyond which one asset goes back to its band edge: 5 pp.
DEFAULT_DRIFT_BAND = 0.05
#: Weight more than 1.5x (or under 1/1.5 of) its target: full rebalance.
DEFAULT_RATIO = 1.5
#: In a crisis regime, rebalance fully once some asset drifts more than 3 pp.
DEFAULT_CRISIS_DRIFT = 0.03
#: Crisis when the filtered crisis probability exceeds one half.
DEFAULT_CRISIS_PROBABILITY = 0.5
#: Longest postponement of one asset's trade by the trend delay, calendar days (about three months).
DEFAULT_MAX_DELAY_DAYS = 91.0
#: The trend delay never postpones an asset whose drift is beyond this, fraction of value (10 pp).
DEFAULT_HARD_CAP = 0.10

_SAME = 1e-12


def _percent(fraction: float, decimals: int = 1) -> str:
    return f"{float(fraction) * 100.0:.{decimals}f} %"


# ------------------------------------------------------------------------------------------------------
# triggers
@dataclass(frozen=True, slots=True, repr=False)
class WeightRatioExceeds(Trigger):
    """Fires when some asset's weight is above ``ratio * w_target`` or below ``w_target / ratio``.

    An asset held without a target (``w_target = 0``, weight above 1e-9) counts as above any ratio.

    Parameters
    ----------
    ratio : float
        > 1 (1.5: a 10 % target fires above 15 % and below 6.67 %).
    """

    ratio: float = DEFAULT_RATIO

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ratio) and self.ratio > 1.0):
            raise ConfigError("WeightRatioExceeds.ratio must be above 1", got=self.ratio, fix="e.g. 1.5")

    def outside(self, ctx: DecisionContext) -> np.ndarray:
        """Boolean mask of shape (n,): assets outside ``[w_target / ratio, ratio * w_target]``."""
        w = np.asarray(ctx.weights, dtype=float)
        target = np.asarray(ctx.target, dtype=float)
        positive = target > 0
        high = np.where(positive, w > self.ratio * target + _SAME, w > 1e-9)
        low = positive & (w < target / self.ratio - _SAME)
        return np.asarray(high | low)

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """One sentence per asset outside, largest drift first."""
        outside = self.outside(ctx)
        w = np.asarray(ctx.weights, dtype=float)
        target = np.asarray(ctx.target, dtype=float)
        order = sorted(np.flatnonzero(outside), key=lambda i: (-abs(float(w[i] - target[i])), ctx.symbols[i]))
        details = {"ratio": self.ratio, "outside": [ctx.symbols[i] for i in order]}
        if not order:
            return TriggerResult(
                False,
                (f"every weight is within {self.ratio:g}x of its target (and above 1/{self.ratio:g} of it)",),
                details,
            )
        reasons = []
        for i in order:
            s = ctx.symbols[i]
            if target[i] <= 0:
                reasons.append(f"{s} is {_percent(w[i])} of value and has no target")
            elif w[i] > target[i]:
                reasons.append(
                    f"{s} is {_percent(w[i])} of value, more than {self.ratio:g}x its {_percent(target[i])} target"
                )
            else:
                reasons.append(
                    f"{s} is {_percent(w[i])} of value, less than 1/{self.ratio:g} of its "
                    f"{_percent(target[i])} target"
                )
        return TriggerResult(True, tuple(reasons), details)

    def describe(self) -> str:
        """``WeightRatioExceeds(ratio=1.5)``."""
        return f"WeightRatioExceeds(ratio={self.ratio:g})"


@dataclass(frozen=True, slots=True, repr=False)
class InCrisis(Trigger):
    """Fires when the regime model reads the crisis state with probability above ``probability``.

    The observation is the log return of the target portfolio per period (see
    :class:`~trimtab.signals.regime.RegimeDetector`: refitted every ``refit_months`` on data up to the refit
    date, read with the forward filter). Before ``min_history_years`` of data there is no reading and the
    trigger does not fire.

    Parameters
    ----------
    probability : float
        In (0, 1).
    detector : RegimeDetector
    """

    probability: float = DEFAULT_CRISIS_PROBABILITY
    detector: RegimeDetector = field(default_factory=RegimeDetector)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.probability) and 0.0 < self.probability < 1.0):
            raise ConfigError("InCrisis.probability must be in (0, 1)", got=self.probability, fix="e.g. 0.5")

    def evaluate(self, ctx: DecisionContext) -> TriggerResult:
        """Read the regime at ``ctx.as_of``."""
        reading = self.detector.reading(ctx.snapshot, ctx.symbols, np.asarray(ctx.target, dtype=float))
        details: dict[str, Any] = {
            "crisis_probability": reading.crisis_probability,
            "threshold": self.probability,
        }
        if not reading.known:
            return TriggerResult(
                False,
                (
                    (
                        "the regime model has too little history to read "
                        f"(needs {self.detector.min_history_years:g} years of returns); treated as calm"
                    ),
                ),
                details,
            )
        assert reading.fitted_from is not None and reading.fitted_to is not None
        details["fitted"] = f"{reading.fitted_from:%Y-%m-%d}..{reading.fitted_to:%Y-%m-%d}"
        p = reading.crisis_probability
        span = f"fitted on {reading.fitted_from:%Y-%m-%d}..{reading.fitted_to:%Y-%m-%d}"
        if p > self.probability:
            return TriggerResult(
                True,
                (f"the regime model reads crisis (probability {p:.2f} > {self.probability:g}, {span})",),
                details,
            )
        return TriggerResult(
            False,
            (f"the regime model reads calm (crisis probability {p:.2f} <= {self.probability:g}, {span})",),
            details,
        )

    def describe(self) -> str:
        """``InCrisis(probability=0.5)``."""
        return f"InCrisis(probability={self.probability:g})"


# ------------------------------------------------------------------------------------------------------
# moves and modifiers
@dataclass(frozen=True, slots=True, repr=False)
class _Given(Move):
    """A move that proposes what it was given (to put a finished proposal through :class:`CostGated`)."""

    proposal: Proposal

    def propose(self, ctx: DecisionContext) -> Proposal:
        return self.proposal

    def describe(self) -> str:
        return "Given()"


@dataclass(eq=False, repr=False)
class TrendDelay:
    """Postpone trades against an asset's trend, up to a maximum delay and a hard drift cap.

    A sell of an asset whose trend signal is above zero (rising), or a buy of one whose signal is below zero
    (falling), is postponed -- the asset keeps its weight -- while all of these hold: the trend persists
    (same sign as when first postponed is not required; the current sign decides), the asset's drift is at
    most ``hard_cap``, and fewer than ``max_delay_days`` calendar days have passed since this asset was
    first postponed. Buys of other assets that the postponed sells would have paid for are scaled down so
    cash never goes negative.

    Parameters
    ----------
    signal : TrendSignal
        Default 12-1 month momentum.
    max_delay_days : float
        Calendar days, > 0.
    hard_cap : float
        Fraction of value, > 0.
    """

    signal: TrendSignal = field(default_factory=TrendSignal)
    max_delay_days: float = DEFAULT_MAX_DELAY_DAYS
    hard_cap: float = DEFAULT_HARD_CAP
    _pending: dict[str, pd.Timestamp] = field(default_factory=dict)
    _last: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        for name in ("max_delay_days", "hard_cap"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"TrendDelay.{name} must be positive", got=value, fix="e.g. 91 days, 0.10")

    def describe(self) -> str:
        """Parameters as code."""
        return (
            f"TrendDelay(signal={self.signal.kind!r}, max_delay_days={self.max_delay_days:g}, "
            f"hard_cap={self.hard_cap:g})"
        )

    def reset(self) -> None:
        """Forget every postponement."""
        self._pending.clear()
        self._last = None

    def settle(self, ctx: DecisionContext) -> None:
        """A decision date on which nothing was postponed: the postponements are over."""
        if self._last is not None and ctx.as_of < self._last:
            self.reset()
        self._last = ctx.as_of
        self._pending.clear()

    def apply(self, ctx: DecisionContext, proposal: Proposal) -> Proposal:
        """``proposal`` with the trades against the trend postponed (``hold`` when nothing is left)."""
        t = ctx.as_of
        if self._last is not None and t < self._last:
            self.reset()
        self._last = t
        before = np.asarray(ctx.weights, dtype=float)
        after = np.asarray(proposal.weights, dtype=float).copy()
        trade = after - before
        trend = self.signal.at(ctx.snapshot, ctx.symbols)
        drift = ctx.drift
        reasons: list[str] = []
        postponed: dict[str, Any] = {}
        still: set[str] = set()
        for i, s in enumerate(ctx.symbols):
            if abs(trade[i]) <= _SAME or not math.isfinite(trend[i]):
                continue
            against = (trade[i] < 0 and trend[i] > 0) or (trade[i] > 0 and trend[i] < 0)
            if not against:
                continue
            verb = "selling" if trade[i] < 0 else "buying"
            direction = "up" if trend[i] > 0 else "down"
            signal = f"its {self.signal.describe()} is {trend[i] * 100:+.1f} %"
            if abs(drift[i]) > self.hard_cap:
                reasons.append(
                    f"{verb} {s} goes ahead although its trend is {direction} ({signal}): its drift "
                    f"{format_pp(drift[i])} pp is beyond the {format_band(self.hard_cap)} pp cap"
                )
                continue
            first = self._pending.get(s, t)
            waited = (t - first).days
            if waited >= self.max_delay_days:
                reasons.append(
                    f"{verb} {s} goes ahead although its trend is {direction} ({signal}): postponed "
                    f"{waited} days already, the most allowed is {self.max_delay_days:g}"
                )
                continue
            still.add(s)
            self._pending.setdefault(s, t)
            after[i] = before[i]
            postponed[s] = {"trend": float(trend[i]), "days": waited, "drift": float(drift[i])}
            reasons.append(
                f"postpone {verb} {s} ({format_pp(drift[i])} pp {'over' if drift[i] > 0 else 'under'} target): "
                f"its trend is {direction} ({signal}); day {waited} of at most {self.max_delay_days:g}, "
                f"drift within the {format_band(self.hard_cap)} pp cap"
            )
        for s in list(self._pending):
            if s not in still:
                del self._pending[s]
        if not postponed:
            return Proposal(
                proposal.action,
                proposal.weights,
                proposal.cash,
                (*proposal.reasons, *reasons),
                {**dict(proposal.details), "trend_delay": {"postponed": {}}},
            )
        cash = 1.0 - float(after.sum())
        if cash < 0.0:
            buys = np.where(after > before, after - before, 0.0)
            total = float(buys.sum())
            if total > 0:
                after -= buys * min(-cash / total, 1.0)
                reasons.append(
                    f"buys scaled down by {format_pp(-cash)} pp: the postponed sales would have paid for them"
                )
            cash = max(1.0 - float(after.sum()), 0.0)
        details = {**dict(proposal.details), "trend_delay": {"postponed": postponed}}
        if np.all(np.abs(after - before) <= _SAME):
            return Proposal("hold", before, float(ctx.cash_weight), tuple(reasons), details)
        return Proposal("partial", after, max(cash, 0.0), (*proposal.reasons, *reasons), details)


@dataclass(frozen=True, slots=True)
class SmartRule:
    """One rule of :class:`SmartRebalance`: when ``when`` fires, make ``move``.

    ``delayable``: the trend delay applies; ``gated``: the cost gate applies. ``name`` labels the rule in
    reasons and details.
    """

    name: str
    when: Trigger
    move: Move
    delayable: bool = True
    gated: bool = False

    def describe(self) -> str:
        """``name: when -> move``."""
        return f"{self.name}: {self.when.describe()} -> {self.move.describe()}"


@dataclass(eq=False, repr=False)
class SmartRebalance:
    """The first rule whose trigger fires decides; then the trend delay and the cost gate.

    Parameters
    ----------
    rules : sequence of SmartRule
        In priority order.
    delay : TrendDelay, optional
        Applied to the proposals of delayable rules.
    cost_gate : tuple of (risk_aversion, horizon_years), optional
        :class:`~trimtab.policies.rules.CostGated` applied to the proposals of gated rules.
    check : str, optional
        Look only on the last trading day of each such period (``monthly`` ...); default every decision.
    name : str, optional
        What :meth:`describe` returns.
    """

    rules: Sequence[SmartRule]
    delay: TrendDelay | None = None
    cost_gate: tuple[float, float] | None = (DEFAULT_RISK_AVERSION, DEFAULT_HORIZON_YEARS)
    check: str | None = None
    name: str | None = None
    _calendar: Calendar | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.rules = tuple(self.rules)
        if not self.rules:
            raise ConfigError("SmartRebalance needs at least one rule", fix="e.g. drift and ratio")
        if self.check is not None:
            self._calendar = Calendar(self.check)

    def describe(self) -> str:
        """The policy as short text."""
        if self.name is not None:
            return self.name
        parts = [f"rules=[{'; '.join(r.describe() for r in self.rules)}]"]
        if self.delay is not None:
            parts.append(f"delay={self.delay.describe()}")
        if self.cost_gate is not None:
            parts.append(f"cost_gate={self.cost_gate}")
        return f"SmartRebalance({', '.join(parts)})"

    def __repr__(self) -> str:
        return self.describe()

    def decide(self, ctx: DecisionContext) -> Decision:
        """Decide at ``ctx.as_of`` (reads nothing after it)."""
        current = ctx.as_weights(np.asarray(ctx.weights, dtype=float), float(ctx.cash_weight))
        drift = {s: float(d) for s, d in zip(ctx.symbols, ctx.drift, strict=True)}
        if self._calendar is not None:
            check = self._calendar.evaluate(ctx)
            if not check.fired:
                return Decision(
                    "hold", current, check.reasons, self.describe(), {"drift": drift, "turnover": 0.0}
                )
        quiet: list[str] = []
        details: dict[str, Any] = {"drift": drift, "rules": {}}
        for rule in self.rules:
            result = rule.when.evaluate(ctx)
            details["rules"][rule.name] = {"fired": result.fired, **dict(result.details)}
            if not result.fired:
                quiet.extend(f"{rule.name}: {r}" for r in result.reasons)
                continue
            proposal = rule.move.propose(ctx)
            if proposal.action != "hold" and rule.delayable and self.delay is not None:
                proposal = self.delay.apply(ctx, proposal)
            elif self.delay is not None:
                self.delay.settle(ctx)
            if proposal.action != "hold" and rule.gated and self.cost_gate is not None:
                gamma, horizon = self.cost_gate
                proposal = CostGated(
                    move=_Given(proposal), risk_aversion=gamma, horizon_years=horizon
                ).propose(ctx)
            reasons = (*(f"{rule.name}: {r}" for r in result.reasons), *proposal.reasons)
            details["rule"] = rule.name
            details["move"] = dict(proposal.details)
            if proposal.action == "hold":
                details["turnover"] = 0.0
                return Decision("hold", current, reasons, self.describe(), details)
            details["turnover"] = 0.5 * float(np.abs(proposal.weights - ctx.weights).sum())
            return Decision(
                proposal.action,
                ctx.as_weights(proposal.weights, proposal.cash),
                reasons,
                self.describe(),
                details,
            )
        if self.delay is not None:
            self.delay.settle(ctx)
        details["turnover"] = 0.0
        return Decision("hold", current, tuple(quiet), self.describe(), details)


# ------------------------------------------------------------------------------------------------------
# the smart kind
#: The rules the ``smart`` kind knows, in priority order.
SMART_TRIGGERS = ("ratio", "crisis", "drift")


def smart(
    *,
    drift_band: float | None = DEFAULT_DRIFT_BAND,
    ratio: float | None = DEFAULT_RATIO,
    crisis_drift: float | None = DEFAULT_CRISIS_DRIFT,
    crisis_probability: float = DEFAULT_CRISIS_PROBABILITY,
    regime: RegimeDetector | None = None,
    trend_delay: TrendDelay | None = None,
    use_trend_delay: bool = True,
    cost_gate: tuple[float, float] | None = (DEFAULT_RISK_AVERSION, DEFAULT_HORIZON_YEARS),
    check: str | None = None,
    name: str | None = None,
) -> SmartRebalance:
    """The ``smart`` policy with its documented defaults (``None`` switches a rule or modifier off).

    Parameters
    ----------
    drift_band : float or None
        Drift rule: an asset more than this from target goes back to its band edge (0.05).
    ratio : float or None
        Ratio rule: full rebalance when a weight leaves ``[w_target / ratio, ratio * w_target]`` (1.5).
    crisis_drift : float or None
        Crisis rule: full rebalance when the regime reads crisis and some drift exceeds this (0.03).
    crisis_probability : float
        Crisis threshold on the filtered probability (0.5).
    regime : RegimeDetector, optional
        The regime model (defaults: 2 years minimum history, 10-year window, refit quarterly).
    trend_delay : TrendDelay, optional
        The delay (default 12-1 momentum, 91 days, 10 pp cap) when ``use_trend_delay``.
    cost_gate : (risk_aversion, horizon_years) or None
        Gate of the drift rule ((3, 1)).
    check : str, optional
        Calendar period on whose last trading day the policy looks (default: every decision).
    """
    rules: list[SmartRule] = []
    if ratio is not None:
        rules.append(SmartRule("ratio", WeightRatioExceeds(ratio), ToTarget(), delayable=True, gated=False))
    if crisis_drift is not None:
        rules.append(
            SmartRule(
                "crisis",
                DriftExceeds(absolute=crisis_drift)
                & InCrisis(crisis_probability, regime if regime is not None else RegimeDetector()),
                ToTarget(),
                delayable=False,
                gated=False,
            )
        )
    if drift_band is not None:
        band = DriftExceeds(absolute=drift_band)
        rules.append(SmartRule("drift", band, ToBandEdge(band=band), delayable=True, gated=True))
    if not rules:
        raise ConfigError(
            "policy.triggers: the smart policy needs at least one trigger",
            got="none",
            fix=f"keep one of {', '.join(SMART_TRIGGERS)}",
        )
    delay = (trend_delay if trend_delay is not None else TrendDelay()) if use_trend_delay else None
    return SmartRebalance(rules, delay=delay, cost_gate=cost_gate, check=check, name=name)


# -- registry -------------------------------------------------------------------------------------------
_OFF = {"off", "none", "no", "false", "0", "null", "~", ""}
_ON = {"on", "yes", "true", "default", "1"}
_TRIGGER_KEYS = {
    "drift": ("band",),
    "ratio": ("ratio",),
    "crisis": ("drift", "probability", "min_history_years", "window_years", "refit_months"),
}
_DELAY_KEYS = ("signal", "lookback_months", "skip_months", "max_delay_days", "hard_cap")
_GATE_KEYS = ("risk_aversion", "horizon_years")


def _switch(value: Any) -> bool | None:
    """True/False for an on/off word or boolean, None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _OFF:
        return False
    if isinstance(value, str) and value.strip().lower() in _ON:
        return True
    return None


def _section(params: Any, key: str, value: Any, keys: Sequence[str]) -> Any:
    """Nested PolicyParams for the mapping ``value`` at ``key`` (unknown keys rejected at their path)."""
    from trimtab.policies.registry import PolicyParams

    if not isinstance(value, Mapping):
        raise params.error(
            key, "must be a mapping (or on/off)", got=value, fix=f"e.g. {key}: {{{keys[0]}: ...}}"
        )
    for sub in value:
        if str(sub) not in keys:
            raise params.error(
                f"{key}.{sub}", f"unknown key in {key}", got=str(sub), fix=f"{key} takes {', '.join(keys)}"
            )
    return PolicyParams("smart", value, keys=keys, where=params.where, prefix=params.path(key))


def _triggers(params: Any) -> dict[str, Mapping[str, Any]]:
    """The chosen triggers with their settings: a mapping, a list of names, or text ``drift+ratio``."""
    raw = params.raw("triggers")
    if raw is None:
        return {name: {} for name in SMART_TRIGGERS}
    if isinstance(raw, str):
        items: list[Any] = [p.strip() for p in raw.replace("+", " ").replace(",", " ").split() if p.strip()]
        if len(items) == 1 and _switch(items[0]) is False:
            items = []
        raw = items
    chosen: dict[str, Mapping[str, Any]] = {}
    if isinstance(raw, Mapping):
        entries = list(raw.items())
    elif isinstance(raw, list | tuple):
        entries = [(item, {}) for item in raw]
    else:
        raise params.error(
            "triggers",
            "must be a mapping or a list of trigger names",
            got=raw,
            fix="e.g. triggers: [drift, ratio]",
        )
    for name, settings in entries:
        word = str(name).strip().lower()
        if word not in _TRIGGER_KEYS:
            raise params.error(
                f"triggers.{name}",
                "unknown trigger",
                got=str(name),
                fix=f"use one of {', '.join(SMART_TRIGGERS)}",
            )
        if settings is None or _switch(settings) is True:
            settings = {}
        if _switch(settings) is False:
            continue
        chosen[word] = settings
    return chosen


def _smart_kind(params: Any) -> Policy:
    """Factory of the ``smart`` kind (see docs/ai.md)."""
    from trimtab.data.calendar import PERIODS
    from trimtab.policies.registry import _PERIOD_ALIASES

    chosen = _triggers(params)
    shown: list[str] = []
    kwargs: dict[str, Any] = {"drift_band": None, "ratio": None, "crisis_drift": None}
    if "ratio" in chosen:
        sub = _section(params, "triggers.ratio", chosen["ratio"], _TRIGGER_KEYS["ratio"])
        kwargs["ratio"] = sub.number(
            "ratio", DEFAULT_RATIO, low=1.0, high=100.0, low_open=True, fix="a ratio above 1, e.g. 1.5"
        )
        shown.append(f"ratio={kwargs['ratio']:g}")
    if "crisis" in chosen:
        sub = _section(params, "triggers.crisis", chosen["crisis"], _TRIGGER_KEYS["crisis"])
        kwargs["crisis_drift"] = sub.number(
            "drift",
            DEFAULT_CRISIS_DRIFT,
            low=0.0,
            high=1.0,
            high_open=True,
            fix="a fraction of value, e.g. 0.03 for 3 pp",
        )
        kwargs["crisis_probability"] = sub.number(
            "probability",
            DEFAULT_CRISIS_PROBABILITY,
            low=0.0,
            high=1.0,
            low_open=True,
            high_open=True,
            fix="a probability, e.g. 0.5",
        )
        min_years = sub.number("min_history_years", 2.0, low=0.1, high=100.0, fix="years, e.g. 2")
        window = sub.number(
            "window_years",
            max(10.0, min_years),
            low=min_years,
            high=200.0,
            fix=f"years, at least min_history_years ({min_years:g})",
        )
        refit = sub.number("refit_months", 3.0, low=0.0, high=600.0, low_open=True, fix="months, e.g. 3")
        kwargs["regime"] = RegimeDetector(
            min_history_years=min_years, window_years=window, refit_months=refit
        )
        shown.append(f"crisis={kwargs['crisis_drift']:g}")
    if "drift" in chosen:
        sub = _section(params, "triggers.drift", chosen["drift"], _TRIGGER_KEYS["drift"])
        kwargs["drift_band"] = sub.number(
            "band",
            DEFAULT_DRIFT_BAND,
            low=0.0,
            high=1.0,
            high_open=True,
            fix="a fraction of value, e.g. 0.05 for a 5 pp band",
        )
        shown.append(f"drift={kwargs['drift_band']:g}")
    if not chosen:
        raise params.error(
            "triggers",
            "the smart policy needs at least one trigger",
            got="none",
            fix=f"keep one of {', '.join(SMART_TRIGGERS)}",
        )
    raw_delay = params.raw("trend_delay", None)
    switch = _switch(raw_delay) if raw_delay is not None else True
    if raw_delay is not None and switch is None:
        sub = _section(params, "trend_delay", raw_delay, _DELAY_KEYS)
        kind = sub.choice(
            "signal",
            TREND_KINDS,
            "momentum_12_1",
            aliases={"momentum": "momentum_12_1", "ma": "moving_average"},
        )
        lookback = sub.number(
            "lookback_months",
            12.0 if kind == "momentum_12_1" else 10.0,
            low=0.0,
            high=240.0,
            low_open=True,
            fix="months, e.g. 12",
        )
        skip = sub.number(
            "skip_months",
            1.0 if kind == "momentum_12_1" else 0.0,
            low=0.0,
            high=lookback,
            high_open=True,
            fix=f"months, less than lookback_months ({lookback:g})",
        )
        delay = TrendDelay(
            TrendSignal(kind, lookback, skip),
            max_delay_days=sub.number(
                "max_delay_days",
                DEFAULT_MAX_DELAY_DAYS,
                low=0.0,
                high=3660.0,
                low_open=True,
                fix="calendar days, e.g. 91",
            ),
            hard_cap=sub.number(
                "hard_cap",
                DEFAULT_HARD_CAP,
                low=0.0,
                high=1.0,
                low_open=True,
                fix="a fraction of value, e.g. 0.10 for 10 pp",
            ),
        )
        kwargs["trend_delay"] = delay
        shown.append(f"trend_delay={delay.signal.kind}")
    elif switch is False:
        kwargs["use_trend_delay"] = False
        shown.append("trend_delay=off")
    raw_gate = params.raw("cost_gate", None)
    gate_switch = _switch(raw_gate) if raw_gate is not None else True
    if raw_gate is not None and gate_switch is None:
        if isinstance(raw_gate, int | float | str) and not isinstance(raw_gate, bool):
            raw_gate = {"risk_aversion": raw_gate}
        sub = _section(params, "cost_gate", raw_gate, _GATE_KEYS)
        gamma = sub.number(
            "risk_aversion",
            DEFAULT_RISK_AVERSION,
            low=0.0,
            high=1000.0,
            low_open=True,
            fix="a positive number, e.g. 3",
        )
        horizon = sub.number(
            "horizon_years", DEFAULT_HORIZON_YEARS, low=0.0, high=100.0, low_open=True, fix="years, e.g. 1"
        )
        kwargs["cost_gate"] = (gamma, horizon)
        shown.append(f"cost_gate={gamma:g}")
    elif gate_switch is False:
        kwargs["cost_gate"] = None
        shown.append("cost_gate=off")
    check = params.optional_choice("check", PERIODS, aliases=_PERIOD_ALIASES)
    if check is not None:
        shown.append(f"check={check}")
    kwargs["check"] = check
    kwargs["name"] = f"smart({', '.join(shown)})"
    return smart(**kwargs)


def _register() -> None:
    from trimtab.policies.registry import _KINDS, register_policy

    if "smart" not in _KINDS:
        register_policy(
            "smart",
            _smart_kind,
            keys=("triggers", "trend_delay", "cost_gate", "check"),
            summary="drift, weight-ratio and crisis triggers with a trend-timing delay and a cost gate",
        )


_register()
