"""The digest: a member who chose it gets one message per round for all the news of all their
accounts (the farm's 60 bills in one e-mail, not 60), each line naming its account."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.cooperatives import Cooperative
from gateway.notifications.wording import Wording, sms_text


def digest_letter(cooperative: Cooperative, news: Sequence[Wording]) -> dict[str, str]:
    """The values of the ``notification-digest`` e-mail template."""
    return {
        "cooperative": cooperative.name,
        "count": str(len(news)),
        "lines": "\n".join(f"- {item.text}" for item in news),
        "portal": cooperative.portal_url,
    }


def digest_text(cooperative: Cooperative, news: Sequence[Wording]) -> str:
    lines = "\n".join(item.text for item in news)
    return sms_text(cooperative.name, f"{len(news)} updates on your accounts:\n{lines}")
