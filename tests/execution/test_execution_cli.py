"""``trimtab execute | book import | book show | orders list | reconcile`` through the real entry point."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from trimtab.book.ledger import Book
from trimtab.cli.main import main
from trimtab.db import open_database
from trimtab.domain.orders import Fill
from trimtab.execution.journal import OrderJournal
from trimtab.execution.paper import PaperBroker

EXAMPLE = str(resources.files("trimtab.examples").joinpath("family", "portfolio.yaml"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_execute_then_inspect_and_reconcile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'book.db'}"
    code, out, err = run(capsys, "execute", EXAMPLE, "--db", db, "--yes", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "done" and summary["breaks"] == [] and summary["fills_booked"] > 0
    sells = [o for o in summary["orders"] if o["side"] == "sell"]
    assert sells and summary["orders"][: len(sells)] == sells  # sells are sent first

    code, out, _ = run(capsys, "orders", "list", "--db", db, "--json")
    assert code == 0 and len(json.loads(out)["orders"]) == len(summary["orders"])
    code, out, _ = run(capsys, "orders", "list", "--open", "--db", db, "--json")
    assert json.loads(out)["orders"] == []
    code, out, _ = run(capsys, "book", "show", "--db", db, "--json")
    (hh,) = json.loads(out)["households"]
    assert hh["household"] == "Example family" and hh["fills"] == summary["fills_booked"]

    code, out, _ = run(capsys, "reconcile", "--db", db)
    assert code == 0 and "book = paper broker" in out
    venue = PaperBroker(state_path=tmp_path / "book.paper.json")  # a break at the venue
    venue.set_position("ira", "KO", Decimal(199))
    code, out, _ = run(capsys, "reconcile", "--db", db, "--json")
    assert code == 1
    assert json.loads(out)["breaks"] == [
        {
            "household": "Example family",
            "account": "ira",
            "symbol": "KO",
            "book": "200",
            "broker": "199",
            "difference": "-1",
        }
    ]

    code, out, _ = run(capsys, "execute", EXAMPLE, "--db", db, "--yes")  # same plan: nothing sent twice
    assert code == 0 and "already finished" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--broker", "ibkr-live"], "unknown broker 'ibkr-live'"),
        (["--db", "postgresql+psycopg://postgres@127.0.0.1:1/test"], "cannot reach the database"),
        (["--json"], "--json cannot ask for confirmation"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = ["execute", EXAMPLE, *args]
    if "--db" not in args:
        argv += ["--db", f"sqlite:///{tmp_path / 'book.db'}"]
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "book.paper.json").exists()


def test_a_portfolio_that_does_not_match_the_book_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'book.db'}"
    assert run(capsys, "book", "import", EXAMPLE, "--db", db)[0] == 0
    engine = open_database(db)
    Book(engine).apply(
        Fill(
            venue="paper",
            execution_id="manual-1",
            client_order_id="Tmanual-001-1",
            account="ira",
            symbol="KO",
            side="sell",
            quantity=Decimal(5),
            price=Decimal(60),
            executed_at=datetime(2022, 12, 27, tzinfo=UTC),
        )
    )
    code, _, err = run(capsys, "execute", EXAMPLE, "--db", db, "--yes")
    assert code == 2 and "does not match the book" in err and "ira KO: book 195 shares" in err
    assert OrderJournal(engine).runs() == []
    assert (
        not (tmp_path / "book.paper.json").exists()
        or PaperBroker(state_path=tmp_path / "book.paper.json").venue_orders() == []
    )
    engine.dispose()


def test_dry_run_shows_orders_and_journals_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'book.db'}"
    code, out, _ = run(capsys, "execute", EXAMPLE, "--db", db, "--dry-run", "--json")
    assert code == 0 and json.loads(out)["status"] == "dry_run" and json.loads(out)["orders"]
    engine = open_database(db)
    assert OrderJournal(engine).runs() == [] and Book(engine).households() == []
    engine.dispose()
