"""Who may read what: every entry point of the schema asks here before loading anything.

Members reach only the accounts linked to their login; a number that is not theirs is
NOT_FOUND, exactly like one that does not exist, so members learn nothing about others.
Staff read any account of their co-op.

A session opened with a temporary password may only change it (and log out): everything
else answers FORBIDDEN until then. A read-only access token may not mutate, and no access
token may manage credentials: those need a login session.
"""

from __future__ import annotations

from gateway.auth.sessions import Principal
from gateway.context import RequestContext
from gateway.store.models import Role
from schema.errors import Forbidden, NotFound, Unauthenticated

MUST_CHANGE_PASSWORD = "change the temporary password first (changePassword)"  # noqa: S105


def signed_in(context: RequestContext) -> Principal:
    return acting(context.principal)


def acting(principal: Principal | None, message: str | None = None) -> Principal:
    """``principal`` when it is a login that may act: UNAUTHENTICATED without one (saying
    ``message``, if given), FORBIDDEN while it must change its temporary password first."""
    if principal is None:
        raise Unauthenticated() if message is None else Unauthenticated(message)
    if principal.must_change_password:
        raise Forbidden(MUST_CHANGE_PASSWORD)
    return principal


def any_login(context: RequestContext) -> Principal:
    """The principal, even one that must change its temporary password first."""
    if context.principal is None:
        raise Unauthenticated()
    return context.principal


def may_write(context: RequestContext) -> Principal:
    """A principal allowed to change things: not through a read-only access token."""
    principal = signed_in(context)
    if principal.read_only:
        raise Forbidden("this access token is read-only")
    return principal


def login_session(context: RequestContext, *, allow_temporary: bool = False) -> Principal:
    """A principal that logged in with its password, for managing credentials."""
    principal = any_login(context) if allow_temporary else signed_in(context)
    if principal.session_id is None:
        raise Forbidden("access tokens cannot manage credentials: log in")
    return principal


def staff(context: RequestContext, doing: str = "look accounts and members up") -> Principal:
    principal = signed_in(context)
    if principal.role is not Role.STAFF:
        raise Forbidden(f"only co-op staff may {doing}")
    return principal


def is_staff(context: RequestContext) -> bool:
    principal = context.principal
    return (
        principal is not None
        and principal.role is Role.STAFF
        and not principal.must_change_password
    )


def own_account(principal: Principal, account_number: str) -> str:
    """``account_number`` when it is linked to the principal's own login (what a member
    chooses notifications for); NOT_FOUND otherwise, for staff too."""
    if account_number not in principal.account_numbers:
        raise NotFound(f"no account {account_number}")
    return account_number


def readable_account(context: RequestContext, account_number: str) -> str:
    """``account_number`` when the request may read it; NOT_FOUND otherwise."""
    return readable(signed_in(context), account_number)


def readable(principal: Principal, account_number: str) -> str:
    """``account_number`` when the principal may read it (its own; staff, any of the
    co-op's); NOT_FOUND otherwise."""
    if not principal.may_read_account(account_number):
        raise NotFound(f"no account {account_number}")
    return account_number
