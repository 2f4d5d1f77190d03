"""M-11: drawdown of a 60/40 portfolio through 2007-09 under mechanical, trend-delayed and crisis-triggered
rebalancing.

    .venv/bin/python studies/rl_crisis_drawdown.py

``builtin:us-stocks-bonds`` (S&P 500 price index, 20-year Treasury total return), daily, 60/40, $1M in a
tax-deferred account, 5 bp half spread, 2007-01-03 .. 2009-12-31 (every policy sees the data since 1990 for
its signals). Rattray, Granger, Harvey & Van Hemert (2020) report the monthly-rebalanced 60/40 drawdown about
1.2x (about 5 pp) worse than buy-and-hold in 2007-09, and that a trend-based delay helps (M-11, a magnitude,
not an exact target: their data and bond leg differ).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from trimtab.backtest import Scenario, simulate
from trimtab.data.samples import load_builtin
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import CostSettings, PolicySpec
from trimtab.domain.targets import TargetAllocation
from trimtab.policies.registry import build_policy
from trimtab.reports.metrics import policy_metrics

POLICIES = {
    "never (buy and hold)": PolicySpec("never"),
    "calendar monthly": PolicySpec("calendar", {"every": "monthly"}),
    "threshold 5 pp": PolicySpec("threshold", {"band": 0.05}),
    "smart (defaults, no cost gate)": PolicySpec("smart", {"cost_gate": "off"}),
    "smart without trend delay": PolicySpec("smart", {"cost_gate": "off", "trend_delay": "off"}),
    "smart without crisis trigger": PolicySpec("smart", {"cost_gate": "off", "triggers": ["ratio", "drift"]}),
    "monthly, trend-delayed (smart: 0 pp band, no crisis/ratio)": PolicySpec(
        "smart", {"cost_gate": "off", "triggers": {"drift": {"band": 0.0}}, "check": "monthly"}
    ),
}


def main() -> None:
    market = load_builtin("us-stocks-bonds").select(["STOCKS", "BONDS"])
    scenario = Scenario(
        market=market,
        targets=TargetAllocation({"STOCKS": 0.6, "BONDS": 0.4}),
        start=pd.Timestamp("2007-01-03"),
        end=pd.Timestamp("2009-12-31"),
        initial_value=Decimal(1000000),
        account_kind=AccountKind.TAX_DEFERRED,
        costs=CostSettings(half_spread_bps=5.0),
    )
    print("| policy | max drawdown | / buy and hold | return | events | average stock weight |")
    print("|---|---:|---:|---:|---:|---:|")
    base = None
    for name, spec in POLICIES.items():
        run = simulate(build_policy(spec), scenario)
        m = policy_metrics(run)
        base = m["max_drawdown"] if base is None else base
        print(f"| {name} | {m['max_drawdown']:.1%} | {m['max_drawdown'] / base:.2f} | {m['annualized_return']:.2%} "
              f"| {m['rebalance_events']} | {m['average_weights']['STOCKS']:.1%} |")


if __name__ == "__main__":
    main()
