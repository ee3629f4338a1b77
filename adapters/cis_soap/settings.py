"""How the SOAP adapter reaches one CIS, and how patient it is with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.cis_soap.operations import MAX_BATCH_SIZE


@dataclass(frozen=True, slots=True)
class SoapAdapterSettings:
    """Connection, credentials and resilience settings of one CIS endpoint.

    Times are in seconds. ``deadline`` bounds a whole adapter call, retries, backoff and
    split batches included; ``connect_timeout``/``read_timeout`` bound each HTTP exchange.
    """

    url: str
    user_id: str
    password: str = field(repr=False)  # kept out of reprs, logs and error messages
    company: str
    app_name: str = "coop-gateway"
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    deadline: float = 10.0
    max_batch_size: int = MAX_BATCH_SIZE  # keys per read call; larger writes are refused
    max_concurrency: int = 4
    retries: int = 3  # further attempts after the first, for calls that are safe to repeat
    backoff_base: float = 0.1
    backoff_max: float = 2.0
    breaker_failures: int = 5  # consecutive transient failures that open the breaker
    breaker_cooldown: float = 30.0  # how long an open breaker waits before a probe

    def __post_init__(self) -> None:
        if not 0 < self.max_batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"max_batch_size must be in 1..{MAX_BATCH_SIZE}")
        if self.max_concurrency < 1 or self.retries < 0 or self.breaker_failures < 1:
            raise ValueError("max_concurrency and breaker_failures must be >= 1, retries >= 0")
        if min(self.deadline, self.connect_timeout, self.read_timeout) <= 0:
            raise ValueError("deadline and timeouts must be positive")
