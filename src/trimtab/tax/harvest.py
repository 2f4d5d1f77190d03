"""Tax-loss harvesting: the value of a harvested loss (KAT-27) and a scan that proposes harvests.

:func:`find_harvests` looks at every position in a taxable account whose lots are worth less than their
basis, and proposes to sell those lots (specific identification) and buy a configured substitute with the
proceeds, when

    benefit > trading cost + tracking cost + ``min_net_benefit``.

* **benefit** (dollars at the horizon, KAT-27 generalised): ``saving * (1 + r)**T - rate_later * loss``.
  ``saving`` is the *marginal* change of this year's netted tax (:mod:`trimtab.tax.netting`, KAT-24b: a
  long-term loss is worth the short-term rate against short-term gains), plus any loss carried forward
  beyond the $3,000 deduction valued at ``carryforward_rate`` a year later; ``r`` is the after-tax return
  the saving earns for ``T`` years, and
  ``rate_later * loss`` the tax on the extra gain at liquidation (the harvest lowers the basis by the loss;
  ``rate_later = 0`` models a step-up at death).
* **trading cost**: commission per order and per share plus the half-spread on the value, for the sell and
  the substitute buy, twice when switching back.
* **tracking cost**: the certainty-equivalent cost of holding the substitute instead of the original for
  ``holding_days``: ``gamma / 2 * value**2 * sigma_d**2 * holding_days / 365 / household_value`` dollars, with
  ``sigma_d`` the annualised volatility of the return difference between the two (estimated from prices by
  :func:`tracking_errors_from_prices`) and ``gamma`` a mean-variance risk aversion.

Wash sales are respected across every account of the household (IRAs and Roths included): each proposal is
replayed with :func:`trimtab.tax.wash_sale.would_wash` on a copy of the household's ledger, together with
the substitute buy, earlier accepted proposals and ``planned`` trades (e.g. dividend reinvestment). A
proposal is dropped when any loss would be disallowed: identical shares bought in the last 30 days, a
substitute that is substantially identical, or a substitute buy that would wash a recent loss. The
optional switch-back (sell the substitute, buy the original) is dated 31 days after the sale, the first
day a purchase no longer washes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

from trimtab.domain.household import Household
from trimtab.domain.lots import LotRelief, Term
from trimtab.domain.settings import CostSettings
from trimtab.domain.trades import Side, Trade
from trimtab.errors import ConfigError
from trimtab.tax.ledger import TaxLedger
from trimtab.tax.rules import TaxRates
from trimtab.tax.wash_sale import WASH_SALE_DAYS, IdenticalGroups, would_wash
from trimtab.units import money

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_SUBSTITUTES",
    "HarvestProposal",
    "HarvestScan",
    "HarvestSettings",
    "SkippedHarvest",
    "find_harvests",
    "harvest_benefit",
    "tracking_errors_from_prices",
]

ZERO = Decimal(0)

#: Substitutes among the bundled stocks (same industry, not substantially identical).
DEFAULT_SUBSTITUTES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "XOM": ("CVX",),
        "CVX": ("XOM",),
        "KO": ("PEP",),
        "PEP": ("KO",),
        "PFE": ("MRK", "JNJ"),
        "MRK": ("PFE", "JNJ"),
        "JNJ": ("MRK", "PFE"),
        "JPM": ("BAC",),
        "BAC": ("JPM",),
        "AAPL": ("MSFT",),
        "MSFT": ("AAPL",),
        "HD": ("BBY",),
        "BBY": ("HD",),
        "WMT": ("PG",),
        "PG": ("WMT",),
    }
)


def harvest_benefit(
    loss: Decimal, rate_now: Decimal, rate_later: Decimal, after_tax_return: Decimal, years: int | Decimal
) -> Decimal:
    """Value in dollars, at the horizon, of harvesting a loss now (KAT-27).

    ``benefit = rate_now * loss * (1 + r)**years - rate_later * loss``: the tax saved now, reinvested at the
    after-tax return ``r`` for ``years``, minus the extra tax at liquidation (the harvest lowered the basis
    by ``loss``). ``rate_later = 0`` models a step-up in basis at death.

    Parameters
    ----------
    loss : Decimal
        Loss harvested, dollars (positive).
    rate_now, rate_later : Decimal
        Tax rates (fractions) at which the loss is used now and the extra gain is taxed later.
    after_tax_return : Decimal
        Yearly after-tax return on the reinvested saving (fraction).
    years : int or Decimal
        Years to liquidation. Whole years are exact.

    Examples
    --------
    >>> harvest_benefit(Decimal(10000), Decimal("0.37"), Decimal("0.20"), Decimal(0), 10)
    Decimal('1700.00')
    """
    loss, rate_now, rate_later = Decimal(loss), Decimal(rate_now), Decimal(rate_later)
    growth = (1 + Decimal(after_tax_return)) ** years
    return rate_now * loss * growth - rate_later * loss


@dataclass(frozen=True, slots=True, kw_only=True)
class HarvestSettings:
    """How :func:`find_harvests` values and limits harvests.

    Parameters
    ----------
    substitutes : mapping of str to str or sequence of str
        Symbol -> substitutes to buy, in order of preference (default :data:`DEFAULT_SUBSTITUTES`).
    risk_aversion : float
        ``gamma`` of the tracking cost (mean-variance certainty equivalent), default 3.
    holding_days : int
        Days the substitute is held (31: switch back as soon as the window has passed).
    switch_back : bool
        Propose buying the original back after ``holding_days`` (and count its trading cost).
    horizon_years : Decimal
        ``T`` of the benefit: years until the position is sold for good.
    after_tax_return : Decimal
        ``r`` of the benefit: yearly after-tax return on the tax saved.
    rate_later : Decimal, optional
        Rate on the extra gain at the horizon; default the long-term rate (0 for a step-up at death).
    carryforward_rate : Decimal, optional
        Rate at which a loss carried to next year is valued (it saves tax a year later, discounted at
        ``after_tax_return``); default the long-term rate (it will most likely offset long-term gains).
    min_net_benefit : Decimal
        Dollars the net benefit must exceed.
    min_loss : Decimal
        Dollars of loss below which a position is not considered.
    fractional : bool
        Buy fractional substitute shares (4 places); otherwise whole shares.
    choose : {"best", "first"}
        Among the substitutes that pass (no wash sale, net benefit above ``min_net_benefit``): ``best`` takes
        the highest net benefit (ties: preference order), ``first`` the first in preference order.
    """

    substitutes: Mapping[str, str | Sequence[str]] = field(default_factory=lambda: dict(DEFAULT_SUBSTITUTES))
    risk_aversion: float = 3.0
    holding_days: int = WASH_SALE_DAYS + 1
    switch_back: bool = True
    horizon_years: Decimal = Decimal(10)
    after_tax_return: Decimal = Decimal("0.05")
    rate_later: Decimal | None = None
    carryforward_rate: Decimal | None = None
    min_net_benefit: Decimal = ZERO
    min_loss: Decimal = ZERO
    fractional: bool = False
    choose: str = "best"

    def __post_init__(self) -> None:
        if self.choose not in ("best", "first"):
            raise ConfigError("harvest choose must be best or first", got=self.choose, fix="choose: best")
        if self.risk_aversion < 0 or not math.isfinite(self.risk_aversion):
            raise ConfigError(
                "harvest risk_aversion must be zero or more", got=self.risk_aversion, fix="e.g. 3"
            )
        if self.holding_days < 1:
            raise ConfigError("harvest holding_days must be at least 1", got=self.holding_days, fix="e.g. 31")

    def substitutes_for(self, symbol: str) -> tuple[str, ...]:
        """The configured substitutes of ``symbol`` in order of preference."""
        value = self.substitutes.get(symbol, ())
        return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True, slots=True)
class HarvestProposal:
    """Sell ``lots`` of ``symbol`` in ``account`` at a loss and buy ``substitute`` (dollars, shares).

    ``sell`` and ``buy`` are the trades for the sale date; ``switch_back`` (optional) are the trades for
    ``switch_back_on``. ``loss`` is the loss realized (>= 0) with its ``short_term_loss`` part;
    ``tax_saving`` this year's netted tax saved; ``benefit`` its value at the horizon (KAT-27);
    ``net_benefit = benefit - trading_cost - tracking_cost``.
    """

    account: str
    symbol: str
    lots: tuple[str, ...]
    substitute: str
    sell: Trade
    buy: Trade
    loss: Decimal
    short_term_loss: Decimal
    tax_saving: Decimal
    benefit: Decimal
    trading_cost: Decimal
    tracking_cost: Decimal
    net_benefit: Decimal
    tracking_error: float
    switch_back_on: date | None
    switch_back: tuple[Trade, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkippedHarvest:
    """A position with a loss that was not harvested, and why."""

    account: str
    symbol: str
    loss: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class HarvestScan:
    """Result of :func:`find_harvests`: proposals (largest loss first) and skipped positions."""

    as_of: date
    proposals: tuple[HarvestProposal, ...]
    skipped: tuple[SkippedHarvest, ...]

    @property
    def total_loss(self) -> Decimal:
        """Loss harvested by all proposals, dollars."""
        return sum((p.loss for p in self.proposals), ZERO)

    @property
    def total_net_benefit(self) -> Decimal:
        """Sum of the proposals' net benefits, dollars."""
        return sum((p.net_benefit for p in self.proposals), ZERO)


def tracking_errors_from_prices(
    prices: pd.DataFrame,
    *,
    as_of: object | None = None,
    lookback: int = 756,
    periods_per_year: float = 252.0,
) -> Callable[[str, str], float]:
    """Annualised tracking error between two symbols from a price history, as a function ``(a, b) -> sigma``.

    ``sigma_d = std(log-return of a - log-return of b) * sqrt(periods_per_year)`` over the last ``lookback``
    periods up to ``as_of`` (rows after it are ignored). Pairs without data give ``nan``.
    """
    import numpy as np

    history = prices if as_of is None else prices.loc[:as_of]
    history = history.tail(lookback + 1)
    returns = np.log(history).diff().iloc[1:]
    cache: dict[tuple[str, str], float] = {}

    def sigma(a: str, b: str) -> float:
        key = (a, b) if a <= b else (b, a)
        if key not in cache:
            if a not in returns.columns or b not in returns.columns:
                cache[key] = float("nan")
            else:
                diff = (returns[a] - returns[b]).dropna()
                cache[key] = (
                    float(diff.std(ddof=1) * math.sqrt(periods_per_year)) if len(diff) > 2 else float("nan")
                )
        return cache[key]

    return sigma


def _trading_cost(costs: CostSettings, quantity: Decimal, price: Decimal) -> Decimal:
    spread = Decimal(repr(costs.half_spread_bps)) / Decimal(10000)
    return costs.commission_per_trade + costs.commission_per_share * quantity + spread * quantity * price


def _year_tax(ledger: TaxLedger, year: int, rates: TaxRates) -> tuple[Decimal, Decimal]:
    """This year's netted tax and the loss carried out of it (dollars)."""
    result = ledger.netting().get(year)
    if result is None:
        return ZERO, ledger.carryover_short + ledger.carryover_long
    return result.tax(rates), result.carryforward_short + result.carryforward_long


def find_harvests(
    household: Household,
    prices: Mapping[str, Decimal],
    *,
    as_of: date,
    rates: TaxRates,
    costs: CostSettings | None = None,
    settings: HarvestSettings | None = None,
    tracking_error: Callable[[str, str], float] | Mapping[tuple[str, str], float] | None = None,
    ledger: TaxLedger | None = None,
    identical: IdenticalGroups | Sequence[Sequence[str]] = (),
    planned: Sequence[tuple[date, Trade]] = (),
) -> HarvestScan:
    """Propose tax-loss harvests (sell loss lots, buy a substitute) worth more than they cost.

    Parameters
    ----------
    household : Household
        Accounts and lots (used to build the ledger when ``ledger`` is not given).
    prices : mapping of str to Decimal
        Prices at ``as_of``, dollars per share (the original and its substitutes).
    as_of : date
        Trade date of the harvest.
    rates : TaxRates
        Short/long-term (and ordinary) rates.
    costs : CostSettings, optional
        Commissions and half-spread (default: none).
    settings : HarvestSettings, optional
    tracking_error : callable or mapping, optional
        Annualised tracking error of a ``(symbol, substitute)`` pair (fraction); default 0 (no tracking
        cost). See :func:`tracking_errors_from_prices`.
    ledger : TaxLedger, optional
        The household's history (recent buys and loss sales in every account); default the household's
        lots as opening lots (then only lots acquired in the last 30 days can wash a harvest).
    identical : IdenticalGroups or lists of symbols
        Substantially identical groups (used when ``ledger`` is not given).
    planned : sequence of (date, Trade)
        Trades already planned on or after ``as_of`` (rebalance legs, dividend reinvestment).

    Returns
    -------
    HarvestScan
    """
    settings = settings or HarvestSettings()
    costs = costs or CostSettings()
    trial = (
        ledger.copy()
        if ledger is not None
        else TaxLedger.from_household(household, identical=identical, rates=rates)
    )
    rate_later = settings.rate_later if settings.rate_later is not None else rates.long_term
    carry_rate = settings.carryforward_rate if settings.carryforward_rate is not None else rates.long_term
    household_value = household.total_cash + sum(
        (lot.quantity * Decimal(prices[lot.symbol]) for lot in household.lots if lot.symbol in prices), ZERO
    )

    def te(a: str, b: str) -> float:
        if tracking_error is None:
            return 0.0
        if callable(tracking_error):
            return float(tracking_error(a, b))
        return float(tracking_error.get((a, b), tracking_error.get((b, a), float("nan"))))

    candidates: list[tuple[Decimal, str, str, list[str], Decimal]] = []
    for account in household.accounts:
        if not trial.account_kind(account.id).is_taxable:
            continue
        symbols = dict.fromkeys(lot.symbol for lot in trial.open_lots(account=account.id))
        for symbol in symbols:
            if symbol not in prices:
                continue
            price = Decimal(prices[symbol])
            by_id: dict[str, list[Decimal]] = {}
            for lot in trial.open_lots(symbol, account.id):
                entry = by_id.setdefault(lot.lot_id, [ZERO, ZERO])
                entry[0] += lot.quantity
                entry[1] += lot.cost_basis
            loss_ids = [i for i, (q, b) in by_id.items() if q * price < b]
            if not loss_ids:
                continue
            loss = sum((by_id[i][1] - by_id[i][0] * price for i in loss_ids), ZERO)
            quantity = sum((by_id[i][0] for i in loss_ids), ZERO)
            candidates.append((loss, account.id, symbol, loss_ids, quantity))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))

    proposals: list[HarvestProposal] = []
    skipped: list[SkippedHarvest] = []
    year = as_of.year
    for loss_estimate, account_id, symbol, lot_ids, quantity in candidates:
        loss_estimate = money(loss_estimate)
        if loss_estimate <= settings.min_loss:
            skipped.append(SkippedHarvest(account_id, symbol, loss_estimate, "loss below min_loss"))
            continue
        price = Decimal(prices[symbol])
        substitutes = [s for s in settings.substitutes_for(symbol) if s in prices and s != symbol]
        if not substitutes:
            skipped.append(
                SkippedHarvest(
                    account_id, symbol, loss_estimate, f"no substitute configured for {symbol} (with a price)"
                )
            )
            continue
        # the sale by specific identification of the loss lots, priced exactly on a copy of the ledger
        after = trial.copy()
        done = len(after.realized(include_untaxed=True))
        after.sell(account_id, symbol, quantity, price, on=as_of, specific_ids=lot_ids)
        realized = after.realized(include_untaxed=True)[done:]
        reliefs = tuple(
            LotRelief(
                lot_id=r.lot_id,
                acquired=r.acquired,
                quantity=r.quantity,
                cost_basis=r.cost_basis,
                proceeds=r.proceeds,
                term=r.term,
            )
            for r in realized
        )
        sell = Trade(
            account=account_id,
            symbol=symbol,
            side=Side.SELL,
            quantity=quantity,
            price=price,
            estimated_cost=money(_trading_cost(costs, quantity, price)),
            lots=reliefs,
        )
        short_loss = sum((-r.raw_gain for r in realized if r.term is Term.SHORT and r.raw_gain < 0), ZERO)
        tax_before, carry_before = _year_tax(trial, year, rates)
        tax_after, carry_after = _year_tax(after, year, rates)
        # saved this year, plus the extra carryforward valued a year later at carryforward_rate
        saving = (
            tax_before
            - tax_after
            + carry_rate * (carry_after - carry_before) / (1 + settings.after_tax_return)
        )
        growth = (1 + settings.after_tax_return) ** (
            int(settings.horizon_years)
            if settings.horizon_years == int(settings.horizon_years)
            else settings.horizon_years
        )
        reasons: list[str] = []
        accepted: HarvestProposal | None = None
        passing: list[tuple[HarvestProposal, Trade]] = []
        for substitute in substitutes:
            sub_price = Decimal(prices[substitute])
            step = Decimal("0.0001") if settings.fractional else Decimal(1)
            sub_quantity = (quantity * price / sub_price).quantize(step, rounding=ROUND_DOWN)
            if sub_quantity <= 0 or sub_price <= 0:
                reasons.append(f"{substitute}: proceeds buy no whole share")
                continue
            buy = Trade(
                account=account_id, symbol=substitute, side=Side.BUY, quantity=sub_quantity, price=sub_price
            )
            check = would_wash(trial, sell, on=as_of, planned=[(as_of, buy), *planned])
            if check.washes:
                reasons.append(f"{substitute}: {check.message}")
                continue
            realized_loss = check.realized_loss
            benefit = saving * growth - rate_later * realized_loss
            legs = 2 if settings.switch_back else 1
            trading = legs * (
                _trading_cost(costs, quantity, price) + _trading_cost(costs, sub_quantity, sub_price)
            )
            sigma = te(symbol, substitute)
            value = quantity * price
            if household_value > 0 and math.isfinite(sigma):
                tracking = Decimal(
                    repr(
                        settings.risk_aversion
                        / 2
                        * float(value) ** 2
                        * sigma**2
                        * settings.holding_days
                        / 365
                        / float(household_value)
                    )
                )
            elif not math.isfinite(sigma):
                reasons.append(f"{substitute}: no tracking-error estimate for {symbol}/{substitute}")
                continue
            else:
                tracking = ZERO
            net = benefit - trading - tracking
            if net <= settings.min_net_benefit:
                reasons.append(
                    f"{substitute}: net benefit ${money(net):,} (benefit ${money(benefit):,} - trading "
                    f"${money(trading):,} - tracking ${money(tracking):,}) not above "
                    f"${money(settings.min_net_benefit):,}"
                )
                continue
            switch_on = as_of + timedelta(days=settings.holding_days) if settings.switch_back else None
            back: tuple[Trade, ...] = ()
            if switch_on is not None:
                back = (
                    Trade(
                        account=account_id,
                        symbol=substitute,
                        side=Side.SELL,
                        quantity=sub_quantity,
                        price=sub_price,
                    ),
                    Trade(account=account_id, symbol=symbol, side=Side.BUY, quantity=quantity, price=price),
                )
            notes = []
            if switch_on is not None and switch_on <= as_of + timedelta(days=WASH_SALE_DAYS):
                notes.append("switch-back inside the wash-sale window: the buy-back washes the harvest")
            accepted = HarvestProposal(
                account=account_id,
                symbol=symbol,
                lots=tuple(lot_ids),
                substitute=substitute,
                sell=sell,
                buy=Trade(
                    account=account_id,
                    symbol=substitute,
                    side=Side.BUY,
                    quantity=sub_quantity,
                    price=sub_price,
                    estimated_cost=money(_trading_cost(costs, sub_quantity, sub_price)),
                ),
                loss=money(realized_loss),
                short_term_loss=money(short_loss),
                tax_saving=money(saving),
                benefit=money(benefit),
                trading_cost=money(trading),
                tracking_cost=money(tracking),
                net_benefit=money(benefit) - money(trading) - money(tracking),
                tracking_error=sigma,
                switch_back_on=switch_on,
                switch_back=back,
                notes=tuple(notes),
            )
            passing.append((accepted, buy))
            if settings.choose == "first":
                break
        if passing:
            # the highest net benefit; max keeps the first of equals, i.e. the preference order
            accepted, buy = max(passing, key=lambda pair: pair[0].net_benefit)
            trial.apply_trade(sell, on=as_of)
            trial.apply_trade(buy, on=as_of)
        if accepted is not None:
            proposals.append(accepted)
        else:
            skipped.append(SkippedHarvest(account_id, symbol, loss_estimate, "; ".join(reasons)))
    return HarvestScan(as_of=as_of, proposals=tuple(proposals), skipped=tuple(skipped))
