"""The execute workflow: plan -> journal -> paper venue -> fills -> book; refusals write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, func, select

from trimtab.book.ledger import Book, BookMismatchError
from trimtab.db import metadata, open_database
from trimtab.domain import Account, AccountKind, Household, Side, TaxLot, Trade
from trimtab.domain.orders import Fill
from trimtab.errors import InputError
from trimtab.execution.errors import UnknownBrokerError
from trimtab.execution.journal import OrderJournal
from trimtab.execution.paper import PaperBroker, PaperConfig
from trimtab.execution.workflow import default_paper_state_path, execute_plan, make_broker

D = Decimal
PRICES = {"VTI": D("200"), "BND": D("70"), "VXUS": D("55")}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def household() -> Household:
    return Household(
        name="fam",
        accounts=(
            Account(id="tax", kind=AccountKind.TAXABLE, cash=D("1000")),
            Account(id="ira", kind=AccountKind.TAX_DEFERRED, cash=D("0")),
        ),
        lots=(
            TaxLot(
                account="tax", symbol="VTI", quantity=D("20"), cost_basis=D("3000"), acquired=date(2021, 3, 1)
            ),
            TaxLot(
                account="ira", symbol="BND", quantity=D("40"), cost_basis=D("3200"), acquired=date(2022, 3, 1)
            ),
        ),
    )


def plan(*trades: Trade) -> SimpleNamespace:
    return SimpleNamespace(
        as_of=date(2024, 1, 5),
        trades=trades
        or (
            Trade(account="tax", symbol="VTI", side=Side.SELL, quantity=D("5"), price=D("200")),
            Trade(account="ira", symbol="BND", side=Side.SELL, quantity=D("10"), price=D("70")),
            Trade(account="tax", symbol="VXUS", side=Side.BUY, quantity=D("30"), price=D("55")),
            Trade(account="ira", symbol="VXUS", side=Side.BUY, quantity=D("13.5"), price=D("55")),
        ),
    )


def venue() -> PaperBroker:
    return PaperBroker(PRICES, config=PaperConfig(partial_fills=2, slippage_bps=D("2")))


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar() or 0
            for name, table in metadata.tables.items()
        }


def test_a_plan_is_executed_booked_and_reconciled(engine: Engine) -> None:
    broker = venue()
    summary = execute_plan(plan(), household(), broker=broker, engine=engine)
    assert summary.status == "done" and summary.reconciliation is not None and summary.reconciliation.ok
    assert [(line.symbol, str(line.side), line.status) for line in summary.lines] == [
        ("BND", "sell", "filled"),
        ("VTI", "sell", "filled"),
        ("VXUS", "buy", "filled"),
        ("VXUS", "buy", "filled"),
    ]
    assert summary.fills_booked == 8
    book = Book(engine)
    assert summary.cash_after == {a: broker.account(a).cash for a in ("ira", "tax")}
    assert book.positions(["tax"])[("tax", "VTI")] == D("15")
    (ira_buy,) = [line for line in summary.lines if line.account == "ira" and line.side is Side.BUY]
    assert ira_buy.ordered < ira_buy.planned  # 13.5 planned (742.50), sized to the ~700 the BND sale raised
    assert sum(r.quantity for r in book.realized("tax")) == D("5")
    assert summary.to_json()["status"] == "done"


def test_the_same_plan_twice_sends_nothing_the_second_time(engine: Engine) -> None:
    broker = venue()
    execute_plan(plan(), household(), broker=broker, engine=engine)
    sent = len(broker.venue_orders())
    again = execute_plan(plan(), household(), broker=broker, engine=engine)
    assert again.status == "already_done" and len(broker.venue_orders()) == sent


def test_dry_run_writes_nothing_and_sends_nothing(engine: Engine) -> None:
    broker = venue()
    summary = execute_plan(plan(), household(), broker=broker, engine=engine, dry_run=True)
    assert summary.status == "dry_run" and len(summary.lines) == 4
    assert all(n == 0 for name, n in row_counts(engine).items() if name != "alembic_version")
    assert broker.venue_orders() == [] and not broker.has_account("tax")


def test_declining_the_confirmation_writes_nothing(engine: Engine) -> None:
    broker = venue()
    shown = []
    summary = execute_plan(
        plan(),
        household(),
        broker=broker,
        engine=engine,
        confirm=lambda preview: shown.append(preview) or False,
    )
    assert summary.status == "declined" and shown[0].status == "dry_run"
    assert all(n == 0 for name, n in row_counts(engine).items() if name != "alembic_version")


def test_a_portfolio_that_does_not_match_the_book_is_refused_before_anything_is_written(
    engine: Engine,
) -> None:
    book = Book(engine)
    book.import_household(household())
    book.apply(
        Fill(
            venue="paper",
            execution_id="manual1",
            client_order_id="Tmanual-001-1",
            account="tax",
            symbol="VTI",
            side=Side.SELL,
            quantity=D("1"),
            price=D("200"),
            executed_at=datetime(2024, 1, 4, tzinfo=UTC),
        )
    )
    before = row_counts(engine)
    broker = venue()
    with pytest.raises(BookMismatchError, match="tax VTI: book 19 shares, portfolio file 20 shares") as err:
        execute_plan(plan(), household(), broker=broker, engine=engine)
    assert isinstance(err.value, InputError)
    assert row_counts(engine) == before and broker.venue_orders() == []
    assert OrderJournal(engine).runs() == []


def test_an_interrupted_run_is_carried_on_by_the_next_call(engine: Engine) -> None:
    class Crash(Exception):
        pass

    def crash_on_third_ack(step: str, seen: list[str] = []) -> None:  # noqa: B006 - a counter on purpose
        if step == "after_ack":
            seen.append(step)
            if len(seen) == 3:
                raise Crash

    broker = venue()
    with pytest.raises(Crash):
        execute_plan(plan(), household(), broker=broker, engine=engine, hook=crash_on_third_ack)
    assert OrderJournal(engine).runs(unfinished=True)
    summary = execute_plan(plan(), household(), broker=broker, engine=engine)
    assert summary.status == "done" and "continued unfinished run" in " ".join(summary.notes)
    assert all(o.submissions == 1 for o in broker.venue_orders())
    assert summary.reconciliation is not None and summary.reconciliation.ok


def test_a_new_plan_first_finishes_the_unfinished_run_of_the_household(engine: Engine) -> None:
    broker = venue()

    def stop(step: str) -> None:
        if step == "after_ack":
            raise KeyboardInterrupt

    first = plan()
    with pytest.raises(KeyboardInterrupt):
        execute_plan(first, household(), broker=broker, engine=engine, hook=stop)
    other = plan(Trade(account="tax", symbol="VTI", side=Side.SELL, quantity=D("1"), price=D("200")))
    with pytest.raises(BookMismatchError, match="after finishing earlier runs"):
        execute_plan(other, household(), broker=broker, engine=engine)
    (run,) = OrderJournal(engine).runs()
    assert run.is_done  # the interrupted run was finished, then refused


def test_a_plan_without_trades_does_nothing(engine: Engine) -> None:
    summary = execute_plan(
        SimpleNamespace(as_of=date(2024, 1, 5), trades=()), household(), broker=venue(), engine=engine
    )
    assert summary.status == "nothing_to_do"


def test_unknown_brokers_are_input_errors(tmp_path: object) -> None:
    with pytest.raises(UnknownBrokerError, match="unknown broker 'ibkr-live'.*use one of: paper"):
        make_broker("ibkr-live")
    made = make_broker("paper", paper_state=tmp_path / "p.json")  # type: ignore[operator]
    assert isinstance(made, PaperBroker)


def test_paper_state_lives_next_to_a_sqlite_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIMTAB_PAPER_STATE", raising=False)
    assert str(default_paper_state_path("sqlite:////x/books/main.db")) == "/x/books/main.paper.json"
    monkeypatch.setenv("TRIMTAB_PAPER_STATE", "/tmp/p.json")
    assert str(default_paper_state_path("postgresql+psycopg://u@h/db")) == "/tmp/p.json"
