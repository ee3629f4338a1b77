"""Logging in and out; the token goes in ``Authorization: Bearer``.

A login is throttled per client address; every refusal but one reads the same (wrong
address, wrong password, locked, expired temporary password). The exception is a right
password without the second factor, answered TWO_FACTOR_REQUIRED.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.auth import sessions
from gateway.auth.login import LoginAttempt, TwoFactorRequired, login
from gateway.auth.throttle import Throttle
from gateway.context import RequestContext
from schema.enums import ClientKind
from schema.errors import RateLimited, TwoFactorRequiredError, Unauthenticated
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.member import Member

LOGIN_REFUSED = (
    "the e-mail address or password is wrong, or the login is locked for a while after too"
    " many attempts"
)


def check_throttle(context: RequestContext, throttle: Throttle) -> None:
    """RATE_LIMITED when the request's client address made too many attempts of this kind."""
    key = f"{context.cooperative.id} {context.origin.client_address or 'no address'}"
    if not throttle.allow(key, context.received_at):
        raise RateLimited()


@strawberry.type
class LoginResult:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    must_change_password: bool = strawberry.field(
        description="Logged in with a temporary password: only `changePassword` (and `logout`)"
        " work until it is changed."
    )
    viewer: Member | None = strawberry.field(
        description="The member; null until a temporary password is changed."
    )


@strawberry.type
class AuthMutations:
    @mutation(
        "Opens a session. A wrong e-mail or password says no more; with two-factor login on,"
        " `oneTimeCode` takes the authenticator's code or a recovery code."
    )
    async def login(
        self,
        info: GatewayInfo,
        email: str,
        password: str,
        client_kind: ClientKind = ClientKind.WEB,
        one_time_code: str | None = None,
    ) -> LoginResult:
        context = info.context
        check_throttle(context, context.services.throttles.login)
        attempt = LoginAttempt(email, password, one_time_code, client_kind)
        try:
            issued = await login(context.services, attempt, context.origin, context.received_at)
        except TwoFactorRequired:
            raise TwoFactorRequiredError() from None
        if issued is None:
            raise Unauthenticated(LOGIN_REFUSED)
        # The rest of this request acts for the new session, as later requests will.
        context.principal, context.token = issued.principal, issued.token
        principal = issued.principal
        return LoginResult(
            token=issued.token,
            expires_at=issued.expires_at.astimezone(context.cooperative.time_zone),
            must_change_password=principal.must_change_password,
            viewer=None if principal.must_change_password else Member.from_principal(principal),
        )

    @mutation("Ends the session of the request's token; false if none.")
    async def logout(self, info: GatewayInfo) -> bool:
        context = info.context
        if context.token is None:
            return False
        logged_out = await sessions.logout(context.services.db, context.token)
        context.principal = None
        return logged_out
