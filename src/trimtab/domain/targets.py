"""Target allocation of a household."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from trimtab.errors import TargetError

__all__ = ["CASH", "WEIGHT_SUM_TOLERANCE", "TargetAllocation"]

#: The symbol that names cash in targets and weights.
CASH = "CASH"
#: Target weights must sum to 1 within this.
WEIGHT_SUM_TOLERANCE = 1e-6


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType({str(k): float(v) for k, v in mapping.items()})


@dataclass(frozen=True, slots=True)
class TargetAllocation:
    """Household-level target weights by symbol, ``CASH`` included when cash is a target.

    Weights are fractions of total household value (cash included), each in [0, 1], summing to 1 within
    1e-6. ``per_account`` optionally pins targets inside single accounts (weights of that account's value).
    """

    weights: Mapping[str, float]
    per_account: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _frozen(self.weights))
        object.__setattr__(self, "per_account",
                           MappingProxyType({a: _frozen(w) for a, w in self.per_account.items()}))
        _check_weights(self.weights, "targets")
        for account, weights in self.per_account.items():
            _check_weights(weights, f"targets.per_account.{account}")

    @property
    def symbols(self) -> tuple[str, ...]:
        """Non-cash symbols with a target, in file order."""
        return tuple(s for s in self.weights if s != CASH)

    @property
    def cash_weight(self) -> float:
        """Target weight of cash (0 when cash is not a target)."""
        return self.weights.get(CASH, 0.0)

    def weight(self, symbol: str) -> float:
        """Target weight of ``symbol`` (0 for symbols without a target)."""
        return self.weights.get(symbol, 0.0)


def _check_weights(weights: Mapping[str, float], key: str) -> None:
    if not weights:
        raise TargetError(f"{key}: no target weights", fix="give at least one symbol with a weight")
    for symbol, weight in weights.items():
        if not math.isfinite(weight) or weight < 0 or weight > 1:
            raise TargetError(f"{key}.{symbol}: weight must be between 0 and 1", got=weight,
                              fix="weights are fractions of the household value, e.g. 0.10 for 10 %")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise TargetError(f"{key}: weights sum to {total:.6f}, not 1", got=round(total, 9),
                          fix="make the weights add up to 1 (add CASH for a cash target)")
