"""Bad input through the CLI: exit code 2, one line on stderr naming file and row/key, no traceback, nothing written.

Reuses the malformed-input table of the input layer (``tests/inputs/malformed_cases.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inputs"))
from malformed_cases import CASES, MalformedCase  # noqa: E402

from trimtab.cli.main import main  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("command", ["validate", "drift", "rebalance"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_malformed_input_exits_2_with_one_line(case: MalformedCase, command: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = case.write(tmp_path)
    output = tmp_path / "trades.csv"
    argv = [command, str(path)] + (["--output", str(output)] if command == "rebalance" else [])
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in captured.err
    for expected in case.expected:
        assert expected in lines[0], f"{expected!r} not in {lines[0]!r}"
    assert not output.exists()                   # nothing half-written


def test_at_least_twenty_malformed_inputs() -> None:
    assert len(CASES) >= 20


def test_unknown_policy_option_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rebalance", str(EXAMPLES / "simple" / "portfolio.yaml"), "--policy", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "threshold" in err and "Traceback" not in err


def test_missing_file_and_missing_argument_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    assert main(["rebalance"]) == 2


def test_output_folder_missing_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-folder" / "trades.csv"
    assert main(["rebalance", str(EXAMPLES / "family" / "portfolio.yaml"), "--output", str(target)]) == 2
    assert not target.parent.exists()


def test_console_script_exit_code_and_no_traceback(tmp_path: Path) -> None:
    """The installed entry point itself (a subprocess) exits 2 with one line on stderr."""
    case = next(c for c in CASES if c.id == CASES[0].id)
    path = case.write(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "trimtab.cli.main", "rebalance", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
