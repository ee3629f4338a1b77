"""The schema's mutations, one class per concern, put together into ``Mutation``."""

from __future__ import annotations

import strawberry

from schema.auth import AuthMutations
from schema.autopay import AutopayMutations
from schema.credentials import CredentialMutations
from schema.notification_settings import NotificationMutations
from schema.outage_reports import OutageReportMutations
from schema.payment_methods import PaymentMethodMutations
from schema.payments import PaymentMutations
from schema.profile import ProfileMutations
from schema.security import SecurityMutations
from schema.usage_markers import UsageMarkerMutations


@strawberry.type
class Mutation(
    AuthMutations,
    CredentialMutations,
    SecurityMutations,
    ProfileMutations,
    PaymentMethodMutations,
    PaymentMutations,
    AutopayMutations,
    NotificationMutations,
    OutageReportMutations,
    UsageMarkerMutations,
):
    pass
