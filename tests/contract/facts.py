"""What the contract suite needs to know about the CIS under test.

A partner co-op running the suite against its own test CIS supplies these facts
for that system; everything else the suite discovers through the adapter itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ContractFacts:
    time_zone: ZoneInfo
    # Active, open accounts the suite may read and pay small amounts on.
    account_numbers: tuple[str, ...]
    # An account with a net meter (kWh received as well as delivered).
    net_metered_account: str
    # An account with a service location inside an active outage.
    outage_account: str
    # Keys that exist in no CIS: they must come back missing, not as faults.
    unknown_key: str = "NO-SUCH-KEY-0000"
