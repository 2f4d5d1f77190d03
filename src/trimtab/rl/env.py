# mypy: disable-error-code="import-untyped,misc,no-any-return"
"""A gymnasium environment over the backtest simulator: one step per rebalancing date.

:class:`RebalancingEnv` drives the same simulator objects as ``trimtab backtest``
(:func:`trimtab.backtest.simulate`): the trade planner with the scenario's costs and trading rules, the tax
ledger (lot relief, wash sales, annual netting and payment), cash flows. Each step:

1. at decision date ``t_i`` (the last trading day of each ``every`` period) the action becomes a decision
   (:func:`~trimtab.rl.features.action_decision`: none / partial / full, or a fraction of the way), which the
   planner trades at the close with its costs (no free trades);
2. the simulator runs on, holding, through ``t_{i+1}`` (taxes due at a new year and cash flows included);
3. the observation at ``t_{i+1}`` is built from the decision context of that date (data up to it only).

**Reward** of step ``i`` (fractions of the value ``V_i`` before trading at ``t_i``)::

    reward = period_return - benchmark_return - trading_cost - tax - lam_te * TE_i^2 * dt_i

* ``period_return``: the change in value from ``t_i`` to ``t_{i+1}`` (before trading at ``t_{i+1}``) with
  the trading costs and the taxes paid in between added back and external cash flows taken out:
  the market return of what was held;
* ``benchmark_return``: the return over the step of the target weights rebalanced every period without
  cost (the backtester's tracking-error benchmark). It does not depend on the actions, so subtracting it
  leaves the optimal policy unchanged, and it removes most of the market's noise from the reward (a
  baseline; ``benchmark_relative=False`` leaves it out);
* ``trading_cost``: dollars of trading cost charged in the step / ``V_i``;
* ``tax``: the tax the step's trades realise, priced when they are made (the marginal netted tax of the
  year, the same figure ``ctx.cost_of`` gives) / ``V_i``. Taxes are paid annually in the simulation; the
  reward charges them when incurred, so the agent sees the cost of its trade in the same step. The
  liquidation tax of the gains still open at the end is not charged;
* ``TE_i^2 = d' Sigma d``: ex-ante tracking variance per year of the weights held after trading (``Sigma`` the
  point-in-time covariance of the decision context), ``dt_i`` the step's length in years, ``lam_te``
  (default 1.5, i.e. risk aversion 3 / 2, as the cost gate).

So ``period_return - trading_cost`` is the after-cost return of the step, and the episode's rewards add up
to the after-cost, after-tax return over the benchmark less the tracking penalty (up to the timing of the
tax).

**Seeding.** ``reset(seed=s)`` with ``episode_years`` set draws the episode's start date from the
environment's generator (``gymnasium`` seeding); without it every episode is the whole scenario. The
simulation itself is deterministic.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from gymnasium import spaces

from trimtab.backtest.simulator import Scenario, _Run
from trimtab.data.calendar import PERIODS, is_period_end
from trimtab.errors import ConfigError
from trimtab.policies.base import Decision, DecisionContext
from trimtab.rl.features import (
    ACTION_KINDS,
    ObservationSpec,
    action_decision,
    action_fraction,
    action_label,
    tracking_variance,
)
from trimtab.typing import FloatArray

__all__ = ["DEFAULT_TE_PENALTY", "RebalancingEnv", "decision_dates"]

#: ``lam_te`` of the reward: half the cost gate's default risk aversion (3), so both price tracking error alike.
DEFAULT_TE_PENALTY = 1.5


def decision_dates(
    dates: pd.DatetimeIndex, every: str, periods_per_year: float, *, funded: bool
) -> np.ndarray:
    """Indices of ``dates`` that end an ``every`` period (the first date excluded when it is the purchase)."""
    flags = np.fromiter(
        (is_period_end(t, every, data_periods_per_year=periods_per_year) for t in dates),
        dtype=bool,
        count=len(dates),
    )
    if funded and len(flags):
        flags[0] = False
    return np.flatnonzero(flags)


class _ActionPolicy:
    """The policy the simulator asks: the environment sets the decision before each decision date."""

    def __init__(self, action_kind: str) -> None:
        self.action_kind = action_kind
        self.pending: Any = None
        self.seen: DecisionContext | None = None

    def describe(self) -> str:
        return f"rl_env(action={self.action_kind})"

    def decide(self, ctx: DecisionContext) -> Decision:
        self.seen = ctx
        if self.pending is None:
            current = ctx.as_weights(np.asarray(ctx.weights, dtype=float), float(ctx.cash_weight))
            return Decision("hold", current, ("between decision dates",), self.describe())
        fraction = action_fraction(self.pending, self.action_kind)
        return action_decision(
            ctx, fraction, policy=self.describe(), label=action_label(self.pending, self.action_kind)
        )


class _SteppedRun(_Run):
    """The simulator's run, advanced date by date from outside (the loop of ``_Run.run`` split in two)."""

    def before_decision(self, k: int) -> tuple[FloatArray, float, float]:
        if k == 0 and self.funded:
            plan = self._plan(self.household, 0, dict(self.sc.targets.weights), self.per_account)
            self._apply(plan, 0, "initial")
        if self._new_year[k]:
            self._taxes(k)
        if self._flow_any[k]:
            self._cash_flows(k)
        if self._switch_backs:
            self._switch_back(k)
        w, cash_weight, v = self._valuation(k)
        self.weights_before[k] = w
        self.cash_weight_before[k] = cash_weight
        self._pre_version = self._version
        return w, cash_weight, v

    def decide_and_record(self, k: int, w: FloatArray, cash_weight: float, v: float, *, decide: bool) -> None:
        if decide and v > 0 and not (k == 0 and self.funded):
            self._decide(k, w, cash_weight, v)
        if self._harvest_due[k] and k > 0:
            self._harvest(k)
        if self._pre_version == self._version:
            self.value[k] = v
            self.cash_path[k] = self.cash
            self.weights[k] = w
            self.cash_weight[k] = cash_weight
        else:
            self._record(k)


class RebalancingEnv(gym.Env):
    """One step per rebalancing date over the backtest simulator (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        Market data, targets, initial value or household, costs, trading, tax and cash flows.
    every : str
        Decision period: ``monthly`` (default), ``weekly``, ``quarterly``, ...
    action : {'discrete', 'continuous'}
        ``Discrete(3)`` (none, partial 50 %, full) or ``Box([0], [1])`` (fraction of the way).
    observation : ObservationSpec, optional
        Default: per-asset features, 12-1 momentum, the HMM regime reader.
    te_penalty : float
        ``lam_te`` in the reward, per unit of annual tracking variance.
    episode_years : float, optional
        Length of each episode; its start is drawn at ``reset`` (seeded). Default: the whole scenario.
    benchmark_relative : bool
        Subtract the benchmark's return in the reward (default).
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - gymnasium's convention

    def __init__(
        self,
        scenario: Scenario,
        *,
        every: str = "monthly",
        action: str = "discrete",
        observation: ObservationSpec | None = None,
        te_penalty: float = DEFAULT_TE_PENALTY,
        episode_years: float | None = None,
        benchmark_relative: bool = True,
    ) -> None:
        super().__init__()
        if every not in PERIODS:
            raise ConfigError(
                "rl: unknown decision period", got=every, fix=f"use one of {', '.join(PERIODS)}"
            )
        if action not in ACTION_KINDS:
            raise ConfigError(
                "rl: unknown action kind", got=action, fix=f"use one of {', '.join(ACTION_KINDS)}"
            )
        if not (math.isfinite(te_penalty) and te_penalty >= 0):
            raise ConfigError("rl: te_penalty must be zero or more", got=te_penalty, fix="e.g. 1.5")
        self.scenario = scenario
        self.every = every
        self.action_kind = action
        self.spec_observation = observation if observation is not None else ObservationSpec()
        self.te_penalty = float(te_penalty)
        self.episode_years = episode_years
        self.benchmark_relative = bool(benchmark_relative)
        self.symbols = scenario.symbols
        size = self.spec_observation.size(len(self.symbols))
        self._size = size
        self.observation_space = spaces.Box(-10.0, 10.0, shape=(size,), dtype=np.float32)
        self.action_space: spaces.Space[Any] = (
            spaces.Discrete(3) if action == "discrete" else spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        )
        ppy = float(scenario.market.periods_per_year)
        self._all_dates = scenario.dates
        self._ppy = ppy
        if episode_years is not None:
            periods = round(episode_years * ppy)
            if not 2 <= periods < len(self._all_dates):
                raise ConfigError(
                    "rl: episode_years does not fit the scenario",
                    got=episode_years,
                    fix=f"use less than {len(self._all_dates) / ppy:.1f} years (the scenario's length)",
                )
            self._episode_periods = periods
        self._run: _SteppedRun | None = None
        self._policy = _ActionPolicy(action)

    # -- episode bookkeeping ----------------------------------------------------------------------------
    def _episode_scenario(self) -> Scenario:
        if self.episode_years is None:
            return self.scenario
        last_start = len(self._all_dates) - self._episode_periods - 1
        start = int(self.np_random.integers(0, last_start + 1))
        end = start + self._episode_periods
        return dataclasses.replace(self.scenario, start=self._all_dates[start], end=self._all_dates[end])

    def _context(self, k: int) -> DecisionContext:
        run = self._run
        assert run is not None
        w, cash_weight, v = run._valuation(k)
        return run._context(k, w, cash_weight, v)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode: buy the targets (or take the household) and run to the first decision date."""
        super().reset(seed=seed)
        scenario = self._episode_scenario()
        self._policy = _ActionPolicy(self.action_kind)
        self._run = _SteppedRun(self._policy, scenario, name="rl_env", exact=True, progress=None)
        run = self._run
        self._decisions = decision_dates(run.dates, self.every, run.ppy, funded=run.funded)
        if len(self._decisions) == 0:
            raise ConfigError(
                "rl: the episode has no decision date",
                got=self.every,
                fix="use a shorter period or more data",
            )
        self._step = 0
        self._k = 0
        self._advance_to(int(self._decisions[0]))
        return self._observe(), {"date": f"{run.dates[self._k]:%Y-%m-%d}"}

    def _advance_to(self, k_next: int) -> None:
        """Hold through the dates from the current one up to ``k_next`` and stop there before its decision."""
        run = self._run
        assert run is not None
        self._policy.pending = None
        for j in range(self._k, k_next):
            state = run.before_decision(j)
            run.decide_and_record(j, *state, decide=False)
        self._state = run.before_decision(k_next)
        self._k = k_next
        self._totals = self._running_totals()

    def _running_totals(self) -> tuple[float, float, float]:
        """Costs, taxes paid and external flows so far (dollars), for the step's reward."""
        run = self._run
        assert run is not None
        return float(run.costs.sum()), float(run.taxes.sum()), float(run.flows.sum())

    def _observe(self) -> np.ndarray:
        return self.spec_observation.observe(self._context(self._k))

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Trade at this decision date, run to the next one, and return its observation and the reward."""
        run = self._run
        if run is None:
            raise RuntimeError("call reset() before step()")
        k = self._k
        w, cash_weight, v = self._state
        ctx = self._context(k)
        fraction = action_fraction(action, self.action_kind)
        tax_accrued = 0.0
        if fraction > 0 and ctx.cost_of is not None:
            from trimtab.rl.features import weights_after

            w_plus = weights_after(ctx, fraction)
            tax_accrued = float(ctx.cost_of(ctx.as_weights(w_plus, max(1.0 - float(w_plus.sum()), 0.0))).tax)
        self._policy.pending = action
        run.decide_and_record(k, w, cash_weight, v, decide=True)
        self._policy.pending = None
        te2 = tracking_variance(ctx, run.weights[k] - run.target)
        self._step += 1
        last = self._step >= len(self._decisions)
        k_next = int(self._decisions[self._step]) if not last else len(run.dates) - 1
        for j in range(k + 1, k_next + (1 if last else 0)):
            state = run.before_decision(j)
            run.decide_and_record(j, *state, decide=False)
        if not last:
            self._state = run.before_decision(k_next)
            value_next = self._state[2]
        else:
            value_next = float(run.value[k_next])
        self._k = k_next
        totals = self._running_totals()
        costs, taxes_paid, flows = (b - a for a, b in zip(self._totals, totals, strict=True))
        self._totals = totals
        dt = (k_next - k) / run.ppy
        period_return = (value_next + costs + taxes_paid - flows) / v - 1.0 if v > 0 else 0.0
        trading_cost = costs / v if v > 0 else 0.0
        tax = tax_accrued / v if v > 0 else 0.0
        penalty = self.te_penalty * te2 * dt
        end = k_next + 1
        daily = run.prices[k + 1 : end] / run.prices[k : end - 1] - 1.0
        benchmark = float(np.prod(1.0 + np.nan_to_num(daily) @ run.target) - 1.0) if end > k + 1 else 0.0
        reward = (
            period_return - (benchmark if self.benchmark_relative else 0.0) - trading_cost - tax - penalty
        )
        info = {
            "date": f"{run.dates[k]:%Y-%m-%d}",
            "period_return": period_return,
            "benchmark_return": benchmark,
            "trading_cost": trading_cost,
            "tax": tax,
            "te_penalty": penalty,
            "fraction": fraction,
            "value": value_next,
        }
        observation = self._observe() if not last else np.zeros(self._size, dtype=np.float32)
        return observation, float(reward), last, False, info

    def policy_run(self) -> Any:
        """The finished episode as a :class:`~trimtab.backtest.result.PolicyRun` (after the last step)."""
        assert self._run is not None
        return self._run._finish()
