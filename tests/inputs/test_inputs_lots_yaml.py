"""The lots CSV reader and the line-keeping YAML reader on their own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.data.lots_file import load_lot_rows, load_lots
from trimtab.data.yaml_source import format_key_path, parse_yaml
from trimtab.errors import LotError, PortfolioFileError


def _lots(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lots.csv"
    path.write_text(text)
    return path


def test_unit_cost_and_cost_basis_give_the_same_lot(tmp_path: Path) -> None:
    unit = load_lots(_lots(tmp_path, "account,symbol,quantity,unit_cost,acquired\nira,KO,10,33.85,2016-02-01\n"),
                     accounts=["ira"])
    total = load_lots(_lots(tmp_path, "acquired,cost_basis,quantity,symbol,account\n2016-02-01,338.50,10,KO,ira\n"),
                      accounts=["ira"])
    assert unit[0].cost_basis == total[0].cost_basis == Decimal("338.50")
    assert unit[0].unit_cost == Decimal("33.85")
    assert unit[0].lot_id == total[0].lot_id == "ira:KO:2016-02-01:2"   # account:symbol:acquired:line


def test_comments_blank_lines_money_formats_and_optional_columns(tmp_path: Path) -> None:
    text = ("# exported 2022-12-30\n"
            "ACCOUNT,Symbol,quantity,unit_cost,cost_basis,acquired,lot_id,holding_period_start\n"
            "\n"
            'brokerage,KO,"1,000",$33.85,,2016-02-01,,\n'
            "brokerage,KO,2.5,,\"$1,234.50\",2020-03-02,my-lot,2020-01-15\n")
    rows = load_lot_rows(_lots(tmp_path, text), accounts={"brokerage"})
    assert [r.line for r in rows] == [4, 5]
    first, second = (r.lot for r in rows)
    assert first.quantity == 1000 and first.cost_basis == Decimal("33850.00")
    assert first.lot_id == "brokerage:KO:2016-02-01:4"
    assert second.lot_id == "my-lot" and second.cost_basis == Decimal("1234.50")
    assert second.holding_period_start == date(2020, 1, 15) and second.holding_start == date(2020, 1, 15)


def test_header_only_means_no_lots(tmp_path: Path) -> None:
    assert load_lots(_lots(tmp_path, "account,symbol,quantity,unit_cost,acquired\n"), accounts=["a"]) == ()


@pytest.mark.parametrize(("text", "message"), [
    ("account,symbol,quantity,unit_cost,acquired\na,KO,1,1,2020-01-02\na,KO,1,1,2020-01-02,\n",
     r"lots.csv:3: row has 6 fields"),
    ("lot_id,account,symbol,quantity,unit_cost,acquired\nx,a,KO,1,1,2020-01-02\nx,a,PEP,1,1,2020-01-02\n",
     r"lots.csv:3 lot_id: lot_id 'x' already used on line 2"),
    ("account,symbol,quantity,unit_cost,acquired\na,KO,0.0000001,1,2020-01-02\n",
     r"lots.csv:2 quantity: quantity has more than 6 decimal places"),
    ("account,symbol,quantity,unit_cost,acquired\na,CASH,100,1,2020-01-02\n", r"lots.csv:2 symbol: cash is not a lot"),
    ("account,symbol,quantity,unit_cost,acquired\na,KO,1,,2020-01-02\n", r"lots.csv:2 unit_cost: missing unit_cost"),
    ("account,symbol,quantity,unit_cost,acquired\na,KO,1,1,2021-01-05\n",
     r"lots.csv:2 acquired: acquired after the portfolio date 2021-01-04"),
    ("account,symbol,quantity,unit_cost,acquired,account\n", r"lots.csv:1 account: column 'account' appears twice"),
    ('account,symbol,quantity,unit_cost,acquired\na,"KO,1,1,2020-01-02\n', r"lots.csv:2: row has 2 fields"),
])
def test_lot_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LotError, match=message):
        load_lots(_lots(tmp_path, text), accounts=["a"], as_of=date(2021, 1, 4))


def test_missing_lots_file(tmp_path: Path) -> None:
    with pytest.raises(LotError, match="lots file not found"):
        load_lots(tmp_path / "none.csv", accounts=["a"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["KO", "PEP", "XOM"]),
                          st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1e6"), places=6),
                          st.decimals(min_value=Decimal("0"), max_value=Decimal("1e4"), places=4),
                          st.dates(min_value=date(1990, 1, 1), max_value=date(2022, 12, 28))), max_size=20))
def test_lots_round_trip(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple]) -> None:
    """Property: whatever lots are written come back with the same quantities and bases, in order."""
    lines = ["account,symbol,quantity,unit_cost,acquired"]
    lines += [f"{a},{s},{q},{c},{d.isoformat()}" for a, s, q, c, d in rows]
    path = tmp_path_factory.mktemp("lots") / "lots.csv"
    path.write_text("\n".join(lines) + "\n")
    lots = load_lots(path, accounts=["a", "b"], as_of=date(2022, 12, 28))
    assert [(x.account, x.symbol, x.quantity, x.cost_basis, x.acquired) for x in lots] == [
        (a, s, q, c * q, d) for a, s, q, c, d in rows]
    assert len({x.lot_id for x in lots}) == len(lots)


def test_yaml_keeps_lines_and_ticker_keys() -> None:
    doc = parse_yaml("household: x\n"
                     "accounts:\n"
                     "  - {id: b, kind: taxable}\n"
                     "  - id: ira\n"
                     "    kind: tax_deferred\n"
                     "targets: {NO: 0.5, ON: 0.25, 2020: 0.25}\n")
    assert list(doc.data["targets"]) == ["NO", "ON", "2020"]
    assert doc.line("accounts", 1, "kind") == 5
    assert doc.line("targets", "ON") == 6
    assert doc.line("targets", "missing") == 6      # falls back to the parent key
    assert str(doc.ref("accounts", 1, "kind")) == "<string>:5 accounts[ira].kind"
    assert format_key_path(("accounts", 0, "cash")) == "accounts[0].cash"


def test_yaml_merge_keys_and_duplicates() -> None:
    doc = parse_yaml("base: &b {kind: taxable, cash: 5}\nacct:\n  <<: *b\n  id: x\n")
    assert doc.data["acct"] == {"kind": "taxable", "cash": 5, "id": "x"}
    with pytest.raises(PortfolioFileError, match=r"<string>:3 a.b: key 'b' appears twice \(first on line 2\)"):
        parse_yaml("a:\n  b: 1\n  b: 2\n")
    with pytest.raises(PortfolioFileError, match=r"<string>:2: YAML syntax error: expected a single document"):
        parse_yaml("a: 1\n---\nb: 2\n")
