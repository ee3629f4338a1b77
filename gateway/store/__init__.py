"""The gateway's own store: users, the CIS accounts each may see, and login sessions.

Nothing read from the CIS (balances, bills, usage, outages) is ever kept here.
"""
