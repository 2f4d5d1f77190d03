"""Reconciliation reports every difference with its size and corrects nothing."""

from __future__ import annotations

from decimal import Decimal

from trimtab.book.reconcile import CASH_KEY, Break, positions_by_key, reconcile
from trimtab.domain.orders import BrokerPosition

D = Decimal


def test_each_break_is_listed_with_its_size() -> None:
    book = {("ira", "VTI"): D("10"), ("ira", "BND"): D("5"), ("tax", "VTI"): D("1.5")}
    broker = {("ira", "VTI"): D("10"), ("ira", "BND"): D("4"), ("tax", "VXUS"): D("2")}
    report = reconcile(book, {"ira": D("100"), "tax": D("50")}, broker, {"ira": D("100"), "tax": D("49.99")})
    assert not report.ok
    assert report.breaks == (
        Break("ira", "BND", D("5"), D("4")),
        Break("tax", "VTI", D("1.5"), D("0")),
        Break("tax", "VXUS", D("0"), D("2")),
        Break("tax", CASH_KEY, D("50"), D("49.99")),
    )
    assert [b.difference for b in report.breaks] == [D("-1"), D("-1.5"), D("2"), D("-0.01")]
    assert report.lines()[0] == "ira BND: book 5 shares, broker 4 shares (difference -1)"
    assert report.lines()[-1] == "tax CASH: book 50 USD, broker 49.99 USD (difference -0.01)"


def test_agreement_gives_an_empty_report_and_tolerance_applies_to_cash_only() -> None:
    positions = {("ira", "VTI"): D("10")}
    report = reconcile(
        positions, {"ira": D("100")}, dict(positions), {"ira": D("100.004")}, cash_tolerance=D("0.005")
    )
    assert report.ok and report.lines() == []


def test_only_the_chosen_accounts_are_compared() -> None:
    report = reconcile(
        {("a", "X"): D("1")},
        {"a": D("0")},
        {("a", "X"): D("1"), ("b", "X"): D("3")},
        {"a": D("0"), "b": D("7")},
        accounts=["a"],
    )
    assert report.ok and report.accounts == ("a",)


def test_positions_by_key_sums_a_venues_lines() -> None:
    lines = [
        BrokerPosition(account="a", symbol="X", quantity=D("1")),
        BrokerPosition(account="a", symbol="X", quantity=D("2")),
    ]
    assert positions_by_key(lines) == {("a", "X"): D("3")}
