"""A household: accounts that share one target, and the tax lots they hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from trimtab.domain.accounts import Account
from trimtab.domain.lots import TaxLot
from trimtab.errors import AccountError, LotError

__all__ = ["Household", "Position"]


@dataclass(frozen=True, slots=True)
class Position:
    """Shares of one symbol in one account, derived from its lots."""

    account: str
    symbol: str
    quantity: Decimal
    cost_basis: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Household:
    """Accounts (unique ids) and their lots; positions are derived, never stored.

    Parameters
    ----------
    name : str
        Label for reports.
    accounts : tuple of Account
        At least one; ids unique.
    lots : tuple of TaxLot
        Every lot names one of the accounts.
    """

    name: str
    accounts: tuple[Account, ...]
    lots: tuple[TaxLot, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "accounts", tuple(self.accounts))
        object.__setattr__(self, "lots", tuple(self.lots))
        if not self.accounts:
            raise AccountError("a household needs at least one account", fix="add an entry under accounts:")
        seen: set[str] = set()
        for account in self.accounts:
            if account.id in seen:
                raise AccountError(f"duplicate account id {account.id!r}", got=account.id,
                                   fix="give every account its own id")
            seen.add(account.id)
        for lot in self.lots:
            if lot.account not in seen:
                raise LotError(f"lot of {lot.symbol} names unknown account {lot.account!r}", got=lot.account,
                               fix=f"use one of the accounts: {', '.join(sorted(seen))}")

    # -- lookups --------------------------------------------------------------------------------------
    def account(self, account_id: str) -> Account:
        """The account with this id."""
        for account in self.accounts:
            if account.id == account_id:
                return account
        raise AccountError(f"unknown account {account_id!r}", got=account_id,
                           fix=f"use one of: {', '.join(a.id for a in self.accounts)}")

    @property
    def account_ids(self) -> tuple[str, ...]:
        """Account ids in file order."""
        return tuple(a.id for a in self.accounts)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols held in any account, in order of first appearance."""
        return tuple(dict.fromkeys(lot.symbol for lot in self.lots))

    @property
    def total_cash(self) -> Decimal:
        """Cash across all accounts, in dollars."""
        return sum((a.cash for a in self.accounts), Decimal("0"))

    def lots_of(self, account: str, symbol: str) -> tuple[TaxLot, ...]:
        """Lots of one symbol in one account, in file order."""
        return tuple(lot for lot in self.lots if lot.account == account and lot.symbol == symbol)

    def positions(self) -> dict[tuple[str, str], Position]:
        """Positions keyed by ``(account, symbol)``, summed from the lots."""
        qty: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        basis: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for lot in self.lots:
            qty[(lot.account, lot.symbol)] += lot.quantity
            basis[(lot.account, lot.symbol)] += lot.cost_basis
        return {key: Position(key[0], key[1], qty[key], basis[key]) for key in qty}

    def quantity(self, symbol: str, account: str | None = None) -> Decimal:
        """Shares of ``symbol`` held in one account or across the household."""
        return sum((lot.quantity for lot in self.lots
                    if lot.symbol == symbol and (account is None or lot.account == account)), Decimal("0"))

    def market_value(self, prices: Mapping[str, Decimal], account: str | None = None) -> Decimal:
        """Positions at ``prices`` plus cash, in dollars, for one account or the household."""
        value = Decimal("0")  # summed in lot order, as sum(..., Decimal("0")) would
        if account is None:
            for lot in self.lots:
                value += lot.quantity * prices[lot.symbol]
        else:
            for lot in self.lots:
                if lot.account == account:
                    value += lot.quantity * prices[lot.symbol]
        cash = self.account(account).cash if account is not None else self.total_cash
        return value + cash

    # -- changes (new objects) -------------------------------------------------------------------------
    def replace(self, *, accounts: Iterable[Account] | None = None,
                lots: Iterable[TaxLot] | None = None) -> Household:
        """A copy with other accounts and/or lots."""
        return Household(name=self.name,
                         accounts=tuple(accounts) if accounts is not None else self.accounts,
                         lots=tuple(lots) if lots is not None else self.lots)
