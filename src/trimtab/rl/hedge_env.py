# mypy: disable-error-code="import-untyped,misc"
"""KAT-29b: delta hedging with proportional costs as the KAT-01 band problem (Whalley-Wilmott band).

An option writer holds ``h`` shares against a short option whose delta is ``Delta``; the hedging error
``x = h - Delta`` moves as ``dx = -Gamma dS = -Gamma sigma S dW`` between rebalances (``Gamma`` and ``S``
held fixed: the local, small-cost picture of Whalley & Wilmott 1997). Trading ``|dh|`` shares costs
``c S |dh|``; a CARA investor with risk aversion ``a`` charges the variance of the hedged P&L,
``(a / 2) x^2 sigma^2 S^2`` per year. That is KAT-01 with

    sigma_x = Gamma sigma S,    q = a sigma^2 S^2 / 2,    k = c S,

whose band ``b* = (3 k sigma_x^2 / (4 q))^(1/3)`` is Whalley & Wilmott's half-width in delta,
``(3 c S Gamma^2 / (2 a))^(1/3)`` (KNOWN_ANSWERS KAT-29b; discounting ignored). So the hedging environment
is :class:`~trimtab.rl.band_env.BandEnv` with these parameters, the DP is
:func:`~trimtab.policies.dp.solve_band` on them, and nothing of either is duplicated here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trimtab.errors import ConfigError

__all__ = ["HedgeProblem", "hedge_band_env", "whalley_wilmott_half_width"]


def whalley_wilmott_half_width(cost: float, spot: float, gamma: float, risk_aversion: float) -> float:
    """Whalley-Wilmott no-trade half-width in delta, ``(3 c S Gamma^2 / (2 a))^(1/3)`` (shares per option).

    Parameters
    ----------
    cost : float
        Proportional cost rate ``c`` (fraction of the value traded).
    spot : float
        Spot price ``S``.
    gamma : float
        Option gamma ``Gamma`` (per unit of spot).
    risk_aversion : float
        CARA risk aversion ``a`` (per unit of money).
    """
    return (3.0 * cost * spot * gamma**2 / (2.0 * risk_aversion)) ** (1.0 / 3.0)


@dataclass(frozen=True, slots=True)
class HedgeProblem:
    """A short option hedged in the underlying, in the Whalley-Wilmott local picture.

    Parameters
    ----------
    gamma : float
        Option gamma ``Gamma`` (held fixed).
    sigma : float
        Volatility of the underlying per sqrt(year).
    spot : float
        Spot price ``S`` (held fixed).
    risk_aversion : float
        CARA risk aversion ``a``.
    cost : float
        Proportional cost rate ``c``.
    """

    gamma: float = 0.05
    sigma: float = 0.2
    spot: float = 100.0
    risk_aversion: float = 1.0
    cost: float = 0.001

    def __post_init__(self) -> None:
        for name in ("gamma", "sigma", "spot", "risk_aversion", "cost"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(
                    f"HedgeProblem: {name} must be a positive number", got=value, fix="e.g. HedgeProblem()"
                )

    @property
    def sigma_x(self) -> float:
        """Volatility of the hedging error, ``Gamma sigma S`` (shares per sqrt(year))."""
        return self.gamma * self.sigma * self.spot

    @property
    def q(self) -> float:
        """Tracking-loss coefficient, ``a sigma^2 S^2 / 2`` (money per share^2 per year)."""
        return self.risk_aversion * self.sigma**2 * self.spot**2 / 2.0

    @property
    def k(self) -> float:
        """Cost per share traded, ``c S``."""
        return self.cost * self.spot

    def half_width(self) -> float:
        """Whalley-Wilmott half-width (continuous rebalancing)."""
        return whalley_wilmott_half_width(self.cost, self.spot, self.gamma, self.risk_aversion)

    def kat01(self) -> dict[str, float]:
        """The KAT-01 parameters ``{'k', 'q', 'sigma'}`` (keywords of ``BandEnv`` and ``solve_band``)."""
        return {"k": self.k, "q": self.q, "sigma": self.sigma_x}


def hedge_band_env(problem: HedgeProblem | None = None, dt: float = 1e-3, **options: Any) -> Any:
    """The hedging problem as a :class:`~trimtab.rl.band_env.BandEnv` (``options``: its keywords).

    Observations are the hedging error in units of the continuous band ``b*`` (= the W&W half-width),
    rewards ``-(cost + risk charge) / (J* dt)``, as in the band environment.
    """
    from trimtab.rl.band_env import BandEnv  # gymnasium is optional: import only when an environment is built

    problem = problem if problem is not None else HedgeProblem()
    return BandEnv(dt=dt, **problem.kat01(), **options)
