"""The backtest config file (YAML) -> a :class:`~trimtab.backtest.simulator.Scenario` and named policies.

Format (every key is described in ``docs/backtest.md``)::

    data:
      prices: builtin:us-stocks        # or a CSV path (long or wide); or instead:
      # returns: returns.csv           # wide CSV, date + one column per asset, simple returns per period
      # volumes: volumes.csv           # optional, dollar volume per asset and period (for impact costs)
      # sigmas: sigmas.csv             # optional, per-period volatility per asset
      # dividends: dividends.csv       # optional, cash per share by ex-date (prices must be price-only)
    frequency: daily                   # daily | monthly (daily data are sampled on each month's last date)
    start: 2005-01-01
    end: 2022-12-28
    initial: {value: 1000000}          # or: portfolio: portfolio.yaml (real lots and accounts)
    targets: {AAPL: 0.05, ...}         # or from the portfolio file
    cash_flows: [{every: monthly, amount: 1000}]   # contributions (+) / withdrawals (-)
    policies:
      - {name: monthly, kind: calendar, every: monthly}
      - {name: q5, kind: threshold, check: quarterly, band: 0.05}
      - {name: never, kind: never}
    costs: {half_spread_bps: 5, impact: {b: 1.0, alpha: 1.5}, commission_per_trade: 0}
    tax: {account: taxable, short_term_rate: 0.37, long_term_rate: 0.20, pay: annually}
    trading: {fractional: true}        # default: fractional shares, 6 decimals
    risk: {lookback: 756}              # periods of returns for the covariance policies may ask for
    metrics: {risk_free_rate: 0.0}     # annual, for the Sharpe ratio
    engine: fast                       # fast (exact hold screen) | exact (ask the policy every period)
    harvest: {every: monthly}          # optional tax-loss harvesting overlay (taxable accounts)

Every problem raises :class:`~trimtab.errors.ConfigError` (data-file problems keep their
:class:`~trimtab.errors.PriceFileError`, portfolio-file problems their own class) whose one-line message
names the file, the line and the key, what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trimtab.backtest.simulator import DEFAULT_TRADING, CashFlow, Scenario, scenario_summary
from trimtab.data.calendar import PERIODS
from trimtab.data.dividends import load_dividends_csv
from trimtab.data.market import MarketData
from trimtab.data.portfolio_file import load_portfolio
from trimtab.data.prices import load_market_data, load_prices_csv
from trimtab.data.schema_errors import translate_validation_error, yaml_type
from trimtab.data.yaml_source import YamlDocument, load_yaml, relocate
from trimtab.domain.accounts import AccountKind
from trimtab.domain.lots import ReliefMethod
from trimtab.domain.settings import (
    CostSettings,
    ImpactSettings,
    Placement,
    PolicySpec,
    TaxSettings,
    TradingSettings,
)
from trimtab.domain.targets import TargetAllocation
from trimtab.errors import ConfigError, InputError, SourceRef
from trimtab.models.tax import TaxInputs
from trimtab.policies.base import Policy
from trimtab.policies.registry import build_policy, policy_spec
from trimtab.tax.harvest import HarvestSettings
from trimtab.tax.netting import parse_filing_status
from trimtab.tax.rules import TaxRates

__all__ = ["BacktestConfig", "NamedPolicy", "load_backtest_config", "parse_backtest_config", "to_monthly"]

_PERIOD_ALIASES = {
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "annual",
    "yearly": "annual",
    "annually": "annual",
    "semiannually": "semiannual",
}


# -- schema ------------------------------------------------------------------------------------------------
class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _DataModel(_Section):
    prices: str | None = None
    returns: str | None = None
    volumes: str | None = None
    sigmas: str | None = None
    dividends: str | None = None


class _InitialModel(_Section):
    value: Decimal = Field(gt=0, allow_inf_nan=False)


class _CashFlowModel(_Section):
    every: str = "monthly"
    amount: Decimal = Field(allow_inf_nan=False)
    account: str | None = None
    start: date | None = None
    end: date | None = None


class _ImpactModel(_Section):
    b: float = Field(1.0, ge=0)
    alpha: float = Field(1.5, ge=1, le=2)


class _CostsModel(_Section):
    half_spread_bps: float = Field(0.0, ge=0, allow_inf_nan=False)
    commission_per_trade: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False)
    commission_per_share: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False)
    min_trade_value: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False)
    impact: _ImpactModel | None = None


class _TaxModel(_Section):
    account: AccountKind | None = None
    short_term_rate: float = Field(0.0, ge=0, lt=1)
    long_term_rate: float = Field(0.0, ge=0, lt=1)
    pay: Literal["annually"] = "annually"
    relief_method: ReliefMethod = ReliefMethod.FIFO
    filing_status: str = "single"
    dividend_rate: float | None = Field(None, ge=0, lt=1)


class _TradingModel(_Section):
    fractional: bool = True
    fraction_decimals: int = Field(6, ge=0, le=6)
    lot_size: int = Field(1, ge=1)
    cash_buffer: float = Field(0.0, ge=0, lt=1)
    placement: Placement = Placement.TAX_AWARE


class _HarvestModel(_Section):
    every: str = "monthly"
    substitutes: dict[str, str | list[str]] | None = None
    switch_back: bool = True
    holding_days: int = Field(31, ge=31)
    min_loss: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False)
    min_net_benefit: Decimal = Field(Decimal(0), allow_inf_nan=False)
    risk_aversion: float = Field(3.0, ge=0)
    horizon_years: Decimal = Field(Decimal(10), gt=0, allow_inf_nan=False)
    after_tax_return: Decimal = Field(Decimal("0.05"), ge=0, allow_inf_nan=False)


class _RiskModel(_Section):
    lookback: int = Field(756, ge=2)
    volatility_lookback: int = Field(60, ge=3)
    volume_lookback: int = Field(20, ge=1)


class _MetricsModel(_Section):
    risk_free_rate: float = Field(0.0, ge=-1, le=1)


class _ConfigModel(_Section):
    data: _DataModel | None = None
    frequency: Literal["daily", "monthly"] | None = None
    start: date | None = None
    end: date | None = None
    initial: _InitialModel | None = None
    portfolio: str | None = None
    targets: dict[str, float] | None = None
    cash_flows: list[_CashFlowModel] = Field(default_factory=list)
    policies: list[Any] = Field(min_length=1)
    costs: _CostsModel | None = None
    tax: _TaxModel | None = None
    trading: _TradingModel | None = None
    risk: _RiskModel = Field(default_factory=lambda: _RiskModel.model_validate({}))
    harvest: _HarvestModel | None = None
    metrics: _MetricsModel = Field(default_factory=lambda: _MetricsModel.model_validate({}))
    engine: Literal["fast", "exact"] = "fast"


_FIX_HINTS: dict[str, str] = {
    "data": "write data: {prices: builtin:us-stocks} (or returns: a CSV of returns)",
    "prices": "builtin:us-stocks, or the path of a prices CSV relative to this file",
    "returns": "the path of a wide CSV of simple returns per period, relative to this file",
    "volumes": "the path of a wide CSV of traded value in dollars per period",
    "sigmas": "the path of a wide CSV of volatility per period",
    "dividends": "the path of a CSV of cash dividends per share by ex-date (date,symbol,dividend or wide)",
    "dividend_rate": "a fraction of the dividends, e.g. 0.20 (default: long_term_rate)",
    "frequency": "use daily or monthly",
    "start": "a date YYYY-MM-DD, e.g. 2005-01-01",
    "end": "a date YYYY-MM-DD, e.g. 2022-12-28",
    "initial": "write initial: {value: 1000000}",
    "value": "dollars invested at the start, e.g. 1000000",
    "portfolio": "the path of a portfolio YAML relative to this file",
    "targets": "map symbols to weights summing to 1, e.g. targets: {STOCKS: 0.6, BONDS: 0.4}",
    "cash_flows": "a list such as cash_flows: [{every: monthly, amount: 1000}]",
    "every": f"one of {', '.join(PERIODS)}",
    "amount": "dollars per period: positive to contribute, negative to withdraw",
    "account": "an account id of the portfolio file",
    "policies": "a list such as policies: [{name: monthly, kind: calendar, every: monthly}]",
    "costs": "write costs: {half_spread_bps: 5}",
    "half_spread_bps": "basis points of value traded, e.g. 5",
    "commission_per_trade": "dollars per trade, zero or more",
    "commission_per_share": "dollars per share, zero or more",
    "min_trade_value": "dollars; smaller trades are dropped",
    "impact": "write impact: {b: 1.0, alpha: 1.5}",
    "b": "impact coefficient, zero or more, e.g. 1.0",
    "alpha": "impact exponent between 1 and 2, e.g. 1.5",
    "tax": "write tax: {account: taxable, short_term_rate: 0.37, long_term_rate: 0.20}",
    "short_term_rate": "a fraction of the gain, e.g. 0.37 for 37 %",
    "long_term_rate": "a fraction of the gain, e.g. 0.20 for 20 %",
    "pay": "only annually is supported",
    "relief_method": "use one of fifo, lifo, hifo, spec_id, avg_cost, min_tax",
    "filing_status": "e.g. single or married_filing_separately",
    "trading": "write trading: {fractional: true}",
    "fractional": "true or false",
    "fraction_decimals": "a whole number from 0 to 6",
    "lot_size": "a whole number of shares, e.g. 1",
    "cash_buffer": "a fraction of value kept in cash, e.g. 0.01",
    "placement": "use tax_aware or pro_rata",
    "risk": "write risk: {lookback: 756}",
    "lookback": "periods of returns, e.g. 756 (three years of daily data)",
    "volatility_lookback": "periods, e.g. 60",
    "volume_lookback": "periods, e.g. 20",
    "metrics": "write metrics: {risk_free_rate: 0.02}",
    "risk_free_rate": "an annual rate as a fraction, e.g. 0.02",
    "engine": "use fast or exact",
    "harvest": "write harvest: {every: monthly} (a taxable account with tax rates)",
    "substitutes": "map a symbol to its substitutes, e.g. {XOM: [CVX]}",
    "switch_back": "true or false",
    "holding_days": "days the substitute is held, 31 or more",
    "min_loss": "dollars, zero or more",
    "min_net_benefit": "dollars",
    "horizon_years": "years until the position is sold for good, e.g. 10",
    "after_tax_return": "a yearly return as a fraction, e.g. 0.05",
}


# -- the result --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NamedPolicy:
    """A policy of the config: its name, the built policy and where it was written."""

    name: str
    policy: Policy
    where: SourceRef | None = None


@dataclass(frozen=True, eq=False)
class BacktestConfig:
    """A loaded and checked backtest config.

    Parameters
    ----------
    scenario : Scenario
        Data, targets, start/end, initial value or household, costs, tax, trading and cash flows.
    policies : tuple of NamedPolicy
        In file order; names unique.
    exact : bool
        ``engine: exact``: ask every policy at every date.
    risk_free_rate : float
        Annual, for the Sharpe ratio.
    path : Path, optional
        The config file.
    settings : mapping
        Resolved settings for reports.
    """

    scenario: Scenario
    policies: tuple[NamedPolicy, ...]
    exact: bool = False
    risk_free_rate: float = 0.0
    path: Path | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


# -- loading -----------------------------------------------------------------------------------------------
def load_backtest_config(path: str | Path) -> BacktestConfig:
    """Load and check a backtest config file (see the module docstring).

    Raises
    ------
    InputError
        :class:`ConfigError` for the config itself; the data and portfolio loaders' own classes for
        problems inside those files. Each names the file, line and key.
    """
    path = Path(path)
    doc = load_yaml(path, error=ConfigError, what="backtest config")
    return parse_backtest_config(doc)


def parse_backtest_config(doc: YamlDocument) -> BacktestConfig:
    """Check a parsed config document and resolve its data, portfolio and policies."""
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else f"a {yaml_type(doc.data)}"
        raise ConfigError(
            f"the backtest config must be a mapping of keys, but it is {kind}",
            fix="start with keys such as data:, targets:, initial:, policies:",
            where=SourceRef(str(doc.path), doc.line()),
        )
    try:
        model = _ConfigModel.model_validate(doc.data)
    except ValidationError as err:
        raise _translate(err, doc) from None
    base = Path(doc.path).parent
    portfolio = None
    if (model.initial is None) == (model.portfolio is None):
        raise ConfigError(
            "give exactly one of initial: and portfolio:",
            fix="initial: {value: 1000000} to buy the targets at the start, or portfolio: "
            "portfolio.yaml for real accounts and lots",
            where=doc.ref("initial" if model.initial else "portfolio"),
        )
    if model.portfolio is not None:
        portfolio = load_portfolio(_path(base, model.portfolio))
        if model.tax is not None and model.tax.account is not None:
            raise ConfigError(
                "tax.account applies to initial: value only",
                got=str(model.tax.account),
                fix="the portfolio file's accounts set their kinds; remove tax.account",
                where=doc.ref("tax", "account"),
            )

    market = _market(doc, model, base, portfolio.market if portfolio is not None else None)
    market = _frequency(doc, model, market)
    targets = _targets(doc, model, portfolio.targets if portfolio is not None else None, market)
    costs = _costs(doc, model, portfolio.costs if portfolio is not None else CostSettings())
    tax, kind = _tax(doc, model, portfolio.tax if portfolio is not None else TaxSettings())
    trading = _trading(doc, model, portfolio.trading if portfolio is not None else DEFAULT_TRADING)
    start, end = _dates(doc, model, market)
    household = portfolio.household if portfolio is not None else None
    if household is not None:
        latest = max((lot.acquired for lot in household.lots), default=None)
        first = market.dates[market.dates >= start][0] if (market.dates >= start).any() else start
        if latest is not None and pd.Timestamp(latest) > first:
            raise ConfigError(
                "the portfolio holds lots bought after the backtest start",
                got=f"{latest:%Y-%m-%d}",
                fix=f"start on or after {latest:%Y-%m-%d}, or use initial: {{value: ...}}",
                where=doc.ref("start") if model.start is not None else doc.ref("portfolio"),
            )
    flows = _flows(doc, model, household)
    if costs.impact is not None and market.volumes is None:
        raise ConfigError(
            "market impact costs need traded value per period",
            got="no volumes",
            fix="give data.volumes (a wide CSV of dollar volume per period), or drop impact",
            where=doc.ref("costs", "impact") if _has(doc, "costs", "impact") else doc.ref("costs"),
        )
    sigmas = None
    if model.data is not None and model.data.sigmas is not None:
        sigmas = _wide_frame(base, model.data.sigmas, doc.ref("data", "sigmas"))
        _check_columns(sigmas, targets, doc.ref("data", "sigmas"), "sigmas")
    harvest, harvest_every = _harvest(doc, model, tax, kind, household, trading)
    dividends = _dividends(doc, model, base, market)
    try:
        scenario = Scenario(
            market=market,
            targets=targets,
            start=start,
            end=end,
            initial_value=model.initial.value if model.initial is not None else None,
            household=household,
            account_kind=kind,
            costs=costs,
            trading=trading,
            tax=tax,
            cash_flows=flows,
            sigmas=sigmas,
            risk_lookback=model.risk.lookback,
            volatility_lookback=model.risk.volatility_lookback,
            volume_lookback=model.risk.volume_lookback,
            harvest=harvest,
            harvest_every=harvest_every,
            dividends=dividends,
            dividend_rate=model.tax.dividend_rate if model.tax is not None else None,
        )
    except InputError as err:
        raise relocate(err, SourceRef(str(doc.path), doc.line())) from None
    policies = _policies(doc, model, costs, tax, scenario.dates[0].date())
    settings = {
        **scenario_summary(scenario),
        "data": market.source,
        "engine": model.engine,
        **(
            {"dividends": model.data.dividends, "dividend_rate": scenario.dividend_rate}
            if dividends is not None and model.data is not None
            else {}
        ),
        "risk_free_rate": model.metrics.risk_free_rate,
        "policies": {p.name: p.policy.describe() for p in policies},
    }
    return BacktestConfig(
        scenario=scenario,
        policies=policies,
        exact=model.engine == "exact",
        risk_free_rate=model.metrics.risk_free_rate,
        path=Path(doc.path),
        settings=settings,
    )


# -- sections ----------------------------------------------------------------------------------------------
def _path(base: Path, text: str) -> Path:
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else base / path


def _market(doc: YamlDocument, model: _ConfigModel, base: Path, fallback: MarketData | None) -> MarketData:
    data = model.data
    if data is None or (data.prices is None and data.returns is None):
        if fallback is not None:
            market = fallback
        else:
            raise ConfigError(
                "no market data",
                fix="add data: {prices: builtin:us-stocks} (or returns: FILE)",
                where=doc.ref("data") if data is not None else SourceRef(str(doc.path), doc.line()),
            )
    elif data.prices is not None and data.returns is not None:
        raise ConfigError(
            "give either data.prices or data.returns, not both",
            got="prices and returns",
            fix="keep one of them",
            where=doc.ref("data", "returns"),
        )
    elif data.prices is not None:
        if data.prices.strip().startswith("returns:"):
            raise ConfigError(
                "data.prices names a returns file",
                got=data.prices,
                fix="write data: {returns: FILE} for returns",
                where=doc.ref("data", "prices"),
            )
        market = load_market_data(data.prices, base_dir=base, where=doc.ref("data", "prices"))
    else:
        assert data.returns is not None
        market = load_market_data(
            f"returns:{data.returns.strip()}", base_dir=base, where=doc.ref("data", "returns")
        )
    if len(market.dates) < 2:
        raise ConfigError(
            "the market data has fewer than two dates",
            got=len(market.dates),
            fix="use data with a history",
            where=doc.ref("data"),
        )
    if data is not None and data.volumes is not None:
        volumes = _wide_frame(base, data.volumes, doc.ref("data", "volumes"))
        missing = [s for s in market.symbols if s not in volumes.columns]
        volumes = volumes.reindex(index=market.dates, columns=market.symbols)
        if len(missing) == len(market.symbols):
            raise ConfigError(
                "the volumes file has none of the data's symbols",
                got=missing[0],
                fix="name the columns like the price columns",
                where=doc.ref("data", "volumes"),
            )
        market = MarketData(market.prices, volumes, market.source, market.periods_per_year)
    return market


def _dividends(doc: YamlDocument, model: _ConfigModel, base: Path, market: MarketData) -> pd.DataFrame | None:
    """The dividends file (wide or long), its symbols checked against the market data."""
    if model.data is None or model.data.dividends is None:
        return None
    where = doc.ref("data", "dividends")
    path = _path(base, model.data.dividends)
    if not path.is_file():
        raise ConfigError(
            "file not found", got=str(path), fix="give a CSV path relative to the config file", where=where
        )
    frame = load_dividends_csv(path)
    known = [s for s in frame.columns if s in market.symbols]
    if len(frame.columns) and not known:
        raise ConfigError(
            "the dividends file has none of the data's symbols",
            got=str(frame.columns[0]),
            fix="name the symbols like the price columns",
            where=where,
        )
    return frame[known]


def _wide_frame(base: Path, text: str, where: SourceRef) -> pd.DataFrame:
    path = _path(base, text)
    if not path.is_file():
        raise ConfigError(
            "file not found", got=str(path), fix="give a CSV path relative to the config file", where=where
        )
    return load_prices_csv(path).prices


def _check_columns(frame: pd.DataFrame, targets: TargetAllocation, where: SourceRef, what: str) -> None:
    missing = [s for s in targets.symbols if s not in frame.columns]
    if missing:
        raise ConfigError(
            f"the {what} file has no column for {', '.join(missing)}",
            got=missing[0],
            fix="add a column per target symbol",
            where=where,
        )


def to_monthly(market: MarketData) -> MarketData:
    """Daily (or weekly) data sampled on the last date of each calendar month present.

    Traded values (``volumes``) are summed over each month. ``periods_per_year`` becomes 12.
    """
    index = market.dates
    key = index.year.to_numpy() * 12 + index.month.to_numpy()
    last = np.flatnonzero(np.r_[key[1:] != key[:-1], True])
    prices = market.prices.iloc[last]
    volumes = None
    if market.volumes is not None:
        sums = market.volumes.groupby(key).sum(min_count=1)
        volumes = pd.DataFrame(sums.to_numpy(), index=prices.index, columns=market.volumes.columns)
    return MarketData(prices, volumes, f"{market.source} (monthly)", 12.0)


def _frequency(doc: YamlDocument, model: _ConfigModel, market: MarketData) -> MarketData:
    if model.frequency is None:
        return market
    if model.frequency == "monthly":
        return market if market.periods_per_year <= 12 else to_monthly(market)
    if market.periods_per_year < 52:
        raise ConfigError(
            "frequency daily needs daily data",
            got=f"{market.source} has {market.periods_per_year:g} periods a year",
            fix="use frequency: monthly, or daily data",
            where=doc.ref("frequency"),
        )
    return market


def _targets(
    doc: YamlDocument, model: _ConfigModel, fallback: TargetAllocation | None, market: MarketData
) -> TargetAllocation:
    if model.targets is None:
        if fallback is None:
            raise ConfigError(
                "missing targets", fix=_FIX_HINTS["targets"], where=SourceRef(str(doc.path), doc.line())
            )
        return fallback
    try:
        targets = TargetAllocation(
            dict(model.targets), dict(fallback.per_account) if fallback is not None else {}
        )
    except InputError as err:
        got = err.got if err.got is not None else InputError._MISSING
        raise ConfigError(
            err.problem.removeprefix("targets: "), got=got, fix=err.fix, where=doc.ref("targets")
        ) from None
    for symbol in targets.symbols:
        if symbol not in market.symbols:
            close = difflib.get_close_matches(symbol, market.symbols, n=1)
            raise ConfigError(
                f"no market data for {symbol}",
                got=symbol,
                fix=(f"did you mean {close[0]}? " if close else "")
                + f"the data has {', '.join(market.symbols[:20])}"
                + (" ..." if len(market.symbols) > 20 else ""),
                where=doc.ref("targets", symbol),
            )
    return targets


def _has(doc: YamlDocument, *keys: str) -> bool:
    node: Any = doc.data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def _costs(doc: YamlDocument, model: _ConfigModel, fallback: CostSettings) -> CostSettings:
    if model.costs is None:
        return fallback
    c = model.costs
    try:
        return CostSettings(
            commission_per_trade=c.commission_per_trade,
            commission_per_share=c.commission_per_share,
            half_spread_bps=c.half_spread_bps,
            min_trade_value=c.min_trade_value,
            impact=None if c.impact is None else ImpactSettings(b=c.impact.b, alpha=c.impact.alpha),
        )
    except InputError as err:
        raise relocate(err, doc.ref("costs"), ConfigError) from None


def _tax(doc: YamlDocument, model: _ConfigModel, fallback: TaxSettings) -> tuple[TaxSettings, AccountKind]:
    if model.tax is None:
        return fallback, AccountKind.TAXABLE
    t = model.tax
    try:
        parse_filing_status(t.filing_status)
        settings = TaxSettings(
            short_term_rate=t.short_term_rate,
            long_term_rate=t.long_term_rate,
            relief_method=t.relief_method,
            filing_status=t.filing_status,
        )
    except InputError as err:
        raise relocate(err, doc.ref("tax", "filing_status"), ConfigError) from None
    return settings, t.account if t.account is not None else AccountKind.TAXABLE


def _trading(doc: YamlDocument, model: _ConfigModel, fallback: TradingSettings) -> TradingSettings:
    if model.trading is None:
        return fallback
    t = model.trading
    try:
        return TradingSettings(
            lot_size=t.lot_size,
            fractional=t.fractional,
            fraction_decimals=t.fraction_decimals,
            cash_buffer=t.cash_buffer,
            placement=t.placement,
        )
    except InputError as err:
        raise relocate(err, doc.ref("trading"), ConfigError) from None


def _dates(doc: YamlDocument, model: _ConfigModel, market: MarketData) -> tuple[pd.Timestamp, pd.Timestamp]:
    first, last = market.first_date, market.last_date
    start = pd.Timestamp(model.start) if model.start is not None else first
    end = pd.Timestamp(model.end) if model.end is not None else last
    span = f"the data covers {first:%Y-%m-%d} .. {last:%Y-%m-%d}"
    if model.start is not None and start > last:
        raise ConfigError(
            "start is after the last date of the data",
            got=f"{start:%Y-%m-%d}",
            fix=f"choose an earlier start; {span}",
            where=doc.ref("start"),
        )
    if model.start is not None and start < first:
        raise ConfigError(
            "start is before the first date of the data",
            got=f"{start:%Y-%m-%d}",
            fix=f"start on or after {first:%Y-%m-%d}, or leave start out; {span}",
            where=doc.ref("start"),
        )
    if model.end is not None and end < first:
        raise ConfigError(
            "end is before the first date of the data",
            got=f"{end:%Y-%m-%d}",
            fix=f"choose a later end; {span}",
            where=doc.ref("end"),
        )
    if end <= start:
        raise ConfigError(
            "end must be after start",
            got=f"{start:%Y-%m-%d} .. {end:%Y-%m-%d}",
            fix="choose an end date later than the start date",
            where=doc.ref("end") if model.end is not None else doc.ref("start"),
        )
    inside = market.dates[(market.dates >= start) & (market.dates <= end)]
    if len(inside) < 2:
        raise ConfigError(
            "fewer than two dates of data between start and end",
            got=len(inside),
            fix=f"widen the dates; {span}",
            where=doc.ref("start") if model.start else doc.ref("end"),
        )
    return start, end


def _flows(doc: YamlDocument, model: _ConfigModel, household: Any) -> tuple[CashFlow, ...]:
    out: list[CashFlow] = []
    accounts = household.account_ids if household is not None else ("portfolio",)
    for i, flow in enumerate(model.cash_flows):
        every = flow.every.strip().lower().replace("-", "_")
        every = _PERIOD_ALIASES.get(every, every)
        if every not in PERIODS:
            raise ConfigError(
                "unknown cash flow period",
                got=flow.every,
                fix=f"use one of {', '.join(PERIODS)}",
                where=doc.ref("cash_flows", i, "every"),
            )
        if flow.account is not None and flow.account not in accounts:
            raise ConfigError(
                "unknown account",
                got=flow.account,
                fix=f"use one of {', '.join(accounts)}",
                where=doc.ref("cash_flows", i, "account"),
            )
        if flow.amount == 0:
            raise ConfigError(
                "a cash flow of zero dollars",
                got=0,
                fix=_FIX_HINTS["amount"],
                where=doc.ref("cash_flows", i, "amount"),
            )
        if flow.start is not None and flow.end is not None and flow.end < flow.start:
            raise ConfigError(
                "cash flow end is before its start",
                got=f"{flow.start} .. {flow.end}",
                fix="swap them",
                where=doc.ref("cash_flows", i, "end"),
            )
        out.append(
            CashFlow(
                amount=flow.amount,
                every=every,
                account=flow.account,
                start=None if flow.start is None else pd.Timestamp(flow.start),
                end=None if flow.end is None else pd.Timestamp(flow.end),
            )
        )
    return tuple(out)


def _harvest(
    doc: YamlDocument,
    model: _ConfigModel,
    tax: TaxSettings,
    kind: AccountKind,
    household: Any,
    trading: TradingSettings,
) -> tuple[HarvestSettings | None, str]:
    h = model.harvest
    if h is None:
        return None, "monthly"
    every = _PERIOD_ALIASES.get(h.every.strip().lower(), h.every.strip().lower())
    if every not in PERIODS:
        raise ConfigError(
            "unknown harvest period",
            got=h.every,
            fix=f"use one of {', '.join(PERIODS)}",
            where=doc.ref("harvest", "every"),
        )
    taxable = any(a.kind.is_taxable for a in household.accounts) if household is not None else kind.is_taxable
    if not taxable or (tax.short_term_rate == 0 and tax.long_term_rate == 0):
        raise ConfigError(
            "tax-loss harvesting needs a taxable account and a tax rate",
            got="harvest",
            fix="set tax: {account: taxable, short_term_rate: ..., long_term_rate: ...}, or drop harvest",
            where=doc.ref("harvest"),
        )
    options: dict[str, Any] = {
        "switch_back": h.switch_back,
        "holding_days": h.holding_days,
        "min_loss": h.min_loss,
        "min_net_benefit": h.min_net_benefit,
        "risk_aversion": h.risk_aversion,
        "horizon_years": h.horizon_years,
        "after_tax_return": h.after_tax_return,
        "fractional": trading.fractional,
    }
    if h.substitutes is not None:
        options["substitutes"] = dict(h.substitutes)
    return HarvestSettings(**options), every


def _policies(
    doc: YamlDocument, model: _ConfigModel, costs: CostSettings, tax: TaxSettings, start: date
) -> tuple[NamedPolicy, ...]:
    """Build the policies; an ``optimizer`` without its own ``costs`` prices the backtest's costs.

    An optimizer with ``tax_weight > 0`` or ``max_realized_gain`` gets the config's tax rates and relief
    method as its ``tax_context``; at each date the simulator's point-in-time household
    (``DecisionContext.household``) supplies the lots.
    """
    out: list[NamedPolicy] = []
    lines: dict[str, int | None] = {}
    for i, item in enumerate(model.policies):
        line = doc.line("policies", i)
        raw: Any
        if isinstance(item, str):
            name, raw = item.strip(), item
        elif isinstance(item, Mapping):
            raw_name = item.get("name")
            if raw_name is not None and (not isinstance(raw_name, str | int) or not str(raw_name).strip()):
                raise ConfigError(
                    "a policy name must be a non-empty text",
                    got=raw_name,
                    fix="e.g. name: monthly",
                    where=doc.ref("policies", i, "name"),
                )
            name = str(raw_name).strip() if raw_name is not None else str(item.get("kind", f"policy{i + 1}"))
            raw = {k: v for k, v in item.items() if k != "name"}
        else:
            raise ConfigError(
                "a policy is a mapping with a kind",
                got=item,
                fix="e.g. - {name: monthly, kind: calendar, every: monthly}",
                where=doc.ref("policies", i),
            )
        if name in lines:
            raise ConfigError(
                f"policy name {name!r} is used twice (first on line {lines[name]})",
                got=name,
                fix="give every policy its own name: (name: ...)",
                where=doc.ref("policies", i),
            )
        lines[name] = line
        where = SourceRef(str(doc.path), line, f"policies[{name}]")
        spec: PolicySpec = policy_spec(raw, where=where)
        if spec.kind == "optimizer" and "costs" not in spec.params:
            spec = PolicySpec(spec.kind, {**spec.params, "costs": costs})
        if spec.kind == "optimizer" and "tax_context" not in spec.params and _uses_tax(spec.params):
            context = TaxInputs(
                lots=(), rates=TaxRates.from_settings(tax), sold=start, relief=tax.relief_method
            )
            spec = PolicySpec(spec.kind, {**spec.params, "tax_context": context})
        policy = build_policy(spec, where=where)
        out.append(NamedPolicy(name=name, policy=policy, where=where))
    return tuple(out)


def _uses_tax(params: Mapping[str, Any]) -> bool:
    """Whether optimizer parameters ask for the tax term or the realized-gain budget."""
    weight = params.get("tax_weight")
    try:
        weighted = weight is not None and float(weight) > 0
    except (TypeError, ValueError):
        weighted = True  # let the optimizer's own check report the bad value
    return weighted or params.get("max_realized_gain") is not None


# -- pydantic errors -> ConfigError --------------------------------------------------------------------------
def _translate(err: ValidationError, doc: YamlDocument) -> InputError:
    """The first (topmost in the file) pydantic error as one ConfigError naming file, line and key."""
    return translate_validation_error(
        err,
        doc,
        root_model=_ConfigModel,
        error_class_for=lambda loc, kind: ConfigError,
        fix_hints=_FIX_HINTS,
        default_fix="see docs/backtest.md for the config format",
    )
