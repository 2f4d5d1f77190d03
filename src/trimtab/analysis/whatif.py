"""What-if: decide the same portfolio twice, as it is and with changed parameters or price shocks.

``run_whatif(path, settings=["tc_weight=4"], shocks=["AAPL=-0.20"])`` loads the portfolio file, runs the
main job (decision, trades in shares, before/after) once as the file says (the *base*) and once with the
changes, and lists the differences: the decision, each symbol's trade, tracking error after trading,
trading cost, estimated tax and turnover.  For the optimizer it adds the sensitivity of each decision
(:mod:`trimtab.analysis.sensitivity`: dual values of the constraints and derivatives in each multiplier).

Changes (``--set KEY=VALUE``, any number):

* any key of the policy's kind (``tc_weight``, ``te_weight``, ``max_turnover``, ``do_not_sell``, ... for the
  optimizer; ``band`` for ``threshold``) except ``costs``;
* ``costs.half_spread_bps``, ``costs.commission_per_share``, ``costs.commission_per_trade``,
  ``costs.min_trade_value``, ``costs.impact.b``, ``costs.impact.alpha`` (both the policy and the trade plan
  use the changed costs);
* ``tax.short_term_rate``, ``tax.long_term_rate``.

Price shocks (``--shock SYMBOL=RETURN``, e.g. ``AAPL=-0.20`` or ``AAPL=-20%``) move the symbol's price at
``as_of`` by that return: holdings are revalued (weights, drift, gains on lots) and trades are sized at the
shocked price.  The market history, and with it every estimate (covariance, volatility), is left as it was,
so the differences come from the price move alone.

Bad input raises :class:`~trimtab.errors.ConfigError` naming ``--set`` or ``--shock``, the key and the fix.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from trimtab.domain.settings import CostSettings, ImpactSettings, PolicySpec, TaxSettings
from trimtab.errors import ConfigError, SourceRef
from trimtab.job import (
    Job,
    RebalanceResult,
    build_job_policy,
    decide_and_plan,
    decision_context,
    load_job,
    view_portfolio,
)
from trimtab.models.costs import CostModel
from trimtab.policies.base import Policy
from trimtab.policies.registry import policy_kind, policy_spec
from trimtab.units import money

__all__ = [
    "COST_KEYS",
    "TAX_KEYS",
    "WhatIf",
    "apply_settings",
    "optimizer_data",
    "parse_settings",
    "parse_shocks",
    "run_whatif",
]

#: ``--set`` keys that change the portfolio's costs section.
COST_KEYS = (
    "costs.half_spread_bps",
    "costs.commission_per_share",
    "costs.commission_per_trade",
    "costs.min_trade_value",
    "costs.impact.b",
    "costs.impact.alpha",
)
#: ``--set`` keys that change the tax section.
TAX_KEYS = ("tax.short_term_rate", "tax.long_term_rate")


# ------------------------------------------------------------------------------------------------- parsing
def _pairs(items: Iterable[str] | Mapping[str, Any], option: str, example: str) -> list[tuple[str, Any]]:
    if isinstance(items, Mapping):
        return [(str(k), v) for k, v in items.items()]
    out = []
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(
                f"{option} takes KEY=VALUE", got=item, fix=f"e.g. {option} {example}", where=SourceRef(option)
            )
        out.append((key.strip(), value.strip()))
    return out


def parse_settings(items: Iterable[str] | Mapping[str, Any], kind: str) -> dict[str, Any]:
    """``KEY=VALUE`` items (or a mapping) checked against the policy kind's keys and the cost/tax keys.

    Raises
    ------
    ConfigError
        A malformed item or an unknown key (the message lists the valid keys).
    """
    allowed = [k for k in policy_kind(kind).keys if k != "costs"]
    out: dict[str, Any] = {}
    for key, value in _pairs(items, "--set", "tc_weight=4"):
        if key not in allowed and key not in COST_KEYS and key not in TAX_KEYS:
            raise ConfigError(
                f"unknown --set key for the {kind} policy",
                got=key,
                fix=f"use one of {', '.join([*allowed, *COST_KEYS, *TAX_KEYS])}",
                where=SourceRef("--set", key=key),
            )
        out[key] = value
    return out


def _number(key: str, value: Any, option: str, *, low: float = -math.inf) -> float:
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text[:-1] if percent else text) / (100.0 if percent else 1.0)
    except ValueError:
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number <= low:
        raise ConfigError(
            f"{option} {key} must be a number" + (f" above {low:g}" if math.isfinite(low) else ""),
            got=value,
            fix="e.g. -0.20 or -20%" if option == "--shock" else f"e.g. {key}=2",
            where=SourceRef(option, key=key),
        )
    return number


def parse_shocks(items: Iterable[str] | Mapping[str, Any], symbols: Sequence[str]) -> dict[str, float]:
    """``SYMBOL=RETURN`` items (``-0.20`` or ``-20%``) for symbols of the portfolio; returns above -100 %.

    Raises
    ------
    ConfigError
        A malformed item, a symbol not in the portfolio, a return that is not a number above -1.
    """
    out: dict[str, float] = {}
    for symbol, value in _pairs(items, "--shock", "AAPL=-0.20"):
        if symbol not in symbols:
            raise ConfigError(
                "--shock names a symbol the portfolio does not hold or target",
                got=symbol,
                fix=f"use one of {', '.join(symbols)}",
                where=SourceRef("--shock", key=symbol),
            )
        out[symbol] = _number(symbol, value, "--shock", low=-1.0)
    return out


def _nonnegative(key: str, value: Any) -> float:
    number = _number(key, value, "--set")
    if number < 0:
        raise ConfigError(
            f"--set {key} must be 0 or more",
            got=value,
            fix=f"e.g. {key}=2",
            where=SourceRef("--set", key=key),
        )
    return number


def _decimal(key: str, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise ConfigError(
            f"--set {key} must be a number of dollars, 0 or more",
            got=value,
            fix=f"e.g. {key}=0.005",
            where=SourceRef("--set", key=key),
        )
    return amount


def apply_settings(
    costs: CostSettings, tax: TaxSettings, settings: Mapping[str, Any]
) -> tuple[CostSettings, TaxSettings]:
    """The costs and tax sections with the ``costs.*`` and ``tax.*`` settings applied (others ignored)."""
    cost_changes: dict[str, Any] = {}
    impact = costs.impact
    for key, value in settings.items():
        if key in ("costs.commission_per_share", "costs.commission_per_trade", "costs.min_trade_value"):
            cost_changes[key.split(".", 1)[1]] = _decimal(key, value)
        elif key == "costs.half_spread_bps":
            cost_changes["half_spread_bps"] = _nonnegative(key, value)
        elif key in ("costs.impact.b", "costs.impact.alpha"):
            field_name = key.rsplit(".", 1)[1]
            number = _number(key, value, "--set")
            base = impact or ImpactSettings()
            try:
                impact = dataclasses.replace(base, **{field_name: number})
            except ConfigError as err:
                raise ConfigError(
                    err.problem, got=number, fix=err.fix, where=SourceRef("--set", key=key)
                ) from None
            cost_changes["impact"] = impact
    tax_changes: dict[str, Any] = {
        key.split(".", 1)[1]: _number(key, value, "--set")
        for key, value in settings.items()
        if key in TAX_KEYS
    }
    try:
        return dataclasses.replace(costs, **cost_changes), dataclasses.replace(tax, **tax_changes)
    except ConfigError as err:
        raise ConfigError(err.problem, got=err.got, fix=err.fix, where=SourceRef("--set")) from None


# -------------------------------------------------------------------------------------------------- running
def _shocked_job(job: Job, costs: CostSettings, tax: TaxSettings, shocks: Mapping[str, float]) -> Job:
    portfolio = job.portfolio
    if costs != portfolio.costs or tax != portfolio.tax:
        portfolio = dataclasses.replace(portfolio, costs=costs, tax=tax)
    prices = {
        s: (p * (Decimal(1) + Decimal(repr(shocks[s]))) if s in shocks else p) for s, p in job.prices.items()
    }
    changed = Job(portfolio=portfolio, symbols=job.symbols, prices=prices)
    changed.__dict__["covariance"] = job.covariance  # estimates are those of the base case (cached_property)
    return changed


def _base_spec(job: Job, policy: str | None) -> tuple[PolicySpec, SourceRef | None]:
    if policy:
        return _option_spec(policy)
    return job.portfolio.policy, job.portfolio.policy_ref


def _option_spec(policy: str) -> tuple[PolicySpec, SourceRef]:
    """The spec of a ``--policy KIND[:ARG]`` option, parsed but not built (building needs the job's lots)."""
    where = SourceRef("--policy", key="policy")
    return policy_spec(policy, where=where), where


@dataclass(frozen=True)
class Scenario:
    """One decided case: the main job's result and, for the optimizer, its sensitivity."""

    result: RebalanceResult
    sensitivity: Any = None

    def summary(self) -> dict[str, Any]:
        """Decision, trades by symbol (net over accounts), tracking error, cost, tax, turnover."""
        r = self.result
        plan = r.plan
        return {
            "policy": r.decision.policy,
            "decision": r.decision.action,
            "reasons": list(r.decision.reasons),
            "trades": _trades_by_symbol(r),
            "tracking_error_before": round(r.before.tracking_error, 6),
            "tracking_error_after": round(r.after.tracking_error, 6),
            "transaction_cost": str(money(plan.transaction_cost)) if plan else "0.00",
            "estimated_tax": str(money(plan.estimated_tax)) if plan else "0.00",
            "turnover": round(plan.turnover, 6) if plan else 0.0,
            "value": str(money(r.before.value)),
        }


def _trades_by_symbol(result: RebalanceResult) -> dict[str, dict[str, str]]:
    net: dict[str, tuple[Decimal, Decimal]] = {}
    for t in result.plan.trades if result.plan else ():
        sign = Decimal(1) if str(t.side) == "buy" else Decimal(-1)
        q, v = net.get(t.symbol, (Decimal(0), Decimal(0)))
        net[t.symbol] = (q + sign * t.quantity, v + sign * t.value)
    return {s: {"quantity": _plain(q), "value": str(money(v))} for s, (q, v) in net.items() if q != 0}


def _plain(x: Decimal) -> str:
    return format(x.normalize(), "f") if x == x.to_integral_value() else format(x, "f")


def _describe_trade(q: Decimal) -> str:
    if q == 0:
        return "no trade"
    return f"{'buy' if q > 0 else 'sell'} {_plain(abs(q))} shares"


def _differences(base: dict[str, Any], changed: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if base["decision"] != changed["decision"]:
        out.append(f"decision: {base['decision']} -> {changed['decision']}")
    symbols = list(dict.fromkeys([*base["trades"], *changed["trades"]]))
    for s in symbols:
        qb = Decimal(base["trades"].get(s, {"quantity": "0"})["quantity"])
        qc = Decimal(changed["trades"].get(s, {"quantity": "0"})["quantity"])
        if qb != qc:
            out.append(f"{s}: {_describe_trade(qb)} -> {_describe_trade(qc)}")
    formats: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
        ("tracking_error_before", "tracking error before trading", lambda x: f"{100 * float(x):.3f} %"),
        ("tracking_error_after", "tracking error after trading", lambda x: f"{100 * float(x):.3f} %"),
        ("transaction_cost", "trading cost", lambda x: f"${Decimal(x):,}"),
        ("estimated_tax", "estimated tax", lambda x: f"${Decimal(x):,}"),
        ("turnover", "turnover", lambda x: f"{100 * float(x):.2f} %"),
    )
    for key, label, fmt in formats:
        if fmt(base[key]) != fmt(changed[key]):
            out.append(f"{label}: {fmt(base[key])} -> {fmt(changed[key])}")
    if base["policy"] != changed["policy"]:
        out.append(f"policy: {base['policy']} -> {changed['policy']}")
    return out or ["no difference"]


@dataclass(frozen=True)
class WhatIf:
    """Base and changed cases of one portfolio and what differs between them."""

    path: str
    settings: Mapping[str, Any]
    shocks: Mapping[str, float]
    base: Scenario
    changed: Scenario
    notes: tuple[str, ...] = field(default=())

    @property
    def differences(self) -> list[str]:
        """Plain sentences, one per difference (``["no difference"]`` when there is none)."""
        return _differences(self.base.summary(), self.changed.summary())

    def to_json(self) -> dict[str, Any]:
        """The documented JSON document of ``trimtab whatif --json``."""
        doc: dict[str, Any] = {
            "portfolio": self.path,
            "as_of": self.base.result.portfolio.as_of.date().isoformat(),
            "changes": {
                "settings": {k: str(v) for k, v in self.settings.items()},
                "shocks": dict(self.shocks),
            },
            "base": self.base.summary(),
            "changed": self.changed.summary(),
            "differences": self.differences,
        }
        if self.base.sensitivity is not None or self.changed.sensitivity is not None:
            doc["sensitivity"] = {
                "base": None if self.base.sensitivity is None else self.base.sensitivity.to_json(),
                "changed": None if self.changed.sensitivity is None else self.changed.sensitivity.to_json(),
            }
        doc["notes"] = list(self.notes)
        return doc


def _is_optimizer(policy: Policy) -> bool:
    return type(policy).__name__ == "ConvexRebalancer" and hasattr(policy, "problem_data")


def _problem_data(job: Job, policy: Any) -> Any:
    before = view_portfolio(job)
    ctx = decision_context(job, before, CostModel.from_settings(job.portfolio.costs), job.volatility())
    return policy.problem_data(ctx)


def _sensitivity(job: Job, policy: Policy, step: float) -> Any:
    if not _is_optimizer(policy):
        return None
    from trimtab.analysis.frontier import TradeoffProblem
    from trimtab.analysis.sensitivity import sensitivity

    rebalancer: Any = policy
    data = _problem_data(job, rebalancer)
    problem = TradeoffProblem(rebalancer.objective, rebalancer.constraints, data, solvers=rebalancer.solvers)
    return sensitivity(problem, data, step=step)


def run_whatif(
    path: str | Path,
    *,
    settings: Iterable[str] | Mapping[str, Any] = (),
    shocks: Iterable[str] | Mapping[str, Any] = (),
    policy: str | None = None,
    with_sensitivity: bool = True,
    step: float = 0.05,
) -> WhatIf:
    """Decide a portfolio as it is and with changes (see the module docstring).

    Parameters
    ----------
    path : str or Path
        Portfolio YAML file.
    settings : iterable of ``KEY=VALUE`` or mapping
        Changed policy, cost and tax parameters.
    shocks : iterable of ``SYMBOL=RETURN`` or mapping
        Price shocks at ``as_of``.
    policy : str, optional
        ``KIND[:ARG]`` instead of the file's policy (for both cases).
    with_sensitivity : bool
        Add dual values and multiplier derivatives (optimizer policies only).
    step : float
        Relative step of the finite differences.

    Raises
    ------
    ConfigError
        Bad ``--set`` or ``--shock`` input, or a changed value the policy rejects.
    """
    job = load_job(path)
    spec, where = _base_spec(job, policy)
    changes = parse_settings(settings, spec.kind)
    shock_map = parse_shocks(shocks, job.symbols)
    base_policy = build_job_policy(job, spec, where)
    policy_changes = {k: v for k, v in changes.items() if k not in COST_KEYS and k not in TAX_KEYS}
    costs, tax = apply_settings(job.portfolio.costs, job.portfolio.tax, changes)
    changed_job = _shocked_job(job, costs, tax, shock_map)
    changed_spec = PolicySpec(spec.kind, {**spec.params, **policy_changes})
    if (
        "costs" in spec.params and costs != job.portfolio.costs
    ):  # an explicit costs key follows the --set costs
        changed_spec = PolicySpec(spec.kind, {**changed_spec.params, "costs": costs})
    changed_policy = build_job_policy(changed_job, changed_spec, SourceRef("--set", key="policy"))
    base = Scenario(
        decide_and_plan(job, base_policy), _sensitivity(job, base_policy, step) if with_sensitivity else None
    )
    changed = Scenario(
        decide_and_plan(changed_job, changed_policy),
        _sensitivity(changed_job, changed_policy, step) if with_sensitivity else None,
    )
    notes = []
    if shock_map:
        notes.append(
            "price shocks revalue holdings and size trades at the shocked prices; risk and volatility "
            "estimates are those of the base case"
        )
    if with_sensitivity and base.sensitivity is None:
        notes.append(
            "sensitivity (dual values, derivatives in the multipliers) is given for optimizer policies only"
        )
    return WhatIf(str(path), changes, shock_map, base, changed, tuple(notes))


def optimizer_data(path: str | Path, policy: str | None = None) -> tuple[Any, Any, list[str], str]:
    """The optimizer policy of a portfolio file and its problem data at ``as_of``.

    Uses ``policy`` (``optimizer...``) when given, else the file's policy when it is an optimizer, else
    ``optimizer`` with default parameters and the file's costs (said in the returned notes).

    Returns
    -------
    (ConvexRebalancer, ProblemData, notes, as_of as ISO text)

    Raises
    ------
    ConfigError
        When ``policy`` names another kind.
    """
    job = load_job(path)
    notes: list[str] = []
    if policy:
        spec, where = _option_spec(policy)
    elif job.portfolio.policy.kind == "optimizer":
        spec, where = job.portfolio.policy, job.portfolio.policy_ref
    else:
        spec, where = PolicySpec("optimizer", {}), None
        notes.append(
            f"the file's policy is {job.portfolio.policy.kind}; using the optimizer with default "
            "parameters and the file's costs"
        )
    chosen = build_job_policy(job, spec, where)
    if not _is_optimizer(chosen):
        raise ConfigError(
            "this command needs the optimizer policy",
            got=spec.kind,
            fix="use --policy optimizer (optionally optimizer:tc_weight=2,...)",
            where=SourceRef("--policy"),
        )
    return chosen, _problem_data(job, chosen), notes, job.portfolio.as_of.date().isoformat()
