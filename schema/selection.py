"""What a query selects below the field being resolved, read from its syntax tree.

A resolver that loads a list for a whole page at once (see ``schema.account_loading``)
needs to know which fields of the list's objects the query asks, under which response
keys and with which arguments. Fragments count when their type condition matches;
``@skip`` and ``@include`` are not evaluated, so a skipped field is merely loaded in vain.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    get_argument_values,
)
from graphql.execution.values import VariableValues

from schema.info import GatewayInfo

RawInfo = GraphQLResolveInfo[Any]


class Selected:
    """The fields selected of the objects of type ``type_name`` a field resolves to."""

    def __init__(self, info: GatewayInfo, type_name: str) -> None:
        raw: RawInfo = info._raw_info
        object_type = raw.schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType), type_name
        self._raw = raw
        self._type = object_type
        self._fields = _group(raw, type_name, (node.selection_set for node in raw.field_nodes))

    def keys_of(self, field_name: str) -> list[str]:
        """The response keys (aliases, or the field's own name) ``field_name`` is asked as."""
        return [key for key, nodes in self._fields.items() if nodes[0].name.value == field_name]

    def asks(self, *field_names: str) -> bool:
        return any(self.keys_of(name) for name in field_names)

    def arguments(self, key: str) -> dict[str, Any]:
        """The coerced arguments of the field at ``key``, by their GraphQL names."""
        node = self._fields[key][0]
        definition = self._type.fields[node.name.value]
        variables: Any = self._raw.variable_values
        if not isinstance(variables, VariableValues):  # strawberry passes the coerced dict
            variables = VariableValues(sources={}, coerced=variables)
        return get_argument_values(definition, node, variables)

    def asks_below(self, key: str, field_name: str) -> bool:
        """Whether the field at ``key`` selects ``field_name`` directly, on any type."""
        selections = (node.selection_set for node in self._fields[key])
        return any(node.name.value == field_name for node in _fields_in(self._raw, selections))


def _group(
    raw: RawInfo, type_name: str, selection_sets: Iterable[SelectionSetNode | None]
) -> dict[str, list[FieldNode]]:
    grouped: dict[str, list[FieldNode]] = {}
    for node in _fields_in(raw, selection_sets, type_name):
        key = node.alias.value if node.alias else node.name.value
        grouped.setdefault(key, []).append(node)
    return grouped


def _fields_in(
    raw: RawInfo,
    selection_sets: Iterable[SelectionSetNode | None],
    type_name: str | None = None,
) -> Iterator[FieldNode]:
    """The field nodes of the selection sets, through fragments whose type condition is
    ``type_name`` or an interface (any fragment when ``type_name`` is None)."""
    for selection_set in selection_sets:
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
                continue
            condition: NamedTypeNode | None
            if isinstance(selection, FragmentSpreadNode):
                fragment = raw.fragments[selection.name.value]
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition, inner = selection.type_condition, selection.selection_set
            if condition is None or _matches(raw, condition.name.value, type_name):
                yield from _fields_in(raw, (inner,), type_name)


def _matches(raw: RawInfo, condition: str, type_name: str | None) -> bool:
    if type_name is None or condition == type_name:
        return True
    object_type = raw.schema.get_type(type_name)
    abstract = raw.schema.get_type(condition)
    return (
        isinstance(object_type, GraphQLObjectType)
        and abstract is not None
        and any(interface.name == abstract.name for interface in object_type.interfaces)
    )
