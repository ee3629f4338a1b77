"""`SandboxProcessor`: the `PaymentProcessor` of the bundled sandbox processor, over HTTP.

Its answers map to the records and errors of `gateway.payments.processor`:

- 200: the record; 404 on `describe` or `find_charge`: None;
- 400 (a number, expiry, reference or amount refused) and 409 (a reference reused with
  another token or amount, a declined charge refunded), 404 on `refund`: `ValueError`
  with the processor's message;
- no answer (connection refused, timeout), any 5xx, a refused API key or an answer that
  is not the sandbox's JSON: `ProcessorUnavailable`, whose message never holds the key.

Card and account numbers, and the key, are never logged.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from gateway.payments.processor import (
    Charge,
    MethodDetails,
    PaymentProcessor,
    ProcessorUnavailable,
)
from gateway.payments.sandbox.wire import (
    MalformedAnswer,
    charge_from_json,
    method_from_json,
    valid_reference,
)

logger = logging.getLogger(__name__)


def _path(value: str) -> str:
    return quote(value, safe="")


def _error_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("error")
    except (ValueError, AttributeError):
        message = None
    return message if isinstance(message, str) else f"HTTP {response.status_code}"


class SandboxProcessor:
    """The sandbox processor at ``base_url`` (e.g. ``http://127.0.0.1:8002``)."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"SandboxProcessor({self.base_url!r})"

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, object] | None = None,
        *,
        expect_found: bool = False,
    ) -> httpx.Response:
        """The answer, 200 or 404 (200 only with ``expect_found``); any other status
        raises as the module says."""
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.TimeoutException:
            raise ProcessorUnavailable("the payment processor did not answer in time") from None
        except httpx.HTTPError as error:
            raise ProcessorUnavailable(
                f"the payment processor could not be reached ({type(error).__name__})"
            ) from None
        if response.status_code >= 500:
            raise ProcessorUnavailable(
                f"the payment processor failed (HTTP {response.status_code}):"
                f" {_error_message(response)}"
            )
        if response.status_code in (401, 403):
            raise ProcessorUnavailable(
                f"the payment processor refused the API key (HTTP {response.status_code})"
            )
        if response.status_code in (400, 409, 422):
            raise ValueError(_error_message(response))
        if response.status_code != 200 and (expect_found or response.status_code != 404):
            raise ProcessorUnavailable(
                f"the payment processor answered HTTP {response.status_code}"
            )
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ProcessorUnavailable("the payment processor's answer is not JSON") from None

    def _found(self, response: httpx.Response) -> bool:
        """True for 200, False for the sandbox's own 404 (not for a path it does not serve:
        a wrong base URL is no evidence that a charge does not exist)."""
        if response.status_code == 200:
            return True
        answer = self._json(response)
        if not isinstance(answer, dict) or answer.get("code") != "not_found":
            raise ProcessorUnavailable("the payment processor does not serve this request")
        return False

    def _method(self, response: httpx.Response) -> MethodDetails:
        try:
            return method_from_json(self._json(response))
        except MalformedAnswer as error:
            raise ProcessorUnavailable(f"the payment processor's answer: {error}") from None

    @staticmethod
    def _charge(data: object) -> Charge:
        try:
            return charge_from_json(data)
        except MalformedAnswer as error:
            raise ProcessorUnavailable(f"the payment processor's answer: {error}") from None

    async def tokenize_card(
        self, number: str, expiry_month: int, expiry_year: int, cvc: str
    ) -> MethodDetails:
        body: dict[str, object] = {
            "number": number,
            "expiry_month": expiry_month,
            "expiry_year": expiry_year,
            "cvc": cvc,
        }
        return self._method(await self._call("POST", "/v1/tokens/card", body, expect_found=True))

    async def tokenize_bank_account(
        self, routing_number: str, account_number: str
    ) -> MethodDetails:
        body: dict[str, object] = {
            "routing_number": routing_number,
            "account_number": account_number,
        }
        response = await self._call("POST", "/v1/tokens/bank_account", body, expect_found=True)
        return self._method(response)

    async def describe(self, token: str) -> MethodDetails | None:
        if not token or "/" in token:
            return None  # the sandbox issues no such token (nor could it be a path segment)
        response = await self._call("GET", f"/v1/tokens/{_path(token)}")
        return self._method(response) if self._found(response) else None

    async def charge(self, reference: str, token: str, amount: Decimal) -> Charge:
        body: dict[str, object] = {
            "reference": reference,
            "token": token,
            "amount": format(amount, "f"),
        }
        response = await self._call("POST", "/v1/charges", body, expect_found=True)
        charge = self._charge(self._json(response))
        logger.debug("charge %s: %s", charge.reference, charge.status)
        return charge

    async def find_charge(self, reference: str) -> Charge | None:
        if not valid_reference(reference):
            return None  # the sandbox takes no charge with such a reference
        response = await self._call("GET", f"/v1/charges/{_path(reference)}")
        return self._charge(self._json(response)) if self._found(response) else None

    async def refund(self, reference: str) -> Charge:
        if not valid_reference(reference):
            raise ValueError("no charge with this reference")
        response = await self._call("POST", f"/v1/charges/{_path(reference)}/refund")
        if not self._found(response):
            raise ValueError(_error_message(response))
        return self._charge(self._json(response))

    async def charges(self) -> tuple[Charge, ...]:
        data = self._json(await self._call("GET", "/v1/charges", expect_found=True))
        listed = data.get("charges") if isinstance(data, dict) else None
        if not isinstance(listed, list):
            raise ProcessorUnavailable("the payment processor's answer: not a charge list")
        return tuple(self._charge(item) for item in listed)

    async def aclose(self) -> None:
        await self._http.aclose()


if TYPE_CHECKING:

    def _implements_the_protocol(processor: SandboxProcessor) -> PaymentProcessor:
        return processor  # mypy checks SandboxProcessor against PaymentProcessor here
