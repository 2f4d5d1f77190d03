"""Fit the trading-cost parameters (half-spread, impact scale ``b``, optionally exponent ``alpha``) from fills.

Each execution's **implementation shortfall** against its arrival price, as a fraction of value (positive =
cost), is regressed on its size relative to volume and on volatility, in the form of the cost model of
:mod:`trimtab.models.costs` (cost per dollar traded ``a + b sigma (|u| / V)^(alpha - 1)``)::

    shortfall_i = side_i (price_i - arrival_i) / arrival_i = a + b sigma_i p_i^(alpha - 1) + e_i

with ``p_i = quantity_i / adv_i`` (participation: shares over average daily volume in shares) and ``sigma_i``
the daily volatility.  ``a`` is the half-spread (reported in basis points).

* ``alpha`` fixed (default 3/2): weighted least squares in closed form;
* ``alpha`` free (``alpha=None``): the residual sum of squares is profiled over ``alpha`` in [1, 2]
  (closed-form ``a``, ``b`` for each ``alpha``, bounded scalar minimisation), then the three are reported
  together (a non-linear least-squares fit).

Weights are ``1 / sigma_i^2``: the noise in a shortfall is mostly the price move between arrival and fill,
proportional to volatility.  Standard errors are heteroskedasticity-robust (sandwich, HC1, on the Jacobian at
the optimum); intervals are bootstrap percentile intervals (fills resampled with replacement, ``bootstrap``
times, seeded) or, with ``bootstrap=0``, ``estimate +- 1.96 * std_error``.

Without a ``sigma`` column the impact term is ``c p^(alpha - 1)`` and ``c`` (= ``b`` times the typical
volatility) is reported as ``impact_coefficient``; without ``adv`` only the half-spread is fitted.

Fills CSV: ``date,symbol,side,quantity,price,arrival_price[,adv,sigma]`` with ``side`` ``buy`` or ``sell``,
``quantity`` shares (> 0), prices in dollars (> 0), ``adv`` shares per day (> 0), ``sigma`` daily volatility
as a fraction (>= 0).  Bad rows raise :class:`FillsFileError` naming the file, line and column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar  # type: ignore[import-untyped]

from trimtab.errors import InputError, SourceRef
from trimtab.typing import FloatArray

__all__ = [
    "CostFit",
    "Fills",
    "FillsFileError",
    "FittedParameter",
    "fit_costs",
    "fit_costs_file",
    "read_fills",
    "simulate_fills",
]

REQUIRED = ("date", "symbol", "side", "quantity", "price", "arrival_price")
OPTIONAL = ("adv", "sigma")
Z95 = 1.959963984540054


class FillsFileError(InputError):
    """A bad fills CSV (file, line, column)."""


@dataclass(frozen=True)
class Fills:
    """Executions as arrays, one entry per fill.

    ``side`` is +1 (buy) or -1 (sell); ``adv`` and ``sigma`` are ``None`` when the file has no such column.
    """

    symbol: tuple[str, ...]
    side: FloatArray
    quantity: FloatArray
    price: FloatArray
    arrival_price: FloatArray
    adv: FloatArray | None = None
    sigma: FloatArray | None = None

    @property
    def n(self) -> int:
        """Number of fills."""
        return int(self.side.size)

    @property
    def shortfall(self) -> FloatArray:
        """``side (price - arrival) / arrival``: cost as a fraction of value, shape (n,)."""
        return self.side * (self.price - self.arrival_price) / self.arrival_price

    @property
    def participation(self) -> FloatArray | None:
        """``quantity / adv``, shape (n,), or None without ADV."""
        return None if self.adv is None else self.quantity / self.adv

    def take(self, index: np.ndarray) -> Fills:
        """The fills at ``index`` (for resampling)."""
        return Fills(
            symbol=tuple(self.symbol[i] for i in index),
            side=self.side[index],
            quantity=self.quantity[index],
            price=self.price[index],
            arrival_price=self.arrival_price[index],
            adv=None if self.adv is None else self.adv[index],
            sigma=None if self.sigma is None else self.sigma[index],
        )


def _cell(row: dict[str, str], key: str, path: str, line: int, *, positive: bool = True) -> float:
    text = (row.get(key) or "").strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (value <= 0 if positive else value < 0):
        raise FillsFileError(
            f"{key} must be a number {'> 0' if positive else '>= 0'}",
            got=text,
            fix="correct or delete the row",
            where=SourceRef(path, line, key),
        )
    return value


def read_fills(path: str | Path) -> Fills:
    """Read a fills CSV (see the module docstring).

    Raises
    ------
    FillsFileError
        Missing columns, bad values (naming line and column), no rows, or ``adv``/``sigma`` given on some
        rows only.
    """
    name = str(path)
    try:
        handle = open(path, newline="")  # noqa: SIM115 - closed below
    except OSError as err:
        raise FillsFileError(
            "cannot read the fills file", got=name, fix=str(err.strerror or err), where=SourceRef(name)
        ) from None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise FillsFileError(
                f"the fills file needs the columns {', '.join(REQUIRED)}",
                got=header,
                fix=f"add {', '.join(missing)}",
                where=SourceRef(name, 1),
            )
        columns: dict[str, list[float]] = {
            k: [] for k in ("side", "quantity", "price", "arrival_price", *OPTIONAL)
        }
        symbols: list[str] = []
        present = {k: k in header for k in OPTIONAL}
        for line, row in enumerate(reader, start=2):
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            try:
                date.fromisoformat((row["date"] or "").strip()[:10])
            except ValueError:
                raise FillsFileError(
                    "date must be YYYY-MM-DD",
                    got=row["date"],
                    fix="e.g. 2024-03-15",
                    where=SourceRef(name, line, "date"),
                ) from None
            symbol = (row["symbol"] or "").strip()
            if not symbol:
                raise FillsFileError(
                    "symbol is empty",
                    got=row["symbol"],
                    fix="give the ticker",
                    where=SourceRef(name, line, "symbol"),
                )
            side = (row["side"] or "").strip().lower()
            if side not in ("buy", "sell"):
                raise FillsFileError(
                    "side must be buy or sell",
                    got=row["side"],
                    fix="write buy or sell",
                    where=SourceRef(name, line, "side"),
                )
            symbols.append(symbol)
            columns["side"].append(1.0 if side == "buy" else -1.0)
            for key in ("quantity", "price", "arrival_price"):
                columns[key].append(_cell(row, key, name, line))
            for key in OPTIONAL:
                if not present[key]:
                    continue
                if not (row.get(key) or "").strip():
                    raise FillsFileError(
                        f"{key} is empty on this row but given on others",
                        got="",
                        fix=f"give {key} on every row or drop the column",
                        where=SourceRef(name, line, key),
                    )
                columns[key].append(_cell(row, key, name, line, positive=key == "adv"))
    if not symbols:
        raise FillsFileError(
            "the fills file has no rows", got=name, fix="add executions", where=SourceRef(name)
        )
    arrays = {k: np.array(v, dtype=float) for k, v in columns.items()}
    return Fills(
        symbol=tuple(symbols),
        side=arrays["side"],
        quantity=arrays["quantity"],
        price=arrays["price"],
        arrival_price=arrays["arrival_price"],
        adv=arrays["adv"] if present["adv"] else None,
        sigma=arrays["sigma"] if present["sigma"] else None,
    )


@dataclass(frozen=True)
class FittedParameter:
    """One estimate: ``name``, value, robust standard error (None when not computed), 95 % interval."""

    name: str
    estimate: float
    std_error: float | None
    low: float
    high: float
    unit: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "estimate": _r(self.estimate),
            "std_error": None if self.std_error is None else _r(self.std_error),
            "interval_95": [_r(self.low), _r(self.high)],
            "unit": self.unit,
        }


def _r(x: float) -> float:
    return float(f"{x:.6g}")


@dataclass(frozen=True)
class CostFit:
    """The fitted cost parameters and the quality of the fit."""

    parameters: tuple[FittedParameter, ...]
    n_fills: int
    r_squared: float
    residual_std_bp: float
    interval: str
    notes: tuple[str, ...] = field(default=())

    def get(self, name: str) -> FittedParameter:
        """The parameter called ``name`` (``half_spread_bps``, ``b``, ``impact_coefficient``, ``alpha``)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def costs_section(self) -> dict[str, Any]:
        """The portfolio file's ``costs:`` keys these estimates give."""
        names = {p.name: p.estimate for p in self.parameters}
        out: dict[str, Any] = {"half_spread_bps": round(max(names["half_spread_bps"], 0.0), 3)}
        if "b" in names:
            out["impact"] = {"b": round(max(names["b"], 0.0), 4), "alpha": round(names.get("alpha", 1.5), 4)}
        return out

    def summary_lines(self) -> list[str]:
        """Plain sentences for the terminal."""
        lines = [
            f"R² {self.r_squared:.3f}, residual std {self.residual_std_bp:.1f} bp; intervals: {self.interval}",
            f"costs section: {self.costs_section()}",
        ]
        return lines + list(self.notes)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON document of ``trimtab fit-costs --json``."""
        return {
            "n_fills": self.n_fills,
            "parameters": {p.name: p.to_json() for p in self.parameters},
            "r_squared": _r(self.r_squared),
            "residual_std_bp": _r(self.residual_std_bp),
            "interval": self.interval,
            "costs": self.costs_section(),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------------- fitting
def _design(fills: Fills, alpha: float, with_sigma: bool) -> FloatArray | None:
    p = fills.participation
    if p is None:
        return None
    x = p ** (alpha - 1.0)
    return x * fills.sigma if with_sigma and fills.sigma is not None else x


def _weights(fills: Fills) -> FloatArray:
    if fills.sigma is None:
        return np.ones(fills.n)
    s = np.maximum(fills.sigma, 1e-6)
    w = 1.0 / s**2
    return np.asarray(w / w.mean(), dtype=float)


def _wls(y: FloatArray, cols: list[FloatArray], w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Coefficients and residuals of weighted least squares."""
    x = np.column_stack(cols)
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
    return np.asarray(beta, dtype=float), np.asarray(y - x @ beta, dtype=float)


def _fit_once(fills: Fills, alpha: float | None) -> dict[str, float]:
    """Point estimates: ``a`` and, when identified, the impact coefficient and ``alpha``."""
    y, w = fills.shortfall, _weights(fills)
    ones = np.ones(fills.n)
    with_sigma = fills.sigma is not None
    if fills.adv is None:
        beta, _ = _wls(y, [ones], w)
        return {"a": float(beta[0])}

    def rss(al: float) -> float:
        x = _design(fills, al, with_sigma)
        assert x is not None
        _, resid = _wls(y, [ones, x], w)
        return float(np.sum(w * resid**2))

    if alpha is None:
        grid = np.linspace(1.0, 2.0, 21)
        best = grid[int(np.argmin([rss(g) for g in grid]))]
        lo, hi = max(1.0, best - 0.05), min(2.0, best + 0.05)
        alpha = (
            float(minimize_scalar(rss, bounds=(lo, hi), method="bounded", options={"xatol": 1e-7}).x)
            if hi > lo
            else float(best)
        )
        fitted_alpha = True
    else:
        fitted_alpha = False
    x = _design(fills, alpha, with_sigma)
    assert x is not None
    beta, _ = _wls(y, [ones, x], w)
    out = {"a": float(beta[0]), "c": float(beta[1])}
    if fitted_alpha:
        out["alpha"] = alpha
    return out


def _robust_se(fills: Fills, est: dict[str, float], alpha: float) -> tuple[FloatArray, float, float]:
    """HC1 sandwich standard errors of (a, c[, alpha]) from the Jacobian at the estimate; R², residual std."""
    y, w = fills.shortfall, _weights(fills)
    n = fills.n
    cols = [np.ones(n)]
    fitted = np.full(n, est["a"])
    if "c" in est:
        x = _design(fills, alpha, fills.sigma is not None)
        assert x is not None
        cols.append(x)
        fitted = fitted + est["c"] * x
        if "alpha" in est:
            p = fills.participation
            assert p is not None
            cols.append(est["c"] * x * np.log(p))
    jac = np.column_stack(cols)
    resid = y - fitted
    k = jac.shape[1]
    bread = np.linalg.pinv(jac.T @ (w[:, None] * jac))
    meat = jac.T @ ((w**2 * resid**2)[:, None] * jac) * n / max(n - k, 1)
    cov = bread @ meat @ bread
    ybar = np.sum(w * y) / np.sum(w)
    r2 = 1.0 - float(np.sum(w * resid**2)) / float(np.sum(w * (y - ybar) ** 2)) if n > 1 else 0.0
    return np.sqrt(np.clip(np.diag(cov), 0.0, None)), r2, float(np.std(resid, ddof=min(k, n - 1)))


def fit_costs(fills: Fills, *, alpha: float | None = 1.5, bootstrap: int = 200, seed: int = 0) -> CostFit:
    """Fit the cost parameters (see the module docstring).

    Parameters
    ----------
    fills : Fills
        Executions (:func:`read_fills`).
    alpha : float or None
        Impact exponent held fixed, in [1, 2]; ``None`` fits it too.
    bootstrap : int
        Resamples for the percentile intervals; 0 gives normal intervals from the robust standard errors.
    seed : int
        Seed of the resampling.

    Raises
    ------
    FillsFileError
        Too few fills for the parameters, or an ``alpha`` outside [1, 2].
    """
    if alpha is not None and not (math.isfinite(alpha) and 1.0 <= alpha <= 2.0):
        raise FillsFileError(
            "alpha must be between 1 and 2", got=alpha, fix="use 1.5, or fit it", where=SourceRef("--alpha")
        )
    k = 1 if fills.adv is None else (3 if alpha is None else 2)
    if fills.n < k + 2:
        raise FillsFileError(
            f"fitting {k} parameters needs at least {k + 2} fills",
            got=fills.n,
            fix="add executions",
            where=SourceRef("fills"),
        )
    est = _fit_once(fills, alpha)
    used_alpha = float(est.get("alpha", alpha if alpha is not None else 1.5))
    se, r2, resid_std = _robust_se(fills, est, used_alpha)
    names = ["a"] + (["c"] if "c" in est else []) + (["alpha"] if "alpha" in est else [])
    values = np.array([est[n] for n in names])
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(int(bootstrap)):
            sample = fills.take(rng.integers(0, fills.n, fills.n))
            again = _fit_once(sample, alpha)
            draws.append([again[n] for n in names])
        lows, highs = np.percentile(np.array(draws), [2.5, 97.5], axis=0)
        interval = f"bootstrap percentile, {bootstrap} resamples (seed {seed})"
    else:
        lows, highs = values - Z95 * se, values + Z95 * se
        interval = "normal, robust (HC1) standard errors"
    with_sigma = fills.sigma is not None
    display = {
        "a": ("half_spread_bps", 1e4, "basis points"),
        "c": ("b", 1.0, "dimensionless")
        if with_sigma
        else ("impact_coefficient", 1.0, "fraction per p^(alpha-1)"),
        "alpha": ("alpha", 1.0, ""),
    }
    params = tuple(
        FittedParameter(
            display[n][0],
            display[n][1] * float(values[i]),
            display[n][1] * float(se[i]),
            display[n][1] * float(lows[i]),
            display[n][1] * float(highs[i]),
            display[n][2],
        )
        for i, n in enumerate(names)
    )
    notes: list[str] = []
    if fills.adv is None:
        notes.append("no adv column: market impact is not identified; only the half-spread was fitted")
    elif not with_sigma:
        notes.append("no sigma column: impact_coefficient is b times the typical daily volatility")
    if "alpha" not in est and fills.adv is not None:
        notes.append(f"alpha held at {used_alpha:g} (use --fit-alpha to estimate it)")
    return CostFit(params, fills.n, r2, 1e4 * resid_std, interval, tuple(notes))


def fit_costs_file(
    path: str | Path, *, alpha: float | None = 1.5, bootstrap: int = 200, seed: int = 0
) -> CostFit:
    """:func:`read_fills` then :func:`fit_costs`."""
    return fit_costs(read_fills(path), alpha=alpha, bootstrap=bootstrap, seed=seed)


def simulate_fills(
    n: int,
    *,
    half_spread_bps: float,
    b: float,
    alpha: float = 1.5,
    noise: float = 0.1,
    seed: int = 0,
    symbols: Sequence[str] = ("AAA", "BBB", "CCC", "DDD"),
) -> Fills:
    """Fills drawn from the model (for tests and examples).

    Participation log-uniform in [0.1 %, 20 %], daily volatility uniform in [1 %, 4 %], arrival prices around
    $50, sides at random; the shortfall is the model's cost plus ``noise * sigma * N(0, 1)`` (the price move
    between arrival and fill, a fraction ``noise`` of a day's volatility).
    """
    rng = np.random.default_rng(seed)
    p = np.exp(rng.uniform(math.log(1e-3), math.log(0.2), n))
    sigma = rng.uniform(0.01, 0.04, n)
    adv = rng.uniform(1e5, 1e7, n)
    quantity = np.maximum(np.round(p * adv), 1.0)
    p = quantity / adv
    side = rng.choice([-1.0, 1.0], n)
    arrival = rng.uniform(20.0, 80.0, n)
    shortfall = (
        half_spread_bps * 1e-4 + b * sigma * p ** (alpha - 1.0) + noise * sigma * rng.standard_normal(n)
    )
    price = arrival * (1.0 + side * shortfall)
    return Fills(
        symbol=tuple(symbols[i % len(symbols)] for i in range(n)),
        side=side,
        quantity=quantity,
        price=price,
        arrival_price=arrival,
        adv=adv,
        sigma=sigma,
    )
