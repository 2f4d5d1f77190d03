"""The portfolio file (YAML) -> a household, targets, market data and settings, every value tagged file:line.

Format (see ``docs/inputs.md`` for every key)::

    household: Example family
    as_of: 2022-12-28              # optional; default = last price date
    accounts:
      - {id: brokerage, kind: taxable, cash: 1500.00}
      - {id: ira, kind: tax_deferred, cash: 0}
    lots: lots.csv                 # optional (all-cash household); path relative to this file
    targets: {AAPL: 0.10, JNJ: 0.10, ...}   # weights summing to 1 (cash may be a target: CASH)
    prices: builtin:us-stocks      # or a CSV path (long or wide prices), or returns:PATH
    policy: {kind: threshold, band: 0.05}
    costs: {commission_per_trade: 0, commission_per_share: 0.0, half_spread_bps: 2, min_trade_value: 100}
    tax: {short_term_rate: 0.37, long_term_rate: 0.20}
    trading: {lot_size: 1, fractional: false}

Required keys: ``accounts``, ``targets``, ``prices``. Every problem raises one
:class:`~trimtab.errors.InputError` subclass with a one-line message naming the file, the line and the key
path, what is wrong and how to fix it: :class:`~trimtab.errors.AccountError` (``accounts``),
:class:`~trimtab.errors.TargetError` (``targets``, ``account_targets``), :class:`~trimtab.errors.LotError`
(the lots file), :class:`~trimtab.errors.PriceFileError` (the market data),
:class:`~trimtab.errors.ConfigError` (``policy``, ``costs``, ``tax``, ``trading``) and
:class:`~trimtab.errors.PortfolioFileError` for the rest (YAML syntax, unknown or missing top-level keys,
``as_of``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from trimtab.data.lots_file import LotRow, load_lot_rows
from trimtab.data.market import MarketData
from trimtab.data.prices import load_market_data
from trimtab.data.schema_errors import translate_validation_error, yaml_type
from trimtab.data.yaml_source import YamlDocument, format_key_path, load_yaml, relocate
from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household
from trimtab.domain.lots import ReliefMethod
from trimtab.domain.settings import (
    CostSettings,
    ImpactSettings,
    Placement,
    PolicySpec,
    TaxSettings,
    TradingSettings,
)
from trimtab.domain.targets import CASH, WEIGHT_SUM_TOLERANCE, TargetAllocation
from trimtab.errors import (
    AccountError,
    ConfigError,
    InputError,
    LotError,
    PortfolioFileError,
    SourceRef,
    TargetError,
)
from trimtab.units import to_decimal

__all__ = ["DEFAULT_POLICY", "PortfolioFile", "load_portfolio"]

#: The policy used when the file has no ``policy:`` key.
DEFAULT_POLICY = PolicySpec(kind="threshold", params={"band": 0.05})
#: The file looked for when a folder is given.
DEFAULT_FILE_NAME = "portfolio.yaml"


# -- the result ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PortfolioFile:
    """A loaded and validated portfolio file.

    Parameters
    ----------
    path : Path
        The YAML file, as given.
    household : Household
        Accounts (cash in dollars) and tax lots.
    targets : TargetAllocation
        Household target weights (``CASH`` included when cash is a target), optional per-account targets.
    market : MarketData
        All the prices of ``prices_source`` (not cut at ``as_of``; take ``market.snapshot(as_of)``).
    as_of : pandas.Timestamp
        Decision date (midnight); within the price data.
    prices_source : str
        The ``prices:`` spec as written.
    policy : PolicySpec
        Policy kind and raw parameters (validated by the policy registry).
    policy_ref : SourceRef
        Where the policy was written (for the registry's messages).
    costs, tax, trading : CostSettings, TaxSettings, TradingSettings
        Settings (defaults when the section is absent: no costs, zero tax rates, whole shares).
    lots_path : Path, optional
        The lots file, when there is one.
    lot_refs : Mapping of str to SourceRef
        Where each lot (by ``lot_id``) was read: file and line.
    document : YamlDocument, optional
        The parsed YAML with key lines; see :meth:`ref`.
    """

    path: Path
    household: Household
    targets: TargetAllocation
    market: MarketData
    as_of: pd.Timestamp
    prices_source: str
    policy: PolicySpec
    policy_ref: SourceRef
    costs: CostSettings
    tax: TaxSettings
    trading: TradingSettings
    lots_path: Path | None = None
    lot_refs: Mapping[str, SourceRef] = field(default_factory=dict, repr=False)
    document: YamlDocument | None = field(default=None, repr=False)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols with a target (cash excluded), then other symbols held, in file order."""
        per_account = [s for weights in self.targets.per_account.values() for s in weights if s != CASH]
        return tuple(dict.fromkeys([*self.targets.symbols, *per_account, *self.household.symbols]))

    def prices_at_as_of(self) -> dict[str, Decimal]:
        """Last price on or before ``as_of`` of every symbol in the targets or lots, dollars per share.

        Checked at load time: every such symbol has one.
        """
        return _last_prices(self.market, self.as_of, self.symbols)

    def ref(self, *keys: str | int) -> SourceRef:
        """Where a key of the portfolio file was written, e.g. ``ref("policy", "band")``."""
        if self.document is None:
            return SourceRef(str(self.path), None, format_key_path(tuple(keys)) or None)
        return self.document.ref(*keys)


# -- the YAML schema -----------------------------------------------------------------------------------------
def _reject_bool(value: Any) -> Any:
    """YAML ``true`` / ``yes`` is not a number (pydantic would read it as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "should be a number, not true/false")
    return value


Float = Annotated[float, BeforeValidator(_reject_bool)]
Int = Annotated[int, BeforeValidator(_reject_bool)]
Money = Annotated[Decimal, BeforeValidator(_reject_bool)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _AccountModel(_Section):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    id: str
    kind: AccountKind
    cash: Money = Field(Decimal("0"), ge=0)


class _ImpactModel(_Section):
    b: Float = Field(1.0, ge=0)
    alpha: Float = Field(1.5, ge=1, le=2)


class _CostsModel(_Section):
    commission_per_trade: Money = Field(Decimal("0"), ge=0)
    commission_per_share: Money = Field(Decimal("0"), ge=0)
    half_spread_bps: Float = Field(0.0, ge=0)
    min_trade_value: Money = Field(Decimal("0"), ge=0)
    impact: _ImpactModel | None = None


class _TaxModel(_Section):
    short_term_rate: Float = Field(0.0, ge=0, lt=1)
    long_term_rate: Float = Field(0.0, ge=0, lt=1)
    relief_method: ReliefMethod = ReliefMethod.FIFO
    filing_status: str = "single"


class _TradingModel(_Section):
    lot_size: Int = Field(1, ge=1)
    fractional: bool = False
    fraction_decimals: Int = Field(4, ge=0, le=6)
    cash_buffer: Float = Field(0.0, ge=0, lt=1)
    buy_only: bool = False
    placement: Placement = Placement.TAX_AWARE


class _PortfolioModel(_Section):
    household: str | None = None
    as_of: Any = None
    accounts: list[_AccountModel] = Field(min_length=1)
    lots: str | None = None
    targets: dict[str, Float]
    account_targets: dict[str, dict[str, Float]] = Field(default_factory=dict)
    prices: str
    policy: Any = None
    costs: _CostsModel = _CostsModel.model_validate({})
    tax: _TaxModel = _TaxModel.model_validate({})
    trading: _TradingModel = _TradingModel.model_validate({})


#: Which error class reports a problem under each top-level key.
_SECTION_ERRORS: dict[str, type[InputError]] = {
    "accounts": AccountError,
    "targets": TargetError,
    "account_targets": TargetError,
    "policy": ConfigError,
    "costs": ConfigError,
    "tax": ConfigError,
    "trading": ConfigError,
}

#: How to fix a bad value, by key name.
_FIX_HINTS: dict[str, str] = {
    "household": "give the household a name, e.g. household: Example family",
    "accounts": "list the accounts, e.g. accounts: [{id: brokerage, kind: taxable, cash: 1500}]",
    "id": "give each account a text id such as brokerage",
    "kind": "use one of taxable, tax_deferred, tax_exempt",
    "cash": "cash is dollars in the account, zero or more (margin is not supported)",
    "lots": "give the path of the lots CSV relative to this file, e.g. lots: lots.csv",
    "targets": "map symbols to weights summing to 1, e.g. targets: {AAPL: 0.6, CASH: 0.4}",
    "account_targets": "map account ids to weights, e.g. account_targets: {ira: {XOM: 1.0}}",
    "prices": "write prices: builtin:us-stocks, or the path of a prices CSV",
    "commission_per_trade": "dollars per order, zero or more",
    "commission_per_share": "dollars per share, zero or more",
    "half_spread_bps": "basis points of value traded, e.g. 2",
    "min_trade_value": "dollars; smaller trades are dropped, e.g. 100",
    "impact": "write impact: {b: 1.0, alpha: 1.5}",
    "b": "impact coefficient, zero or more, e.g. 1.0",
    "alpha": "impact exponent between 1 and 2, e.g. 1.5",
    "short_term_rate": "a fraction of the gain, e.g. 0.37 for 37 %",
    "long_term_rate": "a fraction of the gain, e.g. 0.20 for 20 %",
    "relief_method": "use one of fifo, lifo, hifo, spec_id, avg_cost, min_tax",
    "filing_status": "e.g. single",
    "lot_size": "a whole number of shares: 1 for whole shares, 100 for round lots",
    "fractional": "true or false",
    "fraction_decimals": "a whole number from 0 to 6, e.g. 4",
    "cash_buffer": "a fraction of each account's value kept in cash, e.g. 0.01",
    "buy_only": "true or false",
    "placement": "use tax_aware or pro_rata",
    "costs": "write costs: {commission_per_trade: 0, half_spread_bps: 2}",
    "tax": "write tax: {short_term_rate: 0.37, long_term_rate: 0.20}",
    "trading": "write trading: {lot_size: 1, fractional: false}",
}


# -- loading -------------------------------------------------------------------------------------------------
def load_portfolio(path: str | Path) -> PortfolioFile:
    """Load and validate a portfolio file with its lots and market data.

    Parameters
    ----------
    path : str or Path
        The YAML file (or a folder holding ``portfolio.yaml``).

    Returns
    -------
    PortfolioFile

    Raises
    ------
    InputError
        One subclass per section (see the module docstring), with a one-line message naming the file,
        the line and the key (or the lots / prices file and its line), what is wrong and how to fix it.
    """
    path = Path(path)
    if path.is_dir() and (path / DEFAULT_FILE_NAME).is_file():
        path = path / DEFAULT_FILE_NAME
    doc = load_yaml(path, error=PortfolioFileError, what="portfolio file")
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else f"a {yaml_type(doc.data)}"
        raise PortfolioFileError(
            f"the portfolio file must be a mapping of keys, but it is {kind}",
            fix="start with keys such as household:, accounts:, targets:, prices:",
            where=SourceRef(str(path), doc.line()),
        )
    model = _validate(doc)

    accounts = _accounts(doc, model)
    targets = _targets(doc, model, {a.id for a in accounts})
    market = load_market_data(model.prices, base_dir=path.parent, where=doc.ref("prices"))
    if len(market.dates) == 0:
        raise relocate(
            PortfolioFileError(
                "the market data has no rows", got=model.prices, fix="use data with at least one date"
            ),
            doc.ref("prices"),
        )
    as_of = _as_of(doc, model.as_of, market)
    lots_path: Path | None = None
    rows: tuple[LotRow, ...] = ()
    if model.lots is not None:
        lots_path = _lots_path(doc, model.lots, path)
        rows = load_lot_rows(lots_path, accounts=[a.id for a in accounts], as_of=as_of.date())
    _check_symbols(doc, model, targets, rows, lots_path, market, as_of)

    name = model.household if model.household is not None else (path.parent.name or path.stem)
    try:
        household = Household(name=name, accounts=tuple(accounts), lots=tuple(r.lot for r in rows))
    except InputError as err:
        raise relocate(err, doc.ref("accounts")) from None
    if not household.lots and household.total_cash == 0:
        raise AccountError(
            "the household holds nothing: no lots and no cash",
            fix="add a lots: file or cash to an account",
            where=doc.ref("accounts"),
        )
    policy, policy_ref = _policy(doc)
    return PortfolioFile(
        path=path,
        household=household,
        targets=targets,
        market=market,
        as_of=as_of,
        prices_source=model.prices,
        policy=policy,
        policy_ref=policy_ref,
        costs=_settings(doc, "costs", lambda: _costs(model.costs)),
        tax=_settings(doc, "tax", lambda: TaxSettings(**model.tax.model_dump())),
        trading=_settings(doc, "trading", lambda: TradingSettings(**model.trading.model_dump())),
        lots_path=lots_path,
        lot_refs=MappingProxyType({r.lot.lot_id: SourceRef(str(lots_path), r.line) for r in rows}),
        document=doc,
    )


def _validate(doc: YamlDocument) -> _PortfolioModel:
    try:
        return _PortfolioModel.model_validate(doc.data)
    except ValidationError as err:
        raise _translate(err, doc) from None


def _translate(err: ValidationError, doc: YamlDocument) -> InputError:
    """Turn the first (topmost in the file) pydantic error into one trimtab error of its section's class."""
    return translate_validation_error(
        err,
        doc,
        root_model=_PortfolioModel,
        error_class_for=_error_class,
        fix_hints=_FIX_HINTS,
        default_fix=lambda loc: _FIX_HINTS.get(
            str(loc[0]) if loc else "", "see docs/inputs.md for the portfolio file format"
        ),
        labels={"kind": "account kind"},
    )


def _error_class(loc: tuple[str | int, ...], kind: str) -> type[InputError]:
    """A top-level key missing or unknown is the file's problem; anything else its section's."""
    if len(loc) <= 1 and kind in ("missing", "extra_forbidden"):
        return PortfolioFileError
    return _SECTION_ERRORS.get(str(loc[0]) if loc else "", PortfolioFileError)


# -- sections ------------------------------------------------------------------------------------------------
def _accounts(doc: YamlDocument, model: _PortfolioModel) -> list[Account]:
    out: list[Account] = []
    first_line: dict[str, int | None] = {}
    for i, item in enumerate(model.accounts):
        account_id = item.id.strip()
        if not account_id:
            raise AccountError(
                "account id is empty", fix=_FIX_HINTS["id"], where=doc.ref("accounts", i, "id")
            )
        if account_id in first_line:
            raise AccountError(
                f"duplicate account id {account_id!r} (first on line {first_line[account_id]})",
                got=account_id,
                fix="give every account its own id",
                where=doc.ref("accounts", i, "id"),
            )
        first_line[account_id] = doc.line("accounts", i, "id")
        try:
            out.append(Account(id=account_id, kind=item.kind, cash=item.cash))
        except InputError as err:
            raise relocate(err, doc.ref("accounts", i)) from None
    return out


def _weights(doc: YamlDocument, raw: Mapping[str, float], *path: str) -> dict[str, float]:
    """Check the weights of one target mapping (CASH spelled in any case) and return them."""
    if not raw:
        raise TargetError("no target weights", fix=_FIX_HINTS["targets"], where=doc.ref(*path))
    out: dict[str, float] = {}
    for symbol, weight in raw.items():
        where = doc.ref(*path, symbol)
        name = symbol.strip()
        if name.upper() == CASH:
            name = CASH
        if not name:
            raise TargetError("empty symbol", fix="name a ticker", where=where)
        if name in out:
            raise TargetError(
                f"symbol {name!r} appears twice", got=symbol, fix="keep one weight per symbol", where=where
            )
        if not math.isfinite(weight):
            raise TargetError(
                "weight must be a finite number", got=weight, fix="write e.g. 0.10 for 10 %", where=where
            )
        if weight < 0:
            raise TargetError(
                "weight must not be negative",
                got=weight,
                fix="weights are fractions of the household value from 0 to 1 (no shorting)",
                where=where,
            )
        if weight > 1:
            raise TargetError(
                "weight must be at most 1",
                got=weight,
                fix="weights are fractions, e.g. 0.10 for 10 % (not 10)",
                where=where,
            )
        out[name] = float(weight)
    total = math.fsum(out.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        gap = 1.0 - total
        hint = f"add {gap:.6g} to some weight (or a CASH target)" if gap > 0 else f"remove {-gap:.6g}"
        raise TargetError(
            f"weights sum to {total:.6g}, not 1",
            got=round(total, 9),
            fix=f"make the weights add up to 1: {hint}",
            where=doc.ref(*path),
        )
    return out


def _targets(doc: YamlDocument, model: _PortfolioModel, account_ids: set[str]) -> TargetAllocation:
    weights = _weights(doc, model.targets, "targets")
    per_account: dict[str, dict[str, float]] = {}
    for account, raw in model.account_targets.items():
        if account not in account_ids:
            raise TargetError(
                f"account_targets names unknown account {account!r}",
                got=account,
                fix=f"use an account id: {', '.join(sorted(account_ids))}",
                where=doc.ref("account_targets", account),
            )
        per_account[account] = _weights(doc, raw, "account_targets", account)
    try:
        return TargetAllocation(weights, per_account)
    except InputError as err:
        raise relocate(err, doc.ref("targets")) from None


def _as_of(doc: YamlDocument, raw: Any, market: MarketData) -> pd.Timestamp:
    first, last = market.first_date, market.last_date
    if raw is None:
        return pd.Timestamp(last).normalize()
    where = doc.ref("as_of")
    value: date | None = None
    if isinstance(raw, datetime):
        value = raw.date() if raw.time() == datetime.min.time() else None
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            value = None
    if value is None:
        raise PortfolioFileError(
            "as_of is not a date",
            got=raw,
            fix="write as_of: YYYY-MM-DD (or leave it out for the last price date)",
            where=where,
        )
    as_of = pd.Timestamp(value)
    span = f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
    if as_of < first.normalize():
        raise PortfolioFileError(
            f"as_of is before the first price date of {market.source} ({span})",
            got=value.isoformat(),
            fix="use a date within the prices, or other prices",
            where=where,
        )
    if as_of > last:
        raise PortfolioFileError(
            f"as_of is after the last price date of {market.source} ({span})",
            got=value.isoformat(),
            fix=f"use a date up to {last:%Y-%m-%d}, leave as_of out, or update the prices",
            where=where,
        )
    return as_of


def _lots_path(doc: YamlDocument, raw: str, portfolio: Path) -> Path:
    text = raw.strip()
    if not text:
        raise LotError(
            "lots path is empty",
            fix=_FIX_HINTS["lots"] + " (or remove the key for no lots)",
            where=doc.ref("lots"),
        )
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = portfolio.parent / path
    if not path.exists():
        raise LotError(
            "lots file not found",
            got=str(path),
            fix=f"the path is relative to {portfolio.name}'s folder; check the name, or remove lots: "
            "for a household without positions",
            where=doc.ref("lots"),
        )
    if path.is_dir():
        raise LotError("lots path is a folder", got=str(path), fix="name the CSV file", where=doc.ref("lots"))
    return path


def _check_symbols(
    doc: YamlDocument,
    model: _PortfolioModel,
    targets: TargetAllocation,
    rows: tuple[LotRow, ...],
    lots_path: Path | None,
    market: MarketData,
    as_of: pd.Timestamp,
) -> None:
    """Every target and lot symbol has a price on or before ``as_of``."""
    known = set(market.symbols)
    history = market.prices.loc[:as_of]
    source = market.source

    def problem(symbol: str) -> tuple[str, str] | None:
        if symbol not in known:
            upper = [s for s in market.symbols if s.upper() == symbol.upper()]
            close = upper or difflib.get_close_matches(symbol, market.symbols, n=1)
            some = ", ".join(market.symbols[:20]) + (" ..." if len(market.symbols) > 20 else "")
            fix = (f"did you mean {close[0]!r}? " if close else "") + f"{source} has {some}"
            return f"no prices for symbol {symbol!r} in {source}", fix
        col = history[symbol].to_numpy()
        if not np.isfinite(col).any():
            listed = market.prices[symbol].first_valid_index()
            since = f"its prices start {listed:%Y-%m-%d}" if listed is not None else "it has no prices at all"
            return (
                f"no price for {symbol} on or before as_of {as_of:%Y-%m-%d} in {source} ({since})",
                "move as_of later, use prices that cover it, or drop the symbol",
            )
        return None

    for symbol in targets.weights:
        if symbol == CASH:
            continue
        found = problem(symbol)
        if found:
            raise TargetError(
                found[0], fix=found[1], where=doc.ref("targets", _raw_key(model.targets, symbol))
            )
    for account, weights in targets.per_account.items():
        for symbol in weights:
            found = problem(symbol) if symbol != CASH else None
            if found:
                raise TargetError(
                    found[0],
                    fix=found[1],
                    where=doc.ref(
                        "account_targets", account, _raw_key(model.account_targets[account], symbol)
                    ),
                )
    checked: set[str] = set()
    for row in rows:
        symbol = row.lot.symbol
        if symbol in checked:
            continue
        found = problem(symbol)
        if found:
            raise LotError(found[0], fix=found[1], where=SourceRef(str(lots_path), row.line, "symbol"))
        checked.add(symbol)


def _raw_key(raw: Mapping[str, Any], symbol: str) -> str:
    for key in raw:
        if key.strip() == symbol or (symbol == CASH and key.strip().upper() == CASH):
            return key
    return symbol


def _last_prices(market: MarketData, as_of: pd.Timestamp, symbols: tuple[str, ...]) -> dict[str, Decimal]:
    history = market.prices.loc[:as_of]
    out: dict[str, Decimal] = {}
    for symbol in symbols:
        col = history[symbol].to_numpy()
        valid = np.flatnonzero(np.isfinite(col) & (col > 0))
        out[symbol] = to_decimal(float(col[valid[-1]]))
    return out


def _policy(doc: YamlDocument) -> tuple[PolicySpec, SourceRef]:
    assert isinstance(doc.data, dict)
    raw = doc.data.get("policy")
    where = doc.ref("policy")
    if "policy" not in doc.data:
        return DEFAULT_POLICY, SourceRef(str(doc.path), None, "policy")
    if isinstance(raw, str) and raw.strip():
        return PolicySpec(kind=raw.strip()), where
    if not isinstance(raw, dict):
        raise ConfigError(
            "policy should be a mapping with a kind",
            got=raw,
            fix="write e.g. policy: {kind: threshold, band: 0.05}",
            where=where,
        )
    if "kind" not in raw:
        raise ConfigError(
            "missing required key 'kind'",
            fix="write e.g. policy: {kind: threshold, band: 0.05}",
            where=doc.ref("policy", "kind"),
        )
    kind = raw["kind"]
    if not isinstance(kind, str) or not kind.strip():
        raise ConfigError(
            "policy kind should be a name",
            got=kind,
            fix="e.g. kind: threshold",
            where=doc.ref("policy", "kind"),
        )
    params = {k: v for k, v in raw.items() if k != "kind"}
    return PolicySpec(kind=kind.strip(), params=params), where


def _costs(model: _CostsModel) -> CostSettings:
    impact = None if model.impact is None else ImpactSettings(b=model.impact.b, alpha=model.impact.alpha)
    return CostSettings(
        commission_per_trade=model.commission_per_trade,
        commission_per_share=model.commission_per_share,
        half_spread_bps=model.half_spread_bps,
        min_trade_value=model.min_trade_value,
        impact=impact,
    )


def _settings(doc: YamlDocument, section: str, build: Any) -> Any:
    """Build a settings object; a domain check that still fails is placed at the section's line."""
    try:
        return build()
    except InputError as err:
        raise relocate(err, doc.ref(section), ConfigError) from None
