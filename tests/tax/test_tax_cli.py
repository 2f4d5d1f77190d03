"""``trimtab tax report`` through typer's CliRunner: the KNOWN_ANSWERS section 3 examples and bad input.

Each known-answer test writes a TRANSACTIONS.csv (and ACCOUNTS.yaml when needed), runs ``report --json`` and
asserts the JSON values. Errors propagate as :class:`trimtab.errors.InputError` (``trimtab.cli.main`` prints
them as one line with exit code 2).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.cli.tax_commands import app
from trimtab.errors import AccountError, InputError
from trimtab.tax.transactions import TransactionFileError

D = Decimal
HEADER = "date,account,symbol,side,quantity,price,fees,lot_id"
runner = CliRunner()


def write(tmp_path: Path, rows: list[str], accounts: str | None = None) -> list[str]:
    csv_path = tmp_path / "tx.csv"
    csv_path.write_text("\n".join([HEADER, *rows]) + "\n")
    args = ["report", str(csv_path)]
    if accounts is not None:
        acc = tmp_path / "accounts.yaml"
        acc.write_text(accounts)
        args += ["--accounts", str(acc)]
    return args


def report(tmp_path: Path, rows: list[str], accounts: str | None = None, method: str | None = None) -> dict:
    args = [*write(tmp_path, rows, accounts), "--json"]
    if method:
        args += ["--method", method]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output)


def failure(tmp_path: Path, rows: list[str], accounts: str | None = None) -> BaseException:
    result = runner.invoke(app, [*write(tmp_path, rows, accounts), "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError), result.exception
    return result.exception


IRA = (
    "accounts:\n  - {id: brokerage, kind: taxable}\n  - {id: ira, kind: tax_deferred}\n"
    "  - {id: roth, kind: tax_exempt}\n"
)


# -- known answers ------------------------------------------------------------------------------------------
def test_cli_kat16_basic_wash_sale(tmp_path: Path) -> None:
    """KAT-16 via the CLI."""
    out = report(
        tmp_path,
        [
            "2025-01-06,b,XYZ,buy,100,10.00,,",
            "2025-06-02,b,XYZ,sell,100,7.50,,",
            "2025-06-16,b,XYZ,buy,100,8.00,,",
        ],
    )
    (sale,) = out["realized"]
    assert sale == {
        **sale,
        "proceeds": "750.00",
        "cost_basis": "1000.00",
        "wash_sale_disallowed": "250.00",
        "gain": "0.00",
        "term": "short",
        "quantity": "100",
        "acquired": "2025-01-06",
        "sold": "2025-06-02",
    }
    (lot,) = out["open_lots"]
    assert lot == {
        **lot,
        "cost_basis": "1050.00",
        "acquired": "2025-06-16",
        "holding_period_start": "2025-01-20",
    }
    assert out["totals"]["wash_sale_disallowed"] == "250.00"
    assert out["totals"]["short_term"] == "0.00"


@pytest.mark.parametrize(
    "buy_day,washed",
    [
        ("2024-05-14", False),
        ("2024-05-15", True),
        ("2024-06-14", True),
        ("2024-07-14", True),
        ("2024-07-15", False),
    ],
)
def test_cli_kat16b_window_edges(tmp_path: Path, buy_day: str, washed: bool) -> None:
    """KAT-16b via the CLI: sale on 2024-06-14; purchases D-31, D-30, D, D+30, D+31."""
    buy = f"{buy_day},b,X,buy,100,9,,"
    rows = ["2024-01-02,b,X,buy,100,10,,"]
    sale = "2024-06-14,b,X,sell,100,8,,"
    rows += [buy, sale] if buy_day <= "2024-06-14" else [sale, buy]
    out = report(tmp_path, rows)
    assert out["realized"][0]["wash_sale_disallowed"] == ("200.00" if washed else "0.00")
    assert out["realized"][0]["gain"] == ("0.00" if washed else "-200.00")
    assert out["open_lots"][0]["cost_basis"] == ("1100.00" if washed else "900.00")


def test_cli_kat16b_gains_never_washed(tmp_path: Path) -> None:
    """KAT-16b via the CLI: a gain sale and a rebuy the next day."""
    out = report(
        tmp_path,
        ["2024-01-02,b,X,buy,100,10,,", "2024-03-01,b,X,sell,100,12,,", "2024-03-02,b,X,buy,100,12,,"],
    )
    assert (out["realized"][0]["gain"], out["realized"][0]["wash_sale_disallowed"]) == ("200.00", "0.00")
    assert out["open_lots"][0]["cost_basis"] == "1200.00"
    assert out["wash_sales"] == []


def test_cli_kat17_partial_disallowance(tmp_path: Path) -> None:
    """KAT-17 via the CLI."""
    out = report(
        tmp_path,
        [
            "2013-09-26,b,M,buy,100,50,,",
            "2013-12-19,b,M,buy,50,55,,",
            "2013-12-27,b,M,buy,25,45,,",
            "2014-01-09,b,M,sell,100,40,,",
        ],
    )
    (sale,) = out["realized"]
    assert (sale["wash_sale_disallowed"], sale["gain"]) == ("750.00", "-250.00")
    assert [(lot["quantity"], lot["cost_basis"]) for lot in out["open_lots"]] == [
        ("50", "3250.00"),
        ("25", "1375.00"),
    ]
    assert out["years"]["2014"]["deductible_against_ordinary"] == "250.00"


def test_cli_kat18_purchase_order(tmp_path: Path) -> None:
    """KAT-18 via the CLI."""
    out = report(
        tmp_path,
        [
            "2013-09-26,b,M,buy,100,50,,",
            "2014-02-06,b,M,sell,100,40,,",
            "2014-02-11,b,M,buy,50,40,,",
            "2014-02-12,b,M,buy,50,40,,",
            "2014-02-13,b,M,buy,50,40,,",
            "2014-02-14,b,M,buy,50,40,,",
        ],
    )
    assert out["realized"][0]["wash_sale_disallowed"] == "1000.00"
    lots = {lot["acquired"]: lot for lot in out["open_lots"]}
    assert [lots[f"2014-02-1{d}"]["cost_basis"] for d in (1, 2, 3, 4)] == [
        "2500.00",
        "2500.00",
        "2000.00",
        "2000.00",
    ]
    assert lots["2014-02-11"]["holding_period_start"] == "2013-10-01"
    assert lots["2014-02-12"]["holding_period_start"] == "2013-10-02"
    assert lots["2014-02-13"]["holding_period_start"] == "2014-02-13"


def test_cli_kat19_same_day_blocks(tmp_path: Path) -> None:
    """KAT-19 via the CLI: $3,300 disallowed, $5,500 gains recognized in full."""
    out = report(
        tmp_path,
        [
            "2008-02-04,b,X,buy,100,158,,",
            "2008-05-05,b,X,buy,100,100,,",
            "2008-08-04,b,X,buy,100,95,,",
            "2013-12-27,b,X,sell,300,125,,",
            "2014-01-09,b,X,buy,250,120,,",
        ],
    )
    assert [r["gain"] for r in out["realized"]] == ["0.00", "2500.00", "3000.00"]
    assert out["realized"][0]["wash_sale_disallowed"] == "3300.00"
    year = out["years"]["2013"]
    assert D(year["short_term"]) + D(year["long_term"]) == D(5500)
    assert year["wash_sale_disallowed"] == "3300.00"
    assert sorted(lot["cost_basis"] for lot in out["open_lots"]) == ["15300.00", "18000.00"]


@pytest.mark.parametrize("account", ["ira", "roth"])
def test_cli_kat20_ira_replacement(tmp_path: Path, account: str) -> None:
    """KAT-20 via the CLI: the IRA/Roth buy makes the $400 loss permanently disallowed; no basis moves."""
    out = report(
        tmp_path,
        [
            "2007-01-02,brokerage,X,buy,100,10,,",
            "2007-12-20,brokerage,X,sell,100,6,,",
            f"2007-12-21,{account},X,buy,100,6,,",
        ],
        accounts=IRA,
    )
    (sale,) = out["realized"]
    assert (sale["wash_sale_disallowed"], sale["permanently_disallowed"], sale["gain"]) == (
        "400.00",
        "400.00",
        "0.00",
    )
    assert out["totals"]["permanently_disallowed"] == "400.00"
    (lot,) = out["open_lots"]
    assert (lot["account"], lot["cost_basis"], lot["holding_period_start"]) == (
        account,
        "600.00",
        "2007-12-21",
    )
    assert any(f["code"] == "permanent_wash_sale" for f in out["flags"])


def test_cli_kat21_same_lot_and_round_trip(tmp_path: Path) -> None:
    """KAT-21 via the CLI: part of one lot is deductible (flagged); the same-day round trip nets to 0."""
    out = report(
        tmp_path,
        [
            "2014-05-01,b,RT,buy,100,10,,",
            "2014-05-01,b,RT,sell,100,9,,",
            "2014-05-01,b,RT,buy,100,8,,",
            "2014-05-01,b,RT,sell,100,9,,",
            "2014-06-01,b,XYZ,buy,200,50,,",
            "2014-06-12,b,XYZ,sell,100,40,,",
        ],
    )
    rt1, rt2, part = out["realized"]
    assert (rt1["wash_sale_disallowed"], rt1["gain"], rt2["cost_basis"], rt2["gain"]) == (
        "100.00",
        "0.00",
        "900.00",
        "0.00",
    )
    assert (part["gain"], part["wash_sale_disallowed"], part["flags"]) == (
        "-1000.00",
        "0.00",
        ["same_lot_not_replacement"],
    )
    assert [f["code"] for f in out["flags"]] == ["same_lot_not_replacement"]


@pytest.mark.parametrize(
    "bought,sold,term",
    [
        ("2012-09-19", "2013-09-19", "short"),
        ("2012-09-19", "2013-09-20", "long"),
        ("2008-01-01", "2009-01-01", "short"),
        ("2008-01-01", "2009-01-02", "long"),
        ("2009-03-15", "2010-03-16", "long"),
        ("2012-11-30", "2013-12-01", "long"),
        ("2023-02-28", "2024-02-29", "short"),
        ("2023-02-28", "2024-03-01", "long"),
        ("2024-02-29", "2025-02-28", "short"),
        ("2024-02-29", "2025-03-01", "long"),
    ],
)
def test_cli_kat22_holding_period(tmp_path: Path, bought: str, sold: str, term: str) -> None:
    """KAT-22 / 22b via the CLI."""
    out = report(tmp_path, [f"{bought},b,X,buy,10,10,,", f"{sold},b,X,sell,10,11,,"])
    assert out["realized"][0]["term"] == term


def test_cli_kat22b_tacked_holding_period(tmp_path: Path) -> None:
    """KAT-22b via the CLI: the tacked replacement is long-term from 2025-01-09."""
    out = report(
        tmp_path,
        [
            "2024-01-02,b,X,buy,10,10,,",
            "2024-06-14,b,X,sell,10,8,,",
            "2024-06-20,b,X,buy,10,8,,",
            "2024-11-01,b,X,buy,10,9,,",
            "2025-01-09,b,X,sell,10,9,,4",
        ],
    )  # lot 4: the replacement (row 4)
    assert out["realized"][1]["holding_period_start"] == "2024-01-08"
    assert out["realized"][1]["term"] == "long"
    assert out["realized"][1]["gain"] == "-10.00"


def _kat23_rows(st: int, lt: int, year: int = 2023) -> list[str]:
    """Trades realizing ``st`` short-term and ``lt`` long-term in ``year`` (100 shares at $100)."""
    rows = []
    if lt:
        rows += [
            f"{year - 3}-01-05,b,LT{year},buy,100,100,,",
            f"{year}-06-01,b,LT{year},sell,100,{100 + lt // 100},,",
        ]
    if st:
        rows += [
            f"{year}-02-01,b,ST{year},buy,100,100,,",
            f"{year}-07-03,b,ST{year},sell,100,{100 + st // 100},,",
        ]
    return sorted(rows)


@pytest.mark.parametrize(
    "st,lt,limit,deduction,carry_st,carry_lt",
    [
        (-10000, 4000, 3000, 3000, 3000, 0),
        (-10000, 4000, 1500, 1500, 4500, 0),
        (5000, -8000, 3000, 3000, 0, 0),
        (-2000, -5000, 3000, 3000, 0, 4000),
        (-4000, -4000, 3000, 3000, 1000, 4000),
        (-1000, -1500, 3000, 2500, 0, 0),
        (10000, -5000, 3000, 0, 0, 0),
    ],
)
def test_cli_kat23_netting_table(
    tmp_path: Path, st: int, lt: int, limit: int, deduction: int, carry_st: int, carry_lt: int
) -> None:
    """KAT-23 via the CLI: every row of the table (MFS through ACCOUNTS.yaml)."""
    accounts = (
        "accounts: [{id: b, kind: taxable}]\nfiling_status: married_filing_separately\n"
        if limit == 1500
        else None
    )
    out = report(tmp_path, _kat23_rows(st, lt), accounts=accounts)
    totals = out["totals"]
    assert (D(totals["short_term"]), D(totals["long_term"])) == (st, lt)
    assert D(totals["deductible_against_ordinary"]) == deduction
    assert (D(totals["carryforward_short"]), D(totals["carryforward_long"])) == (carry_st, carry_lt)
    if (st, lt) == (10000, -5000):
        assert D(out["years"]["2023"]["taxable_short_term"]) == 5000


def test_cli_kat23_two_year_case(tmp_path: Path) -> None:
    """KAT-23 two-year case via the CLI: per-year totals under ``years``."""
    out = report(tmp_path, sorted(_kat23_rows(-10000, 4000, 2023) + _kat23_rows(0, 5000, 2024)))
    first, second = out["years"]["2023"], out["years"]["2024"]
    assert (first["carryforward_short"], first["deductible_against_ordinary"]) == ("3000.00", "3000.00")
    assert (second["carryover_in_short"], second["long_term"], second["net"]) == (
        "3000.00",
        "5000.00",
        "2000.00",
    )
    assert (second["taxable_long_term"], second["carryforward_short"]) == ("2000.00", "0.00")
    assert out["totals"]["carryforward_short"] == "0.00"


KAT24_ROWS = [
    "2020-01-02,b,X,buy,100,130,,B",
    "2020-01-02,b,X,buy,100,60,,C",
    "2024-01-02,b,X,buy,100,110,,A",
    "2024-01-02,b,X,buy,100,90,,D",
]


def _per_share_model_tax(rows: list[dict]) -> Decimal:
    return sum((D("0.37") if r["term"] == "short" else D("0.20")) * D(r["gain"]) for r in rows)


@pytest.mark.parametrize("quantity,optimum", [(100, -600), (200, -970), (300, -600), (400, 200)])
def test_cli_kat24_hifo_reaches_the_optimum(tmp_path: Path, quantity: int, optimum: int) -> None:
    """KAT-24 via the CLI: HIFO sells B, A, D, C here, the per-share optimum L(q)."""
    out = report(tmp_path, [*KAT24_ROWS, f"2024-06-03,b,X,sell,{quantity},100,,"], method="hifo")
    assert _per_share_model_tax(out["realized"]) == optimum
    assert [r["lot_id"] for r in out["realized"]] == ["B", "A", "D", "C"][: quantity // 100]


@pytest.mark.parametrize("lots,tax", [("A", -370), ("A;B;C", -170)])
def test_cli_kat24_taxmin_counter_example(tmp_path: Path, lots: str, tax: int) -> None:
    """KAT-24 via the CLI: the TaxMin order (A, B, C, ...) by specific identification misses the optimum."""
    quantity = 100 * len(lots.split(";"))
    out = report(tmp_path, [*KAT24_ROWS, f"2024-06-03,b,X,sell,{quantity},100,,{lots}"])
    assert _per_share_model_tax(out["realized"]) == tax


def test_cli_kat24b_loss_against_short_term_gain(tmp_path: Path) -> None:
    """KAT-24b via the CLI: a 5,000 LT loss against a 10,000 ST gain leaves a 5,000 net ST gain (tax 1,850
    instead of 3,700)."""
    out = report(
        tmp_path,
        [
            "2020-01-02,b,L,buy,100,150,,",
            "2024-01-02,b,S,buy,100,100,,",
            "2024-03-01,b,S,sell,100,200,,",
            "2024-06-03,b,L,sell,100,100,,",
        ],
    )
    year = out["years"]["2024"]
    assert (year["short_term"], year["long_term"]) == ("10000.00", "-5000.00")
    assert (year["taxable_short_term"], year["taxable_long_term"]) == ("5000.00", "0.00")
    assert D("0.37") * D(year["taxable_short_term"]) == D(1850)


def test_cli_average_cost_and_text_output(tmp_path: Path) -> None:
    """--method avg: basis is the average; the text output prints the tables."""
    rows = ["2024-01-02,b,F,buy,10,10,,", "2024-02-01,b,F,buy,10,20,,", "2024-03-01,b,F,sell,5,30,,"]
    out = report(tmp_path, rows, method="avg")
    assert out["realized"][0]["cost_basis"] == "75.00"
    assert out["realized"][0]["acquired"] == "2024-01-02"  # deemed first acquired
    assert sum(D(lot["cost_basis"]) for lot in out["open_lots"]) == D(225)
    text = runner.invoke(app, [*write(tmp_path, rows), "--method", "avg"])
    assert text.exit_code == 0
    assert "Realized gains" in text.output and "Open lots" in text.output


def test_cli_fees_go_into_basis_and_proceeds(tmp_path: Path) -> None:
    """Fees add to a buy's basis and reduce a sale's proceeds."""
    out = report(tmp_path, ["2024-01-02,b,X,buy,10,10,5,", "2024-03-01,b,X,sell,10,12,3,"])
    assert (out["realized"][0]["cost_basis"], out["realized"][0]["proceeds"], out["realized"][0]["gain"]) == (
        "105.00",
        "117.00",
        "12.00",
    )


# -- bad input ----------------------------------------------------------------------------------------------
def test_cli_sell_more_than_held_names_the_row(tmp_path: Path) -> None:
    err = failure(tmp_path, ["2024-01-02,b,X,buy,10,10,,", "2024-02-01,b,X,sell,11,10,,"])
    assert isinstance(err, TransactionFileError)
    assert "tx.csv:3 quantity" in str(err) and "only 10 held" in str(err) and "Fix:" in str(err)


def test_cli_unknown_account_names_the_row(tmp_path: Path) -> None:
    err = failure(
        tmp_path, ["2024-01-02,brokerage,X,buy,10,10,,", "2024-02-01,joint,X,buy,1,10,,"], accounts=IRA
    )
    assert isinstance(err, AccountError)
    assert "tx.csv:3 account" in str(err) and "'joint'" in str(err) and "Fix:" in str(err)


@pytest.mark.parametrize(
    "rows,where,words",
    [
        (["2024-02-01,b,X,buy,10,10,,", "2024-01-02,b,X,buy,10,10,,"], "tx.csv:3 date", "not in order"),
        (["2024/01/02,b,X,buy,10,10,,"], "tx.csv:2 date", "YYYY-MM-DD"),
        (["2024-02-30,b,X,buy,10,10,,"], "tx.csv:2 date", "no such date"),
        (["2024-01-02,b,X,buy,10,-1,,"], "tx.csv:2 price", "negative"),
        (["2024-01-02,b,X,buy,10,abc,,"], "tx.csv:2 price", "number"),
        (["2024-01-02,b,X,buy,0,10,,"], "tx.csv:2 quantity", "positive"),
        (["2024-01-02,b,X,hold,1,10,,"], "tx.csv:2 side", "buy or sell"),
        (["2024-01-02,b,X,buy,1,10,-2,"], "tx.csv:2 fees", "negative"),
        (["2024-01-02,b,X,buy,1,10,,", "2024-01-03,b,X,sell,1,10,,Z"], "tx.csv:3 lot_id", "no earlier buy"),
        (
            ["2024-01-02,b,X,buy,1,10,,", "2024-01-02,c,X,buy,1,10,,", "2024-01-03,b,X,sell,1,10,,3"],
            "tx.csv:4 lot_id",
            "not held",
        ),
    ],
)
def test_cli_malformed_rows(tmp_path: Path, rows: list[str], where: str, words: str) -> None:
    err = failure(tmp_path, rows)
    assert where in str(err) and words in str(err) and "Fix:" in str(err)


def test_cli_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("date,account,symbol,side,quantity\n2024-01-02,b,X,buy,1\n")
    result = runner.invoke(app, ["report", str(path), "--json"])
    assert isinstance(result.exception, TransactionFileError)
    assert "tx.csv:1" in str(result.exception) and "price" in str(result.exception)


@pytest.mark.parametrize(
    "text,words",
    [
        ("accounts:\n  - {id: b, kind: taxabl}\n", "accounts.yaml:2 accounts[0].kind"),
        ("accounts:\n  - {id: b}\n  - {id: b}\n", "duplicate"),
        ("accounts: [{id: b}]\nfiling_status: widow\n", "accounts.yaml:2 filing_status"),
        ("accounts: [{id: b}]\nidentical: [VTI, ITOT]\n", "identical[0]"),
        ("accounts: [{id: b}\n", "not valid YAML"),
    ],
)
def test_cli_bad_accounts_file(tmp_path: Path, text: str, words: str) -> None:
    err = failure(tmp_path, ["2024-01-02,b,X,buy,1,10,,"], accounts=text)
    assert words in str(err)


def test_cli_identical_groups_wash_across_symbols(tmp_path: Path) -> None:
    """Substantially identical symbols from ACCOUNTS.yaml wash each other (VTI sold, ITOT bought)."""
    accounts = "accounts: [{id: b, kind: taxable}]\nidentical: [[VTI, ITOT]]\n"
    out = report(
        tmp_path,
        ["2024-01-02,b,VTI,buy,10,100,,", "2024-03-01,b,VTI,sell,10,90,,", "2024-03-05,b,ITOT,buy,10,50,,"],
        accounts=accounts,
    )
    assert out["realized"][0]["wash_sale_disallowed"] == "100.00"
    assert out["open_lots"][0] == {**out["open_lots"][0], "symbol": "ITOT", "cost_basis": "600.00"}
    assert date.fromisoformat(out["open_lots"][0]["holding_period_start"]) < date(2024, 3, 5)


def test_cli_main_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through the lead's entry point: a sell of more than held is one line on stderr, exit code 2."""
    main = pytest.importorskip("trimtab.cli.main").main
    args = write(tmp_path, ["2024-01-02,b,X,buy,10,10,,", "2024-02-01,b,X,sell,11,10,,"])
    assert main(["tax", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "tx.csv:3 quantity" in err and "only 10 held" in err and "Traceback" not in err
    ok = write(tmp_path, ["2024-01-02,b,X,buy,10,10,,", "2024-02-01,b,X,sell,10,12,,"])
    assert main(["tax", *ok, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["short_term"] == "20.00"
