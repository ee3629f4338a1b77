"""What subscriptions get as ``info.context``: one per WebSocket connection, not per request.

The connection proves its login once, in graphql-transport-ws's ``connection_init`` with
the payload ``{"authorization": "Bearer <token>"}`` (browsers cannot put headers on a
WebSocket). The login is checked again at most every ``RECHECK_SECONDS`` while the
connection lives, so a session that is logged out, revoked or expired, or an account that
is unlinked, stops receiving within that time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.bearer import authenticate
from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.cooperatives import Cooperative
from gateway.outage_feed import OutageFeedHub

RECHECK_SECONDS = 60.0
AUTHORIZATION = "authorization"  # the connection_init payload's key (any letter case)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SocketContext:
    services: Services
    outage_feed: OutageFeedHub
    connection_params: dict[str, object] | None = None  # connection_init's payload
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, repr=False)
    _principal: Principal | None = None
    _checked_at: float = 0.0

    @property
    def cooperative(self) -> Cooperative:
        return self.services.cooperative

    async def log_in(self, token: str | None) -> bool:
        """Whether ``token`` (from connection_init) is a live login of this co-op that may
        act (not one that must change its temporary password first)."""
        if token is None:
            return False
        self._token = token
        principal = await self._authenticate()
        return principal is not None and not principal.must_change_password

    async def principal(self) -> Principal | None:
        """The connection's login, checked again when the last check is over
        ``RECHECK_SECONDS`` old; None once it has ended."""
        if self._principal is not None and self.clock() - self._checked_at > RECHECK_SECONDS:
            await self._authenticate()
        return self._principal

    async def _authenticate(self) -> Principal | None:
        services, token = self.services, self._token
        if token is None:
            return None
        try:
            self._principal = await authenticate(
                services.db,
                services.cooperative.id,
                token,
                lifetimes=services.lifetimes,
                now=datetime.now(UTC),
            )
        except (OSError, SQLAlchemyError):
            # The login stays as it was until the database answers again.
            logger.exception("cannot check a subscription's login: the database failed")
        self._checked_at = self.clock()
        return self._principal
