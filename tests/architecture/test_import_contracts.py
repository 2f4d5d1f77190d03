"""The import rule of DESIGN.md ("dependencies point one way"), enforced with import-linter.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``): a layers contract from ``cli`` down to
``errors | typing | units``, nothing in the package importing ``trimtab.testing``, and heavy third-party
libraries (cvxpy, gymnasium, stable-baselines3, torch, typer) kept out of the layers that must not need them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

importlinter_cli = pytest.importorskip("importlinter.cli", reason="import-linter is in the [test] extra")

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_kept(capsys: pytest.CaptureFixture[str]) -> None:
    """Every import-linter contract in pyproject.toml is kept (the report names any broken import chain)."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = importlinter_cli.lint_imports(
            config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True
        )
    finally:
        os.chdir(cwd)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "3 kept, 0 broken" in report
