"""Logging in and out with e-mail and password; the token goes in ``Authorization: Bearer``."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.auth import sessions
from schema.enums import ClientKind
from schema.errors import Unauthenticated
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.member import Member


@strawberry.type
class LoginResult:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    viewer: Member


@strawberry.type(name="Mutation")
class AuthMutations:
    @mutation("Opens a session. A wrong e-mail or password says no more.")
    async def login(
        self,
        info: GatewayInfo,
        email: str,
        password: str,
        client_kind: ClientKind = ClientKind.WEB,
    ) -> LoginResult:
        context = info.context
        services = context.services
        issued = await sessions.login(
            services.db,
            context.cooperative.id,
            email,
            password,
            client_kind=client_kind,
            user_agent=context.request.headers.get("user-agent"),
            lifetimes=services.lifetimes,
            now=context.received_at,
        )
        if issued is None:
            raise Unauthenticated("the e-mail address or password is wrong")
        # The rest of this request acts for the new session, as later requests will.
        context.principal, context.token = issued.principal, issued.token
        return LoginResult(
            token=issued.token,
            expires_at=issued.expires_at.astimezone(context.cooperative.time_zone),
            viewer=Member.from_principal(issued.principal),
        )

    @mutation("Ends the session of the request's token; false if none.")
    async def logout(self, info: GatewayInfo) -> bool:
        context = info.context
        if context.token is None:
            return False
        logged_out = await sessions.logout(context.services.db, context.token)
        context.principal = None
        return logged_out
