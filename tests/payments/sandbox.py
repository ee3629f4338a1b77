"""The sandbox processor as the payment tests reach it: its URL, its app and its knobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from gateway.payments.sandbox.app import service_of
from gateway.payments.sandbox.service import SandboxService
from gateway.payments.sandbox_client import SandboxProcessor

API_KEY = "sk_test_sandbox_key"
SLOW_SECONDS = 0.4


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    app: Starlette

    @property
    def service(self) -> SandboxService:
        return service_of(self.app)

    def client(self, *, api_key: str = API_KEY, timeout: float = 10.0) -> SandboxProcessor:
        return SandboxProcessor(self.url, api_key, timeout)

    async def set_faults(self, **faults: float) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.post("/_sandbox/faults", json=faults)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def stats(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            stats: dict[str, Any] = (await http.get("/_sandbox/stats")).json()
        return stats
