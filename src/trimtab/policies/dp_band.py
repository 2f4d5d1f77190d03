"""DPBandPolicy: trade to the edge of the no-trade band that dynamic programming finds (KAT-01b, KAT-05).

For each asset the deviation ``x = w - w*`` of its weight from target is the KAT-01 state: between checks it
moves with volatility ``sigma_x``; tracking it costs ``q x^2`` per year; trading ``|dx|`` costs ``k |dx|``
(one-way cost as a fraction of value).  :func:`trimtab.policies.dp.solve_band` gives the optimal band
``[-b, b]`` for checks every ``dt`` years; the policy holds inside it and trades back to the nearest edge
outside it (the rest of the trade stays in cash).

Mapping to a portfolio (KAT-05): a mean-variance or CRRA investor with risk aversion ``gamma`` holding an
asset of annual volatility ``sigma``:

* ``q = gamma sigma^2 / 2`` (the certainty-equivalent loss of a deviation ``x`` is ``q x^2`` per year);
* ``sigma_x = sigma w* (1 - w*)`` for one risky asset and cash (the weight's own volatility), exact in the
  KAT-05 model; with several assets each gets its own band from the volatility of its weight,
  ``w*_i std(r_i - r_target)`` annualised (the separable approximation, exact for uncorrelated deviations:
  KAT-06; correlations between deviations are ignored);
* ``k``: the one-way cost ``half_spread_bps * 1e-4 + commission_per_share / price`` (or ``cost``).

Bands are cached per rounded ``(k, dt, q, sigma_x)``: a DP solve takes about a second at 1,601 grid points.
Assets with a target of 0 % or 100 % (``sigma_x = 0``) are traded to target.  Fixed ticket costs and market
impact are not in the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from trimtab.domain.settings import CostSettings
from trimtab.errors import ConfigError, DataError
from trimtab.policies.base import Action, Decision, DecisionContext
from trimtab.policies.dp import BandSolution, solve_band
from trimtab.policies.registry import PolicyParams, register_policy
from trimtab.typing import FloatArray

__all__ = ["DPBandPolicy"]

#: Significant digits of the inputs that key the band cache.
_CACHE_DIGITS = 3


def _round(x: float) -> float:
    return float(f"{x:.{_CACHE_DIGITS}g}")


class DPBandPolicy:
    """Per-asset no-trade bands by dynamic programming; trade to the nearest band edge.

    Parameters
    ----------
    risk_aversion : float
        ``gamma > 0``; ``q = gamma sigma^2 / 2``.
    cost : float, optional
        One-way cost per unit of value traded (e.g. 0.001 = 10 bp); default from ``costs``.
    costs : CostSettings, optional
        The portfolio's costs (half-spread and per-share commission); used when ``cost`` is not given.
    check_years : float, optional
        Years between decisions ``dt``; default one period of the market data (``1 / periods_per_year``).
    volatility : float or mapping of symbol to float, optional
        Annual volatility per asset (then ``sigma_x = sigma w* (1 - w*)``); default estimated from the last
        ``lookback`` returns.
    lookback : int
        Return periods used to estimate volatilities.
    n_grid : int
        Grid points of the DP (KAT-01b asks for at least 1,600).
    """

    def __init__(
        self,
        *,
        risk_aversion: float = 2.0,
        cost: float | None = None,
        costs: CostSettings | None = None,
        check_years: float | None = None,
        volatility: float | Mapping[str, float] | None = None,
        lookback: int = 252,
        n_grid: int = 1601,
    ) -> None:
        for name, value, positive in (("risk_aversion", risk_aversion, True), ("cost", cost, False)):
            if value is None:
                continue
            if not (
                isinstance(value, (int, float))
                and math.isfinite(value)
                and (value > 0 if positive else value >= 0)
            ):
                raise ConfigError(
                    f"DPBandPolicy: {name} must be a number {'> 0' if positive else '>= 0'}",
                    got=value,
                    fix="e.g. 2.0",
                )
        if check_years is not None and not (math.isfinite(check_years) and check_years > 0):
            raise ConfigError(
                "DPBandPolicy: check_years must be > 0", got=check_years, fix="e.g. 1/12 (monthly)"
            )
        if lookback < 2 or n_grid < 11:
            raise ConfigError(
                "DPBandPolicy: lookback >= 2 and n_grid >= 11", got=(lookback, n_grid), fix="e.g. 252, 1601"
            )
        self.risk_aversion = float(risk_aversion)
        self.cost = None if cost is None else float(cost)
        self.costs = costs
        self.check_years = check_years
        self.volatility = volatility
        self.lookback = int(lookback)
        self.n_grid = int(n_grid)
        self._bands: dict[tuple[float, float, float, float], BandSolution] = {}

    def describe(self) -> str:
        """Short call-like text."""
        args = [f"risk_aversion={self.risk_aversion:g}"]
        if self.cost is not None:
            args.append(f"cost={self.cost:g}")
        if self.check_years is not None:
            args.append(f"check_years={self.check_years:g}")
        return f"dp_band({', '.join(args)})"

    def __repr__(self) -> str:
        return self.describe()

    # -- inputs -------------------------------------------------------------------------------------------
    def _costs(self, ctx: DecisionContext) -> FloatArray:
        n = len(ctx.symbols)
        if self.cost is not None:
            return np.full(n, self.cost)
        if self.costs is None:
            return np.zeros(n)
        out = np.full(n, float(self.costs.half_spread_bps) * 1e-4)
        per_share = float(self.costs.commission_per_share)
        if per_share:
            out = out + per_share / np.array([ctx.snapshot.price(s) for s in ctx.symbols], dtype=float)
        return out

    def _deviation_volatility(self, ctx: DecisionContext) -> tuple[FloatArray, FloatArray]:
        """``sigma`` (annual volatility) and ``sigma_x`` (volatility of the weight) per asset."""
        target = np.asarray(ctx.target, dtype=float)
        if self.volatility is not None:
            vol = self.volatility
            sigma = np.array(
                [float(vol.get(s, np.nan)) if isinstance(vol, Mapping) else float(vol) for s in ctx.symbols]
            )
            if not np.isfinite(sigma).all() or (sigma < 0).any():
                missing = [s for s, x in zip(ctx.symbols, sigma, strict=True) if not np.isfinite(x)]
                raise ConfigError(
                    "DPBandPolicy: volatility needs a number >= 0 for every symbol",
                    got=missing[:3] or sigma.tolist(),
                    fix="give volatility: {SYMBOL: 0.18, ...} or leave it out to estimate it",
                )
            return sigma, sigma * target * (1.0 - target)
        frame = ctx.snapshot.returns(list(ctx.symbols), lookback=self.lookback)
        r = frame.to_numpy(dtype=float)
        r = r[np.isfinite(r).all(axis=1)] if r.size else np.zeros((0, len(ctx.symbols)))
        if r.shape[0] < 2:
            raise DataError(
                f"DPBandPolicy needs at least 2 periods of returns of every symbol at {ctx.as_of:%Y-%m-%d} to "
                f"estimate volatilities; found {r.shape[0]} (or give volatility)"
            )
        ppy = float(ctx.snapshot.periods_per_year)
        sigma = r.std(axis=0, ddof=1) * math.sqrt(ppy)
        relative = r - (r @ target)[:, None]
        return sigma, target * relative.std(axis=0, ddof=1) * math.sqrt(ppy)

    def band(self, k: float, dt: float, q: float, sigma_x: float) -> BandSolution:
        """The DP band for one asset (cached on the inputs rounded to 3 significant digits)."""
        key = (_round(k), _round(dt), _round(q), _round(sigma_x))
        if key not in self._bands:
            self._bands[key] = solve_band(key[0], key[1], q=key[2], sigma=key[3], n_grid=self.n_grid)
        return self._bands[key]

    def half_widths(self, ctx: DecisionContext) -> FloatArray:
        """Band half-width per asset (0 where the asset is traded to target), shape (n,)."""
        dt = self.check_years if self.check_years is not None else 1.0 / float(ctx.snapshot.periods_per_year)
        costs = self._costs(ctx)
        sigma, sigma_x = self._deviation_volatility(ctx)
        out = np.zeros(len(ctx.symbols))
        for i in range(len(ctx.symbols)):
            q = 0.5 * self.risk_aversion * sigma[i] ** 2
            if costs[i] <= 0 or sigma_x[i] <= 0 or q <= 0:
                continue
            out[i] = max(0.0, self.band(float(costs[i]), dt, q, float(sigma_x[i])).upper)
        return out

    # -- Policy protocol ------------------------------------------------------------------------------------
    def decide(self, ctx: DecisionContext) -> Decision:
        """Hold inside every band; outside, trade to the nearest edge (cash takes the difference)."""
        w = np.asarray(ctx.weights, dtype=float)
        target = np.asarray(ctx.target, dtype=float)
        b = self.half_widths(ctx)
        x = w - target
        outside = np.abs(x) > b + 1e-12
        w_plus = np.where(outside, target + np.sign(x) * b, w)
        reasons: list[str] = []
        for i in np.flatnonzero(outside):
            reasons.append(
                f"{'sell' if x[i] > 0 else 'buy'} {100 * abs(w_plus[i] - w[i]):.2f} pp of {ctx.symbols[i]}: "
                f"{100 * abs(x[i]):.2f} pp {'over' if x[i] > 0 else 'under'} target, outside its DP band "
                f"±{100 * b[i]:.2f} pp; back to the band edge"
            )
        action: Action
        if not outside.any():
            action = "hold"
            reasons.append(
                "no trade: every weight is inside its DP no-trade band "
                f"(widest ±{100 * float(b.max(initial=0.0)):.2f} pp)"
            )
            weights = ctx.as_weights(w, cash=float(ctx.cash_weight))
        else:
            on_target = bool(np.all(np.abs(w_plus - target) <= 1e-12))
            action = "rebalance" if on_target else "partial"
            cash = float(ctx.cash_weight) - float(np.sum(w_plus - w))
            weights = ctx.as_weights(w_plus, cash=cash)
        details: dict[str, Any] = {
            "bands": {s: float(h) for s, h in zip(ctx.symbols, b, strict=True)},
            "deviation": {s: float(d) for s, d in zip(ctx.symbols, x, strict=True)},
        }
        return Decision(
            action=action,
            target_weights=weights,
            reasons=tuple(reasons),
            policy=self.describe(),
            details=details,
        )


# ----------------------------------------------------------------------------------------------- registry
def _from_registry(params: PolicyParams) -> DPBandPolicy:
    costs = params.raw("costs")
    if costs is not None and not isinstance(costs, CostSettings):
        if not isinstance(costs, Mapping):
            raise params.error(
                "costs", "must be a costs mapping", got=costs, fix="e.g. costs: {half_spread_bps: 2}"
            )
        costs = CostSettings(
            half_spread_bps=float(costs.get("half_spread_bps", 0.0)),
            commission_per_share=Decimal(str(costs.get("commission_per_share", 0))),
        )
    volatility = params.raw("volatility")
    if volatility is not None:
        volatility = (
            params.number_map("volatility", low=0.0, high=10.0)
            if isinstance(volatility, Mapping)
            else params.number("volatility", 0.2, low=0.0, high=10.0)
        )
    cost = params.number("cost", 0.0, low=0.0, high=1.0) if params.has("cost") else None
    check = (
        params.number("check_years", 1.0, low=0.0, high=100.0, low_open=True)
        if params.has("check_years")
        else None
    )
    lookback = params.number("lookback", 252, low=2, high=1e7)
    n_grid = params.number("n_grid", 1601, low=11, high=1e6)
    for key, value in (("lookback", lookback), ("n_grid", n_grid)):
        if not value.is_integer():
            raise params.error(key, "must be a whole number", got=params.raw(key), fix=f"e.g. {key}: 252")
    return DPBandPolicy(
        risk_aversion=params.number("risk_aversion", 2.0, low=0.0, high=1e6, low_open=True),
        cost=cost,
        costs=costs,
        check_years=check,
        volatility=volatility,
        lookback=int(lookback),
        n_grid=int(n_grid),
    )


try:
    register_policy(
        "dp_band",
        _from_registry,
        keys=("risk_aversion", "cost", "check_years", "volatility", "lookback", "n_grid", "costs"),
        arg="risk_aversion",
        summary="no-trade band per asset by dynamic programming (KAT-01b); trade to the band edge",
    )
except ValueError:  # already registered (module reloaded)
    pass
