"""Relay global object ids: ``base64("<Type>:<key>")``, opaque to clients."""

from __future__ import annotations

import base64
import binascii

import strawberry

from schema.errors import NotFound


@strawberry.interface(description="An object that `node(id)` fetches again by its global id.")
class Node:
    id: strawberry.ID


def global_id(type_name: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode())


def parse_global_id(value: str) -> tuple[str, str]:
    """``(type name, key)`` of a global id; NOT_FOUND for anything we did not issue."""
    try:
        decoded = base64.urlsafe_b64decode(value.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise NotFound("no such object") from None
    type_name, separator, key = decoded.partition(":")
    if not separator or not key:
        raise NotFound("no such object")
    return type_name, key
