"""A reusable table of malformed portfolio inputs and the error each must give.

Each :class:`MalformedCase` copies a good example household from ``examples/`` into a temporary folder,
breaks one thing, and returns the path of the portfolio file to load. ``error`` is the
:class:`~trimtab.errors.InputError` subclass that :func:`trimtab.data.portfolio_file.load_portfolio` must
raise and ``expected`` the substrings its one-line message must contain (always the file name with the
line, and the key or column when there is one).

Reuse (e.g. for CLI exit-code tests)::

    import sys; sys.path.insert(0, str(Path(__file__).parents[1] / "inputs"))
    from malformed_cases import CASES

    @pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
    def test_cli_exit_code(case, tmp_path): path = case.write(tmp_path); ...

Line numbers in ``expected`` are computed from the example files when this module is imported, so the
table follows edits of the examples.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trimtab.errors import (
    AccountError,
    ConfigError,
    InputError,
    LotError,
    PortfolioFileError,
    PriceFileError,
    TargetError,
)

__all__ = ["CASES", "EXAMPLES", "MalformedCase"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class MalformedCase:
    """One broken input: ``write(tmp_dir) -> portfolio path``, the error class and message substrings."""

    id: str
    write: Callable[[Path], Path]
    error: type[InputError]
    expected: tuple[str, ...]

    def __repr__(self) -> str:
        return f"MalformedCase({self.id})"


# -- helpers ---------------------------------------------------------------------------------------------------
def _copy(example: str, tmp: Path) -> Path:
    """Copy ``examples/<example>`` into ``tmp/<example>`` and return its portfolio.yaml."""
    target = tmp / example
    shutil.copytree(EXAMPLES / example, target)
    return target / "portfolio.yaml"


def _line(example: str, file: str, needle: str) -> int:
    """1-based line of the first line of ``examples/<example>/<file>`` that contains ``needle``."""
    for number, text in enumerate((EXAMPLES / example / file).read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {example}/{file}")


def _n_lines(example: str, file: str) -> int:
    return len((EXAMPLES / example / file).read_text().splitlines())


Edit = Callable[[Path], None]


def _edit(example: str, *edits: Edit) -> Callable[[Path], Path]:
    """A writer: copy the example into the tmp folder, apply ``edits`` to that copy, return its portfolio.yaml."""

    def write(tmp: Path) -> Path:
        portfolio = _copy(example, tmp)
        for edit in edits:
            edit(portfolio.parent)
        return portfolio

    return write


def _sub(file: str, old: str, new: str) -> Edit:
    """Replace the first ``old`` with ``new`` in ``file``."""

    def edit(folder: Path) -> None:
        path = folder / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1))

    return edit


def _put(file: str, text: str) -> Edit:
    """Overwrite ``file`` with ``text``."""

    def edit(folder: Path) -> None:
        (folder / file).write_text(text)

    return edit


def _add(file: str, text: str) -> Edit:
    """Append ``text`` to ``file``."""

    def edit(folder: Path) -> None:
        path = folder / file
        path.write_text(path.read_text() + text)

    return edit


def _replace(example: str, file: str, old: str, new: str) -> Callable[[Path], Path]:
    return _edit(example, _sub(file, old, new))


def _overwrite(example: str, file: str, text: str) -> Callable[[Path], Path]:
    return _edit(example, _put(file, text))


def _append(example: str, file: str, text: str) -> Callable[[Path], Path]:
    return _edit(example, _add(file, text))


def _set_cell(row: str, index: int, value: str) -> str:
    cells = row.split(",")
    cells[index] = value
    return ",".join(cells)


def _missing_portfolio(tmp: Path) -> Path:
    return tmp / "no-such-folder" / "portfolio.yaml"


def _blank_prices_before(column: str, first_date: str, *, copy_of: str | None = None) -> Edit:
    """In prices.csv, empty ``column`` before ``first_date`` (adding it as a copy of ``copy_of`` if given)."""

    def edit(folder: Path) -> None:
        path = folder / "prices.csv"
        lines = path.read_text().splitlines()
        header = lines[0].split(",")
        out = [lines[0] + (f",{column}" if copy_of else "")]
        j = header.index(copy_of or column)
        for line in lines[1:]:
            cells = line.split(",")
            value = cells[j] if cells[0] >= first_date else ""
            if copy_of:
                cells.append(value)
            else:
                cells[j] = value
            out.append(",".join(cells))
        path.write_text("\n".join(out) + "\n")

    return edit


S, C, B, F = "simple", "csv-prices", "lots-with-cost-basis", "family"
Y, L, P = "portfolio.yaml", "lots.csv", "prices.csv"
_S_TARGETS = _line(S, Y, "targets:")
_S_ACCOUNT = _line(S, Y, "id: brokerage")
_S_TRADING = _line(S, Y, "trading:")
_S_TAX = _line(S, Y, "tax:")
_S_COSTS = _line(S, Y, "costs:")
_S_PRICES = _line(S, Y, "prices:")
_S_LOTS = _line(S, Y, "lots:")
_S_POLICY = _line(S, Y, "policy:")
_S_KO_LOT = _line(S, L, ",KO,")
_S_PEP_LOT = _line(S, L, "2022-02-14")
_C_PRICES_ROW5 = 5
_C_ROW5_TEXT = (EXAMPLES / C / P).read_text().splitlines()[4]
_C_ROW6_TEXT = (EXAMPLES / C / P).read_text().splitlines()[5]

CASES: tuple[MalformedCase, ...] = (
    # -- the portfolio file as a whole ------------------------------------------------------------------------
    MalformedCase("missing-portfolio-file", _missing_portfolio, PortfolioFileError,
                  ("no-such-folder/portfolio.yaml", "portfolio file not found")),
    MalformedCase("yaml-syntax-error", _replace(S, Y, "household: Simple saver", "household: Simple: saver"),
                  PortfolioFileError, (f"portfolio.yaml:{_line(S, Y, 'household:')}", "YAML syntax error")),
    MalformedCase("yaml-tab-indent", _replace(S, Y, "  - {id: brokerage", "\t- {id: brokerage"),
                  PortfolioFileError, (f"portfolio.yaml:{_S_ACCOUNT}", "YAML syntax error", "tabs")),
    MalformedCase("yaml-unclosed-flow-mapping", _replace(S, Y, "PEP: 0.20, CASH: 0.10}", "PEP: 0.20, CASH: 0.10"),
                  PortfolioFileError, ("portfolio.yaml:", "YAML syntax error")),
    MalformedCase("yaml-not-a-mapping", _overwrite(S, Y, "- household\n- accounts\n"), PortfolioFileError,
                  ("portfolio.yaml:1", "must be a mapping", "list")),
    MalformedCase("yaml-empty-file", _overwrite(S, Y, "# nothing here\n"), PortfolioFileError,
                  ("portfolio.yaml", "must be a mapping", "empty")),
    MalformedCase("unknown-top-level-key", _append(S, Y, "rebalance_every: month\n"), PortfolioFileError,
                  (f"portfolio.yaml:{_n_lines(S, Y) + 1} rebalance_every", "unknown key 'rebalance_every'")),
    MalformedCase("misspelled-top-level-key", _replace(S, Y, "policy:", "polcy:"), PortfolioFileError,
                  (f"portfolio.yaml:{_S_POLICY} polcy", "unknown key 'polcy'", "did you mean 'policy'")),
    MalformedCase("duplicate-top-level-key", _append(S, Y, "prices: builtin:us-stocks\n"), PortfolioFileError,
                  (f"portfolio.yaml:{_n_lines(S, Y) + 1} prices", "appears twice", f"line {_S_PRICES}")),
    MalformedCase("missing-accounts", _replace(S, Y, "accounts:\n  - {id: brokerage, kind: taxable, cash: 2500.00}\n",
                                               ""), PortfolioFileError,
                  ("portfolio.yaml:", "accounts", "missing required key 'accounts'")),
    MalformedCase("missing-targets", _replace(S, Y, "targets: {MSFT: 0.25, JNJ: 0.25, KO: 0.20, PEP: 0.20, "
                                              "CASH: 0.10}\n", ""), PortfolioFileError,
                  ("portfolio.yaml:", "missing required key 'targets'")),
    MalformedCase("missing-prices", _replace(S, Y, "prices: builtin:us-stocks\n", ""), PortfolioFileError,
                  ("portfolio.yaml:", "missing required key 'prices'")),
    # -- accounts --------------------------------------------------------------------------------------------------
    MalformedCase("duplicate-account-ids", _replace(S, Y, "  - {id: brokerage, kind: taxable, cash: 2500.00}\n",
                                                    "  - {id: brokerage, kind: taxable, cash: 2500.00}\n"
                                                    "  - {id: brokerage, kind: tax_exempt, cash: 0}\n"),
                  AccountError, (f"portfolio.yaml:{_S_ACCOUNT + 1} accounts[brokerage].id",
                                 "duplicate account id 'brokerage'")),
    MalformedCase("unknown-account-kind", _replace(S, Y, "kind: taxable", "kind: brokerage"), AccountError,
                  (f"portfolio.yaml:{_S_ACCOUNT} accounts[brokerage].kind", "unknown account kind", "tax_deferred")),
    MalformedCase("negative-cash", _replace(S, Y, "cash: 2500.00", "cash: -2500.00"), AccountError,
                  (f"portfolio.yaml:{_S_ACCOUNT} accounts[brokerage].cash", "must be at least 0", "-2500")),
    MalformedCase("non-numeric-cash", _replace(S, Y, "cash: 2500.00", "cash: plenty"), AccountError,
                  (f"portfolio.yaml:{_S_ACCOUNT} accounts[brokerage].cash", "should be a number", "plenty")),
    MalformedCase("no-accounts", _replace(S, Y, "accounts:\n  - {id: brokerage, kind: taxable, cash: 2500.00}",
                                          "accounts: []"), AccountError,
                  (f"portfolio.yaml:{_line(S, Y, 'accounts:')} accounts", "at least one")),
    # -- targets --------------------------------------------------------------------------------------------------
    MalformedCase("weights-do-not-sum-to-one", _replace(S, Y, "CASH: 0.10}", "CASH: 0.05}"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets", "sum to 0.95", "add 0.05")),
    MalformedCase("weights-sum-off-by-1e-5", _replace(S, Y, "CASH: 0.10}", "CASH: 0.10001}"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets", "sum to 1.00001")),
    MalformedCase("negative-weight", _replace(S, Y, "KO: 0.20, PEP: 0.20", "KO: -0.20, PEP: 0.60"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets.KO", "must not be negative", "-0.2")),
    MalformedCase("non-numeric-weight", _replace(S, Y, "KO: 0.20", "KO: twenty"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets.KO", "should be a number", "twenty")),
    MalformedCase("weight-in-percent", _replace(S, Y, "KO: 0.20", "KO: 20"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets.KO", "at most 1")),
    MalformedCase("unknown-target-symbol", _replace(S, Y, "PEP: 0.20", "PEPX: 0.20"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets.PEPX", "no prices for symbol 'PEPX'", "builtin:us-stocks",
                   "did you mean 'PEP'")),
    MalformedCase("target-without-price-at-as-of",
                  _edit(C, _blank_prices_before("XOM", "2022-07-01"),
                        _sub(Y, "household: CSV prices", "household: CSV prices\nas_of: 2022-06-30")),
                  TargetError, ("portfolio.yaml:", "targets.XOM", "no price for XOM on or before as_of 2022-06-30",
                                "start 2022-07-01")),
    MalformedCase("weight-is-a-boolean", _replace(S, Y, "KO: 0.20", "KO: yes"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets.KO", "should be a number, not true/false")),
    MalformedCase("targets-not-a-mapping", _replace(S, Y, "{MSFT: 0.25, JNJ: 0.25, KO: 0.20, PEP: 0.20, CASH: 0.10}",
                                                    "[MSFT, JNJ, KO, PEP]"), TargetError,
                  (f"portfolio.yaml:{_S_TARGETS} targets", "should be a mapping")),
    MalformedCase("accounts-not-a-list", _replace(S, Y, "accounts:\n  - {id: brokerage, kind: taxable, cash: 2500.00}",
                                                  "accounts: {id: brokerage, kind: taxable}"), AccountError,
                  (f"portfolio.yaml:{_line(S, Y, 'accounts:')} accounts", "should be a list")),
    # -- settings sections -------------------------------------------------------------------------------------------
    MalformedCase("unknown-key-in-costs", _replace(S, Y, "commission_per_trade: 0", "commision_per_trade: 0"),
                  ConfigError, (f"portfolio.yaml:{_S_COSTS} costs.commision_per_trade",
                                "unknown key 'commision_per_trade'", "did you mean 'commission_per_trade'")),
    MalformedCase("unknown-key-in-tax", _replace(S, Y, "long_term_rate: 0.15", "long_term_rate: 0.15, state: CA"),
                  ConfigError, (f"portfolio.yaml:{_S_TAX} tax.state", "unknown key 'state'", "short_term_rate")),
    MalformedCase("unknown-key-in-trading", _replace(S, Y, "lot_size: 1", "round_lot: 1"), ConfigError,
                  (f"portfolio.yaml:{_S_TRADING} trading.round_lot", "unknown key 'round_lot'")),
    MalformedCase("lot-size-not-a-number", _replace(S, Y, "lot_size: 1", 'lot_size: "abc"'), ConfigError,
                  (f"portfolio.yaml:{_S_TRADING} trading.lot_size", "should be a whole number", "'abc'")),
    MalformedCase("lot-size-zero", _replace(S, Y, "lot_size: 1", "lot_size: 0"), ConfigError,
                  (f"portfolio.yaml:{_S_TRADING} trading.lot_size", "must be at least 1")),
    MalformedCase("fractional-not-a-boolean", _replace(S, Y, "fractional: false", "fractional: sometimes"),
                  ConfigError, (f"portfolio.yaml:{_S_TRADING} trading.fractional", "true or false")),
    MalformedCase("tax-rate-one-or-more", _replace(S, Y, "short_term_rate: 0.32", "short_term_rate: 1.0"),
                  ConfigError, (f"portfolio.yaml:{_S_TAX} tax.short_term_rate", "must be below 1", "0.37")),
    MalformedCase("tax-rate-in-percent", _replace(S, Y, "long_term_rate: 0.15", "long_term_rate: 15"),
                  ConfigError, (f"portfolio.yaml:{_S_TAX} tax.long_term_rate", "must be below 1")),
    MalformedCase("unknown-relief-method", _replace(S, Y, "long_term_rate: 0.15", "long_term_rate: 0.15, "
                                                    "relief_method: cheapest"), ConfigError,
                  (f"portfolio.yaml:{_S_TAX} tax.relief_method", "unknown relief method", "hifo")),
    MalformedCase("negative-commission", _replace(S, Y, "commission_per_trade: 0", "commission_per_trade: -1"),
                  ConfigError, (f"portfolio.yaml:{_S_COSTS} costs.commission_per_trade", "must be at least 0")),
    MalformedCase("impact-alpha-out-of-range", _replace(S, Y, "min_trade_value: 50}",
                                                        "min_trade_value: 50, impact: {b: 1.0, alpha: 3}}"),
                  ConfigError, (f"portfolio.yaml:{_S_COSTS} costs.impact.alpha", "must be at most 2")),
    MalformedCase("policy-without-kind", _replace(S, Y, "{kind: calendar, every: quarterly}",
                                                  "{every: quarterly}"), ConfigError,
                  (f"portfolio.yaml:{_S_POLICY} policy.kind", "missing required key 'kind'")),
    # -- as_of ----------------------------------------------------------------------------------------------------
    MalformedCase("as-of-before-first-price", _replace(S, Y, "as_of: 2022-09-30", "as_of: 1985-06-28"),
                  PortfolioFileError, (f"portfolio.yaml:{_line(S, Y, 'as_of:')} as_of",
                                       "before the first price date", "1990-01-02")),
    MalformedCase("as-of-after-last-price", _replace(S, Y, "as_of: 2022-09-30", "as_of: 2023-06-30"),
                  PortfolioFileError, (f"portfolio.yaml:{_line(S, Y, 'as_of:')} as_of",
                                       "after the last price date", "2022-12-28")),
    MalformedCase("as-of-not-a-date", _replace(S, Y, "as_of: 2022-09-30", "as_of: 2022-13-01"),
                  PortfolioFileError, (f"portfolio.yaml:{_line(S, Y, 'as_of:')} as_of",
                                       "not a date", "2022-13-01")),
    # -- the lots file --------------------------------------------------------------------------------------------
    MalformedCase("missing-lots-file", _replace(S, Y, "lots: lots.csv", "lots: holdings.csv"), LotError,
                  (f"portfolio.yaml:{_S_LOTS} lots", "lots file not found", "holdings.csv")),
    MalformedCase("lot-unknown-account", _replace(S, L, "brokerage,KO", "brokerge,KO"), LotError,
                  (f"lots.csv:{_S_KO_LOT} account", "unknown account 'brokerge'", "brokerage")),
    MalformedCase("lot-unknown-symbol", _replace(S, L, "brokerage,KO", "brokerage,COKE"), LotError,
                  (f"lots.csv:{_S_KO_LOT} symbol", "no prices for symbol 'COKE'")),
    MalformedCase("lot-without-price-at-as-of",
                  _edit(C, _blank_prices_before("GE", "2022-07-01", copy_of="MSFT"),
                        _add(L, "brokerage,GE,10,80.00,2021-08-02\n"),
                        _sub(Y, "household: CSV prices", "household: CSV prices\nas_of: 2022-06-30")),
                  LotError, (f"lots.csv:{_n_lines(C, L) + 1} symbol", "no price for GE on or before as_of")),
    MalformedCase("lot-negative-quantity", _replace(S, L, "KO,250", "KO,-250"), LotError,
                  (f"lots.csv:{_S_KO_LOT} quantity", "must be positive", "-250")),
    MalformedCase("lot-zero-quantity", _replace(S, L, "KO,250", "KO,0"), LotError,
                  (f"lots.csv:{_S_KO_LOT} quantity", "must be positive")),
    MalformedCase("lot-non-numeric-quantity", _replace(S, L, "KO,250", "KO,lots"), LotError,
                  (f"lots.csv:{_S_KO_LOT} quantity", "not a number", "'lots'")),
    MalformedCase("lot-negative-cost", _replace(S, L, "250,33.85", "250,-33.85"), LotError,
                  (f"lots.csv:{_S_KO_LOT} unit_cost", "must not be negative")),
    MalformedCase("lot-non-numeric-cost", _replace(S, L, "250,33.85", "250,cheap"), LotError,
                  (f"lots.csv:{_S_KO_LOT} unit_cost", "not a number", "'cheap'")),
    MalformedCase("lot-non-numeric-cost-basis", _replace(B, L, "2614.55", "a lot"), LotError,
                  (f"lots.csv:{_line(B, L, '2614.55')} cost_basis", "not a number")),
    MalformedCase("lot-malformed-date", _replace(S, L, "33.85,2016-02-01", "33.85,02/01/2016"), LotError,
                  (f"lots.csv:{_S_KO_LOT} acquired", "not a YYYY-MM-DD date", "02/01/2016")),
    MalformedCase("lot-impossible-date", _replace(S, L, "33.85,2016-02-01", "33.85,2016-02-30"), LotError,
                  (f"lots.csv:{_S_KO_LOT} acquired", "not a valid date")),
    MalformedCase("lot-acquired-after-as-of", _replace(S, L, "160.15,2022-02-14", "160.15,2023-02-14"), LotError,
                  (f"lots.csv:{_S_PEP_LOT} acquired", "after the portfolio date 2022-09-30")),
    MalformedCase("lots-missing-column", _overwrite(S, L, "account,symbol,quantity,unit_cost\n"
                                                    "brokerage,KO,250,33.85\n"), LotError,
                  ("lots.csv:1", "missing column acquired")),
    MalformedCase("lots-unknown-column", _overwrite(S, L, "account,symbol,quantity,unit_cost,acquired,note\n"
                                                    "brokerage,KO,250,33.85,2016-02-01,gift\n"), LotError,
                  ("lots.csv:1 note", "unknown column 'note'")),
    MalformedCase("lots-row-with-extra-field", _replace(S, L, "KO,250,33.85,2016-02-01", "KO,250,33.85,2016-02-01,x"),
                  LotError, (f"lots.csv:{_S_KO_LOT}", "6 fields but the header has 5")),
    MalformedCase("lots-empty-file", _overwrite(S, L, ""), LotError, ("lots.csv", "lots file is empty")),
    MalformedCase("lots-both-costs-on-a-row", _overwrite(S, L, "account,symbol,quantity,unit_cost,cost_basis,acquired\n"
                                                         "brokerage,KO,250,33.85,8462.50,2016-02-01\n"), LotError,
                  ("lots.csv:2 cost_basis", "both unit_cost and cost_basis")),
    # -- market data ----------------------------------------------------------------------------------------------
    MalformedCase("missing-prices-csv", _replace(C, Y, "prices: prices.csv", "prices: closes.csv"), PriceFileError,
                  (f"portfolio.yaml:{_line(C, Y, 'prices:')} prices", "prices file not found", "closes.csv")),
    MalformedCase("unknown-builtin-prices", _replace(S, Y, "builtin:us-stocks", "builtin:us-stock"), PriceFileError,
                  (f"portfolio.yaml:{_S_PRICES} prices", "unknown builtin data set 'us-stock'",
                   "builtin:us-stocks")),
    MalformedCase("price-not-a-number", _replace(C, P, _C_ROW5_TEXT, _set_cell(_C_ROW5_TEXT, 1, "abc")),
                  PriceFileError, (f"prices.csv:{_C_PRICES_ROW5} AAPL", "price is not a number", "'abc'")),
    MalformedCase("price-negative", _replace(C, P, _C_ROW5_TEXT, _set_cell(_C_ROW5_TEXT, 1, "-1.5")),
                  PriceFileError, (f"prices.csv:{_C_PRICES_ROW5} AAPL", "price must be positive", "-1.5")),
    MalformedCase("price-zero", _replace(C, P, _C_ROW5_TEXT, _set_cell(_C_ROW5_TEXT, 1, "0")), PriceFileError,
                  (f"prices.csv:{_C_PRICES_ROW5} AAPL", "price must be positive")),
    MalformedCase("price-duplicate-date", _replace(C, P, _C_ROW6_TEXT,
                                                   _set_cell(_C_ROW6_TEXT, 0, _C_ROW5_TEXT.split(",")[0])),
                  PriceFileError,
                  ("prices.csv:6", "appears twice", f"lines {_C_PRICES_ROW5} and 6")),
    MalformedCase("price-bad-date", _replace(C, P, _C_ROW5_TEXT, _set_cell(_C_ROW5_TEXT, 0, "July 8")),
                  PriceFileError, (f"prices.csv:{_C_PRICES_ROW5} date", "not a date")),
    MalformedCase("prices-empty-file", _overwrite(C, P, "\n"), PriceFileError, ("prices.csv", "prices file is empty")),
    MalformedCase("prices-header-only", _overwrite(C, P, "date,AAPL,MSFT,XOM,JNJ,KO\n"), PriceFileError,
                  ("prices.csv:1", "no rows")),
    MalformedCase("prices-short-row", _replace(C, P, _C_ROW5_TEXT, _C_ROW5_TEXT.rsplit(",", 1)[0]), PriceFileError,
                  (f"prices.csv:{_C_PRICES_ROW5}", "5 fields but the header has 6")),
    MalformedCase("long-prices-unknown-column",
                  _overwrite(C, P, "date,symbol,open,close\n2022-12-28,AAPL,126.0,125.674\n"), PriceFileError,
                  ("prices.csv:1 open", "unknown column 'open'")),
    MalformedCase("long-prices-duplicate-pair",
                  _overwrite(C, P, "date,symbol,close\n2022-12-28,AAPL,125.674\n2022-12-28,MSFT,233.434\n"
                                   "2022-12-28,AAPL,125.70\n"), PriceFileError,
                  ("prices.csv:4", "AAPL on 2022-12-28 appears twice", "lines 2 and 4")),
)
