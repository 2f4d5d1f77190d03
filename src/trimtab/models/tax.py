# mypy: disable-error-code="attr-defined,no-any-return,no-untyped-call,import-untyped"
"""Realized-gain tax as an optimizer term, and a budget on the net realized gain.

The household optimizer trades weights ``z`` (buys positive).  How a household sell becomes sells of tax
lots is the trade planner's ``tax_aware`` placement (:mod:`trimtab.trades.location`), and this module models
exactly that:

1. a sell of symbol ``s`` is taken first from its holdings in tax-deferred/exempt accounts ("sheltered",
   ``r_max`` as a weight: no tax);
2. the rest, ``x = max(0, -z v - N)`` dollars (``N = r_max v``), comes from the taxable lots of every taxable
   account, cheapest tax per share first, i.e. ``min_tax`` relief over the union of the taxable lots (the
   planner merges the accounts by per-share tax, so several taxable accounts are exact too);
3. its tax is the minimal-tax curve ``L_s(x / p)`` of :func:`trimtab.tax.relief.realized_gain_curve`: lot
   ``j`` sold costs ``tau_j (p - b_j)`` per share (losses count at their own rate; no netting, no $3,000
   limit: the year's netting is not convex, KAT-24b).

So the tax of a trade is ``h(z) = sum_s L_s(max(0, -z_s v - N_s) / p_s) / v`` (fraction of value).
``h`` is **not convex** as soon as a symbol has a lot at a loss: ``L_s`` first falls (losses), so ``h`` has a
concave kink at ``z_s = 0`` (and at ``z_s = -N_s / v``).  The convex problem therefore works on *cells*: each
symbol is in one of three cells (:class:`TradeCell`), and the trade is split into non-negative parts

``z = buy - sheltered - taxable``,   ``0 <= buy <= B_max``,   ``r_lo <= sheltered <= r_hi``,
``0 <= taxable <= q_hi``

with bounds (Parameters) set per cell:

=============== ================ ============================ ===========================================
cell            ``buy``          ``sheltered``                ``taxable``
=============== ================ ============================ ===========================================
BUY             ``<= B_max``     0                            0
SELL_SHELTERED  0                ``0 .. r_max``               0
SELL_TAXABLE    0                ``= r_max`` (all sold first) ``0 .. q_max``
relaxed         ``<= B_max``     ``0 .. r_max``               ``0 .. q_max``
=============== ================ ============================ ===========================================

In every cell the parts are a function of ``z`` (BUY: ``buy = z``; SELL_SHELTERED: ``sheltered = -z``;
SELL_TAXABLE: ``taxable = -z - r_max``) and the tax is ``t_s >= A_sk taxable_s + C_sk`` for the affine pieces
of ``L_s`` (:meth:`~trimtab.tax.relief.GainCurve.affine_pieces`, rescaled to weights: ``A = slope / p``,
``C = intercept / v``).  ``L_s`` is convex and is composed with an affine map of ``z`` inside a cell, so
the problem is convex in each cell and its tax equals ``h(z)`` exactly.  The *relaxed* cell (all bounds
open) is convex too, is a lower bound of ``h`` (it may sell a loss lot and buy it back: a wash sale),
and serves only to choose the cells: :func:`initial_cells` reads them off the relaxed trades, and the policy
then re-solves with the cells fixed and tries moving harvestable symbols to ``SELL_TAXABLE``
(Moehle, Kochenderfer, Boyd & Ang 2021: fixing each asset's direction makes the problem convex; KAT-25).
All of it is one compiled DPP problem: a cell is only Parameter values.

Terms and constraints:

* :class:`LotTax` -- exact: ``evaluate`` relieves the taxable lots with the lot engine
  (the lots in :func:`trimtab.tax.relief.order_lots`'s ``min_tax`` order, taken whole in turn as
  :func:`~trimtab.tax.relief.plan_relief` does) and ``to_cvxpy`` is the epigraph of the same curve;
  they agree everywhere inside a cell (``trimtab.testing.checks.check_term``).
* :class:`TaxProxy` -- the same convex form when lots are relieved by another method (FIFO, HIFO, ...):
  ``evaluate`` is the tax under that method, the convex form its ``min_tax`` lower bound (named a proxy;
  the gap is ``>= 0`` and tested).
* :class:`RealizedGainAtMost` -- ``net realized gain <= limit`` dollars.  The gain of the minimal-tax sale
  is piecewise linear but not convex in ``x`` (a long-term lot with a large gain can precede a
  short-term lot with a smaller one), so the constraint uses a convex *majorant* (slopes replaced by their
  running maximum): the gain the planner realizes never exceeds the limit; the constraint can bind a
  little early when the order mixes terms.

Data travels in ``ProblemData.extras``: ``extras["tax"]`` a :class:`TaxInputs`, ``extras["tax_cells"]``
(optional) one :class:`TradeCell` per symbol (absent: relaxed).

Not modelled: the year's netting and loss limit, wash sales (the relaxed cell's buy-back is excluded by the
cells; buys within 30 days of a loss sale are the harvester's and the ledger's business), multi-period
problems (``CvxVars.next_period``), and short positions (with a tax term sells are bounded by holdings).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import IntEnum
from types import MappingProxyType
from typing import Any

import cvxpy as cp
import numpy as np

from trimtab.domain.household import Household
from trimtab.domain.lots import ReliefMethod, TaxLot
from trimtab.errors import DataError, ModelError
from trimtab.models.base import Constraint, CvxVars, ProblemData, Term
from trimtab.tax.relief import GainCurve, order_lots, realized_gain_curve
from trimtab.tax.rules import TaxRates, holding_term
from trimtab.typing import FloatArray
from trimtab.units import to_decimal

__all__ = [
    "CELLS_KEY",
    "TAX_KEY",
    "LotTax",
    "RealizedGainAtMost",
    "TaxInputs",
    "TaxProxy",
    "TradeCell",
    "cell_problem_patterns",
    "describe_cells",
    "harvest_candidates",
    "initial_cells",
    "uses_trade_cells",
    "with_cells",
]

#: ``ProblemData.extras`` key of the :class:`TaxInputs`.
TAX_KEY = "tax"
#: ``ProblemData.extras`` key of the cells (one :class:`TradeCell` per symbol); absent = relaxed.
CELLS_KEY = "tax_cells"
#: Upper bound of the buy part in the BUY and relaxed cells (weights; far above any real trade).
BUY_LIMIT = 10.0
#: Affine pieces per symbol compiled into the problem (curves with more segments are merged, see
#: :func:`_merge_pieces`).
DEFAULT_PIECES = 32
#: The budget row is written in basis points of value.
_BUDGET_SCALE = 1e4
#: The split and epigraph rows are written in basis points of value (with weight units Clarabel's feasibility
#: tolerance left errors of about 1e-7 of value in the tax).
_ROW_SCALE = 1e4
#: Trades (weights) smaller than this count as zero when cells are read off a solution.
CELL_TOLERANCE = 1e-7


class TradeCell(IntEnum):
    """Which part of its holdings a symbol's trade may touch (see the module docstring)."""

    BUY = 0
    SELL_SHELTERED = 1
    SELL_TAXABLE = 2


@dataclass(frozen=True, eq=False)
class TaxInputs:
    """The household's tax position, as the tax term needs it.

    Parameters
    ----------
    lots : sequence of TaxLot
        Lots held in taxable accounts (any number of accounts; the term merges them per symbol).
    sheltered_shares : mapping of str to Decimal
        Shares per symbol held in tax-deferred or tax-exempt accounts (sold first, no tax).
    rates : TaxRates
        Short- and long-term rates (losses count at the same rates).
    sold : date
        Trade date: the term of each lot.
    relief : ReliefMethod
        How the trade planner will relieve taxable lots (the portfolio's ``tax.relief_method``);
        ``min_tax`` (and ``spec_id``, where the planner names the cheapest-tax lots) make :class:`LotTax`
        exact, others call for :class:`TaxProxy`.
    """

    lots: tuple[TaxLot, ...]
    sheltered_shares: Mapping[str, Decimal] = field(default_factory=dict)
    rates: TaxRates = field(default_factory=lambda: TaxRates(Decimal(0), Decimal(0)))
    sold: date = field(default_factory=date.today)
    relief: ReliefMethod = ReliefMethod.MIN_TAX

    def __post_init__(self) -> None:
        object.__setattr__(self, "lots", tuple(self.lots))
        object.__setattr__(
            self,
            "sheltered_shares",
            MappingProxyType({str(k): Decimal(v) for k, v in self.sheltered_shares.items()}),
        )
        by_symbol: dict[str, list[TaxLot]] = {}
        for lot in self.lots:
            if lot.acquired > self.sold:
                raise DataError(
                    f"tax inputs: lot {lot.lot_id or lot.symbol} acquired {lot.acquired} after the trade date "
                    f"{self.sold}"
                )
            by_symbol.setdefault(lot.symbol, []).append(lot)
        object.__setattr__(self, "_by_symbol", {s: tuple(v) for s, v in by_symbol.items()})

    @classmethod
    def from_household(
        cls, household: Household, rates: TaxRates, *, sold: date, relief: ReliefMethod = ReliefMethod.MIN_TAX
    ) -> TaxInputs:
        """Split ``household``'s lots into taxable lots and sheltered shares (tax-deferred and exempt)."""
        kinds = {a.id: a.kind for a in household.accounts}
        taxable: list[TaxLot] = []
        sheltered: dict[str, Decimal] = {}
        for lot in household.lots:
            if kinds[lot.account].is_taxable:
                taxable.append(lot)
            else:
                sheltered[lot.symbol] = sheltered.get(lot.symbol, Decimal(0)) + lot.quantity
        return cls(
            lots=tuple(taxable),
            sheltered_shares=sheltered,
            rates=rates,
            sold=sold,
            relief=ReliefMethod(relief),
        )

    @property
    def exact_relief(self) -> ReliefMethod:
        """The relief the optimizer's terms should model: ``min_tax`` for ``min_tax``/``spec_id``, else ``relief``."""
        return (
            ReliefMethod.MIN_TAX
            if self.relief in (ReliefMethod.MIN_TAX, ReliefMethod.SPEC_ID)
            else self.relief
        )

    def tax_term(self) -> LotTax | TaxProxy:
        """:class:`LotTax` when the planner relieves by minimal tax, else :class:`TaxProxy` for its method."""
        relief = self.exact_relief
        return LotTax() if relief is ReliefMethod.MIN_TAX else TaxProxy(relief=relief)

    def taxable_lots(self, symbol: str) -> tuple[TaxLot, ...]:
        """Taxable lots of ``symbol`` (all taxable accounts)."""
        return self._by_symbol.get(symbol, ())  # type: ignore[attr-defined]

    def taxable_shares(self, symbol: str) -> Decimal:
        """Shares of ``symbol`` in taxable accounts."""
        return sum((lot.quantity for lot in self.taxable_lots(symbol)), Decimal(0))

    def __repr__(self) -> str:
        return (
            f"TaxInputs({len(self.lots)} taxable lots, {len(self.sheltered_shares)} sheltered symbols, "
            f"{self.rates.short_term}/{self.rates.long_term}, sold={self.sold}, relief={self.relief.value})"
        )


def _tax_inputs(data: ProblemData) -> TaxInputs:
    inputs = data.extras.get(TAX_KEY)
    if not isinstance(inputs, TaxInputs):
        raise DataError(
            f"the tax term needs ProblemData.extras[{TAX_KEY!r}], a TaxInputs (the household's lots and rates); "
            f"got {type(inputs).__name__}"
        )
    if data.prices is None:
        raise DataError("the tax term needs prices per share (ProblemData.prices)")
    return inputs


# --------------------------------------------------------------------------------------------- curves -> arrays
def _merge_pieces(xs: list[float], ys: list[float], limit: int) -> tuple[list[float], list[float]]:
    """Breakpoints of a convex piecewise-linear function with at most ``limit`` segments.

    Segments of equal slope merge exactly; beyond that the breakpoint whose removal adds the least area is
    dropped (the chord of a convex function lies above it: the result is a convex majorant).
    """
    xs, ys = list(xs), list(ys)

    def slope(k: int) -> float:
        return (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k])

    k = 1
    while k < len(xs) - 1:
        if math.isclose(slope(k - 1), slope(k), rel_tol=1e-12, abs_tol=1e-15):
            del xs[k], ys[k]
        else:
            k += 1
    while len(xs) - 1 > limit:
        best, cost = 1, math.inf
        for k in range(1, len(xs) - 1):
            chord = ys[k - 1] + (ys[k + 1] - ys[k - 1]) * (xs[k] - xs[k - 1]) / (xs[k + 1] - xs[k - 1])
            area = (chord - ys[k]) * (xs[k + 1] - xs[k - 1]) / 2
            if area < cost:
                best, cost = k, area
        del xs[best], ys[best]
    return xs, ys


def _pieces(xs: list[float], ys: list[float], limit: int) -> tuple[FloatArray, FloatArray, bool]:
    """``(slopes, intercepts, exact)`` of the affine pieces through breakpoints ``(xs, ys)``, padded to ``limit``."""
    mx, my = _merge_pieces(xs, ys, limit)
    slopes = [(my[k + 1] - my[k]) / (mx[k + 1] - mx[k]) for k in range(len(mx) - 1)]
    intercepts = [my[k] - slopes[k] * mx[k] for k in range(len(mx) - 1)]
    exact = len(mx) == len(xs) or _same_function(xs, ys, mx, my)
    while len(slopes) < limit:  # pad with copies of the last piece (they never change the max)
        slopes.append(slopes[-1])
        intercepts.append(intercepts[-1])
    return np.array(slopes), np.array(intercepts), exact


def _same_function(xs: list[float], ys: list[float], mx: list[float], my: list[float]) -> bool:
    return bool(np.allclose(np.interp(xs, mx, my), ys, rtol=1e-12, atol=1e-9))


@dataclass(eq=False)
class _Prepared:
    """Per-symbol numbers of one ``ProblemData`` (weights of ``v``), independent of the piece count."""

    inputs: TaxInputs  # held so that its id stays unique while cached
    prices: FloatArray  # (n,) dollars per share
    curves: tuple[GainCurve | None, ...]  # min_tax curves of the taxable lots (None: no taxable lots)
    r_max: FloatArray  # (n,) sheltered holdings, weight
    q_max: FloatArray  # (n,) taxable holdings, weight
    first_slope: FloatArray  # (n,) tax per dollar of the cheapest taxable lot (0 without lots)
    tax_pieces: dict[int, tuple[FloatArray, FloatArray, bool]] = field(default_factory=dict)
    gain_pieces: dict[tuple[ReliefMethod, int], tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    reliefs: dict[tuple[int, ReliefMethod], _Relief] = field(default_factory=dict)

    def tax(self, v: float, pieces: int) -> tuple[FloatArray, FloatArray, bool]:
        """``(slope (n, K) tax per dollar sold, intercept (n, K) fraction of v, exact)``."""
        hit = self.tax_pieces.get(pieces)
        if hit is not None:
            return hit
        n = len(self.curves)
        slope = np.zeros((n, pieces))
        intercept = np.zeros((n, pieces))
        exact = True
        for i, curve in enumerate(self.curves):
            if curve is None:
                continue
            price = float(self.prices[i])
            xs = [float(b.shares) * price for b in curve.breakpoints]  # dollars sold
            ys = [float(b.tax) for b in curve.breakpoints]  # dollars of tax
            a, c, ok = _pieces(xs, ys, pieces)
            exact = exact and ok
            slope[i] = a
            intercept[i] = c / v
        self.tax_pieces[pieces] = (slope, intercept, exact)
        return self.tax_pieces[pieces]


_CACHE: OrderedDict[tuple[Any, ...], _Prepared] = OrderedDict()
_CACHE_SIZE = 16


def _prepare(data: ProblemData) -> _Prepared:
    inputs = _tax_inputs(data)
    assert data.prices is not None
    key = (id(inputs), data.symbols, data.prices.tobytes(), data.w.tobytes(), data.v)
    hit = _CACHE.get(key)
    if hit is not None and hit.inputs is inputs:
        _CACHE.move_to_end(key)
        return hit
    n = data.n
    r_max = np.zeros(n)
    q_max = np.zeros(n)
    first = np.zeros(n)
    curves: list[GainCurve | None] = []
    for i, symbol in enumerate(data.symbols):
        price = float(data.prices[i])
        held = max(float(data.w[i]), 0.0)
        sheltered = float(inputs.sheltered_shares.get(symbol, 0)) * price / data.v
        r_max[i] = min(sheltered, held)
        lots = inputs.taxable_lots(symbol)
        if not lots or not price > 0:
            curves.append(None)
            continue
        q_max[i] = max(held - r_max[i], 0.0)
        curve = realized_gain_curve(lots, to_decimal(float(price)), inputs.rates, sold=inputs.sold)
        curves.append(curve)
        first[i] = float(curve.slopes[0]) / price
    prepared = _Prepared(
        inputs=inputs,
        prices=np.asarray(data.prices, dtype=float),
        curves=tuple(curves),
        r_max=r_max,
        q_max=q_max,
        first_slope=first,
    )
    _CACHE[key] = prepared
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return prepared


def _taxable_dollars(z: FloatArray, data: ProblemData, prepared: _Prepared) -> FloatArray:
    """Dollars sold from taxable lots per symbol: ``max(0, -z v - r_max v)``, shape (n,)."""
    sell = np.maximum(-np.asarray(z, dtype=float), 0.0)
    return np.maximum(sell - prepared.r_max, 0.0) * data.v


@dataclass(frozen=True, eq=False)
class _Relief:
    """One symbol's taxable lots in the order a sale by some method relieves them (from the lot engine).

    ``shares``, ``tax_per_share`` and ``gain_per_share`` are arrays in relief order (dollars per share at the
    decision's price; ``avg_cost`` uses the position's average basis).
    """

    shares: FloatArray
    tax_per_share: FloatArray
    gain_per_share: FloatArray

    @classmethod
    def of(cls, lots: Sequence[TaxLot], price: float, inputs: TaxInputs, method: ReliefMethod) -> _Relief:
        price_dec = to_decimal(float(price))
        if method is ReliefMethod.MIN_TAX:
            ordered = order_lots(lots, method, price=price_dec, sold=inputs.sold, rates=inputs.rates)
        else:
            ordered = order_lots(lots, ReliefMethod.FIFO if method is ReliefMethod.AVG_COST else method)
        total = sum((lot.quantity for lot in lots), Decimal(0))
        average = (
            float(sum((lot.cost_basis for lot in lots), Decimal(0)) / total)
            if method is ReliefMethod.AVG_COST
            else None
        )
        shares = np.array([float(lot.quantity) for lot in ordered])
        unit = np.array([average if average is not None else float(lot.unit_cost) for lot in ordered])
        rate = np.array(
            [float(inputs.rates.rate(holding_term(lot.holding_start, inputs.sold))) for lot in ordered]
        )
        gain = float(price) - unit
        return cls(shares=shares, tax_per_share=rate * gain, gain_per_share=gain)

    def sell(self, shares: float) -> tuple[float, float]:
        """``(tax, realized_gain)`` in dollars of selling ``shares``, lots taken whole in order (as
        :func:`~trimtab.tax.relief.plan_relief` does); shares beyond the lots count at the last lot's rate."""
        left = float(shares)
        tax = gain = 0.0
        for k in range(len(self.shares)):
            if left <= 0:
                break
            take = min(left, self.shares[k]) if k < len(self.shares) - 1 else left
            tax += take * self.tax_per_share[k]
            gain += take * self.gain_per_share[k]
            left -= take
        return tax, gain


def _relief_of(prepared: _Prepared, i: int, data: ProblemData, method: ReliefMethod) -> _Relief:
    key = (i, method)
    hit = prepared.reliefs.get(key)
    if hit is None:
        inputs = prepared.inputs
        hit = _Relief.of(inputs.taxable_lots(data.symbols[i]), float(prepared.prices[i]), inputs, method)
        prepared.reliefs[key] = hit
    return hit


# ------------------------------------------------------------------------------------------------- the split
_SPLIT_OWNER = object()  # owner of the split's Parameters (one split per compiled problem)


@dataclass(frozen=True, eq=False)
class _Split:
    buy: cp.Variable
    sheltered: cp.Variable
    taxable: cp.Variable
    buy_max: cp.Parameter
    sheltered_lo: cp.Parameter
    sheltered_hi: cp.Parameter
    taxable_hi: cp.Parameter


def _split(v: CvxVars) -> _Split:
    """The shared split ``z = buy - sheltered - taxable`` with per-cell bounds (created once per problem)."""
    if v.chained:
        raise ModelError("the tax term is single-period: it cannot go into a multi-period problem")

    def make() -> _Split:
        n = v.n
        split = _Split(
            buy=cp.Variable(n, nonneg=True, name="buy"),
            sheltered=cp.Variable(n, nonneg=True, name="sell_sheltered"),
            taxable=cp.Variable(n, nonneg=True, name="sell_taxable"),
            buy_max=v.parameter(_SPLIT_OWNER, "buy_max", n, nonneg=True),
            sheltered_lo=v.parameter(_SPLIT_OWNER, "sheltered_lo", n, nonneg=True),
            sheltered_hi=v.parameter(_SPLIT_OWNER, "sheltered_hi", n, nonneg=True),
            taxable_hi=v.parameter(_SPLIT_OWNER, "taxable_hi", n, nonneg=True),
        )
        k = _ROW_SCALE  # rows in basis points of value: solver tolerances then sit far below a cent
        v.epigraphs.extend(
            [
                k * v.z == k * (split.buy - split.sheltered - split.taxable),
                k * split.buy <= k * split.buy_max,
                k * split.sheltered >= k * split.sheltered_lo,
                k * split.sheltered <= k * split.sheltered_hi,
                k * split.taxable <= k * split.taxable_hi,
            ]
        )
        return split

    return v.shared("tax.split", make)


def _cells(data: ProblemData) -> FloatArray | None:
    cells = data.extras.get(CELLS_KEY)
    if cells is None:
        return None
    out = np.asarray([int(c) for c in cells], dtype=int)
    if out.shape != (data.n,) or not np.isin(out, [c.value for c in TradeCell]).all():
        raise DataError(f"ProblemData.extras[{CELLS_KEY!r}] must hold one TradeCell per symbol ({data.n})")
    return out


def _bind_split(v: CvxVars, data: ProblemData, prepared: _Prepared) -> None:
    split = _split(v)
    cells = _cells(data)
    n = data.n
    if cells is None:
        buy_max, lo, hi, tx = np.full(n, BUY_LIMIT), np.zeros(n), prepared.r_max, prepared.q_max
    else:
        buy = cells == TradeCell.BUY
        shelter = cells == TradeCell.SELL_SHELTERED
        taxable = cells == TradeCell.SELL_TAXABLE
        buy_max = np.where(buy, BUY_LIMIT, 0.0)
        lo = np.where(taxable, prepared.r_max, 0.0)
        hi = np.where(shelter | taxable, prepared.r_max, 0.0)
        tx = np.where(taxable, prepared.q_max, 0.0)
    v.assign(split.buy_max, buy_max)
    v.assign(split.sheltered_lo, lo)
    v.assign(split.sheltered_hi, hi)
    v.assign(split.taxable_hi, tx)


def _pieces_epigraph(v: CvxVars, owner: object, name: str, pieces: int) -> cp.Variable:
    """``e_s >= A_sk taxable_s + C_sk`` for every piece ``k``; returns ``e`` (n,)."""
    split = _split(v)
    n = v.n
    slope = v.parameter(owner, f"{name}_slope", (n, pieces))
    intercept = v.parameter(owner, f"{name}_intercept", (n, pieces))
    e = cp.Variable(n, name=name)
    spread = cp.reshape(split.taxable, (n, 1), order="F") @ np.ones((1, pieces))
    rows = cp.reshape(e, (n, 1), order="F") @ np.ones((1, pieces))
    v.epigraphs.append(_ROW_SCALE * rows >= _ROW_SCALE * (cp.multiply(slope, spread) + intercept))
    return e


# --------------------------------------------------------------------------------------------------- the terms
class _SellTax(Term):
    """Shared machinery of :class:`LotTax` and :class:`TaxProxy` (fields ``pieces`` and the relief)."""

    pieces: int
    label = "tax"
    uses_trade_cells = True

    def _relief(self) -> ReliefMethod:
        return ReliefMethod.MIN_TAX

    def _check(self) -> None:
        if isinstance(self.pieces, bool) or not (isinstance(self.pieces, int) and self.pieces >= 1):
            raise ModelError(
                f"{type(self).__name__}: pieces must be a whole number >= 1; got {self.pieces!r}"
            )

    def needs(self) -> frozenset[str]:
        return frozenset({"prices"})

    def evaluate(self, z: FloatArray, data: ProblemData) -> float:
        return self.dollars(z, data) / data.v

    def dollars(self, z: FloatArray, data: ProblemData) -> float:
        """The tax of trades ``z`` in dollars (negative: losses realized)."""
        prepared = _prepare(data)
        x = _taxable_dollars(z, data, prepared)
        relief = self._relief()
        total = 0.0
        for i in np.flatnonzero(x > 0):
            if prepared.curves[i] is None:
                continue
            total += _relief_of(prepared, int(i), data, relief).sell(x[i] / prepared.prices[i])[0]
        return total

    def to_cvxpy(self, v: CvxVars) -> cp.Expression:
        return cp.sum(_pieces_epigraph(v, self, "tax", self.pieces))

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        prepared = _prepare(data)
        _bind_split(v, data, prepared)
        slope, intercept, _exact = prepared.tax(data.v, self.pieces)
        v.assign(v.parameter(self, "tax_slope", (v.n, self.pieces)), slope)
        v.assign(v.parameter(self, "tax_intercept", (v.n, self.pieces)), intercept)

    def is_exact(self, data: ProblemData) -> bool:
        """Whether the compiled pieces reproduce every ``min_tax`` curve (none needed more than ``pieces``)."""
        return _prepare(data).tax(data.v, self.pieces)[2]


@dataclass(frozen=True, repr=False, eq=False)
class LotTax(_SellTax):
    """Tax of realized gains in taxable accounts, exact under ``min_tax`` relief (fraction of value ``v``).

    ``evaluate(z)`` sells ``max(0, -z v - sheltered)`` dollars of each symbol's taxable lots with the lot
    engine (``order_lots`` with ``min_tax``, lots taken in turn as ``plan_relief`` does; all taxable accounts
    merged, as the ``tax_aware`` planner does) and
    prices lot ``j`` at ``tau_j (p - b_j)`` per share; ``to_cvxpy`` is the epigraph of the same minimal-tax
    curve over the sell split (see the module docstring).  Equal inside every cell; the relaxed cell is a
    lower bound.  Reads ``extras["tax"]`` (:class:`TaxInputs`) and ``extras["tax_cells"]``.

    Parameters
    ----------
    pieces : int
        Affine pieces per symbol compiled into the problem (default 32).  A symbol whose curve has more
        segments (after merging equal per-share taxes) gets a convex majorant instead, and the term is then
        only exact at the kept breakpoints (:meth:`is_exact` says so).
    """

    pieces: int = DEFAULT_PIECES

    def __post_init__(self) -> None:
        self._check()

    def __repr__(self) -> str:
        return "LotTax()" if self.pieces == DEFAULT_PIECES else f"LotTax(pieces={self.pieces})"


@dataclass(frozen=True, repr=False, eq=False)
class TaxProxy(_SellTax):
    """The tax when taxable lots are relieved by ``relief`` (FIFO, HIFO, ...), with the ``min_tax`` convex form.

    ``evaluate`` relieves the taxable lots by ``relief`` (the lots of all taxable accounts merged and ordered
    by that method -- what the planner does for one taxable account per symbol); ``to_cvxpy`` is the
    ``min_tax`` curve of :class:`LotTax`, a lower bound: ``evaluate - convex form >= 0`` is the proxy's gap
    (zero under ``min_tax``).  Use it when the portfolio relieves lots by another method; relieving by
    ``min_tax`` makes the optimizer's tax exact (:class:`LotTax`).

    Parameters
    ----------
    relief : ReliefMethod
        ``fifo``, ``lifo``, ``hifo``, ``avg_cost`` or ``min_tax`` (``spec_id`` has no order of its own).
    pieces : int
        As for :class:`LotTax`.
    """

    relief: ReliefMethod = ReliefMethod.FIFO
    pieces: int = DEFAULT_PIECES

    def __post_init__(self) -> None:
        self._check()
        relief = ReliefMethod(self.relief)
        if relief is ReliefMethod.SPEC_ID:
            raise ModelError(
                "TaxProxy: spec_id has no order of its own; use LotTax (the planner names min-tax lots)"
            )
        object.__setattr__(self, "relief", relief)

    def _relief(self) -> ReliefMethod:
        return self.relief

    def __repr__(self) -> str:
        extra = "" if self.pieces == DEFAULT_PIECES else f", pieces={self.pieces}"
        return f"TaxProxy(relief={self.relief.value!r}{extra})"


# ------------------------------------------------------------------------------------------------ the budget
def _gain_pieces(
    data: ProblemData, prepared: _Prepared, relief: ReliefMethod, pieces: int
) -> tuple[FloatArray, FloatArray]:
    """Affine pieces (n, K) of the running-max majorant of the realized gain per dollar sold, fraction of v."""
    cached = prepared.gain_pieces.get((relief, pieces))
    if cached is not None:
        return cached
    slope = np.zeros((data.n, pieces))
    intercept = np.zeros((data.n, pieces))
    for i in range(data.n):
        if prepared.curves[i] is None:
            continue
        order = _relief_of(prepared, i, data, relief)
        price = float(prepared.prices[i])
        xs, ys, running = [0.0], [0.0], -math.inf
        for qty, gain in zip(order.shares, order.gain_per_share, strict=True):
            running = max(running, gain / price)  # realized gain per dollar sold, running maximum
            dollars = float(qty) * price
            xs.append(xs[-1] + dollars)
            ys.append(ys[-1] + running * dollars)
        a, c, _ = _pieces(xs, ys, pieces)
        slope[i] = a
        intercept[i] = c / data.v
    prepared.gain_pieces[(relief, pieces)] = (slope, intercept)
    return slope, intercept


@dataclass(frozen=True, repr=False, eq=False)
class RealizedGainAtMost(Constraint):
    """Net realized gain of the trade's taxable sells at most ``limit_usd`` dollars (a tax budget).

    ``violation`` is exact: the gain the lot engine realizes under ``relief`` (net of losses, short and long
    term together), over ``v``.  The cvxpy form bounds a convex majorant of that gain (per symbol, the gain
    per dollar sold is replaced by its running maximum along the relief order), so every solution keeps
    the exact gain within the limit; the majorant equals the gain whenever the lots' gains per share rise
    along the relief order (e.g. all lots of one term under ``min_tax``).  A negative limit asks for net
    realized losses of at least ``-limit_usd``.

    Parameters
    ----------
    limit_usd : float
        Dollars.
    relief : ReliefMethod
        How the planner relieves taxable lots (``min_tax`` default).
    pieces : int
        Affine pieces per symbol (see :class:`LotTax`).
    """

    limit_usd: float
    relief: ReliefMethod = ReliefMethod.MIN_TAX
    pieces: int = DEFAULT_PIECES

    uses_trade_cells = True

    def __post_init__(self) -> None:
        if isinstance(self.limit_usd, bool) or not math.isfinite(float(self.limit_usd)):
            raise ModelError(
                f"RealizedGainAtMost: the limit must be a finite number of dollars; got {self.limit_usd!r}"
            )
        object.__setattr__(self, "limit_usd", float(self.limit_usd))

    def needs(self) -> frozenset[str]:
        return frozenset({"prices"})

    def realized_gain(self, z: FloatArray, data: ProblemData) -> float:
        """Exact net realized gain in dollars of trades ``z`` (lot engine, ``relief``)."""
        prepared = _prepare(data)
        x = _taxable_dollars(z, data, prepared)
        total = 0.0
        for i in np.flatnonzero(x > 0):
            if prepared.curves[i] is None:
                continue
            total += _relief_of(prepared, int(i), data, self.relief).sell(x[i] / prepared.prices[i])[1]
        return total

    def to_cvxpy(self, v: CvxVars) -> list[cp.Constraint]:
        e = _pieces_epigraph(v, self, "gain", self.pieces)
        # in basis points of value, so that the dual value of a slack budget stays far below the 1e-6 at
        # which the explanation calls a constraint binding
        return [_BUDGET_SCALE * cp.sum(e) <= _BUDGET_SCALE * v.parameter(self, "limit")]

    def bind(self, v: CvxVars, data: ProblemData) -> None:
        prepared = _prepare(data)
        _bind_split(v, data, prepared)
        slope, intercept = _gain_pieces(data, prepared, self.relief, self.pieces)
        v.assign(v.parameter(self, "gain_slope", (v.n, self.pieces)), slope)
        v.assign(v.parameter(self, "gain_intercept", (v.n, self.pieces)), intercept)
        v.assign(v.parameter(self, "limit"), self.limit_usd / data.v)

    def violation(self, z: FloatArray, data: ProblemData) -> float:
        if _cells(data) is None:
            # The relaxed cell may sell other lots than the net trade ``z`` implies (its gain is not a function
            # of ``z``); it only chooses the cells, and every cell solve is checked exactly.
            return 0.0
        return max(0.0, self.realized_gain(z, data) - self.limit_usd) / data.v

    def describe_binding(self, z: FloatArray, data: ProblemData) -> str:
        return (
            f"the realized-gain budget binds (net realized gain ${self.realized_gain(z, data):,.2f} "
            f"of at most ${self.limit_usd:,.2f})"
        )

    def __repr__(self) -> str:
        extra = "" if self.relief is ReliefMethod.MIN_TAX else f", relief={self.relief.value!r}"
        return f"RealizedGainAtMost({self.limit_usd!r}{extra})"


# ------------------------------------------------------------------------------------------------------ cells
def uses_trade_cells(objective: Term, constraints: Iterable[Constraint]) -> bool:
    """Whether any leaf of ``objective`` or any constraint works on trade cells (needs the cell search)."""
    found: list[object] = [t for w, t in objective.parts() if w > 0]
    for c in constraints:
        found.append(c)
        inner = getattr(c, "term", None)
        if isinstance(inner, Term):
            found.extend(t for _w, t in inner.parts())
    return any(getattr(x, "uses_trade_cells", False) for x in found)


def _bounds(data: ProblemData) -> tuple[FloatArray, FloatArray]:
    """``(r_max, q_max)`` for ``data`` (weights)."""
    prepared = _prepare(data)
    return prepared.r_max, prepared.q_max


def initial_cells(
    z: FloatArray, data: ProblemData, *, tolerance: float = CELL_TOLERANCE
) -> tuple[TradeCell, ...]:
    """The cell each symbol's trade ``z_s`` lies in (the relaxed solution's net trade decides)."""
    r_max, _q_max = _bounds(data)
    out: list[TradeCell] = []
    for zi, ri in zip(np.asarray(z, dtype=float), r_max, strict=True):
        if zi >= -tolerance:
            out.append(TradeCell.BUY)
        elif zi >= -ri - tolerance:
            out.append(TradeCell.SELL_SHELTERED)
        else:
            out.append(TradeCell.SELL_TAXABLE)
    return tuple(out)


def harvest_candidates(data: ProblemData, cells: Sequence[TradeCell], *, limit: int = 20) -> list[int]:
    """Symbols not in ``SELL_TAXABLE`` whose cheapest taxable lot is at a loss, most tax saved per dollar first."""
    prepared = _prepare(data)
    first = prepared.first_slope
    out = [
        i
        for i in range(data.n)
        if cells[i] is not TradeCell.SELL_TAXABLE and prepared.q_max[i] > 0 and first[i] < 0
    ]
    out.sort(key=lambda i: first[i])
    return out[:limit]


def with_cells(data: ProblemData, cells: Sequence[TradeCell] | None) -> ProblemData:
    """A copy of ``data`` with ``extras["tax_cells"]`` set (``None``: relaxed)."""
    extras = {k: x for k, x in data.extras.items() if k != CELLS_KEY}
    if cells is not None:
        extras[CELLS_KEY] = tuple(TradeCell(c) for c in cells)
    return ProblemData(
        symbols=data.symbols,
        w=data.w,
        w_target=data.w_target,
        v=data.v,
        cash=data.cash,
        target_cash=data.target_cash,
        prices=data.prices,
        sigma=data.sigma,
        volume=data.volume,
        covariance=data.covariance,
        factors=data.factors,
        extras=extras,
    )


def cell_problem_patterns(data: ProblemData) -> list[list[TradeCell]]:
    """Per symbol, the cells that differ from each other (for enumeration in tests and studies)."""
    r_max, q_max = _bounds(data)
    out: list[list[TradeCell]] = []
    for ri, qi in zip(r_max, q_max, strict=True):
        cells = [TradeCell.BUY]
        if ri > 0:
            cells.append(TradeCell.SELL_SHELTERED)
        if qi > 0:
            cells.append(TradeCell.SELL_TAXABLE)
        out.append(cells)
    return out


def describe_cells(symbols: Sequence[str], cells: Sequence[TradeCell]) -> dict[str, str]:
    """``{symbol: cell name}`` for the sells (buys and holds left out)."""
    return {s: c.name.lower() for s, c in zip(symbols, cells, strict=True) if c is not TradeCell.BUY}
