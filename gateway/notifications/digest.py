"""The digest: a member who chose it gets one message per round for all the news of all their
accounts (the farm's 60 bills in one e-mail, not 60): by e-mail each line naming its
account, by SMS the count and a summary by kind (60 lines would not fit a phone's screen,
nor a text message's length)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from gateway.cooperatives import Cooperative
from gateway.notifications.kinds import NotificationKind
from gateway.notifications.wording import Wording, sms_text

_SUMMARY = {
    NotificationKind.BILL_READY: "bills ready",
    NotificationKind.DUE_SOON: "due dates coming",
    NotificationKind.PAST_DUE: "past due",
    NotificationKind.PAYMENT_RECEIVED: "payments received",
    NotificationKind.PAYMENT_DECLINED: "payments not made",
    NotificationKind.AUTOPAY_UPCOMING: "automatic payments coming",
    NotificationKind.AUTOPAY_DONE: "automatic payments",
    NotificationKind.OUTAGE_REPORTED: "outages",
    NotificationKind.ETR_CHANGED: "new restoration estimates",
    NotificationKind.POWER_RESTORED: "power restored",
    NotificationKind.USAGE_ALERT: "usage alerts",
}


def digest_letter(cooperative: Cooperative, news: Sequence[Wording]) -> dict[str, str]:
    """The values of the ``notification-digest`` e-mail template."""
    return {
        "cooperative": cooperative.name,
        "count": str(len(news)),
        "lines": "\n".join(f"- {item.text}" for item in news),
        "portal": cooperative.portal_url,
    }


def digest_text(cooperative: Cooperative, kinds: Sequence[NotificationKind]) -> str:
    """The text: "60 updates on your accounts (bills ready: 60). Details: https://…"."""
    counts = Counter(kinds)
    summary = ", ".join(
        f"{_SUMMARY[kind]}: {counts[kind]}" for kind in NotificationKind if kind in counts
    )
    text = f"{len(kinds)} updates on your accounts ({summary}). Details: {cooperative.portal_url}"
    return sms_text(cooperative.name, text)
