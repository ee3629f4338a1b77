"""Cost limits: a hostile document is refused cheaply, before execution, as BAD_USER_INPUT.

The parser stops at ``MAX_QUERY_TOKENS`` tokens, and a validation rule refuses fields
nested more than ``MAX_QUERY_DEPTH`` deep. The rule is one class for the process because
the shared validation cache keys on the rules (a class per request, as strawberry's
``QueryDepthLimiter`` makes, would miss it every time; that limiter also fails on a
spread of an unknown fragment instead of leaving it to the rule that reports it).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

# The deepest document the schema allows nests 9 fields (a login), and an app's largest
# (every field of an account) has about 200 tokens: one past either limit is not an app's.
# Parsing costs ~10 us a token, so the token limit also bounds what a refusal costs.
MAX_QUERY_DEPTH = 12
MAX_QUERY_TOKENS = 2_000


class QueryCostLimits(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_QUERY_TOKENS
        context.validation_rules = (*context.validation_rules, DepthLimit)
        yield


class DepthLimit(ValidationRule):
    """Reports an operation with fields nested more than ``MAX_QUERY_DEPTH`` deep.

    Introspection fields are not counted (GraphiQL's own query nests ``ofType`` deeper;
    introspection is for staff, and its size bounded by the token limit)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
        if _nests_too_deep(node.selection_set, self.context):
            self.report_error(
                GraphQLError(f"fields are nested more than {MAX_QUERY_DEPTH} deep", node)
            )


def _nests_too_deep(top: SelectionSetNode, context: ValidationContext) -> bool:
    # Iterative, and each fragment expanded once per depth: no recursion limit to hit and no
    # blow-up from fragments spread many times; unknown fragments and cycles are left to the
    # rules that report them.
    pending = [(top, 0)]
    expanded: set[tuple[str, int]] = set()
    while pending:
        selection_set, depth = pending.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                if depth + 1 > MAX_QUERY_DEPTH:
                    return True
                if selection.selection_set is not None:
                    pending.append((selection.selection_set, depth + 1))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, depth))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = context.get_fragment(selection.name.value)
                if fragment is not None and (selection.name.value, depth) not in expanded:
                    expanded.add((selection.name.value, depth))
                    pending.append((fragment.selection_set, depth))
    return False
