"""Point-in-time market signals: turbulence, absorption ratio, calm/crisis regimes and trend.

Every signal at row ``t`` is computed from rows ``<= t`` only (trailing windows; the regime model is fitted
on data up to its fitting date and read with the forward filter), so a decision at ``t`` never sees later
data. ``tests/signals`` perturbs the data after ``t`` and checks that nothing up to ``t`` changes.

* :mod:`~trimtab.signals.turbulence`: Mahalanobis distance of a period's returns from their trailing
  history (Kritzman & Li 2010).
* :mod:`~trimtab.signals.absorption`: share of variance in the top principal components (Kritzman, Li,
  Page & Rigobon 2011).
* :mod:`~trimtab.signals.regime`: a two-state Gaussian hidden-Markov model (hmmlearn), calm and crisis.
* :mod:`~trimtab.signals.trend`: moving-average and 12-minus-1-month momentum.
"""

from trimtab.signals.absorption import absorption_ratio, absorption_ratio_series, absorption_shift
from trimtab.signals.regime import (
    RegimeDetector,
    RegimeFit,
    RegimeReading,
    expected_durations,
    filtered_probabilities,
    fit_regimes,
    stationary_distribution,
)
from trimtab.signals.trend import (
    TREND_KINDS,
    TrendSignal,
    momentum_12_1,
    moving_average_trend,
)
from trimtab.signals.turbulence import (
    chi2_percentile,
    turbulence,
    turbulence_at,
    turbulence_in_sample,
)

__all__ = [
    "TREND_KINDS",
    "RegimeDetector",
    "RegimeFit",
    "RegimeReading",
    "TrendSignal",
    "absorption_ratio",
    "absorption_ratio_series",
    "absorption_shift",
    "chi2_percentile",
    "expected_durations",
    "filtered_probabilities",
    "fit_regimes",
    "momentum_12_1",
    "moving_average_trend",
    "stationary_distribution",
    "turbulence",
    "turbulence_at",
    "turbulence_in_sample",
]
