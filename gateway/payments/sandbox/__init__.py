"""The bundled sandbox payment processor: a small HTTP service that behaves like a real
card/ACH processor, for the demo and the tests (``coop-gateway sandbox-processor``).

- ``methods``: the test card and bank numbers, Luhn and ABA checks, tokenizing;
- ``ledger``: the processor's tokens and charges, in memory or in a SQLite file;
- ``faults``: injected failures (``POST /_sandbox/faults``);
- ``wire``: the JSON form of `MethodDetails` and `Charge`, shared with the client;
- ``service``: what the processor does, apart from HTTP;
- ``app``: the Starlette app; ``server``: the runner behind the command.

The gateway talks to it through `gateway.payments.sandbox_client.SandboxProcessor`.
Card and account numbers are never logged nor stored: a token keeps what `MethodDetails`
tells (kind, brand, last four digits, expiry) and the outcome its test number dictates.
"""
