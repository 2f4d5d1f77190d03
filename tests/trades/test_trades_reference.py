"""The optimised trade planner returns exactly the plans of the pre-optimisation planner.

``golden_plans.json.gz`` holds the plans that the frozen copy of the old ``plan_trades`` (sizing, placement,
lot relief; from before the speed work of issue "After-tax, after-cost backtester", item 6 "Speed") made on
393 deterministic cases, recorded by ``make_golden_plans.py`` (see its docstring for the commit holding the
old planner and how to regenerate).  Every field of the :class:`~trimtab.trades.TradePlan` -- trades, lot
reliefs, the household after (lot order included), prices, date, costs, turnover, realized gains, tax and
notes -- must be equal as recorded (Decimals compared as strings, so the exponent counts too), and inputs
the old planner rejected must be rejected with the same error class and message.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from make_golden_plans import GOLDEN_PATH, build_cases, plan_record

from trimtab.errors import TrimtabError
from trimtab.testing.strategies import RebalanceCase
from trimtab.trades import plan_trades

CASES: list[tuple[str, RebalanceCase]] = build_cases()


@pytest.fixture(scope="module")
def golden() -> dict[str, dict[str, Any]]:
    """Recorded outcome per case name."""
    with gzip.open(GOLDEN_PATH, "rt", encoding="utf-8") as handle:
        payload = json.load(handle)
    return {entry["name"]: entry["outcome"] for entry in payload["cases"]}


def test_golden_file_has_every_case(golden: dict[str, dict[str, Any]]) -> None:
    """The cases built now are exactly the recorded ones (same names), at least 300."""
    assert len(CASES) >= 300
    assert sorted(golden) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize("case", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_plan_equals_recorded_reference_plan(case: RebalanceCase, request: pytest.FixtureRequest,
                                             golden: dict[str, dict[str, Any]]) -> None:
    """Random households, targets, steps, costs, buffers, placements and relief methods: the same plan."""
    name = request.node.callspec.id
    want = golden[name]
    try:
        plan = plan_trades(case.household, case.prices, case.weights, as_of=case.as_of, costs=case.costs,
                           trading=case.trading, tax=case.tax, sigma=case.sigma, volume=case.volume)
    except TrimtabError as error:
        assert {"error": type(error).__name__, "message": str(error)} == want
        return
    assert plan.before == case.household  # the one field not recorded: the case's own input
    got = plan_record(plan)
    assert sorted(got) == sorted(want)
    for field in want:  # field by field, so a failure names the field
        assert got[field] == want[field], f"{name}: {field}"


def test_fixed_plan_sells_overweight_and_buys_underweight(golden: dict[str, dict[str, Any]]) -> None:
    """A fixed two-symbol plan: sell the overweight X, buy the underweight Y, the household before kept."""
    case = dict(CASES)["fixed-two-symbols"]
    plan = plan_trades(case.household, case.prices, case.weights, as_of=case.as_of, costs=case.costs,
                       trading=case.trading, tax=case.tax, sigma=case.sigma, volume=case.volume)
    assert [(t.side.value, t.symbol) for t in plan.trades] == [("sell", "X"), ("buy", "Y")]
    assert plan.before == case.household
    assert [(t["side"], t["symbol"]) for t in golden["fixed-two-symbols"]["trades"]] == [("sell", "X"),
                                                                                          ("buy", "Y")]
