"""The notification settings' refusals: the member's input is wrong; the message says how."""

from __future__ import annotations


class NotificationRefused(ValueError):
    """A contact, code or preference the member must fix; nothing was changed."""
