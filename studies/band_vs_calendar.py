"""Band versus calendar rebalancing at equal tracking error on simulated paths (Leland; KAT-03/KAT-04).

One command::

    .venv/bin/python studies/band_vs_calendar.py            # about 10 minutes on one core; --jobs 2 halves it

Model: a risky asset (GBM, volatility 20 %/yr, drift 2 %/yr = pi * sigma^2 so that the weight has no drift
at the target) and a riskless one (constant price), target 50/50, daily steps (252 a year), no costs and no
tax (costs do not change turnover at given rules; they are left out so only the rules differ). The weight
deviation x = w - 0.5 then moves with sigma_x = 0.2 * 0.25 = 0.05 per sqrt(year).

For each calendar rule (reset every quarter / half year / year) the study measures the mean squared
deviation m = E[x^2] of the weights held (after trading, every day) and the one-way turnover per year. It runs
the two band rules -- trade to the band edge (``threshold, move: band_edge``) and reset to target
(``threshold``) -- at three band widths around the continuous-time width with the same m, and interpolates
their turnover (log-log) to the calendar's m. KAT-04: at equal m, turnover(band to edge) / turnover(calendar)
= sqrt(pi) / (2 sqrt(3)) = 0.5117 and turnover(band to edge) / turnover(band to target) = 1 / sqrt(2) =
0.7071, in continuous time. Every path is shared by all rules (common random numbers); standard errors come
from the spread across paths (batch means).
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal

import numpy as np
import pandas as pd

from trimtab.backtest import Scenario, simulate
from trimtab.data.market import MarketData
from trimtab.domain.accounts import AccountKind
from trimtab.domain.settings import PolicySpec
from trimtab.domain.targets import TargetAllocation
from trimtab.policies.registry import build_policy

SIGMA = 0.20
PI = 0.5
SIGMA_X = SIGMA * PI * (1 - PI)
STEPS_PER_YEAR = 252
CALENDARS = {"quarterly": 0.25, "semiannual": 0.5, "annual": 1.0}
SCALES = (0.85, 1.0, 1.15)
EDGE_OVER_CALENDAR = math.sqrt(math.pi) / (2 * math.sqrt(3))
EDGE_OVER_TARGET = 1 / math.sqrt(2)


def market(seed: int, years: int) -> MarketData:
    """One path: daily weekday stamps from 2041 (weekday calendar rules), RISKY GBM and a flat SAFE asset."""
    dates = pd.bdate_range("2041-01-01", periods=years * STEPS_PER_YEAR + 1)
    rng = np.random.default_rng(seed)
    dt = 1.0 / STEPS_PER_YEAR
    mu = PI * SIGMA**2
    steps = rng.normal((mu - 0.5 * SIGMA**2) * dt, SIGMA * math.sqrt(dt), size=len(dates) - 1)
    risky = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))
    frame = pd.DataFrame({"RISKY": risky, "SAFE": np.full(len(dates), 100.0)}, index=dates)
    return MarketData(frame, source=f"gbm(seed={seed})", periods_per_year=float(STEPS_PER_YEAR))


def rules() -> list[tuple[str, str, float, PolicySpec]]:
    """(family, calendar, scale, spec) for every rule run."""
    out: list[tuple[str, str, float, PolicySpec]] = []
    for name, h in CALENDARS.items():
        m = SIGMA_X**2 * h / 2
        out.append(("calendar", name, 1.0, PolicySpec("calendar", {"every": name})))
        for scale in SCALES:
            out.append(
                (
                    "edge",
                    name,
                    scale,
                    PolicySpec("threshold", {"band": scale * math.sqrt(3 * m), "move": "band_edge"}),
                )
            )
            out.append(("target", name, scale, PolicySpec("threshold", {"band": scale * math.sqrt(6 * m)})))
    return out


def run_path(seed: int, years: int) -> list[tuple[float, float]]:
    """(m, turnover per year) of every rule of :func:`rules` on one path."""
    sc = Scenario(
        market=market(seed, years),
        targets=TargetAllocation({"RISKY": PI, "SAFE": 1 - PI}),
        initial_value=Decimal(10**9),
        account_kind=AccountKind.TAX_DEFERRED,
    )
    out = []
    for _family, _calendar, _scale, spec in rules():
        run = simulate(build_policy(spec), sc)
        x = run.weights[:, 0] - PI
        out.append((float(np.mean(x**2)), float(run.turnover.sum() / run.years)))
    return out


def at_equal_m(ms: np.ndarray, tos: np.ndarray, m: float) -> float:
    """Turnover interpolated (log-log, least squares) at mean squared deviation ``m``."""
    slope, intercept = np.polyfit(np.log(ms), np.log(tos), 1)
    return float(math.exp(intercept + slope * math.log(m)))


def _at_calendar(
    rows: np.ndarray, table: list[tuple[str, str, float, PolicySpec]], calendar: str
) -> tuple[float, float, float, float]:
    """(m, turnover) of the calendar rule and the two band rules' turnover at that m, from rows (rules, 2)."""
    pick = {
        family: [i for i, r in enumerate(table) if r[0] == family and r[1] == calendar]
        for family in ("calendar", "edge", "target")
    }
    m_cal, to_cal = rows[pick["calendar"][0]]
    to_edge = at_equal_m(rows[pick["edge"], 0], rows[pick["edge"], 1], m_cal)
    to_target = at_equal_m(rows[pick["target"], 0], rows[pick["target"], 1], m_cal)
    return float(m_cal), float(to_cal), to_edge, to_target


def _standard_error(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1) / math.sqrt(len(values)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=16, help="independent paths (default 16)")
    parser.add_argument("--years", type=int, default=100, help="years per path (default 100)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    seeds = list(range(args.seed, args.seed + args.paths))
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = np.array(list(pool.map(run_path, seeds, [args.years] * len(seeds))))  # (paths, rules, 2)
    table = rules()
    print(
        f"{args.paths} paths x {args.years} years, daily steps, sigma_x = {SIGMA_X:g}, "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(
        "| calendar | steps per period | RMS deviation | turnover / yr: calendar | band to edge "
        "| band to target "
        "| edge / calendar (theory 0.5117) | edge / target (theory 0.7071) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, h in CALENDARS.items():
        m_cal, to_cal, to_edge, to_target = _at_calendar(results.mean(axis=0), table, name)
        per_path = np.array([_at_calendar(results[p], table, name) for p in range(args.paths)])
        edge_cal = per_path[:, 2] / per_path[:, 1]
        edge_target = per_path[:, 2] / per_path[:, 3]
        print(
            f"| {name} | {round(h * STEPS_PER_YEAR)} | {math.sqrt(m_cal):.4f} | {to_cal:.4f} | "
            f"{to_edge:.4f} | {to_target:.4f} | {to_edge / to_cal:.4f} +- {_standard_error(edge_cal):.4f} | "
            f"{to_edge / to_target:.4f} +- {_standard_error(edge_target):.4f} |"
        )
    print(
        "\ncontinuous-time calendar turnover sigma_x * sqrt(2 / (pi h)): "
        + ", ".join(f"{name} {SIGMA_X * math.sqrt(2 / (math.pi * h)):.4f}" for name, h in CALENDARS.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
