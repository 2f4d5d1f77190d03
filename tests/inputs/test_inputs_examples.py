"""The example households load, and what they load equals what their files say."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from trimtab.data.portfolio_file import DEFAULT_POLICY, PortfolioFile, load_portfolio
from trimtab.domain.accounts import AccountKind
from trimtab.domain.targets import CASH
from trimtab.errors import AccountError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ALL_EXAMPLES = sorted(p.parent.name for p in EXAMPLES.glob("*/portfolio.yaml"))


@pytest.fixture(scope="module", params=ALL_EXAMPLES)
def loaded(request: pytest.FixtureRequest) -> tuple[Path, PortfolioFile]:
    path = EXAMPLES / request.param / "portfolio.yaml"
    return path, load_portfolio(path)


def test_required_examples_exist() -> None:
    assert {"family", "simple", "csv-prices", "lots-with-cost-basis"} <= set(ALL_EXAMPLES)


def test_positions_equal_the_sum_of_the_lots_rows(loaded: tuple[Path, PortfolioFile]) -> None:
    path, pf = loaded
    raw = yaml.safe_load(path.read_text())
    quantity: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    basis: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with open(path.parent / raw["lots"], newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["account"], row["symbol"])
            qty = Decimal(row["quantity"])
            quantity[key] += qty
            basis[key] += Decimal(row["cost_basis"]) if row.get("cost_basis") else Decimal(row["unit_cost"]) * qty
    positions = pf.household.positions()
    assert set(positions) == set(quantity)
    for key, position in positions.items():
        assert position.quantity == quantity[key]
        assert position.cost_basis == basis[key]


def test_accounts_cash_and_targets_as_written(loaded: tuple[Path, PortfolioFile]) -> None:
    path, pf = loaded
    raw = yaml.safe_load(path.read_text())
    assert [a.id for a in pf.household.accounts] == [str(a["id"]) for a in raw["accounts"]]
    for account, written in zip(pf.household.accounts, raw["accounts"], strict=True):
        assert account.kind is AccountKind(written["kind"])
        assert account.cash == Decimal(str(written.get("cash", 0)))
    assert dict(pf.targets.weights) == {k: float(v) for k, v in raw["targets"].items()}
    assert pf.prices_source == raw["prices"]
    assert pf.policy.kind == raw["policy"]["kind"]
    assert dict(pf.policy.params) == {k: v for k, v in raw["policy"].items() if k != "kind"}
    assert pf.policy_ref.file == str(path) and pf.policy_ref.row is not None


def test_as_of_and_prices(loaded: tuple[Path, PortfolioFile]) -> None:
    path, pf = loaded
    raw = yaml.safe_load(path.read_text())
    expected = pd.Timestamp(raw["as_of"]) if "as_of" in raw else pf.market.last_date
    assert pf.as_of == expected
    prices = pf.prices_at_as_of()
    assert set(prices) == set(pf.targets.symbols) | set(pf.household.symbols)
    snapshot = pf.market.snapshot(pf.as_of)
    for symbol, price in prices.items():
        assert isinstance(price, Decimal) and price > 0
        assert float(price) == snapshot.price(symbol)
    assert pf.household.market_value(prices) > 0


def test_lots_are_not_after_as_of_and_refs_point_at_rows(loaded: tuple[Path, PortfolioFile]) -> None:
    _, pf = loaded
    assert pf.lots_path is not None
    lines = pf.lots_path.read_text().splitlines()
    for lot in pf.household.lots:
        assert lot.acquired <= pf.as_of.date()
        ref = pf.lot_refs[lot.lot_id]
        assert ref.row is not None
        assert f",{lot.symbol}," in lines[ref.row - 1]


def test_family_example_matches_the_brief() -> None:
    pf = load_portfolio(EXAMPLES / "family" / "portfolio.yaml")
    kinds = {a.kind for a in pf.household.accounts}
    assert kinds == set(AccountKind)
    assert 8 <= len(pf.targets.symbols) <= 12
    assert pf.as_of == pd.Timestamp("2022-12-28")
    assert pf.policy.kind == "threshold"
    prices = pf.prices_at_as_of()
    losses = [lot for lot in pf.household.lots if lot.quantity * prices[lot.symbol] < lot.cost_basis]
    assert losses, "some lots should be at a loss"
    assert len({lot.acquired.year for lot in pf.household.lots}) >= 5
    assert pf.tax.short_term_rate == 0.37 and pf.costs.half_spread_bps == 2


def test_cost_basis_example_uses_lot_ids() -> None:
    pf = load_portfolio(EXAMPLES / "lots-with-cost-basis" / "portfolio.yaml")
    assert [lot.lot_id for lot in pf.household.lots][:2] == ["L0001", "L0002"]
    header = (EXAMPLES / "lots-with-cost-basis" / "lots.csv").read_text().splitlines()[0]
    assert "cost_basis" in header and "unit_cost" not in header


def test_a_folder_loads_its_portfolio_yaml() -> None:
    pf = load_portfolio(EXAMPLES / "simple")
    assert pf.path.name == "portfolio.yaml"


def test_defaults_for_optional_keys(tmp_path: Path) -> None:
    """No lots, no as_of, no policy, no settings: an all-cash household with defaults."""
    path = tmp_path / "cash-only" / "portfolio.yaml"
    path.parent.mkdir()
    path.write_text("accounts:\n  - {id: roth, kind: tax_exempt, cash: 1000}\n"
                    "targets: {KO: 0.5, cash: 0.5}\nprices: builtin:us-stocks\n")
    pf = load_portfolio(path)
    assert pf.household.lots == () and pf.lots_path is None
    assert pf.household.name == "cash-only"
    assert pf.as_of == pf.market.last_date
    assert pf.policy == DEFAULT_POLICY and pf.policy_ref.row is None
    assert pf.targets.cash_weight == 0.5 and CASH in pf.targets.weights
    assert pf.costs.min_trade_value == 0 and pf.tax.short_term_rate == 0 and pf.trading.lot_size == 1


def test_household_with_nothing_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text("accounts:\n  - {id: a, kind: taxable}\ntargets: {KO: 1}\nprices: builtin:us-stocks\n")
    with pytest.raises(AccountError, match=r"portfolio.yaml:1 accounts: the household holds nothing"):
        load_portfolio(path)


def test_account_targets_and_ref(tmp_path: Path) -> None:
    folder = tmp_path / "family"
    shutil.copytree(EXAMPLES / "family", folder)
    path = folder / "portfolio.yaml"
    path.write_text(path.read_text() + "account_targets:\n  roth: {UNH: 0.5, AMD: 0.5}\n")
    pf = load_portfolio(path)
    assert dict(pf.targets.per_account["roth"]) == {"UNH": 0.5, "AMD": 0.5}
    ref = pf.ref("policy", "band")
    assert ref.key == "policy.band" and ref.row == path.read_text().splitlines().index(
        "policy: {kind: threshold, band: 0.05}") + 1
