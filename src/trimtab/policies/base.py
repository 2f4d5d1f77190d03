"""The policy protocol: a policy looks at a point-in-time context and returns a decision."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from trimtab.data.snapshot import MarketSnapshot
from trimtab.domain.household import Household
from trimtab.typing import FloatArray

__all__ = ["Action", "CostEstimate", "Decision", "DecisionContext", "Policy"]

Action = Literal["hold", "rebalance", "partial"]


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Estimated cost of moving to some weights, in dollars."""

    trading_cost: float
    tax: float

    @property
    def total(self) -> float:
        """Trading cost plus tax, dollars."""
        return self.trading_cost + self.tax


@dataclass(frozen=True, eq=False)
class DecisionContext:
    """Everything a policy may look at, as of one date.

    Parameters
    ----------
    as_of : pandas.Timestamp
        Decision date.
    symbols : tuple of str of length n
        The universe (targets and holdings), cash excluded.
    weights : ndarray of shape (n,)
        Current household weights (fractions of total value ``value``, cash included in the total).
    cash_weight : float
        Current weight of cash.
    target : ndarray of shape (n,)
        Target weights; ``target_cash`` the cash target. ``weights.sum() + cash_weight == 1``.
    target_cash : float
    value : float
        Household value in dollars, cash included.
    snapshot : MarketSnapshot
        Market data up to ``as_of`` (read-only).
    covariance : callable returning ndarray of shape (n, n), optional
        Annualised covariance of the symbols' returns (lazy: estimated only when a policy asks).
    cost_of : callable, optional
        ``cost_of(weights: dict[str, float]) -> CostEstimate``: estimated trading cost and tax (dollars) of
        moving the household to ``weights`` (symbols plus ``"CASH"``).
    last_rebalance : pandas.Timestamp, optional
        Date of the last trade, when known.
    household : Household, optional
        The household as of ``as_of`` (accounts, cash and tax lots, before trading at ``as_of``), when the
        caller has it: the backtester passes its point-in-time household so that tax-aware policies (the
        optimizer's tax term) can price the sale of each lot. ``None`` otherwise.
    explain : bool
        Whether the caller shows the decision's reasons (default ``True``). A backtest records only the
        action, the weights and any fallback, so it passes ``False`` and a policy may skip building its
        explanations (the optimizer's term contributions and binding constraints cost more than its solve);
        the action and weights must not depend on it.
    """

    as_of: pd.Timestamp
    symbols: tuple[str, ...]
    weights: FloatArray
    cash_weight: float
    target: FloatArray
    target_cash: float
    value: float
    snapshot: MarketSnapshot
    covariance: Callable[[], FloatArray] | None = None
    cost_of: Callable[[Mapping[str, float]], CostEstimate] | None = None
    last_rebalance: pd.Timestamp | None = None
    household: Household | None = None
    explain: bool = True

    @property
    def drift(self) -> FloatArray:
        """``weights - target`` per symbol (fractions of value)."""
        return np.asarray(self.weights - self.target, dtype=float)

    def as_weights(self, w: FloatArray, cash: float | None = None) -> dict[str, float]:
        """A weights mapping (symbols plus ``"CASH"``) from a vector; cash defaults to ``1 - w.sum()``."""
        out = {s: float(x) for s, x in zip(self.symbols, w, strict=True)}
        out["CASH"] = float(1.0 - float(np.sum(w))) if cash is None else float(cash)
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """What a policy decided.

    ``action``: ``hold`` (no trades), ``rebalance`` (to ``target_weights``) or ``partial`` (part of the way,
    e.g. back to a band edge). ``target_weights`` maps symbols and ``"CASH"`` to the weights to trade to
    (the current weights for ``hold``). ``reasons`` are plain sentences; ``details`` holds the numbers.
    """

    action: Action
    target_weights: Mapping[str, float]
    reasons: tuple[str, ...]
    policy: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def trades(self) -> bool:
        """Whether the decision asks for trades."""
        return self.action != "hold"


@runtime_checkable
class Policy(Protocol):
    """A rebalancing policy.

    ``describe()`` returns the policy as a short call-like text (``threshold(band=0.05)``), shown in reports
    and JSON. ``decide`` must use nothing after ``ctx.as_of`` and must be deterministic.
    """

    def describe(self) -> str:
        """Short text naming the kind and non-default parameters."""
        ...

    def decide(self, ctx: DecisionContext) -> Decision:
        """Decide at ``ctx.as_of``."""
        ...
