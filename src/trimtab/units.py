"""Decimal quantizing and the only two float <-> Decimal edges.

Money and quantities in the book, lots, trades and orders are :class:`~decimal.Decimal`; models use floats.
Convert with :func:`to_float` (Decimal -> model) and :func:`to_decimal` (model -> book), nowhere else.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "CENT",
    "SHARE_DP",
    "ZERO",
    "money",
    "parse_decimal",
    "quantity",
    "round_down_to",
    "to_decimal",
    "to_float",
]

ZERO = Decimal("0")
CENT = Decimal("0.01")
#: Quantities carry at most this many decimal places (fractional shares).
SHARE_DP = Decimal("0.000001")


def to_float(value: Decimal | int | float) -> float:
    """Decimal (book) -> float (models)."""
    return float(value)


def to_decimal(value: float | int | str | Decimal, places: Decimal | None = None) -> Decimal:
    """Float (models) -> Decimal (book), optionally quantized (half-even).

    Goes through ``repr`` so that ``0.1`` becomes ``Decimal('0.1')``, not its binary expansion.
    """
    if isinstance(value, Decimal):
        out = value
    elif isinstance(value, float):
        out = Decimal(repr(value))
    else:
        out = Decimal(value)
    return out.quantize(places, rounding=ROUND_HALF_EVEN) if places is not None else out


def money(value: Decimal | float | int | str) -> Decimal:
    """Round an amount of dollars to cents (half up, as brokers print)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Decimal | float | int | str) -> Decimal:
    """Normalize a share quantity to at most six decimal places, rounding toward zero."""
    return to_decimal(value).quantize(SHARE_DP, rounding=ROUND_DOWN)


def round_down_to(value: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` not above ``value`` (for ``value >= 0``); ``step > 0``."""
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def parse_decimal(text: object) -> Decimal | None:
    """Parse user text as a finite Decimal; ``None`` when it is not a number."""
    if isinstance(text, bool):
        return None
    if isinstance(text, float):
        text = repr(text)
    try:
        out = Decimal(str(text).strip().replace(",", "")) if not isinstance(text, Decimal) else text
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() else None
