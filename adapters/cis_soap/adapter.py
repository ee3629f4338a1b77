"""``SoapCisAdapter``: the ``CisAdapter`` for any CIS that speaks the coop-gateway WSDL.

Requests are built by zeep from the local WSDL (loaded once, in ``create``), sent with one
shared ``httpx.AsyncClient``, and answers parsed by lxml straight into records. Large
reads are split into calls of ``max_batch_size`` keys (usage reads into fewer, so no call
asks for more intervals than the CIS serves), sent concurrently under the adapter's
concurrency limit. Writes are never split: a call that failed half-way would leave items
applied that the caller gets no receipt for, so a write larger than one call is refused
with ``BatchTooLarge`` before anything is sent. Calls that are safe to repeat are retried
on transient failures; a circuit breaker and a per-call deadline keep a sick CIS from
stalling callers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx
from lxml import etree

from adapters.cis_soap import envelope, usage_split
from adapters.cis_soap.operations import BATCH_READS, BATCH_WRITES, FAULT_BATCH_TOO_LARGE
from adapters.cis_soap.resilience import CircuitBreaker, NotSent, Resilience, RetryPolicy
from adapters.cis_soap.settings import SoapAdapterSettings
from adapters.cis_soap.xmlmap import record_parser
from adapters.errors import BatchTooLarge, CisTimeout, CisUnavailable
from adapters.records import (
    Account,
    Bill,
    ContactUpdate,
    Customer,
    DateRange,
    IntervalLength,
    LocationOutageStatus,
    Meter,
    OutageEvent,
    OutageFeed,
    OutageReport,
    OutageReportReceipt,
    Payment,
    PaymentReceipt,
    PaymentTransaction,
    RateSchedule,
    ServiceLocation,
    UsageInterval,
)

T = TypeVar("T")
_CONTENT_TYPE = "text/xml; charset=utf-8"
# httpx failures that prove the request never left: safe to send again, whatever it is.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class SoapCisAdapter:
    """A ``CisAdapter`` over SOAP. Build it with ``create``; close it with ``aclose``."""

    def __init__(
        self,
        settings: SoapAdapterSettings,
        requests: envelope.RequestBuilder,
        http_client: httpx.AsyncClient,
        *,
        owns_http_client: bool,
    ) -> None:
        self._settings = settings
        self._requests = requests
        self._http = http_client
        self._owns_http = owns_http_client
        self._timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        self._resilience = Resilience(
            deadline=settings.deadline,
            retry=RetryPolicy(settings.retries, settings.backoff_base, settings.backoff_max),
            breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown),
            max_concurrency=settings.max_concurrency,
        )

    @classmethod
    def create(
        cls, settings: SoapAdapterSettings, *, http_client: httpx.AsyncClient | None = None
    ) -> SoapCisAdapter:
        """Load the WSDL (synchronously: call this at start-up, not per request).

        With ``http_client`` the adapter shares that client and leaves it open on
        ``aclose``; without, it opens its own pool and closes it on ``aclose``.
        """
        credentials = envelope.Credentials(
            settings.user_id, settings.password, settings.company, settings.app_name
        )
        requests = envelope.RequestBuilder(envelope.load_client(), credentials)
        own = http_client is None
        client = http_client if http_client is not None else httpx.AsyncClient()
        return cls(settings, requests, client, owns_http_client=own)

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker in front of this CIS (its ``state`` suits a health check)."""
        return self._resilience.breaker

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def ping(self) -> None:
        (answer,) = await self._call("PingURL", [{}], lambda answer: answer, idempotent=True)
        if answer.findtext("status") != "OK":
            raise CisUnavailable(f"the CIS is not OK: {answer.findtext('status')!r}")

    async def methods(self) -> tuple[str, ...]:
        """The operations the CIS serves (GetMethods)."""
        (names,) = await self._call(
            "GetMethods",
            [{}],
            lambda answer: tuple(method.text or "" for method in answer.iterchildren("method")),
            idempotent=True,
        )
        return names

    async def get_customers(self, customer_ids: Sequence[str]) -> Mapping[str, Customer]:
        return await self._read("GetCustomersByCustomerIDs", customer_ids)

    async def get_accounts(self, account_numbers: Sequence[str]) -> Mapping[str, Account]:
        return await self._read("GetAccountsByAccountNumbers", account_numbers)

    async def get_accounts_by_customer(
        self, customer_ids: Sequence[str]
    ) -> Mapping[str, tuple[Account, ...]]:
        return await self._read("GetAccountsByCustomerIDs", customer_ids)

    async def get_service_locations(
        self, account_numbers: Sequence[str]
    ) -> Mapping[str, tuple[ServiceLocation, ...]]:
        return await self._read("GetServiceLocationsByAccountNumbers", account_numbers)

    async def get_meters(self, meter_numbers: Sequence[str]) -> Mapping[str, Meter]:
        return await self._read("GetMetersByMeterNumbers", meter_numbers)

    async def get_bills(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[Bill, ...]]:
        return await self._read("GetBillingDetailsByAccountNumbers", account_numbers, period)

    async def get_payments(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[Payment, ...]]:
        return await self._read("GetPaymentsByAccountNumbers", account_numbers, period)

    async def get_rate_schedules(
        self, account_numbers: Sequence[str]
    ) -> Mapping[str, RateSchedule]:
        return await self._read("GetRateSchedulesByAccountNumbers", account_numbers)

    async def get_usage(
        self,
        meter_numbers: Sequence[str],
        start: datetime,
        end: datetime,
        interval_length: IntervalLength,
    ) -> Mapping[str, tuple[UsageInterval, ...]]:
        size = usage_split.meters_per_call(
            start, end, interval_length, self._settings.max_batch_size
        )
        window = {"start": start, "end": end, "intervalLength": interval_length}
        return await self._read("GetUsageByMeterNumbers", meter_numbers, window, chunk_size=size)

    async def get_active_outages(self, since_sequence: int = 0) -> OutageFeed:
        parse_event = record_parser(OutageEvent).parse

        def feed(answer: etree._Element) -> OutageFeed:
            events = tuple(parse_event(event) for event in answer.iterchildren("outageEvent"))
            return OutageFeed(events, int(answer.findtext("latestSequence") or ""))

        parameters = {"sinceSequence": since_sequence}
        (result,) = await self._call("GetActiveOutageEvents", [parameters], feed, idempotent=True)
        return result

    async def get_outages(self, outage_event_ids: Sequence[str]) -> Mapping[str, OutageEvent]:
        return await self._read("GetOutageEventsByIDs", outage_event_ids)

    async def get_outage_status(
        self, service_location_ids: Sequence[str]
    ) -> Mapping[str, LocationOutageStatus]:
        return await self._read("GetOutageStatusByServiceLocationIDs", service_location_ids)

    async def get_outage_history(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[OutageEvent, ...]]:
        return await self._read("GetOutageHistoryByAccountNumbers", account_numbers, period)

    async def submit_outage_reports(
        self, reports: Sequence[OutageReport]
    ) -> tuple[OutageReportReceipt, ...]:
        return await self._write("SubmitOutageReports", reports)

    async def process_payments(
        self, transactions: Sequence[PaymentTransaction]
    ) -> tuple[PaymentReceipt, ...]:
        return await self._write("ProcessPaymentTransactions", transactions)

    async def update_contact_info(self, updates: Sequence[ContactUpdate]) -> Mapping[str, Customer]:
        customers: tuple[Customer, ...] = await self._write("UpdateCustomerContactInfo", updates)
        return {customer.customer_id: customer for customer in customers}

    async def _read(
        self,
        name: str,
        keys: Sequence[str],
        extra: DateRange | Mapping[str, object] | None = None,
        *,
        chunk_size: int | None = None,
    ) -> dict[str, Any]:
        operation = BATCH_READS[name]
        if isinstance(extra, DateRange):
            extra = {"from": extra.start, "to": extra.end}
        unique = list(dict.fromkeys(keys))
        size = chunk_size or self._settings.max_batch_size
        requests = [
            {
                operation.keys: envelope.wrapped(operation.keys, unique[start : start + size]),
                **(extra or {}),
            }
            for start in range(0, len(unique), size)
        ]
        parts = await self._call(
            name, requests, lambda answer: envelope.read_rows(operation, answer), idempotent=True
        )
        merged: dict[str, Any] = {}
        for part in parts:
            merged.update(part)
        return merged

    async def _write(self, name: str, items: Sequence[Any]) -> tuple[Any, ...]:
        """One call for all ``items`` (none for none), answered one row per item in order."""
        operation = BATCH_WRITES[name]
        limit = self._settings.max_batch_size
        if len(items) > limit:
            raise BatchTooLarge(
                FAULT_BATCH_TOO_LARGE,
                f"{len(items)} {operation.items} in one call; at most {limit} are sent"
                " (writes are never split)",
                operation.items,
            )
        if not items:
            return ()
        (rows,) = await self._call(
            name,
            [{operation.items: envelope.wrapped(operation.items, list(items))}],
            lambda answer: envelope.read_answers(operation, answer, items),
            idempotent=operation.retryable,
        )
        return tuple(rows)

    async def _call(
        self,
        name: str,
        requests: Sequence[Mapping[str, object]],
        read: Callable[[etree._Element], T],
        *,
        idempotent: bool,
    ) -> list[T]:
        """One SOAP call per request (none for none), each answer read by ``read``."""
        action = self._requests.soap_action(name)

        def sender(request: Mapping[str, object]) -> Callable[[], Awaitable[T]]:
            # Built once: a retry sends the same message, messageId included.
            payload = self._requests.build(name, request)

            async def send() -> T:
                return read(await self._post(name, action, payload))

            return send

        sends = [sender(request) for request in requests]
        try:
            return await self._resilience.run(sends, idempotent=idempotent)
        except (ValueError, ArithmeticError) as error:
            raise envelope.parse_failure(name, error) from None

    async def _post(self, name: str, action: str, payload: bytes) -> etree._Element:
        headers = {"Content-Type": _CONTENT_TYPE, "SOAPAction": f'"{action}"'}
        try:
            response = await self._http.post(
                self._settings.url, content=payload, headers=headers, timeout=self._timeout
            )
        except _NOT_SENT as error:
            raise NotSent(f"cannot reach the CIS for {name}: {type(error).__name__}") from None
        except httpx.TimeoutException:
            raise CisTimeout(f"the CIS did not answer {name} in time") from None
        except httpx.TransportError as error:
            raise CisUnavailable(f"the CIS connection failed during {name}: {error}") from None
        return envelope.response_element(response.content, response.status_code, name)
