"""The cost limits keep the shared validation cache working: a document is checked once."""

from __future__ import annotations

import uuid

import pytest

import schema.limits
from adapters.cis_soap.simulator.demo import DEMO_EMAIL

from .harness import Gateway


async def test_a_repeated_document_is_depth_checked_once(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    nests_too_deep = schema.limits._nests_too_deep

    def spy(*arguments: object) -> bool:
        checked.append("once")
        return nests_too_deep(*arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(schema.limits, "_nests_too_deep", spy)
    document = f"query Q{uuid.uuid4().hex} {{ viewer {{ email }} }}"
    for _ in range(3):
        result = await gateway.run(document, as_user=DEMO_EMAIL)
        assert result.errors is None
        assert result.data == {"viewer": {"email": DEMO_EMAIL}}
    assert checked == ["once"]
