"""A member's profile: the login's e-mail address and the contact details the CIS holds.

Contact details live in the CIS, on the customer of each of the member's accounts; the
profile shows the first account's customer. An update goes to every distinct customer of
the member's accounts in one UpdateCustomerContactInfo call, so they never disagree, and
answers what the CIS then holds. The login's e-mail address changes only once the new
address has proven it reads its mail (``gateway.auth.email_change``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import strawberry

from adapters import records
from adapters.errors import CisError
from gateway.auth import email_change
from gateway.auth.audit import AuditKind
from gateway.durations import in_words
from resolvers.access import login_session, may_write
from resolvers.audit import record_own_change
from schema.errors import BadUserInput, CisUnavailableError, NotFound
from schema.fields import mutation
from schema.geo import Address
from schema.info import GatewayInfo
from schema.refusals import email_address, refusals_as_bad_input

MAX_LINE_LENGTH = 100
_PHONE_PUNCTUATION = re.compile(r"[\s().+-]")
_DIGITS = re.compile(r"[0-9]+")
_STATE = re.compile(r"[A-Za-z]{2}")

logger = logging.getLogger(__name__)


@strawberry.type
class Profile:
    name: str = strawberry.field(description="The account holder's or business's name.")
    email: str = strawberry.field(description="The login's e-mail address: log in with it.")
    cis_email: str | None = strawberry.field(
        description="The e-mail address on the co-op's customer record (bills, notices)."
    )
    home_phone: str | None
    day_phone: str | None
    mailing_address: Address = strawberry.field(
        description="Where the co-op mails bills: the customer's billing address."
    )

    @classmethod
    def of(cls, login_email: str, customer: records.Customer) -> Profile:
        return cls(
            name=customer.display_name,
            email=login_email,
            cis_email=customer.email,
            home_phone=customer.home_phone,
            day_phone=customer.day_phone,
            mailing_address=Address.from_record(customer.billing_address),
        )


@strawberry.input(description="A US mailing address.")
class MailingAddressInput:
    line1: str
    line2: str | None = None
    city: str
    state: str = strawberry.field(description="Two letters: NE.")
    postal_code: str = strawberry.field(description="A ZIP code: 5 digits, or ZIP+4.")


@strawberry.input(description="Contact details to change; a field left out (or null) stays.")
class ProfileInput:
    home_phone: str | None = strawberry.field(
        default=None, description="A US number, 10 digits: 308-555-0142."
    )
    day_phone: str | None = strawberry.field(
        default=None, description="A US number, 10 digits: 308-555-0142."
    )
    mailing_address: MailingAddressInput | None = None
    cis_email: str | None = strawberry.field(
        default=None, description="The e-mail address on the customer record (not the login's)."
    )

    def checked(self) -> tuple[list[str], records.ContactUpdate]:
        """The GraphQL names of the fields to change, and the change in the CIS's formats
        (for any customer: ``customer_id`` is left blank); BAD_USER_INPUT for a bad value."""
        names: list[str] = []
        home_phone = day_phone = email = None
        address = None
        if self.home_phone is not None:
            names.append("homePhone")
            home_phone = us_phone(self.home_phone)
        if self.day_phone is not None:
            names.append("dayPhone")
            day_phone = us_phone(self.day_phone)
        if self.mailing_address is not None:
            names.append("mailingAddress")
            address = us_address(self.mailing_address)
        if self.cis_email is not None:
            names.append("cisEmail")
            email = email_address(self.cis_email)
        if not names:
            raise BadUserInput("give at least one contact detail to change")
        change = records.ContactUpdate(
            customer_id="",
            email=email,
            home_phone=home_phone,
            day_phone=day_phone,
            billing_address=address,
        )
        return names, change


class MemberLike(Protocol):
    """What `profile` needs of the object it is a field of (``schema.member.Member``)."""

    @property
    def email(self) -> str: ...

    @property
    def account_numbers(self) -> Sequence[str]: ...


async def profile(root: MemberLike, info: GatewayInfo) -> Profile | None:
    """The member's profile: null when none of their accounts is known to the CIS.

    A resolver for a field of ``Member``: it shows the member the field is on, so staff
    looking a member up see that member's profile, not their own.
    """
    customer = await first_customer(info, root.account_numbers)
    return None if customer is None else Profile.of(root.email, customer)


@strawberry.type
class ProfileMutations:
    @mutation(
        "Changes contact details in the co-op's billing system, on the customer of every"
        " account of the login; answers what the billing system now holds."
    )
    async def update_profile(self, info: GatewayInfo, input: ProfileInput) -> Profile:
        context = info.context
        principal = may_write(context)  # contact details, not credentials: a script may
        names, change = input.checked()
        accounts = await context.loaders.accounts.load_many(sorted(principal.account_numbers))
        customer_ids = list(dict.fromkeys(a.customer_id for a in accounts if a is not None))
        if not customer_ids:
            raise NotFound("no account of this login is known to the billing system")
        updates = [replace(change, customer_id=cid) for cid in customer_ids]
        try:
            answer = await context.services.adapter.update_contact_info(updates)
        except CisError as error:
            logger.warning("UpdateCustomerContactInfo failed: %s", error)
            raise CisUnavailableError() from error
        changed = ", ".join(names)  # never the values
        async with context.services.db.begin() as session:
            record_own_change(
                session,
                context,
                AuditKind.CONTACT_CHANGED,
                f"{changed} of customer {', '.join(customer_ids)}",
            )
        customer = answer.get(customer_ids[0])
        if customer is None:
            raise CisUnavailableError("the billing system did not confirm the change")
        return Profile.of(principal.email, customer)

    @mutation(
        "Starts changing the login's e-mail address, with the current password: e-mails a"
        f" code (valid {in_words(email_change.EMAIL_CHANGE_LIFETIME)}) to the new address."
        " True alike when that address already has a login, which gets no code."
    )
    async def request_email_change(
        self, info: GatewayInfo, current_password: str, new_email: str
    ) -> bool:
        context = info.context
        principal = login_session(context)
        with refusals_as_bad_input():
            await email_change.request_email_change(
                context.services,
                principal,
                current_password,
                new_email,
                context.origin,
                context.received_at,
            )
        return True

    @mutation(
        "Moves the login to the new e-mail address with the code e-mailed there; answers the"
        " new address. The old one is told."
    )
    async def confirm_email_change(self, info: GatewayInfo, code: str) -> str:
        context = info.context
        principal = login_session(context)
        with refusals_as_bad_input():
            email = await email_change.confirm_email_change(
                context.services, principal, code, context.origin, context.received_at
            )
        # The rest of this request acts for the login as it now is, as later requests will.
        context.principal = replace(principal, email=email)
        return email


def us_phone(text: str) -> str:
    """``text`` as the CIS writes numbers (308-555-0142); a leading country code 1 may go."""
    digits = _PHONE_PUNCTUATION.sub("", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or not _DIGITS.fullmatch(digits):
        raise BadUserInput("a phone number needs 10 digits, area code first: 308-555-0142")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def us_address(given: MailingAddressInput) -> records.Address:
    line1, city = given.line1.strip(), given.city.strip()
    line2 = (given.line2 or "").strip() or None
    for value in (line1, city, line2 or "-"):
        if not value or len(value) > MAX_LINE_LENGTH:
            raise BadUserInput(
                f"address lines and the city each need 1 to {MAX_LINE_LENGTH} characters"
            )
    state = given.state.strip()
    if not _STATE.fullmatch(state):
        raise BadUserInput("a state is two letters: NE")
    postal_code = given.postal_code.strip().replace(" ", "").replace("-", "")
    if len(postal_code) not in (5, 9) or not _DIGITS.fullmatch(postal_code):
        raise BadUserInput("a ZIP code is 5 digits, or 9 (ZIP+4)")
    if len(postal_code) == 9:
        postal_code = f"{postal_code[:5]}-{postal_code[5:]}"
    return records.Address(
        line1=line1, line2=line2, city=city, state=state.upper(), postal_code=postal_code
    )


async def first_customer(
    info: GatewayInfo, account_numbers: Sequence[str]
) -> records.Customer | None:
    """The CIS customer of the first account (by number) the CIS knows."""
    loaders = info.context.loaders
    accounts = await loaders.accounts.load_many(sorted(account_numbers))
    known = next((account for account in accounts if account is not None), None)
    return None if known is None else await loaders.customers.load(known.customer_id)
