"""Reading the tax report's inputs: ``TRANSACTIONS.csv`` and ``ACCOUNTS.yaml``.

``TRANSACTIONS.csv`` has the columns ``date,account,symbol,side,quantity,price`` and optionally ``fees`` and
``lot_id``; one row per trade, in date order (same-day rows in the order they happened)::

    date,account,symbol,side,quantity,price,fees,lot_id
    2013-09-26,brokerage,M,buy,100,50.00,,
    2014-01-09,brokerage,M,sell,100,40.00,,2

``side`` is ``buy`` or ``sell``. ``lot_id`` on a buy names the lot (default: the buy's row number, the
header being row 1); on a sell it names the lots to relieve (specific identification) by those ids or row
numbers, several separated by ``;``. ``fees`` (dollars) add to a buy's basis and reduce a sale's proceeds.

``ACCOUNTS.yaml`` (optional; without it every account is taxable)::

    accounts:
      - {id: brokerage, kind: taxable}
      - {id: ira, kind: tax_deferred}      # or tax_exempt (Roth)
    identical: [[VTI, ITOT]]               # substantially identical for wash sales
    filing_status: single                  # married_filing_separately: $1,500 loss limit
    carryover: {short_term: 0, long_term: 0}   # optional loss carryovers into the first year

Every problem raises a :class:`TransactionFileError` (or :class:`~trimtab.errors.AccountError` /
:class:`~trimtab.errors.ConfigError`) naming the file, the row or key, the problem and the fix.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from trimtab.domain.accounts import AccountKind
from trimtab.domain.trades import Side
from trimtab.errors import AccountError, ConfigError, InputError, SourceRef
from trimtab.tax.ledger import Transaction
from trimtab.tax.netting import FilingStatus, parse_filing_status
from trimtab.units import parse_decimal

__all__ = ["AccountsFile", "TransactionFileError", "read_accounts_file", "read_transactions"]

REQUIRED = ("date", "account", "symbol", "side", "quantity", "price")
OPTIONAL = ("fees", "lot_id")


class TransactionFileError(InputError):
    """A problem in a transactions CSV (row and column named)."""


@dataclass(frozen=True, slots=True)
class AccountsFile:
    """The contents of ``ACCOUNTS.yaml``: account kinds, identical groups, filing status, carryovers."""

    accounts: Mapping[str, AccountKind] = field(default_factory=dict)
    identical: tuple[tuple[str, ...], ...] = ()
    filing_status: FilingStatus = FilingStatus.SINGLE
    carryover_short: Decimal = Decimal(0)
    carryover_long: Decimal = Decimal(0)
    source: str = ""


def _read_text(path: Path, error: type[InputError]) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error("file not found", got=str(path), fix="check the path") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(
            f"cannot read the file ({err.__class__.__name__})", got=str(path), fix="save it as UTF-8 text"
        ) from None


def read_transactions(path: str | Path) -> list[Transaction]:
    """Parse and validate a transactions CSV (format in the module docstring).

    Returns
    -------
    list of Transaction
        In file order, each with ``source`` set; sells carry their named lots resolved to lot ids.

    Raises
    ------
    TransactionFileError
        Missing columns, malformed or unsorted dates, bad side, non-positive quantity, negative price or
        fees, a sell naming an unknown lot, a duplicate lot id.
    """
    path = Path(path)
    name = str(path)
    text = _read_text(path, TransactionFileError)
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise TransactionFileError(
            "the file is empty", fix=f"start with the header {','.join(REQUIRED)}", where=SourceRef(name, 1)
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TransactionFileError(
            f"missing column(s) {', '.join(missing)}",
            got=header,
            fix=f"the header must name {','.join(REQUIRED)} (optional: fees, lot_id)",
            where=SourceRef(name, 1),
        )
    unknown = [c for c in header if c and c not in REQUIRED + OPTIONAL]
    if unknown:
        raise TransactionFileError(
            f"unknown column(s) {', '.join(unknown)}",
            got=header,
            fix="remove them or rename to fees / lot_id",
            where=SourceRef(name, 1),
        )
    reader.fieldnames = header
    out: list[Transaction] = []
    buy_ids: dict[str, str] = {}  # given id or row number -> lot id
    assigned: set[str] = set()
    last: date | None = None
    for raw in reader:
        row = reader.line_num

        def where(key: str, row: int = row) -> SourceRef:
            return SourceRef(name, row, key)

        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            raise TransactionFileError(
                "more fields than columns",
                got=raw[None],
                fix="remove the extra commas or quote the value",
                where=where("row"),
            )
        day = _parse_date(values.get("date", ""), where("date"))
        if last is not None and day < last:
            raise TransactionFileError(
                f"dates are not in order: {day:%Y-%m-%d} comes after {last:%Y-%m-%d}",
                got=values["date"],
                fix="sort the rows by date, keeping same-day trades in the order they happened",
                where=where("date"),
            )
        last = day
        account = values.get("account", "")
        if not account:
            raise TransactionFileError(
                "account is empty", fix="name the account of the trade", where=where("account")
            )
        symbol = values.get("symbol", "")
        if not symbol:
            raise TransactionFileError("symbol is empty", fix="name the ticker", where=where("symbol"))
        side_text = values.get("side", "").lower()
        if side_text not in ("buy", "sell"):
            raise TransactionFileError(
                "side must be buy or sell",
                got=values.get("side"),
                fix="write buy or sell",
                where=where("side"),
            )
        side = Side(side_text)
        quantity = _number(values.get("quantity", ""), where("quantity"), "quantity")
        if quantity <= 0:
            raise TransactionFileError(
                "quantity must be positive",
                got=values["quantity"],
                fix="give the number of shares traded (side says buy or sell)",
                where=where("quantity"),
            )
        price = _number(values.get("price", ""), where("price"), "price")
        if price < 0:
            raise TransactionFileError(
                "price must not be negative",
                got=values["price"],
                fix="give the price per share in dollars",
                where=where("price"),
            )
        fees = Decimal(0)
        if values.get("fees"):
            fees = _number(values["fees"], where("fees"), "fees")
            if fees < 0:
                raise TransactionFileError(
                    "fees must not be negative",
                    got=values["fees"],
                    fix="give fees as a positive amount of dollars",
                    where=where("fees"),
                )
        lot_text = values.get("lot_id", "")
        lot_id = ""
        specific: tuple[str, ...] = ()
        if side is Side.BUY:
            lot_id = lot_text or str(row)
            if lot_id in assigned or (lot_id in buy_ids and buy_ids[lot_id] != lot_id):
                raise TransactionFileError(
                    f"lot id {lot_id!r} is used twice",
                    got=lot_text,
                    fix="give each buy its own lot_id",
                    where=where("lot_id"),
                )
            assigned.add(lot_id)
            buy_ids[lot_id] = lot_id  # given ids win over row numbers
            buy_ids.setdefault(str(row), lot_id)
        elif lot_text:
            names = [s for s in re.split(r"[;|\s]+", lot_text) if s]
            resolved = []
            for wanted in names:
                if wanted not in buy_ids:
                    raise TransactionFileError(
                        f"sell names lot {wanted!r}, which no earlier buy has",
                        got=lot_text,
                        fix="use the lot_id or the row number of an earlier buy",
                        where=where("lot_id"),
                    )
                resolved.append(buy_ids[wanted])
            specific = tuple(dict.fromkeys(resolved))
        out.append(
            Transaction(
                on=day,
                account=account,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=price,
                fees=fees,
                lot_id=lot_id,
                specific_ids=specific,
                source=where("row"),
            )
        )
    return out


def _parse_date(text: str, where: SourceRef) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise TransactionFileError(
            "date must be YYYY-MM-DD", got=text, fix="write e.g. 2024-03-15", where=where
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TransactionFileError(
            "no such date", got=text, fix="write a calendar date as YYYY-MM-DD", where=where
        ) from None


def _number(text: str, where: SourceRef, what: str) -> Decimal:
    value = parse_decimal(text) if text else None
    if value is None:
        raise TransactionFileError(
            f"{what} must be a number", got=text, fix="write e.g. 100 or 12.50", where=where
        )
    return value


# -- ACCOUNTS.yaml -----------------------------------------------------------------------------------------
def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _item(node: yaml.Node | None, index: int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return node.value[index]
    return None


def read_accounts_file(path: str | Path) -> AccountsFile:
    """Parse and validate ``ACCOUNTS.yaml`` (format in the module docstring).

    Raises
    ------
    AccountError
        A missing id, duplicate id or unknown kind.
    ConfigError
        Malformed YAML, bad identical groups, unknown filing status or bad carryover.
    """
    path = Path(path)
    name = str(path)
    text = _read_text(path, ConfigError)
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ConfigError(
            "not valid YAML",
            got=str(getattr(err, "problem", err)),
            fix="check indentation and colons",
            where=SourceRef(name, mark.line + 1 if mark else None),
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the accounts file must be a mapping",
            got=type(data).__name__,
            fix="start with 'accounts:'",
            where=SourceRef(name, 1),
        )
    unknown = sorted(set(map(str, data)) - {"accounts", "identical", "filing_status", "carryover"})
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(unknown)}",
            got=unknown,
            fix="use accounts, identical, filing_status, carryover",
            where=SourceRef(name, 1),
        )
    accounts_node = _child(root_node, "accounts")
    raw_accounts = data.get("accounts") or []
    if not isinstance(raw_accounts, list):
        raise AccountError(
            "accounts must be a list",
            got=raw_accounts,
            fix="write accounts: [{id: ..., kind: ...}]",
            where=SourceRef(name, _line(accounts_node), "accounts"),
        )
    kinds: dict[str, AccountKind] = {}
    for i, entry in enumerate(raw_accounts):
        node = _item(accounts_node, i)
        key = f"accounts[{i}]"
        if not isinstance(entry, dict) or "id" not in entry:
            raise AccountError(
                "each account needs an id",
                got=entry,
                fix="write {id: brokerage, kind: taxable}",
                where=SourceRef(name, _line(node), key),
            )
        account_id = str(entry["id"]).strip()
        if not account_id:
            raise AccountError(
                "account id is empty",
                got=entry["id"],
                fix="give the account an id",
                where=SourceRef(name, _line(_child(node, "id")), f"{key}.id"),
            )
        if account_id in kinds:
            raise AccountError(
                f"duplicate account id {account_id!r}",
                got=account_id,
                fix="give every account its own id",
                where=SourceRef(name, _line(node), f"{key}.id"),
            )
        extra = sorted(set(map(str, entry)) - {"id", "kind", "name", "cash"})
        if extra:
            raise AccountError(
                f"unknown key(s) {', '.join(extra)}",
                got=extra,
                fix="use id and kind",
                where=SourceRef(name, _line(node), key),
            )
        kind_text = str(entry.get("kind", "taxable")).strip().lower()
        try:
            kinds[account_id] = AccountKind(kind_text)
        except ValueError:
            raise AccountError(
                "unknown account kind",
                got=entry.get("kind"),
                fix="use taxable, tax_deferred (IRA, 401k) or tax_exempt (Roth)",
                where=SourceRef(name, _line(_child(node, "kind")), f"{key}.kind"),
            ) from None
    identical_node = _child(root_node, "identical")
    raw_identical = data.get("identical") or []
    groups: list[tuple[str, ...]] = []
    if not isinstance(raw_identical, list):
        raise ConfigError(
            "identical must be a list of lists of symbols",
            got=raw_identical,
            fix="write identical: [[VTI, ITOT]]",
            where=SourceRef(name, _line(identical_node), "identical"),
        )
    for i, group in enumerate(raw_identical):
        if not isinstance(group, list) or not all(isinstance(s, str | int) and str(s).strip() for s in group):
            raise ConfigError(
                "each identical group must be a list of symbols",
                got=group,
                fix="write identical: [[VTI, ITOT], [SPY, IVV]]",
                where=SourceRef(name, _line(_item(identical_node, i)), f"identical[{i}]"),
            )
        groups.append(tuple(str(s).strip() for s in group))
    status_node = _child(root_node, "filing_status")
    try:
        status = parse_filing_status(str(data.get("filing_status", "single")))
    except ConfigError as err:
        raise ConfigError(
            err.problem, got=err.got, fix=err.fix, where=SourceRef(name, _line(status_node), "filing_status")
        ) from None
    carry = data.get("carryover") or {}
    carry_node = _child(root_node, "carryover")
    if not isinstance(carry, dict) or set(map(str, carry)) - {"short_term", "long_term"}:
        raise ConfigError(
            "carryover must be {short_term: ..., long_term: ...}",
            got=carry,
            fix="give loss carryovers as positive dollars",
            where=SourceRef(name, _line(carry_node), "carryover"),
        )
    amounts = []
    for key in ("short_term", "long_term"):
        value = parse_decimal(carry.get(key, 0))
        if value is None or value < 0:
            raise ConfigError(
                f"carryover.{key} must be a positive amount of dollars",
                got=carry.get(key),
                fix="write a $4,000 loss carryover as 4000",
                where=SourceRef(name, _line(_child(carry_node, key)), f"carryover.{key}"),
            )
        amounts.append(value)
    return AccountsFile(
        accounts=kinds,
        identical=tuple(groups),
        filing_status=status,
        carryover_short=amounts[0],
        carryover_long=amounts[1],
        source=name,
    )
