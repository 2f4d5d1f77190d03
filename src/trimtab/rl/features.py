"""What the agent sees and what its actions mean: one code path for the environment and the policy.

Both :class:`~trimtab.rl.env.RebalancingEnv` (training) and :class:`~trimtab.rl.policy.RlPolicy` (``rebalance``
and ``backtest``) turn a :class:`~trimtab.policies.base.DecisionContext` into an observation with
:meth:`ObservationSpec.observe` and an action into a decision with :func:`action_decision`, so a trained
model sees in a backtest exactly what it saw in training (no train/serve skew), and only data up to the
decision date (the context holds nothing later).

Observation (``float32``, each entry clipped to [-10, 10]); ``mode="assets"`` (per asset, universe-specific):

=========================  ======================================================  =========
entry                      meaning                                                  scale
=========================  ======================================================  =========
``drift[i]`` (n)           ``w_i - w_target_i``                                     x 10
``trend[i]`` (n)           trend signal of asset ``i`` (12-1 momentum by default)   x 1, clipped to [-1, 1]
``tracking_error``         ex-ante ``sqrt(d' Sigma d)``, annualized                  x 10
``crisis_probability``     filtered HMM crisis probability (0 before enough data)   x 1
``full_cost``              trading cost of a full rebalance / value                  x 1000
``full_tax``               tax a full rebalance would realise / value (the          x 1000
                           unrealised gains it would realise, priced by the tax
                           engine; 0 in tax-free accounts)
``years_since_trade``      years since the last trade (capped at 5)                 x 1
=========================  ======================================================  =========

``mode="summary"`` (universe-free: one model for any set of assets) replaces the per-asset entries by
``max |drift|`` (x 10), ``rms drift`` (x 10) and ``trend_against``: the share of the absolute drift that a
full rebalance would trade against the assets' trends (selling a rising asset, buying a falling one).

Actions: ``discrete`` -- 0 none, 1 partial (half of the way to target), 2 full; ``continuous`` -- a fraction
``f`` in [0, 1] of the way (``f <= 0.001`` holds). Every asset moves the same fraction:
``w_plus = w + f (w_target - w)``, cash takes the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trimtab.errors import ConfigError, DataError
from trimtab.policies.base import Action, Decision, DecisionContext
from trimtab.signals.regime import RegimeDetector
from trimtab.signals.trend import TrendSignal
from trimtab.typing import FloatArray

__all__ = [
    "ACTION_KINDS",
    "DISCRETE_FRACTIONS",
    "OBSERVATION_MODES",
    "ObservationSpec",
    "action_decision",
    "action_fraction",
]

#: Discrete actions: none, partial (50 % of the way), full.
DISCRETE_FRACTIONS = (0.0, 0.5, 1.0)
ACTION_KINDS = ("discrete", "continuous")
OBSERVATION_MODES = ("assets", "summary")
#: A continuous fraction at or below this holds (no tiny trades from policy noise).
HOLD_FRACTION = 1e-3
_CLIP = 10.0
_NAMES = {0: "none", 1: "partial", 2: "full"}


@dataclass(eq=False)
class ObservationSpec:
    """How a context becomes an observation (see the module docstring).

    Parameters
    ----------
    mode : {'assets', 'summary'}
    trend : TrendSignal
    regime : RegimeDetector or None
        None leaves the crisis probability at 0 (faster).
    """

    mode: str = "assets"
    trend: TrendSignal = field(default_factory=TrendSignal)
    regime: RegimeDetector | None = field(default_factory=RegimeDetector)

    def __post_init__(self) -> None:
        if self.mode not in OBSERVATION_MODES:
            raise ConfigError(
                "unknown observation mode", got=self.mode, fix=f"use one of {', '.join(OBSERVATION_MODES)}"
            )

    def size(self, n_assets: int) -> int:
        """Length of the observation vector for ``n_assets`` assets."""
        return 2 * n_assets + 5 if self.mode == "assets" else 8

    def names(self, symbols: tuple[str, ...]) -> list[str]:
        """One name per entry, in order."""
        tail = ["tracking_error", "crisis_probability", "full_cost", "full_tax", "years_since_trade"]
        if self.mode == "assets":
            return [f"drift[{s}]" for s in symbols] + [f"trend[{s}]" for s in symbols] + tail
        return ["max_abs_drift", "rms_drift", "trend_against", *tail]

    def to_json(self) -> dict[str, Any]:
        """Settings saved with a model."""
        regime = None
        if self.regime is not None:
            regime = {
                "min_history_years": self.regime.min_history_years,
                "window_years": self.regime.window_years,
                "refit_months": self.regime.refit_months,
            }
        return {
            "mode": self.mode,
            "trend": {
                "kind": self.trend.kind,
                "lookback_months": self.trend.lookback_months,
                "skip_months": self.trend.skip_months,
            },
            "regime": regime,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ObservationSpec:
        """The inverse of :meth:`to_json`."""
        trend = TrendSignal(**data["trend"])
        regime = None if data.get("regime") is None else RegimeDetector(**data["regime"])
        return cls(mode=data["mode"], trend=trend, regime=regime)

    def observe(self, ctx: DecisionContext) -> np.ndarray:
        """The observation at ``ctx.as_of``, ``float32`` of shape ``(size(n),)``."""
        n = len(ctx.symbols)
        drift = np.asarray(ctx.drift, dtype=float)
        trend = np.nan_to_num(self.trend.at(ctx.snapshot, ctx.symbols), nan=0.0)
        te = math.sqrt(max(tracking_variance(ctx, drift), 0.0))
        crisis = 0.0
        if self.regime is not None:
            reading = self.regime.reading(ctx.snapshot, ctx.symbols, np.asarray(ctx.target, dtype=float))
            crisis = reading.crisis_probability if reading.known else 0.0
        full_cost = full_tax = 0.0
        if ctx.cost_of is not None and np.any(np.abs(drift) > 0) and ctx.value > 0:
            estimate = ctx.cost_of(ctx.as_weights(np.asarray(ctx.target, dtype=float), ctx.target_cash))
            full_cost, full_tax = estimate.trading_cost / ctx.value, estimate.tax / ctx.value
        years = 5.0
        if ctx.last_rebalance is not None:
            years = min((ctx.as_of - ctx.last_rebalance).days / 365.25, 5.0)
        tail = [10.0 * te, crisis, 1000.0 * full_cost, 1000.0 * full_tax, years]
        if self.mode == "assets":
            values = [*(10.0 * drift), *np.clip(trend, -1.0, 1.0), *tail]
        else:
            against = ((drift > 0) & (trend > 0)) | ((drift < 0) & (trend < 0))
            total = float(np.abs(drift).sum())
            share = float(np.abs(drift)[against].sum() / total) if total > 0 else 0.0
            rms = float(np.sqrt(np.mean(drift**2))) if n else 0.0
            largest = float(np.max(np.abs(drift))) if n else 0.0
            values = [10.0 * largest, 10.0 * rms, share, *tail]
        return np.clip(np.nan_to_num(np.asarray(values, dtype=float)), -_CLIP, _CLIP).astype(np.float32)


def tracking_variance(ctx: DecisionContext, active: FloatArray) -> float:
    """``a' Sigma a`` per year with the context's covariance; 0 when there is none or too little history."""
    if ctx.covariance is None:
        return 0.0
    try:
        covariance = np.asarray(ctx.covariance(), dtype=float)
    except DataError:
        return 0.0
    a = np.asarray(active, dtype=float)
    return float(a @ covariance @ a) if np.all(np.isfinite(covariance)) else 0.0


def action_fraction(action: Any, kind: str) -> float:
    """The fraction of the way to target an action asks for (discrete index or continuous value)."""
    if kind == "discrete":
        index = int(np.asarray(action).reshape(-1)[0])
        if not 0 <= index < len(DISCRETE_FRACTIONS):
            raise ValueError(f"discrete action must be 0, 1 or 2; got {index}")
        return DISCRETE_FRACTIONS[index]
    value = float(np.asarray(action, dtype=float).reshape(-1)[0])
    return 0.0 if not math.isfinite(value) else min(max(value, 0.0), 1.0)


def action_decision(ctx: DecisionContext, fraction: float, *, policy: str, label: str) -> Decision:
    """The decision that moves every asset ``fraction`` of the way to target (``hold`` at about 0).

    ``label`` names the action in the reasons (``full``, ``partial``, ``0.37 of the way``).
    """
    w = np.asarray(ctx.weights, dtype=float)
    current = ctx.as_weights(w, float(ctx.cash_weight))
    target = np.clip(np.asarray(ctx.target, dtype=float), 0.0, None)
    drift = ctx.drift
    largest = float(np.max(np.abs(drift))) if drift.size else 0.0
    details: dict[str, Any] = {"fraction": fraction, "largest_drift": largest}
    if fraction <= HOLD_FRACTION or not np.any(np.abs(target - w) > 1e-12):
        details["turnover"] = 0.0
        return Decision(
            "hold",
            current,
            (f"the agent chose {label}: hold (largest drift {largest * 100:.1f} pp)",),
            policy,
            details,
        )
    w_plus = w + fraction * (target - w)
    cash = max(1.0 - float(w_plus.sum()), 0.0)
    turnover = 0.5 * float(np.abs(w_plus - w).sum())
    details["turnover"] = turnover
    action: Action = "rebalance" if fraction >= 1.0 else "partial"
    reason = (
        f"the agent chose {label}: move every asset {fraction * 100:.0f} % of the way to target "
        f"(largest drift {largest * 100:.1f} pp, one-way turnover {turnover * 100:.1f} % of value)"
    )
    return Decision(action, ctx.as_weights(w_plus, cash), (reason,), policy, details)


def action_label(action: Any, kind: str) -> str:
    """``none``/``partial``/``full`` for discrete actions, ``0.37 of the way`` for continuous ones."""
    if kind == "discrete":
        return _NAMES[int(np.asarray(action).reshape(-1)[0])]
    return f"{action_fraction(action, kind):.2f} of the way"


def weights_after(ctx: DecisionContext, fraction: float) -> FloatArray:
    """``w + fraction (w_target - w)`` of shape (n,)."""
    w = np.asarray(ctx.weights, dtype=float)
    return w + fraction * (np.clip(np.asarray(ctx.target, dtype=float), 0.0, None) - w)
