"""Rebalancing policies: a policy reads a point-in-time :class:`DecisionContext`, returns a :class:`Decision`.

Rule policies (:mod:`trimtab.policies.rules`) are built from triggers (:mod:`trimtab.policies.triggers`)
and moves; :mod:`trimtab.policies.registry` builds them by kind name from the portfolio file or the CLI.
"""

from trimtab.policies.base import Action, CostEstimate, Decision, DecisionContext, Policy
from trimtab.policies.registry import (
    PolicyKind,
    PolicyParams,
    build_policy,
    parse_policy_option,
    policy_kind,
    policy_kinds,
    policy_spec,
    register_policy,
)
from trimtab.policies.rules import (
    CostGated,
    Move,
    Proposal,
    RuleRebalance,
    ToBandEdge,
    ToTarget,
    calendar,
    cost_gated,
    five_25,
    never,
    relative,
    threshold,
    tracking_error,
)
from trimtab.policies.triggers import (
    AllOf,
    AnyOf,
    Calendar,
    DriftExceeds,
    EveryCheck,
    Never,
    Not,
    Trigger,
    TriggerResult,
)

__all__ = [
    "Action",
    "AllOf",
    "AnyOf",
    "Calendar",
    "CostEstimate",
    "CostGated",
    "Decision",
    "DecisionContext",
    "DriftExceeds",
    "EveryCheck",
    "Move",
    "Never",
    "Not",
    "Policy",
    "PolicyKind",
    "PolicyParams",
    "Proposal",
    "RuleRebalance",
    "ToBandEdge",
    "ToTarget",
    "Trigger",
    "TriggerResult",
    "build_policy",
    "calendar",
    "cost_gated",
    "five_25",
    "never",
    "parse_policy_option",
    "policy_kind",
    "policy_kinds",
    "policy_spec",
    "register_policy",
    "relative",
    "threshold",
    "tracking_error",
]
