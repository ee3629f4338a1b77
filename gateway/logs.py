"""Logging of the gateway's processes: one format, and no secrets at any level.

Used as uvicorn's ``log_config`` so that every worker process (spawned, not forked) sets
it up the same way.
"""

from __future__ import annotations

import logging.config
from typing import Any

# Loggers held at WARNING whatever the gateway's level: at DEBUG they print what must not
# reach a log. aiosqlite and SQLAlchemy's engine print statements with their parameters
# (password and token hashes); zeep and httpx print SOAP envelopes and URLs, and each
# envelope carries the CIS credentials in its header. aiosmtpd (the demo's mail sink) and
# aiosmtplib log SMTP conversations, whose messages hold temporary passwords and reset codes.
QUIET_LOGGERS = (
    "aiosqlite",
    "sqlalchemy.engine",
    "zeep",
    "httpx",
    "httpcore",
    "mail.log",
    "aiosmtplib",
)


class WebSocketPathsOnly(logging.Filter):
    """Cuts the query string off uvicorn's WebSocket lines (``"WebSocket /graphql?..."
    [accepted]``, logged at INFO): a client may put its token there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and '"WebSocket %s"' in str(record.msg):
            record.args = tuple(
                arg.partition("?")[0] if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def logging_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` configuration: ``level`` for the gateway and uvicorn
    (INFO at most for ``uvicorn.error``), WARNING for the `QUIET_LOGGERS`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "filters": {"websocket_paths_only": {"()": WebSocketPathsOnly}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own handlers are not installed: its records reach the root's.
            "uvicorn": {"level": level},
            # The websockets library traces each WebSocket's handshake (URL and headers) and
            # frames (connection_init holds the token) at DEBUG on this logger.
            "uvicorn.error": {
                "level": level if logging.getLevelName(level) >= logging.INFO else "INFO",
                "filters": ["websocket_paths_only"],
            },
            **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
            # Not secret, but it would say "Context impl ..." at every readiness probe.
            "alembic.runtime.migration": {"level": "WARNING"},
        },
    }


def configure_logging(level: str) -> None:
    logging.config.dictConfig(logging_config(level))
