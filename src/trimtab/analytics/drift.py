"""Holdings valued at prices, current weights and drift from target weights.

Weights are fractions of total value *cash included*; ``"CASH"`` is a weight like any symbol, so the
household weights (and each account's) sum to 1. Drift of symbol ``i`` is

* absolute: ``w_i - w*_i`` (fraction of value; 0.061 = 6.1 percentage points over target),
* relative: ``(w_i - w*_i) / w*_i``; **None when the target is 0** (undefined). A symbol with a zero target
  and a non-zero weight counts as outside every relative band (its relative drift is infinite), one with
  zero weight and zero target is inside.

A symbol is *outside* a band when its drift is strictly larger in size than the band; a tolerance of
``1e-12`` absorbs float rounding, so a drift of exactly 5 pp is inside a 5 pp band.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from trimtab.domain.household import Household
from trimtab.domain.targets import CASH, TargetAllocation
from trimtab.errors import AccountError, MissingPriceError, TargetError
from trimtab.units import ZERO, parse_decimal, to_float

__all__ = ["BAND_TOLERANCE", "DriftReport", "Holdings", "SymbolDrift", "drift"]

#: Drift within this of a band edge counts as inside the band (float rounding).
BAND_TOLERANCE = 1e-12


@dataclass(frozen=True, eq=False)
class Holdings:
    """A household valued at prices: dollars per position and cash per account.

    Build with :meth:`from_household`.

    Parameters
    ----------
    value : Decimal
        Total value in dollars, cash included.
    position_values : mapping of (account, symbol) to Decimal
        Dollar value of each position (quantity times price), in the order the household lists its lots.
    cash : mapping of account to Decimal
        Cash of each account in dollars, in account order.
    prices : mapping of symbol to Decimal
        Dollars per share used for the valuation (held symbols only).
    """

    value: Decimal
    position_values: Mapping[tuple[str, str], Decimal]
    cash: Mapping[str, Decimal]
    prices: Mapping[str, Decimal]

    def __post_init__(self) -> None:
        object.__setattr__(self, "position_values", MappingProxyType(dict(self.position_values)))
        object.__setattr__(self, "cash", MappingProxyType(dict(self.cash)))
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))

    @classmethod
    def from_household(cls, household: Household,
                       prices: Mapping[str, Decimal | float | int | str]) -> Holdings:
        """Value every position of ``household`` at ``prices`` (dollars per share).

        Raises
        ------
        MissingPriceError
            A held symbol has no price, or a price that is not a positive number.
        """
        used: dict[str, Decimal] = {}
        for symbol in household.symbols:
            if symbol not in prices:
                holders = sorted({lot.account for lot in household.lots if lot.symbol == symbol})
                raise MissingPriceError(f"no price for {symbol} (held in {', '.join(holders)}); "
                                        "Fix: add its prices or remove its lots")
            price = parse_decimal(prices[symbol])
            if price is None or price <= 0:
                raise MissingPriceError(f"price of {symbol} must be a positive number of dollars, "
                                        f"got {prices[symbol]!r}")
            used[symbol] = price
        values: dict[tuple[str, str], Decimal] = {}
        for (account, symbol), position in household.positions().items():
            values[(account, symbol)] = position.quantity * used[symbol]
        cash = {a.id: a.cash for a in household.accounts}
        total = sum(values.values(), ZERO) + sum(cash.values(), ZERO)
        return cls(value=total, position_values=values, cash=cash, prices=used)

    # -- values ---------------------------------------------------------------------------------------------
    @property
    def accounts(self) -> tuple[str, ...]:
        """Account ids, in household order."""
        return tuple(self.cash)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Held symbols in order of first appearance (cash excluded)."""
        return tuple(dict.fromkeys(symbol for _, symbol in self.position_values))

    @property
    def total_cash(self) -> Decimal:
        """Cash across accounts, dollars."""
        return sum(self.cash.values(), ZERO)

    def symbol_values(self) -> dict[str, Decimal]:
        """Household dollars per symbol (summed over accounts), cash excluded."""
        out: dict[str, Decimal] = {}
        for (_, symbol), value in self.position_values.items():
            out[symbol] = out.get(symbol, ZERO) + value
        return out

    def account_value(self, account: str) -> Decimal:
        """Value of one account in dollars, cash included."""
        self._check_account(account)
        positions = (v for (a, _), v in self.position_values.items() if a == account)
        return self.cash[account] + sum(positions, ZERO)

    # -- weights --------------------------------------------------------------------------------------------
    def household_weights(self, symbols: Iterable[str] | None = None) -> dict[str, float]:
        """Weights of the household value by symbol, ``"CASH"`` last; they sum to 1.

        Parameters
        ----------
        symbols : iterable of str, optional
            Symbols to list first, in this order (0.0 when not held, e.g. a target not yet bought). Held
            symbols not in it follow, so the weights always sum to 1.

        Raises
        ------
        AccountError
            The household is worth nothing (no cash, no positions): weights are undefined.
        """
        if self.value <= 0:
            raise AccountError("the household is worth $0, so it has no weights", got=str(self.value),
                               fix="add cash to an account or lots to the lots file")
        return _weights(self.symbol_values(), self.total_cash, self.value, symbols)

    def account_weights(self, account: str, symbols: Iterable[str] | None = None) -> dict[str, float]:
        """Weights of one account's value (cash included) by symbol, ``"CASH"`` last; they sum to 1.

        An account worth $0 gets ``{"CASH": 1.0}`` (plus zeros for ``symbols``).
        """
        self._check_account(account)
        values = {s: v for (a, s), v in self.position_values.items() if a == account}
        total = self.account_value(account)
        if total <= 0:
            out = {s: 0.0 for s in (symbols or ()) if s != CASH}
            out[CASH] = 1.0
            return out
        return _weights(values, self.cash[account], total, symbols)

    def _check_account(self, account: str) -> None:
        if account not in self.cash:
            raise AccountError(f"unknown account {account!r}", got=account,
                               fix=f"use one of: {', '.join(self.cash)}")


def _weights(values: Mapping[str, Decimal], cash: Decimal, total: Decimal,
             symbols: Iterable[str] | None) -> dict[str, float]:
    order = [s for s in dict.fromkeys(symbols or ()) if s != CASH]
    order += [s for s in values if s not in order]
    out = {s: to_float(values.get(s, ZERO) / total) for s in order}
    out[CASH] = to_float(cash / total)
    return out


@dataclass(frozen=True, slots=True)
class SymbolDrift:
    """Drift of one symbol (or ``"CASH"``).

    ``weight`` and ``target`` are fractions of value; ``absolute = weight - target``; ``relative =
    absolute / target``, None when ``target == 0``.
    """

    symbol: str
    weight: float
    target: float
    absolute: float
    relative: float | None

    def outside(self, band: float | None = None, relative: float | None = None) -> bool:
        """Whether ``|absolute| > band`` or ``|relative| > relative`` (either; ``None`` skips a test).

        With both given this is the 5/25 rule: outside when the drift exceeds ``band`` or ``relative``
        times the target, whichever is smaller.
        """
        if band is not None and abs(self.absolute) > band + BAND_TOLERANCE:
            return True
        if relative is not None:
            if self.relative is None:
                return abs(self.absolute) > BAND_TOLERANCE
            return abs(self.absolute) > relative * self.target + BAND_TOLERANCE
        return False


@dataclass(frozen=True, eq=False)
class DriftReport:
    """Current weights against targets, one row per symbol: targets first, then other held symbols, CASH last.

    Use :meth:`outside` for the symbols beyond a band.
    """

    rows: tuple[SymbolDrift, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(self.rows))
        object.__setattr__(self, "_by_symbol", {row.symbol: row for row in self.rows})

    def __getitem__(self, symbol: str) -> SymbolDrift:
        try:
            return self._by_symbol[symbol]  # type: ignore[attr-defined, no-any-return]
        except KeyError:
            raise TargetError(f"no drift for {symbol!r}", got=symbol,
                              fix=f"use one of: {', '.join(r.symbol for r in self.rows)}") from None

    def __iter__(self) -> Iterator[SymbolDrift]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Row symbols in report order."""
        return tuple(row.symbol for row in self.rows)

    @property
    def weights(self) -> dict[str, float]:
        """Current weight by symbol."""
        return {row.symbol: row.weight for row in self.rows}

    @property
    def targets(self) -> dict[str, float]:
        """Target weight by symbol."""
        return {row.symbol: row.target for row in self.rows}

    @property
    def absolute(self) -> dict[str, float]:
        """``w - w*`` by symbol."""
        return {row.symbol: row.absolute for row in self.rows}

    @property
    def relative(self) -> dict[str, float | None]:
        """``(w - w*) / w*`` by symbol (None where ``w* = 0``)."""
        return {row.symbol: row.relative for row in self.rows}

    @property
    def max_absolute(self) -> float:
        """Largest ``|w - w*|`` over all rows (cash included)."""
        return max((abs(row.absolute) for row in self.rows), default=0.0)

    @property
    def max_absolute_symbol(self) -> str | None:
        """Symbol with the largest ``|w - w*|`` (first in report order on ties); None for an empty report."""
        if not self.rows:
            return None
        return max(self.rows, key=lambda row: abs(row.absolute)).symbol

    def outside(self, band: float | Mapping[str, float] | None = None, *, relative: float | None = None,
                include_cash: bool = True) -> tuple[str, ...]:
        """Symbols whose drift exceeds a band, in report order.

        Parameters
        ----------
        band : float or mapping of symbol to float, optional
            Absolute band in fractions of value (0.05 = 5 pp); one for all, or per symbol (symbols not in
            the mapping have no absolute band).
        relative : float, optional
            Relative band as a fraction of each target (0.25 = 25 % of the target).
        include_cash : bool
            Whether the ``"CASH"`` row can be outside (default True).

        Notes
        -----
        A symbol is outside when it breaks either band, so ``outside(0.05, relative=0.25)`` is the 5/25
        rule.
        """
        if band is not None and not isinstance(band, Mapping):
            _check_band(band, "band")
        if relative is not None:
            _check_band(relative, "relative")
        out = []
        for row in self.rows:
            if row.symbol == CASH and not include_cash:
                continue
            edge = band.get(row.symbol) if isinstance(band, Mapping) else band
            if row.outside(edge, relative):
                out.append(row.symbol)
        return tuple(out)


def _check_band(value: float, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise TargetError(f"{name} band must be a non-negative fraction", got=value, fix="e.g. 0.05 for 5 pp")


def drift(weights: Mapping[str, float], targets: TargetAllocation | Mapping[str, float],
          symbols: Sequence[str] | None = None) -> DriftReport:
    """Absolute and relative drift of current ``weights`` from ``targets``.

    Parameters
    ----------
    weights : mapping of symbol to float
        Current weights (fractions of value, ``"CASH"`` included), e.g. :meth:`Holdings.household_weights`.
    targets : TargetAllocation or mapping of symbol to float
        Target weights; a symbol missing from either side has weight 0 there (a mapping without
        ``"CASH"`` means a cash target of 0, as in :class:`TargetAllocation`).
    symbols : sequence of str, optional
        Row order; default: target symbols, then other held symbols, ``"CASH"`` last.

    Returns
    -------
    DriftReport
    """
    target_weights = targets.weights if isinstance(targets, TargetAllocation) else targets
    for name, mapping in (("weights", weights), ("targets", target_weights)):
        for symbol, value in mapping.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise TargetError(f"{name}.{symbol} must be a finite number", got=value,
                                  fix="weights are fractions of value, e.g. 0.10")
    if symbols is None:
        order = [s for s in target_weights if s != CASH]
        order += [s for s in weights if s != CASH and s not in order]
        if CASH in weights or CASH in target_weights:
            order.append(CASH)
    else:
        order = list(dict.fromkeys(symbols))
    rows = []
    for symbol in order:
        w = float(weights.get(symbol, 0.0))
        t = float(target_weights.get(symbol, 0.0))
        absolute = w - t
        rows.append(SymbolDrift(symbol=symbol, weight=w, target=t, absolute=absolute,
                                relative=absolute / t if t != 0 else None))
    return DriftReport(rows=tuple(rows))
