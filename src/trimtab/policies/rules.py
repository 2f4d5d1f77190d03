"""Rule policies: a trigger says *when*, a move says *where to*.

``RuleRebalance(when=trigger, move=move)`` holds when the trigger does not fire and otherwise returns the
move's proposal. Moves:

- :class:`ToTarget`: every asset to its target (action ``rebalance``).
- :class:`ToBandEdge`: only the assets outside their band, and only back to the nearest band edge; the
  others stay (action ``partial``). See :class:`ToBandEdge` for how the budget is kept.
- :class:`CostGated`: wraps another move and acts only when the estimated benefit of the move exceeds
  its estimated cost (trading cost plus tax). See :class:`CostGated` for the formula.

The policy kinds of the portfolio file are built from these parts::

    never                  RuleRebalance(when=Never(), move=ToTarget())
    calendar(every=E)      RuleRebalance(when=Calendar(E), move=ToTarget())
    threshold(band=B)      RuleRebalance(when=DriftExceeds(absolute=B), move=ToTarget())
    relative(band=R)       RuleRebalance(when=DriftExceeds(relative=R), move=ToTarget())
    five_25()              RuleRebalance(when=DriftExceeds(absolute=0.05, relative=0.25), move=ToTarget())
    ... check=C            when=Calendar(C) & DriftExceeds(...)
    ... move=band_edge     move=ToBandEdge()
    cost_gated(trigger=P)  RuleRebalance(when=P.when, move=CostGated(P.move, risk_aversion, horizon_years))

Every weight here is a fraction of household value ``v`` (cash included); target weights returned in a
:class:`~trimtab.policies.base.Decision` are never negative and sum to 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from trimtab.data.calendar import PERIODS
from trimtab.errors import ConfigError, DataError, SourceRef
from trimtab.policies.base import Action, CostEstimate, Decision, DecisionContext
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
    format_band,
    format_pp,
)
from trimtab.typing import FloatArray

__all__ = [
    "DEFAULT_HORIZON_YEARS",
    "DEFAULT_RISK_AVERSION",
    "CostGated",
    "Move",
    "Proposal",
    "RuleRebalance",
    "ToBandEdge",
    "ToTarget",
    "calendar",
    "cost_gated",
    "five_25",
    "never",
    "relative",
    "threshold",
    "tracking_error",
]

#: Default risk aversion of :class:`CostGated`: the gamma for which a 60/40 stock/bond mix is the
#: mean-variance optimum with a 5 %/yr equity premium and 17 % equity volatility
#: (0.05 / (0.6 * 0.17^2) = 2.9).
DEFAULT_RISK_AVERSION = 3.0
#: Default horizon of :class:`CostGated`, years: the benefit of being on target is counted for one year.
DEFAULT_HORIZON_YEARS = 1.0
#: Benefit and cost closer than this (relative, at least $1e-9) count as equal: the gate then holds.
_COST_NOISE = 1e-9
#: Weights closer than this to the current ones count as "no trade", fraction of value.
_SAME = 1e-12


# ------------------------------------------------------------------------------------------------------
# formatting
def _percent(fraction: float, decimals: int = 1) -> str:
    return f"{float(fraction) * 100.0:.{decimals}f} %"


def _dollars(amount: float) -> str:
    sign = "-" if amount < 0 else ""
    value = abs(float(amount))
    return f"{sign}${value:,.0f}" if value >= 10.0 else f"{sign}${value:,.2f}"


def _number(value: float) -> str:
    return f"{float(value):g}"


def _years(value: float) -> str:
    return f"{_number(value)} year" + ("" if float(value) == 1.0 else "s")


def _list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def tracking_error(active: FloatArray, covariance: FloatArray) -> float:
    """Annualised tracking error ``sqrt(a' Sigma a)`` of active weights ``a``.

    Parameters
    ----------
    active : ndarray of shape (n,)
        Weights minus target weights (fractions of value; cash has no risk and is left out).
    covariance : ndarray of shape (n, n)
        Annualised covariance of the assets' simple returns.

    Returns
    -------
    float
        Fraction per year (0.02 = 2 %); 0 when rounding makes the quadratic form slightly negative.
    """
    a = np.asarray(active, dtype=float)
    return math.sqrt(max(float(a @ np.asarray(covariance, dtype=float) @ a), 0.0))


# ------------------------------------------------------------------------------------------------------
# proposals and moves
@dataclass(frozen=True, slots=True)
class Proposal:
    """What a move proposes: an action, weights of shape (n,) plus cash, reasons and numbers."""

    action: Action
    weights: FloatArray
    cash: float
    reasons: tuple[str, ...]
    details: Mapping[str, Any] = field(default_factory=dict)


def _hold(
    ctx: DecisionContext, reasons: tuple[str, ...], details: Mapping[str, Any] | None = None
) -> Proposal:
    return Proposal(
        "hold", np.array(ctx.weights, dtype=float), float(ctx.cash_weight), reasons, dict(details or {})
    )


def _turnover(ctx: DecisionContext, weights: FloatArray, cash: float) -> float:  # noqa: ARG001
    """One-way turnover, fraction of value: half the sum of absolute trades in the assets (cash is not traded).

    The same definition as :attr:`trimtab.trades.plan.TradePlan.turnover` and DESIGN's ``turnover(z)``.
    """
    return 0.5 * float(np.abs(weights - ctx.weights).sum())


def _unchanged(ctx: DecisionContext, weights: FloatArray, cash: float) -> bool:
    return bool(np.all(np.abs(weights - ctx.weights) <= _SAME)) and abs(cash - ctx.cash_weight) <= _SAME


class Move:
    """Base of moves: ``propose(ctx)`` once the trigger fired, and ``describe()``."""

    __slots__ = ()

    def propose(self, ctx: DecisionContext) -> Proposal:
        """Where to go from the current weights."""
        raise NotImplementedError

    def describe(self) -> str:
        """The move as code."""
        raise NotImplementedError

    def with_band(self, band: DriftExceeds) -> Move:
        """This move with ``band`` filled in where it has none (only :class:`ToBandEdge` needs one)."""
        return self

    def __repr__(self) -> str:
        return self.describe()


@dataclass(frozen=True, slots=True, repr=False)
class ToTarget(Move):
    """Trade every asset to its target weight (action ``rebalance``).

    The target is used as given; the residual ``1 - sum(target)`` (the cash target, plus rounding of at
    most 1e-6 allowed in target files) goes to cash, so the weights sum to 1 exactly. Already on target
    (every weight within 1e-12): ``hold``.
    """

    def propose(self, ctx: DecisionContext) -> Proposal:
        """Every asset to target."""
        weights = np.clip(np.asarray(ctx.target, dtype=float), 0.0, None)
        total = float(weights.sum())
        if total > 1.0:
            weights = weights / total
        cash = max(1.0 - float(weights.sum()), 0.0)
        if _unchanged(ctx, weights, cash):
            return _hold(ctx, ("already on target: nothing to trade",))
        turnover = _turnover(ctx, weights, cash)
        return Proposal(
            "rebalance",
            weights,
            cash,
            (f"rebalance every asset to its target (one-way turnover {_percent(turnover)} of value)",),
            {"move": "target", "turnover": turnover},
        )

    def describe(self) -> str:
        """``ToTarget()``."""
        return "ToTarget()"


@dataclass(frozen=True, slots=True, repr=False)
class ToBandEdge(Move):
    """Move only the assets outside their band, and only back to the nearest band edge (action ``partial``).

    An asset above its band goes to ``w_target + tolerance``, one below to ``w_target - tolerance``; assets
    inside their band keep their weights. Cash absorbs the difference: sales add to it, buys draw on it.

    The budget is kept (weights never negative, summing to 1): when the buys need more than cash plus
    the sales, the shortfall is sold from assets that are above their target, pro rata to their weight
    above target and never below target: first from the assets already being sold (so no new trade
    tickets), then from the in-band assets above target. That is always enough: with every asset above
    target brought to target, the assets hold at most ``sum(w_target) <= 1``. (Only a rounding residual
    of at most 1e-6 in the target could be left; buys are then scaled down to end with zero cash.) Those
    assets then end inside their band, past the edge.

    Parameters
    ----------
    band : DriftExceeds, optional
        The bands; :class:`RuleRebalance` fills it in from its trigger when omitted.
    """

    band: DriftExceeds | None = None

    def with_band(self, band: DriftExceeds) -> Move:
        """This move with ``band`` if it has none."""
        return self if self.band is not None else ToBandEdge(band=band)

    def propose(self, ctx: DecisionContext) -> Proposal:
        """Assets outside their band to the band edge."""
        if self.band is None:
            raise ConfigError(
                "ToBandEdge has no band",
                fix="give ToBandEdge(band=DriftExceeds(...)) or use it in "
                "RuleRebalance with a DriftExceeds trigger",
            )
        drift = ctx.drift
        tolerance = self.band.tolerances(ctx)
        outside = np.abs(drift) > tolerance + DRIFT_TOLERANCE
        if not outside.any():
            return _hold(ctx, ("every asset is within its band: nothing to move to a band edge",))
        target = np.asarray(ctx.target, dtype=float)
        before = np.asarray(ctx.weights, dtype=float)
        after = before.copy()
        after[outside] = target[outside] + np.sign(drift[outside]) * tolerance[outside]
        after = np.clip(after, 0.0, None)
        edge = after.copy()
        order = sorted(np.flatnonzero(outside), key=lambda i: (-abs(float(drift[i])), ctx.symbols[i]))
        funding: list[str] = []
        funded: dict[str, float] = {}
        shortfall = float(after.sum()) - 1.0
        if shortfall > 0.0:
            for tier in (outside, ~outside):
                excess = np.where(tier & (after > target), after - target, 0.0)
                capacity = float(excess.sum())
                if capacity <= 0.0 or shortfall <= 0.0:
                    continue
                take = min(shortfall, capacity)
                cut = excess * (take / capacity)
                after -= cut
                shortfall -= take
                funded.update({ctx.symbols[i]: float(cut[i]) for i in np.flatnonzero(cut > 0)})
            if funded:
                names = sorted(funded, key=lambda s: (-funded[s], s))
                funding.append(
                    f"cash and sales cannot pay for the buys: {format_pp(sum(funded.values()))} pp "
                    f"more is sold from {_list(names)}, pro rata to their weight above target"
                )
            buys = np.where(after > before, after - before, 0.0)
            if shortfall > 0.0 and float(buys.sum()) > 0.0:
                after -= buys * min(shortfall / float(buys.sum()), 1.0)
                funding.append(
                    f"buys scaled down by {format_pp(shortfall)} pp to keep cash from going negative"
                )
            after = np.clip(after, 0.0, None)
        reasons = []
        for i in order:
            side = "upper" if drift[i] > 0 else "lower"
            text = (
                f"{'sell' if after[i] < before[i] else 'buy'} {ctx.symbols[i]} from {_percent(before[i])} to "
                f"{_percent(after[i])} of value"
            )
            band_text = f"its {format_band(float(tolerance[i]))} pp band"
            if abs(after[i] - edge[i]) <= _SAME:
                reasons.append(f"{text}, the {side} edge of {band_text}")
            else:
                reasons.append(
                    f"{text}, past the {side} edge ({_percent(edge[i])}) of {band_text}, to pay for the buys"
                    if after[i] < edge[i]
                    else f"{text}, short of the {side} edge ({_percent(edge[i])}) of {band_text}"
                )
        reasons.extend(funding)
        cash = max(1.0 - float(after.sum()), 0.0)
        reasons.append(
            f"cash absorbs the difference: {_percent(ctx.cash_weight)} now, {_percent(cash)} after "
            f"(target {_percent(ctx.target_cash)})"
        )
        turnover = _turnover(ctx, after, cash)
        return Proposal(
            "partial",
            after,
            cash,
            tuple(reasons),
            {
                "move": "band_edge",
                "moved": [ctx.symbols[i] for i in order],
                "funded_from": funded,
                "turnover": turnover,
            },
        )

    def describe(self) -> str:
        """``ToBandEdge()``."""
        return "ToBandEdge()" if self.band is None else f"ToBandEdge(band={self.band.describe()})"


@dataclass(frozen=True, slots=True, repr=False, kw_only=True)
class CostGated(Move):
    """Make another move only when its estimated benefit exceeds its estimated cost.

    **Benefit.** Take the targets as the mean-variance optimum of an investor with risk aversion
    ``gamma``: ``U(w) = mu'w - (gamma / 2) w' Sigma w`` per year, as a fraction of value. At the optimum the
    gradient vanishes, so holding ``w_target + d`` instead costs exactly ``U(w_target) - U(w_target + d) =
    (gamma / 2) d' Sigma d = (gamma / 2) TE^2`` per year: the certainty-equivalent return lost to tracking
    error. Moving from drift ``d0 = w - w_target`` to ``dv = w_plus - w_target`` therefore gains, in dollars,

        benefit = gamma / 2 * (TE_before^2 - TE_after^2) * v * horizon_years

    with ``TE^2 = d' Sigma d`` (``Sigma`` annualised, so ``TE^2`` is per year), ``v`` the household value in
    dollars and the drift assumed to stay as it is over the horizon (undiscounted). Cash has no risk and is
    left out of ``d``.

    **Cost.** ``ctx.cost_of(w_plus).total``: estimated trading cost plus tax in dollars. The tax counts in
    full, although part of it is only paid earlier than it would be otherwise.

    The move is made when ``benefit > cost`` (strictly, by more than float noise of 1e-9 relative);
    otherwise the policy holds and says why with the numbers, e.g.
    ``"benefit $412 < cost $530 (trading $30, tax $500): hold"``.

    Parameters
    ----------
    move : Move
        The move to gate (default :class:`ToTarget`).
    risk_aversion : float
        ``gamma`` > 0, unitless; default 3 (see :data:`DEFAULT_RISK_AVERSION`).
    horizon_years : float
        Years over which the benefit is counted, > 0; default 1.
    """

    move: Move = field(default_factory=ToTarget)
    risk_aversion: float = DEFAULT_RISK_AVERSION
    horizon_years: float = DEFAULT_HORIZON_YEARS

    def __post_init__(self) -> None:
        for name in ("risk_aversion", "horizon_years"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ConfigError(
                    f"CostGated.{name} must be a positive number",
                    got=value,
                    fix="e.g. risk_aversion=3, horizon_years=1",
                )
        if isinstance(self.move, CostGated):
            raise ConfigError(
                "CostGated cannot wrap another CostGated",
                got=self.move.describe(),
                fix="gate the inner move once",
            )

    def with_band(self, band: DriftExceeds) -> Move:
        """This move with ``band`` filled into the inner move."""
        return replace(self, move=self.move.with_band(band))

    def benefit(self, ctx: DecisionContext, weights: FloatArray) -> tuple[float, float, float]:
        """``(benefit dollars, TE before, TE after)`` of moving to ``weights`` of shape (n,)."""
        if ctx.covariance is None:
            raise DataError(
                f"{self.describe()} needs a covariance estimate, and the decision context has none"
            )
        covariance = np.asarray(ctx.covariance(), dtype=float)
        n = len(ctx.symbols)
        if covariance.shape != (n, n) or not np.all(np.isfinite(covariance)):
            raise DataError(
                f"{self.describe()}: the covariance must be a finite {n} x {n} matrix; "
                f"got shape {covariance.shape}"
            )
        target = np.asarray(ctx.target, dtype=float)
        te_before = tracking_error(ctx.drift, covariance)
        te_after = tracking_error(np.asarray(weights, dtype=float) - target, covariance)
        benefit = (
            self.risk_aversion / 2.0 * (te_before**2 - te_after**2) * float(ctx.value) * self.horizon_years
        )
        return benefit, te_before, te_after

    def propose(self, ctx: DecisionContext) -> Proposal:
        """The inner move if its benefit exceeds its cost, else hold."""
        inner = self.move.propose(ctx)
        if inner.action == "hold":
            return inner
        if ctx.cost_of is None:
            raise DataError(
                f"{self.describe()} needs cost estimates, and the decision context has no cost_of"
            )
        benefit, te_before, te_after = self.benefit(ctx, inner.weights)
        cost: CostEstimate = ctx.cost_of(ctx.as_weights(inner.weights, inner.cash))
        total = float(cost.total)
        verb = "rebalancing to target" if inner.action == "rebalance" else "moving back to the band edges"
        worth = (
            f"{verb} would cut tracking error from {_percent(te_before, 2)} to {_percent(te_after, 2)}; at "
            f"risk aversion {_number(self.risk_aversion)} over {_years(self.horizon_years)} on "
            f"{_dollars(ctx.value)} that is worth {_dollars(benefit)}"
        )
        costs = f"cost {_dollars(total)} (trading {_dollars(cost.trading_cost)}, tax {_dollars(cost.tax)})"
        details = {
            "benefit": benefit,
            "cost": total,
            "trading_cost": float(cost.trading_cost),
            "tax": float(cost.tax),
            "tracking_error_before": te_before,
            "tracking_error_after": te_after,
            "risk_aversion": self.risk_aversion,
            "horizon_years": self.horizon_years,
            "value": float(ctx.value),
        }
        noise = _COST_NOISE * max(1.0, abs(total))
        if benefit > total + noise:
            action_word = "rebalance" if inner.action == "rebalance" else "partial rebalance"
            return Proposal(
                inner.action,
                inner.weights,
                inner.cash,
                (*inner.reasons, worth, f"benefit {_dollars(benefit)} > {costs}: {action_word}"),
                {**dict(inner.details), "cost_gate": {**details, "passed": True}},
            )
        relation = "<" if benefit < total - noise else "="
        return _hold(
            ctx,
            (worth, f"benefit {_dollars(benefit)} {relation} {costs}: hold"),
            {"cost_gate": {**details, "passed": False}},
        )

    def describe(self) -> str:
        """``CostGated(move=ToTarget(), risk_aversion=3, horizon_years=1)``."""
        return (
            f"CostGated(move={self.move.describe()}, risk_aversion={_number(self.risk_aversion)}, "
            f"horizon_years={_number(self.horizon_years)})"
        )


# ------------------------------------------------------------------------------------------------------
# the rule policy
def _drift_triggers(trigger: Trigger) -> list[DriftExceeds]:
    if isinstance(trigger, DriftExceeds):
        return [trigger]
    if isinstance(trigger, (AnyOf, AllOf)):
        return [d for t in trigger.triggers for d in _drift_triggers(t)]
    if isinstance(trigger, Not):
        return _drift_triggers(trigger.trigger)
    return []


def _needs_band(move: Move) -> bool:
    if isinstance(move, ToBandEdge):
        return move.band is None
    if isinstance(move, CostGated):
        return _needs_band(move.move)
    return False


def _check_context(ctx: DecisionContext) -> None:
    n = len(ctx.symbols)
    for name in ("weights", "target"):
        array = np.asarray(getattr(ctx, name))
        if array.shape != (n,):
            raise DataError(
                f"decision context: {name} has shape {array.shape}, expected ({n},) for {n} symbols"
            )
        if not np.all(np.isfinite(array)):
            raise DataError(f"decision context: {name} has a missing or infinite value")
    if not (math.isfinite(ctx.cash_weight) and math.isfinite(ctx.target_cash) and math.isfinite(ctx.value)):
        raise DataError("decision context: cash weight, cash target and value must be finite")


@dataclass(frozen=True, slots=True, repr=False, kw_only=True)
class RuleRebalance:
    """A rule policy: hold unless ``when`` fires, then make ``move``.

    Parameters
    ----------
    when : Trigger
        When to act.
    move : Move
        Where to go; a :class:`ToBandEdge` without a band takes the one :class:`DriftExceeds` in ``when``.
    name : str, optional
        What :meth:`describe` returns (the policy kind as written by the user, e.g.
        ``threshold(band=0.05)``); by default the parts as code.
    """

    when: Trigger
    move: Move = field(default_factory=ToTarget)
    name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.when, Trigger):
            raise ConfigError(
                "RuleRebalance.when must be a trigger",
                got=type(self.when).__name__,
                fix="e.g. Calendar('quarterly') or DriftExceeds(absolute=0.05)",
            )
        if not isinstance(self.move, Move):
            raise ConfigError(
                "RuleRebalance.move must be a move",
                got=type(self.move).__name__,
                fix="ToTarget(), ToBandEdge() or CostGated(...)",
            )
        if _needs_band(self.move):
            bands = _drift_triggers(self.when)
            if len(bands) != 1:
                raise ConfigError(
                    "a move to the band edge needs exactly one drift band in the trigger",
                    got=self.when.describe(),
                    fix="use e.g. when=DriftExceeds(absolute=0.05), or give ToBandEdge(band=...) explicitly",
                )
            object.__setattr__(self, "move", self.move.with_band(bands[0]))

    def describe(self) -> str:
        """The policy as a short call-like text, e.g. ``threshold(band=0.05)``."""
        if self.name is not None:
            return self.name
        return f"RuleRebalance(when={self.when.describe()}, move={self.move.describe()})"

    def __repr__(self) -> str:
        return self.describe()

    def decide(self, ctx: DecisionContext) -> Decision:
        """Hold unless the trigger fires; else the move's proposal. Reads nothing after ``ctx.as_of``."""
        _check_context(ctx)
        result = self.when.evaluate(ctx)
        details: dict[str, Any] = {
            "trigger": dict(result.details),
            "drift": {s: float(d) for s, d in zip(ctx.symbols, ctx.drift, strict=True)},
        }
        current = ctx.as_weights(np.asarray(ctx.weights, dtype=float), float(ctx.cash_weight))
        if not result.fired:
            return Decision("hold", current, result.reasons, self.describe(), {**details, "turnover": 0.0})
        proposal = self.move.propose(ctx)
        details["move"] = dict(proposal.details)
        if proposal.action == "hold":
            return Decision(
                "hold",
                current,
                (*result.reasons, *proposal.reasons),
                self.describe(),
                {**details, "turnover": 0.0},
            )
        details["turnover"] = _turnover(ctx, proposal.weights, proposal.cash)
        return Decision(
            proposal.action,
            ctx.as_weights(proposal.weights, proposal.cash),
            (*result.reasons, *proposal.reasons),
            self.describe(),
            details,
        )


# ------------------------------------------------------------------------------------------------------
# the policy kinds
_MOVES = ("target", "band_edge")


def _kind_text(kind: str, shown: list[tuple[str, Any]]) -> str:
    def text(value: Any) -> str:
        if isinstance(value, float | int) and not isinstance(value, bool):
            return _number(value)
        if isinstance(value, Mapping):
            return "{" + ", ".join(f"{k}: {text(v)}" for k, v in value.items()) + "}"
        if isinstance(value, RuleRebalance):
            return value.describe()
        return str(value)

    return f"{kind}(" + ", ".join(f"{k}={text(v)}" for k, v in shown) + ")"


def _check_choice(key: str, value: str | None, options: tuple[str, ...], allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if value not in options:
        raise ConfigError(f"policy.{key}: unknown value", got=value, fix=f"use one of {', '.join(options)}")


def _banded(
    kind: str, drift: DriftExceeds, shown: list[tuple[str, Any]], check: str | None, move: str
) -> RuleRebalance:
    _check_choice("check", check, PERIODS, allow_none=True)
    _check_choice("move", move, _MOVES, allow_none=False)
    when: Trigger = drift if check is None else Calendar(check) & drift
    if check is not None:
        shown.append(("check", check))
    if move != "target":
        shown.append(("move", move))
    return RuleRebalance(
        when=when,
        move=ToTarget() if move == "target" else ToBandEdge(band=drift),
        name=_kind_text(kind, shown),
    )


def never() -> RuleRebalance:
    """Buy and hold: never trades; the reasons report the largest drift."""
    return RuleRebalance(when=Never(), move=ToTarget(), name="never")


def calendar(every: str = "quarterly") -> RuleRebalance:
    """Rebalance to target on the last trading day of every ``every`` period."""
    _check_choice("every", every, PERIODS, allow_none=False)
    return RuleRebalance(
        when=Calendar(every), move=ToTarget(), name=_kind_text("calendar", [("every", every)])
    )


def threshold(
    band: float = 0.05,
    *,
    bands: Mapping[str, float] | None = None,
    check: str | None = None,
    move: str = "target",
    where: SourceRef | None = None,
) -> RuleRebalance:
    """Absolute bands: act when some ``|w - w_target| > band`` (per-symbol ``bands`` override ``band``).

    Parameters
    ----------
    band : float
        Band half-width for every asset, fraction of value (0.05 = 5 pp).
    bands : mapping of str to float, optional
        Per-symbol half-widths.
    check : {'weekly', 'monthly', 'quarterly', 'semiannual', 'annual'}, optional
        Look at the bands only on the last trading day of these periods (default: at every decision).
    move : {'target', 'band_edge'}
    where : SourceRef, optional
        Where ``bands`` was written (file, line, key path), for the message about an unknown symbol.
    """
    drift = DriftExceeds(absolute=band, absolute_by_symbol=bands or {}, where=where)
    shown: list[tuple[str, Any]] = [("band", band)] + ([("bands", dict(bands))] if bands else [])
    return _banded("threshold", drift, shown, check, move)


def relative(
    band: float = 0.25,
    *,
    bands: Mapping[str, float] | None = None,
    check: str | None = None,
    move: str = "target",
    where: SourceRef | None = None,
) -> RuleRebalance:
    """Relative bands: act when some ``|w - w_target| > band * w_target`` (per-symbol ``bands`` override)."""
    drift = DriftExceeds(relative=band, relative_by_symbol=bands or {}, where=where)
    shown: list[tuple[str, Any]] = [("band", band)] + ([("bands", dict(bands))] if bands else [])
    return _banded("relative", drift, shown, check, move)


def five_25(
    absolute: float = 0.05, relative: float = 0.25, *, check: str | None = None, move: str = "target"
) -> RuleRebalance:
    """The 5/25 rule: act when drift exceeds ``absolute`` or ``relative * w_target``, whichever is smaller."""
    drift = DriftExceeds(absolute=absolute, relative=relative)
    return _banded("five_25", drift, [("absolute", absolute), ("relative", relative)], check, move)


def cost_gated(
    risk_aversion: float = DEFAULT_RISK_AVERSION,
    horizon_years: float = DEFAULT_HORIZON_YEARS,
    *,
    trigger: RuleRebalance | None = None,
) -> RuleRebalance:
    """Act only when the tracking-error benefit exceeds trading cost plus tax (see :class:`CostGated`).

    Parameters
    ----------
    risk_aversion : float
        ``gamma``, unitless, > 0.
    horizon_years : float
        Years of benefit counted, > 0.
    trigger : RuleRebalance, optional
        Another rule policy whose trigger and move are gated (default: check at every decision, move to
        target).
    """
    if trigger is not None and isinstance(trigger.move, CostGated):
        raise ConfigError(
            "policy.trigger: a cost_gated policy cannot gate another cost_gated policy",
            got=trigger.describe(),
            fix="use a never, calendar, threshold, relative or five_25 trigger",
        )
    base = trigger if trigger is not None else RuleRebalance(when=EveryCheck(), move=ToTarget())
    shown: list[tuple[str, Any]] = [("risk_aversion", risk_aversion), ("horizon_years", horizon_years)]
    if trigger is not None:
        shown.append(("trigger", trigger))
    return RuleRebalance(
        when=base.when,
        move=CostGated(move=base.move, risk_aversion=risk_aversion, horizon_years=horizon_years),
        name=_kind_text("cost_gated", shown),
    )
