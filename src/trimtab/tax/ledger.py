"""TaxLedger: replays a household's buys and sells into realized gains per year, with wash sales.

The ledger is the exact evaluation of every tax number in trimtab: lots per account, relief by method,
realized gains by character (short/long), household-wide wash sales (conventions in
:mod:`trimtab.tax.wash_sale`), netting and carryforwards per year (:mod:`trimtab.tax.netting`).

Exactness: amounts are :class:`~decimal.Decimal`. When a lot, a sale's proceeds or a disallowed loss is
split pro rata, the split-off part is rounded to the cent and the rest keeps the remainder, so every total
(basis, proceeds, disallowed loss) is conserved exactly.

Examples
--------
>>> ledger = TaxLedger.from_lines("2025-01-06 BUY 100 XYZ @ 10.00",
...                               "2025-06-02 SELL 100 XYZ @ 7.50", "2025-06-16 BUY 100 XYZ @ 8.00")
>>> ledger.disallowed_loss("XYZ")
Decimal('250.00')
>>> ledger.open_lots("XYZ")[0].cost_basis
Decimal('1050.00')
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household
from trimtab.domain.lots import ReliefMethod, TaxLot, Term
from trimtab.domain.trades import Side, Trade
from trimtab.errors import AccountError, ConfigError, OversellError, SourceRef, TaxError
from trimtab.tax.netting import FilingStatus, NettingResult, loss_limit, net_years, parse_filing_status
from trimtab.tax.relief import plan_relief
from trimtab.tax.rules import TaxRates, holding_term
from trimtab.tax.wash_sale import IdenticalGroups, WashSaleMatch, in_wash_window, tacked_holding_start
from trimtab.units import money

__all__ = ["RealizedGain", "TaxFlag", "TaxLedger", "Transaction"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Transaction:
    """One buy or sell as the ledger replays it.

    ``quantity`` shares (> 0) at ``price`` dollars per share (>= 0) on trade date ``on``; ``fees`` dollars
    (added to a buy's basis, subtracted from a sale's proceeds); ``lot_id`` names a buy's lot;
    ``specific_ids`` are the lots a sell relieves (specific identification); ``source`` is where the line
    came from (for error messages).
    """

    on: date
    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fees: Decimal = ZERO
    lot_id: str = ""
    specific_ids: tuple[str, ...] = ()
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RealizedGain:
    """The shares of one lot delivered by one sale.

    Attributes
    ----------
    account, symbol, lot_id : str
    quantity : Decimal
        Shares.
    acquired : date
        Trade date of the purchase.
    holding_period_start : date
        Start of the holding period (earlier than ``acquired`` after wash-sale tacking).
    sold : date
    proceeds : Decimal
        Dollars, after the sale's fees (allocated pro rata to the lots).
    cost_basis : Decimal
        Dollars, including fees and disallowed losses carried in from earlier wash sales.
    wash_sale_disallowed : Decimal
        Loss of this sale disallowed (>= 0), permanent part included.
    permanently_disallowed : Decimal
        Part of ``wash_sale_disallowed`` lost for good (replacement in an IRA/Roth).
    term : Term
    taxable : bool
        False for sales inside tax-deferred / tax-exempt accounts (reported nowhere).
    flags : tuple of str
        Notes such as ``"same_lot_not_replacement"`` (KAT-21).
    """

    account: str
    symbol: str
    lot_id: str
    quantity: Decimal
    acquired: date
    holding_period_start: date
    sold: date
    proceeds: Decimal
    cost_basis: Decimal
    wash_sale_disallowed: Decimal
    permanently_disallowed: Decimal
    term: Term
    taxable: bool = True
    flags: tuple[str, ...] = ()

    @property
    def raw_gain(self) -> Decimal:
        """Proceeds minus basis before this sale's wash-sale adjustment, dollars."""
        return self.proceeds - self.cost_basis

    @property
    def gain(self) -> Decimal:
        """Recognized gain, dollars: ``proceeds - cost_basis + wash_sale_disallowed``."""
        return self.proceeds - self.cost_basis + self.wash_sale_disallowed

    @property
    def year(self) -> int:
        """Tax year of the sale."""
        return self.sold.year


@dataclass(frozen=True, slots=True)
class TaxFlag:
    """A warning the ledger raises for a human to check (``code`` stable, ``message`` readable)."""

    code: str
    on: date
    account: str
    symbol: str
    message: str


# -- internal mutable state -------------------------------------------------------------------------------
@dataclass(slots=True)
class _Lot:
    key: str
    origin: int
    seq: int
    lot_id: str
    account: str
    symbol: str
    quantity: Decimal
    basis: Decimal
    acquired: date
    holding_start: date
    used: bool = False

    def view(self) -> TaxLot:
        start = self.holding_start if self.holding_start != self.acquired else None
        return TaxLot(
            account=self.account,
            symbol=self.symbol,
            quantity=self.quantity,
            cost_basis=self.basis,
            acquired=self.acquired,
            lot_id=self.key,
            holding_period_start=start,
        )


@dataclass(slots=True)
class _Disposal:
    account: str
    symbol: str
    lot_id: str
    origin: int
    quantity: Decimal
    acquired: date
    holding_start: date
    sold: date
    proceeds: Decimal
    basis: Decimal
    term: Term
    taxable: bool
    disallowed: Decimal = ZERO
    permanent: Decimal = ZERO
    flags: list[str] = field(default_factory=list)
    unmatched_quantity: Decimal = ZERO
    unmatched_loss: Decimal = ZERO

    def freeze(self) -> RealizedGain:
        return RealizedGain(
            account=self.account,
            symbol=self.symbol,
            lot_id=self.lot_id,
            quantity=self.quantity,
            acquired=self.acquired,
            holding_period_start=self.holding_start,
            sold=self.sold,
            proceeds=self.proceeds,
            cost_basis=self.basis,
            wash_sale_disallowed=self.disallowed,
            permanently_disallowed=self.permanent,
            term=self.term,
            taxable=self.taxable,
            flags=tuple(self.flags),
        )


def _split(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``total * part / whole`` rounded to the cent, kept in ``[0, total]``; ``total`` if ``part == whole``.

    The caller keeps ``total - split`` as the rest, so the two always add up to ``total`` exactly.
    """
    if part == whole:
        return total
    share = money(total * part / whole)
    return min(max(share, ZERO), total) if total >= 0 else max(min(share, ZERO), total)


def _kind(value: AccountKind | str) -> AccountKind:
    try:
        return AccountKind(value)
    except ValueError:
        raise AccountError(
            "unknown account kind", got=value, fix="use one of taxable, tax_deferred, tax_exempt"
        ) from None


class TaxLedger:
    """Lots, realized gains and wash sales of a household, built by replaying trades in date order.

    Parameters
    ----------
    accounts : sequence of Account or mapping of str to AccountKind, optional
        Account kinds. Accounts not listed get ``unknown_accounts``.
    identical : IdenticalGroups or iterable of iterable of str
        Substantially identical symbols (``[["VTI", "ITOT"]]``).
    method : ReliefMethod
        Default relief method for sells (a sell naming lots uses specific identification).
    rates : TaxRates, optional
        Needed for ``min_tax`` relief (which then minimises the year's netted tax, KAT-24b).
    filing_status : str or FilingStatus
        Sets the $3,000 / $1,500 limit.
    carryover_short, carryover_long : Decimal
        Capital-loss carryovers into the first year (positive amounts).
    unknown_accounts : AccountKind or None
        Kind of accounts not in ``accounts``; ``None`` makes them an error.
    """

    def __init__(
        self,
        accounts: Sequence[Account] | Mapping[str, AccountKind | str] | None = None,
        *,
        identical: IdenticalGroups | Iterable[Iterable[str]] = (),
        method: ReliefMethod | str = ReliefMethod.FIFO,
        rates: TaxRates | None = None,
        filing_status: str | FilingStatus = FilingStatus.SINGLE,
        carryover_short: Decimal = ZERO,
        carryover_long: Decimal = ZERO,
        unknown_accounts: AccountKind | None = AccountKind.TAXABLE,
    ) -> None:
        if accounts is None:
            kinds: dict[str, AccountKind] = {}
        elif isinstance(accounts, Mapping):
            kinds = {str(k): _kind(v) for k, v in accounts.items()}
        else:
            kinds = {a.id: a.kind for a in accounts}
        self._kinds = kinds
        self._unknown = unknown_accounts
        self.identical = identical if isinstance(identical, IdenticalGroups) else IdenticalGroups(identical)
        try:
            self.method = ReliefMethod(method)
        except ValueError:
            raise ConfigError(
                "unknown relief method",
                got=method,
                fix=f"use one of: {', '.join(m.value for m in ReliefMethod)}",
            ) from None
        if self.method is ReliefMethod.MIN_TAX and rates is None:
            raise ConfigError(
                "relief method min_tax needs tax rates",
                got=None,
                fix="pass rates=TaxRates(short_term=..., long_term=...)",
            )
        self.rates = rates
        self.filing_status = parse_filing_status(filing_status)
        self.carryover_short = Decimal(carryover_short)
        self.carryover_long = Decimal(carryover_long)
        self._lots: list[_Lot] = []
        self._disposals: list[_Disposal] = []
        self._pending: list[_Disposal] = []
        self._matches: list[WashSaleMatch] = []
        self._flags: list[TaxFlag] = []
        self._next_origin = 0
        self._next_key = 0
        self._ids_used: dict[str, int] = defaultdict(int)
        self._last_date: date | None = None

    # -- construction helpers ---------------------------------------------------------------------------
    @classmethod
    def from_lines(cls, *lines: str, **options: object) -> TaxLedger:
        """A ledger from short text lines, for tests and examples.

        Each line is ``DATE SIDE QUANTITY SYMBOL @ PRICE`` optionally followed by ``in ACCOUNT``,
        ``fee FEES``, ``id LOT_ID`` (a buy's lot id) and ``lots ID[,ID...]`` (lots a sell relieves), e.g.
        ``"2025-06-16 BUY 100 XYZ @ 8.00 in ira"``. The account defaults to ``taxable``. ``options`` are
        passed to the constructor (``accounts={"ira": "tax_deferred"}``, ``identical=...``, ``method=...``).
        """
        ledger = cls(**options)  # type: ignore[arg-type]
        for n, line in enumerate(lines, start=1):
            ledger.apply(_parse_line(line, n))
        return ledger

    @classmethod
    def from_household(
        cls,
        household: Household,
        *,
        identical: IdenticalGroups | Iterable[Iterable[str]] = (),
        method: ReliefMethod | str = ReliefMethod.FIFO,
        rates: TaxRates | None = None,
        filing_status: str | FilingStatus = FilingStatus.SINGLE,
        recent: Iterable[Transaction] = (),
    ) -> TaxLedger:
        """A ledger holding a household's current lots (as opening lots), then ``recent`` transactions.

        Lots acquired in the last 30 days count as possible replacements in later checks. A loss sale of the
        last 30 days is only known to the ledger when passed in ``recent`` (after the opening lots); pass
        a matching buy before it so the ledger can relieve it, or use :meth:`add_pending_loss`.
        """
        ledger = cls(
            household.accounts,
            identical=identical,
            method=method,
            rates=rates,
            filing_status=filing_status,
            unknown_accounts=None,
        )
        for lot in household.lots:
            ledger.add_lot(lot)
        for tx in recent:
            ledger.apply(tx)
        return ledger

    def copy(self) -> TaxLedger:
        """An independent deep copy (used by :func:`trimtab.tax.wash_sale.would_wash`)."""
        return copy.deepcopy(self)

    # -- account kinds ----------------------------------------------------------------------------------
    def account_kind(self, account: str) -> AccountKind:
        """Kind of ``account`` (``unknown_accounts`` when not listed)."""
        if account in self._kinds:
            return self._kinds[account]
        if self._unknown is None:
            raise AccountError(
                f"unknown account {account!r}",
                got=account,
                fix=f"use one of: {', '.join(self._kinds) or '(none listed)'}, or list it",
            )
        return self._unknown

    # -- replay -----------------------------------------------------------------------------------------
    def _advance(self, on: date) -> None:
        if self._last_date is not None and on < self._last_date:
            raise TaxError(
                f"transactions must be in date order: {on:%Y-%m-%d} comes after {self._last_date:%Y-%m-%d}"
            )
        self._last_date = on

    def apply(self, tx: Transaction) -> None:
        """Replay one transaction (dates must not go backwards)."""
        if tx.side is Side.BUY:
            self.buy(tx.account, tx.symbol, tx.quantity, tx.price, on=tx.on, fees=tx.fees, lot_id=tx.lot_id)
        else:
            self.sell(
                tx.account,
                tx.symbol,
                tx.quantity,
                tx.price,
                on=tx.on,
                fees=tx.fees,
                specific_ids=tx.specific_ids,
            )

    def apply_trade(self, trade: Trade, *, on: date) -> None:
        """Replay a :class:`~trimtab.domain.trades.Trade` on ``on`` (``trade.lots`` name a sell's lots)."""
        ids = tuple(r.lot_id for r in trade.lots if r.lot_id)
        if trade.side is Side.BUY:
            self.buy(trade.account, trade.symbol, trade.quantity, trade.price, on=on)
        else:
            self.sell(trade.account, trade.symbol, trade.quantity, trade.price, on=on, specific_ids=ids)

    def add_lot(self, lot: TaxLot) -> None:
        """Add a lot held before the replayed history starts (does not move the ledger's date)."""
        self.account_kind(lot.account)
        origin = self._new_origin()
        lot_id = lot.lot_id or self._default_id(lot.account, lot.symbol, lot.acquired)
        self._lots.append(
            _Lot(
                key=self._new_key(),
                origin=origin,
                seq=origin,
                lot_id=lot_id,
                account=lot.account,
                symbol=lot.symbol,
                quantity=lot.quantity,
                basis=lot.cost_basis,
                acquired=lot.acquired,
                holding_start=lot.holding_start,
            )
        )

    def add_pending_loss(
        self, account: str, symbol: str, *, quantity: Decimal, loss: Decimal, sold: date, holding_start: date
    ) -> None:
        """Record a recent loss sale (``loss`` dollars, positive) whose shares can still be washed by buys."""
        if loss <= 0 or quantity <= 0:
            raise TaxError("a pending loss needs a positive loss and quantity")
        d = _Disposal(
            account=account,
            symbol=symbol,
            lot_id="(prior)",
            origin=-1,
            quantity=quantity,
            acquired=holding_start,
            holding_start=holding_start,
            sold=sold,
            proceeds=ZERO,
            basis=loss,
            term=holding_term(holding_start, sold),
            taxable=self.account_kind(account).is_taxable,
            unmatched_quantity=quantity,
            unmatched_loss=loss,
        )
        self._pending.append(d)

    def _new_origin(self) -> int:
        self._next_origin += 1
        return self._next_origin

    def _new_key(self) -> str:
        self._next_key += 1
        return f"#{self._next_key}"

    def _default_id(self, account: str, symbol: str, acquired: date) -> str:
        base = f"{account}:{symbol}:{acquired:%Y-%m-%d}"
        self._ids_used[base] += 1
        return f"{base}:{self._ids_used[base]}"

    def buy(
        self,
        account: str,
        symbol: str,
        quantity: Decimal,
        price: Decimal,
        *,
        on: date,
        fees: Decimal = ZERO,
        lot_id: str = "",
    ) -> str:
        """Buy ``quantity`` shares at ``price`` dollars on ``on``; returns the new lot's id.

        The purchase first serves as replacement for pending loss sales of identical securities sold in the
        last 30 days (in sale order), across all accounts.
        """
        quantity, price, fees = Decimal(quantity), Decimal(price), Decimal(fees)
        if quantity <= 0 or price < 0 or fees < 0:
            raise TaxError(
                f"a buy needs quantity > 0, price >= 0 and fees >= 0; got {quantity} @ {price}, fees {fees}"
            )
        self.account_kind(account)
        self._advance(on)
        origin = self._new_origin()
        lot_id = lot_id or self._default_id(account, symbol, on)
        lot = _Lot(
            key=self._new_key(),
            origin=origin,
            seq=origin,
            lot_id=lot_id,
            account=account,
            symbol=symbol,
            quantity=quantity,
            basis=quantity * price + fees,
            acquired=on,
            holding_start=on,
        )
        self._lots.append(lot)
        self._match_buy(lot)
        return lot_id

    def sell(
        self,
        account: str,
        symbol: str,
        quantity: Decimal,
        price: Decimal,
        *,
        on: date,
        fees: Decimal = ZERO,
        method: ReliefMethod | None = None,
        specific_ids: Sequence[str] = (),
    ) -> list[RealizedGain]:
        """Sell ``quantity`` shares at ``price`` dollars on ``on``; returns the realized records (as of now).

        Lots are relieved by ``method`` (default the ledger's), or the lots named in ``specific_ids``. A loss
        in a taxable account is matched against replacement purchases (see :mod:`trimtab.tax.wash_sale`).

        Raises
        ------
        OversellError
            When the account holds fewer shares (or the named lots fewer).
        """
        quantity, price, fees = Decimal(quantity), Decimal(price), Decimal(fees)
        if quantity <= 0 or price < 0 or fees < 0:
            raise TaxError(
                f"a sell needs quantity > 0, price >= 0 and fees >= 0; got {quantity} @ {price}, fees {fees}"
            )
        kind = self.account_kind(account)
        self._advance(on)
        held = [lot for lot in self._lots if lot.account == account and lot.symbol == symbol]
        total = sum((lot.quantity for lot in held), ZERO)
        if quantity > total:
            raise OversellError(
                f"cannot sell {quantity} {symbol} in {account} on {on:%Y-%m-%d}: only {total} held"
            )
        use = self.method if method is None else ReliefMethod(method)
        keys: list[str] = []
        if specific_ids:
            use = ReliefMethod.SPEC_ID
            for wanted in specific_ids:
                found = [lot.key for lot in held if lot.lot_id == wanted]
                if not found:
                    raise TaxError(
                        f"sell of {symbol} in {account} names lot {wanted!r}, which is not held there"
                    )
                keys.extend(found)
        if use is ReliefMethod.AVG_COST:
            self._rebase_to_average(held)
        context = None
        if use is ReliefMethod.MIN_TAX:
            if self.rates is None:
                raise ConfigError(
                    "relief method min_tax needs tax rates", got=None, fix="pass rates=TaxRates(...)"
                )
            context = self._year_to_date(on.year) if kind.is_taxable else None
        views = [lot.view() for lot in held]
        plan = plan_relief(
            views,
            quantity,
            method=use,
            price=price,
            sold=on,
            specific_ids=keys,
            rates=self.rates,
            realized_so_far=context,
            loss_limit_usd=loss_limit(self.filing_status),
        )
        net_proceeds = quantity * price - fees
        proceeds_left, shares_left = net_proceeds, quantity
        new: list[_Disposal] = []
        for index, take in plan:
            lot = held[index]
            basis = _split(lot.basis, take, lot.quantity)
            proceeds = _split(proceeds_left, take, shares_left)
            proceeds_left -= proceeds
            shares_left -= take
            d = _Disposal(
                account=account,
                symbol=symbol,
                lot_id=lot.lot_id,
                origin=lot.origin,
                quantity=take,
                acquired=lot.acquired,
                holding_start=lot.holding_start,
                sold=on,
                proceeds=proceeds,
                basis=basis,
                term=holding_term(lot.holding_start, on),
                taxable=kind.is_taxable,
            )
            lot.quantity -= take
            lot.basis -= basis
            new.append(d)
        self._lots = [lot for lot in self._lots if lot.quantity > 0]
        self._disposals.extend(new)
        for d in new:
            if d.taxable and d.proceeds < d.basis:
                d.unmatched_quantity, d.unmatched_loss = d.quantity, d.basis - d.proceeds
                self._match_sale(d)
                if d.unmatched_quantity > 0:
                    self._pending.append(d)
        return [d.freeze() for d in new]

    def _rebase_to_average(self, held: list[_Lot]) -> None:
        total_qty = sum((lot.quantity for lot in held), ZERO)
        total_basis = sum((lot.basis for lot in held), ZERO)
        left = total_basis
        for n, lot in enumerate(held):
            lot.basis = left if n == len(held) - 1 else _split(left, lot.quantity, total_qty)
            left -= lot.basis
            total_qty -= lot.quantity

    # -- wash-sale matching -----------------------------------------------------------------------------
    def _match_sale(self, d: _Disposal) -> None:
        """Match a new loss against replacements bought in the 30 days before (still held, unused)."""
        group = self.identical.key(d.symbol)
        same_lot = [
            lot
            for lot in self._lots
            if lot.origin == d.origin and lot.account == d.account and in_wash_window(d.sold, lot.acquired)
        ]
        if same_lot:
            d.flags.append("same_lot_not_replacement")
            self._flags.append(
                TaxFlag(
                    code="same_lot_not_replacement",
                    on=d.sold,
                    account=d.account,
                    symbol=d.symbol,
                    message=(
                        f"loss on part of lot {d.lot_id} sold {d.sold:%Y-%m-%d}: the shares kept from the "
                        "same "
                        "purchase are not treated as replacements (Fairmark, IRS position); some explainers "
                        "disagree"
                    ),
                )
            )
        candidates = sorted(
            (
                lot
                for lot in self._lots
                if not lot.used
                and lot.origin != d.origin
                and self.identical.key(lot.symbol) == group
                and in_wash_window(d.sold, lot.acquired)
                and lot.acquired <= d.sold
            ),
            key=lambda lot: (lot.acquired, lot.seq),
        )
        for lot in candidates:
            if d.unmatched_quantity <= 0:
                break
            self._match(d, lot)

    def _match_buy(self, lot: _Lot) -> None:
        """Use a new purchase as replacement for pending losses sold in the 30 days before it."""
        group = self.identical.key(lot.symbol)
        self._pending = [
            d for d in self._pending if d.unmatched_quantity > 0 and in_wash_window(d.sold, lot.acquired)
        ]
        for d in list(self._pending):
            if lot.used or lot.quantity <= 0:
                break
            if self.identical.key(d.symbol) != group or d.origin == lot.origin:
                continue
            lot = self._match(d, lot) or lot
        self._pending = [d for d in self._pending if d.unmatched_quantity > 0]

    def _match(self, d: _Disposal, lot: _Lot) -> _Lot | None:
        """Match ``min(unmatched, lot)`` shares; returns the unused rest of ``lot`` (None when all used)."""
        shares = min(d.unmatched_quantity, lot.quantity)
        amount = _split(d.unmatched_loss, shares, d.unmatched_quantity)
        d.unmatched_quantity -= shares
        d.unmatched_loss -= amount
        rest: _Lot | None = None
        if shares < lot.quantity:
            rest_basis = lot.basis - _split(lot.basis, shares, lot.quantity)
            rest = _Lot(
                key=self._new_key(),
                origin=lot.origin,
                seq=lot.seq,
                lot_id=lot.lot_id,
                account=lot.account,
                symbol=lot.symbol,
                quantity=lot.quantity - shares,
                basis=rest_basis,
                acquired=lot.acquired,
                holding_start=lot.holding_start,
            )
            lot.quantity, lot.basis = shares, lot.basis - rest_basis
            self._lots.insert(self._lots.index(lot) + 1, rest)
        lot.used = True
        permanent = not self.account_kind(lot.account).is_taxable
        d.disallowed += amount
        start: date | None = None
        if permanent:
            d.permanent += amount
            self._flags.append(
                TaxFlag(
                    code="permanent_wash_sale",
                    on=d.sold,
                    account=d.account,
                    symbol=d.symbol,
                    message=(
                        f"${amount:,.2f} loss on {d.symbol} sold {d.sold:%Y-%m-%d} is disallowed for good: "
                        f"replacement bought {lot.acquired:%Y-%m-%d} in {lot.account} "
                        f"({self.account_kind(lot.account)}),"
                        " Rev. Rul. 2008-5"
                    ),
                )
            )
        else:
            lot.basis += amount
            start = tacked_holding_start(lot.acquired, d.sold, d.holding_start)
            lot.holding_start = start
        self._matches.append(
            WashSaleMatch(
                sale_account=d.account,
                sale_symbol=d.symbol,
                sold=d.sold,
                sold_lot_id=d.lot_id,
                replacement_account=lot.account,
                replacement_symbol=lot.symbol,
                replacement_acquired=lot.acquired,
                replacement_lot_id=lot.lot_id,
                quantity=shares,
                amount=amount,
                permanent=permanent,
                replacement_holding_start=start,
            )
        )
        return rest

    # -- queries ----------------------------------------------------------------------------------------
    @property
    def wash_sales(self) -> list[WashSaleMatch]:
        """Every wash-sale match so far, in the order found."""
        return list(self._matches)

    @property
    def flags(self) -> list[TaxFlag]:
        """Warnings for review (same-lot partial sales, permanent disallowance)."""
        return list(self._flags)

    def realized(
        self,
        *,
        year: int | None = None,
        symbol: str | None = None,
        account: str | None = None,
        include_untaxed: bool = False,
    ) -> list[RealizedGain]:
        """Realized records in sale order (taxable accounts only unless ``include_untaxed``)."""
        return [
            d.freeze()
            for d in self._disposals
            if (include_untaxed or d.taxable)
            and (year is None or d.sold.year == year)
            and (symbol is None or d.symbol == symbol)
            and (account is None or d.account == account)
        ]

    def open_lots(self, symbol: str | None = None, account: str | None = None) -> list[TaxLot]:
        """Lots held now, in purchase order, with user lot ids; bases include disallowed losses."""
        out = []
        for lot in sorted(self._lots, key=lambda lot: (lot.acquired, lot.seq)):
            if (symbol is None or lot.symbol == symbol) and (account is None or lot.account == account):
                start = lot.holding_start if lot.holding_start != lot.acquired else None
                out.append(
                    TaxLot(
                        account=lot.account,
                        symbol=lot.symbol,
                        quantity=lot.quantity,
                        cost_basis=lot.basis,
                        acquired=lot.acquired,
                        lot_id=lot.lot_id,
                        holding_period_start=start,
                    )
                )
        return out

    def disallowed_loss(self, symbol: str | None = None, *, year: int | None = None) -> Decimal:
        """Loss disallowed by wash sales on sales of ``symbol`` (all when None), permanent part included."""
        return sum((r.wash_sale_disallowed for r in self.realized(year=year, symbol=symbol)), ZERO)

    def permanently_disallowed(self, symbol: str | None = None, *, year: int | None = None) -> Decimal:
        """Loss lost for good because the replacement was bought in a tax-advantaged account."""
        return sum((r.permanently_disallowed for r in self.realized(year=year, symbol=symbol)), ZERO)

    def gains_by_year(self) -> dict[int, tuple[Decimal, Decimal]]:
        """``{year: (short_term, long_term)}`` recognized gains in taxable accounts, after wash sales."""
        out: dict[int, list[Decimal]] = {}
        for d in self._disposals:
            if d.taxable:
                pair = out.setdefault(d.sold.year, [ZERO, ZERO])
                pair[0 if d.term is Term.SHORT else 1] += d.proceeds - d.basis + d.disallowed
        return {y: (v[0], v[1]) for y, v in sorted(out.items())}

    def netting(self) -> dict[int, NettingResult]:
        """Netting per year from the first to the last year with a sale, with carryforwards."""
        return net_years(
            self.gains_by_year(),
            filing_status=self.filing_status,
            carryover_short=self.carryover_short,
            carryover_long=self.carryover_long,
        )

    def tax(self, rates: TaxRates | None = None) -> dict[int, Decimal]:
        """Capital-gains tax per year at flat ``rates`` (default the ledger's), dollars."""
        use = rates or self.rates
        if use is None:
            raise ConfigError("tax needs rates", got=None, fix="pass rates=TaxRates(...)")
        return {year: result.tax(use) for year, result in self.netting().items()}

    def _year_to_date(self, year: int) -> tuple[Decimal, Decimal]:
        """The year's net short/long gains so far, carryovers into the year subtracted."""
        by_year = self.gains_by_year()
        st, lt = by_year.get(year, (ZERO, ZERO))
        earlier = {y: v for y, v in by_year.items() if y < year}
        cst, clt = self.carryover_short, self.carryover_long
        if earlier:
            results = net_years(
                {**earlier, year - 1: earlier.get(year - 1, (ZERO, ZERO))},
                filing_status=self.filing_status,
                carryover_short=self.carryover_short,
                carryover_long=self.carryover_long,
            )
            last = results[year - 1]
            cst, clt = last.carryforward_short, last.carryforward_long
        return st - cst, lt - clt


# -- text lines ---------------------------------------------------------------------------------------------
def _parse_line(line: str, n: int) -> Transaction:
    where = SourceRef("<lines>", n)
    tokens = line.split()
    try:
        day = date.fromisoformat(tokens[0])
        side = Side(tokens[1].lower())
        quantity = Decimal(tokens[2])
        symbol = tokens[3]
        if tokens[4] != "@":
            raise ValueError("missing @")
        price = Decimal(tokens[5])
        extra = tokens[6:]
        options: dict[str, str] = {}
        while extra:
            key, value, extra = extra[0].lower(), extra[1], extra[2:]
            options[key] = value
    except (IndexError, ValueError, ArithmeticError) as err:
        raise ConfigError(
            "cannot read ledger line",
            got=line,
            fix="write DATE BUY|SELL QUANTITY SYMBOL @ PRICE [in ACCOUNT] [fee X] [id ID] [lots A,B]",
            where=where,
        ) from err
    unknown = set(options) - {"in", "fee", "id", "lots"}
    if unknown:
        raise ConfigError(
            "unknown option in ledger line", got=sorted(unknown), fix="use in, fee, id, lots", where=where
        )
    return Transaction(
        on=day,
        account=options.get("in", "taxable"),
        symbol=symbol,
        side=side,
        quantity=quantity,
        price=price,
        fees=Decimal(options.get("fee", "0")),
        lot_id=options.get("id", ""),
        specific_ids=tuple(i for i in options.get("lots", "").split(",") if i),
        source=where,
    )
