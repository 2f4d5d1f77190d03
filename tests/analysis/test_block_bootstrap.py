"""Moving-block bootstrap interval of a mean (trimtab.analysis.bootstrap).

Known answers are derived (no KAT entry): the i.i.d. bootstrap of a mean has variance ``s^2 / n`` with
``s^2`` the sample variance with divisor ``n`` (Efron & Tibshirani 1993, sec. 5.2), so its percentile interval
is ``mean +- z s / sqrt(n)`` for near-normal data; the moving-block bootstrap with ``k = n / b`` blocks has
variance ``Var(block means over the n - b + 1 starts) / k`` (Lahiri 2003, sec. 2.5 -- the blocks are i.i.d.
draws from the start positions).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trimtab.analysis.bootstrap import block_bootstrap_ci, block_bootstrap_means
from trimtab.errors import InputError

Z95 = 1.6448536269514722  # standard normal 95 % quantile (90 % two-sided)


# -- known answers ------------------------------------------------------------------------------------------
def test_iid_block_one_matches_normal_interval_of_the_mean() -> None:
    """block=1 is the i.i.d. bootstrap: 90 % interval = mean +- 1.645 s/sqrt(n) (s with divisor n).

    Monte-Carlo error of a 5 % quantile from 20,000 resamples is about 0.015 standard errors; 0.08 allowed.
    """
    x = np.random.default_rng(11).normal(0.003, 0.02, size=400)
    se = x.std(ddof=0) / math.sqrt(x.size)
    lo, hi = block_bootstrap_ci(x, block=1, n_resamples=20_000, level=0.90, seed=1)
    assert lo == pytest.approx(x.mean() - Z95 * se, abs=0.08 * se)
    assert hi == pytest.approx(x.mean() + Z95 * se, abs=0.08 * se)


def test_iid_block_one_matches_percentile_bootstrap_loop() -> None:
    """The same interval as the textbook loop (draw n with replacement, take the mean, percentiles)."""
    x = np.random.default_rng(5).standard_t(df=4, size=150)
    rng = np.random.default_rng(99)
    reference = np.quantile([rng.choice(x, size=x.size).mean() for _ in range(20_000)], [0.05, 0.95])
    se = x.std(ddof=0) / math.sqrt(x.size)
    lo, hi = block_bootstrap_ci(x, block=1, n_resamples=20_000, level=0.90, seed=3)
    assert lo == pytest.approx(reference[0], abs=0.08 * se)
    assert hi == pytest.approx(reference[1], abs=0.08 * se)


def test_block_variance_matches_lahiri_formula() -> None:
    """n = 120, b = 12, k = 10 blocks: Var* of the mean = Var(block means over the 109 starts) / 10."""
    x = np.cumsum(np.random.default_rng(2).normal(size=120)) * 0.01  # strongly dependent series
    b = 12
    block_means = np.array([x[s : s + b].mean() for s in range(x.size - b + 1)])
    expected = block_means.var(ddof=0) / (x.size // b)
    means = block_bootstrap_means(x, block=b, n_resamples=40_000, seed=4)
    # the variance of a sample variance from 40,000 draws: relative error about sqrt(2 / 40,000) = 0.7 %
    assert means.var() == pytest.approx(expected, rel=0.04)
    assert means.mean() == pytest.approx(block_means.mean(), abs=4 * math.sqrt(expected / 40_000))


def test_constant_series_gives_zero_width_interval() -> None:
    lo, hi = block_bootstrap_ci(np.full(60, 0.0025), block=12, n_resamples=500, level=0.9, seed=0)
    assert lo == pytest.approx(0.0025, abs=1e-15)
    assert hi == pytest.approx(0.0025, abs=1e-15)


def test_block_of_the_whole_series_gives_the_sample_mean() -> None:
    """b = n: the only block is the series itself, so every resample is the series."""
    x = np.random.default_rng(8).normal(size=37)
    lo, hi = block_bootstrap_ci(x, block=37, n_resamples=200, level=0.9, seed=0)
    assert lo == pytest.approx(x.mean(), abs=1e-14)
    assert hi == pytest.approx(x.mean(), abs=1e-14)


def test_reproducible_with_a_seed() -> None:
    x = np.random.default_rng(0).normal(size=200)
    first = block_bootstrap_ci(x, block=12, n_resamples=1000, level=0.9, seed=42)
    assert block_bootstrap_ci(x, block=12, n_resamples=1000, level=0.9, seed=42) == first
    assert block_bootstrap_ci(x, block=12, n_resamples=1000, level=0.9, seed=43) != first


def test_longer_blocks_widen_the_interval_of_a_trending_series() -> None:
    """Positively autocorrelated data: i.i.d. resampling understates the spread of the mean."""
    x = np.cumsum(np.random.default_rng(6).normal(size=240))
    iid = block_bootstrap_ci(x, block=1, n_resamples=4000, level=0.9, seed=0)
    blocks = block_bootstrap_ci(x, block=24, n_resamples=4000, level=0.9, seed=0)
    assert blocks[1] - blocks[0] > 2 * (iid[1] - iid[0])


@pytest.mark.parametrize(
    ("x", "kwargs", "message"),
    [
        ([], {}, "empty"),
        ([0.1, float("nan"), 0.2], {"block": 1}, "NaN"),
        ([0.1, 0.2, 0.3], {"block": 4}, "block"),
        ([0.1, 0.2, 0.3], {"block": 0}, "block"),
        ([0.1, 0.2, 0.3], {"block": 1, "n_resamples": 0}, "n_resamples"),
        ([0.1, 0.2, 0.3], {"block": 1, "level": 1.0}, "level"),
    ],
)
def test_bad_inputs_raise_input_error(x: list[float], kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        block_bootstrap_ci(np.array(x), **kwargs)  # type: ignore[arg-type]


# -- properties ---------------------------------------------------------------------------------------------
_series = st.lists(
    st.floats(min_value=-1.0, max_value=1.0, allow_nan=False, allow_subnormal=False), min_size=2, max_size=80
)


@settings(max_examples=60, deadline=None)
@given(x=_series, seed=st.integers(0, 2**32 - 1))
def test_iid_interval_contains_the_sample_mean(x: list[float], seed: int) -> None:
    """block=1: the bootstrap means centre on the sample mean, so a 90 % interval holds it."""
    values = np.array(x)
    lo, hi = block_bootstrap_ci(values, block=1, n_resamples=400, level=0.9, seed=seed)
    tol = 1e-12 * (1.0 + float(np.abs(values).max()))
    assert lo - tol <= values.mean() <= hi + tol


@settings(max_examples=60, deadline=None)
@given(x=st.lists(st.floats(-1.0, 1.0, allow_subnormal=False), min_size=24, max_size=120),
       block=st.integers(1, 6), seed=st.integers(0, 1000))
def test_block_interval_contains_the_sample_mean(x: list[float], block: int, seed: int) -> None:
    """Blocks of at most a quarter of the series (as used: 12 of 130..200 months) keep the mean inside."""
    values = np.array(x)
    lo, hi = block_bootstrap_ci(values, block=block, n_resamples=400, level=0.9, seed=seed)
    tol = 1e-12 * (1.0 + float(np.abs(values).max()))
    assert lo - tol <= values.mean() <= hi + tol


@settings(max_examples=40, deadline=None)
@given(x=_series, scale=st.floats(0.01, 100.0), shift=st.floats(-10.0, 10.0), block=st.integers(1, 2))
def test_interval_moves_with_affine_changes(x: list[float], scale: float, shift: float, block: int) -> None:
    """Same seed: the interval of ``a x + c`` is ``a`` times the interval of ``x`` plus ``c`` (a > 0)."""
    values = np.array(x)
    lo, hi = block_bootstrap_ci(values, block=block, n_resamples=300, level=0.8, seed=7)
    lo2, hi2 = block_bootstrap_ci(scale * values + shift, block=block, n_resamples=300, level=0.8, seed=7)
    assert lo2 == pytest.approx(scale * lo + shift, abs=1e-9 * (1 + abs(shift) + scale))
    assert hi2 == pytest.approx(scale * hi + shift, abs=1e-9 * (1 + abs(shift) + scale))
