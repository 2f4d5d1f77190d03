"""Lot relief: which lots a sale of ``quantity`` shares delivers.

Methods (:class:`~trimtab.domain.lots.ReliefMethod`):

* ``fifo`` / ``lifo`` / ``hifo`` / ``spec_id``: orderings (:func:`order_lots`).
* ``avg_cost`` (funds that allow it): every share carries the average basis of the position; the shares
  sold are deemed the first acquired for the holding period (Treas. Reg. §1.1012-1(e)), so relief is FIFO
  by quantity and term, at the average basis.
* ``min_tax``: the lots that minimise the tax of the sale. Lot ``j`` has per-share tax
  ``t_j = tau_j * (price - b_j)`` (``tau_j`` the short- or long-term rate by the lot's term at the sale,
  ``b_j`` its basis per share; negative for a loss). Selling ``q`` shares at least tax is a fractional
  knapsack: sell in ascending ``t_j`` (KAT-24). The minimal tax ``L(q)`` is piecewise linear and convex
  (:func:`realized_gain_curve`); :func:`minimal_tax_lp` solves the same problem as a linear program
  and the tests prove greedy = LP. When the year's other realized gains are given
  (``realized_so_far``), the sale is priced by its marginal effect on the year's *netted* tax instead
  (KAT-24b: a long-term loss is worth the short-term rate against short-term gains); that function is
  not convex, and :func:`plan_relief` minimises it exactly over the short/long split (see
  :func:`_plan_min_tax_netted`).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from trimtab.domain.lots import LotRelief, ReliefMethod, TaxLot, Term, _trusted_relief
from trimtab.errors import OversellError, TaxError
from trimtab.tax.rules import TaxRates, holding_term

__all__ = [
    "Breakpoint",
    "GainCurve",
    "minimal_tax",
    "minimal_tax_lp",
    "order_lots",
    "per_share_tax",
    "plan_relief",
    "realized_gain_curve",
    "relieve",
    "taxmin_order",
]

ZERO = Decimal(0)

#: Methods that only order the lots (no inputs needed, no lot named).
_ORDERINGS = frozenset({ReliefMethod.FIFO, ReliefMethod.LIFO, ReliefMethod.HIFO, ReliefMethod.AVG_COST})

#: :func:`holding_term` memoized: the planner relieves many lots with few acquisition and sale dates.
_term = functools.lru_cache(maxsize=4096)(holding_term)


# -- orderings ------------------------------------------------------------------------------------------
def per_share_tax(lot: TaxLot, *, price: Decimal, sold: date, rates: TaxRates) -> Decimal:
    """Tax in dollars per share of selling ``lot`` at ``price`` on ``sold``: ``tau * (price - unit_cost)``."""
    return rates.rate(holding_term(lot.holding_start, sold)) * (price - lot.unit_cost)


def _exact_per_share_tax(lot: TaxLot, price: Decimal, sold: date, rates: TaxRates) -> Fraction:
    rate = Fraction(rates.rate(holding_term(lot.holding_start, sold)))
    return rate * (Fraction(price) - Fraction(lot.cost_basis) / Fraction(lot.quantity))


def _need(value: object, name: str, method: ReliefMethod) -> None:
    if value is None:
        raise TaxError(f"relief method {method} needs {name}: pass {name}=...")


def order_lots(
    lots: Sequence[TaxLot],
    method: ReliefMethod,
    *,
    specific_ids: Sequence[str] = (),
    price: Decimal | None = None,
    sold: date | None = None,
    rates: TaxRates | None = None,
) -> list[TaxLot]:
    """Lots in the order a sale relieves them.

    Ties keep file order (stable sorts). ``spec_id`` takes the lots named in ``specific_ids`` in that order
    (several lots sharing one id, e.g. the two parts of a lot split by a wash sale, are all taken, in file
    order). ``avg_cost`` relieves in FIFO order (the holding-period convention for average basis).
    ``min_tax`` needs ``price``, ``sold`` and ``rates`` and orders by ascending per-share tax, ties by
    higher unit cost, then file order.
    """
    if method in (ReliefMethod.FIFO, ReliefMethod.AVG_COST):
        return sorted(lots, key=lambda lot: lot.acquired)
    if method is ReliefMethod.LIFO:
        return sorted(lots, key=lambda lot: lot.acquired, reverse=True)
    if method is ReliefMethod.HIFO:
        return sorted(lots, key=lambda lot: lot.unit_cost, reverse=True)
    if method is ReliefMethod.SPEC_ID:
        known = {lot.lot_id for lot in lots}
        missing = [i for i in specific_ids if i not in known]
        if missing:
            raise TaxError(f"specific identification names unknown lots: {', '.join(missing)}")
        out: list[TaxLot] = []
        for wanted in dict.fromkeys(specific_ids):
            out.extend(lot for lot in lots if lot.lot_id == wanted)
        return out
    if method is ReliefMethod.MIN_TAX:
        _need(price, "price", method)
        _need(sold, "sold", method)
        _need(rates, "rates", method)
        assert price is not None and sold is not None and rates is not None
        return sorted(
            lots,
            key=lambda lot: (
                _exact_per_share_tax(lot, price, sold, rates),
                -Fraction(lot.cost_basis) / Fraction(lot.quantity),
            ),
        )
    raise TaxError(f"unknown relief method {method!r}")


def taxmin_order(lots: Sequence[TaxLot], *, price: Decimal, sold: date) -> list[TaxLot]:
    """Order lots by the category rule some robo-advisers describe ("TaxMin").

    Short-term losses, long-term losses, long-term gains, short-term gains; highest unit cost first within
    each category. Not the per-share optimum (KAT-24 counter-example); kept to compare rule-based relief
    with ``min_tax``.
    """

    def category(lot: TaxLot) -> int:
        loss = price < lot.unit_cost
        long_ = holding_term(lot.holding_start, sold) is Term.LONG
        return (0 if not long_ else 1) if loss else (2 if long_ else 3)

    return sorted(lots, key=lambda lot: (category(lot), -lot.unit_cost))


# -- planning a sale ------------------------------------------------------------------------------------
def _check_quantity(lots: Sequence[TaxLot], quantity: Decimal) -> None:
    held = sum((lot.quantity for lot in lots), ZERO)
    if quantity < 0:
        raise TaxError(f"a sale must be of a non-negative quantity, got {quantity}")
    if quantity > held:
        symbol = lots[0].symbol if lots else "?"
        raise OversellError(f"cannot sell {quantity} {symbol}: only {held} held")


def plan_relief(
    lots: Sequence[TaxLot],
    quantity: Decimal,
    *,
    method: ReliefMethod = ReliefMethod.FIFO,
    price: Decimal | None = None,
    sold: date | None = None,
    specific_ids: Sequence[str] = (),
    rates: TaxRates | None = None,
    realized_so_far: tuple[Decimal, Decimal] | None = None,
    loss_limit_usd: Decimal = Decimal(3000),
) -> list[tuple[int, Decimal]]:
    """Which lots a sale delivers and how many shares of each, without splitting any basis.

    Parameters
    ----------
    lots : sequence of TaxLot
        Lots of one symbol in one account.
    quantity : Decimal
        Shares sold, > 0.
    method : ReliefMethod
    price : Decimal, optional
        Sale price, dollars per share (``min_tax`` only).
    sold : date, optional
        Sale (trade) date (``min_tax`` only).
    specific_ids : sequence of str
        Lot ids for ``spec_id``.
    rates : TaxRates, optional
        Rates for ``min_tax``.
    realized_so_far : (Decimal, Decimal), optional
        ``(short_term, long_term)`` net gains already realized in the tax year (carryovers subtracted).
        With ``min_tax`` the sale then minimises the year's netted tax (KAT-24b) instead of the sum of
        per-share taxes.
    loss_limit_usd : Decimal
        Deduction limit used with ``realized_so_far`` (3,000; 1,500 married filing separately).

    Returns
    -------
    list of (int, Decimal)
        ``(index into lots, shares taken)`` in relief order; the shares sum to ``quantity``.

    Raises
    ------
    OversellError
        When ``quantity`` exceeds the shares held (or the lots named by ``specific_ids``).
    """
    if len(lots) == 1 and method in _ORDERINGS and 0 < quantity <= lots[0].quantity:
        return [(0, quantity)]  # one lot: every ordering takes it (the common case after lots are merged)
    _check_quantity(lots, quantity)
    if quantity == 0:
        return []
    if method is ReliefMethod.MIN_TAX and realized_so_far is not None:
        _need(price, "price", method)
        _need(sold, "sold", method)
        _need(rates, "rates", method)
        assert price is not None and sold is not None and rates is not None
        return _plan_min_tax_netted(lots, quantity, price, sold, rates, realized_so_far, loss_limit_usd)
    ordered = order_lots(lots, method, specific_ids=specific_ids, price=price, sold=sold, rates=rates)
    index = {id(lot): i for i, lot in enumerate(lots)}
    left = quantity
    plan: list[tuple[int, Decimal]] = []
    for lot in ordered:
        if left <= 0:
            break
        take = min(left, lot.quantity)
        plan.append((index[id(lot)], take))
        left -= take
    if left > 0:
        raise OversellError(f"the lots named cover only {quantity - left} of {quantity} shares")
    return plan


def relieve(
    lots: Sequence[TaxLot],
    quantity: Decimal,
    *,
    price: Decimal,
    sold: date,
    method: ReliefMethod = ReliefMethod.FIFO,
    specific_ids: Sequence[str] = (),
    rates: TaxRates | None = None,
    realized_so_far: tuple[Decimal, Decimal] | None = None,
) -> tuple[list[LotRelief], list[TaxLot]]:
    """Sell ``quantity`` shares at ``price`` dollars on ``sold`` from ``lots`` (one account, one symbol).

    ``rates`` is needed for ``min_tax`` (and ``realized_so_far`` optionally, see :func:`plan_relief`).
    With ``avg_cost`` the sold shares and the remaining lots all carry the position's average basis.

    Returns
    -------
    reliefs : list of LotRelief
        The part of each lot delivered, with proceeds (``quantity * price``, before costs) and term.
    remaining : list of TaxLot
        The lots left, in their original order, partly sold lots reduced pro rata. The basis of a part
        sold is rounded to the cent and the rest keeps the remainder, so bases add up exactly.

    Raises
    ------
    OversellError
        When ``quantity`` exceeds the shares in ``lots``.
    """
    plan = plan_relief(
        lots,
        quantity,
        method=method,
        price=price,
        sold=sold,
        specific_ids=specific_ids,
        rates=rates,
        realized_so_far=realized_so_far,
    )
    work = list(lots)
    if method is ReliefMethod.AVG_COST:
        work = _rebase_to_average(work)
    remaining: list[TaxLot | None] = list(work)
    reliefs: list[LotRelief] = []
    for i, take in plan:
        lot = work[i]
        basis = _cents_share(lot.cost_basis, take, lot.quantity)
        reliefs.append(
            _trusted_relief(
                lot.lot_id, lot.acquired, take, basis, take * price, _term(lot.holding_start, sold)
            )
        )
        remaining[i] = (
            None
            if take == lot.quantity
            else lot.with_size(lot.quantity - take, lot.cost_basis - basis)
        )
    return reliefs, [lot for lot in remaining if lot is not None]


def _rebase_to_average(lots: list[TaxLot]) -> list[TaxLot]:
    """The same lots, each at the average unit cost; the total basis is conserved exactly."""
    total_qty = sum((lot.quantity for lot in lots), ZERO)
    total_basis = sum((lot.cost_basis for lot in lots), ZERO)
    out: list[TaxLot] = []
    left, left_qty = total_basis, total_qty
    for lot in lots:
        basis = _cents_share(left, lot.quantity, left_qty)
        left -= basis
        left_qty -= lot.quantity
        out.append(lot.with_size(lot.quantity, basis))
    return out


_CENT = Decimal("0.01")


def _cents_share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``total * part / whole`` rounded to the cent within ``[0, total]``; ``total`` if ``part == whole``.

    Used for every basis split so that the parts of a basis always add up to it exactly.
    """
    if part == whole:
        return total
    share = (total * part / whole).quantize(_CENT)
    return min(max(share, ZERO), total)


# -- min_tax with the year's netting (KAT-24b) ------------------------------------------------------------
def _tax_fraction(a: Fraction, b: Fraction, rates: TaxRates, limit: Fraction) -> Fraction:
    """Netted tax of net short ``a`` and long ``b`` (same rules as :func:`trimtab.tax.netting.netted_tax`)."""
    ts, tl, to = Fraction(rates.short_term), Fraction(rates.long_term), Fraction(rates.ordinary_rate)
    net = a + b
    if a >= 0 and b >= 0:
        return ts * a + tl * b
    if net >= 0:
        return ts * net if a >= 0 else tl * net
    return -to * min(limit, -net)


def _step(values: Sequence[Decimal]) -> Fraction:
    places = max((max(0, -int(v.normalize().as_tuple().exponent)) for v in values), default=0)
    return Fraction(1, 10**places)


def _prefix_gain(order: list[tuple[int, Fraction, Fraction]], x: Fraction) -> Fraction:
    """Realized gain of the first ``x`` shares of ``order`` (entries: index, quantity, gain per share)."""
    out = Fraction(0)
    for _, qty, gain in order:
        if x <= 0:
            break
        take = min(x, qty)
        out += take * gain
        x -= take
    return out


def _plan_min_tax_netted(
    lots: Sequence[TaxLot],
    quantity: Decimal,
    price: Decimal,
    sold: date,
    rates: TaxRates,
    realized_so_far: tuple[Decimal, Decimal],
    limit_usd: Decimal,
) -> list[tuple[int, Decimal]]:
    """Exact minimum of the year's netted tax over which lots to sell.

    The netted tax ``T(S, L)`` is non-decreasing in the year's short-term total ``S`` and long-term total
    ``L``, so for a given number ``x`` of short-term shares sold the best choice is the ``x`` short-term
    shares with the lowest gain and the ``q - x`` long-term shares with the lowest gain. ``g(x) = T(S0 +
    S(x), L0 + L(q - x))`` is piecewise linear in ``x`` with kinks at lot boundaries and where ``S``,
    ``L``, ``S + L`` cross 0 or ``-limit``; its minimum over the share lattice is at a lattice point next
    to a kink. All candidates are evaluated exactly (fractions).
    """
    q = Fraction(quantity)
    s0, l0 = Fraction(realized_so_far[0]), Fraction(realized_so_far[1])
    limit = Fraction(limit_usd)
    p = Fraction(price)
    short: list[tuple[int, Fraction, Fraction]] = []
    long_: list[tuple[int, Fraction, Fraction]] = []
    for i, lot in enumerate(lots):
        gain = p - Fraction(lot.cost_basis) / Fraction(lot.quantity)
        entry = (i, Fraction(lot.quantity), gain)
        (long_ if holding_term(lot.holding_start, sold) is Term.LONG else short).append(entry)
    short.sort(key=lambda e: (e[2], e[0]))
    long_.sort(key=lambda e: (e[2], e[0]))
    n_short = sum((e[1] for e in short), Fraction(0))
    n_long = sum((e[1] for e in long_), Fraction(0))
    lo, hi = max(Fraction(0), q - n_long), min(q, n_short)
    step = _step([quantity, *(lot.quantity for lot in lots)])

    def g(x: Fraction) -> Fraction:
        return _tax_fraction(s0 + _prefix_gain(short, x), l0 + _prefix_gain(long_, q - x), rates, limit)

    bounds = {lo, hi}
    acc = Fraction(0)
    for _, qty, _ in short:
        acc += qty
        if lo < acc < hi:
            bounds.add(acc)
    acc = Fraction(0)
    for _, qty, _ in long_:
        acc += qty
        if lo < q - acc < hi:
            bounds.add(q - acc)
    edges = sorted(bounds)
    candidates = set(edges)
    for x0, x1 in itertools.pairwise(edges):
        mid = (x0 + x1) / 2
        s_x0, l_x0 = s0 + _prefix_gain(short, x0), l0 + _prefix_gain(long_, q - x0)
        ds = _prefix_gain(short, mid) - _prefix_gain(short, x0)
        dl = _prefix_gain(long_, q - mid) - _prefix_gain(long_, q - x0)
        slope_s, slope_l = ds / (mid - x0), dl / (mid - x0)  # d/dx of S and of L on this segment
        for value, slope in (
            (s_x0, slope_s),
            (l_x0, slope_l),
            (s_x0 + l_x0, slope_s + slope_l),
            (s_x0 + l_x0 + limit, slope_s + slope_l),
        ):
            if slope == 0:
                continue
            root = x0 - value / slope
            if x0 < root < x1:
                below = math.floor(root / step) * step
                for cand in (below, below + step):
                    if x0 <= cand <= x1:
                        candidates.add(cand)
    # Least tax; among equal taxes keep the most loss (a lower realized gain carries forward), then fewer
    # short-term shares.
    best = min(
        sorted(candidates), key=lambda x: (g(x), _prefix_gain(short, x) + _prefix_gain(long_, q - x), x)
    )
    plan: list[tuple[int, Decimal]] = []
    for order, count in ((short, best), (long_, q - best)):
        left = count
        for i, qty, _ in order:
            if left <= 0:
                break
            take = min(left, qty)
            plan.append((i, Decimal(take.numerator) / Decimal(take.denominator)))
            left -= take
    return plan


# -- the minimal-tax curve (the optimizer's convex proxy) -------------------------------------------------
@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A vertex of the minimal-tax curve: ``realized_gain`` and ``tax`` (dollars) after selling ``shares``."""

    shares: Decimal
    realized_gain: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class GainCurve:
    """Minimal tax (and the realized gain that achieves it) as a function of shares sold.

    ``tax(q)`` is piecewise linear and convex in ``q`` (slopes = per-share taxes of the lots in ascending
    order); it is exact at every breakpoint and between them (linear interpolation). ``realized_gain(q)``
    is the gain of the same sale (piecewise linear, not necessarily convex).

    Attributes
    ----------
    breakpoints : tuple of Breakpoint
        Starts at ``(0, 0, 0)``; one vertex per lot boundary in sale order.
    lot_ids : tuple of str
        Lot ids in the order the curve sells them (one per segment).
    """

    breakpoints: tuple[Breakpoint, ...]
    lot_ids: tuple[str, ...]

    @property
    def total_shares(self) -> Decimal:
        """All shares on the curve (its domain is ``[0, total_shares]``)."""
        return self.breakpoints[-1].shares

    @property
    def slopes(self) -> tuple[Decimal, ...]:
        """Per-share tax of each segment, dollars per share (non-decreasing)."""
        b = self.breakpoints
        return tuple((b[k + 1].tax - b[k].tax) / (b[k + 1].shares - b[k].shares) for k in range(len(b) - 1))

    def _interpolate(self, shares: Decimal, field: str) -> Decimal:
        if shares < 0 or shares > self.total_shares:
            raise TaxError(f"the curve covers 0..{self.total_shares} shares, asked for {shares}")
        b = self.breakpoints
        for k in range(len(b) - 1):
            if shares <= b[k + 1].shares:
                lo: Decimal = getattr(b[k], field)
                hi: Decimal = getattr(b[k + 1], field)
                if shares == b[k + 1].shares:
                    return hi
                return lo + (hi - lo) * (shares - b[k].shares) / (b[k + 1].shares - b[k].shares)
        last: Decimal = getattr(b[-1], field)
        return last

    def tax_at(self, shares: Decimal) -> Decimal:
        """Minimal tax in dollars of selling ``shares`` (exact at breakpoints)."""
        return self._interpolate(Decimal(shares), "tax")

    def gain_at(self, shares: Decimal) -> Decimal:
        """Realized gain in dollars of the minimal-tax sale of ``shares``."""
        return self._interpolate(Decimal(shares), "realized_gain")

    def affine_pieces(self) -> tuple[list[float], list[float]]:
        """``(slopes, intercepts)`` as floats with ``tax(q) = max_k(slopes[k] * q + intercepts[k])``.

        Valid on ``0 <= q <= total_shares`` because the curve is convex: this is the epigraph form an
        optimizer uses (``t >= slopes * q + intercepts``). Dollars and dollars per share.
        """
        slopes, intercepts = [], []
        for k, slope in enumerate(self.slopes):
            start = self.breakpoints[k]
            slopes.append(float(slope))
            intercepts.append(float(start.tax - slope * start.shares))
        return slopes, intercepts


def realized_gain_curve(lots: Sequence[TaxLot], price: Decimal, rates: TaxRates, *, sold: date) -> GainCurve:
    """The minimal tax of selling ``q`` shares from ``lots`` as a convex piecewise-linear curve (KAT-24).

    Parameters
    ----------
    lots : sequence of TaxLot
        Lots of one symbol (in a taxable account).
    price : Decimal
        Sale price, dollars per share.
    rates : TaxRates
        Short/long-term rates; losses are valued at the same rates.
    sold : date
        Sale date (sets each lot's term).

    Returns
    -------
    GainCurve
        Breakpoints after each lot in ascending per-share tax; the exact evaluation (``relieve`` with
        ``min_tax``, then the per-share taxes) equals the curve at every breakpoint.

    Examples
    --------
    KAT-24: price 100, 37 % / 20 %; lots A 110 ST, B 130 LT, C 60 LT, D 90 ST (100 shares each) give
    taxes 0, -600, -970, -600, +200 at 0, 100, 200, 300, 400 shares.
    """
    price = Decimal(price)
    ordered = order_lots(lots, ReliefMethod.MIN_TAX, price=price, sold=sold, rates=rates)
    points = [Breakpoint(ZERO, ZERO, ZERO)]
    for lot in ordered:
        gain = price * lot.quantity - lot.cost_basis
        rate = rates.rate(holding_term(lot.holding_start, sold))
        last = points[-1]
        points.append(
            Breakpoint(last.shares + lot.quantity, last.realized_gain + gain, last.tax + rate * gain)
        )
    return GainCurve(breakpoints=tuple(points), lot_ids=tuple(lot.lot_id for lot in ordered))


def minimal_tax(
    lots: Sequence[TaxLot], quantity: Decimal, *, price: Decimal, sold: date, rates: TaxRates
) -> Decimal:
    """Least tax in dollars (per-share model, losses valued at their rates) of selling ``quantity`` shares."""
    _check_quantity(lots, Decimal(quantity))
    return realized_gain_curve(lots, price, rates, sold=sold).tax_at(Decimal(quantity))


def minimal_tax_lp(
    lots: Sequence[TaxLot], quantity: Decimal, *, price: Decimal, sold: date, rates: TaxRates
) -> float:
    """The same minimum as :func:`minimal_tax`, solved as a linear program (HiGHS via SciPy), in dollars.

    ``min sum_j t_j x_j  s.t.  sum_j x_j = quantity, 0 <= x_j <= n_j`` with ``x`` the shares sold from
    each lot. Floats; used to prove the greedy order optimal.
    """
    from scipy.optimize import linprog

    _check_quantity(lots, Decimal(quantity))
    cost = [float(per_share_tax(lot, price=Decimal(price), sold=sold, rates=rates)) for lot in lots]
    result = linprog(
        cost,
        A_eq=[[1.0] * len(lots)],
        b_eq=[float(quantity)],
        bounds=[(0.0, float(lot.quantity)) for lot in lots],
        method="highs",
    )
    if result.status != 0:
        raise TaxError(f"the lot-selection LP failed: {result.message}")
    return float(result.fun)
