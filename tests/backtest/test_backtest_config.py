"""The backtest config: prices and returns, daily and monthly; malformed configs name file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trimtab.backtest import load_backtest_config, run_backtest
from trimtab.domain.accounts import AccountKind
from trimtab.errors import ConfigError, InputError

GOOD = """\
data:
  prices: builtin:us-stocks
start: 2016-01-01
end: 2016-06-30
initial: {value: 100000}
targets: {AAPL: 0.5, JNJ: 0.3, XOM: 0.2}
policies:
  - {name: monthly, kind: calendar, every: monthly}
  - {name: band, kind: threshold, band: 0.03}
costs: {half_spread_bps: 5}
tax: {account: taxable, short_term_rate: 0.37, long_term_rate: 0.2, pay: annually}
"""


def _write(folder: Path, text: str, name: str = "backtest.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_config_with_builtin_prices_daily(tmp_path: Path) -> None:
    config = load_backtest_config(_write(tmp_path, GOOD))
    assert [p.name for p in config.policies] == ["monthly", "band"]
    assert config.scenario.account_kind is AccountKind.TAXABLE
    assert config.scenario.market.periods_per_year == 252
    result = run_backtest(config)
    assert set(result.runs) == {"monthly", "band"}
    assert result["monthly"].dates[0] == pd.Timestamp("2016-01-04")


def test_monthly_frequency_samples_daily_data_at_month_ends(tmp_path: Path) -> None:
    text = GOOD.replace("start: 2016-01-01", "frequency: monthly\nstart: 2016-01-01")
    config = load_backtest_config(_write(tmp_path, text))
    dates = config.scenario.dates
    assert config.scenario.market.periods_per_year == 12 and len(dates) == 6
    assert dates[0] == pd.Timestamp("2016-01-29") and dates[-1] == pd.Timestamp("2016-06-30")
    run = run_backtest(config)["monthly"]
    assert run.rebalance_events == 5  # every month end after the initial purchase


def _returns_csv(path: Path, index: pd.DatetimeIndex, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(0.005, 0.03, size=(len(index), 2)), index=index, columns=["EQ", "FI"])
    frame.index.name = "date"
    frame.to_csv(path, date_format="%Y-%m-%d", float_format="%.6f")


@pytest.mark.parametrize("frequency", ["monthly", "daily"])
def test_returns_data_daily_and_monthly(tmp_path: Path, frequency: str) -> None:
    """A wide returns CSV: the simulated asset returns are the file's returns."""
    if frequency == "monthly":
        index = pd.date_range("2000-01-31", periods=36, freq="ME")
    else:
        index = pd.bdate_range("2019-01-02", periods=200)
    _returns_csv(tmp_path / "returns.csv", index)
    text = f"""\
    data: {{returns: returns.csv}}
    frequency: {frequency}
    initial: {{value: 50000}}
    targets: {{EQ: 0.6, FI: 0.4}}
    policies: [{{name: never, kind: never}}, {{name: cal, kind: calendar, every: quarterly}}]
    tax: {{account: tax_deferred}}
    """
    config = load_backtest_config(_write(tmp_path, text))
    result = run_backtest(config)
    run = result["never"]
    returns = pd.read_csv(tmp_path / "returns.csv", index_col=0).to_numpy()
    np.testing.assert_allclose(
        run.asset_returns[1:],
        returns[: run.n_periods - 1] if run.n_periods == len(index) else returns[-(run.n_periods - 1) :],
        atol=1e-12,
    )
    assert result["cal"].taxes_paid == 0.0 and result["cal"].rebalance_events > 0


def test_prices_csv_and_portfolio_file(tmp_path: Path) -> None:
    """A wide prices CSV, and a portfolio file (accounts, lots, targets) instead of initial: value."""
    index = pd.bdate_range("2021-01-04", periods=300)
    rng = np.random.default_rng(1)
    prices = pd.DataFrame(
        50 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 2)), axis=0)), index=index, columns=["AAA", "BBB"]
    )
    prices.index.name = "date"
    prices.to_csv(tmp_path / "prices.csv", date_format="%Y-%m-%d", float_format="%.4f")
    (tmp_path / "lots.csv").write_text(
        "account,symbol,quantity,unit_cost,acquired\n"
        "brokerage,AAA,100,40.00,2020-06-01\nira,BBB,50,45.00,2020-06-01\n"
    )
    _write(
        tmp_path,
        """\
    household: test
    accounts:
      - {id: brokerage, kind: taxable, cash: 1000}
      - {id: ira, kind: tax_deferred, cash: 500}
    lots: lots.csv
    targets: {AAA: 0.5, BBB: 0.5}
    prices: prices.csv
    """,
        "portfolio.yaml",
    )
    config = load_backtest_config(
        _write(
            tmp_path,
            """\
    portfolio: portfolio.yaml
    start: 2021-03-01
    policies: [{name: q, kind: calendar, every: quarterly}]
    costs: {half_spread_bps: 2}
    tax: {short_term_rate: 0.3, long_term_rate: 0.15}
    """,
        )
    )
    assert config.scenario.household is not None and config.scenario.initial_value is None
    run = run_backtest(config)["q"]
    assert run.dates[0] == pd.Timestamp("2021-03-01") and run.taxable
    assert {t.account for t in run.trades} <= {"brokerage", "ira"}


MALFORMED = [
    # (name, yaml, substring in the message, line)
    ("unknown top-level key", GOOD.replace("policies:", "polices:"), "unknown key 'polices'", 7),
    (
        "missing policies",
        GOOD.split("policies:")[0] + "costs: {half_spread_bps: 5}\n",
        "missing required key 'policies'",
        1,
    ),
    (
        "initial and portfolio",
        GOOD.replace("initial: {value: 100000}", "initial: {value: 100000}\nportfolio: p.yaml"),
        "exactly one of initial: and portfolio:",
        5,
    ),
    ("target not in data", GOOD.replace("XOM: 0.2", "XOMM: 0.2"), "no market data for XOMM", 6),
    ("targets do not sum to 1", GOOD.replace("XOM: 0.2", "XOM: 0.3"), "sum to 1.100000", 6),
    ("bad frequency", GOOD.replace("start:", "frequency: hourly\nstart:"), "unknown frequency", 3),
    ("end before start", GOOD.replace("end: 2016-06-30", "end: 2015-06-30"), "end must be after start", 4),
    ("unknown policy kind", GOOD.replace("kind: threshold", "kind: thresold"), "unknown policy kind", 9),
    ("policy band out of range", GOOD.replace("band: 0.03", "band: 2"), "must be in [0, 1)", 9),
    ("duplicate policy names", GOOD.replace("name: band", "name: monthly"), "used twice", 9),
    (
        "tax rate above 1",
        GOOD.replace("short_term_rate: 0.37", "short_term_rate: 1.5"),
        "must be below 1",
        11,
    ),
    (
        "cash flow period",
        GOOD + "cash_flows: [{every: fortnightly, amount: 100}]\n",
        "unknown cash flow period",
        12,
    ),
    (
        "prices and returns",
        GOOD.replace("prices: builtin:us-stocks", "prices: builtin:us-stocks\n  returns: r.csv"),
        "either data.prices or data.returns",
        3,
    ),
    (
        "impact without volumes",
        GOOD.replace("half_spread_bps: 5", "half_spread_bps: 5, impact: {b: 1}"),
        "market impact costs need traded value",
        10,
    ),
    (
        "start before the data",
        GOOD.replace("start: 2016-01-01", "start: 1980-01-01"),
        "before the first date",
        3,
    ),
    ("negative initial value", GOOD.replace("value: 100000", "value: -5"), "must be above 0", 5),
    ("bad date", GOOD.replace("start: 2016-01-01", "start: 2016-13-01"), "should be a date", 3),
    ("yaml syntax", GOOD.replace("targets: {AAPL", "targets: {AAPL: [0.5"), "YAML syntax error", None),
    (
        "policy is a number",
        GOOD.replace("  - {name: band, kind: threshold, band: 0.03}", "  - 5"),
        "a policy is a mapping",
        9,
    ),
    ("tax.account with a bad kind", GOOD.replace("account: taxable", "account: roth"), "unknown account", 11),
    (
        "dividends file missing",
        GOOD.replace("prices: builtin:us-stocks", "prices: builtin:us-stocks\n  dividends: missing.csv"),
        "file not found",
        3,
    ),
    (
        "dividend rate above 1",
        GOOD.replace("long_term_rate: 0.2,", "long_term_rate: 0.2, dividend_rate: 1.2,"),
        "must be below 1",
        11,
    ),
]


@pytest.mark.parametrize(("name", "text", "message", "line"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_config_raises_config_error_naming_file_line_and_key(
    tmp_path: Path, name: str, text: str, message: str, line: int | None
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_backtest_config(path)
    text_of = str(info.value)
    assert message in text_of
    assert text_of.startswith(str(path))
    if line is not None:
        assert text_of.startswith(f"{path}:{line}"), text_of
    assert "Fix:" in text_of


def test_missing_file_and_portfolio_lots_after_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="backtest config not found"):
        load_backtest_config(tmp_path / "nope.yaml")
    (tmp_path / "lots.csv").write_text(
        "account,symbol,quantity,unit_cost,acquired\nb,AAPL,10,100,2018-06-01\n"
    )
    _write(
        tmp_path,
        "accounts: [{id: b, kind: taxable}]\nlots: lots.csv\ntargets: {AAPL: 1.0}\n"
        "prices: builtin:us-stocks\n",
        "portfolio.yaml",
    )
    path = _write(tmp_path, "portfolio: portfolio.yaml\nstart: 2017-01-03\npolicies: [never]\n")
    with pytest.raises(ConfigError, match="lots bought after the backtest start") as info:
        load_backtest_config(path)
    assert str(info.value).startswith(f"{path}:2 start")


def test_data_errors_keep_their_own_class(tmp_path: Path) -> None:
    """A problem inside the data file is reported by the data loader (an InputError naming that file)."""
    path = _write(tmp_path, GOOD.replace("builtin:us-stocks", "missing.csv"))
    with pytest.raises(InputError, match="not found") as info:
        load_backtest_config(path)
    assert str(path) in str(info.value)


def test_optimizer_policy_prices_the_backtest_costs(tmp_path: Path) -> None:
    """An optimizer without its own costs gets the config's costs; solver noise in its weights is cleaned."""
    from trimtab.backtest.simulator import solver_clean

    text = GOOD.replace("start: 2016-01-01", "frequency: monthly\nstart: 2015-01-01").replace(
        "  - {name: band, kind: threshold, band: 0.03}", "  - {name: opt, kind: optimizer, te_weight: 1}"
    )
    config = load_backtest_config(_write(tmp_path, text))
    optimizer = config.policies[1].policy
    assert "LinearCost(half_spread_bps=5.0)" in repr(optimizer.objective)  # type: ignore[attr-defined]
    run = run_backtest(config)["opt"]
    assert run.fallbacks == 0 and run.rebalance_events > 0 and run.decided[1:].all()
    assert solver_clean({"A": 0.5, "B": 0.5 + 2e-9, "CASH": -2e-9}) == {
        "A": 0.5,
        "B": 0.5 + 2e-9,
        "CASH": 0.0,
    }
    assert solver_clean({"CASH": -0.01})["CASH"] == -0.01  # real errors are left for the planner to reject


EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "trimtab" / "examples" / "backtests"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_example_configs_load(name: str) -> None:
    """Every shipped example config loads (the 1926 data need the optional arch package)."""
    if "sixty-forty" in name:
        pytest.importorskip("arch")
    config = load_backtest_config(EXAMPLES / name)
    assert config.policies


def test_family_example_runs_on_real_lots() -> None:
    result = run_backtest(load_backtest_config(EXAMPLES / "family.yaml"))
    assert set(result.runs) == {"5pp band", "quarterly", "cost gated"}
    band = result["5pp band"]
    assert band.taxable and len(band.final_household.accounts) == 3 and band.rebalance_events >= 1
