"""The CIS's enumerations as GraphQL enums (named by their Python member names).

The Python classes themselves are registered, so types annotate with them directly.
"""

from __future__ import annotations

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

__all__ = [
    "AccountStatus",
    "ClientKind",
    "CrewStatus",
    "MeterKind",
    "MethodKind",
    "OfficeKind",
    "OutageEventStatus",
    "PaymentChannel",
    "PowerStatus",
    "ReadingQuality",
    "ServiceStatus",
    "TenderType",
    "TokenScope",
]
