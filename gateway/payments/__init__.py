"""Payments: the processor that charges members, and the flow that applies payments in the CIS."""
