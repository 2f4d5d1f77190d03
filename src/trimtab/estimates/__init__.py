"""Risk estimates: annualised covariance of simple returns, dense or in factor form.

Estimators follow scikit-learn (the constructor stores keyword parameters; ``fit`` validates):
:class:`SampleCovariance`, :class:`LedoitWolfCovariance`, :class:`EwmaCovariance` and
:class:`StatisticalFactorModel` (PCA on any of them). Each ``fit(returns, periods_per_year)`` returns a
:class:`CovarianceEstimate`. :func:`estimate_covariance` estimates from a point-in-time
:class:`~trimtab.data.snapshot.MarketSnapshot`; :func:`build_estimator` builds one from configuration.
Formulas and conventions: ``docs/risk.md``.
"""

from trimtab.estimates.base import CovarianceEstimate, CovarianceEstimator
from trimtab.estimates.covariance import (
    DEFAULT_LOOKBACK,
    ESTIMATOR_KINDS,
    EwmaCovariance,
    LedoitWolfCovariance,
    SampleCovariance,
    build_estimator,
    estimate_covariance,
)
from trimtab.estimates.factor import FactorModel, StatisticalFactorModel, pca_factor_model

__all__ = [
    "DEFAULT_LOOKBACK",
    "ESTIMATOR_KINDS",
    "CovarianceEstimate",
    "CovarianceEstimator",
    "EwmaCovariance",
    "FactorModel",
    "LedoitWolfCovariance",
    "SampleCovariance",
    "StatisticalFactorModel",
    "build_estimator",
    "estimate_covariance",
    "pca_factor_model",
]
