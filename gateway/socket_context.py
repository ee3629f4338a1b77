"""What subscriptions get as ``info.context``: one per WebSocket connection, not per request.

The connection proves its login once, in graphql-transport-ws's ``connection_init`` with
the payload ``{"authorization": "Bearer <token>"}`` (browsers cannot put headers on a
WebSocket). The login is checked again at most every ``RECHECK_SECONDS`` while the
connection lives, so a session that is logged out, revoked or expired, or an account that
is unlinked, stops receiving within that time. The checks again only read: an open socket
is no use of the session, so a tab left open still reaches the idle timeout, and no
connection writes to the database every minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.bearer import authenticate
from gateway.auth.sessions import Principal, authenticate_session
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

    @property
    def cooperative(self) -> Cooperative:
        return self.services.cooperative

    async def log_in(self, token: str | None) -> bool:
        """Whether ``token`` (from connection_init) is a live login of this co-op that may
        act (not one that must change its temporary password first). Raises
        ``LoginUncheckable`` when the database fails."""
        if token is None:
            return False
        services = self.services
        try:
            principal = await authenticate(
                services.db,
                services.cooperative.id,
                token,
                lifetimes=services.lifetimes,
                now=datetime.now(UTC),
            )
        except (OSError, SQLAlchemyError) as error:
            _database_failed("cannot check a socket's login", error)
            raise LoginUncheckable from None
        self._token, self._principal, self._checked_at = token, principal, self.clock()
        return principal is not None and not principal.must_change_password

    async def principal(self) -> Principal | None:
        """The connection's login, checked again when the last check is over
        ``RECHECK_SECONDS`` old; None once it has ended."""
        if self._principal is not None and self.clock() - self._checked_at > RECHECK_SECONDS:
            await self._recheck(self._principal)
        return self._principal

    async def _recheck(self, principal: Principal) -> None:
        db, cooperative_id, token = self.services.db, self.cooperative.id, self._token
        lifetimes, now = self.services.lifetimes, datetime.now(UTC)
        assert token is not None  # a principal was found for it
        try:
            if principal.session_id is None:  # a personal access token: no idle timeout
                found = await authenticate(db, cooperative_id, token, lifetimes=lifetimes, now=now)
            else:
                found = await authenticate_session(
                    db, cooperative_id, token, lifetimes=lifetimes, now=now, touch=False
                )
        except (OSError, SQLAlchemyError) as error:
            # The login stays as it was until the database answers again.
            _database_failed("cannot check a subscription's login again", error)
        else:
            self._principal = found
        self._checked_at = self.clock()


def _database_failed(doing: str, error: Exception) -> None:
    # A warning without the traceback: during an outage, every connection logs it.
    logger.warning("%s: the database failed (%s)", doing, type(error).__name__)
