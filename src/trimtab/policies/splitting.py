# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Trade splitting: schedule one large trade over ``D`` days under the market-impact model.

For a trade of ``X`` dollars (buy > 0) executed as ``u_1 .. u_D`` (same sign, ``sum(u) = X``), with
``x_d = X - (u_1 + ... + u_d)`` still to trade after day ``d``, the schedule minimises

    ``sum_d [ a |u_d| + b sigma_d |u_d|^alpha / V_d^(alpha-1) ]  +  lam * sum_{d<D} sigma_(d+1)^2 x_d^2``

* the first sum is the expected cost: half-spread ``a`` and the impact model of
  :class:`~trimtab.models.costs.MarketImpact` per day (``sigma_d`` daily volatility, ``V_d`` average daily
  traded value in dollars; each day's impact is temporary and independent of the others);
* the second is the **risk of waiting** (Almgren and Chriss 2000): the variance, in dollars squared, of the
  value of the part not yet traded, held over the next day, times the risk aversion ``lam`` (per dollar).

The problem is solved in fractions ``s_d = u_d / X`` (``s >= 0``, ``sum(s) = 1``), which makes it scale free:
the impact coefficient per day is ``k_d = b sigma_d (|X| / V_d)^(alpha-1)`` (a power cone in ``s``) and the
risk coefficient ``lam |X| sigma^2``.  It is compiled once per ``(D, alpha)`` and re-solved by setting
Parameters.  An optional cap on the daily participation ``|u_d| <= cap * V_d`` bounds ``s``.

Known answers (``tests/optimizer/test_optimizer_splitting.py``):

* no risk term, ``alpha = 3/2``: equal parts; impact falls to ``D^(1 - alpha) = D^(-1/2)`` of one-shot
  execution (a cut of ``1 - D^(-1/2)``: 29 % for 2 days, 55 % for 5);
* ``alpha = 2`` (quadratic impact ``eta u^2``, ``eta = b sigma / V``): the discrete Almgren-Chriss trajectory
  ``x_d = X sinh(kappa (D - d)) / sinh(kappa D)`` with ``2 (cosh kappa - 1) = lam sigma^2 / eta``;
* ``alpha = 1`` (impact linear in size): splitting saves nothing and any risk aversion makes one-shot optimal.

Source: Almgren and Chriss (2000), "Optimal execution of portfolio transactions", J. Risk 3(2), 5-39.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from trimtab.errors import ConfigError, DataError, InfeasibleError, SolverError
from trimtab.models.costs import LinearCost, MarketImpact, TradeCostInputs
from trimtab.models.solver import DirectClarabel
from trimtab.typing import FloatArray

__all__ = [
    "ExecutionSchedule",
    "SplittingComparison",
    "TradeSplitter",
    "compare_splitting",
    "evaluate_schedule",
]

#: The objective is compiled in basis points of the trade's value.
_SCALE = 1e4
#: Clarabel tolerances: schedules are flat near the optimum, so default tolerances leave visible slack.
_TIGHT = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-10}


def _per_day(name: str, value: float | FloatArray, days: int, *, positive: bool) -> FloatArray:
    out = np.broadcast_to(np.asarray(value, dtype=float), (days,)).astype(float)
    ok = np.isfinite(out) & ((out > 0) if positive else (out >= 0))
    if not ok.all():
        raise DataError(
            f"trade splitting: {name} must be finite and {'> 0' if positive else '>= 0'} for each of "
            f"the {days} days; got {out.tolist()}"
        )
    return out


@dataclass(frozen=True)
class ExecutionSchedule:
    """A schedule and its exact costs (numpy, from the cost models).

    Parameters
    ----------
    trades_usd : ndarray of shape (D,)
        Dollars traded each day (buys positive).
    remaining_usd : ndarray of shape (D - 1,)
        Dollars still to trade after each day but the last.
    impact_usd, spread_usd : float
        Expected impact and half-spread cost in dollars.
    risk_variance_usd2 : float
        ``sum sigma_(d+1)^2 x_d^2``: variance of the value still to trade, dollars squared.
    risk_aversion : float
        ``lam`` per dollar.
    participation : ndarray of shape (D,)
        ``|u_d| / V_d``.
    """

    trades_usd: FloatArray
    remaining_usd: FloatArray
    impact_usd: float
    spread_usd: float
    risk_variance_usd2: float
    risk_aversion: float
    participation: FloatArray

    @property
    def days(self) -> int:
        """``D``."""
        return int(self.trades_usd.size)

    @property
    def expected_cost_usd(self) -> float:
        """Impact plus spread, dollars."""
        return self.impact_usd + self.spread_usd

    @property
    def risk_penalty_usd(self) -> float:
        """``lam * variance``, dollars."""
        return self.risk_aversion * self.risk_variance_usd2

    @property
    def objective_usd(self) -> float:
        """Expected cost plus the risk penalty, dollars."""
        return self.expected_cost_usd + self.risk_penalty_usd

    @property
    def risk_std_usd(self) -> float:
        """Standard deviation of the value still to trade, dollars."""
        return math.sqrt(self.risk_variance_usd2)


def evaluate_schedule(
    trades_usd: FloatArray,
    *,
    adv_usd: float | FloatArray,
    sigma: float | FloatArray,
    b: float = 1.0,
    alpha: float = 1.5,
    half_spread_bps: float = 0.0,
    risk_aversion: float = 0.0,
) -> ExecutionSchedule:
    """Exact costs of a dollar schedule (see the module docstring for the formula).

    Parameters
    ----------
    trades_usd : ndarray of shape (D,)
        Dollars per day, buys positive.
    adv_usd : float or ndarray of shape (D,)
        Average daily traded value ``V_d``, dollars.
    sigma : float or ndarray of shape (D,)
        Daily volatility of returns ``sigma_d``, a fraction.
    b, alpha : float
        Impact scale and exponent (:class:`~trimtab.models.costs.MarketImpact`).
    half_spread_bps : float
        One-way linear cost, basis points.
    risk_aversion : float
        ``lam``, per dollar.
    """
    u = np.asarray(trades_usd, dtype=float).reshape(-1)
    days = u.size
    volume = _per_day("adv_usd", adv_usd, days, positive=True)
    vol = _per_day("sigma", sigma, days, positive=False)
    inputs = TradeCostInputs(prices=np.ones(days), sigma=vol, volume=volume)
    impact = MarketImpact(b=b, alpha=alpha).total(u, inputs)
    spread = LinearCost(half_spread_bps=half_spread_bps).total(u, inputs)
    remaining = float(np.sum(u)) - np.cumsum(u)[:-1]
    variance = float(np.sum(vol[1:] ** 2 * remaining**2))
    return ExecutionSchedule(
        trades_usd=u,
        remaining_usd=remaining,
        impact_usd=impact,
        spread_usd=spread,
        risk_variance_usd2=variance,
        risk_aversion=float(risk_aversion),
        participation=np.abs(u) / volume,
    )


class TradeSplitter:
    """The scheduling problem for ``days`` days and impact exponent ``alpha``, compiled once.

    Parameters
    ----------
    days : int
        ``D >= 1``.
    alpha : float
        Impact exponent in [1, 2] (3/2: square-root law).
    solver : str
        cvxpy solver (Clarabel default; power cones are needed for 1 < alpha < 2).
    """

    def __init__(self, days: int, *, alpha: float = 1.5, solver: str = "CLARABEL") -> None:
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigError(
                "trade splitting: days must be a whole number >= 1", got=days, fix="e.g. days=5"
            )
        if not (math.isfinite(alpha) and 1.0 <= alpha <= 2.0):
            raise ConfigError("trade splitting: alpha must be between 1 and 2", got=alpha, fix="use 1.5")
        self.days, self.alpha, self.solver = days, float(alpha), solver.upper()
        self._s = cp.Variable(days, name="s")  # no attributes: cvxpy would replace the variable
        self._k = cp.Parameter(days, nonneg=True, name="impact")
        self._risk = cp.Parameter(max(days - 1, 1), nonneg=True, name="risk_sqrt")
        self._upper = cp.Parameter(days, nonneg=True, name="upper")
        impact = self._k @ (self._s if self.alpha == 1.0 else cp.power(self._s, self.alpha, approx=False))
        objective = impact
        if days > 1:
            remaining = 1.0 - cp.cumsum(self._s)[:-1]
            objective = objective + cp.sum_squares(cp.multiply(self._risk, remaining))
        self.problem = cp.Problem(
            cp.Minimize(_SCALE * objective), [cp.sum(self._s) == 1, self._s >= 0, self._s <= self._upper]
        )
        assert self.problem.is_dpp()
        self._direct: DirectClarabel | None = None
        self._tried_direct = False

    def schedule(
        self,
        trade_usd: float,
        *,
        adv_usd: float | FloatArray,
        sigma: float | FloatArray,
        b: float = 1.0,
        half_spread_bps: float = 0.0,
        risk_aversion: float = 0.0,
        max_participation: float | None = None,
    ) -> ExecutionSchedule:
        """The optimal schedule of ``trade_usd`` dollars (buys positive) over the compiled number of days.

        Parameters are those of :func:`evaluate_schedule`, plus ``max_participation``: the largest fraction of
        a day's traded value ``V_d`` one day's trade may take (none by default).

        Raises
        ------
        InfeasibleError
            When the participation cap cannot fit the trade into the days.
        """
        days = self.days
        volume = _per_day("adv_usd", adv_usd, days, positive=True)
        vol = _per_day("sigma", sigma, days, positive=False)
        size = abs(float(trade_usd))
        for name, value in (("b", b), ("half_spread_bps", half_spread_bps), ("risk_aversion", risk_aversion)):
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(
                    f"trade splitting: {name} must be a finite number >= 0", got=value, fix="e.g. 0"
                )
        if size == 0 or not math.isfinite(size):
            if not math.isfinite(size):
                raise ConfigError(
                    "trade splitting: the trade must be a finite number of dollars",
                    got=trade_usd,
                    fix="e.g. 1e6",
                )
            return evaluate_schedule(
                np.zeros(days),
                adv_usd=volume,
                sigma=vol,
                b=b,
                alpha=self.alpha,
                half_spread_bps=half_spread_bps,
                risk_aversion=risk_aversion,
            )
        upper = np.ones(days)
        if max_participation is not None:
            if not (math.isfinite(max_participation) and max_participation > 0):
                raise ConfigError(
                    "trade splitting: max_participation must be a fraction > 0",
                    got=max_participation,
                    fix="e.g. 0.1 for 10 % of daily volume",
                )
            upper = np.minimum(1.0, max_participation * volume / size)
            if upper.sum() < 1.0 - 1e-9:
                raise InfeasibleError(
                    f"trading ${size:,.0f} at most {100 * max_participation:g} % of daily volume for {days} days "
                    f"covers only {100 * upper.sum():.1f} % of the trade; allow more days or a higher cap"
                )
        self._k.value = b * vol * (size / volume) ** (self.alpha - 1.0)
        self._risk.value = np.sqrt(risk_aversion * size) * vol[1:] if days > 1 else np.zeros(1)
        self._upper.value = upper
        fractions = self._solve()
        fractions = np.clip(fractions, 0.0, None)
        fractions /= fractions.sum()
        return evaluate_schedule(
            math.copysign(1.0, trade_usd) * size * fractions,
            adv_usd=volume,
            sigma=vol,
            b=b,
            alpha=self.alpha,
            half_spread_bps=half_spread_bps,
            risk_aversion=risk_aversion,
        )

    def _solve(self) -> FloatArray:
        if self.solver == "CLARABEL":
            if not self._tried_direct:
                self._direct = DirectClarabel.build(self.problem, self._s)
                self._tried_direct = True
            if self._direct is not None:
                status, s = self._direct.solve(**_TIGHT)
                if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and s is not None:
                    return np.asarray(s, dtype=float)
        self.problem.solve(solver=self.solver, **(_TIGHT if self.solver == "CLARABEL" else {}))
        if self.problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or self._s.value is None:
            raise SolverError(f"trade splitting: {self.solver} returned status {self.problem.status}")
        return np.asarray(self._s.value, dtype=float)


@dataclass(frozen=True)
class SplittingComparison:
    """One-shot execution, equal parts and the optimal schedule of one trade."""

    one_shot: ExecutionSchedule
    equal: ExecutionSchedule
    optimal: ExecutionSchedule

    @staticmethod
    def _cut(new: float, old: float) -> float:
        return 1.0 - new / old if old > 0 else 0.0

    @property
    def impact_reduction(self) -> float:
        """``1 - impact(optimal) / impact(one-shot)``."""
        return self._cut(self.optimal.impact_usd, self.one_shot.impact_usd)

    @property
    def equal_impact_reduction(self) -> float:
        """``1 - impact(equal parts) / impact(one-shot)`` (``1 - D^(1-alpha)``)."""
        return self._cut(self.equal.impact_usd, self.one_shot.impact_usd)

    @property
    def cost_reduction(self) -> float:
        """``1 - (impact + spread)(optimal) / (impact + spread)(one-shot)``."""
        return self._cut(self.optimal.expected_cost_usd, self.one_shot.expected_cost_usd)

    @property
    def objective_reduction(self) -> float:
        """``1 - (cost + risk penalty)(optimal) / cost(one-shot)`` (one-shot carries no waiting risk)."""
        return self._cut(self.optimal.objective_usd, self.one_shot.objective_usd)


def compare_splitting(
    trade_usd: float,
    days: int,
    *,
    adv_usd: float | FloatArray,
    sigma: float | FloatArray,
    b: float = 1.0,
    alpha: float = 1.5,
    half_spread_bps: float = 0.0,
    risk_aversion: float = 0.0,
    max_participation: float | None = None,
    splitter: TradeSplitter | None = None,
) -> SplittingComparison:
    """One-shot (all on day 1), equal parts over ``days`` and the optimal schedule of ``trade_usd``.

    ``adv_usd`` and ``sigma`` are per day over ``days`` (or one number); one-shot uses day 1's values.
    ``splitter`` may pass a compiled :class:`TradeSplitter` for ``days`` and ``alpha`` to re-use.
    """
    splitter = splitter or TradeSplitter(days, alpha=alpha)
    if splitter.days != days or splitter.alpha != alpha:
        raise ConfigError(
            "compare_splitting: the splitter was compiled for other days or alpha",
            got=(splitter.days, splitter.alpha),
            fix=f"use TradeSplitter({days}, alpha={alpha})",
        )
    volume = _per_day("adv_usd", adv_usd, days, positive=True)
    vol = _per_day("sigma", sigma, days, positive=False)
    common = {"b": b, "alpha": alpha, "half_spread_bps": half_spread_bps, "risk_aversion": risk_aversion}
    one = evaluate_schedule(np.array([float(trade_usd)]), adv_usd=volume[:1], sigma=vol[:1], **common)
    equal = evaluate_schedule(np.full(days, float(trade_usd) / days), adv_usd=volume, sigma=vol, **common)
    best = splitter.schedule(
        trade_usd,
        adv_usd=volume,
        sigma=vol,
        b=b,
        half_spread_bps=half_spread_bps,
        risk_aversion=risk_aversion,
        max_participation=max_participation,
    )
    return SplittingComparison(one, equal, best)
