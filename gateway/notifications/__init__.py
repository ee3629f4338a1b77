"""Notifications: news about a member's accounts by e-mail and SMS, sent by the worker.

Each round of ``coop-gateway worker`` runs, per co-op, `rounds.notification_round`: the
detection jobs that are due (billing, usage, payments, autopay, outages) record every piece
of news in the notification log (``log``), one row per member, account, kind and occasion,
inserted only if it is not there yet; delivery (``delivery``) then claims the pending rows,
sends them to the addresses the member's preferences choose, and marks them sent. News is
opt-in: a member gets nothing until they turn a kind on (``preferences``).

Outage news goes out at any hour; the rest between 08:00 and 20:00 in the co-op's time zone
(``kinds.deliverable_kinds``): what is found at night waits in the log for the morning.

Sending is at least once, with a small duplicate window. Rows are leased to one worker
(under a token of its own, renewed while it sends) and each message is recorded as it
goes, per address (``deliveries``); the rows are marked SENT once every address has them.
A worker that dies leaves a lease that runs out (ten minutes), and the next round sends
what had not gone; a failure halfway through a member's messages likewise sends only what
did not go. Only a crash after the mail server accepted a message and before its record
is committed (milliseconds) sends it twice. A worker whose lease ran out and was taken
over marks nothing; a second worker never records a piece of news twice.
"""
