"""Signing up the SmartHub way, and linking more accounts to a login.

A member proves they hold an account with its number, the account holder's last name (or
business name) and the ZIP code of its service address, all checked against the CIS. Sign-up
e-mails a temporary password. Its answer is the same whatever happened, after the same work
(the same CIS reads, database read and password hash), so it tells nobody whether an account
number or an address is known; what did happen goes to the audit log.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, auto

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.records import Customer, ServiceLocation
from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.passwords import (
    TEMPORARY_PASSWORD_LIFETIME,
    hash_password,
    new_temporary_password,
)
from gateway.auth.sessions import Principal, linked_account_numbers
from gateway.auth.users import normalize_email
from gateway.context import Services
from gateway.store.models import Role, User, UserAccount
from resolvers.loaders import CisLoaders

_UNKNOWN_CUSTOMER = "-"  # asked for when the account is unknown, so the CIS work is the same
_NOT_LETTERS = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class AccountProof:
    """What a member knows of an account: its number, holder's last or business name, ZIP."""

    account_number: str
    holder_name: str
    postal_code: str


async def proof_holds(loaders: CisLoaders, proof: AccountProof) -> bool:
    """Whether the CIS's account, customer and service addresses match the proof (read
    through the request's loaders, so the answer's fields read them from cache)."""
    number = proof.account_number
    account, locations = await asyncio.gather(
        loaders.accounts.load(number), loaders.service_locations.load(number)
    )
    customer_id = _UNKNOWN_CUSTOMER if account is None else account.customer_id
    customer = await loaders.customers.load(customer_id)
    if account is None or customer is None:
        return False
    return _name_matches(customer, proof.holder_name) & _zip_matches(locations, proof.postal_code)


async def register(
    services: Services,
    loaders: CisLoaders,
    proof: AccountProof,
    email: str,
    origin: Origin,
    now: datetime,
) -> None:
    """Creates the login (or renews an unused temporary password) and e-mails it, when the
    proof holds; tells an existing login's owner that someone tried. Returns the same way
    in every case."""
    email = normalize_email(email)
    temporary_password = new_temporary_password()
    password_hash, holds = await asyncio.gather(
        hash_password(temporary_password), proof_holds(loaders, proof)
    )
    try:
        outcome = await _register(services, proof, email, password_hash, holds, origin, now)
    except IntegrityError:
        return  # a concurrent sign-up with this address made the login first
    values = {
        "cooperative": services.cooperative.name,
        "portal_url": services.cooperative.portal_url,
    }
    if outcome is _Outcome.ALREADY_REGISTERED:
        services.outbox.post("already-registered", email, values)
    elif outcome is _Outcome.REGISTERED:
        expires_at = now + TEMPORARY_PASSWORD_LIFETIME
        values |= {
            "temporary_password": temporary_password,
            "expires_at": services.cooperative.local_time_text(expires_at),
            "account_hint": f"account ending in {proof.account_number[-4:]}",
        }
        services.outbox.post("welcome", email, values)


class _Outcome(Enum):
    REFUSED = auto()
    ALREADY_REGISTERED = auto()
    REGISTERED = auto()


async def _register(
    services: Services,
    proof: AccountProof,
    email: str,
    password_hash: str,
    holds: bool,
    origin: Origin,
    now: datetime,
) -> _Outcome:
    cooperative_id = services.cooperative.id
    async with services.db.begin() as session:
        user = await session.scalar(
            select(User).where(User.cooperative_id == cooperative_id, User.email == email)
        )
        audit = _Audit(session, cooperative_id, origin, now, proof.account_number)
        if not holds:
            audit(AuditKind.REGISTRATION_REFUSED, user, "account details do not match")
            return _Outcome.REFUSED
        if user is not None and not await _renewable(session, user, proof.account_number):
            audit(AuditKind.REGISTRATION_REFUSED, user, "the address already has a login")
            return _Outcome.ALREADY_REGISTERED
        if user is None:
            user = User(cooperative_id=cooperative_id, email=email, role=Role.MEMBER)
            session.add(user)
        user.password_hash = password_hash
        user.must_change_password = True
        user.temporary_password_expires_at = now + TEMPORARY_PASSWORD_LIFETIME
        await session.flush()
        await link(session, user, proof.account_number)
        audit(AuditKind.REGISTERED, user, None)
    return _Outcome.REGISTERED


async def _renewable(session: AsyncSession, user: User, account_number: str) -> bool:
    """Whether a sign-up may send this login a new temporary password: only a member's login
    never used beyond its first one, signing up again for an account already its own (so a
    stranger's sign-up neither takes it over nor links their account to it)."""
    if user.role is not Role.MEMBER or not user.must_change_password:
        return False
    return await session.get(UserAccount, (user.id, account_number)) is not None


class AccountNotProven(ValueError):
    """The account details given do not match an account (no more is said)."""


async def link_account(
    services: Services,
    loaders: CisLoaders,
    principal: Principal,
    proof: AccountProof,
    origin: Origin,
    now: datetime,
) -> frozenset[str]:
    """Links another account to the principal's login, proven like sign-up; the login's
    account numbers after it."""
    holds = await proof_holds(loaders, proof)
    try:
        async with services.db.begin() as session:
            audit = _Audit(session, services.cooperative.id, origin, now, proof.account_number)
            user = await session.get(User, principal.user_id)
            if user is None or not holds:
                audit(AuditKind.REGISTRATION_REFUSED, user, "link: account details do not match")
                raise AccountNotProven("those details do not match an account")
            if await link(session, user, proof.account_number):
                audit(AuditKind.ACCOUNT_LINKED, user, None)
    except IntegrityError:
        pass  # a concurrent request linked it first: linked all the same
    async with services.db() as session:
        return await linked_account_numbers(session, principal.user_id, principal.cooperative_id)


async def unlink_account(
    services: Services, principal: Principal, account_number: str, origin: Origin, now: datetime
) -> frozenset[str]:
    """Removes one of the login's accounts; a login keeps at least one."""
    if account_number not in principal.account_numbers:
        raise AccountNotProven(f"no account {account_number} is linked to this login")
    if len(principal.account_numbers) == 1:
        raise AccountNotProven("a login keeps at least one account")
    async with services.db.begin() as session:
        # The login's row locked first: two unlinks at once cannot leave it with none.
        user = await session.get(User, principal.user_id, with_for_update=True)
        await session.execute(
            delete(UserAccount).where(
                UserAccount.user_id == principal.user_id,
                UserAccount.account_number == account_number,
            )
        )
        remaining = await linked_account_numbers(
            session, principal.user_id, principal.cooperative_id
        )
        if not remaining:  # a concurrent unlink took the other one: roll this one back
            raise AccountNotProven("a login keeps at least one account")
        audit = _Audit(session, services.cooperative.id, origin, now, account_number)
        audit(AuditKind.ACCOUNT_UNLINKED, user, None)
        return remaining


async def link(session: AsyncSession, user: User, account_number: str) -> bool:
    """Links the account to the user unless it already is; whether it was new."""
    key = (user.id, account_number)
    if await session.get(UserAccount, key) is not None:
        return False
    session.add(
        UserAccount(
            user_id=user.id, account_number=account_number, cooperative_id=user.cooperative_id
        )
    )
    return True


@dataclass(frozen=True, slots=True)
class _Audit:
    session: AsyncSession
    cooperative_id: str
    origin: Origin
    at: datetime
    account_number: str

    def __call__(self, kind: AuditKind, user: User | None, detail: str | None) -> None:
        record(
            self.session,
            self.cooperative_id,
            kind,
            self.origin,
            at=self.at,
            user_id=None if user is None else user.id,
            account_number=self.account_number,
            detail=detail,
        )


def _name_matches(customer: Customer, given: str) -> bool:
    wanted = _comparable(given)
    names = (customer.last_name, customer.dba_name or "")
    # Both compared, always: the time taken does not say which one matched.
    return bool(wanted) & any([_same(_comparable(name), wanted) for name in names])


def _zip_matches(locations: tuple[ServiceLocation, ...], given: str) -> bool:
    wanted = given.strip()[:5]
    zips = [location.service_address.postal_code.strip()[:5] for location in locations]
    return (
        len(wanted) == 5
        and wanted.isdigit()
        and any([_same(zip_code, wanted) for zip_code in zips])
    )


def _same(stored: str, given: str) -> bool:
    return secrets.compare_digest(stored.encode(), given.encode())


def _comparable(name: str) -> str:
    """Case, accents, spaces and punctuation aside: "O'Brien " is "obrien"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_LETTERS.sub("", letters)
