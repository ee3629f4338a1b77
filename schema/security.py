"""A member's own security settings: sessions, personal access tokens, two-factor login.

Only the member sees them (``viewer.security``), and only a login session manages them: an
access token cannot mint more tokens or turn two-factor login off.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry

from gateway.auth import access_tokens, sessions, two_factor
from gateway.auth.audit import AuditKind
from gateway.auth.credentials import stored_user
from gateway.auth.sessions import Principal
from gateway.context import RequestContext
from gateway.store.models import AccessToken, ClientKind, Role, TokenScope, UserSession
from resolvers.access import login_session, signed_in
from resolvers.audit import record_own_change
from schema.errors import BadUserInput, Forbidden, NotFound
from schema.fields import field, mutation
from schema.info import GatewayInfo
from schema.refusals import refusals_as_bad_input

MAX_TOKEN_DAYS = 3650


@strawberry.type
class LoginSession:
    id: int
    client_kind: ClientKind
    user_agent: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = strawberry.field(description="The session of this request.")

    @classmethod
    def of(cls, row: UserSession, context: RequestContext) -> LoginSession:
        zone = context.cooperative.time_zone
        principal = context.principal
        return cls(
            id=row.id,
            client_kind=row.client_kind,
            user_agent=row.user_agent,
            created_at=row.created_at.astimezone(zone),
            last_used_at=row.last_used_at.astimezone(zone),
            expires_at=row.expires_at.astimezone(zone),
            current=principal is not None and row.id == principal.session_id,
        )


@strawberry.type
class AccessTokenInfo:
    id: int
    name: str
    scope: TokenScope
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, token: AccessToken, context: RequestContext) -> AccessTokenInfo:
        zone = context.cooperative.time_zone
        return cls(
            id=token.id,
            name=token.name,
            scope=token.scope,
            created_at=token.created_at.astimezone(zone),
            last_used_at=token.last_used_at and token.last_used_at.astimezone(zone),
            expires_at=token.expires_at and token.expires_at.astimezone(zone),
        )


@strawberry.type
class CreatedAccessToken:
    token: str = strawberry.field(description="Shown this once: store it now.")
    access_token: AccessTokenInfo


@strawberry.type
class TwoFactorEnrolment:
    secret: str = strawberry.field(description="For typing into the app by hand.")
    provisioning_uri: str = strawberry.field(description="`otpauth://` URI for a QR code.")


@strawberry.type
class Security:
    two_factor_enabled: bool
    has_pass_phrase: bool

    @field("The login's open sessions, most recently used first.")
    async def sessions(self, info: GatewayInfo) -> list[LoginSession]:
        context = info.context
        found = await sessions.live_sessions(
            context.services.db, signed_in(context), context.services.lifetimes, context.received_at
        )
        return [LoginSession.of(row, context) for row in found]

    @field("The login's personal access tokens that still work.")
    async def access_tokens(self, info: GatewayInfo) -> list[AccessTokenInfo]:
        context = info.context
        found = await access_tokens.live_access_tokens(
            context.services.db, signed_in(context), context.received_at
        )
        return [AccessTokenInfo.of(token, context) for token in found]


async def security_of(context: RequestContext) -> Security:
    with refusals_as_bad_input():  # a login deleted since its session began
        user = await stored_user(context.services, signed_in(context))
    return Security(
        two_factor_enabled=user.totp_confirmed_at is not None,
        has_pass_phrase=user.pass_phrase_hash is not None,
    )


@strawberry.type
class SecurityMutations:
    @mutation("Logs one of the login's sessions out; false if it is not open.")
    async def revoke_session(self, info: GatewayInfo, id: int) -> bool:
        context = info.context
        return bool(await _revoke_sessions(context, login_session(context), only=id))

    @mutation("Logs every other session of the login out; how many there were.")
    async def revoke_other_sessions(self, info: GatewayInfo) -> int:
        principal = login_session(info.context)
        return await _revoke_sessions(info.context, principal, keep=principal.session_id)

    @mutation("Creates a personal access token for scripts (read-only unless asked).")
    async def create_access_token(
        self,
        info: GatewayInfo,
        name: str,
        scope: TokenScope = TokenScope.READ_ONLY,
        expires_in_days: int | None = None,
    ) -> CreatedAccessToken:
        context = info.context
        principal = login_session(context)
        if principal.role is Role.STAFF:
            # A token outlives the shift and the session's idle timeout: staff log in.
            raise Forbidden("staff logins cannot have access tokens")
        name = name.strip()
        if not 1 <= len(name) <= access_tokens.MAX_NAME_LENGTH:
            raise BadUserInput(
                f"a token's name needs 1 to {access_tokens.MAX_NAME_LENGTH} characters"
            )
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            raise BadUserInput(f"expiresInDays must be between 1 and {MAX_TOKEN_DAYS}")
        now = context.received_at
        expires_at = None if expires_in_days is None else now + timedelta(days=expires_in_days)
        async with context.services.db.begin() as session:
            with refusals_as_bad_input():
                created = await access_tokens.create_access_token(
                    session, principal, name, scope, expires_at, now
                )
            record_own_change(
                session,
                context,
                AuditKind.ACCESS_TOKEN_CREATED,
                f"token {created.info.id} {scope.value}",
            )
        return CreatedAccessToken(
            token=created.token, access_token=AccessTokenInfo.of(created.info, context)
        )

    @mutation("Revokes one of the login's personal access tokens.")
    async def revoke_access_token(self, info: GatewayInfo, id: int) -> bool:
        context = info.context
        principal = login_session(context)
        now = context.received_at
        async with context.services.db.begin() as session:
            if not await access_tokens.revoke_access_token(session, principal, id, now):
                raise NotFound("no such access token")
            record_own_change(session, context, AuditKind.ACCESS_TOKEN_REVOKED, f"token {id}")
        return True

    @mutation("Starts two-factor enrolment: add the secret to an authenticator app.")
    async def begin_two_factor(
        self, info: GatewayInfo, current_password: str
    ) -> TwoFactorEnrolment:
        context = info.context
        with refusals_as_bad_input():
            enrolment = await two_factor.begin_enrolment(
                context.services,
                login_session(context),
                current_password,
                context.origin,
                context.received_at,
            )
        return TwoFactorEnrolment(
            secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri
        )

    @mutation("Turns two-factor login on with a first code; the recovery codes, shown once.")
    async def confirm_two_factor(self, info: GatewayInfo, code: str) -> list[str]:
        context = info.context
        with refusals_as_bad_input():
            return await two_factor.confirm_enrolment(
                context.services, login_session(context), code, context.origin, context.received_at
            )

    @mutation("Turns two-factor login off; takes the password and a current code.")
    async def disable_two_factor(self, info: GatewayInfo, current_password: str, code: str) -> bool:
        context = info.context
        with refusals_as_bad_input():
            await two_factor.disable(
                context.services,
                login_session(context),
                current_password,
                code,
                context.origin,
                context.received_at,
            )
        return True


async def _revoke_sessions(
    context: RequestContext,
    principal: Principal,
    *,
    only: int | None = None,
    keep: int | None = None,
) -> int:
    now = context.received_at
    async with context.services.db.begin() as session:
        revoked = await sessions.revoke_sessions(
            session, principal.user_id, now, only=only, keep=keep
        )
        for session_id in revoked:
            record_own_change(session, context, AuditKind.SESSION_REVOKED, f"session {session_id}")
    return len(revoked)
