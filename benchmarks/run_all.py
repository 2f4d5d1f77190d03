"""Run every benchmark in this folder, one process each, with BLAS pinned to one thread.

Each benchmark prints ratios against a reference measured in the same run (a raw solver, a bare numpy loop,
cvxportfolio); results are recorded in docs/optimizer.md and docs/backtest.md.

Run: ``make bench`` (installs the ``bench`` extra first) or ``.venv/bin/python benchmarks/run_all.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Extra arguments per benchmark (``make bench`` installs cvxportfolio, the backtest's reference).
ARGUMENTS = {"bench_backtest.py": ["--cvxportfolio"]}


def main() -> int:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        command = [sys.executable, str(script), *ARGUMENTS.get(script.name, [])]
        if subprocess.run(command, env=env, check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
