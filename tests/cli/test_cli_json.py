"""``trimtab rebalance --json`` gives the documented document for every example and every policy kind.

The document (README, "Output"): money and quantities are decimal strings, weights and risk are numbers;
sells come before buys; the totals add up to the trades; value after = value before - transaction cost.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from trimtab.cli.main import main
from trimtab.policies.registry import policy_kinds

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*/portfolio.yaml"))
# One CLI policy option per registered kind (the kind alone uses its defaults), plus the partial move.
POLICY_OPTIONS = [*policy_kinds(buildable_from_defaults=True), "threshold:band=0.02,move=band_edge", "calendar:annual",
                  "threshold:0.01"]

TOP_KEYS = {"as_of", "policy", "decision", "reasons", "before", "after", "trades", "totals", "notes", "fallback"}
TRADE_KEYS = {"account", "symbol", "side", "quantity", "price", "value", "estimated_cost", "lots"}
LOT_KEYS = {"acquired", "quantity", "cost_basis", "realized_gain", "term"}
TOTAL_KEYS = {"turnover", "transaction_cost", "realized_gain_short", "realized_gain_long", "estimated_tax"}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    return json.loads(out)                       # exactly one JSON document on stdout


def _money(text: str) -> Decimal:
    assert isinstance(text, str)
    value = Decimal(text)
    assert value == value.quantize(Decimal("0.01")), text
    return value


def test_examples_exist() -> None:
    assert len(EXAMPLE_FILES) >= 3


@pytest.mark.parametrize("option", POLICY_OPTIONS)
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.parent.name)
def test_rebalance_json_document(path: Path, option: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(capsys, "rebalance", str(path), "--policy", option, "--json")
    assert set(doc) == TOP_KEYS
    assert doc["decision"] in {"hold", "rebalance", "partial"}
    assert isinstance(doc["policy"], str) and doc["policy"].split("(")[0] in policy_kinds()
    assert doc["reasons"] and all(isinstance(r, str) and r for r in doc["reasons"])
    before, after = doc["before"], doc["after"]
    assert set(before) == {"value", "weights", "drift", "tracking_error"}
    assert set(after) == {"value", "weights", "tracking_error", "cash"}
    for side in (before, after):
        assert sum(side["weights"].values()) == pytest.approx(1.0, abs=1e-5)
        assert all(isinstance(w, float | int) and w >= -1e-12 for w in side["weights"].values())
        assert side["tracking_error"] >= 0
    assert set(doc["totals"]) == TOTAL_KEYS
    trades = doc["trades"]
    if doc["decision"] == "hold":
        assert trades == [] and after == {**after, "value": before["value"]}
        return
    sides = [t["side"] for t in trades]
    assert sides == sorted(sides, key=lambda s: s != "sell")      # sells first
    cost = Decimal("0")
    for t in trades:
        assert set(t) == TRADE_KEYS
        qty = Decimal(t["quantity"])
        assert qty > 0
        price, value = _money(t["price"]), _money(t["value"])
        assert abs(qty * price - value) <= Decimal("0.01") + qty * Decimal("0.005")   # price is shown rounded
        cost += _money(t["estimated_cost"])
        if t["side"] == "sell":
            assert sum((Decimal(lot["quantity"]) for lot in t["lots"]), Decimal("0")) == qty
            for lot in t["lots"]:
                assert set(lot) == LOT_KEYS and lot["term"] in {"short", "long"}
        else:
            assert t["lots"] == []
    totals = doc["totals"]
    assert _money(totals["transaction_cost"]) == cost
    assert _money(before["value"]) - _money(after["value"]) == cost
    assert all(_money(c) >= 0 for c in after["cash"].values())   # never negative cash
    assert totals["turnover"] > 0


def test_threshold_rebalance_reduces_tracking_error(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(capsys, "rebalance", str(EXAMPLES / "family" / "portfolio.yaml"), "--policy", "threshold:0.05",
               "--json")
    assert doc["decision"] == "rebalance"
    assert doc["after"]["tracking_error"] < doc["before"]["tracking_error"]
    assert any("band" in r for r in doc["reasons"])


def test_infeasible_optimizer_holds_and_records_the_fallback(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 4: bounds that cannot sum to 1 give a clear message naming the constraints and a recorded hold."""
    doc = _run(capsys, "rebalance", str(EXAMPLES / "family" / "portfolio.yaml"), "--policy",
               "optimizer:min_weight=0.2", "--json")
    assert doc["decision"] == "hold" and doc["trades"] == []
    fallback = doc["fallback"]
    assert fallback["error"] == "InfeasibleError" and fallback["used"] == "hold"
    assert "WeightBounds" in fallback["reason"] and "CashBounds" in fallback["reason"]
    assert "optimizer failed" in doc["reasons"][0]


def test_output_csv_matches_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trades.csv"
    doc = _run(capsys, "rebalance", str(EXAMPLES / "family" / "portfolio.yaml"), "--json", "--output", str(out))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("account,symbol,side,quantity")
    assert len(lines) == 1 + len(doc["trades"])


def test_validate_and_drift_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "family" / "portfolio.yaml")
    summary = _run(capsys, "validate", path, "--json")
    assert summary["valid"] is True and summary["lots"] > 0
    drift = _run(capsys, "drift", path, "--json")
    assert sum(drift["weights"].values()) == pytest.approx(1.0, abs=1e-5)
    assert drift["tracking_error"] == pytest.approx(sum(drift["te_contributions"].values()), abs=1e-5)
    for account in drift["accounts"].values():          # each account's own weights
        assert sum(account["weights"].values()) == pytest.approx(1.0, abs=1e-5)
    for symbol, d in drift["drift"].items():
        assert d == pytest.approx(drift["weights"][symbol] - drift["targets"][symbol], abs=2e-6)


def test_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for heading in ("holdings", "Drift from target", "Trades", "Totals"):
        assert heading in out
