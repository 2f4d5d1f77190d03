"""Netting of capital gains and losses, the ordinary-income deduction and carryforwards.

Rules (IRC §§1211(b), 1212(b); IRS Schedule D and its Capital Loss Carryover Worksheet; KAT-23):

1. Net short-term against short-term and long-term against long-term (carryovers from earlier years enter
   as losses of their own character).
2. If the two nets have different signs, net them against each other; what is left keeps the character
   of the larger side.
3. A net capital loss is deductible against ordinary income up to $3,000 a year ($1,500 married filing
   separately). The rest carries forward indefinitely, keeping its character. For the carryover the
   deducted amount counts as a short-term gain, so **short-term losses are used first**.

The worksheet also caps the deduction by taxable income; like the KAT-23 examples we assume enough
taxable income for the full deduction.

All amounts are dollars as :class:`~decimal.Decimal`; the arithmetic is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trimtab.errors import ConfigError
from trimtab.tax.rules import TaxRates

__all__ = [
    "FilingStatus",
    "NettingResult",
    "loss_limit",
    "net_capital_gains",
    "net_years",
    "netted_tax",
    "parse_filing_status",
]

ZERO = Decimal(0)


class FilingStatus(StrEnum):
    """US filing status; only ``married_filing_separately`` changes the capital-loss limit."""

    SINGLE = "single"
    MARRIED_FILING_JOINTLY = "married_filing_jointly"
    MARRIED_FILING_SEPARATELY = "married_filing_separately"
    HEAD_OF_HOUSEHOLD = "head_of_household"
    QUALIFYING_SURVIVING_SPOUSE = "qualifying_surviving_spouse"


_ALIASES = {
    "mfj": FilingStatus.MARRIED_FILING_JOINTLY,
    "joint": FilingStatus.MARRIED_FILING_JOINTLY,
    "married": FilingStatus.MARRIED_FILING_JOINTLY,
    "mfs": FilingStatus.MARRIED_FILING_SEPARATELY,
    "separate": FilingStatus.MARRIED_FILING_SEPARATELY,
    "hoh": FilingStatus.HEAD_OF_HOUSEHOLD,
    "qss": FilingStatus.QUALIFYING_SURVIVING_SPOUSE,
    "qw": FilingStatus.QUALIFYING_SURVIVING_SPOUSE,
}


def parse_filing_status(value: str | FilingStatus) -> FilingStatus:
    """A :class:`FilingStatus` from its name or a common abbreviation (``mfs``, ``mfj``, ``hoh``).

    Raises
    ------
    ConfigError
        For an unknown status.
    """
    if isinstance(value, FilingStatus):
        return value
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if text in _ALIASES:
        return _ALIASES[text]
    try:
        return FilingStatus(text)
    except ValueError:
        raise ConfigError(
            "unknown filing status", got=value, fix=f"use one of: {', '.join(s.value for s in FilingStatus)}"
        ) from None


def loss_limit(filing_status: str | FilingStatus = FilingStatus.SINGLE) -> Decimal:
    """Net capital loss deductible against ordinary income per year: $3,000, or $1,500 filing separately."""
    status = parse_filing_status(filing_status)
    return Decimal(1500) if status is FilingStatus.MARRIED_FILING_SEPARATELY else Decimal(3000)


@dataclass(frozen=True, slots=True)
class NettingResult:
    """One tax year's capital gains after netting (dollars).

    Attributes
    ----------
    short_term, long_term : Decimal
        The year's realized short-/long-term gains (negative for losses), before carryovers.
    carryover_in_short, carryover_in_long : Decimal
        Losses carried in from earlier years (>= 0).
    net_short_term, net_long_term : Decimal
        ``short_term - carryover_in_short`` and ``long_term - carryover_in_long``.
    net : Decimal
        ``net_short_term + net_long_term``: the year's net capital gain (< 0 a net loss).
    taxable_short_term, taxable_long_term : Decimal
        Net gain taxed at the short- and long-term rates after cross-netting (>= 0).
    deductible_against_ordinary : Decimal
        Part of a net loss deducted from ordinary income (<= the limit).
    carryforward_short, carryforward_long : Decimal
        Losses carried to the next year, by character (>= 0).
    limit : Decimal
        The deduction limit applied (3,000 or 1,500).
    """

    short_term: Decimal
    long_term: Decimal
    carryover_in_short: Decimal
    carryover_in_long: Decimal
    net_short_term: Decimal
    net_long_term: Decimal
    net: Decimal
    taxable_short_term: Decimal
    taxable_long_term: Decimal
    deductible_against_ordinary: Decimal
    carryforward_short: Decimal
    carryforward_long: Decimal
    limit: Decimal

    def tax(self, rates: TaxRates) -> Decimal:
        """Tax in dollars: rates on the taxable gains minus the ordinary rate on the deduction."""
        return (
            rates.short_term * self.taxable_short_term
            + rates.long_term * self.taxable_long_term
            - rates.ordinary_rate * self.deductible_against_ordinary
        )


def _dec(value: Decimal | int | str, name: str) -> Decimal:
    out = value if isinstance(value, Decimal) else Decimal(str(value))
    if not out.is_finite():
        raise ConfigError(f"{name} must be a finite amount", got=str(value), fix="give dollars, e.g. 1500.00")
    return out


def net_capital_gains(
    short_term: Decimal | int | str,
    long_term: Decimal | int | str,
    *,
    carryover_short: Decimal | int | str = ZERO,
    carryover_long: Decimal | int | str = ZERO,
    filing_status: str | FilingStatus = FilingStatus.SINGLE,
    limit: Decimal | None = None,
) -> NettingResult:
    """Net one year's short- and long-term gains with carryovers (KAT-23).

    Parameters
    ----------
    short_term, long_term : Decimal
        The year's realized gains by character, dollars (losses negative).
    carryover_short, carryover_long : Decimal
        Loss carryovers from the previous year, dollars, given as positive amounts.
    filing_status : str or FilingStatus
        Sets the deduction limit (see :func:`loss_limit`).
    limit : Decimal, optional
        Overrides the deduction limit.

    Returns
    -------
    NettingResult

    Examples
    --------
    >>> r = net_capital_gains(-10000, 4000)
    >>> r.deductible_against_ordinary, r.carryforward_short, r.carryforward_long
    (Decimal('3000'), Decimal('3000'), Decimal('0'))
    """
    st, lt = _dec(short_term, "short_term"), _dec(long_term, "long_term")
    cst, clt = _dec(carryover_short, "carryover_short"), _dec(carryover_long, "carryover_long")
    if cst < 0 or clt < 0:
        raise ConfigError(
            "carryovers are losses given as positive amounts",
            got=(str(cst), str(clt)),
            fix="write a $4,000 carryover as 4000",
        )
    cap = loss_limit(filing_status) if limit is None else _dec(limit, "limit")
    a, b = st - cst, lt - clt
    net = a + b
    taxable_st = taxable_lt = ZERO
    if a >= 0 and b >= 0:
        taxable_st, taxable_lt = a, b
    elif net >= 0:
        # Signs differ and the gain side is larger: the remainder keeps the gain side's character.
        if a >= 0:
            taxable_st = net
        else:
            taxable_lt = net
    deduction = min(cap, -net) if net < 0 else ZERO
    st_loss_left = max(ZERO, max(ZERO, -a) - max(ZERO, b))  # ST loss not absorbed by LT gains
    lt_loss_left = max(ZERO, max(ZERO, -b) - max(ZERO, a))  # LT loss not absorbed by ST gains
    from_short = min(deduction, st_loss_left)  # the deduction uses ST losses first
    carry_st = st_loss_left - from_short
    carry_lt = lt_loss_left - min(deduction - from_short, lt_loss_left)
    return NettingResult(
        short_term=st,
        long_term=lt,
        carryover_in_short=cst,
        carryover_in_long=clt,
        net_short_term=a,
        net_long_term=b,
        net=net,
        taxable_short_term=taxable_st,
        taxable_long_term=taxable_lt,
        deductible_against_ordinary=deduction,
        carryforward_short=carry_st,
        carryforward_long=carry_lt,
        limit=cap,
    )


def net_years(
    by_year: Mapping[int, tuple[Decimal, Decimal]],
    *,
    filing_status: str | FilingStatus = FilingStatus.SINGLE,
    carryover_short: Decimal | int | str = ZERO,
    carryover_long: Decimal | int | str = ZERO,
) -> dict[int, NettingResult]:
    """Net several years in order, carrying losses forward (KAT-23 two-year case).

    Parameters
    ----------
    by_year : mapping of int to (Decimal, Decimal)
        ``{year: (short_term, long_term)}`` realized gains. Years between the first and the last that are
        missing count as years without sales (a carried loss is still deducted in them).
    carryover_short, carryover_long : Decimal
        Carryovers into the first year (positive amounts).

    Returns
    -------
    dict of int to NettingResult
        Every year from the first to the last, in order.
    """
    if not by_year:
        return {}
    out: dict[int, NettingResult] = {}
    cst, clt = _dec(carryover_short, "carryover_short"), _dec(carryover_long, "carryover_long")
    for year in range(min(by_year), max(by_year) + 1):
        st, lt = by_year.get(year, (ZERO, ZERO))
        result = net_capital_gains(
            st, lt, carryover_short=cst, carryover_long=clt, filing_status=filing_status
        )
        out[year] = result
        cst, clt = result.carryforward_short, result.carryforward_long
    return out


def netted_tax(
    short_term: Decimal, long_term: Decimal, rates: TaxRates, *, limit: Decimal = Decimal(3000)
) -> Decimal:
    """Tax in dollars of one year's net short/long-term gains at flat rates, after netting.

    Net gains are taxed at ``rates.short_term`` / ``rates.long_term``; a deductible net loss saves
    ``rates.ordinary`` per dollar up to ``limit``; carryforwards are given no value. Used to price a sale
    by its marginal effect on the year (KAT-24b).
    """
    return net_capital_gains(short_term, long_term, limit=limit).tax(rates)
