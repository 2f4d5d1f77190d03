"""Smoke test of studies/tax_tradeoff.py on a tiny household (the full study is run by hand, see docs/tax.md)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pandas as pd

STUDY = Path(__file__).resolve().parents[2] / "studies" / "tax_tradeoff.py"


def _study():
    spec = importlib.util.spec_from_file_location("tax_tradeoff_study", STUDY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_tax_tradeoff_study_runs_on_tiny_inputs(tmp_path: Path) -> None:
    """Four stocks, two years of history, one date, two tax weights: every output is written and consistent."""
    study = _study()
    setup = study.Setup(years=(2021,), symbols=4, history_years=2, tax_weights=(0.0, 0.05, 30.0), bands=(0.02,))
    points, summary = study.run(setup, tmp_path, png=False)
    for name in ("tax_tradeoff.csv", "tax_tradeoff_summary.csv", "tax_tradeoff.html"):
        assert (tmp_path / name).stat().st_size > 0
    assert set(points.policy) == {"no trade", "tax-blind full", "tax-blind full min_tax", "band", "optimizer"}
    none = points[points.policy == "no trade"].iloc[0]
    assert none.tax == 0.0 and none.te_after == none.te_before
    blind = points[points.policy == "tax-blind full"].iloc[0]
    assert blind.te_after < 1e-4 < blind.te_before  # the full rebalance reaches the targets
    optimizer = points[points.policy == "optimizer"].set_index("parameter")
    assert optimizer.loc[30.0, "tax"] <= optimizer.loc[0.0, "tax"] + 1.0  # more tax weight, no more tax
    row = summary.iloc[0]
    assert row.date == blind.date and math.isclose(row.blind_tax, blind.tax)
    assert "Median reduction" in study.markdown(summary)
    assert pd.read_csv(tmp_path / "tax_tradeoff.csv").shape[0] == len(points)
