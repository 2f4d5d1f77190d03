"""The main job: portfolio file -> drift -> policy decision -> trades -> before/after report.

This is the one place that wires data, estimates, policies and trades for a single decision; the CLI,
the execution workflow and the demo all call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from trimtab.analytics.drift import Holdings, drift
from trimtab.analytics.risk import tracking_error
from trimtab.data.portfolio_file import PortfolioFile, load_portfolio
from trimtab.domain.household import Household
from trimtab.domain.lots import Term
from trimtab.domain.settings import PolicySpec
from trimtab.domain.targets import CASH
from trimtab.errors import SourceRef
from trimtab.estimates.base import CovarianceEstimate
from trimtab.estimates.covariance import estimate_covariance
from trimtab.models.costs import CostModel
from trimtab.models.tax import TaxInputs
from trimtab.policies.base import CostEstimate, Decision, DecisionContext, Policy
from trimtab.policies.registry import build_policy, parse_policy_option, policy_kind
from trimtab.tax.rules import TaxRates
from trimtab.trades.plan import TradePlan
from trimtab.trades.planner import plan_trades
from trimtab.typing import FloatArray
from trimtab.units import money

__all__ = [
    "PortfolioView",
    "RebalanceResult",
    "build_job_policy",
    "decide_and_plan",
    "load_job",
    "plan_rebalance",
    "view_portfolio",
]

#: Trailing periods used for the covariance and per-asset volatility (three years of daily data).
RISK_LOOKBACK = 756
#: Trailing periods used for per-period volatility in impact costs.
VOLATILITY_LOOKBACK = 60


@dataclass(frozen=True)
class PortfolioView:
    """Valuation and risk of a household at the portfolio file's ``as_of``.

    ``weights`` and ``targets`` map symbols and ``"CASH"`` to fractions of ``value`` (dollars, cash included);
    ``tracking_error`` is annualised; ``te_contributions`` are per-symbol Euler contributions summing to it.
    ``account_weights`` are each account's own weights (of that account's value, cash included).
    """

    value: Decimal
    weights: dict[str, float]
    targets: dict[str, float]
    drift: dict[str, float]
    relative_drift: dict[str, float | None]
    tracking_error: float
    te_contributions: dict[str, float]
    cash: dict[str, Decimal]
    account_values: dict[str, Decimal]
    account_weights: dict[str, dict[str, float]]


@dataclass(frozen=True)
class RebalanceResult:
    """Everything one decision produced (the JSON document of ``trimtab rebalance --json``)."""

    portfolio: PortfolioFile
    policy: Policy
    decision: Decision
    plan: TradePlan | None
    before: PortfolioView
    after: PortfolioView

    def to_json(self) -> dict[str, Any]:
        """The documented JSON document: money and quantities as decimal strings, weights as numbers."""
        return _result_json(self)


@dataclass
class Job:
    """A loaded portfolio with its universe and lazily estimated risk."""

    portfolio: PortfolioFile
    symbols: tuple[str, ...]
    prices: dict[str, Decimal]

    @cached_property
    def covariance(self) -> CovarianceEstimate:
        """Annualised covariance of the universe, estimated point in time at ``as_of`` (computed once)."""
        snapshot = self.portfolio.market.snapshot(self.portfolio.as_of)
        return estimate_covariance(snapshot, self.symbols, lookback=RISK_LOOKBACK)

    def volatility(self) -> dict[str, float]:
        """Per-period volatility of each symbol over the trailing window (for impact costs)."""
        rets = self.portfolio.market.snapshot(self.portfolio.as_of).returns(list(self.symbols),
                                                                            lookback=VOLATILITY_LOOKBACK)
        return {s: float(np.nanstd(rets[s].to_numpy(), ddof=1)) if rets[s].notna().sum() > 2 else 0.0
                for s in self.symbols}


def load_job(path: str | Path) -> Job:
    """Load and validate a portfolio file and fix its universe (targets first, then other holdings)."""
    portfolio = load_portfolio(path)
    symbols = tuple(dict.fromkeys([*portfolio.targets.symbols, *portfolio.household.symbols]))
    return Job(portfolio=portfolio, symbols=symbols, prices=portfolio.prices_at_as_of())


def resolve_policy(job: Job, option: str | None = None) -> Policy:
    """The policy of the file, or the one given on the command line as ``KIND[:ARG]``.

    A kind that accepts a ``costs`` key (the optimizer prices trades itself) gets the portfolio file's
    ``costs:`` section unless its own spec sets one.
    """
    # Parse only: the spec is built below, once the file's costs and tax lots have been added to it.
    spec = parse_policy_option(option, check=False) if option else job.portfolio.policy
    where = None if option else job.portfolio.policy_ref
    return build_job_policy(job, spec, where)


def build_job_policy(job: Job, spec: PolicySpec, where: SourceRef | None = None) -> Policy:
    """Build ``spec`` for ``job``: kinds that accept ``costs`` get the file's ``costs:`` unless ``spec`` sets one."""
    if "costs" in policy_kind(spec.kind).keys and "costs" not in spec.params:
        spec = PolicySpec(spec.kind, {**spec.params, "costs": job.portfolio.costs})
    # Tax engine (issue 5, additive): a kind that accepts ``tax_context`` (the optimizer's tax term and
    # realized-gain budget) gets the household's taxable lots, sheltered shares and the file's ``tax:`` rates
    # and relief method at ``as_of``.
    if "tax_context" in policy_kind(spec.kind).keys and "tax_context" not in spec.params:
        spec = PolicySpec(spec.kind, {**spec.params, "tax_context": _tax_context(job)})
    return build_policy(spec, where=where)


def _tax_context(job: Job) -> TaxInputs:
    """The household's tax position for the optimizer's tax term (``trimtab.models.tax``)."""
    pf = job.portfolio
    return TaxInputs.from_household(pf.household, TaxRates.from_settings(pf.tax), sold=pf.as_of.date(),
                                    relief=pf.tax.relief_method)


def view_portfolio(job: Job, household: Household | None = None) -> PortfolioView:
    """Weights, drift and tracking error of ``household`` (default: the file's) at the job's prices."""
    household = household or job.portfolio.household
    holdings = Holdings.from_household(household, job.prices)
    weights = holdings.household_weights(list(job.symbols))
    targets = {s: job.portfolio.targets.weight(s) for s in job.symbols}
    targets[CASH] = job.portfolio.targets.cash_weight
    report = drift(weights, targets)
    active = np.array([weights.get(s, 0.0) - targets[s] for s in job.symbols])
    te = tracking_error(active, job.covariance.matrix)
    return PortfolioView(
        value=holdings.value,
        weights=weights,
        targets=targets,
        drift={s: float(weights.get(s, 0.0) - targets[s]) for s in (*job.symbols, CASH)},
        relative_drift={s: report.relative.get(s) for s in job.symbols},
        tracking_error=float(te.value),
        te_contributions={s: float(c) for s, c in zip(job.symbols, te.contributions, strict=True)},
        cash={a.id: a.cash for a in household.accounts},
        account_values={a.id: holdings.account_value(a.id) for a in household.accounts},
        account_weights={a.id: holdings.account_weights(a.id, list(job.symbols)) if holdings.account_value(a.id) > 0
                         else {} for a in household.accounts},
    )


def _plan(job: Job, target_weights: Mapping[str, float], cost_model: CostModel,
          sigma: Mapping[str, float]) -> TradePlan:
    pf = job.portfolio
    return plan_trades(pf.household, job.prices, target_weights, as_of=pf.as_of.date(),
                       costs=pf.costs, trading=pf.trading, tax=pf.tax, cost_model=cost_model,
                       sigma=sigma, volume=None)


def decision_context(job: Job, before: PortfolioView, cost_model: CostModel,
                     sigma: Mapping[str, float]) -> DecisionContext:
    """The point-in-time context a policy decides on."""
    pf = job.portfolio

    def cost_of(weights: Mapping[str, float]) -> CostEstimate:
        plan = _plan(job, weights, cost_model, sigma)
        return CostEstimate(trading_cost=float(plan.transaction_cost), tax=float(plan.estimated_tax))

    def covariance() -> FloatArray:
        return job.covariance.matrix

    return DecisionContext(
        as_of=pf.as_of,
        symbols=job.symbols,
        weights=np.array([before.weights.get(s, 0.0) for s in job.symbols]),
        cash_weight=before.weights.get(CASH, 0.0),
        target=np.array([before.targets[s] for s in job.symbols]),
        target_cash=before.targets[CASH],
        value=float(before.value),
        snapshot=pf.market.snapshot(pf.as_of),
        covariance=covariance,
        cost_of=cost_of,
    )


def plan_rebalance(path: str | Path, policy: str | None = None) -> RebalanceResult:
    """Run the main job on a portfolio file: decide with its policy (or ``policy``) and plan the trades."""
    job = load_job(path)
    return decide_and_plan(job, resolve_policy(job, policy))


def decide_and_plan(job: Job, chosen: Policy) -> RebalanceResult:
    """Decide with ``chosen`` on a loaded job and plan the trades (the body of :func:`plan_rebalance`)."""
    before = view_portfolio(job)
    cost_model = CostModel.from_settings(job.portfolio.costs)
    sigma = job.volatility()
    decision = chosen.decide(decision_context(job, before, cost_model, sigma))
    plan = _plan(job, decision.target_weights, cost_model, sigma) if decision.trades else None
    after = view_portfolio(job, plan.after) if plan is not None else before
    return RebalanceResult(portfolio=job.portfolio, policy=chosen, decision=decision, plan=plan,
                           before=before, after=after)


def policy_from_spec(spec: PolicySpec) -> Policy:
    """Build a policy from a spec (for callers that already hold one)."""
    return build_policy(spec)


# -- JSON -------------------------------------------------------------------------------------------------
def _num(x: float, digits: int = 6) -> float:
    return float(round(x, digits))


def _dec(x: Decimal) -> str:
    return format(x.normalize(), "f") if x == x.to_integral_value() else format(x, "f")


def _result_json(result: RebalanceResult) -> dict[str, Any]:
    plan = result.plan
    trades = [] if plan is None else [
        {
            "account": t.account, "symbol": t.symbol, "side": str(t.side), "quantity": _dec(t.quantity),
            "price": str(money(t.price)), "value": str(money(t.value)), "estimated_cost": str(money(t.estimated_cost)),
            "lots": [{"acquired": r.acquired.isoformat(), "quantity": _dec(r.quantity),
                      "cost_basis": str(money(r.cost_basis)), "realized_gain": str(money(r.realized_gain)),
                      "term": str(r.term)} for r in t.lots],
        }
        for t in plan.trades
    ]
    zero = Decimal("0")
    totals = {
        "turnover": _num(plan.turnover if plan else 0.0),
        "transaction_cost": str(money(plan.transaction_cost if plan else zero)),
        "realized_gain_short": str(money(plan.realized_short if plan else zero)),
        "realized_gain_long": str(money(plan.realized_long if plan else zero)),
        "estimated_tax": str(money(plan.estimated_tax if plan else zero)),
    }
    b, a = result.before, result.after
    return {
        "as_of": result.portfolio.as_of.date().isoformat(),
        "policy": result.decision.policy,
        "decision": result.decision.action,
        "reasons": list(result.decision.reasons),
        "before": {"value": str(money(b.value)), "weights": {k: _num(v) for k, v in b.weights.items()},
                   "drift": {k: _num(v) for k, v in b.drift.items()}, "tracking_error": _num(b.tracking_error)},
        "after": {"value": str(money(a.value)), "weights": {k: _num(v) for k, v in a.weights.items()},
                  "tracking_error": _num(a.tracking_error),
                  "cash": {k: str(money(v)) for k, v in a.cash.items()}},
        "trades": trades,
        "totals": totals,
        "notes": list(plan.notes) if plan else [],
        # A policy that could not decide (solver failure, infeasible constraints) records what failed and what
        # it did instead; null when the policy decided normally.
        "fallback": dict(result.decision.details["fallback"]) if "fallback" in result.decision.details else None,
    }


def term_totals(plan: TradePlan) -> dict[Term, Decimal]:
    """Realized gains by term (taxable accounts only)."""
    return {Term.SHORT: plan.realized_short, Term.LONG: plan.realized_long}
