"""Dividends in the backtest: cash on the ex-date to the account holding the shares, taxed as qualified
dividends with the yearly tax; the total-return identity, cash conservation, and malformed dividend files."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from backtest_helpers import daily_market, scenario
from typer.testing import CliRunner

from trimtab.backtest import CashFlow, Scenario, load_backtest_config, run_backtest, simulate
from trimtab.cli.backtest_commands import app
from trimtab.data.dividends import load_dividends_csv
from trimtab.data.market import MarketData
from trimtab.domain import Account, AccountKind, Household, TargetAllocation, TaxLot
from trimtab.domain.settings import PolicySpec, TaxSettings
from trimtab.errors import InputError, PriceFileError
from trimtab.policies.registry import build_policy, parse_policy_option


def _quarterly_dividends(market: MarketData, yield_per_quarter: float = 0.01) -> pd.DataFrame:
    """A dividend of ``yield_per_quarter`` of the previous close on a mid-quarter session per symbol."""
    dates = market.dates
    rows = {}
    for i, symbol in enumerate(market.symbols):
        ex = [d for d in dates[40 + 7 * i :: 63]]
        for d in ex:
            before = market.prices[symbol].loc[:d].iloc[-2]
            rows.setdefault(d, {})[symbol] = yield_per_quarter * float(before)
    return pd.DataFrame.from_dict(rows, orient="index").sort_index().fillna(0.0)


def test_zero_cost_total_return_identity_with_reinvested_dividends() -> None:
    """With zero costs and tax, a 0 % band checked daily reinvests every dividend at the ex-date's close; its
    wealth equals the frictionless path of the target weights on total-return prices
    ``TR_k = TR_{k-1} (P_k + D_k) / P_{k-1}`` built from the same price-only data and dividends (1e-10;
    $1e10 so that one 1e-6-share step and the cent rounding of dividends stay below it)."""
    market = daily_market(seed=3, start="2019-01-02", end="2019-12-31")
    dividends = _quarterly_dividends(market)
    sc = scenario(market, value=1e10, dividends=dividends)
    run = simulate(build_policy(PolicySpec("threshold", {"band": 0.0})), sc)
    prices = market.prices.loc[run.dates].to_numpy()
    paid = dividends.reindex(index=run.dates, columns=list(run.symbols)).fillna(0.0).to_numpy()
    total_return = (prices[1:] + paid[1:]) / prices[:-1] - 1.0
    target = run.target
    frictionless = run.value[0] * np.concatenate([[1.0], np.cumprod(1.0 + total_return @ target)])
    assert run.dividends_received > 1e8  # about 1 % a quarter of $1e10
    np.testing.assert_allclose(run.value, frictionless, rtol=1e-10, atol=0)


def _conserved(run) -> float:
    """Largest relative gap in value[k] = value[k-1] (1 + held return) + flows - taxes - costs + dividends."""
    v = run.value
    grown = v[:-1] * (1.0 + run.holding_returns())
    predicted = grown + run.flows[1:] - run.taxes[1:] - run.costs[1:] + run.dividends[1:]
    return float(np.max(np.abs(predicted - v[1:]) / v[1:]))


@pytest.mark.parametrize(
    ("seed", "kind", "bps", "flow"),
    [(0, "calendar:monthly", 5.0, 2000), (1, "threshold:0.03", 25.0, -20000), (2, "never", 2.0, 0)],
)
def test_cash_is_conserved_with_dividends_costs_taxes_and_flows(
    seed: int, kind: str, bps: float, flow: int
) -> None:
    """KAT-12c with dividends: value moves only by returns, flows, taxes, costs and dividends; cash >= 0."""
    market = daily_market(seed=seed, start="2018-06-01", end="2019-09-30", vol=0.025)
    flows = (CashFlow(amount=Decimal(flow), every="monthly"),) if flow else ()
    run = simulate(
        build_policy(parse_policy_option(kind)),
        scenario(
            market, spread_bps=bps, st=0.37, lt=0.2, cash_flows=flows, dividends=_quarterly_dividends(market)
        ),
    )
    assert run.dividends_received > 0
    assert _conserved(run) <= 1e-11
    assert np.all(run.cash[:-1] >= 0)


def _flat_household(kind: AccountKind) -> tuple[Scenario, pd.DataFrame]:
    """1,000 A (flat at $100) in one account, month ends 2020-01-31 .. 2021-02-28, $0.50 a quarter."""
    index = pd.date_range("2020-01-31", periods=14, freq="ME")
    market = MarketData(pd.DataFrame({"A": [100.0] * 14}, index=index), periods_per_year=12.0)
    household = Household(
        name="h",
        accounts=(Account(id="acct", kind=kind, cash=Decimal(0)),),
        lots=(
            TaxLot(account="acct", symbol="A", quantity=Decimal(1000), cost_basis=Decimal(100_000),
                   acquired=date(2019, 1, 2), lot_id="a"),
        ),
    )  # fmt: skip
    ex = pd.to_datetime(["2020-01-31", "2020-03-13", "2020-06-12", "2020-09-11", "2020-12-11", "2021-02-12"])
    dividends = pd.DataFrame({"A": [0.5] * 6}, index=ex)
    sc = Scenario(
        market=market,
        targets=TargetAllocation({"A": 1.0}),
        household=household,
        tax=TaxSettings(short_term_rate=0.37, long_term_rate=0.20),
        dividends=dividends,
    )
    return sc, dividends


def test_dividends_are_cash_on_the_ex_date_taxed_as_qualified_with_the_yearly_tax() -> None:
    """Known answer: $0.50 x 1,000 shares = $500 on each of four 2020 ex-dates (paid at the month end after
    each), $2,000 of 2020 dividends taxed at the 20 % long-term rate = $400.00 paid on 2021-01-31; the
    ex-date on the first date is ignored; $500 more in February 2021, taxed at the end ($100.00)."""
    sc, _ = _flat_household(AccountKind.TAXABLE)
    run = simulate(build_policy(PolicySpec("never")), sc)
    paid = {f"{d:%Y-%m-%d}": x for d, x in zip(run.dates, run.dividends, strict=True) if x}
    assert paid == {d: 500.0 for d in ("2020-03-31", "2020-06-30", "2020-09-30", "2020-12-31", "2021-02-28")}
    assert run.tax_by_year[2020] == Decimal("400.00") and run.tax_by_year[2021] == Decimal("100.00")
    k = list(run.dates).index(pd.Timestamp("2021-01-31"))
    assert run.taxes[k] == 400.0 and run.taxes_paid == 500.0
    assert run.dividends_received == 2_500.0
    assert run.value[-1] == pytest.approx(100_000 + 2_500 - 500, abs=1e-9)
    assert run.after_tax_value == pytest.approx(run.value[-1], abs=1e-9)  # flat prices, no cost


def test_dividend_rate_and_tax_deferred_accounts() -> None:
    """``dividend_rate`` overrides the long-term rate (15 %: $300.00 for 2020); a tax-deferred account
    receives the same cash and pays nothing."""
    sc, _ = _flat_household(AccountKind.TAXABLE)
    from dataclasses import replace

    run = simulate(build_policy(PolicySpec("never")), replace(sc, dividend_rate=0.15))
    assert run.tax_by_year[2020] == Decimal("300.00")
    deferred, _ = _flat_household(AccountKind.TAX_DEFERRED)
    run = simulate(build_policy(PolicySpec("never")), deferred)
    assert run.taxes_paid == 0.0 and run.dividends_received == 2_500.0
    assert run.value[-1] == pytest.approx(102_500.0)


CONFIG = """\
data: {prices: prices.csv, dividends: dividends.csv}
initial: {value: 100000}
targets: {AAA: 0.5, BBB: 0.5}
policies: [{name: monthly, kind: calendar, every: monthly}]
tax: {short_term_rate: 0.37, long_term_rate: 0.2, dividend_rate: 0.15}
"""


def _config(tmp_path: Path, dividends: str) -> Path:
    market = daily_market(symbols=("AAA", "BBB"), start="2019-01-02", end="2019-12-31")
    market.prices.round(4).to_csv(tmp_path / "prices.csv", index_label="date")
    (tmp_path / "dividends.csv").write_text(textwrap.dedent(dividends))
    path = tmp_path / "bt.yaml"
    path.write_text(CONFIG)
    return path


def test_config_dividends_long_csv_and_json_metric(tmp_path: Path) -> None:
    """A long dividends CSV in the config: the JSON metrics report the dividends received."""
    rows = "2019-03-15,AAA,1.00\n2019-06-14,BBB,0.75\n2019-06-14,BBB,0.25\n"
    path = _config(tmp_path, "date,symbol,dividend\n" + rows)
    config = load_backtest_config(path)
    assert config.scenario.dividend_rate == 0.15
    assert config.scenario.dividends is not None
    assert config.scenario.dividends.loc["2019-06-14", "BBB"] == 1.0  # two rows of a day are added
    out = CliRunner().invoke(app, [str(path), "--json"])
    assert out.exit_code == 0, out.output
    received = json.loads(out.stdout)["policies"]["monthly"]["dividends"]
    run = run_backtest(config)["monthly"]
    prices = config.scenario.market.prices.loc[run.dates].to_numpy()
    expected = 0.0
    for day, symbol in (("2019-03-15", "AAA"), ("2019-06-14", "BBB")):
        k, j = list(run.dates).index(pd.Timestamp(day)), run.symbols.index(symbol)
        expected += 1.0 * run.weights[k - 1, j] * run.value[k - 1] / prices[k - 1, j]  # shares held x $1
    assert received == run.dividends_received
    assert received == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("date,symbol,dividend\n2019-03-15,AAA,1.00\n2019-06-14,BBB,abc\n", 3, "dividend is not a number"),
        ("date,symbol,dividend\n2019-03-15,AAA,-1\n", 2, "must be zero or more"),
        ("date,AAA,BBB\n2019-03-15,0.5\n", 2, "fields but the header has 3"),
        ("date,symbol,dividend\n2019-02-30,AAA,1\n", 2, "not a date"),
        ("date,symbol,payout\n2019-03-15,AAA,1\n", 1, "unknown column 'payout'"),
    ],
)
def test_malformed_dividends_file_is_one_line_input_error_naming_file_and_row(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(PriceFileError) as info:
        load_backtest_config(path)
    text_of = str(info.value)
    assert isinstance(info.value, InputError) and "\n" not in text_of
    assert text_of.startswith(f"{tmp_path / 'dividends.csv'}:{line}") and message in text_of, text_of
    assert "Fix:" in text_of
    direct = pytest.raises(PriceFileError, load_dividends_csv, tmp_path / "dividends.csv")
    assert str(direct.value) == text_of


def test_malformed_dividends_file_exits_with_code_two(tmp_path: Path) -> None:
    path = _config(tmp_path, "date,symbol,dividend\n2019-03-15,AAA,x\n")
    out = CliRunner().invoke(app, [str(path), "--json"])
    assert isinstance(out.exception, PriceFileError)
    from trimtab.cli.main import main

    assert main(["backtest", str(path), "--json"]) == 2
