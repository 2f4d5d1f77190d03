"""The fast buy sizing (linear-cost threshold, Decimal end checks) gives the plain bisection's quantities.

Oracle: :func:`_reference_fit_buys`, the buy fit of the planner before the speed work (40 exact halvings of
the common scale in Decimal, then the one-step top-up), kept here in 30 lines.  ``fit_buys`` must give the
same quantities (Decimals compared as strings) and the same ``scaled`` flag with the linear-cost hint
(``rates``), without it, and for every cost model the hint covers (spread, per-share commission, ticket).
The estimate the planner uses with the hint (:meth:`CostModel.linear_estimate`) must be
:meth:`CostModel.estimate` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trimtab.models.costs import CostModel, FixedCost, LinearCost, MarketImpact
from trimtab.trades.sizing import fit_buys, round_to_step
from trimtab.units import ZERO

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _reference_fit_buys(wanted_usd: Mapping[str, Decimal], prices: Mapping[str, Decimal], *, budget: Decimal,
                        step: Decimal, cost_of: Callable[[str, Decimal], Decimal]
                        ) -> tuple[dict[str, Decimal], bool]:
    """The pre-optimisation fit: nearest steps if they fit, else 40 halvings and a one-step top-up."""
    wanted = {s: usd for s, usd in wanted_usd.items() if usd > 0}
    if not wanted:
        return {}, False

    def line(symbol: str, quantity: Decimal) -> Decimal:
        return ZERO if quantity <= 0 else quantity * prices[symbol] + cost_of(symbol, quantity)

    def total(quantities: Mapping[str, Decimal]) -> Decimal:
        return sum((line(s, q) for s, q in quantities.items()), ZERO)

    nearest = {s: round_to_step(usd / prices[s], step) for s, usd in wanted.items()}
    if total(nearest) <= budget:
        return nearest, False
    if budget <= 0:
        return {s: ZERO for s in wanted}, True

    def at(scale: Decimal) -> dict[str, Decimal]:
        return {s: round_to_step(scale * usd / prices[s], step, ROUND_DOWN) for s, usd in wanted.items()}

    low, high = Decimal(0), Decimal(1)
    if total(at(high)) <= budget:
        low = high
    for _ in range(40 if low < high else 0):
        middle = (low + high) / 2
        if total(at(middle)) <= budget:
            low = middle
        else:
            high = middle
    quantities = at(low)
    spent = total(quantities)
    for _ in range(4 * len(wanted) + 4):
        short = sorted(((wanted[s] - q * prices[s], s) for s, q in quantities.items()
                        if wanted[s] - q * prices[s] > 0), reverse=True)
        for _gap, symbol in short:
            more = line(symbol, quantities[symbol] + step) - line(symbol, quantities[symbol])
            if spent + more <= budget:
                quantities[symbol] += step
                spent += more
                break
        else:
            break
    return quantities, True


@st.composite
def buy_problems(draw: st.DrawFn
                 ) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal, Decimal, CostModel]:
    """1-12 symbols, prices $1-$900 with cents or float digits, wanted dollars, a budget near their cost,
    a step (1e-6, 0.01, 1 or 100 shares) and a linear model (spread, commission, ticket)."""
    n = draw(st.integers(1, 12))
    symbols = [f"S{i:02d}" for i in range(n)]
    float_prices = draw(st.booleans())
    prices = {}
    for s in symbols:
        price = draw(st.floats(1.0, 900.0, allow_nan=False))
        prices[s] = Decimal(repr(price)) if float_prices else Decimal(round(price * 100)) / 100
    wanted = {s: Decimal(draw(st.integers(0, 5_000_000))) / 100 for s in symbols}
    step = draw(st.sampled_from([Decimal("0.000001"), Decimal("0.01"), Decimal(1), Decimal(100)]))
    terms: list[LinearCost | FixedCost | MarketImpact] = [
        LinearCost(half_spread_bps=draw(st.sampled_from([0.0, 1.0, 5.0, 12.5, 50.0])),
                   commission_per_share=draw(st.sampled_from([0.0, 0.005, 0.01])))]
    if draw(st.booleans()):
        terms.append(FixedCost(per_trade=draw(st.sampled_from([0.0, 1.0, 4.95]))))
    if draw(st.booleans()):
        terms.append(MarketImpact())  # prices nothing without sigma and volume
    share = draw(st.floats(0.0, 1.2, allow_nan=False))
    budget = (sum(wanted.values(), ZERO) * Decimal(repr(share))).quantize(Decimal("0.01"))
    return wanted, prices, budget, step, CostModel(*terms)


@PROPERTY
@given(buy_problems())
def test_fast_fit_equals_plain_bisection(problem: tuple[dict[str, Decimal], dict[str, Decimal], Decimal,
                                                        Decimal, CostModel]) -> None:
    """With and without the linear-cost hint, fit_buys gives the plain bisection's quantities exactly."""
    wanted, prices, budget, step, model = problem

    def cost_of(symbol: str, quantity: Decimal) -> Decimal:
        return model.estimate(quantity, prices[symbol])

    want_q, want_scaled = _reference_fit_buys(wanted, prices, budget=budget, step=step, cost_of=cost_of)
    for rates in (model.linear_rates(), None):
        got_q, got_scaled = fit_buys(wanted, prices, budget=budget, step=step, cost_of=cost_of, rates=rates)
        assert got_scaled == want_scaled
        assert {s: str(q) for s, q in got_q.items()} == {s: str(q) for s, q in want_q.items()}


@PROPERTY
@given(buy_problems(), st.integers(1, 10**10), st.integers(0, 8))
def test_linear_estimate_is_estimate(problem: tuple[dict[str, Decimal], dict[str, Decimal], Decimal,
                                                    Decimal, CostModel], digits: int, places: int) -> None:
    """The planner's prebuilt estimate gives estimate()'s Decimal (value and exponent) for any quantity."""
    _wanted, prices, _budget, _step, model = problem
    estimate = model.linear_estimate()
    assert estimate is not None
    quantity = Decimal(digits).scaleb(-places)
    for price in prices.values():
        assert str(estimate(quantity, price)) == str(model.estimate(quantity, price))


def test_linear_rates_known_answer() -> None:
    """5 bp spread, half a cent a share and a $1 ticket: (0.0005, 0.005, 1.0); impact priced: no hint."""
    model = CostModel(LinearCost(half_spread_bps=5.0, commission_per_share=0.005), FixedCost(per_trade=1.0),
                      MarketImpact())
    assert model.linear_rates() == (0.0005, 0.005, 1.0)
    assert model.linear_rates(impact=True) is None
    assert model.linear_estimate() is not None
    # 100 shares at $50: 0.0005 * 5000 + 0.005 * 100 + 1 = 4.00 dollars
    assert model.linear_estimate()(Decimal(100), Decimal(50)) == Decimal("4.00")  # type: ignore[misc]
