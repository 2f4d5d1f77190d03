"""Tax versus tracking error: how much tax a tax-aware optimizer saves at a given extra tracking error (issue 5).

One command::

    .venv/bin/python studies/tax_tradeoff.py --jobs 2   # about 3 minutes on two cores; writes docs/tax_tradeoff*

Household (built from the bundled ``builtin:us-stocks`` adjusted closes, 20 stocks; demo data, survivors
chosen with hindsight): target equal weights (4.9 % each, 2 % cash). Eight years before each decision date it
puts $400,000 into a taxable account and $200,000 into a traditional IRA (each account bought to the
targets), then adds $10,000 (taxable) and $2,000 (IRA) every quarter, invested buy-only into the underweight
stocks (cash-flow rebalancing), and once a year rebalances fully to the targets tax-blind (FIFO relief, sells
from the IRA first).  So the taxable account holds lots bought over eight years -- old lots at large gains,
recent ones some at a loss -- and at the decision date the household has drifted for a year (the last full
rebalance is 1-3 months before the date plus the contributions since).

Decision dates: the last trading day on or before December 15 of each year 2008-2022 (``--years``).  At each
date every policy proposes target weights, and the trade planner turns them into trades (fractional shares,
tax-aware placement: sells from the IRA first, then taxable lots by the relief method; 2 bp half-spread).
Measured per policy: tracking error after trading (annualised, covariance of the last three years of daily
returns, as ``trimtab rebalance`` reports it), the plan's estimated tax (37 % short / 20 % long term,
short and long netted, losses negative) and trading cost.

Policies:

* ``tax-blind full``: trade to the targets, lots relieved FIFO (``tax-blind full min_tax``: the same trades
  with min-tax relief, so the relief method's share of the saving shows);
* ``band``: the rule-based baseline, ``threshold`` with ``move: band_edge`` for bands 0.5 .. 5 pp, min-tax
  relief (trades only the stocks outside their band, to the band edge);
* ``optimizer``: ``{kind: optimizer, tax_weight: lam}`` (tracking error² + 2 bp trading cost + lam x tax,
  long only) for 15 values of lam from 0 to 30, min-tax relief (its tax term is exact for it).

For each date the study reads off the optimizer's least tax among its points whose tracking error is at most
the tax-blind rebalance's plus 25 bp and plus 50 bp (measured points only, no interpolation), and compares it
with the tax-blind rebalance's tax.  Output: ``docs/tax_tradeoff.csv`` (every point), ``docs/tax_tradeoff_summary.csv``
(per date), ``docs/tax_tradeoff.html`` (plotly; the curve at the last date and the reductions per date) and,
when matplotlib is installed, ``docs/tax_tradeoff.png``.  A markdown summary is printed.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from trimtab.data.market import MarketData
from trimtab.data.samples import load_builtin
from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household
from trimtab.domain.lots import ReliefMethod
from trimtab.domain.settings import CostSettings, Placement, PolicySpec, TaxSettings, TradingSettings
from trimtab.domain.targets import CASH
from trimtab.estimates.covariance import estimate_covariance
from trimtab.models.tax import LotTax, TaxInputs
from trimtab.policies.base import DecisionContext
from trimtab.policies.optimizer import build_optimizer_policy
from trimtab.policies.registry import build_policy
from trimtab.tax.rules import TaxRates
from trimtab.trades.plan import TradePlan
from trimtab.trades.planner import plan_trades

RATES = (0.37, 0.20)
COSTS = CostSettings(half_spread_bps=2.0)
TAX_WEIGHTS = (0.0, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1.0, 30.0)
BANDS = (0.005, 0.01, 0.02, 0.03, 0.05)
EXTRA_TE_BP = (25, 50)
DOCS = Path(__file__).resolve().parents[1] / "docs"


@dataclass(frozen=True)
class Setup:
    """Size of the study (the defaults are the documented run; the smoke test shrinks them)."""

    years: tuple[int, ...] = tuple(range(2008, 2023))
    symbols: int = 20
    history_years: int = 8
    taxable_start: float = 400_000.0
    ira_start: float = 200_000.0
    taxable_quarterly: float = 10_000.0
    ira_quarterly: float = 2_000.0
    tax_weights: tuple[float, ...] = TAX_WEIGHTS
    bands: tuple[float, ...] = BANDS


def _prices_at(frame: pd.DataFrame, day: pd.Timestamp) -> dict[str, Decimal]:
    row = frame.loc[day]
    return {s: Decimal(repr(round(float(row[s]), 3))) for s in frame.columns}


def _targets(symbols: Sequence[str]) -> dict[str, float]:
    weight = round(0.98 / len(symbols), 6)
    out = {s: weight for s in symbols}
    out[CASH] = 1.0 - weight * len(symbols)
    return out


def _decision_day(frame: pd.DataFrame, year: int) -> pd.Timestamp:
    days = frame.index[frame.index <= pd.Timestamp(year, 12, 15)]
    return days[-1]


def build_household(frame: pd.DataFrame, as_of: pd.Timestamp, setup: Setup) -> Household:
    """The household at ``as_of``: eight years of a lump sum plus quarterly buy-only contributions."""
    symbols = list(frame.columns)
    targets = _targets(symbols)
    days = frame.index[(frame.index >= as_of - pd.DateOffset(years=setup.history_years)) & (frame.index < as_of)]
    household = Household(
        name="study",
        accounts=(
            Account(id="taxable", kind=AccountKind.TAXABLE, cash=Decimal(repr(setup.taxable_start))),
            Account(id="ira", kind=AccountKind.TAX_DEFERRED, cash=Decimal(repr(setup.ira_start))),
        ),
    )
    trading = TradingSettings(fractional=True, fraction_decimals=4, placement=Placement.TAX_AWARE)
    buy_only = TradingSettings(fractional=True, fraction_decimals=4, placement=Placement.PRO_RATA, buy_only=True)
    tax = TaxSettings(short_term_rate=RATES[0], long_term_rate=RATES[1], relief_method=ReliefMethod.FIFO)
    for k, day in enumerate(days[::63]):
        prices = _prices_at(frame, day)
        if k > 0:
            household = household.replace(accounts=[
                a.with_cash(a.cash + Decimal(repr(setup.taxable_quarterly if a.id == "taxable" else setup.ira_quarterly)))
                for a in household.accounts])
        # every fourth quarter a tax-blind full rebalance (FIFO, sells from the IRA first); else buy-only
        settings = trading if k % 4 == 0 else buy_only
        plan = plan_trades(household, prices, targets, as_of=day.date(), costs=COSTS, trading=settings, tax=tax)
        household = plan.after
    return household


@dataclass(frozen=True)
class Point:
    """One policy's outcome at one date."""

    date: str
    policy: str
    parameter: float
    te_after: float  # annualised, fraction
    tax: float  # dollars, plan's netted estimate (negative: saving)
    realized_short: float
    realized_long: float
    trading_cost: float  # dollars
    turnover: float  # one-way, fraction of value
    value: float  # household value before, dollars
    te_before: float


def _weights(household: Household, prices: dict[str, Decimal], symbols: Sequence[str]) -> tuple[np.ndarray, float, float]:
    value = float(household.market_value(prices))
    w = np.array([float(household.quantity(s) * prices[s]) / value for s in symbols])
    return w, float(household.total_cash) / value, value


def _te(w: np.ndarray, target: np.ndarray, cov: np.ndarray) -> float:
    d = w - target
    return float(math.sqrt(max(d @ cov @ d, 0.0)))


def run_date(market: MarketData, frame: pd.DataFrame, year: int, setup: Setup,
             optimizers: dict[float, object]) -> list[Point]:
    """Every policy at the decision day of ``year``."""
    as_of = _decision_day(frame, year)
    symbols = list(frame.columns)
    household = build_household(frame, as_of, setup)
    prices = _prices_at(frame, as_of)
    targets = _targets(symbols)
    target = np.array([targets[s] for s in symbols])
    snapshot = market.snapshot(as_of)
    cov = estimate_covariance(snapshot, symbols, lookback=756).matrix
    w, cash, value = _weights(household, prices, symbols)
    te_before = _te(w, target, cov)
    ctx = DecisionContext(as_of=as_of, symbols=tuple(symbols), weights=w, cash_weight=cash, target=target,
                          target_cash=targets[CASH], value=value, snapshot=snapshot, covariance=lambda: cov)
    day = f"{as_of:%Y-%m-%d}"
    trading = TradingSettings(fractional=True, fraction_decimals=4, placement=Placement.TAX_AWARE)

    def point(policy: str, parameter: float, weights: dict[str, float] | None, relief: ReliefMethod) -> Point:
        if weights is None:
            return Point(day, policy, parameter, te_before, 0.0, 0.0, 0.0, 0.0, 0.0, value, te_before)
        tax = TaxSettings(short_term_rate=RATES[0], long_term_rate=RATES[1], relief_method=relief)
        plan: TradePlan = plan_trades(household, prices, weights, as_of=as_of.date(), costs=COSTS,
                                      trading=trading, tax=tax)
        after, _, _ = _weights(plan.after, prices, symbols)
        return Point(day, policy, parameter, _te(after, target, cov), float(plan.estimated_tax),
                     float(plan.realized_short), float(plan.realized_long), float(plan.transaction_cost),
                     plan.turnover, value, te_before)

    points = [point("no trade", 0.0, None, ReliefMethod.MIN_TAX),
              point("tax-blind full", 0.0, targets, ReliefMethod.FIFO),
              point("tax-blind full min_tax", 0.0, targets, ReliefMethod.MIN_TAX)]
    for band in setup.bands:
        decision = build_policy(PolicySpec("threshold", {"band": band, "move": "band_edge"})).decide(ctx)
        points.append(point("band", band, decision.target_weights if decision.trades else None, ReliefMethod.MIN_TAX))
    _STATE["tax"] = TaxInputs.from_household(household, TaxRates(*map(repr, RATES)), sold=as_of.date(),
                                            relief=ReliefMethod.MIN_TAX)
    for lam, policy in optimizers.items():
        decision = policy.decide(ctx)  # type: ignore[attr-defined]
        if "fallback" in decision.details:
            print(f"  {day} optimizer lam={lam}: {decision.details['fallback']['reason']}", file=sys.stderr)
        points.append(point("optimizer", lam, decision.target_weights if decision.trades else None, ReliefMethod.MIN_TAX))
    return points


_STATE: dict[str, TaxInputs] = {}


def make_optimizers(setup: Setup) -> dict[float, object]:
    """One compiled optimizer per tax weight; the household's lots come in per date through ``extra_data``."""
    out = {}
    for lam in setup.tax_weights:
        params = {"tax_weight": lam} if lam > 0 else {}
        out[lam] = build_optimizer_policy(params, costs=COSTS, tax_term=LotTax() if lam > 0 else None,
                                          extra_data=lambda ctx: {"tax": _STATE["tax"]})
    return out


def summarize(points: pd.DataFrame) -> pd.DataFrame:
    """Per date: the tax-blind rebalance and the least optimizer / band tax within +25 and +50 bp of its TE."""
    rows = []
    for day, group in points.groupby("date", sort=True):
        blind = group[group.policy == "tax-blind full"].iloc[0]
        blind_mt = group[group.policy == "tax-blind full min_tax"].iloc[0]
        row = {"date": day, "value": blind.value, "te_before": blind.te_before, "blind_te": blind.te_after,
               "blind_tax": blind.tax, "blind_min_tax_tax": blind_mt.tax, "blind_cost": blind.trading_cost}
        for extra in EXTRA_TE_BP:
            limit = blind.te_after + extra / 1e4 + 1e-9
            for name in ("optimizer", "band"):
                ok = group[(group.policy == name) & (group.te_after <= limit)]
                best = ok.loc[ok.tax.idxmin()] if len(ok) else None
                row[f"{name}_tax_{extra}bp"] = float(best.tax) if best is not None else math.nan
                row[f"{name}_te_{extra}bp"] = float(best.te_after) if best is not None else math.nan
                row[f"{name}_cost_{extra}bp"] = float(best.trading_cost) if best is not None else math.nan
            tax_opt = row[f"optimizer_tax_{extra}bp"]
            row[f"reduction_{extra}bp"] = (1 - tax_opt / blind.tax) if blind.tax > 0 else math.nan
            row[f"reduction_vs_min_tax_{extra}bp"] = (1 - tax_opt / blind_mt.tax) if blind_mt.tax > 0 else math.nan
        bands = group[group.policy == "band"].sort_values("parameter")
        tight = bands.iloc[0]  # the narrowest band: the rule-based point closest to the targets
        row["band_parameter"], row["band_te"], row["band_tax"] = tight.parameter, tight.te_after, tight.tax
        ok = group[(group.policy == "optimizer") & (group.te_after <= tight.te_after + 1e-9)]
        row["optimizer_tax_at_band_te"] = float(ok.tax.min()) if len(ok) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(summary: pd.DataFrame) -> str:
    """The per-date table for docs/tax.md."""
    header = ("| date | value | TE before | blind TE | blind tax (FIFO) | blind tax (min_tax) | optimizer tax, TE +25 bp "
              "| reduction | optimizer tax, TE +50 bp | reduction | 0.5 pp band: TE, tax | optimizer tax at that TE |")
    lines = [header,
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def pct(x: float) -> str:
        return "n/a" if not math.isfinite(x) else f"{100 * x:.0f} %"

    def usd(x: float) -> str:
        return "n/a" if not math.isfinite(x) else f"{x:,.0f}"

    for r in summary.itertuples():
        lines.append(f"| {r.date} | {usd(r.value)} | {100 * r.te_before:.2f} % | {100 * r.blind_te:.2f} % | "
                     f"{usd(r.blind_tax)} | {usd(r.blind_min_tax_tax)} | {usd(r.optimizer_tax_25bp)} | "
                     f"{pct(r.reduction_25bp)} | {usd(r.optimizer_tax_50bp)} | {pct(r.reduction_50bp)} | "
                     f"{100 * r.band_te:.2f} %, {usd(r.band_tax)} | {usd(r.optimizer_tax_at_band_te)} |")
    valid25 = summary.reduction_25bp.dropna()
    valid50 = summary.reduction_50bp.dropna()
    lines.append("")
    lines.append(f"Median reduction versus the tax-blind (FIFO) rebalance: {pct(valid25.median())} at +25 bp, "
                 f"{pct(valid50.median())} at +50 bp of tracking error (over {len(valid25)} dates with a positive "
                 f"tax-blind tax; range {pct(valid25.min())} .. {pct(valid25.max())} and {pct(valid50.min())} .. "
                 f"{pct(valid50.max())}).")
    total = summary.blind_tax.sum()
    for extra in EXTRA_TE_BP:
        opt = summary[f"optimizer_tax_{extra}bp"].sum()
        lines.append(f"Summed over the {len(summary)} dates: tax-blind {usd(total)}, optimizer at +{extra} bp "
                     f"{usd(opt)}: {pct(1 - opt / total) if total > 0 else 'n/a'} less.")
    band, at_band = summary.band_tax.sum(), summary.optimizer_tax_at_band_te.sum()
    lines.append(f"Rule-based 0.5 pp band (min-tax relief), summed: {usd(band)} at a median TE of "
                 f"{100 * summary.band_te.median():.2f} %; the optimizer at no more TE: {usd(at_band)}.")
    v25 = summary.reduction_vs_min_tax_25bp.dropna()
    v50 = summary.reduction_vs_min_tax_50bp.dropna()
    lines.append(f"Versus the same full rebalance with min-tax relief: median {pct(v25.median())} at +25 bp, "
                 f"{pct(v50.median())} at +50 bp.")
    return "\n".join(lines)


def plot(points: pd.DataFrame, summary: pd.DataFrame, out: Path, *, png: bool = True) -> list[Path]:
    """Plotly HTML (and a PNG when matplotlib is installed) of the curve at the last date and the reductions."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    last = points[points.date == points.date.max()]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"Tax vs tracking error, {last.date.iloc[0]}",
                                                        "Tax per decision date: tax-blind vs optimizer"))
    for name, mode in (("optimizer", "lines+markers"), ("band", "lines+markers"), ("tax-blind full", "markers"),
                       ("tax-blind full min_tax", "markers"), ("no trade", "markers")):
        g = last[last.policy == name].sort_values("te_after")
        fig.add_trace(go.Scatter(x=100 * g.te_after, y=g.tax, mode=mode, name=name,
                                 text=[f"{name} {p:g}" for p in g.parameter]), row=1, col=1)
    fig.add_trace(go.Bar(x=summary.date, y=summary.blind_tax, name="tax-blind full rebalance"), row=1, col=2)
    for extra in EXTRA_TE_BP:
        fig.add_trace(go.Bar(x=summary.date, y=summary[f"optimizer_tax_{extra}bp"], name=f"optimizer, +{extra} bp TE"),
                      row=1, col=2)
    fig.update_xaxes(title_text="tracking error after trading (%)", row=1, col=1)
    fig.update_yaxes(title_text="estimated tax of the trades ($)", row=1, col=1)
    fig.update_yaxes(title_text="estimated tax of the trades ($)", row=1, col=2)
    fig.update_layout(width=1200, height=500, barmode="group")
    html = out / "tax_tradeoff.html"
    fig.write_html(html, include_plotlyjs="cdn")
    written = [html]
    if not png:
        return written
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return written
    fig2, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    for name, style in (("optimizer", "o-"), ("band", "s--"), ("tax-blind full", "X"),
                        ("tax-blind full min_tax", "P"), ("no trade", "D")):
        g = last[last.policy == name].sort_values("te_after")
        ax1.plot(100 * g.te_after, g.tax, style, label=name, markersize=7)
    ax1.axhline(0, color="grey", lw=0.5)
    ax1.set_xlabel("tracking error after trading (%)")
    ax1.set_ylabel("estimated tax of the trades ($)")
    ax1.set_title(f"Tax vs tracking error, {last.date.iloc[0]}")
    ax1.legend(fontsize=8)
    x = np.arange(len(summary))
    series = [("tax-blind full rebalance", summary.blind_tax)] + [
        (f"optimizer, +{extra} bp TE", summary[f"optimizer_tax_{extra}bp"]) for extra in EXTRA_TE_BP]
    width = 0.8 / len(series)
    for k, (label, values) in enumerate(series):
        ax2.bar(x + (k - (len(series) - 1) / 2) * width, values.fillna(0), width=width, label=label)
    ax2.set_xticks(x, [d[:4] for d in summary.date], rotation=60, fontsize=8)
    ax2.set_ylabel("estimated tax of the trades ($)")
    ax2.set_title("Per decision date (December): tax-blind vs optimizer")
    ax2.axhline(0, color="grey", lw=0.5)
    ax2.legend(fontsize=8)
    fig2.tight_layout()
    png = out / "tax_tradeoff.png"
    fig2.savefig(png, dpi=90)
    written.append(png)
    return written


_WORKER: dict[str, object] = {}


def _universe(setup: Setup, market: MarketData | None = None) -> tuple[MarketData, pd.DataFrame]:
    market = market or load_builtin("us-stocks")
    snap = market.snapshot(market.snapshot().as_of)
    symbols = list(snap.symbols)[: setup.symbols]
    frame = pd.DataFrame(np.asarray(snap.close)[:, : setup.symbols], index=snap.times, columns=symbols)
    return market, frame


def _run_year(year: int, setup: Setup) -> list[Point]:
    """One decision date in a worker process (market data and compiled optimizers kept per process)."""
    if _WORKER.get("setup") != setup:
        market, frame = _universe(setup)
        _WORKER.update(setup=setup, market=market, frame=frame, optimizers=make_optimizers(setup))
    start = time.perf_counter()
    points = run_date(_WORKER["market"], _WORKER["frame"], year, setup, _WORKER["optimizers"])  # type: ignore[arg-type]
    print(f"  {year}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return points


def run(setup: Setup, out: Path, *, jobs: int = 1, png: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the study and write the CSVs and plots under ``out``; returns (points, summary)."""
    points: list[Point] = []
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for chunk in pool.map(_run_year, setup.years, [setup] * len(setup.years)):
                points.extend(chunk)
    else:
        for year in setup.years:
            points.extend(_run_year(year, setup))
    table = pd.DataFrame([p.__dict__ for p in points])
    summary = summarize(table)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "tax_tradeoff.csv", index=False, float_format="%.6g")
    summary.to_csv(out / "tax_tradeoff_summary.csv", index=False, float_format="%.6g")
    plot(table, summary, out, png=png)
    return table, summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="*", default=list(Setup().years), help="decision years")
    parser.add_argument("--out", type=Path, default=DOCS, help="output folder (default docs/)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (dates run in parallel)")
    args = parser.parse_args(argv)
    setup = Setup(years=tuple(args.years))
    start = time.perf_counter()
    _table, summary = run(setup, args.out, jobs=args.jobs)
    print(markdown(summary))
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
