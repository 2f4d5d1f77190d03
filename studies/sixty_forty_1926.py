"""The classic 60/40 rebalancing question on US data from 1926 (KAT-34; Jaconetti, Kinniry & Zilbering 2010).

One command::

    .venv/bin/python studies/sixty_forty_1926.py            # needs: pip install -e .[history]

Data: ``builtin:us-60-40-monthly`` (STOCKS, BONDS, CASH total-return indexes, monthly 1926-06 .. 2018-11;
built with the optional ``arch`` package, see docs/data.md). Targets 60 % STOCKS / 40 % BONDS, $1M in a
tax-deferred account (no tax), no trading costs unless ``--cost-bps`` is given. Policies: calendar
monthly / quarterly / annual; thresholds of 1, 5 and 10 pp checked monthly, quarterly and annually; never.
Prints a markdown table: rebalancing events, annualized return and volatility, Sharpe (risk-free 0),
maximum drawdown and average equity weight.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal

from trimtab.backtest import Scenario, simulate
from trimtab.data.samples import load_builtin
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import CostSettings, PolicySpec
from trimtab.domain.targets import TargetAllocation
from trimtab.errors import TrimtabError
from trimtab.policies.registry import build_policy
from trimtab.reports.metrics import policy_metrics

POLICIES: list[tuple[str, PolicySpec]] = [
    ("calendar monthly", PolicySpec("calendar", {"every": "monthly"})),
    ("calendar quarterly", PolicySpec("calendar", {"every": "quarterly"})),
    ("calendar annual", PolicySpec("calendar", {"every": "annual"})),
    *[
        (f"{band:.0%} band, checked {check}", PolicySpec("threshold", {"band": band, "check": check}))
        for check in ("monthly", "quarterly", "annual")
        for band in (0.01, 0.05, 0.10)
    ],
    ("never", PolicySpec("never")),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default=None, help="first month (default: the data's first, 1926-06-30)")
    parser.add_argument("--end", default=None, help="last month (default: the data's last, 2018-11-30)")
    parser.add_argument("--cost-bps", type=float, default=0.0, help="half spread in basis points (default 0)")
    args = parser.parse_args(argv)
    try:
        market = load_builtin("us-60-40-monthly")
    except TrimtabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    scenario = Scenario(
        market=market,
        targets=TargetAllocation({"STOCKS": 0.6, "BONDS": 0.4}),
        start=args.start,
        end=args.end,
        initial_value=Decimal(1_000_000),
        account_kind=AccountKind.TAX_DEFERRED,
        costs=CostSettings(half_spread_bps=args.cost_bps),
    )
    dates = scenario.dates
    print(
        f"60/40 STOCKS/BONDS, {dates[0]:%Y-%m} .. {dates[-1]:%Y-%m} ({len(dates)} months), "
        f"{args.cost_bps:g} bp half spread, tax-deferred\n"
    )
    print("| policy | events | return | volatility | Sharpe | max drawdown | average equity |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    started = time.perf_counter()
    for name, spec in POLICIES:
        run = simulate(build_policy(spec), scenario, name=name)
        m = policy_metrics(run)
        print(
            f"| {name} | {m['rebalance_events']} | {m['annualized_return']:.2%} | "
            f"{m['annualized_volatility']:.2%} | {m['sharpe']:.3f} | {m['max_drawdown']:.1%} | "
            f"{m['average_weights']['STOCKS']:.1%} |"
        )
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
