"""Wash sales (IRC §1091, Pub 550, Rev. Rul. 2008-5): window, identical groups, tacking, pre-trade check.

The rule
--------
A sale **at a loss** is a wash sale when the same or a substantially identical security is acquired in
**any account of the household** within 30 days before or after the sale: 61 calendar days, the sale day
included, on trade dates (Rev. Rul. 66-97, 70-598). Gains are never washed. The matching itself is done
by :class:`trimtab.tax.ledger.TaxLedger`; its conventions are:

* **Share by share, in purchase order.** Each loss share is matched to one replacement share; replacements
  are taken in order of purchase (trade date, then the order of the transactions), across accounts
  (Pub 550 Examples 1 and 2, KAT-17/18). A replacement share absorbs at most one loss share. Unmatched
  loss shares stay deductible and stay open to purchases until 30 days after the sale.
* **Basis and holding period.** The disallowed loss of the matched shares is added to the basis of the
  replacement shares, and the replacement's holding period is tacked: **its holding period starts the
  number of days the sold shares were held before its own acquisition date**
  (``start = acquired - (sold - sold_lot_start)``), the common broker convention (KAT-22b). When the
  replacement was bought before the sale the overlap is therefore counted twice; no official example
  fixes this day count.
* **IRA / Roth replacements** (``tax_deferred`` / ``tax_exempt`` accounts): the loss is disallowed
  **permanently** and no basis is increased anywhere (Rev. Rul. 2008-5, KAT-20).
* **Chains.** A replacement lot sold at a loss washes again (its carried-in loss included).
* **Same day.** Purchases on the sale date count; a purchase later the same day washes the earlier loss
  (KAT-21 round trip). Gains of other lots sold the same day are not reduced (KAT-19).
* **Not replacements:** shares delivered by the loss sale itself, other shares of the **same purchase
  lot** (Fairmark's reading of the IRS position, KAT-21; the ledger flags the sale because some
  explainers disagree), shares already used as replacements, and shares bought before the sale that were
  sold before it (a retroactive wash would change an earlier return; documented convention).
* Only losses in taxable accounts are washed; sales inside tax-deferred or tax-exempt accounts realize
  nothing.

Not modelled: options and contracts to acquire, short sales, acquisitions by a controlled corporation (the
household's accounts stand for the spouse rule), and the 30-day rule for dividend reinvestment other than
as planned buys passed to :func:`would_wash`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from trimtab.domain.trades import Side, Trade
from trimtab.errors import ConfigError

if TYPE_CHECKING:
    from trimtab.tax.ledger import TaxLedger

__all__ = [
    "WASH_SALE_DAYS",
    "IdenticalGroups",
    "WashCheck",
    "WashSaleMatch",
    "in_wash_window",
    "tacked_holding_start",
    "wash_window",
    "would_wash",
]

#: Days before and after a loss sale in which a purchase washes it.
WASH_SALE_DAYS = 30


def wash_window(sold: date) -> tuple[date, date]:
    """First and last purchase dates that wash a loss sold on ``sold`` (``sold - 30`` .. ``sold + 30``)."""
    return sold - timedelta(days=WASH_SALE_DAYS), sold + timedelta(days=WASH_SALE_DAYS)


def in_wash_window(sold: date, bought: date) -> bool:
    """Whether a purchase on ``bought`` falls in the 61-day window of a sale on ``sold`` (KAT-16b)."""
    first, last = wash_window(sold)
    return first <= bought <= last


def tacked_holding_start(replacement_acquired: date, sold: date, sold_holding_start: date) -> date:
    """Holding-period start of a replacement lot (the documented broker convention, KAT-22b).

    The replacement's acquisition date moved back by the days the sold shares were held
    (``sold - sold_holding_start``).
    """
    return replacement_acquired - (sold - sold_holding_start)


class IdenticalGroups:
    """Groups of symbols treated as substantially identical for wash sales (e.g. ``[["VTI", "ITOT"]]``).

    A symbol in no group is identical only to itself. Groups that share a symbol are merged (the relation
    is made transitive, which can only find more wash sales, never fewer).

    Parameters
    ----------
    groups : iterable of iterable of str
        Each inner list names symbols that are substantially identical to each other.
    """

    def __init__(self, groups: Iterable[Iterable[str]] = ()) -> None:
        parent: dict[str, str] = {}

        def find(s: str) -> str:
            while parent.setdefault(s, s) != s:
                parent[s] = parent[parent[s]]
                s = parent[s]
            return s

        for group in groups:
            if isinstance(group, str):
                raise ConfigError(
                    "identical: each entry must be a list of symbols",
                    got=group,
                    fix="write e.g. identical: [[VTI, ITOT]]",
                )
            members = [str(s).strip() for s in group]
            for symbol in members:
                if not symbol:
                    raise ConfigError(
                        "identical: empty symbol in a group", got=list(group), fix="name each symbol"
                    )
            for other in members[1:]:
                a, b = find(members[0]), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        self._key = {s: find(s) for s in list(parent)}
        members_of: dict[str, list[str]] = {}
        for symbol, key in self._key.items():
            members_of.setdefault(key, []).append(symbol)
        self._groups = tuple(tuple(sorted(m)) for m in members_of.values() if len(m) > 1)

    def key(self, symbol: str) -> str:
        """A canonical name of the group ``symbol`` belongs to (the symbol itself when in no group)."""
        return self._key.get(symbol, symbol)

    def identical(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` are the same or substantially identical."""
        return self.key(a) == self.key(b)

    def members(self, symbol: str) -> tuple[str, ...]:
        """All symbols identical to ``symbol`` (itself included)."""
        key = self.key(symbol)
        for group in self._groups:
            if key in group or symbol in group:
                return group
        return (symbol,)

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        """The merged groups (each sorted)."""
        return self._groups

    def __repr__(self) -> str:
        return f"IdenticalGroups({[list(g) for g in self._groups]!r})"


@dataclass(frozen=True, slots=True)
class WashSaleMatch:
    """Loss shares of one sale matched to replacement shares of one purchase.

    ``amount`` dollars of loss disallowed; ``permanent`` when the replacement sits in a tax-deferred or
    tax-exempt account (then no basis moves). ``replacement_holding_start`` is the tacked start (None when
    permanent).
    """

    sale_account: str
    sale_symbol: str
    sold: date
    sold_lot_id: str
    replacement_account: str
    replacement_symbol: str
    replacement_acquired: date
    replacement_lot_id: str
    quantity: Decimal
    amount: Decimal
    permanent: bool
    replacement_holding_start: date | None


@dataclass(frozen=True, slots=True)
class WashCheck:
    """Answer of the pre-trade check :func:`would_wash`.

    Attributes
    ----------
    washes : bool
        The trade (with the planned buys) would disallow some loss now.
    disallowed : Decimal
        Loss in dollars the trade would newly disallow (temporary and permanent together).
    permanently_disallowed : Decimal
        The part lost for good (replacement in an IRA/Roth).
    realized_loss : Decimal
        For a sell: the loss in dollars it realizes before any wash (>= 0); 0 for a buy.
    rebuy_safe_from : date or None
        For a sell at a loss: the first date a purchase of an identical security in any account no longer
        washes it (``on + 31``).
    matches : tuple of WashSaleMatch
        The new matches.
    message : str
        One line for logs and warnings.
    """

    washes: bool
    disallowed: Decimal
    permanently_disallowed: Decimal
    realized_loss: Decimal
    rebuy_safe_from: date | None
    matches: tuple[WashSaleMatch, ...] = field(default=())
    message: str = ""

    @property
    def permanent(self) -> bool:
        """Whether any of the disallowed loss is lost for good."""
        return self.permanently_disallowed > 0


def would_wash(
    ledger: TaxLedger, trade: Trade, *, on: date, planned: Sequence[tuple[date, Trade]] = ()
) -> WashCheck:
    """Would ``trade`` on ``on`` cause (or be part of) a wash sale? The pre-trade check for planners.

    Replays the trade, then ``planned`` purchases or sales (e.g. other legs of a rebalance, dividend
    reinvestments), on a copy of ``ledger`` and reports the loss newly disallowed. A sell at a loss with
    no replacement in sight is not a wash now, but ``rebuy_safe_from`` says when buying back becomes safe.
    ``ledger`` is left unchanged.

    Parameters
    ----------
    ledger : TaxLedger
        The household's history (all accounts), e.g. :meth:`TaxLedger.from_household`.
    trade : Trade
        The proposed trade; a sell relieves lots by the ledger's method (or ``Trade.lots`` ids when given).
    on : date
        Trade date.
    planned : sequence of (date, Trade)
        Other trades expected on or after ``on``.

    Returns
    -------
    WashCheck
    """
    trial = ledger.copy()
    matches_before = len(trial.wash_sales)
    disposals_before = len(trial.realized(include_untaxed=True))
    events = [(on, 0, trade), *((day, n + 1, t) for n, (day, t) in enumerate(planned))]
    for day, _, item in sorted(events, key=lambda e: (e[0], e[1])):
        trial.apply_trade(item, on=day)
    new = tuple(trial.wash_sales[matches_before:])
    disallowed = sum((m.amount for m in new), Decimal(0))
    permanent = sum((m.amount for m in new if m.permanent), Decimal(0))
    realized_loss = Decimal(0)
    if trade.side is Side.SELL:
        own = [
            r
            for r in trial.realized(include_untaxed=True)[disposals_before:]
            if r.sold == on and r.account == trade.account and r.symbol == trade.symbol and r.taxable
        ]
        realized_loss = sum((-r.raw_gain for r in own if r.raw_gain < 0), Decimal(0))
    safe = on + timedelta(days=WASH_SALE_DAYS + 1) if realized_loss > 0 else None
    if disallowed > 0:
        kind = " (permanently: replacement in a tax-advantaged account)" if permanent > 0 else ""
        message = (
            f"{trade.side} {trade.quantity} {trade.symbol} in {trade.account} on {on:%Y-%m-%d} washes "
            f"${disallowed:,.2f} of loss{kind}"
        )
    elif realized_loss > 0:
        message = (
            f"sell of {trade.symbol} realizes a ${realized_loss:,.2f} loss: do not buy it or an identical "
            f"security in any account before {safe:%Y-%m-%d}"
        )
    else:
        message = "no wash sale"
    return WashCheck(
        washes=disallowed > 0,
        disallowed=disallowed,
        permanently_disallowed=permanent,
        realized_loss=realized_loss,
        rebuy_safe_from=safe,
        matches=new,
        message=message,
    )
