"""Green Button "Download My Data" through the real gateway over HTTP, against the simulator:
the XML read back by an independent parser (``greenbutton-objects``) and the CSV agree with
``Account.usage`` interval by interval, across both daylight-saving days of the co-op's zone;
who may download what, and how bad requests are refused."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from greenbutton_objects import enums as gb
from greenbutton_objects.parse import parse_feed
from lxml import etree

from adapters.cis_soap.simulator.demo import (
    DEMO_CABIN_ACCOUNT,
    DEMO_EMAIL,
    DEMO_HOME_ACCOUNT,
    FARM_ACCOUNTS,
    FARM_EMAIL,
)
from tests.gateway.databases import SQLITE_ONLY
from tests.gateway.live_gateway import graphql, log_in
from tests.schema.harness import PASSWORD, STAFF_EMAIL, demo_cooperative
from tests.simulator_process import SimulatorControl

ZONE = demo_cooperative().time_zone  # America/Chicago
GET_USAGE = "GetUsageByMeterNumbers"  # the CIS operation that reads intervals
LAST_YEAR = date.today().year - 1
ESPI = {"espi": "http://naesb.org/espi", "atom": "http://www.w3.org/2005/Atom"}
# Our CIS's qualities as ESPI reads them: valid is the reading type's default, so unmarked.
ESPI_QUALITIES = {
    "ACTUAL": set(),
    "ESTIMATED": {gb.QualityOfReading.estimatedUsingReferenceDay},
    "MISSING": {gb.QualityOfReading.questionable},
}

pytestmark = pytest.mark.usefixtures("demo_users")
# The database only holds the logins: the access test runs on both backends, the rest on SQLite.


def dst_days(year: int) -> tuple[date, date]:
    """The local days of ``year`` that are 23 and 25 hours long."""
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(365)]
    lengths = {day: midnight(day + timedelta(days=1)) - midnight(day) for day in days}
    [short] = [day for day, length in lengths.items() if length == timedelta(hours=23)]
    [long] = [day for day, length in lengths.items() if length == timedelta(hours=25)]
    return short, long


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), ZONE).astimezone(UTC)


SPRING_FORWARD, FALL_BACK = dst_days(LAST_YEAR)

USAGE = """query($n: String!, $from: Date!, $to: Date!, $r: UsageResolution!) {
  viewer { account(number: $n) {
    usage(resolution: $r, from: $from, to: $to) {
      start end kWhDelivered kWhReceived quality estimatedCost }
    bills(from: $from, first: 100) {
      nodes { periodStart periodEnd kWhBilled charges { amount } } } } } }"""


async def graphql_usage(
    http: httpx.AsyncClient, token: str, first: date, last: date, resolution: str
) -> dict[str, Any]:
    variables = {"n": DEMO_HOME_ACCOUNT, "from": str(first), "to": str(last), "r": resolution}
    answer = await graphql(http, USAGE, variables, token=token)
    assert "errors" not in answer, answer["errors"]
    account: dict[str, Any] = answer["data"]["viewer"]["account"]
    return account


async def download(
    http: httpx.AsyncClient, path: str, token: str | None, **query: str
) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return await http.get(path, params=query, headers=headers)


def readings_of(feed: bytes) -> dict[gb.FlowDirectionType, Any]:
    """The feed's meter readings by flow direction, as greenbutton-objects parses them."""
    [point] = parse_feed(io.BytesIO(feed))
    assert point.serviceCategory is gb.ServiceKind.electricity
    return {reading.readingType.flowDirection: reading for reading in point.meterReadings}


def expected(intervals: list[dict[str, Any]], field: str) -> list[tuple[Any, ...]]:
    return [
        (
            datetime.fromisoformat(interval["start"]),
            datetime.fromisoformat(interval["end"]) - datetime.fromisoformat(interval["start"]),
            Decimal(interval[field]) * 1000,
            ESPI_QUALITIES[interval["quality"]],
        )
        for interval in intervals
    ]


def parsed(reading: Any) -> list[tuple[Any, ...]]:
    return [
        (
            interval.timePeriod.start,
            interval.timePeriod.duration,
            interval.value,
            {quality.quality for quality in interval.readingQualities},
        )
        for interval in reading.intervalReadings
    ]


def local_days(starts: Iterator[datetime]) -> dict[date, int]:
    counts: dict[date, int] = {}
    for start in starts:
        day = start.astimezone(ZONE).date()
        counts[day] = counts.get(day, 0) + 1
    return counts


async def feed_and_graphql(
    http: httpx.AsyncClient, token: str, first: date, last: date
) -> tuple[bytes, dict[str, Any], Any]:
    """The home's feed of [first, last] with GraphQL's usage and bills of the same days,
    after checking that the feed's intervals are GraphQL's; and its delivered reading."""
    query = {"from": str(first), "to": str(last)}
    response = await download(http, f"/greenbutton/{DEMO_HOME_ACCOUNT}.xml", token, **query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    usage = await graphql_usage(http, token, first, last, "FIFTEEN_MINUTES")

    readings = readings_of(response.content)
    delivered = readings[gb.FlowDirectionType.forward]
    received = readings[gb.FlowDirectionType.reverse]  # the home is net-metered
    for reading in (delivered, received):
        kind = reading.readingType
        assert (kind.uom, kind.powerOfTenMultiplier, kind.intervalLength) == (
            gb.UomType.wattHours,
            0,
            900,
        )
        assert kind.accumulationBehaviour is gb.AccumulationBehaviourType.deltaData
        assert kind.commodity is gb.CommodityType.electricity
        assert kind.kind is gb.KindType.energy
        assert kind.defaultQuality is gb.QualityOfReading.valid
    assert parsed(delivered) == expected(usage["usage"], "kWhDelivered")
    assert parsed(received) == expected(usage["usage"], "kWhReceived")
    return response.content, usage, delivered


@SQLITE_ONLY
@pytest.mark.parametrize("dst_day", [SPRING_FORWARD, FALL_BACK], ids=["spring", "fall"])
async def test_the_feed_has_graphqls_intervals_across_a_dst_day(
    gateway: httpx.AsyncClient, dst_day: date
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    first, last = dst_day - timedelta(days=1), dst_day + timedelta(days=1)
    content, usage, delivered = await feed_and_graphql(gateway, token, first, last)

    quarters = (midnight(dst_day + timedelta(days=1)) - midnight(dst_day)) // timedelta(minutes=15)
    assert quarters in (92, 100)
    starts = (interval.timePeriod.start for interval in delivered.intervalReadings)
    assert local_days(starts) == {first: 96, dst_day: quarters, last: 96}
    [block] = delivered.intervalBlocks  # one month
    assert block.interval.start == midnight(first)
    assert block.interval.duration == midnight(last + timedelta(days=1)) - midnight(first)

    feed = etree.fromstring(content)
    assert local_time_parameters(feed) == {
        "tzOffset": "-21600",
        "dstOffset": "3600",
        "dstStartRule": "360E2000",  # second Sunday of March, 2:00
        "dstEndRule": "B40E2000",  # first Sunday of November, 2:00
    }
    billed = [
        (
            midnight(date.fromisoformat(bill["periodStart"])),
            midnight(date.fromisoformat(bill["periodEnd"]) + timedelta(days=1)),
            sum(Decimal(charge["amount"]) for charge in bill["charges"]) * 100_000,
            Decimal(bill["kWhBilled"]) * 1000,
        )
        for bill in reversed(usage["bills"]["nodes"])
        if date.fromisoformat(bill["periodStart"]) <= last
        and date.fromisoformat(bill["periodEnd"]) >= first
    ]
    assert billed
    assert summaries(feed) == billed


DAILY_QUALITY = """query($n: String!, $from: Date!, $to: Date!) { viewer { account(number: $n) {
  usage(resolution: DAILY, from: $from, to: $to) { start quality } } } }"""


@SQLITE_ONLY
async def test_estimated_and_missing_readings_are_marked(gateway: httpx.AsyncClient) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    # A day with missing quarter-hours is an estimated day: look among those for one.
    variables = {
        "n": DEMO_HOME_ACCOUNT,
        "from": str(date(LAST_YEAR - 1, 1, 1)),
        "to": str(date(LAST_YEAR, 12, 31)),
    }
    days = (await graphql(gateway, DAILY_QUALITY, variables, token=token))["data"]
    estimated = [
        datetime.fromisoformat(day["start"]).date()
        for day in days["viewer"]["account"]["usage"]
        if day["quality"] == "ESTIMATED"
    ]
    # Some of them are estimated as a whole, some miss a few quarter-hours.
    wanted = {"ESTIMATED": gb.QualityOfReading.estimatedUsingReferenceDay}
    wanted["MISSING"] = gb.QualityOfReading.questionable
    for day in estimated:
        usage = await graphql_usage(gateway, token, day, day, "FIFTEEN_MINUTES")
        found = {interval["quality"] for interval in usage["usage"]} & set(wanted)
        if not found:
            continue
        _, _, delivered = await feed_and_graphql(gateway, token, day, day)
        marks = {
            quality.quality
            for reading in delivered.intervalReadings
            for quality in reading.readingQualities
        }
        assert marks == {wanted[quality] for quality in found}
        for quality in found:
            del wanted[quality]
        if not wanted:
            break
    assert not wanted, f"none of the home's estimated days {estimated} has {set(wanted)}"


def local_time_parameters(feed: etree._Element) -> dict[str, str]:
    [parameters] = feed.findall("atom:entry/atom:content/espi:LocalTimeParameters", ESPI)
    return {etree.QName(child).localname: child.text or "" for child in parameters}


def summaries(feed: etree._Element) -> list[tuple[datetime, datetime, Decimal, Decimal]]:
    found = []
    for summary in feed.findall("atom:entry/atom:content/espi:ElectricPowerUsageSummary", ESPI):
        start = int(summary.findtext("espi:billingPeriod/espi:start", namespaces=ESPI) or "")
        duration = int(summary.findtext("espi:billingPeriod/espi:duration", namespaces=ESPI) or "")
        consumption = summary.find("espi:overallConsumptionLastPeriod", ESPI)
        assert consumption is not None
        assert consumption.findtext("espi:uom", namespaces=ESPI) == "72"
        found.append(
            (
                datetime.fromtimestamp(start, UTC),
                datetime.fromtimestamp(start + duration, UTC),
                Decimal(summary.findtext("espi:billLastPeriod", namespaces=ESPI) or ""),
                Decimal(consumption.findtext("espi:value", namespaces=ESPI) or ""),
            )
        )
    return found


@SQLITE_ONLY
async def test_the_csv_has_graphqls_intervals_and_daily_dst_days_last_25_hours(
    gateway: httpx.AsyncClient,
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    first, last = FALL_BACK - timedelta(days=1), FALL_BACK + timedelta(days=1)
    query = {"from": str(first), "to": str(last), "resolution": "HOURLY"}
    response = await download(gateway, f"/greenbutton/{DEMO_HOME_ACCOUNT}.csv", token, **query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="usage-{DEMO_HOME_ACCOUNT}-{first}-{last}.csv"'
    )
    [header, *rows] = list(csv.reader(io.StringIO(response.text)))
    assert header == [
        "start",
        "end",
        "kwh_delivered",
        "kwh_received",
        "kwh_net",
        "quality",
        "estimated_cost",
    ]
    usage = (await graphql_usage(gateway, token, first, last, "HOURLY"))["usage"]
    assert [
        (start, end, Decimal(delivered), Decimal(received), Decimal(net), quality, cost)
        for start, end, delivered, received, net, quality, cost in rows
    ] == [
        (
            interval["start"],
            interval["end"],
            Decimal(interval["kWhDelivered"]),
            Decimal(interval["kWhReceived"]),
            Decimal(interval["kWhDelivered"]) - Decimal(interval["kWhReceived"]),
            interval["quality"],
            interval["estimatedCost"],
        )
        for interval in usage
    ]
    repeated = [row[0] for row in rows if row[0].startswith(f"{FALL_BACK}T01:00")]
    assert repeated == [f"{FALL_BACK}T01:00:00-05:00", f"{FALL_BACK}T01:00:00-06:00"]
    assert len(rows) == 24 + 25 + 24

    query = {"from": str(FALL_BACK), "to": str(FALL_BACK), "resolution": "DAILY"}
    response = await download(gateway, f"/greenbutton/{DEMO_HOME_ACCOUNT}.xml", token, **query)
    [day] = readings_of(response.content)[gb.FlowDirectionType.forward].intervalReadings
    assert day.timePeriod.duration == timedelta(hours=25)
    assert day.value == sum(Decimal(interval["kWhDelivered"]) for interval in usage[24:49]) * 1000


STAFF_READS = """query($n: String!) {
  auditEvents(kind: "STAFF_READ", accountNumber: $n) { nodes { kind actorEmail memberEmail } } }"""


async def test_who_may_download_what_and_bad_requests(
    gateway: httpx.AsyncClient, simulator_control: SimulatorControl
) -> None:
    session = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    created = await graphql(
        gateway, 'mutation { createAccessToken(name: "exporter") { token } }', token=session
    )
    read_only = created["data"]["createAccessToken"]["token"]
    day = {"from": str(FALL_BACK), "to": str(FALL_BACK), "resolution": "DAILY"}
    home, farm = f"/greenbutton/{DEMO_HOME_ACCOUNT}", f"/greenbutton/{FARM_ACCOUNTS[0]}"

    ok = await download(gateway, f"{home}.csv", read_only, **day)
    assert ok.status_code == 200, ok.text
    assert len(ok.text.splitlines()) == 2

    for token in (None, "cgs_not-a-session", "cgp_not-a-token"):
        refused = await download(gateway, f"{home}.xml", token, **day)
        assert (refused.status_code, code_of(refused)) == (401, "UNAUTHENTICATED")
        assert refused.headers["www-authenticate"] == "Bearer"

    # Another member's account answers exactly as one that does not exist.
    others = await download(gateway, f"{farm}.xml", read_only, **day)
    missing = await download(gateway, "/greenbutton/90009999.xml", read_only, **day)
    assert (others.status_code, code_of(others)) == (404, "NOT_FOUND")
    assert others.text.replace(FARM_ACCOUNTS[0], "90009999") == missing.text

    staff = await log_in(gateway, STAFF_EMAIL, PASSWORD)
    assert (await download(gateway, f"{farm}.csv", staff, **day)).status_code == 200
    audit = await graphql(gateway, STAFF_READS, {"n": FARM_ACCOUNTS[0]}, token=staff)
    assert audit["data"]["auditEvents"]["nodes"] == [
        {"kind": "STAFF_READ", "actorEmail": STAFF_EMAIL, "memberEmail": FARM_EMAIL}
    ]
    assert (await download(gateway, "/greenbutton/90009999.csv", staff, **day)).status_code == 404

    for bad in (
        {"from": "2025-13-01"},
        {"to": "yesterday"},
        {"from": "2025-03-02", "to": "2025-03-01"},
        {"from": "2024-01-01", "to": "2025-01-01"},  # 367 days
        {"from": "1969-12-31", "to": "1970-01-01"},
        {"resolution": "MONTHLY"},
    ):
        refused = await download(gateway, f"{home}.csv", session, **bad)
        assert (refused.status_code, code_of(refused)) == (400, "BAD_USER_INPUT"), bad

    unknown_coop = await gateway.get(f"{home}.xml", headers={"X-Cooperative": "nowhere"})
    assert (unknown_coop.status_code, code_of(unknown_coop)) == (404, "NOT_FOUND")
    simulator_control.set(fault_rate=1.0)
    refused = await download(gateway, f"{home}.xml", session, **day)
    assert (refused.status_code, code_of(refused)) == (503, "CIS_UNAVAILABLE")


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@SQLITE_ONLY
async def test_a_year_of_quarter_hours_is_streamed(
    gateway: httpx.AsyncClient, simulator_control: SimulatorControl
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    first, last = date(LAST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
    query = {"from": str(first), "to": str(last)}
    path = f"/greenbutton/{DEMO_CABIN_ACCOUNT}.xml"
    simulator_control.set(reset_stats=True)
    async with gateway.stream(
        "GET", path, params=query, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        chunks = response.aiter_bytes()
        body = [await anext(chunks)]
        months_read_at_first_chunk = simulator_control.calls(GET_USAGE)
        body.extend([chunk async for chunk in chunks])
    # One call a month (the cabin has one meter and is not priced by the hour): the feed
    # began once the first month was read, the next one at most under way.
    assert simulator_control.calls(GET_USAGE) == 12
    assert months_read_at_first_chunk <= 2
    [reading] = readings_of(b"".join(body)).values()  # the cabin is not net-metered
    assert len(reading.intervalBlocks) == 12
    assert len(list(reading.intervalReadings)) == ((last - first).days + 1) * 96


def entry_ids(feed: bytes, resource: str) -> dict[str, str]:
    """The atom id of each ``resource`` entry of the feed, by its self link."""
    ids = {}
    for entry in etree.fromstring(feed).findall("atom:entry", ESPI):
        if entry.find(f"atom:content/espi:{resource}", ESPI) is not None:
            link = entry.find("atom:link[@rel='self']", ESPI)
            assert link is not None
            ids[link.get("href", "")] = entry.findtext("atom:id", namespaces=ESPI) or ""
    return ids


@SQLITE_ONLY
async def test_a_month_and_a_bill_have_the_same_ids_in_any_download(
    gateway: httpx.AsyncClient,
) -> None:
    """Ids name what an entry holds, not its place in the download: a reader merging
    downloads of different days finds each month and each bill once."""
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    path = f"/greenbutton/{DEMO_HOME_ACCOUNT}.xml"
    feeds = [
        (await download(gateway, path, token, resolution="DAILY", **days)).content
        for days in (
            {"from": f"{LAST_YEAR}-01-20", "to": f"{LAST_YEAR}-02-10"},
            {"from": f"{LAST_YEAR}-02-01", "to": f"{LAST_YEAR}-02-05"},
        )
    ]
    longer, shorter = (entry_ids(feed, "IntervalBlock") for feed in feeds)
    # Delivered and received (the home is net-metered), named by their month.
    point = f"RetailCustomer/{DEMO_HOME_ACCOUNT}/UsagePoint/1"
    assert sorted(longer) == [
        f"{point}/MeterReading/{reading}/IntervalBlock/{LAST_YEAR}{month}"
        for reading in (1, 2)
        for month in ("01", "02")
    ]
    assert shorter == {href: id for href, id in longer.items() if href.endswith(f"{LAST_YEAR}02")}
    longer, shorter = (entry_ids(feed, "ElectricPowerUsageSummary") for feed in feeds)
    assert shorter
    assert shorter.items() <= longer.items()


@SQLITE_ONLY
async def test_a_cis_failure_mid_stream_cuts_the_answer_short(
    gateway: httpx.AsyncClient,
    simulator_control: SimulatorControl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The answer started, so no error status can be sent: the client sees the body end
    early, the gateway logs why in a warning, and nothing logs a traceback."""
    caplog.set_level(logging.ERROR, logger="uvicorn.error")  # the test server's: critical
    caplog.set_level(logging.WARNING, logger="gateway")
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    # Each CIS call takes a while, so the fault below is set long before the last month is
    # read (the first month to meet it ends the answer: the others cost no time).
    simulator_control.set(latency_ms=100)
    query = {"from": f"{LAST_YEAR}-01-01", "to": f"{LAST_YEAR}-06-30", "resolution": "DAILY"}
    path = f"/greenbutton/{DEMO_CABIN_ACCOUNT}.xml"
    async with gateway.stream(
        "GET", path, params=query, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status_code == 200
        chunks = response.aiter_bytes()
        assert (await anext(chunks)).startswith(b"<?xml")
        simulator_control.set(fault_rate=1.0, fault_operations=[GET_USAGE])
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            async for _ in chunks:
                pass
    warnings = [
        record.getMessage() for record in caplog.records if record.name.startswith("gateway")
    ]
    assert [message.split(":")[0] for message in warnings] == [
        "CIS failed during a Green Button download, cut short"
    ]
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []
