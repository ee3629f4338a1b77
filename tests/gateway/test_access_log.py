"""The access log names routes, not the paths asked: a path may hold an account number."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from adapters.cis_soap.simulator.demo import DEMO_HOME_ACCOUNT

# The log is the app's, whatever database it runs on.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_lines_name_the_route_and_never_an_account_number(
    gateway: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    asked = [
        (f"/greenbutton/{DEMO_HOME_ACCOUNT}.xml", 401),  # no login
        (f"/greenbutton/{DEMO_HOME_ACCOUNT}.json", 404),  # no route serves it
        ("/healthz", 200),
    ]
    for path, status in asked:
        assert (await gateway.get(path)).status_code == status
    lines = await access_lines(caplog, len(asked))
    # Client, method and route, status; then the duration.
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        '127.0.0.1 "GET /greenbutton/{account_number}.xml" 401',
        '127.0.0.1 "GET -" 404',
        '127.0.0.1 "GET /healthz" 200',
    ]
    assert not [line for line in lines if DEMO_HOME_ACCOUNT in line]


async def access_lines(caplog: pytest.LogCaptureFixture, count: int) -> list[str]:
    """The first ``count`` access log lines: the server logs each once it has answered, so
    the client may be told first."""
    for _ in range(200):
        lines = [
            record.getMessage() for record in caplog.records if record.name == "gateway.access"
        ]
        if len(lines) >= count:
            return lines[:count]
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} access log lines expected, got {lines}")
