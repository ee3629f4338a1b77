"""Service addresses as messages name them: members with several accounts need to know which
one the news is about ("212 Lakeview Rd, Lake cabin, Arnold, NE 69120")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from adapters.records import Address, ServiceLocation
from gateway.context import Services


def address_text(address: Address) -> str:
    parts = (address.line1, address.line2, address.city, f"{address.state} {address.postal_code}")
    return ", ".join(part for part in parts if part)


def addresses_text(locations: Iterable[ServiceLocation]) -> str:
    """The account's service addresses, each once ("" for an account without one)."""
    texts = dict.fromkeys(address_text(location.service_address) for location in locations)
    return "; ".join(texts)


async def service_addresses(services: Services, numbers: Sequence[str]) -> dict[str, str]:
    """Each account's service addresses, read from the CIS in one batch."""
    locations = await services.adapter.get_service_locations(numbers)
    return {number: addresses_text(locations.get(number, ())) for number in numbers}
