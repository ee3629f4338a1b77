"""The co-op's books: every customer, account, service location and meter, indexed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from adapters.cis_soap.simulator.demo import demo_members
from adapters.cis_soap.simulator.members import generate_member
from adapters.cis_soap.simulator.specs import AccountSpec, Feeder, LocationSpec, MeterSpec
from adapters.records import Customer


@dataclass(frozen=True, slots=True)
class SampleCustomer:
    """An ordinary member a test can sign up as: what a member knows from a paper bill."""

    customer_id: str
    account_number: str
    name: str  # the customer's last name, or the business's name
    service_zip: str
    email: str


class Dataset:
    def __init__(self, seed: int, members: int, today: date) -> None:
        ordinary = [generate_member(seed, index, today) for index in range(1, members + 1)]
        self._ordinary = ordinary
        self.customers: dict[str, Customer] = {}
        self.accounts: dict[str, AccountSpec] = {}
        self.accounts_by_customer: dict[str, tuple[AccountSpec, ...]] = {}
        self.locations: dict[str, LocationSpec] = {}
        self.meters: dict[str, MeterSpec] = {}
        feeders: defaultdict[Feeder, list[LocationSpec]] = defaultdict(list)
        for member in (*demo_members(seed, today), *ordinary):
            customer_id = member.customer.customer_id
            self.customers[customer_id] = member.customer
            self.accounts_by_customer[customer_id] = member.accounts
            for account in member.accounts:
                self.accounts[account.account_number] = account
                for location in account.locations:
                    self.locations[location.service_location_id] = location
                    feeders[location.feeder].append(location)
                    for meter in location.meters:
                        self.meters[meter.record.meter_number] = meter
        self.feeders = {feeder: tuple(locations) for feeder, locations in feeders.items()}

    def sample(self, count: int) -> list[SampleCustomer]:
        """``count`` ordinary members with an e-mail address and an open first account,
        spread evenly over the membership (never the named demo customers)."""
        eligible = [
            SampleCustomer(
                customer_id=member.customer.customer_id,
                account_number=member.accounts[0].account_number,
                name=member.customer.last_name,
                service_zip=member.accounts[0].locations[0].service_address.postal_code,
                email=member.customer.email,
            )
            for member in self._ordinary
            if member.customer.email is not None and not member.accounts[0].closed
        ]
        if count > len(eligible):
            raise ValueError(f"only {len(eligible)} members can be sampled, not {count}")
        return [eligible[position * len(eligible) // count] for position in range(count)]
