"""How much does splitting a large trade over several days cut its cost?  (issue 4, item 6)

One command (about 20 seconds)::

    .venv/bin/python studies/trade_splitting.py [--adv-usd 5e8] [--volumes volumes.csv] [--b 1.0]

Product literature claims a "25 % market-impact reduction via trade splitting".  This study measures what the
impact model of ``models/costs.py`` (``b sigma |u|^alpha / V^(alpha-1)``, alpha = 3/2) gives when a trade of
1-20 % of average daily volume (ADV) in each of the 20 bundled US stocks is executed over D = 2, 3, 5 or 10
days by the optimal schedule of :class:`trimtab.policies.splitting.TradeSplitter`, against one-shot execution
on day 1, for several risk aversions ``lam`` (the penalty on the variance of the part not yet traded; Almgren
and Chriss 2000 use ``lam = 1e-6`` per dollar in their example).

Inputs and assumptions (stated, not measured):

* daily volatility ``sigma``: standard deviation of each stock's last 252 daily returns in the bundled prices
  (to 2022-12-28), constant over the execution days;
* ADV: the bundled data has no volume, so every stock gets the same ``--adv-usd`` (default $500M a day, the
  order of magnitude of a large US stock) unless ``--volumes`` gives a CSV ``symbol,adv_usd``.  Without the
  risk term the reductions do not depend on ADV at all (cost per dollar is ``b sigma p^(alpha-1)`` for
  participation ``p``); with it they depend on ``lam * X`` = ``lam * p * ADV``;
* ``b = 1`` (Boyd et al. 2017), half-spread 2 bp (paid on every dollar, whatever the schedule);
* each day's impact is temporary and independent of the other days (no permanent impact, no decay carried
  over): the model's own assumption, and the most favourable to splitting.

Printed: for each ``lam`` and ``D``, the median over stocks and sizes (and the range) of the impact reduction,
the expected-cost (impact + spread) reduction, the reduction of cost + risk penalty, and the share traded on
day 1.  ``urgency`` is the median of ``lam X^2 sigma^2 / impact(one-shot)``: the risk penalty of holding the
whole trade for one day relative to its one-shot impact.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from trimtab.data.samples import us_stocks
from trimtab.policies.splitting import TradeSplitter, compare_splitting

SIZES = (0.01, 0.02, 0.05, 0.10, 0.20)
DAYS = (2, 3, 5, 10)
RISK_AVERSIONS = (0.0, 1e-8, 1e-7, 1e-6)
HALF_SPREAD_BPS = 2.0


def volatilities(lookback: int = 252) -> pd.Series:
    """Daily volatility of each bundled stock over the last ``lookback`` returns."""
    prices = us_stocks()
    return prices.pct_change(fill_method=None).iloc[-lookback:].std(ddof=1)


def advs(symbols: list[str], adv_usd: float, path: str | None) -> pd.Series:
    """ADV in dollars per symbol: from a CSV ``symbol,adv_usd`` or the same assumption for all."""
    if path is None:
        return pd.Series(adv_usd, index=symbols, dtype=float)
    table = pd.read_csv(path).set_index("symbol")["adv_usd"].astype(float)
    missing = [s for s in symbols if s not in table.index]
    if missing:
        raise SystemExit(f"{path}: no adv_usd for {', '.join(missing)}")
    return table.reindex(symbols)


def run(adv_usd: float, volumes: str | None, b: float) -> pd.DataFrame:
    sigma = volatilities()
    adv = advs(list(sigma.index), adv_usd, volumes)
    splitters = {d: TradeSplitter(d) for d in DAYS}
    rows = []
    for lam in RISK_AVERSIONS:
        for days in DAYS:
            for symbol in sigma.index:
                for p in SIZES:
                    trade = p * adv[symbol]
                    c = compare_splitting(
                        trade,
                        days,
                        adv_usd=adv[symbol],
                        sigma=float(sigma[symbol]),
                        b=b,
                        half_spread_bps=HALF_SPREAD_BPS,
                        risk_aversion=lam,
                        splitter=splitters[days],
                    )
                    rows.append(
                        {
                            "lam": lam,
                            "days": days,
                            "symbol": symbol,
                            "participation": p,
                            "impact_cut": c.impact_reduction,
                            "cost_cut": c.cost_reduction,
                            "objective_cut": c.objective_reduction,
                            "day1_share": c.optimal.trades_usd[0] / trade,
                            "urgency": lam * trade**2 * sigma[symbol] ** 2 / c.one_shot.impact_usd,
                            "one_shot_impact_bp": 1e4 * c.one_shot.impact_usd / trade,
                        }
                    )
    return pd.DataFrame(rows)


def table(frame: pd.DataFrame) -> str:
    lines = [
        (
            "| lam (1/$) | D | median urgency | impact cut: median (min-max) | equal parts 1-D^-1/2 | impact+spread cut "
            "| cost+risk cut | day-1 share |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for (lam, days), g in frame.groupby(["lam", "days"], sort=True):
        lines.append(
            f"| {lam:g} | {days} | {g.urgency.median():.3g} | {100 * g.impact_cut.median():.1f} % "
            f"({100 * g.impact_cut.min():.1f}-{100 * g.impact_cut.max():.1f}) | {100 * (1 - days**-0.5):.1f} % | "
            f"{100 * g.cost_cut.median():.1f} % | {100 * g.objective_cut.median():.1f} % | "
            f"{100 * g.day1_share.median():.0f} % |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adv-usd", type=float, default=5e8, help="ADV assumption in dollars (all stocks)")
    parser.add_argument("--volumes", default=None, help="CSV symbol,adv_usd instead of the assumption")
    parser.add_argument("--b", type=float, default=1.0, help="impact scale b")
    args = parser.parse_args()
    start = time.perf_counter()
    frame = run(args.adv_usd, args.volumes, args.b)
    print(
        f"# 20 bundled stocks x sizes {', '.join(f'{100 * p:g} %' for p in SIZES)} of ADV; "
        f"ADV {'from ' + args.volumes if args.volumes else f'${args.adv_usd:,.0f} assumed'}; b = {args.b}; "
        f"alpha = 1.5; half-spread {HALF_SPREAD_BPS} bp; {len(frame)} schedules in "
        f"{time.perf_counter() - start:.1f} s"
    )
    one = frame[(frame.lam == 0) & (frame.days == 2)]
    print(
        f"# one-shot impact: median {one.one_shot_impact_bp.median():.1f} bp of the trade "
        f"({one.one_shot_impact_bp.min():.1f}-{one.one_shot_impact_bp.max():.1f})"
    )
    print(table(frame))
    by_size = frame[(frame.lam == 1e-6)].groupby(["days", "participation"]).impact_cut.median().unstack()
    print("\n# lam = 1e-6: median impact cut by D (rows) and size as a fraction of ADV (columns)")
    print((100 * by_size).round(1).to_string())


if __name__ == "__main__":
    main()
