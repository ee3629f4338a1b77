"""Relay connections: ``edges { cursor node }``, ``nodes`` and ``pageInfo``, with a total."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from resolvers.pagination import Page
from schema.fields import field
from schema.info import GatewayInfo

T = TypeVar("T")
R = TypeVar("R")

_TOTAL_COUNT = "totalCount"


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
        # Only pages of fields not asking totalCount skip counting (see `counts_rows`).
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


def counts_rows(info: GatewayInfo) -> bool:
    """Whether the connection field being resolved asks its ``totalCount``, in any fragment
    and whatever its directives say (a skipped one only costs a larger read)."""
    return any(_asks_total(selected.selections) for selected in info.selected_fields)


def _asks_total(selections: Iterable[Selection]) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == _TOTAL_COUNT:
                return True
        elif _asks_total(selection.selections):  # a fragment on the connection
            return True
    return False
