"""Record the golden trade plans that ``test_trades_reference.py`` compares the planner against.

Run once to regenerate ``golden_plans.json.gz`` (from the repository root)::

    git show 981ec40:tests/trades/trades_reference_impl.py > tests/trades/trades_reference_impl.py
    .venv/bin/python tests/trades/make_golden_plans.py
    rm tests/trades/trades_reference_impl.py

It needs the reference implementation from git history, commit ``981ec40``: the file
``tests/trades/trades_reference_impl.py`` (a frozen copy of ``plan_trades`` from before the speed work,
planner at commit ea53cd9), deleted after the plans were recorded.  Regenerating with the current planner
instead would make the test compare the planner with itself.

The cases are built by :func:`build_cases` from seeded :class:`random.Random` generators (no Hypothesis draw),
so the test and this script build exactly the same cases on every run and every machine.  They cover what
the 360 random Hypothesis cases of the old oracle test covered: 1-3 accounts of every kind (taxable,
tax-deferred IRA, tax-exempt Roth), 0-3 lots per account and symbol (whole and fractional quantities,
short and long term), symbols held but not targeted and vice versa, targets with and without cash, whole
shares, round lots and fractional steps, minimum trade values, cash buffers, buy-only, tax-aware and
pro-rata placement, every relief method, and impact costs (with ``sigma`` and ``volume``).

File format: gzip-compressed JSON ``{"reference_commit": ..., "cases": [...]}``, one entry per case in
:func:`build_cases` order, ``{"name": ..., "outcome": ...}``; the outcome is :func:`plan_record` of the
plan (every :class:`~trimtab.trades.TradePlan` field; Decimals as strings, dates ISO, enums by value,
floats by ``repr``, tuples as lists) or ``{"error": class name, "message": str(error)}``.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from trimtab.domain import Account, AccountKind, Household, ReliefMethod, TaxLot
from trimtab.domain.settings import CostSettings, ImpactSettings, Placement, TaxSettings, TradingSettings
from trimtab.errors import TrimtabError
from trimtab.testing.strategies import DEFAULT_AS_OF, DEFAULT_SYMBOLS, RebalanceCase

__all__ = ["GOLDEN_PATH", "REFERENCE_COMMIT", "build_cases", "outcome_record", "plan_record"]

#: Commit whose ``tests/trades/trades_reference_impl.py`` recorded the golden plans.
REFERENCE_COMMIT = "981ec40"
GOLDEN_PATH = Path(__file__).with_name("golden_plans.json.gz")

TWELVE_SYMBOLS: tuple[str, ...] = tuple(f"S{i:02d}" for i in range(12))
_CENT = Decimal("0.01")

#: (group name, seed, number of cases) -- mirrors the three Hypothesis tests of the old oracle test.
GROUPS: tuple[tuple[str, int, int], ...] = (
    ("random", 20_240_601, 150),
    ("buy_only_twelve", 20_240_602, 120),
    ("fractional_buffered_twelve", 20_240_603, 120),
)


# ---- seeded case builders (follow trimtab.testing.strategies, with edge values made likely) ----

def _money(rng: random.Random, low: int | Decimal, high: int | Decimal) -> Decimal:
    """Dollars with cents in ``[low, high]``; the ends themselves one time in ten each."""
    lo, hi = int(Decimal(low) * 100), int(Decimal(high) * 100)
    u = rng.random()
    cents = lo if u < 0.1 else hi if u < 0.15 else rng.randint(lo, hi)
    return Decimal(cents) * _CENT


def _quantity(rng: random.Random, max_shares: int, fractional: bool) -> Decimal:
    """Positive shares: whole, or (when ``fractional``, half the time) with 4 decimals."""
    if fractional and rng.random() < 0.5:
        return Decimal(rng.randint(10_000, max_shares * 10_000)).scaleb(-4)
    return Decimal(1 if rng.random() < 0.05 else rng.randint(1, max_shares))


def _lot(rng: random.Random, account: str, symbol: str, k: int, fractional: bool) -> TaxLot:
    """One lot acquired 0-15 years before the trade date (just-short / just-long terms made likely)."""
    quantity = _quantity(rng, 2_000, fractional)
    unit_cost = _money(rng, 1, 600)
    days = rng.choice([0, 364, 365, 366]) if rng.random() < 0.15 else rng.randint(0, 15 * 365)
    return TaxLot(account=account, symbol=symbol, quantity=quantity, cost_basis=quantity * unit_cost,
                  acquired=DEFAULT_AS_OF - timedelta(days=days), lot_id=f"{account}:{symbol}:{k}")


def _household(rng: random.Random, held: tuple[str, ...], fractional: bool) -> Household:
    """1-3 accounts of any kind, 0-3 lots per account and held symbol."""
    accounts = tuple(Account(id=f"acct{i}", kind=rng.choice(list(AccountKind)), cash=_money(rng, 0, 200_000))
                     for i in range(rng.randint(1, 3)))
    lots = [_lot(rng, account.id, symbol, k, fractional)
            for account in accounts for symbol in held for k in range(rng.randint(0, 3))]
    return Household(name="golden", accounts=accounts, lots=tuple(lots))


def _weights(rng: random.Random, targeted: tuple[str, ...]) -> dict[str, float]:
    """Weights over ``targeted`` (and CASH two times in three), integer parts 0-100 normalised (zero parts
    dropped)."""
    names = [*targeted, "CASH"] if rng.random() < 2 / 3 else list(targeted)
    parts = [0 if rng.random() < 0.2 else rng.randint(0, 100) for _ in names]
    if sum(parts) == 0:
        parts[0] = 1
    total = sum(parts)
    return {name: part / total for name, part in zip(names, parts, strict=True) if part > 0}


def _costs(rng: random.Random, max_min_trade: int) -> CostSettings:
    """Spread 0-50 bp, $0-5 a ticket, $0-0.01 a share, minimum trade, impact half the time."""
    return CostSettings(commission_per_trade=_money(rng, 0, 5),
                        commission_per_share=Decimal(rng.randint(0, 10)) / 1000,
                        half_spread_bps=float(rng.randint(0, 50)),
                        min_trade_value=_money(rng, 0, max_min_trade),
                        impact=ImpactSettings(b=1.0, alpha=1.5) if rng.random() < 0.5 else None)


def _trading(rng: random.Random, buy_only: bool | None) -> TradingSettings:
    """Whole shares, round lots or fractional; buffer 0/1/5 %; buy-only; either placement."""
    fractional = rng.random() < 0.5
    return TradingSettings(lot_size=rng.choice([1, 10, 100]), fractional=fractional,
                           fraction_decimals=rng.randint(0, 6) if fractional else 4,
                           cash_buffer=rng.choice([0.0, 0.01, 0.05]),
                           buy_only=rng.random() < 0.5 if buy_only is None else buy_only,
                           placement=rng.choice(list(Placement)))


def _tax(rng: random.Random) -> TaxSettings:
    """Rates 0-50 % / 0-30 % and any relief method."""
    return TaxSettings(short_term_rate=rng.randint(0, 50) / 100, long_term_rate=rng.randint(0, 30) / 100,
                       relief_method=rng.choice(list(ReliefMethod)))


def _case(rng: random.Random, symbols: tuple[str, ...], costs: Callable[[random.Random], CostSettings],
          trading: Callable[[random.Random], TradingSettings]) -> RebalanceCase:
    """Like ``rebalance_cases``: some symbols held but not targeted and vice versa."""
    held = tuple(s for s in symbols if rng.random() < 0.5) or symbols[:1]
    targeted = tuple(s for s in symbols if rng.random() < 0.5) or symbols[-1:]
    household = _household(rng, held, fractional=rng.random() < 0.5)
    cost = costs(rng)
    sigma: dict[str, float] = {}
    volume: dict[str, float] = {}
    if cost.impact is not None:  # impact inputs only when the model prices impact
        sigma = {s: rng.uniform(0.005, 0.05) for s in symbols}
        volume = {s: rng.uniform(1e6, 1e9) for s in symbols}
    prices = {s: _money(rng, 1, 500) for s in symbols}
    return RebalanceCase(household=household, prices=prices, weights=_weights(rng, targeted), costs=cost,
                         trading=trading(rng), tax=_tax(rng), sigma=sigma, volume=volume)


_BUFFERED = (TradingSettings(fractional=True, fraction_decimals=6),
             TradingSettings(fractional=True, fraction_decimals=2, cash_buffer=0.01),
             TradingSettings(lot_size=1, cash_buffer=0.02))


def _fixed_case() -> RebalanceCase:
    """A two-symbol plan that sells the overweight X and buys the underweight Y."""
    household = Household(name="h", accounts=(Account(id="a", kind=AccountKind.TAXABLE, cash=Decimal(100)),),
                          lots=(TaxLot(account="a", symbol="X", quantity=Decimal(30), cost_basis=Decimal(2000),
                                       acquired=DEFAULT_AS_OF.replace(year=DEFAULT_AS_OF.year - 2)),))
    return RebalanceCase(household=household, prices={"X": Decimal(100), "Y": Decimal(50)},
                         weights={"X": 0.5, "Y": 0.5}, costs=CostSettings(half_spread_bps=5.0),
                         trading=TradingSettings(), tax=TaxSettings(), sigma={}, volume={})


def build_cases() -> list[tuple[str, RebalanceCase]]:
    """Every golden case with its name (``group-index``), the same on every run.

    Returns
    -------
    list of (str, RebalanceCase)
        393 cases: 150 on the five default symbols with any settings, 120 buy-only on twelve symbols
        (minimum trade up to $50), 120 fractional/buffered on twelve symbols, one fixed plan and two
        inputs the planner rejects (a missing price, weights summing to 1.1).
    """
    builders: dict[str, tuple[tuple[str, ...], Callable[[random.Random], CostSettings],
                              Callable[[random.Random], TradingSettings]]] = {
        "random": (DEFAULT_SYMBOLS, lambda r: _costs(r, 500), lambda r: _trading(r, None)),
        "buy_only_twelve": (TWELVE_SYMBOLS, lambda r: _costs(r, 50), lambda r: _trading(r, True)),
        "fractional_buffered_twelve": (
            TWELVE_SYMBOLS,
            lambda r: CostSettings(half_spread_bps=5.0) if r.random() < 0.5 else _costs(r, 500),
            lambda r: r.choice(_BUFFERED)),
    }
    cases: list[tuple[str, RebalanceCase]] = []
    for group, seed, count in GROUPS:
        rng = random.Random(seed)
        symbols, costs, trading = builders[group]
        cases.extend((f"{group}-{i:03d}", _case(rng, symbols, costs, trading)) for i in range(count))
    fixed = _fixed_case()
    cases.append(("fixed-two-symbols", fixed))
    cases.append(("error-missing-price", dataclasses.replace(fixed, prices={"X": Decimal(100)})))
    cases.append(("error-weights-sum", dataclasses.replace(fixed, weights={"X": 0.5, "Y": 0.6})))
    return cases


# ---- recording ----

def _plain(value: Any) -> Any:
    """``value`` as JSON: dataclasses field by field, Decimal as str, float by repr, date ISO, enum value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return [[_plain(k), _plain(v)] for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot record {type(value).__name__}")


def plan_record(plan: Any) -> dict[str, Any]:
    """Every field of a :class:`~trimtab.trades.TradePlan` as JSON values (``before`` left out: the input)."""
    record = _plain(plan)
    del record["before"]  # the case's own household, rebuilt by build_cases
    return record


def outcome_record(planner: Callable[..., Any], case: RebalanceCase) -> dict[str, Any]:
    """The plan record, or ``{"error": class name, "message": str}`` of the error the planner raised."""
    try:
        plan = planner(case.household, case.prices, case.weights, as_of=case.as_of, costs=case.costs,
                       trading=case.trading, tax=case.tax, sigma=case.sigma, volume=case.volume)
    except TrimtabError as error:
        return {"error": type(error).__name__, "message": str(error)}
    return plan_record(plan)


def main() -> None:
    """Run the reference planner on every case and write :data:`GOLDEN_PATH`."""
    from trades_reference_impl import reference_plan_trades  # from git history, see the module docstring

    cases = [{"name": name, "outcome": outcome_record(reference_plan_trades, case)}
             for name, case in build_cases()]
    payload = json.dumps({"reference_commit": REFERENCE_COMMIT, "cases": cases}, separators=(",", ":"))
    with gzip.GzipFile(GOLDEN_PATH, "wb", compresslevel=9, mtime=0) as out:
        out.write(payload.encode())
    errors = sum("error" in c["outcome"] for c in cases)
    print(f"wrote {GOLDEN_PATH.name}: {len(cases)} cases ({errors} errors), {GOLDEN_PATH.stat().st_size} bytes")


if __name__ == "__main__":
    main()
