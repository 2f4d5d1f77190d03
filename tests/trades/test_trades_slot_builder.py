"""``domain.slots.slot_builder``: the hot paths' builder makes what the constructor makes, and refuses a
field list that would leave a field unset."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from trimtab.domain.lots import LotRelief, Term
from trimtab.domain.slots import slot_builder

NAMES = ("lot_id", "acquired", "quantity", "cost_basis", "proceeds", "term")


def test_builder_equals_constructor() -> None:
    build = slot_builder(LotRelief, NAMES)
    values = ("L1", date(2020, 1, 2), Decimal("3"), Decimal("30.00"), Decimal("45.00"), Term.LONG)
    built = build(*values)
    assert built == LotRelief(**dict(zip(NAMES, values)))
    assert type(built) is LotRelief
    with pytest.raises(AttributeError):  # still frozen
        built.quantity = Decimal("1")  # type: ignore[misc]


@pytest.mark.parametrize("names", [NAMES[:-1], NAMES + ("extra",), NAMES[:-1] + ("lot_id",)])
def test_builder_refuses_incomplete_or_repeated_fields(names: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="LotRelief has the fields"):
        slot_builder(LotRelief, names)
