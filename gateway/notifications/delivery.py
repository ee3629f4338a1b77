"""Sending the logged news: claimed a few members at a time, to the addresses each member's
preferences choose at sending time (``recipients``), then marked SENT.

A member who chose the digest gets one message per address for all their news of the
round. News nobody wants any more (the member turned it off since, or has no address for
the channel) is marked SKIPPED.

Each message is recorded as it goes (``deliveries``), so when sending fails halfway
through a member's messages, the next attempt sends only what did not go. An address the
mail server refuses for good (SMTP 5xx) is not tried again; the news is SENT once every
address took it or refused it for good (FAILED if all refused). Any other failure puts
the member's unfinished news back for a later attempt, with backoff (``log.retry_later``);
a failure of the server itself also ends this member's sending for the round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gateway.context import Services
from gateway.mail import MailError
from gateway.notifications.deliveries import Outcomes, outcomes_of, record_outcome
from gateway.notifications.failures import Failure, described, mail_failure
from gateway.notifications.kinds import deliverable_kinds
from gateway.notifications.log import Claimed, Clock, Lease, claim, finish, retry_later
from gateway.notifications.recipients import Member, Recipient, members, recipients
from gateway.notifications.sending import send_news
from gateway.notifications.sms import SmsError, SmsSender
from gateway.store.notifications import DeliveryOutcome, LogState, NotificationLog

logger = logging.getLogger(__name__)

_ALL_REFUSED = "every address refused it for good"


async def deliver(services: Services, sms: SmsSender, clock: Clock) -> int:
    """Sends what may go out now (the co-op's local time decides which kinds); how many
    messages went."""
    zone = services.cooperative.time_zone
    sent, after = 0, 0
    while True:
        kinds = deliverable_kinds(clock().astimezone(zone))
        claimed = await claim(services, clock, kinds, after)
        if claimed is None:
            return sent
        after = claimed.last_user
        if claimed.rows:
            sent += await _deliver(services, sms, claimed, clock)


async def _deliver(services: Services, sms: SmsSender, claimed: Claimed, clock: Clock) -> int:
    by_user: dict[int, list[NotificationLog]] = {}
    for row in claimed.rows:
        by_user.setdefault(row.user_id, []).append(row)
    found = await members(services, by_user)
    reached = await outcomes_of(services, [row.id for row in claimed.rows])
    sending = _Sending(services, sms, claimed.lease, clock, reached)
    for user_id, rows in sorted(by_user.items()):
        member = found.get(user_id)
        if member is None:
            continue  # the login was deleted since, and its news with it
        try:
            await sending.to_member(member, rows)
        except Exception as error:  # a bug, or the database: this member's news later
            trouble = described(error)
            logger.warning(
                "news for user %d stopped, the rest tried again later: %s", user_id, trouble
            )
            await retry_later(services, claimed.lease, rows, trouble, clock())
    return sending.messages


@dataclass(slots=True)
class _Sending:
    services: Services
    sms: SmsSender
    lease: Lease
    clock: Clock
    outcomes: Outcomes  # where each claimed row's news went, earlier attempts included
    messages: int = 0

    async def to_member(self, member: Member, rows: list[NotificationLog]) -> None:
        wanted = {row.id: recipients(member, row) for row in rows}
        skipped = [row.id for row in rows if not wanted[row.id]]
        await finish(self.services, self.lease, LogState.SKIPPED, skipped, self.clock())
        trouble: str | None = None
        later: set[Recipient] = set()
        for recipient, batch in _messages(member, rows, wanted, self.outcomes):
            if recipient in later:
                continue
            if not await self.lease.held([row.id for row in batch]):
                return  # the lease ran out, and another worker sends the news now
            try:
                await send_news(self.services, self.sms, recipient, batch)
            except (MailError, SmsError) as error:
                failure = error.failure if isinstance(error, SmsError) else mail_failure(error)
                trouble = described(error)
                if failure is Failure.SERVER:
                    break
                if failure is Failure.ADDRESS_LATER:
                    later.add(recipient)
                    continue
                user_id = batch[0].user_id
                logger.info(
                    "news for user %d: an address refused it for good: %s", user_id, trouble
                )
                await self._record(batch, recipient, DeliveryOutcome.REFUSED)
            else:
                self.messages += 1
                await self._record(batch, recipient, DeliveryOutcome.SENT)
        await self._settle(rows, wanted, trouble)

    async def _record(
        self, batch: Sequence[NotificationLog], recipient: Recipient, outcome: DeliveryOutcome
    ) -> None:
        ids = [row.id for row in batch]
        await record_outcome(self.services, ids, recipient, outcome, self.clock())
        for log_id in ids:
            self.outcomes[log_id][recipient] = outcome

    async def _settle(
        self,
        rows: list[NotificationLog],
        wanted: dict[int, list[Recipient]],
        trouble: str | None,
    ) -> None:
        """Marks the news that reached all its addresses; the rest goes back for later."""
        sent, refused, again = [], [], []
        for row in rows:
            reached = self.outcomes[row.id]
            if not wanted[row.id]:
                continue  # skipped
            if any(recipient not in reached for recipient in wanted[row.id]):
                again.append(row)
            elif DeliveryOutcome.SENT in {reached[r] for r in wanted[row.id]}:
                sent.append(row.id)
            else:
                refused.append(row.id)
        now = self.clock()
        await finish(self.services, self.lease, LogState.SENT, sent, now)
        await finish(self.services, self.lease, LogState.FAILED, refused, now, _ALL_REFUSED)
        if again:
            user_id = again[0].user_id
            logger.warning("news for user %d not all sent, tried again later: %s", user_id, trouble)
            await retry_later(self.services, self.lease, again, trouble or "", now)


def _messages(
    member: Member,
    rows: list[NotificationLog],
    wanted: dict[int, list[Recipient]],
    outcomes: Outcomes,
) -> Iterator[tuple[Recipient, list[NotificationLog]]]:
    """Each message still to send: to each address, the news that has not reached it (all
    in one for a member who chose the digest)."""
    plan: dict[Recipient, list[NotificationLog]] = {}
    for row in rows:
        for recipient in wanted[row.id]:
            if recipient not in outcomes[row.id]:
                plan.setdefault(recipient, []).append(row)
    for recipient, news in plan.items():
        together = member.digest and len(news) > 1
        for batch in [news] if together else [[item] for item in news]:
            yield recipient, batch
