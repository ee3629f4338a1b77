"""Staff settling a payment the CIS refused in part (NEEDS_ATTENTION): once they have applied
the refused part by hand or refunded it, the payment is SETTLED; it leaves the member's
pending payments and reconcile's list for staff."""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy import update

from gateway.context import Services
from gateway.store.models import utc_now
from gateway.store.payments import Payment, PaymentState

logger = logging.getLogger(__name__)


class Settlement(StrEnum):
    APPLIED = "applied"  # entered in the CIS by hand
    REFUNDED = "refunded"  # given back to the member outside the gateway


async def settle(services: Services, reference: str, how: Settlement) -> bool:
    """Marks the co-op's payment ``reference`` SETTLED; False unless it needed attention."""
    async with services.db.begin() as session:
        settled = await session.scalar(
            update(Payment)
            .where(
                Payment.cooperative_id == services.cooperative.id,
                Payment.reference == reference,
                Payment.state == PaymentState.NEEDS_ATTENTION,
            )
            .values(
                state=PaymentState.SETTLED,
                last_error=f"settled by staff: {how.value}",
                updated_at=utc_now(),
            )
            .returning(Payment.id)
        )
    if settled is not None:
        logger.warning("payment %s settled by staff: %s", reference, how.value)
    return settled is not None
