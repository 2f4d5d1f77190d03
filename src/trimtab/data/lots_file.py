"""Tax lots from a CSV file: one row per lot.

Columns (header on line 1, any order, names case-insensitive)::

    account,symbol,quantity,unit_cost,acquired[,lot_id][,holding_period_start]

``cost_basis`` (total dollars paid, fees included) may replace ``unit_cost`` (dollars per share). When both
columns are present each row fills exactly one of them. ``acquired`` and ``holding_period_start`` are ISO
dates (YYYY-MM-DD). ``lot_id`` defaults to ``f"{account}:{symbol}:{acquired}:{line}"`` where ``line`` is
the row's line number in the file (header = line 1). Blank lines and lines starting with ``#`` are skipped.
Money may be written with ``$`` and thousands separators in quotes (``"$1,234.50"``).

Every problem raises :class:`~trimtab.errors.LotError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from trimtab.domain.lots import TaxLot
from trimtab.domain.targets import CASH
from trimtab.errors import LotError, SourceRef
from trimtab.units import SHARE_DP, parse_decimal

__all__ = ["LOT_COLUMNS", "LotRow", "load_lot_rows", "load_lots"]

#: Required columns; one of ``unit_cost`` / ``cost_basis`` is required too.
LOT_COLUMNS = ("account", "symbol", "quantity", "acquired")
_COST_COLUMNS = ("unit_cost", "cost_basis")
_OPTIONAL_COLUMNS = ("lot_id", "holding_period_start")
_ALL_COLUMNS = (*LOT_COLUMNS, *_COST_COLUMNS, *_OPTIONAL_COLUMNS)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_Where = Callable[[str], SourceRef]


@dataclass(frozen=True, slots=True)
class LotRow:
    """A lot and the line of the file it was read from (1-based; header = line 1)."""

    line: int
    lot: TaxLot


def load_lots(
    path: str | Path, *, accounts: Collection[str], as_of: date | None = None
) -> tuple[TaxLot, ...]:
    """Read tax lots from a CSV file.

    Parameters
    ----------
    path : str or Path
        The lots CSV.
    accounts : collection of str
        Account ids a lot may name.
    as_of : date, optional
        When given, a lot acquired after it is an error (a purchase in the future).

    Returns
    -------
    tuple of TaxLot
        In file order. A file with only a header gives no lots.

    Raises
    ------
    LotError
        Missing or empty file, missing / unknown / duplicate columns, a row with too many or too few fields,
        an unknown account, an empty or ``CASH`` symbol, a non-numeric, zero or negative quantity, a
        non-numeric or negative cost, a malformed or future date, a duplicate ``lot_id``.
    """
    return tuple(row.lot for row in load_lot_rows(path, accounts=accounts, as_of=as_of))


def load_lot_rows(
    path: str | Path, *, accounts: Collection[str], as_of: date | None = None
) -> tuple[LotRow, ...]:
    """As :func:`load_lots`, keeping each lot's line number (for messages about it later)."""
    path = Path(path)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text))
    header: dict[str, int] | None = None
    width = 0
    out: list[LotRow] = []
    seen_ids: dict[str, int] = {}
    account_set = set(accounts)
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            cells = [c.strip() for c in cells]
            if header is None:
                header, width = _parse_header(cells, path, line), len(cells)
                continue
            if len(cells) != width:
                many = "many" if len(cells) > width else "few"
                raise LotError(
                    f"row has {len(cells)} fields but the header has {width}",
                    got=",".join(cells)[:80],
                    fix=f"one value per header column (too {many}); quote values with commas",
                    where=SourceRef(str(path), line),
                )
            lot = _parse_row(
                dict(zip(header, (cells[i] for i in header.values()), strict=True)),
                path,
                line,
                account_set,
                as_of,
            )
            if lot.lot_id in seen_ids:
                raise LotError(
                    f"lot_id {lot.lot_id!r} already used on line {seen_ids[lot.lot_id]}",
                    got=lot.lot_id,
                    fix="give every lot its own lot_id",
                    where=SourceRef(str(path), line, "lot_id"),
                )
            seen_ids[lot.lot_id] = line
            out.append(LotRow(line, lot))
    except csv.Error as err:
        raise LotError(
            f"malformed CSV: {err}",
            fix="check quoting on that line",
            where=SourceRef(str(path), reader.line_num),
        ) from None
    if header is None:
        raise LotError(
            "lots file is empty",
            fix=f"write the header {','.join((*LOT_COLUMNS[:3], 'unit_cost', 'acquired'))}"
            " (a header alone means no lots)",
            where=SourceRef(str(path)),
        )
    return tuple(out)


def _read_text(path: Path) -> str:
    if not path.exists():
        raise LotError(
            "lots file not found",
            got=str(path),
            fix="check the path (relative to the portfolio file)",
            where=SourceRef(str(path)),
        )
    if path.is_dir():
        raise LotError(
            "lots file is a folder", got=str(path), fix="name the CSV file", where=SourceRef(str(path))
        )
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise LotError(
            "file is not UTF-8 text",
            got=f"byte {err.start}",
            fix="save it as UTF-8 CSV",
            where=SourceRef(str(path)),
        ) from None
    except OSError as err:
        raise LotError(
            "cannot read lots file",
            got=err.strerror,
            fix="check the file's permissions",
            where=SourceRef(str(path)),
        ) from None


def _parse_header(cells: list[str], path: Path, line: int) -> dict[str, int]:
    names = [c.lower() for c in cells]
    where = SourceRef(str(path), line)
    expected = "account,symbol,quantity,unit_cost,acquired (or cost_basis for unit_cost)"
    for i, name in enumerate(names):
        if not name:
            raise LotError(f"column {i + 1} has no name", fix=f"the header is {expected}", where=where)
        if name not in _ALL_COLUMNS:
            raise LotError(
                f"unknown column {cells[i]!r}",
                got=cells[i],
                fix=f"use only {', '.join(_ALL_COLUMNS)}",
                where=SourceRef(str(path), line, cells[i]),
            )
        if names.index(name) != i:
            raise LotError(
                f"column {name!r} appears twice",
                got=name,
                fix="keep one column per name",
                where=SourceRef(str(path), line, name),
            )
    missing = [c for c in LOT_COLUMNS if c not in names]
    if not any(c in names for c in _COST_COLUMNS):
        missing.insert(3, "unit_cost")
    if missing:
        raise LotError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            got=",".join(cells),
            fix=f"the header is {expected}",
            where=where,
        )
    return {name: i for i, name in enumerate(names)}


def _parse_row(
    cells: dict[str, str], path: Path, line: int, accounts: set[str], as_of: date | None
) -> TaxLot:
    def where(column: str) -> SourceRef:
        return SourceRef(str(path), line, column)

    account = cells["account"]
    if account not in accounts:
        known = ", ".join(sorted(accounts)) or "(none)"
        raise LotError(
            f"unknown account {account!r}" if account else "row has no account",
            got=account,
            fix=f"use an account id from the portfolio file: {known}",
            where=where("account"),
        )
    symbol = cells["symbol"]
    if not symbol:
        raise LotError("row has no symbol", fix="name the ticker", where=where("symbol"))
    if symbol.upper() == CASH:
        raise LotError(
            "cash is not a lot",
            got=symbol,
            fix="put cash in the account's cash: in the portfolio file",
            where=where("symbol"),
        )
    quantity = parse_decimal(cells["quantity"])
    if quantity is None:
        raise LotError(
            "quantity is not a number",
            got=cells["quantity"],
            fix="write the number of shares, e.g. 25",
            where=where("quantity"),
        )
    if quantity <= 0:
        raise LotError(
            "quantity must be positive",
            got=cells["quantity"],
            fix="shares held are positive; delete lots already sold (short positions are not supported)",
            where=where("quantity"),
        )
    if quantity % SHARE_DP != 0:
        raise LotError(
            "quantity has more than 6 decimal places",
            got=cells["quantity"],
            fix="round to at most 6 decimals",
            where=where("quantity"),
        )
    cost_basis = _cost_basis(cells, quantity, where)
    acquired = _date(cells.get("acquired", ""), "acquired", where, required=True)
    assert acquired is not None
    if as_of is not None and acquired > as_of:
        raise LotError(
            f"acquired after the portfolio date {as_of:%Y-%m-%d}",
            got=cells["acquired"],
            fix="a lot must be bought on or before as_of; fix the date or move as_of",
            where=where("acquired"),
        )
    holding_start = _date(
        cells.get("holding_period_start", ""), "holding_period_start", where, required=False
    )
    lot_id = cells.get("lot_id", "") or f"{account}:{symbol}:{acquired.isoformat()}:{line}"
    return TaxLot(
        account=account,
        symbol=symbol,
        quantity=quantity,
        cost_basis=cost_basis,
        acquired=acquired,
        lot_id=lot_id,
        holding_period_start=holding_start,
    )


def _money(text: str) -> Decimal | None:
    cleaned = text.replace("$", "").replace(" ", "")
    return parse_decimal(cleaned) if cleaned else None


def _cost_basis(cells: dict[str, str], quantity: Decimal, where: _Where) -> Decimal:
    unit_text, total_text = cells.get("unit_cost", ""), cells.get("cost_basis", "")
    if unit_text and total_text:
        raise LotError(
            "row gives both unit_cost and cost_basis",
            got=f"{unit_text} and {total_text}",
            fix="fill only one of them on each row",
            where=where("cost_basis"),
        )
    if not unit_text and not total_text:
        column = "unit_cost" if "unit_cost" in cells else "cost_basis"
        raise LotError(
            f"missing {column}",
            fix=f"write the {column.replace('_', ' ')} in dollars (0 for a gift with zero basis)",
            where=where(column),
        )
    column, text = ("unit_cost", unit_text) if unit_text else ("cost_basis", total_text)
    value = _money(text)
    if value is None:
        raise LotError(
            f"{column} is not a number", got=text, fix="write dollars such as 123.45", where=where(column)
        )
    if value < 0:
        raise LotError(
            f"{column} must not be negative",
            got=text,
            fix="write the price paid in dollars (fees included), zero or more",
            where=where(column),
        )
    return value * quantity if column == "unit_cost" else value


def _date(text: str, column: str, where: _Where, *, required: bool) -> date | None:
    if not text:
        if required:
            raise LotError(f"missing {column} date", fix="write the date as YYYY-MM-DD", where=where(column))
        return None
    if not _ISO_DATE.match(text):
        raise LotError(
            f"{column} is not a YYYY-MM-DD date",
            got=text,
            fix="write the date as YYYY-MM-DD",
            where=where(column),
        )
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise LotError(
            f"{column} is not a valid date ({err})",
            got=text,
            fix="write a real date as YYYY-MM-DD",
            where=where(column),
        ) from None
