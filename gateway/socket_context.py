"""What subscriptions get as ``info.context``: one per WebSocket connection, not per request.

The connection proves its login once, in graphql-transport-ws's ``connection_init`` with
the payload ``{"authorization": "Bearer <token>"}`` (browsers cannot put headers on a
WebSocket). The login is checked again at most every ``RECHECK_SECONDS`` while the
connection lives, so a session that is logged out, revoked or expired, or an account that
is unlinked, stops receiving within that time. The checks again only read: an open socket
is no use of the session or access token, so a tab left open still reaches the idle
timeout, and no connection writes to the database every minute. The connection's
subscriptions share one check: the first to find it stale makes it, the others wait for it.
"""

from __future__ import annotations

import asyncio
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


class LoginUncheckable(Exception):
    """The database failed while a connection_init's login was checked: nothing is known of
    the login, and the client should try again later."""


@dataclass(slots=True)
class SocketContext:
    services: Services
    outage_feed: OutageFeedHub
    # connection_init's payload, which holds the bearer token
    connection_params: dict[str, object] | None = field(default=None, repr=False)
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, repr=False)
    _principal: Principal | None = None
    _checked_at: float = 0.0
    _recheck_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def cooperative(self) -> Cooperative:
        return self.services.cooperative

    async def log_in(self, token: str | None) -> bool:
        """Whether ``token`` (from connection_init) is a live login of this co-op that may
        act (not one that must change its temporary password first). Raises
        ``LoginUncheckable`` when the database fails."""
        if token is None:
            return False
        try:
            principal = await self._authenticate(token, touch=True)
        except (OSError, SQLAlchemyError) as error:
            _database_failed("cannot check a socket's login", error)
            raise LoginUncheckable from None
        self._token, self._principal, self._checked_at = token, principal, self.clock()
        return principal is not None and not principal.must_change_password

    async def principal(self) -> Principal | None:
        """The connection's login, checked again when the last check is over
        ``RECHECK_SECONDS`` old; None once it has ended."""
        if self._stale():
            async with self._recheck_lock:
                if self._stale():  # not if another subscription checked it while this waited
                    await self._recheck()
        return self._principal

    def _stale(self) -> bool:
        return self._principal is not None and self.clock() - self._checked_at > RECHECK_SECONDS

    async def _recheck(self) -> None:
        assert self._token is not None  # a principal was found for it
        try:
            # Only a read: a session's idle timeout runs on, and neither a session nor an
            # access token has its last use written.
            found = await self._authenticate(self._token, touch=False)
        except (OSError, SQLAlchemyError) as error:
            # The login stays as it was until the database answers again.
            _database_failed("cannot check a subscription's login again", error)
        else:
            self._principal = found
        self._checked_at = self.clock()

    async def _authenticate(self, token: str, *, touch: bool) -> Principal | None:
        services = self.services
        return await authenticate(
            services.db,
            services.cooperative.id,
            token,
            lifetimes=services.lifetimes,
            now=datetime.now(UTC),
            touch=touch,
        )


def _database_failed(doing: str, error: Exception) -> None:
    # A warning without the traceback: during an outage, every connection logs it.
    logger.warning("%s: the database failed (%s)", doing, type(error).__name__)
