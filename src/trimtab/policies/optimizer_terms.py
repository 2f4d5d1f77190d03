# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Portfolio-file keys of the optimizer policy beyond tracking error, trading cost and tax.

:func:`parse_optimizer_terms` reads the keys of :data:`TERM_PARAMETERS` from a policy mapping and returns the
risk measure, the extra objective terms and the extra constraints they describe (an :class:`OptimizerTerms`);
:func:`~trimtab.policies.optimizer.build_optimizer_policy` puts them into the problem.  Every bad value is a
:class:`~trimtab.errors.ConfigError` naming the file, line and key (``policy.group_bounds.tech``).

=====================  =====================  =========================================================
key                    default                meaning
=====================  =====================  =========================================================
``risk_measure``       ``tracking``           ``tracking`` | ``variance`` | ``factor_exposure`` | ``cvar``
                                              | ``semideviation``, or ``{measure: weight, ...}``; the
                                              objective's risk is ``te_weight`` times it
``cvar_alpha``         0.95                   CVaR level
``downside``           ``active``             CVaR / semi-deviation of the ``active`` return (portfolio
                                              minus target) or of the ``total`` return
``exposures``          none                   ``{factor: {SYMBOL: loading}}`` for ``factor_exposure`` and
                                              the ``factor`` penalty (default: the statistical factors)
``groups``             none                   ``{group: [SYMBOL, ...]}`` (``CASH`` allowed)
``group_bounds``       none                   ``{group: [min, max]}`` (``null`` for an open side)
``min_trade``          none                   smallest trade, a fraction of value (mixed-integer)
``max_trades``         none                   most assets traded (mixed-integer)
``fixed_costs``        ``mip``                ``mip``: price ``costs.commission_per_trade`` per asset
                                              traded (mixed-integer); ``ignore``: leave it out (noted)
``max_nodes``          500                    node limit of the branch and bound
``penalties``          none                   ``{l1: w, l2: w, factor: w, tilt: w, balance: w}``
``scores``             none                   ``{SYMBOL: score}`` for the ``tilt`` penalty
``opportunity_cost``   none                   years until the next decision, or ``{horizon: years,
                                              risk_aversion: gamma}``
``expected_returns``   ``historical``         ``{SYMBOL: excess return per year}`` or ``historical``
                                              (mean of the ``lookback`` returns, annualised)
=====================  =====================  =========================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trimtab.errors import ConfigError, DataError, InputError, SourceRef
from trimtab.models.base import Constraint, Term
from trimtab.models.costs import CostModel, FixedCost
from trimtab.models.downside import SCENARIOS, CVaR, SemiDeviation
from trimtab.models.exposures import FactorDeviation, FactorExposureRisk
from trimtab.models.groups import GroupBounds
from trimtab.models.mixed_integer import DEFAULT_MAX_NODES, FixedTradeCost, MaxTrades, MinTradeSize
from trimtab.models.opportunity import EXPECTED_RETURNS, OpportunityCost
from trimtab.models.penalties import DistanceToTarget, StyleTilt, TradeBalance
from trimtab.models.risk import TrackingError
from trimtab.models.variance import Variance
from trimtab.policies.base import DecisionContext
from trimtab.typing import FloatArray

__all__ = ["RISK_MEASURES", "TERM_PARAMETERS", "OptimizerTerms", "parse_optimizer_terms"]

#: Risk measures of ``risk_measure``.
RISK_MEASURES = ("tracking", "variance", "factor_exposure", "cvar", "semideviation")
#: Penalties of ``penalties``.
PENALTIES = ("l1", "l2", "factor", "tilt", "balance")

#: Keys read here, with defaults and meaning (documented in docs/optimizer.md).
TERM_PARAMETERS: dict[str, tuple[Any, str]] = {
    "risk_measure": (
        "tracking",
        "tracking | variance | factor_exposure | cvar | semideviation, or {measure: weight}",
    ),
    "cvar_alpha": (0.95, "CVaR level in [0, 1)"),
    "downside": ("active", "CVaR / semi-deviation of the active (vs target) or total return"),
    "exposures": (None, "{factor: {SYMBOL: loading}} for factor_exposure and the factor penalty"),
    "groups": (None, "{group: [SYMBOL, ...]} (CASH allowed)"),
    "group_bounds": (None, "{group: [min, max]} weight of each group after trading (null: open)"),
    "min_trade": (None, "smallest trade as a fraction of value (mixed-integer)"),
    "max_trades": (None, "most assets traded (mixed-integer)"),
    "fixed_costs": ("mip", "mip: price commission_per_trade per asset traded (mixed-integer) | ignore"),
    "max_nodes": (DEFAULT_MAX_NODES, "node limit of the mixed-integer branch and bound"),
    "penalties": (None, "{l1: w, l2: w, factor: w, tilt: w, balance: w} soft penalty weights"),
    "scores": (None, "{SYMBOL: score} for the tilt penalty"),
    "opportunity_cost": (None, "horizon in years, or {horizon: years, risk_aversion: gamma}"),
    "expected_returns": ("historical", "{SYMBOL: excess return per year} or historical"),
}


@dataclass
class OptimizerTerms:
    """What the extra keys describe.

    Attributes
    ----------
    risk : Term
        The risk measure (``te_weight`` multiplies it); ``TrackingError()`` by default.
    terms : list of Term
        Weighted extra objective terms (penalties, opportunity cost, fixed cost per trade).
    constraints : list of Constraint
        Group bounds, minimum trade size, maximum number of trades.
    risk_form : str or None
        A risk form the terms need (``factor`` for factor exposures without named exposures).
    prices_fixed_costs : bool
        Whether the fixed cost per trade is in the objective (then it is not noted as left out).
    max_nodes : int
    lookback : int
        Return periods used for scenarios and historical expected returns.
    """

    risk: Term
    terms: list[Term] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    risk_form: str | None = None
    prices_fixed_costs: bool = False
    max_nodes: int = DEFAULT_MAX_NODES
    lookback: int = 252
    _needs: frozenset[str] = frozenset()

    def wrap_extra_data(
        self, given: Callable[[DecisionContext], Mapping[str, Any]] | None
    ) -> Callable[[DecisionContext], Mapping[str, Any]] | None:
        """``given`` plus the scenarios and expected returns the terms read (from the snapshot's returns)."""
        needs = self._needs
        if not needs & {"scenarios", "expected_returns"}:
            return given
        lookback = self.lookback

        def extra_data(ctx: DecisionContext) -> Mapping[str, Any]:
            out = dict(given(ctx)) if given is not None else {}
            if SCENARIOS in out and EXPECTED_RETURNS in out:
                return out
            returns = _recent_returns(ctx, lookback)
            if "scenarios" in needs:
                out.setdefault(SCENARIOS, returns)
            if "expected_returns" in needs:
                out.setdefault(EXPECTED_RETURNS, returns.mean(axis=0) * float(ctx.snapshot.periods_per_year))
            return out

        return extra_data


def _recent_returns(ctx: DecisionContext, lookback: int) -> FloatArray:
    frame = ctx.snapshot.returns(list(ctx.symbols), lookback=lookback)
    r = frame.to_numpy(dtype=float)
    r = r[np.isfinite(r).all(axis=1)] if r.size else np.zeros((0, len(ctx.symbols)))
    if r.shape[0] < 2:
        raise DataError(
            f"the optimizer needs at least 2 periods of returns where every symbol has a price for its "
            f"scenarios and expected returns at {ctx.as_of:%Y-%m-%d}; found {r.shape[0]}"
        )
    return r


# --------------------------------------------------------------------------------------------------- parsing
def _where(where: SourceRef | None, key: str) -> SourceRef:
    if where is None:
        return SourceRef("policy", key=f"policy.{key}")
    return SourceRef(where.file, where.row, f"{where.key or 'policy'}.{key}")


_MISSING: Any = InputError._MISSING  # the sentinel meaning "no value to show"


def _error(where: SourceRef | None, key: str, problem: str, got: Any, fix: str) -> ConfigError:
    return ConfigError(f"optimizer {problem}", got=got, fix=fix, where=_where(where, key))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _number(
    where: SourceRef | None,
    key: str,
    value: Any,
    *,
    low: float = 0.0,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    fix: str,
) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%")) / (100.0 if value.strip().endswith("%") else 1.0)
        except ValueError:
            pass
    ok = _is_number(value) and (not integer or float(value).is_integer())
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        kind = "whole number" if integer else "number"
        raise _error(where, key, f"{key} must be a {kind} in {lo}{low:g}, {high:g}{hi}", value, fix)
    return float(value)


def _mapping(where: SourceRef | None, key: str, value: Any, fix: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise _error(where, key, f"{key} must be a non-empty mapping", value, fix)
    return {str(k): v for k, v in value.items()}


def _number_map(where: SourceRef | None, key: str, value: Any, fix: str) -> dict[str, float]:
    out = {}
    for sym, x in _mapping(where, key, value, fix).items():
        out[sym] = _number(where, f"{key}.{sym}", x, low=-1e9, high=1e9, fix=fix)
    return out


def _convert(where: SourceRef | None, key: str, make: Callable[[], Any]) -> Any:
    """Build a model object; its own ConfigError gets this key's file and line."""
    try:
        return make()
    except InputError as err:
        if err.where is not None:
            raise
        got = err.got if err.got is not None else _MISSING
        raise ConfigError(
            f"optimizer {key}: {err.problem}", got=got, fix=err.fix, where=_where(where, key)
        ) from err


def _exposures(where: SourceRef | None, params: Mapping[str, Any]) -> dict[str, dict[str, float]] | None:
    value = params.get("exposures")
    if value is None:
        return None
    fix = "e.g. exposures: {value: {AAPL: -0.3, JNJ: 0.8}}"
    out = {}
    for factor, loadings in _mapping(where, "exposures", value, fix).items():
        out[factor] = _number_map(where, f"exposures.{factor}", loadings, fix)
    return out


def _risk_measure(
    where: SourceRef | None,
    params: Mapping[str, Any],
    exposures: dict[str, dict[str, float]] | None,
    lookback: int,
) -> tuple[Term, str | None]:
    value = params.get("risk_measure", "tracking")
    fix = f"use one of {', '.join(RISK_MEASURES)}, or a mapping such as {{tracking: 1.0, cvar: 0.1}}"
    if isinstance(value, str):
        weights = {value.strip().lower().replace("-", "_"): 1.0}
    elif isinstance(value, Mapping) and value:
        weights = {
            str(k).strip().lower().replace("-", "_"): _number(
                where, f"risk_measure.{k}", w, low=0.0, high=1e9, fix="a weight >= 0, e.g. 1.0"
            )
            for k, w in value.items()
        }
    else:
        raise _error(where, "risk_measure", "risk_measure must be a measure or a mapping", value, fix)
    alpha = _number(
        where,
        "cvar_alpha",
        params.get("cvar_alpha", 0.95),
        low=0.0,
        high=1.0,
        high_open=True,
        fix="e.g. 0.95",
    )
    downside = params.get("downside", "active")
    if downside not in ("active", "total"):
        raise _error(where, "downside", "downside must be active or total", downside, "downside: active")
    form: str | None = None
    parts: list[Term] = []
    for name, weight in weights.items():
        if name not in RISK_MEASURES:
            raise _error(where, "risk_measure", f"unknown risk measure {name!r}", name, fix)
        if name == "tracking":
            term: Term = TrackingError()
        elif name == "variance":
            term = Variance()
        elif name == "factor_exposure":
            term = _convert(where, "exposures", lambda: FactorExposureRisk(exposures=exposures))
            if exposures is None:
                form = "factor"
        elif name == "cvar":
            term = CVaR(alpha=alpha, relative=downside, max_scenarios=lookback)
        else:
            term = SemiDeviation(relative=downside, max_scenarios=lookback)
        parts.append(term if weight == 1.0 else weight * term)
    risk = parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])
    return risk, form


def _groups(where: SourceRef | None, params: Mapping[str, Any]) -> list[Constraint]:
    groups, bounds = params.get("groups"), params.get("group_bounds")
    if groups is None and bounds is None:
        return []
    gfix = "e.g. groups: {tech: [AAPL, MSFT], bonds: [BND, AGG]}"
    bfix = "e.g. group_bounds: {tech: [0, 0.3]}"
    if bounds is None:
        raise _error(where, "groups", "groups need group_bounds", groups, bfix)
    if groups is None:
        raise _error(where, "group_bounds", "group_bounds need groups that define the groups", bounds, gfix)
    groups_map = _mapping(where, "groups", groups, gfix)
    for name, members in groups_map.items():
        if isinstance(members, str):
            members = [members]
        if not isinstance(members, (list, tuple)) or not all(isinstance(s, str) and s for s in members):
            raise _error(where, f"groups.{name}", f"group {name} must be a list of symbols", members, gfix)
        groups_map[name] = list(members)  # type: ignore[index]
    parsed: dict[str, tuple[float | None, float | None]] = {}
    for name, pair in _mapping(where, "group_bounds", bounds, bfix).items():
        if name not in groups_map:
            raise _error(
                where,
                f"group_bounds.{name}",
                f"group_bounds names group {name!r}, which groups does not define",
                name,
                f"define it in groups ({', '.join(groups_map)})",
            )
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise _error(where, f"group_bounds.{name}", "a group bound must be [min, max]", pair, bfix)
        low, high = (
            None if x is None else _number(where, f"group_bounds.{name}", x, low=-10.0, high=10.0, fix=bfix)
            for x in pair
        )
        if low is not None and high is not None and low > high:
            raise _error(
                where,
                f"group_bounds.{name}",
                f"the minimum of {name} is above its maximum",
                pair,
                "swap them",
            )
        parsed[name] = (low, high)
    return [GroupBounds(groups_map, parsed)]


def _penalties(
    where: SourceRef | None, params: Mapping[str, Any], exposures: dict[str, dict[str, float]] | None
) -> tuple[list[Term], str | None]:
    value = params.get("penalties")
    if value is None:
        return [], None
    fix = "e.g. penalties: {l1: 0.001, balance: 0.0005}"
    out: list[Term] = []
    form = None
    for name, w in _mapping(where, "penalties", value, fix).items():
        if name not in PENALTIES:
            raise _error(
                where, f"penalties.{name}", f"unknown penalty {name!r}", name, f"use {', '.join(PENALTIES)}"
            )
        weight = _number(where, f"penalties.{name}", w, low=0.0, high=1e9, fix=fix)
        if name in ("l1", "l2"):
            term: Term = DistanceToTarget(norm="l1" if name == "l1" else "l2")
        elif name == "factor":
            term = _convert(where, "exposures", lambda: FactorDeviation(exposures=exposures))
            if exposures is None:
                form = "factor"
        elif name == "tilt":
            if params.get("scores") is None:
                raise _error(
                    where,
                    "penalties.tilt",
                    "the tilt penalty needs scores",
                    w,
                    "add scores: {AAPL: 1.0, ...}",
                )
            scores = _number_map(where, "scores", params["scores"], "e.g. scores: {AAPL: 1.0, JNJ: -0.5}")
            term = StyleTilt(scores)
        else:
            term = TradeBalance()
        if weight > 0:
            out.append(weight * term)
    return out, form


def _opportunity(where: SourceRef | None, params: Mapping[str, Any]) -> Term | None:
    value = params.get("opportunity_cost")
    if value is None:
        return None
    fix = "e.g. opportunity_cost: 0.25 (a quarter), or {horizon: 0.25, risk_aversion: 2}"
    if isinstance(value, Mapping):
        unknown = sorted(set(map(str, value)) - {"horizon", "risk_aversion"})
        if unknown:
            raise _error(
                where,
                f"opportunity_cost.{unknown[0]}",
                "unknown key",
                unknown[0],
                "use horizon, risk_aversion",
            )
        if "horizon" not in value:
            raise _error(where, "opportunity_cost", "opportunity_cost needs a horizon", dict(value), fix)
        horizon = _number(
            where, "opportunity_cost.horizon", value["horizon"], low=0.0, high=100.0, low_open=True, fix=fix
        )
        gamma = _number(
            where,
            "opportunity_cost.risk_aversion",
            value.get("risk_aversion", 0.0),
            low=0.0,
            high=1e6,
            fix=fix,
        )
    else:
        horizon = _number(where, "opportunity_cost", value, low=0.0, high=100.0, low_open=True, fix=fix)
        gamma = 0.0
    mu = params.get("expected_returns", "historical")
    if isinstance(mu, str) and mu.strip().lower() == "historical":
        expected = None
    else:
        expected = _number_map(
            where, "expected_returns", mu, "e.g. expected_returns: {AAPL: 0.06} or historical"
        )
    return OpportunityCost(horizon=horizon, risk_aversion=gamma, expected_returns=expected)


def parse_optimizer_terms(
    params: Mapping[str, Any],
    where: SourceRef | None = None,
    *,
    costs: CostModel | None = None,
    tc_weight: float = 1.0,
    risk: str = "auto",
) -> OptimizerTerms:
    """Read the keys of :data:`TERM_PARAMETERS` (others are ignored here).

    Parameters
    ----------
    params : mapping
        The policy's keys.
    where : SourceRef, optional
        Where the policy was written, for error messages.
    costs : CostModel, optional
        The portfolio's costs; ``commission_per_trade`` becomes :class:`FixedTradeCost` (``fixed_costs: mip``).
    tc_weight : float
        Multiplier of the trading cost, applied to the fixed cost per trade too.
    risk : str
        The policy's ``risk`` form (``auto``, ``dense``, ``factor``).

    Raises
    ------
    ConfigError
        A bad value, naming the key, file and line.
    """
    lookback_value = params.get("lookback", 252)
    lookback = int(
        _number(where, "lookback", lookback_value, low=2, high=1e7, integer=True, fix="e.g. lookback: 252")
    )
    exposures = _exposures(where, params)
    risk_term, form = _risk_measure(where, params, exposures, lookback)
    penalties, penalty_form = _penalties(where, params, exposures)
    form = form or penalty_form
    if form == "factor" and risk == "dense":
        raise _error(
            where,
            "exposures",
            "factor exposures without named exposures need the factor form of the risk, but risk is dense",
            _MISSING,
            "give exposures: {factor: {SYMBOL: loading}}, or use risk: factor (or auto)",
        )
    out = OptimizerTerms(risk=risk_term, lookback=lookback)
    out.risk_form = form
    out.terms.extend(penalties)
    opportunity = _opportunity(where, params)
    if opportunity is not None:
        out.terms.append(opportunity)
    out.constraints.extend(_groups(where, params))
    if params.get("min_trade") is not None:
        m = _number(
            where,
            "min_trade",
            params["min_trade"],
            low=0.0,
            high=1.0,
            low_open=True,
            fix="e.g. min_trade: 0.005",
        )
        out.constraints.append(MinTradeSize(m))
    if params.get("max_trades") is not None:
        k = _number(
            where, "max_trades", params["max_trades"], low=0, high=1e6, integer=True, fix="e.g. max_trades: 5"
        )
        out.constraints.append(MaxTrades(int(k)))
    fixed = params.get("fixed_costs", "mip")
    if fixed not in ("mip", "ignore"):
        raise _error(where, "fixed_costs", "fixed_costs must be mip or ignore", fixed, "fixed_costs: mip")
    per_trade = sum(
        float(t.per_trade) for t in (costs.terms if costs is not None else ()) if isinstance(t, FixedCost)
    )
    if fixed == "mip" and per_trade > 0 and tc_weight > 0:
        out.terms.append(tc_weight * FixedTradeCost(per_trade))
        out.prices_fixed_costs = True
    out.max_nodes = int(
        _number(
            where,
            "max_nodes",
            params.get("max_nodes", DEFAULT_MAX_NODES),
            low=1,
            high=1e7,
            integer=True,
            fix="e.g. max_nodes: 500",
        )
    )
    needs = risk_term.needs().union(*(t.needs() for t in out.terms))
    out._needs = frozenset(needs)
    return out
