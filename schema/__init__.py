"""The GraphQL schema of coop-gateway: ``build_schema()`` makes it."""

from schema.root import build_schema

__all__ = ["build_schema"]
