"""Holdings valuation, household and account weights, absolute and relative drift."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.analytics import DriftReport, Holdings, drift
from trimtab.domain import Account, AccountKind, Household, TargetAllocation, TaxLot
from trimtab.errors import AccountError, MissingPriceError, TargetError

D = Decimal


def _lot(account: str, symbol: str, quantity: str, cost: str = "1000") -> TaxLot:
    return TaxLot(account=account, symbol=symbol, quantity=D(quantity), cost_basis=D(cost),
                  acquired=date(2020, 1, 2))


@pytest.fixture
def household() -> Household:
    """$10,000: brokerage $1,000 cash + 20 AAA + 30 BBB (two lots); IRA $500 cash + 25 AAA + 10 CCC."""
    return Household(
        name="hand-built",
        accounts=(Account(id="brokerage", kind=AccountKind.TAXABLE, cash=D("1000")),
                  Account(id="ira", kind=AccountKind.TAX_DEFERRED, cash=D("500"))),
        lots=(_lot("brokerage", "AAA", "20"), _lot("brokerage", "BBB", "10"), _lot("brokerage", "BBB", "20"),
              _lot("ira", "AAA", "25"), _lot("ira", "CCC", "10")))


PRICES = {"AAA": D("100"), "BBB": D("50"), "CCC": D("250"), "DDD": D("40")}
TARGETS = TargetAllocation({"AAA": 0.40, "BBB": 0.20, "DDD": 0.30, "CASH": 0.10})


def test_holdings_values_every_position_and_cash(household: Household) -> None:
    h = Holdings.from_household(household, PRICES)
    assert h.value == D("10000")
    assert dict(h.position_values) == {("brokerage", "AAA"): D("2000"), ("brokerage", "BBB"): D("1500"),
                                       ("ira", "AAA"): D("2500"), ("ira", "CCC"): D("2500")}
    assert dict(h.cash) == {"brokerage": D("1000"), "ira": D("500")}
    assert h.symbol_values() == {"AAA": D("4500"), "BBB": D("1500"), "CCC": D("2500")}
    assert h.account_value("brokerage") == D("4500") and h.account_value("ira") == D("5500")
    assert h.value == household.market_value(PRICES)


def test_household_and_account_weights(household: Household) -> None:
    h = Holdings.from_household(household, PRICES)
    assert h.household_weights() == {"AAA": 0.45, "BBB": 0.15, "CCC": 0.25, "CASH": 0.15}
    assert h.household_weights(["DDD", "AAA"]) == {"DDD": 0.0, "AAA": 0.45, "BBB": 0.15, "CCC": 0.25,
                                                   "CASH": 0.15}
    brokerage = h.account_weights("brokerage")
    assert brokerage == pytest.approx({"AAA": 4 / 9, "BBB": 1 / 3, "CASH": 2 / 9}, rel=1e-15)
    ira = h.account_weights("ira")
    assert ira == pytest.approx({"AAA": 5 / 11, "CCC": 5 / 11, "CASH": 1 / 11}, rel=1e-15)
    with pytest.raises(AccountError, match="unknown account 'roth'"):
        h.account_weights("roth")


def test_drift_on_the_hand_built_household(household: Household) -> None:
    weights = Holdings.from_household(household, PRICES).household_weights()
    report = drift(weights, TARGETS)
    assert report.symbols == ("AAA", "BBB", "DDD", "CCC", "CASH")
    assert report.absolute == pytest.approx({"AAA": 0.05, "BBB": -0.05, "DDD": -0.30, "CCC": 0.25,
                                             "CASH": 0.05}, abs=1e-15)
    rel = report.relative
    assert rel["AAA"] == pytest.approx(0.125) and rel["BBB"] == pytest.approx(-0.25)
    assert rel["DDD"] == pytest.approx(-1.0) and rel["CASH"] == pytest.approx(0.5)
    assert rel["CCC"] is None                       # no target: relative drift undefined
    assert report.max_absolute == pytest.approx(0.30) and report.max_absolute_symbol == "DDD"
    assert report["DDD"].weight == 0.0 and report["DDD"].target == 0.30
    # a drift of exactly 5 pp is inside a 5 pp band
    assert report.outside(0.05) == ("DDD", "CCC")
    assert report.outside(0.049) == ("AAA", "BBB", "DDD", "CCC", "CASH")
    # 25 % of BBB's 20 % target is exactly its 5 pp drift: inside; CCC (target 0, held) is outside
    assert report.outside(relative=0.25) == ("DDD", "CCC", "CASH")
    assert report.outside(0.05, relative=0.25) == ("DDD", "CCC", "CASH")            # the 5/25 rule
    assert report.outside(0.05, relative=0.25, include_cash=False) == ("DDD", "CCC")
    assert report.outside({"AAA": 0.01, "CCC": 0.3}) == ("AAA",)                     # per-symbol bands


def test_drift_accepts_plain_mappings_and_zero_target_zero_weight_is_inside() -> None:
    report = drift({"A": 0.6, "B": 0.0, "CASH": 0.4}, {"A": 0.6, "B": 0.0, "CASH": 0.4})
    assert report.max_absolute == 0.0 and report.outside(0.0, relative=0.0) == ()
    assert report["B"].relative is None
    with pytest.raises(TargetError, match="no drift for 'Z'"):
        report["Z"]
    with pytest.raises(TargetError, match=r"weights\.A must be a finite number"):
        drift({"A": math.nan}, {"A": 1.0})
    with pytest.raises(TargetError, match="band must be a non-negative"):
        report.outside(-0.01)


def test_missing_or_bad_prices_and_empty_household(household: Household) -> None:
    with pytest.raises(MissingPriceError, match=r"no price for CCC \(held in ira\)"):
        Holdings.from_household(household, {"AAA": D("100"), "BBB": D("50")})
    with pytest.raises(MissingPriceError, match="price of BBB must be a positive number"):
        Holdings.from_household(household, {**PRICES, "BBB": D("0")})
    empty = Household(name="empty", accounts=(Account(id="a", kind=AccountKind.TAXABLE),))
    holdings = Holdings.from_household(empty, {})
    with pytest.raises(AccountError, match=r"worth \$0"):
        holdings.household_weights()
    assert holdings.account_weights("a", ["X"]) == {"X": 0.0, "CASH": 1.0}


def test_float_prices_are_taken_at_their_printed_value(household: Household) -> None:
    h = Holdings.from_household(household, {"AAA": 100.1, "BBB": 50.0, "CCC": 250.0})
    assert h.position_values[("brokerage", "AAA")] == D("2002.0")


@settings(max_examples=200, deadline=None)
@given(quantities=st.lists(st.tuples(st.sampled_from(["taxable", "ira"]), st.sampled_from(list("ABCD")),
                                     st.integers(1, 10_000)), max_size=12),
       cash=st.tuples(st.integers(0, 10**7), st.integers(0, 10**7)),
       prices=st.tuples(*[st.decimals("0.01", "5000", places=2) for _ in range(4)]),
       target=st.lists(st.integers(0, 100), min_size=5, max_size=5).filter(lambda x: sum(x) > 0))
def test_weights_sum_to_one_and_drift_sums_to_zero(quantities: list[tuple[str, str, int]],
                                                   cash: tuple[int, int], prices: tuple[Decimal, ...],
                                                   target: list[int]) -> None:
    accounts = (Account(id="taxable", kind=AccountKind.TAXABLE, cash=D(cash[0]) / 100),
                Account(id="ira", kind=AccountKind.TAX_DEFERRED, cash=D(cash[1]) / 100))
    lots = tuple(_lot(a, s, str(q)) for a, s, q in quantities)
    household = Household(name="h", accounts=accounts, lots=lots)
    holdings = Holdings.from_household(household, dict(zip("ABCD", prices, strict=True)))
    if holdings.value == 0:
        return
    weights = holdings.household_weights()
    assert math.fsum(weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(w >= 0 for w in weights.values())
    for account in holdings.accounts:
        assert math.fsum(holdings.account_weights(account).values()) == pytest.approx(1.0, abs=1e-12)
    targets = TargetAllocation({s: t / sum(target) for s, t in zip(["A", "B", "C", "D", "CASH"], target,
                                                                    strict=True)})
    report: DriftReport = drift(weights, targets)
    assert math.fsum(report.absolute.values()) == pytest.approx(0.0, abs=1e-9)
    assert set(report.symbols) >= set(weights) - {"CASH"} and report.symbols[-1] == "CASH"
    assert report.max_absolute == max(abs(x) for x in report.absolute.values())
