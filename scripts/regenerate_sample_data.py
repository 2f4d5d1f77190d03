#!/usr/bin/env python
"""Rebuild ``src/trimtab/data/sample/`` from the pinned PyPI wheels (maintainers only; CI never runs it).

What it does (see ``src/trimtab/data/sample/SOURCES.md``):

1. finds ``skfolio==1.12.2`` and ``zipline-reloaded==3.2.1`` wheels in ``--wheels`` (or downloads them with
   ``pip download --no-deps --only-binary :all: --python-version 3.11 --platform manylinux2014_x86_64``,
   which gives the same files on any machine) and checks their sha256;
2. copies skfolio's three ``.csv.gz`` files and its LICENSE byte for byte;
3. reads zipline's ``treasury_curves.csv`` out of the zip (zipline is never installed), drops the UTC zone,
   keeps ``3month 10year 20year 30year`` and writes ``treasury_yields.csv.gz`` with gzip mtime 0, plus
   zipline's LICENSE;
4. checks every output against the sha256 recorded in SOURCES.md and writes into ``--out`` only when all
   match (``--force`` writes anyway, e.g. after a pandas upgrade changed the CSV bytes; then update
   SOURCES.md and ``tests/data/test_data_sample_files.py``).

Usage::

    python scripts/regenerate_sample_data.py --wheels /tmp/dl            # verify and write
    python scripts/regenerate_sample_data.py --wheels /tmp/dl --check    # verify only
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "trimtab" / "data" / "sample"

WHEELS = {
    "skfolio==1.12.2": ("skfolio-1.12.2-py3-none-any.whl",
                        "2d324c62a4188dc0b62a713f8d5cea177e208a5b45987e3d3f204dd56d3a669b"),
    "zipline-reloaded==3.2.1": ("zipline_reloaded-3.2.1-cp311-cp311-manylinux2014_x86_64"
                                ".manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
                                "6a41044a659379058ef7d059f4b44a7d405918f3267ef8577f23c831c8b62386"),
}
# output file -> (requirement, path inside the wheel or None when derived, sha256 of the output)
OUTPUTS = {
    "sp500_dataset.csv.gz": ("skfolio==1.12.2", "skfolio/datasets/data/sp500_dataset.csv.gz",
                             "ee21cac28befb1d0a739a9ceb22184f995394726aa0cfde9a21941d1ac04ac0d"),
    "sp500_index.csv.gz": ("skfolio==1.12.2", "skfolio/datasets/data/sp500_index.csv.gz",
                           "894c34431c284f86aa64a467e176e2a3c9b697c857eb9ab35006c2dd55d3fdf2"),
    "factors_dataset.csv.gz": ("skfolio==1.12.2", "skfolio/datasets/data/factors_dataset.csv.gz",
                               "6eb089953db90c9a38d3283582751701a90db6f59965847fd64b0578de497161"),
    "LICENSE-skfolio": ("skfolio==1.12.2", "skfolio-1.12.2.dist-info/licenses/LICENSE",
                        "07b8dfceb7b319e5145e7b1594d2cdaf94d924d78166d28951d4b360a4dc5844"),
    "treasury_yields.csv.gz": ("zipline-reloaded==3.2.1", None,
                               "d783ec61b8d72e6e9d3beeb2ca09c004758806c19e9b45785b3142fe8a0b5e24"),
    "LICENSE-zipline": ("zipline-reloaded==3.2.1", "zipline_reloaded-3.2.1.dist-info/licenses/LICENSE",
                        "e35c4578f7db4498e62e278978f6c42e0fce6f21f9993a060b08a33549cd3044"),
}
TREASURY_CSV = "zipline/resources/market_data/treasury_curves.csv"
TREASURY_CSV_SHA256 = "3e8e514f057011ae523e82071fcde62dfba70d37bc03c43b6c113c9eceaea4cf"
TREASURY_COLUMNS = ["3month", "10year", "20year", "30year"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(directory: Path) -> None:
    """Fetch the pinned wheels without installing them."""
    for requirement in WHEELS:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "--python-version", "3.11", "--platform", "manylinux2014_x86_64", requirement,
                        "-d", str(directory)], check=True)


def open_wheels(directory: Path) -> dict[str, zipfile.ZipFile]:
    wheels = {}
    for requirement, (filename, expected) in WHEELS.items():
        path = directory / filename
        if not path.is_file():
            sys.exit(f"{path} is missing; pass --wheels DIR holding {filename}, or omit --wheels to download")
        digest = sha256(path.read_bytes())
        if digest != expected:
            sys.exit(f"{path}: sha256 {digest} differs from the pinned {expected}")
        wheels[requirement] = zipfile.ZipFile(path)
    return wheels


def treasury_yields(wheel: zipfile.ZipFile) -> bytes:
    """Derived Treasury file: four columns, tz-naive ``YYYY-MM-DD`` dates, gzip with mtime 0."""
    raw = wheel.read(TREASURY_CSV)
    if sha256(raw) != TREASURY_CSV_SHA256:
        sys.exit(f"{TREASURY_CSV}: sha256 {sha256(raw)} differs from the pinned {TREASURY_CSV_SHA256}")
    curve = pd.read_csv(io.BytesIO(raw), index_col=0, parse_dates=True)
    curve.index = pd.DatetimeIndex(curve.index).tz_localize(None).rename("Date")
    with tempfile.TemporaryDirectory() as scratch:
        # gzip stores the output file name in its header: keep it fixed so the bytes are reproducible
        target = Path(scratch) / "treasury_yields.csv.gz"
        curve[TREASURY_COLUMNS].to_csv(target, date_format="%Y-%m-%d",
                                       compression={"method": "gzip", "mtime": 0})
        return target.read_bytes()


def build(wheels: dict[str, zipfile.ZipFile]) -> dict[str, bytes]:
    files = {}
    for name, (requirement, inner, _) in OUTPUTS.items():
        wheel = wheels[requirement]
        files[name] = treasury_yields(wheel) if inner is None else wheel.read(inner)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path,
                        help="directory holding the two pinned wheels (default: download them)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"target directory (default {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true", help="verify only; write nothing")
    parser.add_argument("--force", action="store_true", help="write even when an output hash differs")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        directory = args.wheels
        if directory is None:
            directory = Path(scratch)
            download(directory)
        files = build(open_wheels(directory))

    mismatched = []
    for name, data in files.items():
        expected = OUTPUTS[name][2]
        digest = sha256(data)
        status = "ok" if digest == expected else f"DIFFERS (expected {expected})"
        if digest != expected:
            mismatched.append(name)
        print(f"{name:24s} {len(data):>8,d} bytes  sha256 {digest}  {status}")
        current = args.out / name
        if current.is_file() and sha256(current.read_bytes()) != digest:
            print(f"{'':24s} the file in {args.out} differs from the rebuilt one")

    if args.check:
        return 1 if mismatched else 0
    if mismatched and not args.force:
        print(f"not written: {', '.join(mismatched)} differ from SOURCES.md (use --force, then update the "
              "hashes in SOURCES.md and tests/data/test_data_sample_files.py)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
