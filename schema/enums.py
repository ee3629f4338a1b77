"""The CIS's enumerations as GraphQL enums (named by their Python member names).

The Python classes themselves are registered, so types annotate with them directly.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from adapters import records
from gateway.cooperatives import OfficeKind
from gateway.payments.processor import MethodKind
from gateway.store.models import ClientKind, TokenScope

AccountStatus = records.AccountStatus
PowerStatus = records.PowerStatus
ServiceStatus = records.ServiceStatus
MeterKind = records.MeterKind
ReadingQuality = records.ReadingQuality
OutageEventStatus = records.OutageStatus
CrewStatus = records.CrewStatus
TenderType = records.TenderType
PaymentChannel = records.PaymentChannel

for _enum in (
    AccountStatus,
    PowerStatus,
    ServiceStatus,
    MeterKind,
    ReadingQuality,
    CrewStatus,
    TenderType,
    PaymentChannel,
    OfficeKind,
    ClientKind,
    TokenScope,
    MethodKind,
):
    strawberry.enum(_enum)
strawberry.enum(OutageEventStatus, name="OutageEventStatus")


@strawberry.enum
class PaymentStatus(Enum):
    POSTED = "POSTED"  # applied to the accounts in the CIS
    PENDING = "PENDING"  # being charged or applied; the gateway finishes it
    DECLINED = "DECLINED"  # the processor refused: nothing was charged
    FAILED = "FAILED"  # the processor could not be reached: nothing was charged
    REFUNDED = "REFUNDED"  # the CIS refused it all: the charge is (being) given back in full
    # The CIS refused part of it (see each account's payment history): staff finish it.
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    SETTLED = "SETTLED"  # the co-op's staff applied the refused part by hand or refunded it


__all__ = [
    "AccountStatus",
    "ClientKind",
    "CrewStatus",
    "MeterKind",
    "MethodKind",
    "OfficeKind",
    "OutageEventStatus",
    "PaymentChannel",
    "PaymentStatus",
    "PowerStatus",
    "ReadingQuality",
    "ServiceStatus",
    "TenderType",
    "TokenScope",
]
