"""Book: the book of record. Fills are its only input, deduplicated on ``(venue, execution_id)``.

:meth:`Book.apply` books one execution in one transaction: the fill row, the cash movement, a new lot for a
buy or the relieved lots and realized gains for a sell. A fill already booked changes nothing, so stream
replays, polls after reconnects and FIX PossDup resends are harmless. A correcting fill (``Fill.corrects``)
supersedes the fill it names: the cash effect is reversed and the account's lots of that symbol are replayed
from the opening lots.

The opening state comes from :meth:`Book.import_household` (a portfolio file's accounts, cash and lots). Sells
relieve lots by the book's relief method (FIFO by default; LIFO and HIFO available); bought lots are dated
with the US trade date (New York) of the execution, cost basis = value + fee; realized proceeds are net of the
fee.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from trimtab.book.reconcile import ReconciliationReport, reconcile
from trimtab.book.store import BookStore, BookTransaction, StoreConflict
from trimtab.domain.accounts import Account, AccountKind
from trimtab.domain.household import Household
from trimtab.domain.lots import ReliefMethod, TaxLot, Term
from trimtab.domain.orders import Fill
from trimtab.domain.trades import Side
from trimtab.errors import ConfigError, InputError, ReconciliationError
from trimtab.tax.relief import order_lots
from trimtab.tax.rules import holding_term

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["Book", "BookAccount", "BookError", "BookMismatchError", "RealizedRow"]

_ZERO = Decimal(0)
_NEW_YORK = ZoneInfo("America/New_York")
_RELIEF_METHODS = (ReliefMethod.FIFO, ReliefMethod.LIFO, ReliefMethod.HIFO)


class BookError(ReconciliationError):
    """A fill cannot be booked (unknown account, a sell of shares the book does not hold): reconcile first."""


class BookMismatchError(InputError):
    """A portfolio file does not match the book it should continue (exit code 2 in the CLI)."""


@dataclass(frozen=True, slots=True)
class BookAccount:
    """An account in the book: household, tax kind and cash in dollars."""

    account_id: str
    household: str
    kind: AccountKind
    cash: Decimal


@dataclass(frozen=True, slots=True)
class RealizedRow:
    """Part of a lot a sell relieved: shares, basis and net proceeds in dollars, term."""

    account: str
    symbol: str
    lot_id: str
    acquired: date
    sold: date
    quantity: Decimal
    cost_basis: Decimal
    proceeds: Decimal
    term: Term
    venue: str
    execution_id: str

    @property
    def gain(self) -> Decimal:
        """Proceeds minus basis, dollars."""
        return self.proceeds - self.cost_basis


@dataclass
class _Lot:
    """A lot in memory while a fill is booked (``row_id`` None for a lot not yet stored)."""

    row_id: int | None
    lot_id: str
    symbol: str
    quantity: Decimal
    cost_basis: Decimal
    acquired: date
    holding_period_start: date | None
    source: str
    changed: bool = False

    @classmethod
    def of_row(cls, row: Any) -> _Lot:
        """A ``book_lots`` row as a lot in memory."""
        return cls(
            row.id,
            row.lot_id,
            row.symbol,
            row.quantity,
            row.cost_basis,
            row.acquired,
            row.holding_period_start,
            row.source,
        )

    def as_tax_lot(self, account: str) -> TaxLot:
        return TaxLot(
            account=account,
            symbol=self.symbol,
            quantity=self.quantity,
            cost_basis=self.cost_basis,
            acquired=self.acquired,
            lot_id=self.lot_id,
            holding_period_start=self.holding_period_start,
        )


def trade_date(at: datetime) -> date:
    """US trade date (New York) of a UTC time."""
    return at.astimezone(_NEW_YORK).date()


class Book:
    """The book of record in the database: accounts, cash, lots, fills, realized gains.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From :func:`trimtab.db.open_database`.
    relief_method : ReliefMethod
        Which lots a sell relieves: FIFO (default), LIFO or HIFO.
    hook : callable, optional
        Called with a step name at named points (``"book_apply"`` just before a fill's transaction commits);
        crash tests use it to kill the process there.
    clock : callable, optional
        Current UTC time (for ``applied_at``).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        relief_method: ReliefMethod = ReliefMethod.FIFO,
        hook: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if relief_method not in _RELIEF_METHODS:
            raise ConfigError(
                "the book relieves lots by fifo, lifo or hifo",
                got=str(relief_method),
                fix="choose one of fifo, lifo, hifo",
            )
        self.engine = engine
        self.store = BookStore(engine)
        self.relief_method = relief_method
        self._hook = hook or (lambda _step: None)
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- opening state ---------------------------------------------------------------------------------
    def import_household(self, household: Household, *, as_of: date | None = None) -> None:
        """Open the household's accounts with their cash and lots, all in one transaction.

        Raises
        ------
        BookMismatchError
            When one of the accounts is already in the book (import once; later runs continue from fills).
        """
        now = self._clock()
        with self.store.transaction() as txn:
            existing = txn.existing_accounts(household.account_ids)
            if existing:
                raise BookMismatchError(
                    f"accounts already in the book: {', '.join(sorted(existing))}",
                    got=household.name,
                    fix="the book continues from fills; use another --db to start a new book",
                )
            txn.insert(
                "book_accounts",
                [
                    {
                        "account_id": a.id,
                        "household": household.name,
                        "kind": str(a.kind),
                        "cash": a.cash,
                        "opened_at": now,
                        "as_of": as_of,
                    }
                    for a in household.accounts
                ],
            )
            txn.insert(
                "book_cash_entries",
                [
                    {
                        "account_id": a.id,
                        "amount": a.cash,
                        "reason": "opening",
                        "venue": None,
                        "execution_id": None,
                        "at": now,
                    }
                    for a in household.accounts
                ],
            )
            seen: dict[tuple[str, str], int] = defaultdict(int)
            rows = []
            for lot in household.lots:
                base = lot.lot_id or f"{lot.account}:{lot.symbol}:{lot.acquired.isoformat()}"
                seen[(lot.account, base)] += 1
                count = seen[(lot.account, base)]
                rows.append(
                    {
                        "account_id": lot.account,
                        "lot_id": base if count == 1 else f"{base}:{count}",
                        "symbol": lot.symbol,
                        "quantity": lot.quantity,
                        "cost_basis": lot.cost_basis,
                        "acquired": lot.acquired,
                        "holding_period_start": lot.holding_period_start,
                    }
                )
            txn.insert("book_opening_lots", rows)
            txn.insert("book_lots", [{**row, "source": "import"} for row in rows])

    # -- reads -----------------------------------------------------------------------------------------
    def accounts(self, household: str | None = None) -> list[BookAccount]:
        """Accounts in the book (of one household), by account id."""
        return [
            BookAccount(r.account_id, r.household, AccountKind(r.kind), r.cash)
            for r in self.store.accounts(household)
        ]

    def households(self) -> list[str]:
        """Household names in the book."""
        return self.store.households()

    def cash(self, account: str) -> Decimal:
        """Cash of one account, dollars."""
        value = self.store.cash_by_account([account]).get(account)
        if value is None:
            raise BookError(f"account {account!r} is not in the book")
        return value

    def cash_by_account(self, accounts: Iterable[str] | None = None) -> dict[str, Decimal]:
        """Account -> cash in dollars."""
        return self.store.cash_by_account(accounts)

    def lots(self, account: str | None = None, symbol: str | None = None) -> list[TaxLot]:
        """Open lots (of one account and/or symbol), in the order they were opened."""
        return [_Lot.of_row(r).as_tax_lot(r.account_id) for r in self.store.lots(account, symbol)]

    def positions(self, accounts: Iterable[str] | None = None) -> dict[tuple[str, str], Decimal]:
        """``(account, symbol) -> shares``, summed from the open lots."""
        out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in self.store.position_rows(accounts):
            out[(row.account_id, row.symbol)] += row.quantity
        return dict(out)

    def household(self, name: str) -> Household:
        """The household as the book has it now (accounts, cash and open lots)."""
        accounts = self.accounts(name)
        if not accounts:
            raise BookError(f"household {name!r} is not in the book")
        ids = {a.account_id for a in accounts}
        return Household(
            name=name,
            accounts=tuple(Account(id=a.account_id, kind=a.kind, cash=a.cash) for a in accounts),
            lots=tuple(lot for lot in self.lots() if lot.account in ids),
        )

    def has_fill(self, venue: str, execution_id: str) -> bool:
        """Whether this execution is booked."""
        return self.store.has_fill(venue, execution_id)

    def fills(
        self,
        *,
        account: str | None = None,
        client_order_id: str | None = None,
        include_superseded: bool = False,
    ) -> list[Fill]:
        """Booked fills in booking order."""
        rows = self.store.fills(
            account=account, client_order_id=client_order_id, include_superseded=include_superseded
        )
        return [_fill(r) for r in rows]

    def filled_quantity(self, venue: str, client_order_id: str) -> Decimal:
        """Shares booked for one order (superseded fills excluded)."""
        return sum(self.store.filled_quantities(venue, client_order_id), _ZERO)

    def realized(self, account: str | None = None) -> list[RealizedRow]:
        """Realized gains rows in booking order."""
        return [
            RealizedRow(
                r.account_id,
                r.symbol,
                r.lot_id,
                r.acquired,
                r.sold,
                r.quantity,
                r.cost_basis,
                r.proceeds,
                Term(r.term),
                r.venue,
                r.execution_id,
            )
            for r in self.store.realized(account)
        ]

    def compare_household(self, household: Household) -> ReconciliationReport:
        """Breaks between the book and a household (e.g. the portfolio file a run is planned from)."""
        ids = household.account_ids
        other_positions: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for lot in household.lots:
            other_positions[(lot.account, lot.symbol)] += lot.quantity
        return reconcile(
            self.positions(ids),
            self.cash_by_account(ids),
            other_positions,
            {a.id: a.cash for a in household.accounts},
            accounts=ids,
            other_name="portfolio file",
        )

    def check_matches(self, household: Household, *, source: str = "the portfolio file") -> None:
        """Raise :class:`BookMismatchError` unless the book holds exactly the household's cash and shares."""
        in_book = {a.account_id for a in self.accounts()} & set(household.account_ids)
        missing = [a for a in household.account_ids if a not in in_book]
        if missing:
            raise BookMismatchError(
                f"{source} names accounts the book does not have: {', '.join(missing)}",
                got=household.name,
                fix="run `trimtab book import` for a new household, or use the --db that holds this one",
            )
        report = self.compare_household(household)
        if not report.ok:
            shown = "; ".join(report.lines()[:3]) + (
                f"; and {len(report.breaks) - 3} more" if len(report.breaks) > 3 else ""
            )
            raise BookMismatchError(
                f"{source} does not match the book: {shown}",
                got=household.name,
                fix="update the file from `trimtab book show` (the book moves with fills), "
                "or use another --db for a new book",
            )

    # -- the only writer -------------------------------------------------------------------------------
    def apply(self, fill: Fill) -> bool:
        """Book one execution in one transaction; ``False`` when ``(venue, execution_id)`` is already booked.

        Raises
        ------
        BookError
            When the account is not in the book or a sell exceeds the shares the book holds (nothing is
            booked).
        """
        try:
            with self.store.transaction() as txn:
                related = txn.related_fills(fill.venue, fill.execution_id)
                if any(r.execution_id == fill.execution_id for r in related):
                    return False
                cash = txn.lock_cash(fill.account)
                if cash is None:
                    raise BookError(
                        f"fill {fill.venue}:{fill.execution_id} is for account {fill.account!r}, "
                        "which is not in the book"
                    )
                superseded_by = next(
                    (r.execution_id for r in related if r.corrects == fill.execution_id), None
                )
                self._insert_fill(txn, fill, superseded_by=superseded_by)
                if superseded_by is None:
                    if fill.corrects:
                        self._correct(txn, fill, cash)
                    else:
                        self._move_cash(txn, fill, cash, fill.cash_change, "fill")
                        lots = self._load_lots(txn, fill.account, fill.symbol)
                        realized = self._replay(lots, fill)
                        self._save_lots(txn, fill.account, fill.symbol, lots)
                        self._save_realized(txn, fill.account, fill.symbol, realized)
                self._hook("book_apply")
            return True
        except StoreConflict:
            # another writer booked the same execution between our check and our insert
            if self.has_fill(fill.venue, fill.execution_id):
                return False
            raise

    def apply_all(self, fills: Iterable[Fill]) -> int:
        """Apply fills in order; the number newly booked."""
        return sum(1 for fill in fills if self.apply(fill))

    # -- internals -------------------------------------------------------------------------------------
    def _insert_fill(self, txn: BookTransaction, fill: Fill, *, superseded_by: str | None) -> None:
        txn.insert(
            "book_fills",
            [
                {
                    "venue": fill.venue,
                    "execution_id": fill.execution_id,
                    "client_order_id": fill.client_order_id,
                    "venue_order_id": fill.venue_order_id,
                    "account_id": fill.account,
                    "symbol": fill.symbol,
                    "side": str(fill.side),
                    "quantity": fill.quantity,
                    "price": fill.price,
                    "fee": fill.fee,
                    "executed_at": fill.executed_at,
                    "applied_at": self._clock(),
                    "corrects": fill.corrects,
                    "superseded_by": superseded_by,
                }
            ],
        )

    def _move_cash(
        self, txn: BookTransaction, fill: Fill, cash: Decimal, amount: Decimal, reason: str
    ) -> Decimal:
        new_cash = cash + amount
        txn.set_cash(fill.account, new_cash)
        txn.insert(
            "book_cash_entries",
            [
                {
                    "account_id": fill.account,
                    "amount": amount,
                    "reason": reason,
                    "venue": fill.venue,
                    "execution_id": fill.execution_id,
                    "at": self._clock(),
                }
            ],
        )
        return new_cash

    def _replay(self, lots: list[_Lot], fill: Fill) -> list[RealizedRow]:
        """Change ``lots`` (one account and symbol, in memory) by one fill; the realized rows of a sell."""
        sold = trade_date(fill.executed_at)
        if fill.side is Side.BUY:
            key = f"{fill.venue}:{fill.execution_id}"
            lots.append(_Lot(None, key, fill.symbol, fill.quantity, fill.value + fill.fee, sold, None, key))
            return []
        held = sum((lot.quantity for lot in lots), _ZERO)
        if fill.quantity > held:
            raise BookError(
                f"fill {fill.venue}:{fill.execution_id} sells {fill.quantity} {fill.symbol} in "
                f"{fill.account} but the book holds {held}: run `trimtab reconcile`"
            )
        by_id = {lot.lot_id: lot for lot in lots}
        ordered = order_lots([lot.as_tax_lot(fill.account) for lot in lots], self.relief_method)
        left = fill.quantity
        realized: list[RealizedRow] = []
        for tax_lot in ordered:
            if left <= 0:
                break
            lot = by_id[tax_lot.lot_id]
            take = min(left, lot.quantity)
            basis = lot.cost_basis if take == lot.quantity else lot.cost_basis * take / lot.quantity
            proceeds = take * fill.price - fill.fee * take / fill.quantity
            term = holding_term(lot.holding_period_start or lot.acquired, sold)
            realized.append(
                RealizedRow(
                    fill.account,
                    fill.symbol,
                    lot.lot_id,
                    lot.acquired,
                    sold,
                    take,
                    basis,
                    proceeds,
                    term,
                    fill.venue,
                    fill.execution_id,
                )
            )
            lot.quantity -= take
            lot.cost_basis -= basis
            lot.changed = True
            left -= take
        return realized

    @staticmethod
    def _load_lots(txn: BookTransaction, account: str, symbol: str) -> list[_Lot]:
        return [_Lot.of_row(r) for r in txn.lots(account, symbol)]

    @staticmethod
    def _save_lots(txn: BookTransaction, account: str, symbol: str, lots: Sequence[_Lot]) -> None:
        new = []
        for lot in lots:
            if lot.row_id is None:
                if lot.quantity > 0:
                    new.append(
                        {
                            "account_id": account,
                            "lot_id": lot.lot_id,
                            "symbol": symbol,
                            "quantity": lot.quantity,
                            "cost_basis": lot.cost_basis,
                            "acquired": lot.acquired,
                            "holding_period_start": lot.holding_period_start,
                            "source": lot.source,
                        }
                    )
            elif lot.quantity <= 0:
                txn.delete_lot(lot.row_id)
            elif lot.changed:
                txn.update_lot(lot.row_id, lot.quantity, lot.cost_basis)
        txn.insert("book_lots", new)

    @staticmethod
    def _save_realized(txn: BookTransaction, account: str, symbol: str, rows: Sequence[RealizedRow]) -> None:
        txn.insert(
            "book_realized",
            [
                {
                    "account_id": account,
                    "symbol": symbol,
                    "lot_id": r.lot_id,
                    "acquired": r.acquired,
                    "sold": r.sold,
                    "quantity": r.quantity,
                    "cost_basis": r.cost_basis,
                    "proceeds": r.proceeds,
                    "term": str(r.term),
                    "venue": r.venue,
                    "execution_id": r.execution_id,
                }
                for r in rows
            ],
        )

    def _correct(self, txn: BookTransaction, fill: Fill, cash: Decimal) -> None:
        """Book a correcting fill: supersede the fill it names, move cash by the difference, replay lots."""
        old = txn.active_fill(fill.venue, fill.corrects or "")
        if old is not None:
            if old.account_id != fill.account:
                raise BookError(
                    f"correction {fill.venue}:{fill.execution_id} moves fill {fill.corrects} from "
                    f"{old.account_id} to {fill.account}: reconcile by hand"
                )
            txn.supersede(old.id, fill.execution_id)
            cash = self._move_cash(txn, fill, cash, -_fill(old).cash_change, "reversal")
        self._move_cash(txn, fill, cash, fill.cash_change, "fill")
        for symbol in {fill.symbol} | ({old.symbol} if old is not None else set()):
            self._rebuild(txn, fill.account, symbol)

    def _rebuild(self, txn: BookTransaction, account: str, symbol: str) -> None:
        """Replay one account and symbol from its opening lots and every fill still in force."""
        lots = [
            _Lot(
                None, r.lot_id, symbol, r.quantity, r.cost_basis, r.acquired, r.holding_period_start, "import"
            )
            for r in txn.opening_lots(account, symbol)
        ]
        realized: list[RealizedRow] = []
        for row in txn.fills_in_force(account, symbol):
            realized.extend(self._replay(lots, _fill(row)))
            lots = [lot for lot in lots if lot.quantity > 0]
        txn.clear_lots_and_realized(account, symbol)
        self._save_lots(txn, account, symbol, lots)
        self._save_realized(txn, account, symbol, realized)


def _fill(row: Any) -> Fill:
    """A fill row -> :class:`~trimtab.domain.orders.Fill`."""
    return Fill(
        venue=row.venue,
        execution_id=row.execution_id,
        client_order_id=row.client_order_id,
        venue_order_id=row.venue_order_id,
        account=row.account_id,
        symbol=row.symbol,
        side=Side(row.side),
        quantity=row.quantity,
        price=row.price,
        fee=row.fee,
        executed_at=row.executed_at,
        corrects=row.corrects,
    )
