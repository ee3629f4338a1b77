"""Signing up, passwords and the pass phrase, and linking accounts to a login.

Sign-up and "forgot password" answer the same whatever happened: the e-mail tells the
owner of the address. Both are throttled per client address, like login.
"""

from __future__ import annotations

import strawberry

from gateway.auth import credentials, registration
from gateway.auth.passwords import TEMPORARY_PASSWORD_LIFETIME
from gateway.auth.registration import AccountProof
from gateway.durations import in_words
from gateway.store.models import ACCOUNT_NUMBER_LENGTH
from resolvers.access import login_session
from schema.auth import check_throttle
from schema.errors import BadUserInput
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.member import Member
from schema.refusals import email_address, refusals_as_bad_input

MAX_FIELD_LENGTH = 100
REGISTRATION_ANSWER = (
    "If these details match an account, a temporary password is on its way to that e-mail"
    f" address. It works once, within {in_words(TEMPORARY_PASSWORD_LIFETIME)}."
)
RESET_ANSWER = (
    "If that address has a login, a reset code is on its way to it"
    f" (valid {in_words(credentials.RESET_LIFETIME)})."
)


@strawberry.input(description="What proves an account is yours, as on your bill.")
class AccountProofInput:
    account_number: str
    holder_name: str = strawberry.field(
        description="The account holder's last name, or the business name."
    )
    postal_code: str = strawberry.field(description="The ZIP code of the service address.")

    def proof(self) -> AccountProof:
        for value in (self.account_number, self.holder_name, self.postal_code):
            if not value.strip() or len(value) > MAX_FIELD_LENGTH:
                raise BadUserInput(
                    f"account number, name and ZIP code each need 1 to {MAX_FIELD_LENGTH}"
                    " characters"
                )
        number = self.account_number.strip()
        if len(number) > ACCOUNT_NUMBER_LENGTH:
            raise BadUserInput(f"an account number has at most {ACCOUNT_NUMBER_LENGTH} characters")
        return AccountProof(number, self.holder_name, self.postal_code)


@strawberry.type
class CredentialMutations:
    @mutation("Signs up for online access: e-mails a temporary password if the details match.")
    async def register(self, info: GatewayInfo, account: AccountProofInput, email: str) -> str:
        context = info.context
        check_throttle(context, context.services.throttles.register)
        proof, address = account.proof(), email_address(email)
        await registration.register(
            context.services, context.loaders, proof, address, context.origin, context.received_at
        )
        return REGISTRATION_ANSWER

    @mutation("Changes the password; every other session of the login is logged out.")
    async def change_password(
        self, info: GatewayInfo, current_password: str, new_password: str
    ) -> bool:
        context = info.context
        principal = login_session(context, allow_temporary=True)
        with refusals_as_bad_input():
            await credentials.change_password(
                context.services,
                principal,
                current_password,
                new_password,
                context.origin,
                context.received_at,
            )
        return True

    @mutation("Sets or changes the security pass phrase that password resets ask for.")
    async def set_pass_phrase(
        self, info: GatewayInfo, current_password: str, pass_phrase: str
    ) -> bool:
        context = info.context
        principal = login_session(context)
        with refusals_as_bad_input():
            await credentials.set_pass_phrase(
                context.services,
                principal,
                current_password,
                pass_phrase,
                context.origin,
                context.received_at,
            )
        return True

    @mutation("Forgot password: e-mails a reset code if the address has a login.")
    async def request_password_reset(self, info: GatewayInfo, email: str) -> str:
        context = info.context
        check_throttle(context, context.services.throttles.reset)
        await credentials.request_password_reset(
            context.services, email_address(email), context.origin, context.received_at
        )
        return RESET_ANSWER

    @mutation(
        "Sets a new password with the e-mailed reset code and the pass phrase (when one is"
        " set); every session of the login is logged out."
    )
    async def reset_password(
        self,
        info: GatewayInfo,
        code: str,
        new_password: str,
        pass_phrase: str | None = None,
    ) -> bool:
        context = info.context
        check_throttle(context, context.services.throttles.reset)
        with refusals_as_bad_input():
            await credentials.reset_password(
                context.services,
                code,
                pass_phrase,
                new_password,
                context.origin,
                context.received_at,
            )
        return True

    @mutation("Links another account to this login, proven like sign-up.")
    async def link_account(self, info: GatewayInfo, account: AccountProofInput) -> Member:
        context = info.context
        principal = login_session(context)
        check_throttle(context, context.services.throttles.register)
        with refusals_as_bad_input():
            numbers = await registration.link_account(
                context.services,
                context.loaders,
                principal,
                account.proof(),
                context.origin,
                context.received_at,
            )
        return Member.of(principal.email, numbers)

    @mutation("Removes an account from this login (a login keeps at least one).")
    async def unlink_account(self, info: GatewayInfo, account_number: str) -> Member:
        context = info.context
        principal = login_session(context)
        with refusals_as_bad_input():
            numbers = await registration.unlink_account(
                context.services, principal, account_number, context.origin, context.received_at
            )
        return Member.of(principal.email, numbers)
