"""Every malformed input gives the right InputError subclass with a one-line message naming file and row/key."""

from __future__ import annotations

from pathlib import Path

import pytest
from malformed_cases import CASES, MalformedCase

from trimtab.data.portfolio_file import load_portfolio
from trimtab.errors import InputError


def test_table_is_large_and_ids_unique() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_malformed_input_gives_one_line_message(case: MalformedCase, tmp_path: Path) -> None:
    path = case.write(tmp_path)
    with pytest.raises(InputError) as info:
        load_portfolio(path)
    err = info.value
    message = str(err)
    assert type(err) is case.error, f"{case.id}: {type(err).__name__}: {message}"
    assert "\n" not in message
    for expected in case.expected:
        assert expected in message, f"{case.id}: {expected!r} not in {message!r}"
    assert "Fix: " in message                   # every message says how to fix it
    assert err.where is not None and err.where.file   # and names the file
