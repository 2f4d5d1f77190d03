"""The exception tree of trimtab.

Every error a user can cause says what was wrong, where in the input, and how to fix it::

    TrimtabError
     ├─ InputError(ValueError)      bad files or values; carries file, row/line and key
     │   ├─ PortfolioFileError      the portfolio YAML
     │   ├─ LotError                a lot (file row or object)
     │   ├─ TargetError             target weights, bands
     │   ├─ AccountError            accounts, cash
     │   ├─ PriceFileError          a prices / returns CSV
     │   └─ ConfigError             any other configuration (policy, costs, backtest config)
     ├─ DataError(ValueError)
     │   ├─ MissingPriceError       no price for a symbol at a date
     │   ├─ LookaheadError          asked for data after the snapshot's date
     │   └─ UniverseMismatchError   symbols that do not match between inputs
     ├─ ModelError                  a model cannot be built (not convex, not DPP)
     ├─ OptimizationError
     │   ├─ InfeasibleError
     │   └─ SolverError
     ├─ TradeError
     │   ├─ OversellError
     │   └─ NegativeCashError
     ├─ TaxError                    tax accounting (e.g. selling more than held in a ledger)
     ├─ BrokerError                 see trimtab.execution
     └─ ReconciliationError

The CLI catches :class:`TrimtabError` (and only it) and prints its one-line message with exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AccountError",
    "BrokerError",
    "ConfigError",
    "DataError",
    "InfeasibleError",
    "InputError",
    "LookaheadError",
    "LotError",
    "MissingPriceError",
    "ModelError",
    "NegativeCashError",
    "OptimizationError",
    "OversellError",
    "PortfolioFileError",
    "PriceFileError",
    "ReconciliationError",
    "SolverError",
    "SourceRef",
    "TargetError",
    "TaxError",
    "TradeError",
    "TrimtabError",
    "UniverseMismatchError",
]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a value came from: a file, an optional row/line number and an optional key path.

    ``row`` is the 1-based line number in the file as an editor shows it (a CSV header is line 1).
    """

    file: str
    row: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        place = self.file
        if self.row is not None:
            place += f":{self.row}"
        if self.key:
            place += f" {self.key}"
        return place


class TrimtabError(Exception):
    """Base of every error trimtab raises on purpose."""


class InputError(TrimtabError, ValueError):
    """Bad user input: names the place, the problem, the value and the fix.

    Parameters
    ----------
    problem : str
        What is wrong, in plain words.
    got : object, optional
        The offending value (shown with ``repr``); omit when there is none (a missing key).
    fix : str
        How to fix it.
    where : SourceRef, optional
        File, row and key of the value.
    """

    _MISSING = object()

    def __init__(self, problem: str, *, got: object = _MISSING, fix: str = "", where: SourceRef | None = None):
        place = f"{where}: " if where else ""
        text = f"{place}{problem}"
        if got is not InputError._MISSING:
            text += f"; got {got!r}"
        if fix:
            text += f". Fix: {fix}"
        super().__init__(text)
        self.problem = problem
        self.got = None if got is InputError._MISSING else got
        self.fix = fix
        self.where = where


class PortfolioFileError(InputError):
    """A problem in the portfolio YAML file."""


class LotError(InputError):
    """A bad tax lot."""


class TargetError(InputError):
    """Bad target weights or bands."""


class AccountError(InputError):
    """A bad account definition."""


class PriceFileError(InputError):
    """A bad prices or returns file."""


class ConfigError(InputError):
    """Any other bad configuration value (policy, costs, backtest settings)."""


class DataError(TrimtabError, ValueError):
    """Market data is missing or inconsistent."""


class MissingPriceError(DataError):
    """No usable price for a symbol at a date."""


class LookaheadError(DataError):
    """Data after the point-in-time snapshot's date was requested."""


class UniverseMismatchError(DataError):
    """Symbols do not match between two inputs."""


class ModelError(TrimtabError):
    """A model cannot be built as asked (e.g. not convex, not DPP)."""


class OptimizationError(TrimtabError):
    """The optimizer did not produce a trustworthy answer."""


class InfeasibleError(OptimizationError):
    """The constraints cannot all hold; the message names the ones in conflict."""


class SolverError(OptimizationError):
    """The solver failed or returned an inaccurate answer."""


class TradeError(TrimtabError):
    """A trade would break an invariant (oversell, negative cash)."""


class OversellError(TradeError):
    """A sell larger than the holding."""


class NegativeCashError(TradeError):
    """Buys that the account's cash cannot pay for."""


class TaxError(TrimtabError):
    """Tax accounting cannot proceed (e.g. a sale of shares never bought)."""


class BrokerError(TrimtabError):
    """Base of broker errors; the subtree lives in :mod:`trimtab.execution.errors`."""


class ReconciliationError(TrimtabError):
    """The book and the broker disagree in a way that blocks the workflow."""
