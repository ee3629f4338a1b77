"""The gateway's own store: users, the CIS accounts each may see, sessions, and payments in
flight.

Nothing read from the CIS (balances, bills, usage, outages) is ever kept here; a payment is
kept because the gateway must finish it (charge, then apply in the CIS) whatever fails.
"""

# Every table's module, so that ``Base.metadata`` knows them all wherever it is used.
from gateway.store import models, notifications, payments, usage_markers  # noqa: F401
