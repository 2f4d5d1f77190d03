"""Prices and returns from local CSV files, and market data by name (``builtin:...`` or a path).

Formats (all UTF-8, comma separated, header on line 1, ISO dates; ``.csv.gz`` is read too):

* **long prices**: columns ``date,symbol,close`` and optionally ``volume`` (shares traded per period; stored
  as traded value ``volume * close`` in dollars). ``price`` or ``adj_close`` may name the close column.
* **wide prices**: ``date,SYM1,SYM2,...`` with one close per cell. A file is long when its header has a
  ``symbol`` (or ``ticker``) column, wide otherwise.
* **wide returns**: ``date,SYM1,...`` with simple returns per period as fractions (0.01 = 1 %). They become
  a price index that is 1.0 one period before each symbol's first return (see :func:`returns_to_prices`).

Rows may come in any order: they are sorted by date. Empty cells (or ``NA``, ``NaN``, ``null``) are
missing values. Times of day are dropped (trimtab works on daily or coarser data), so two rows of the same
day are duplicates. Every problem raises :class:`~trimtab.errors.PriceFileError` naming the file, the line
(header = line 1) and the column.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from trimtab.data.market import MarketData
from trimtab.data.yaml_source import relocate
from trimtab.errors import InputError, PriceFileError, SourceRef

__all__ = [
    "BUILTIN_PREFIX",
    "load_market_data",
    "load_prices_csv",
    "load_returns_csv",
    "returns_to_prices",
]

#: Prefix of a bundled data set's name in a ``prices:`` spec.
BUILTIN_PREFIX = "builtin:"

_MISSING_TOKENS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "-"})
_DATE_COLUMNS = ("date", "datetime", "timestamp", "time")
_SYMBOL_COLUMNS = ("symbol", "ticker")
_CLOSE_COLUMNS = ("close", "price", "adj_close")
_VOLUME_COLUMNS = ("volume",)


# -- public API ----------------------------------------------------------------------------------------------
def load_prices_csv(path: str | Path) -> MarketData:
    """Load prices from a long (``date,symbol,close[,volume]``) or wide (``date,SYM1,...``) CSV file.

    Parameters
    ----------
    path : str or Path
        The CSV (or ``.csv.gz``) file.

    Returns
    -------
    MarketData
        Prices in dollars per share, shape (n_dates, n_symbols), dates sorted; ``volumes`` (traded value in
        dollars per period) when the long file has a ``volume`` column. ``source`` is the path.

    Raises
    ------
    PriceFileError
        Missing or empty file, missing or unknown columns, a row with too many or too few fields, a bad
        date, a non-numeric, zero or negative price, duplicate dates (wide) or date/symbol pairs (long).
    """
    table = _Table.read(path, "prices file")
    lowered = [h.lower() for h in table.header]
    if any(name in lowered for name in _SYMBOL_COLUMNS):
        prices, volumes = _long_prices(table)
    else:
        prices, volumes = _wide_prices(table, what="price"), None
    return MarketData(prices, volumes, source=str(table.path))


def load_returns_csv(path: str | Path) -> MarketData:
    """Load simple returns per period (wide: ``date,SYM1,...``) as a price index.

    The return on row ``i`` is the change from the previous row to row ``i``. Each symbol's index is 1.0
    on the row before its first return; for returns that start on the first row a row is added one
    period earlier (first date minus the median spacing of the dates, kept on month ends for month-end
    data and on weekdays for daily data), so the index reproduces every return: ``index.pct_change()``
    equals the file's returns.

    Parameters
    ----------
    path : str or Path
        The CSV (or ``.csv.gz``) file; returns are fractions (0.01 = 1 %), each above -1.

    Returns
    -------
    MarketData
        Price index (dimensionless, starting at 1.0), shape (n_dates + 1, n_symbols).

    Raises
    ------
    PriceFileError
        As :func:`load_prices_csv`, plus a return of -100 % or less, or a gap inside a symbol's series.
    """
    table = _Table.read(path, "returns file")
    returns = _wide_prices(table, what="return")
    for column in returns.columns:
        col = returns[column].to_numpy()
        valid = np.flatnonzero(np.isfinite(col))
        if valid.size == 0:
            continue
        bad = np.flatnonzero(col[valid[0] :] <= -1.0)
        if bad.size:
            i = int(valid[0] + bad[0])
            raise PriceFileError(
                "a return of -100 % or less leaves no price",
                got=float(col[i]),
                fix="returns are fractions above -1 (0.01 = 1 %); check for percent values",
                where=table.ref_at(returns.index[i], column),
            )
        gaps = np.flatnonzero(~np.isfinite(col[valid[0] : valid[-1] + 1]))
        if gaps.size:
            i = int(valid[0] + gaps[0])
            raise PriceFileError(
                f"missing return inside the series of {column}",
                fix="fill the gap (0 for no change) or end the series there",
                where=table.ref_at(returns.index[i], column),
            )
    return MarketData(returns_to_prices(returns), source=str(table.path))


def returns_to_prices(returns: pd.DataFrame) -> pd.DataFrame:
    """Compound simple returns into a price index that starts at 1.0.

    Parameters
    ----------
    returns : pandas.DataFrame of shape (n_dates, n_symbols)
        Simple returns per period (fractions), sorted unique DatetimeIndex; NaN before a symbol starts and
        after it ends, none in between.

    Returns
    -------
    pandas.DataFrame of shape (n_dates + 1, n_symbols)
        The index; the added first row is dated one period before the first date (the median spacing
        of the dates, one day for a single date, kept on month ends / month starts / weekdays when the
        dates are) and is 1.0 for the symbols whose returns start on the first row. Each other symbol is
        1.0 on the row before its first return.
    """
    dates = returns.index
    index = pd.DatetimeIndex([_period_before(dates), *dates], name=dates.name)
    values = returns.to_numpy(dtype="float64")
    out = np.full((len(index), values.shape[1]), np.nan)
    for j in range(values.shape[1]):
        col = values[:, j]
        valid = np.flatnonzero(np.isfinite(col))
        if valid.size == 0:
            continue
        start, stop = int(valid[0]), int(valid[-1]) + 1
        out[start, j] = 1.0
        out[start + 1 : stop + 1, j] = np.cumprod(1.0 + col[start:stop])
    frame = pd.DataFrame(out, index=index, columns=returns.columns)
    if not np.isfinite(out[0]).any():
        frame = frame.iloc[1:]
    return frame


def _period_before(dates: pd.DatetimeIndex) -> pd.Timestamp:
    """Return the date one period before ``dates[0]``.

    That is the first date minus the median spacing, snapped to the calendar the dates follow: month ends
    stay month ends, month starts stay month starts, weekdays stay weekdays.
    """
    gap = pd.Timedelta(days=1) if len(dates) < 2 else pd.Timedelta(np.median(np.diff(dates.values)))
    gap = max(gap.round("D"), pd.Timedelta(days=1))
    before = pd.Timestamp(dates[0] - gap)
    if len(dates) >= 2 and dates.is_month_end.all():
        return pd.Timestamp(pd.offsets.MonthEnd().rollback(before))
    if len(dates) >= 2 and dates.is_month_start.all():
        return pd.Timestamp(pd.offsets.MonthBegin().rollforward(before))
    if (dates.day_of_week < 5).all() and gap <= pd.Timedelta(days=4):
        return pd.Timestamp(pd.offsets.BDay().rollback(before))
    return before


def load_market_data(spec: str, *, base_dir: Path, where: SourceRef | None = None) -> MarketData:
    """Market data named by a spec string, as written after ``prices:`` in a portfolio file.

    Parameters
    ----------
    spec : str
        ``builtin:NAME`` (bundled data, see :mod:`trimtab.data.samples`), ``returns:PATH`` (a wide returns
        CSV), ``csv:PATH`` or just ``PATH`` (a prices CSV, long or wide). Relative paths are relative to
        ``base_dir``; ``~`` is expanded.
    base_dir : Path
        Folder of the file that holds the spec.
    where : SourceRef, optional
        Where the spec was written, used when the spec itself is wrong or names a missing file.

    Raises
    ------
    PriceFileError
        Unknown builtin name, missing file, or any problem inside the CSV.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise PriceFileError(
            "no market data named",
            got=spec,
            fix=f"write e.g. prices: {BUILTIN_PREFIX}us-stocks, or the path of a prices CSV",
            where=where,
        )
    spec = spec.strip()
    if spec.startswith(BUILTIN_PREFIX):
        return _load_builtin(spec[len(BUILTIN_PREFIX) :].strip(), where)
    loader, kind, rest = load_prices_csv, "prices file", spec
    if spec.startswith("returns:"):
        loader, kind, rest = load_returns_csv, "returns file", spec[len("returns:") :]
    elif spec.startswith("csv:"):
        rest = spec[len("csv:") :]
    path = Path(rest.strip()).expanduser()
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        problem = f"{kind} is a folder" if path.is_dir() else f"{kind} not found"
        raise PriceFileError(
            problem,
            got=str(path),
            fix=f"give a CSV path relative to {base_dir}, or {BUILTIN_PREFIX}us-stocks",
            where=where or SourceRef(str(path)),
        )
    return loader(path)


# -- builtin data --------------------------------------------------------------------------------------------
def _load_builtin(name: str, where: SourceRef | None) -> MarketData:
    from trimtab.data import samples

    names = getattr(samples, "builtin_names", None)
    known = tuple(names()) if callable(names) else ("us-stocks",)
    match = [k for k in known if k.lower() == name.lower()]
    if not match:
        close = difflib.get_close_matches(name, known, n=1)
        raise PriceFileError(
            f"unknown builtin data set {name!r}",
            got=f"{BUILTIN_PREFIX}{name}",
            fix=(f"did you mean {BUILTIN_PREFIX}{close[0]}? " if close else "")
            + f"use one of: {', '.join(BUILTIN_PREFIX + k for k in known)}",
            where=where,
        )
    load_builtin = getattr(samples, "load_builtin", None)
    if load_builtin is None:  # older samples module: only us-stocks, as a DataFrame
        return MarketData(samples.us_stocks(), source=f"{BUILTIN_PREFIX}us-stocks")
    try:
        data = load_builtin(match[0])
    except InputError as err:  # e.g. the optional [history] extra is missing
        raise relocate(err, where) from None
    if isinstance(data, pd.DataFrame):
        return MarketData(data, source=f"{BUILTIN_PREFIX}{match[0]}")
    if not isinstance(data, MarketData):
        raise TypeError(f"samples.load_builtin({match[0]!r}) returned {type(data).__name__}")
    return data


# -- CSV reading ---------------------------------------------------------------------------------------------
class _Table:
    """A CSV file as text cells, with the editor line number of every data row."""

    def __init__(self, path: Path, header: list[str], rows: list[list[str]], lines: list[int]) -> None:
        self.path = path
        self.header = header
        self.rows = rows
        self.lines = lines
        self._line_of_date: dict[pd.Timestamp, int] = {}

    @classmethod
    def read(cls, path: str | Path, what: str) -> _Table:
        path = Path(path)
        if not path.is_file():
            problem = f"{what} is a folder" if path.is_dir() else f"{what} not found"
            raise PriceFileError(problem, got=str(path), fix="check the path", where=SourceRef(str(path)))
        try:
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise PriceFileError(
                "file is not UTF-8 text",
                got=f"byte {err.start}",
                fix="save it as UTF-8 CSV",
                where=SourceRef(str(path)),
            ) from None
        except (OSError, EOFError) as err:
            raise PriceFileError(
                f"cannot read {what}", got=str(err), fix="check the file", where=SourceRef(str(path))
            ) from None
        reader = csv.reader(io.StringIO(text))
        header: list[str] | None = None
        header_line = 0
        rows: list[list[str]] = []
        lines: list[int] = []
        try:
            for cells in reader:
                line = reader.line_num
                if not cells or all(not c.strip() for c in cells):
                    continue
                cells = [c.strip() for c in cells]
                if header is None:
                    header, header_line = cells, line
                    continue
                if len(cells) != len(header):
                    many = "many" if len(cells) > len(header) else "few"
                    raise PriceFileError(
                        f"row has {len(cells)} fields but the header has {len(header)}",
                        got=",".join(cells)[:80],
                        fix=f"remove the extra fields or add the missing ones (too {many})",
                        where=SourceRef(str(path), line),
                    )
                rows.append(cells)
                lines.append(line)
        except csv.Error as err:
            raise PriceFileError(
                f"malformed CSV: {err}",
                fix="check quoting on that line",
                where=SourceRef(str(path), reader.line_num),
            ) from None
        if header is None:
            raise PriceFileError(
                f"{what} is empty",
                fix="write a header line (date,SYM1,SYM2,...) and rows",
                where=SourceRef(str(path)),
            )
        for i, name in enumerate(header):
            if not name:
                raise PriceFileError(
                    f"column {i + 1} has no name",
                    fix="name every column in the header",
                    where=SourceRef(str(path), header_line),
                )
        seen: dict[str, int] = {}
        for i, name in enumerate(header):
            if name.lower() in seen:
                raise PriceFileError(
                    f"column {name!r} appears twice in the header",
                    got=name,
                    fix="keep one column per name",
                    where=SourceRef(str(path), header_line, name),
                )
            seen[name.lower()] = i
        if not rows:
            raise PriceFileError(
                f"{what} has a header but no rows",
                fix="add one row per date",
                where=SourceRef(str(path), header_line),
            )
        return cls(path, header, rows, lines)

    # -- references ------------------------------------------------------------------------------------------
    def ref(self, row: int | None = None, column: str | None = None) -> SourceRef:
        """Where row ``row`` (0-based data row) and ``column`` are."""
        return SourceRef(str(self.path), None if row is None else self.lines[row], column)

    def ref_at(self, date: pd.Timestamp, column: str | None = None) -> SourceRef:
        """Where the row of ``date`` is (wide files)."""
        return SourceRef(str(self.path), self._line_of_date.get(pd.Timestamp(date)), column)

    def column(self, index: int) -> list[str]:
        return [row[index] for row in self.rows]

    # -- parsing ---------------------------------------------------------------------------------------------
    def dates(self, index: int) -> pd.DatetimeIndex:
        """Parse column ``index`` as dates (times of day dropped), raising at the first bad cell."""
        cells = self.column(index)
        name = self.header[index]
        series = pd.Series(cells, dtype=object)
        try:
            parsed = pd.to_datetime(series, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):  # mixed time zones
            parsed = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True)
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if bad.size:
            i = int(bad[0])
            raise PriceFileError(
                "not a date", got=cells[i], fix="write dates as YYYY-MM-DD", where=self.ref(i, name)
            )
        index_ = pd.DatetimeIndex(parsed)
        if index_.tz is not None:
            index_ = index_.tz_localize(None)
        return index_.normalize().as_unit("ns")

    def numbers(self, index: int, what: str) -> np.ndarray:
        """Parse column ``index`` as floats (missing -> NaN), raising at the first non-numeric cell."""
        cells = self.column(index)
        name = self.header[index]
        missing = np.array([c.lower() in _MISSING_TOKENS for c in cells])
        values = pd.to_numeric(
            pd.Series(cells, dtype=object).where(~missing, None), errors="coerce"
        ).to_numpy(dtype="float64")
        bad = np.flatnonzero((~np.isfinite(values)) & ~missing)
        if bad.size:
            i = int(bad[0])
            mostly_text = bad.size > len(cells) / 2
            hint = " (a long file needs a 'symbol' column)" if mostly_text and index > 0 else ""
            raise PriceFileError(
                f"{what} is not a number{hint}",
                got=cells[i],
                fix=f"write a plain number such as 123.45, or leave the cell empty if there is no {what}",
                where=self.ref(i, name),
            )
        out: np.ndarray = values
        return out


def _check_positive(
    table: _Table,
    values: np.ndarray,
    rows: np.ndarray | None,
    column: str,
    what: str,
    allow_zero: bool = False,
) -> None:
    bad = np.flatnonzero(values < 0 if allow_zero else values <= 0)
    if bad.size:
        i = int(bad[0]) if rows is None else int(rows[bad[0]])
        raise PriceFileError(
            f"{what} must be {'zero or more' if allow_zero else 'positive'}",
            got=float(values[bad[0]]),
            fix=f"fix or delete the value (an empty cell means no {what} that day)",
            where=table.ref(i, column),
        )


def _wide_prices(table: _Table, *, what: str) -> pd.DataFrame:
    """Read a wide file (date + one column per symbol) as a sorted frame; prices checked positive."""
    if len(table.header) < 2:
        raise PriceFileError(
            "no symbol columns",
            got=",".join(table.header),
            fix="write date,SYM1,SYM2,... (wide) or date,symbol,close (long)",
            where=table.ref(),
        )
    dates = table.dates(0)
    order = np.argsort(dates.to_numpy(), kind="stable")
    sorted_dates = dates.to_numpy()[order]
    dup = np.flatnonzero(sorted_dates[1:] == sorted_dates[:-1])
    if dup.size:
        first, second = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
        raise PriceFileError(
            f"date {pd.Timestamp(sorted_dates[dup[0]]):%Y-%m-%d} appears twice "
            f"(lines {table.lines[first]} and {table.lines[second]})",
            got=table.rows[second][0],
            fix="keep one row per date",
            where=table.ref(second),
        )
    columns: dict[str, np.ndarray] = {}
    for j in range(1, len(table.header)):
        values = table.numbers(j, what)
        if what == "price":
            _check_positive(table, values, None, table.header[j], what)
        columns[table.header[j]] = values
    table._line_of_date = {pd.Timestamp(d): table.lines[i] for i, d in enumerate(dates)}
    frame = pd.DataFrame(columns, index=dates)
    frame.index.name = "date"
    return frame.iloc[order]


def _long_prices(table: _Table) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Read a long file (date, symbol, close[, volume]) and pivot it to wide frames."""
    lowered = [h.lower() for h in table.header]
    allowed = (*_DATE_COLUMNS, *_SYMBOL_COLUMNS, *_CLOSE_COLUMNS, *_VOLUME_COLUMNS)
    for name in table.header:
        if name.lower() not in allowed:
            raise PriceFileError(
                f"unknown column {name!r} in a long prices file",
                got=name,
                fix="use the columns date,symbol,close and optionally volume",
                where=SourceRef(str(table.path), 1, name),
            )

    def pick(options: tuple[str, ...], role: str, required: bool = True) -> int | None:
        found = [i for i, h in enumerate(lowered) if h in options]
        if len(found) > 1:
            raise PriceFileError(
                f"more than one {role} column",
                got=[table.header[i] for i in found],
                fix=f"keep one of {', '.join(options)}",
                where=SourceRef(str(table.path), 1),
            )
        if not found and required:
            raise PriceFileError(
                f"missing column {options[0]!r}",
                got=",".join(table.header),
                fix="a long prices file has the columns date,symbol,close[,volume]",
                where=SourceRef(str(table.path), 1),
            )
        return found[0] if found else None

    date_col = pick(_DATE_COLUMNS, "date")
    symbol_col = pick(_SYMBOL_COLUMNS, "symbol")
    close_col = pick(_CLOSE_COLUMNS, "close")
    volume_col = pick(_VOLUME_COLUMNS, "volume", required=False)
    assert date_col is not None and symbol_col is not None and close_col is not None
    dates = table.dates(date_col)
    symbols = table.column(symbol_col)
    for i, symbol in enumerate(symbols):
        if not symbol or symbol.lower() in _MISSING_TOKENS:
            raise PriceFileError(
                "row has no symbol",
                fix="name the ticker of every row",
                where=table.ref(i, table.header[symbol_col]),
            )
    close = table.numbers(close_col, "price")
    present = np.flatnonzero(np.isfinite(close))
    _check_positive(table, close[present], present, table.header[close_col], "price")
    frame = pd.DataFrame({"date": dates, "symbol": symbols, "close": close})
    if volume_col is not None:
        volume = table.numbers(volume_col, "volume")
        vp = np.flatnonzero(np.isfinite(volume))
        _check_positive(table, volume[vp], vp, table.header[volume_col], "volume", allow_zero=True)
        frame["volume"] = volume
    dup = frame.duplicated(["date", "symbol"], keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        key = (frame["date"].iloc[rows[0]], frame["symbol"].iloc[rows[0]])
        same = [int(r) for r in rows if (frame["date"].iloc[r], frame["symbol"].iloc[r]) == key]
        raise PriceFileError(
            f"{key[1]} on {key[0]:%Y-%m-%d} appears twice "
            f"(lines {table.lines[same[0]]} and {table.lines[same[1]]})",
            got=symbols[same[1]],
            fix="keep one row per date and symbol",
            where=table.ref(same[1]),
        )
    symbol_order = list(dict.fromkeys(symbols))
    prices = frame.pivot(index="date", columns="symbol", values="close").sort_index()
    prices = prices.reindex(columns=symbol_order)
    prices.columns.name = None
    volumes = None
    if volume_col is not None:
        shares = frame.pivot(index="date", columns="symbol", values="volume").sort_index()
        volumes = shares.reindex(columns=symbol_order) * prices
        volumes.columns.name = None
    return prices, volumes
