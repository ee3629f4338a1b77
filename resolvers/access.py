"""Who may read what: every entry point of the schema asks here before loading anything.

Members reach only the accounts linked to their login; a number that is not theirs is
NOT_FOUND, exactly like one that does not exist, so members learn nothing about others.
Staff read any account of their co-op.
"""

from __future__ import annotations

from gateway.auth.sessions import Principal
from gateway.context import RequestContext
from gateway.store.models import Role
from schema.errors import Forbidden, NotFound, Unauthenticated


def signed_in(context: RequestContext) -> Principal:
    if context.principal is None:
        raise Unauthenticated()
    return context.principal


def staff(context: RequestContext) -> Principal:
    principal = signed_in(context)
    if principal.role is not Role.STAFF:
        raise Forbidden("only co-op staff may look accounts and members up")
    return principal


def is_staff(context: RequestContext) -> bool:
    return context.principal is not None and context.principal.role is Role.STAFF


def readable_account(context: RequestContext, account_number: str) -> str:
    """``account_number`` when the request may read it; NOT_FOUND otherwise."""
    if not signed_in(context).may_read_account(account_number):
        raise NotFound(f"no account {account_number}")
    return account_number
