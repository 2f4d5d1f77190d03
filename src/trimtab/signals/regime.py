"""Calm and crisis regimes from a two-state Gaussian hidden-Markov model (hmmlearn), point in time.

Model: a hidden state ``s_t`` in {calm, crisis} follows a Markov chain with transition matrix ``P``
(``P[i, j] = Pr(s_{t+1} = j | s_t = i)``); given the state, the observation (by default the log return of
the target portfolio per period) is normal with the state's mean and variance. States are ordered by
variance after fitting: state 0 is **calm** (lower variance), the last is **crisis**. Expected time in
state ``i`` is ``1 / (1 - P[i, i])`` periods and the long-run share of time is the stationary distribution
``pi`` with ``pi P = pi`` (KAT-33: ``p11 = 0.98``, ``p22 = 0.90`` give durations 50 and 10 periods,
shares 5/6 and 1/6, second eigenvalue 0.88).

Point in time: :class:`RegimeDetector` refits the model every ``refit_months`` on a trailing window of data
up to the refit date only, and reads the crisis probability at ``t`` with the **forward filter**
``Pr(s_t | x_1..x_t)`` (never the smoother, which would use later rows). Fits are cached by the refit row
and a fingerprint of the data fitted, so a backtest fits once per refit date.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from trimtab.data.snapshot import MarketSnapshot
from trimtab.errors import ConfigError, DataError
from trimtab.typing import FloatArray

__all__ = [
    "RegimeDetector",
    "RegimeFit",
    "RegimeReading",
    "continue_filter",
    "expected_durations",
    "filtered_probabilities",
    "fit_regimes",
    "stationary_distribution",
]


def expected_durations(transmat: FloatArray) -> FloatArray:
    """Expected periods spent in each state per visit, ``1 / (1 - P[i, i])``, shape (k,)."""
    p = np.asarray(transmat, dtype=float)
    stay = np.diag(p)
    with np.errstate(divide="ignore"):
        return np.where(stay < 1.0, 1.0 / (1.0 - stay), np.inf)


def stationary_distribution(transmat: FloatArray) -> FloatArray:
    """The distribution ``pi`` with ``pi P = pi``, ``sum(pi) = 1``, shape (k,) (left eigenvector for 1)."""
    p = np.asarray(transmat, dtype=float)
    k = p.shape[0]
    system = np.vstack([p.T - np.eye(k), np.ones((1, k))])
    rhs = np.concatenate([np.zeros(k), [1.0]])
    pi, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    return np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()


@dataclass(frozen=True, eq=False)
class RegimeFit:
    """A fitted Gaussian HMM with states ordered calm (0) to crisis (last).

    Parameters
    ----------
    startprob : ndarray of shape (k,)
    transmat : ndarray of shape (k, k)
        ``transmat[i, j] = Pr(next state j | state i)``.
    means : ndarray of shape (k, d)
        Observation mean per state (per period).
    covars : ndarray of shape (k, d, d)
        Observation covariance per state (per period).
    log_likelihood : float
        Of the fitted data.
    n_obs : int
        Observations fitted.
    """

    startprob: FloatArray
    transmat: FloatArray
    means: FloatArray
    covars: FloatArray
    log_likelihood: float
    n_obs: int

    @property
    def n_states(self) -> int:
        """Number of states ``k``."""
        return int(self.transmat.shape[0])

    @property
    def durations(self) -> FloatArray:
        """Expected periods per visit of each state, shape (k,)."""
        return expected_durations(self.transmat)

    @property
    def stationary(self) -> FloatArray:
        """Long-run share of time in each state, shape (k,)."""
        return stationary_distribution(self.transmat)

    @property
    def persistence(self) -> float:
        """Second-largest eigenvalue modulus of the transition matrix (``p11 + p22 - 1`` for two states)."""
        moduli = np.sort(np.abs(np.linalg.eigvals(self.transmat)))[::-1]
        return float(moduli[1]) if moduli.size > 1 else 0.0

    @property
    def volatilities(self) -> FloatArray:
        """Per-period standard deviation of the first observed variable in each state, shape (k,)."""
        return np.sqrt(self.covars[:, 0, 0])

    def log_densities(self, x: FloatArray) -> FloatArray:
        """``log N(x_t; mean_i, cov_i)`` of shape (T, k) for observations of shape (T, d)."""
        obs = _as_observations(x)
        out = np.empty((obs.shape[0], self.n_states))
        for i in range(self.n_states):
            cov = self.covars[i]
            sign, logdet = np.linalg.slogdet(cov)
            if sign <= 0:
                raise DataError("regime model: a state covariance is not positive definite")
            deviation = obs - self.means[i]
            solved = np.linalg.solve(cov, deviation.T).T
            out[:, i] = -0.5 * (
                obs.shape[1] * math.log(2.0 * math.pi) + logdet + np.einsum("ij,ij->i", deviation, solved)
            )
        return out


def _as_observations(x: FloatArray | pd.Series | pd.DataFrame) -> FloatArray:
    obs = np.asarray(x, dtype=float)
    if obs.ndim == 1:
        obs = obs[:, None]
    if obs.ndim != 2 or not np.all(np.isfinite(obs)):
        raise DataError(f"regime observations must be a finite (T, d) array; got shape {obs.shape}")
    return obs


def filtered_probabilities(fit: RegimeFit, x: FloatArray) -> FloatArray:
    """Forward-filter state probabilities ``Pr(s_t | x_1..x_t)``, shape (T, k): row ``t`` uses rows <= t.

    The filter starts from the fit's ``startprob`` at the first row of ``x``.
    """
    log_b = fit.log_densities(x)
    b = np.exp(log_b - log_b.max(axis=1, keepdims=True))  # scaled per row; normalized away below
    out = np.empty_like(b)
    alpha = fit.startprob * b[0]
    alpha = alpha / alpha.sum()
    out[0] = alpha
    p = fit.transmat
    for t in range(1, b.shape[0]):
        alpha = (alpha @ p) * b[t]
        alpha = alpha / alpha.sum()
        out[t] = alpha
    return out


def fit_regimes(
    x: FloatArray | pd.Series | pd.DataFrame,
    *,
    n_states: int = 2,
    seed: int = 0,
    n_iter: int = 200,
    tol: float = 1e-4,
    covariance_type: str = "full",
) -> RegimeFit:
    """Fit a Gaussian HMM by expectation-maximization (hmmlearn) and order its states by variance.

    Parameters
    ----------
    x : ndarray of shape (T,) or (T, d)
        Observations per period (e.g. log returns).
    n_states : int
        Hidden states (2: calm and crisis).
    seed : int
        Seed of the initialization (deterministic for a given seed).
    n_iter, tol : int, float
        EM iteration limit and log-likelihood tolerance.
    covariance_type : {'full', 'diag'}

    Raises
    ------
    DataError
        Too few observations, or the fit failed.
    """
    from hmmlearn.hmm import GaussianHMM

    obs = _as_observations(x)
    if obs.shape[0] < 10 * n_states:
        raise DataError(f"regime model: {obs.shape[0]} observations are too few for {n_states} states")
    # Scale to unit variance for the fit (EM is better conditioned); undone below.
    scale = obs.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    centre = obs.mean(axis=0)
    z = (obs - centre) / scale
    model = GaussianHMM(
        n_components=n_states,
        covariance_type=covariance_type,
        n_iter=n_iter,
        tol=tol,
        random_state=seed,
        min_covar=1e-6,
        init_params="stmc",
    )
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        try:
            model.fit(z)
            log_likelihood = float(model.score(z))
        except (ValueError, np.linalg.LinAlgError) as err:
            raise DataError(f"regime model: the HMM fit failed ({err})") from None
    covars = np.asarray(model.covars_, dtype=float)  # full (k, d, d) whatever the type
    order = np.argsort([np.trace(c) for c in covars])
    d_scale = np.outer(scale, scale)
    transmat = np.asarray(model.transmat_, dtype=float)[np.ix_(order, order)]
    transmat = transmat / transmat.sum(axis=1, keepdims=True)
    startprob = np.asarray(model.startprob_, dtype=float)[order]
    return RegimeFit(
        startprob=startprob / startprob.sum(),
        transmat=transmat,
        means=np.asarray(model.means_, dtype=float)[order] * scale + centre,
        covars=covars[order] * d_scale,
        log_likelihood=log_likelihood - obs.shape[0] * float(np.log(scale).sum()),
        n_obs=int(obs.shape[0]),
    )


@dataclass(frozen=True, slots=True)
class RegimeReading:
    """The regime at one date.

    ``crisis_probability`` is the filtered probability of the crisis state (NaN when there was not enough
    history to fit); ``fitted_from``/``fitted_to`` the first and last dates of the data fitted.
    """

    crisis_probability: float
    fitted_from: pd.Timestamp | None
    fitted_to: pd.Timestamp | None
    fit: RegimeFit | None

    @property
    def known(self) -> bool:
        """Whether a model was fitted (enough history)."""
        return self.fit is not None and math.isfinite(self.crisis_probability)


@dataclass(eq=False)
class RegimeDetector:
    """Point-in-time calm/crisis reader for a portfolio: refit periodically, filter daily.

    The observation is the log return per period of a fixed-weight portfolio of the symbols (the target
    weights, renormalized over the risky assets). At a date ``t`` (the snapshot's last row) the model in
    use was fitted at the latest refit row ``m <= t`` (rows whose index in the data is a multiple of
    ``refit_months`` of periods) on up to ``window_years`` of data ending at ``m``; the crisis probability
    is the forward filter run over the fitted window and on to ``t``.

    Parameters
    ----------
    min_history_years : float
        Years of returns needed before the first fit (no reading before: NaN).
    window_years : float
        Trailing years of data per fit.
    refit_months : float
        Months of data between refits.
    seed : int
        Seed of the HMM initialization.
    n_iter : int
        EM iterations per fit.
    """

    min_history_years: float = 2.0
    window_years: float = 10.0
    refit_months: float = 3.0
    seed: int = 0
    n_iter: int = 100
    _cache: dict[tuple[Any, ...], tuple[RegimeFit, FloatArray] | None] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        for name in ("min_history_years", "window_years", "refit_months"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"regime: {name} must be a positive number", got=value, fix="e.g. 2")
        if self.window_years < self.min_history_years:
            raise ConfigError(
                "regime: window_years must be at least min_history_years",
                got=self.window_years,
                fix=f"use {self.min_history_years:g} or more",
            )

    def describe(self) -> str:
        """Parameters as code."""
        return (
            f"RegimeDetector(min_history_years={self.min_history_years:g}, window_years={self.window_years:g}, "
            f"refit_months={self.refit_months:g})"
        )

    @staticmethod
    def portfolio_returns(
        snapshot: MarketSnapshot, symbols: tuple[str, ...], weights: FloatArray
    ) -> tuple[FloatArray, pd.DatetimeIndex]:
        """Log returns of the fixed-weight portfolio per period, shape (T - 1,), and their dates.

        Prices are carried forward over gaps; periods where an asset has no price yet count its return as 0.
        """
        columns = [snapshot.column(s) for s in symbols]
        prices = pd.DataFrame(np.asarray(snapshot.close[:, columns], dtype=float)).ffill().to_numpy()
        w = np.clip(np.asarray(weights, dtype=float), 0.0, None)
        w = w / w.sum() if w.sum() > 0 else np.full(len(columns), 1.0 / max(len(columns), 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            simple = prices[1:] / prices[:-1] - 1.0
        simple = np.where(np.isfinite(simple), simple, 0.0)
        return np.log1p(np.clip(simple @ w, -0.99, None)), snapshot.times[1:]

    def reading(
        self, snapshot: MarketSnapshot, symbols: tuple[str, ...], weights: FloatArray
    ) -> RegimeReading:
        """The crisis probability at the snapshot's date (see the class docstring)."""
        x, dates = self.portfolio_returns(snapshot, symbols, weights)
        ppy = float(snapshot.periods_per_year)
        need = max(20, round(self.min_history_years * ppy))
        t = x.shape[0] - 1
        if t + 1 < need:
            return RegimeReading(float("nan"), None, None, None)
        every = max(1, round(self.refit_months * ppy / 12.0))
        window = max(need, round(self.window_years * ppy))
        # refit rows counted in the snapshot's own rows (its first row is the data's first row)
        m = (t // every) * every
        if m + 1 < need:
            m = need - 1
        lo = max(0, m + 1 - window)
        fitted = x[lo : m + 1]
        key: tuple[Any, ...] = (
            tuple(symbols),
            tuple(np.round(np.asarray(weights, dtype=float), 12)),
            lo,
            m,
            ppy,
            hashlib.blake2b(fitted.tobytes(), digest_size=16).digest(),
        )
        if key not in self._cache:
            try:
                fit = fit_regimes(fitted, seed=self.seed, n_iter=self.n_iter)
                # the filter's state at the refit row, from which later rows continue
                self._cache[key] = (fit, filtered_probabilities(fit, fitted)[-1])
            except DataError:
                self._cache[key] = None
        cached = self._cache[key]
        if cached is None:
            return RegimeReading(float("nan"), dates[lo], dates[m], None)
        fit, alpha = cached
        probabilities = continue_filter(fit, alpha, x[m + 1 : t + 1])
        return RegimeReading(float(probabilities[-1]), dates[lo], dates[m], fit)


def continue_filter(fit: RegimeFit, alpha: FloatArray, x: FloatArray) -> FloatArray:
    """Run the forward filter on from state probabilities ``alpha`` of shape (k,) over rows ``x``.

    Returns the probabilities after the last row (``alpha`` itself when ``x`` is empty), shape (k,).
    Equal to :func:`filtered_probabilities` over the concatenated data (tested).
    """
    current = np.asarray(alpha, dtype=float)
    if len(x) == 0:
        return current
    log_b = fit.log_densities(x)
    b = np.exp(log_b - log_b.max(axis=1, keepdims=True))
    for row in b:
        current = (current @ fit.transmat) * row
        current = current / current.sum()
    return current
