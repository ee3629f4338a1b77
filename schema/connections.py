"""Relay connections: ``edges { cursor node }``, ``nodes`` and ``pageInfo``, with a total."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from resolvers.pagination import Page
from schema.fields import field

T = TypeVar("T")
R = TypeVar("R")

TOTAL_COUNT = "totalCount"


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo
    counted: strawberry.Private[int | None]

    @field("Rows in the whole period asked for.")
    def total_count(self) -> int:
        # Only pages of fields not asking totalCount skip counting (see `account_loading`).
        assert self.counted is not None
        return self.counted

    @classmethod
    def from_page(cls, page: Page[R], build: Callable[[R], T]) -> Connection[T]:
        edges = [Edge(cursor=cursor, node=build(row)) for cursor, row in page.rows]
        return cls(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            counted=page.total_count,
        )
