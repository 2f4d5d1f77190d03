"""Moving-block bootstrap confidence interval of a mean (e.g. of monthly return differences).

:func:`block_bootstrap_ci` resamples a series in overlapping blocks of ``block`` consecutive observations
(Kuensch 1989; Lahiri 2003, ch. 2): each resample joins ``ceil(n / block)`` blocks whose starts are drawn
uniformly from the ``n - block + 1`` possible ones, cut to ``n`` values, and its mean is taken; the
interval is the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of those means (percentile interval).
Blocks keep the serial dependence within them (a month's return difference is correlated with the next
one's when two policies hold different portfolios for a while), which an i.i.d. bootstrap would ignore and
so understate the spread; ``block=1`` is the ordinary i.i.d. bootstrap of the mean.
"""

from __future__ import annotations

import math

import numpy as np

from trimtab.errors import InputError
from trimtab.typing import FloatArray

__all__ = ["block_bootstrap_ci", "block_bootstrap_means"]


def block_bootstrap_means(x: FloatArray, *, block: int, n_resamples: int, seed: int | None = 0) -> FloatArray:
    """Means of ``n_resamples`` moving-block resamples of ``x``, shape (n_resamples,).

    Parameters are those of :func:`block_bootstrap_ci`.
    """
    values = np.asarray(x, dtype=float).reshape(-1)
    n = values.size
    if n == 0:
        raise InputError("block bootstrap: the series is empty", fix="pass at least one observation")
    if not np.all(np.isfinite(values)):
        raise InputError(
            "block bootstrap: the series has NaN or infinite values",
            got=int(np.count_nonzero(~np.isfinite(values))),
            fix="drop or fill them first",
        )
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or not 1 <= block <= n:
        raise InputError("block bootstrap: block must be a whole number from 1 to the series' length",
                         got=block, fix=f"use 1..{n}, e.g. 12 for monthly data")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer) or n_resamples < 1:
        raise InputError("block bootstrap: n_resamples must be a positive whole number", got=n_resamples,
                         fix="e.g. 2000")
    rng = np.random.default_rng(seed)
    blocks = math.ceil(n / block)
    starts = rng.integers(0, n - block + 1, size=(int(n_resamples), blocks))
    # (resamples, blocks, block) indices of consecutive runs, joined and cut to n values per resample
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(int(n_resamples), -1)[:, :n]
    return np.asarray(values[index].mean(axis=1), dtype=float)


def block_bootstrap_ci(
    x: FloatArray, block: int = 12, n_resamples: int = 2000, level: float = 0.90, seed: int | None = 0
) -> tuple[float, float]:
    """Percentile interval of the mean of ``x`` by a moving-block bootstrap (see the module docstring).

    Parameters
    ----------
    x : array_like of shape (n,)
        The series, e.g. monthly differences of two policies' returns (fractions per period). Its mean is
        the statistic; to annualize monthly means, multiply the bounds by 12.
    block : int
        Length of each block, in observations (1 to n); 1 is the i.i.d. bootstrap.
    n_resamples : int
        Number of resamples.
    level : float
        Coverage of the interval, in (0, 1), e.g. 0.90.
    seed : int or None
        Seed of the generator (the same seed gives the same interval).

    Returns
    -------
    (float, float)
        Lower and upper bound, in the units of ``x`` (per observation).

    Raises
    ------
    InputError
        Empty or non-finite ``x``, ``block`` outside 1..n, ``n_resamples`` < 1, ``level`` outside (0, 1).
    """
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise InputError("block bootstrap: level must be between 0 and 1", got=level, fix="e.g. 0.90")
    means = block_bootstrap_means(x, block=block, n_resamples=n_resamples, seed=seed)
    tail = (1.0 - float(level)) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return float(lo), float(hi)
