"""Analytics on current holdings: valuation and weights, drift from targets, tracking error.

:class:`Holdings` values a household at prices; :func:`drift` compares weights with targets;
:func:`tracking_error` gives ``sqrt(d' Sigma d)`` with per-asset contributions; :func:`diversification_return`
is the extra log growth of a rebalanced portfolio. Formulas and conventions: ``docs/risk.md``.
"""

from trimtab.analytics.drift import BAND_TOLERANCE, DriftReport, Holdings, SymbolDrift, drift
from trimtab.analytics.risk import (
    TrackingErrorReport,
    diversification_return,
    tracking_error,
    tracking_error_to_target,
)

__all__ = [
    "BAND_TOLERANCE",
    "DriftReport",
    "Holdings",
    "SymbolDrift",
    "TrackingErrorReport",
    "diversification_return",
    "drift",
    "tracking_error",
    "tracking_error_to_target",
]
