"""Accounts of a household and their tax treatment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trimtab.errors import AccountError

__all__ = ["Account", "AccountKind"]


class AccountKind(StrEnum):
    """Tax treatment of an account.

    ``taxable``: gains are taxed when realized. ``tax_deferred`` (traditional IRA, 401(k)) and
    ``tax_exempt`` (Roth) realize no capital gains; both still count for wash sales (Rev. Rul. 2008-5).
    """

    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"
    TAX_EXEMPT = "tax_exempt"

    @property
    def is_taxable(self) -> bool:
        """Whether sales in this account realize taxable gains."""
        return self is AccountKind.TAXABLE


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """One account: an id unique in the household, its tax kind and its cash in dollars."""

    id: str
    kind: AccountKind
    cash: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise AccountError("account id must be a non-empty text", got=self.id, fix="give each account an id")
        if not isinstance(self.kind, AccountKind):
            raise AccountError("unknown account kind", got=self.kind,
                               fix="use one of taxable, tax_deferred, tax_exempt")
        if not isinstance(self.cash, Decimal):
            object.__setattr__(self, "cash", Decimal(str(self.cash)))
        if self.cash < 0:
            raise AccountError(f"account {self.id!r} has negative cash", got=str(self.cash),
                               fix="cash must be zero or more (margin is not supported)")

    def with_cash(self, cash: Decimal) -> Account:
        """A copy with another cash balance."""
        return Account(id=self.id, kind=self.kind, cash=cash)
