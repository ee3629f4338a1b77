"""The ``info`` resolvers get: its ``context`` is the request's `RequestContext`."""

from __future__ import annotations

from strawberry import Info

from gateway.context import RequestContext

GatewayInfo = Info[RequestContext, None]
