"""Cash dividends per share from a local CSV file (for the backtester's ``data: {dividends: FILE}``).

Formats (UTF-8, comma separated, header on line 1, ISO dates; ``.csv.gz`` is read too), as the prices
files (:mod:`trimtab.data.prices`):

* **wide**: ``date,SYM1,SYM2,...`` with the cash paid per share of each symbol whose **ex-date** is that
  date; an empty cell is no dividend.
* **long**: ``date,symbol,dividend`` (``amount`` or ``cash`` may name the third column), one row per
  ex-date and symbol; two rows of the same date and symbol are added (a special dividend beside a
  regular one).

Amounts are dollars per share, zero or more. The prices used with dividends must be **price-only** (not
adjusted for dividends), or the dividend is counted twice. Every problem raises
:class:`~trimtab.errors.PriceFileError` naming the file, the line (header = line 1) and the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trimtab.data.prices import _DATE_COLUMNS, _MISSING_TOKENS, _SYMBOL_COLUMNS, _Table, _wide_prices
from trimtab.errors import PriceFileError, SourceRef

__all__ = ["load_dividends_csv"]

_AMOUNT_COLUMNS = ("dividend", "dividends", "amount", "cash")


def load_dividends_csv(path: str | Path) -> pd.DataFrame:
    """Load cash dividends per share from a wide or long CSV (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The CSV (or ``.csv.gz``) file.

    Returns
    -------
    pandas.DataFrame
        Dollars per share, shape (n_ex_dates, n_symbols), index the ex-dates (sorted), one column per
        symbol; 0.0 where a symbol pays nothing.

    Raises
    ------
    PriceFileError
        Missing or empty file, missing or unknown columns, a row with too many or too few fields, a bad
        date, a non-numeric or negative amount, duplicate dates (wide).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "div.csv"
    >>> _ = f.write_text("date,symbol,dividend\\n2020-03-13,KO,0.41\\n2020-06-12,KO,0.41\\n")
    >>> load_dividends_csv(f)["KO"].tolist()
    [0.41, 0.41]
    """
    table = _Table.read(path, "dividends file")
    lowered = [h.lower() for h in table.header]
    if any(name in lowered for name in _SYMBOL_COLUMNS):
        frame = _long(table)
    else:
        frame = _wide_prices(table, what="dividend")
        for column in frame.columns:
            values = frame[column].to_numpy()
            bad = np.flatnonzero(values < 0)
            if bad.size:
                raise PriceFileError(
                    "a dividend must be zero or more",
                    got=float(values[bad[0]]),
                    fix="write the cash paid per share, e.g. 0.41 (an empty cell means no dividend)",
                    where=table.ref_at(frame.index[bad[0]], column),
                )
    frame = frame.fillna(0.0)
    frame.index.name = "date"
    return frame


def _long(table: _Table) -> pd.DataFrame:
    lowered = [h.lower() for h in table.header]
    roles = {"date": _DATE_COLUMNS, "symbol": _SYMBOL_COLUMNS, "dividend": _AMOUNT_COLUMNS}
    found: dict[str, int] = {}
    for i, name in enumerate(lowered):
        role = next((r for r, options in roles.items() if name in options), None)
        if role is None or role in found:
            problem = (
                f"unknown column {table.header[i]!r} in a long dividends file"
                if role is None
                else f"more than one {role} column"
            )
            raise PriceFileError(
                problem,
                got=table.header[i],
                fix="use the columns date,symbol,dividend",
                where=SourceRef(str(table.path), 1, table.header[i]),
            )
        found[role] = i
    for role, options in roles.items():
        if role not in found:
            raise PriceFileError(
                f"missing column {options[0]!r}",
                got=",".join(table.header),
                fix="a long dividends file has the columns date,symbol,dividend",
                where=SourceRef(str(table.path), 1),
            )
    dates = table.dates(found["date"])
    symbols = table.column(found["symbol"])
    for i, symbol in enumerate(symbols):
        if not symbol or symbol.lower() in _MISSING_TOKENS:
            raise PriceFileError(
                "row has no symbol",
                fix="name the ticker of every row",
                where=table.ref(i, table.header[found["symbol"]]),
            )
    amounts = table.numbers(found["dividend"], "dividend")
    bad = np.flatnonzero(amounts < 0)
    if bad.size:
        raise PriceFileError(
            "a dividend must be zero or more",
            got=float(amounts[bad[0]]),
            fix="write the cash paid per share, e.g. 0.41",
            where=table.ref(int(bad[0]), table.header[found["dividend"]]),
        )
    rows = pd.DataFrame({"date": dates, "symbol": symbols, "dividend": np.nan_to_num(amounts)})
    wide = rows.pivot_table(index="date", columns="symbol", values="dividend", aggfunc="sum").sort_index()
    wide = wide.reindex(columns=list(dict.fromkeys(symbols)))
    wide.columns.name = None
    return wide
