"""One message to one address: a piece of news, or a digest of several for a member who
chose one (by SMS a count and summary, which a phone can show; by e-mail every line)."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.context import Services
from gateway.notifications.digest import digest_letter, digest_text
from gateway.notifications.kinds import NotificationChannel
from gateway.notifications.recipients import Recipient
from gateway.notifications.sms import SmsSender
from gateway.notifications.wording import sms_text, wording
from gateway.store.notifications import NotificationLog


async def send_news(
    services: Services, sms: SmsSender, recipient: Recipient, news: Sequence[NotificationLog]
) -> None:
    """Raises `MailError` or `SmsError` when the message did not go."""
    cooperative = services.cooperative
    if recipient.channel is NotificationChannel.SMS:
        if len(news) == 1:
            [row] = news
            text = sms_text(cooperative.name, wording(row.kind, row.facts).text)
        else:
            text = digest_text(cooperative, [row.kind for row in news])
        await sms.send(recipient.address, text)
        return
    mailer = services.outbox.mailer
    if len(news) == 1:
        [row] = news
        words = wording(row.kind, row.facts)
        values = {
            "cooperative": cooperative.name,
            "headline": words.headline,
            "text": words.text,
            "account": row.account_number,
            "address": row.facts["address"],
            "portal": cooperative.portal_url,
        }
        message = mailer.compose("notification", recipient.address, values)
    else:
        worded = [wording(row.kind, row.facts) for row in news]
        message = mailer.compose(
            "notification-digest", recipient.address, digest_letter(cooperative, worded)
        )
    await mailer.send(message)
