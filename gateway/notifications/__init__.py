"""Notifications: news about a member's accounts by e-mail and SMS, sent by the worker.

Each round of ``coop-gateway worker`` runs, per co-op, `rounds.notification_round`: the
detection jobs that are due (billing, usage, payments, autopay, outages) record every piece
of news in the notification log (``log``), one row per member, account, kind and occasion,
inserted only if it is not there yet; delivery (``delivery``) then claims the pending rows,
sends them to the addresses the member's preferences choose, and marks them sent. News is
opt-in: a member gets nothing until they turn a kind on (``preferences``).

Outage news goes out at any hour; the rest between 08:00 and 20:00 in the co-op's time zone
(``kinds.deliverable_kinds``): what is found at night waits in the log for the morning.

Sending is at least once, with a small duplicate window. A row is leased before it is sent
and marked SENT after, so a worker that dies in between leaves a lease that runs out (ten
minutes), and the next round sends the row. Only a crash after the mail server accepted a
message and before the SENT mark is committed (milliseconds) sends it twice, and likewise
a mail server failing halfway through one member's messages has those already sent go again.
A second worker never sends a leased row, and never records a piece of news twice.
"""
