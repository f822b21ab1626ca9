"""Abusive documents refused before anything runs: size, tokens, depth, aliases and cost.

Each limit answers with one error naming it, and no resolver is called. Introspection fields
(`__schema`, `__type`) count for neither depth nor cost, so GraphiQL can explore the schema in
development; production turns introspection off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import ParserCache, SchemaExtension

from resolvers.pages import DEFAULT_PAGE, MAX_PAGE
from resolvers.translations import N_
from schema.errors import LocalisedError

LIMIT_CODE = "QUERY_LIMIT_EXCEEDED"


@dataclass(frozen=True, slots=True)
class QueryLimits:
    # Defaults close to graphql-armor's; GraphiQL's own introspection query fits in them.
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_characters: int = 15000
    max_cost: int = 5000

    def extensions(self) -> list[Callable[[], SchemaExtension]]:
        """Schema extension factories: a fresh instance per operation, never shared."""
        # The rule class is made once, so the validation cache recognises it between requests.
        shape_rule = _shape_rule(self.max_depth, self.max_aliases)
        return [
            partial(TokenLimit, max_token_count=self.max_tokens),
            partial(ValidationRules, [shape_rule]),
            partial(QueryCostLimit, max_cost=self.max_cost),
        ]

    def document_too_long(self, query: object) -> LocalisedError | None:
        """Checked on the raw text, before anything parses it."""
        if isinstance(query, str) and len(query) > self.max_characters:
            return limit_exceeded(
                N_("the document has {characters} characters; at most {limit} are allowed"),
                characters=len(query),
                limit=self.max_characters,
            )
        return None


# Strawberry keeps every hook of `on_operation` open (its generator, its context manager)
# until the operation ends, which for a subscription is when its socket closes: Strawberry's
# token limit and added rules are set as the document is parsed and validated instead, and
# nothing of them is held between a helper's events.


class TokenLimit(SchemaExtension):
    """Strawberry's MaxTokensLimiter, set as the document is parsed (before CachedParse,
    listed after it, parses)."""

    def __init__(self, *, max_token_count: int) -> None:
        self.max_token_count = max_token_count

    def on_parse(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.max_token_count
        yield


class ValidationRules(SchemaExtension):
    """Strawberry's AddValidationRules, added as the document is validated (before
    ValidationCache, listed after it, validates with them)."""

    def __init__(self, validation_rules: list[type[ASTValidationRule]]) -> None:
        self.validation_rules = validation_rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        given = context.validation_rules
        context.validation_rules = (*given, *self.validation_rules)
        yield
        # Validated: the longer tuple would be held for a subscription's life.
        context.validation_rules = given


class CachedParse(ParserCache):
    """ParserCache, except that a document that does not parse is left to Strawberry's own
    parse step, which reports the error on every transport: raised here, outside that step,
    it would end a WebSocket operation with a bare `complete` and no error."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


def limit_exceeded(message: str, **params: object) -> LocalisedError:
    return LocalisedError(message, params, extensions={"code": LIMIT_CODE})


def _is_introspection(field: FieldNode) -> bool:
    return field.name.value in ("__schema", "__type")


class _DepthAndAliases:
    """Depth and alias count of selection sets, each fragment measured once.

    Memoised by fragment, so a document that spreads fragments inside fragments cannot make
    the measure itself exponential; a fragment cycle (reported by the standard rules) counts
    as nothing.
    """

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.measured: dict[str, tuple[int, int]] = {}

    def of(self, selections: SelectionSetNode | None) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                if _is_introspection(selection):
                    continue
                inner_depth, inner_aliases = self.of(selection.selection_set)
                depth = max(depth, 1 + inner_depth)
                aliases += inner_aliases + (1 if selection.alias else 0)
            elif isinstance(selection, InlineFragmentNode):
                inner_depth, inner_aliases = self.of(selection.selection_set)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner_depth, inner_aliases = self.fragment(selection.name.value)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        if name not in self.measured:
            self.measured[name] = (0, 0)  # a cycle back here counts as nothing
            fragment = self.fragments.get(name)
            self.measured[name] = self.of(fragment.selection_set) if fragment else (0, 0)
        return self.measured[name]


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def _shape_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    class QueryShapeRule(ValidationRule):
        """Depth: fields on the longest path, the leaf included. Aliases: in the whole document."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = _DepthAndAliases(_fragments(context.document))
            measures = [measure.of(op.selection_set) for op in _operations(context.document)]
            depth = max((d for d, _ in measures), default=0)
            aliases = sum(a for _, a in measures)
            if depth > max_depth:
                context.report_error(
                    limit_exceeded(
                        N_("the query is {depth} levels deep; at most {limit}"),
                        depth=depth,
                        limit=max_depth,
                    )
                )
            if aliases > max_aliases:
                context.report_error(
                    limit_exceeded(
                        N_("the document has {aliases} aliases; at most {limit}"),
                        aliases=aliases,
                        limit=max_aliases,
                    )
                )

    return QueryShapeRule


class _Cost:
    """Each field costs 1; below a connection, everything counts once per item of its page.

    The page is `first` when given, else the page a connection returns when it is not.
    """

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = _fragments(document)
        self.variables = variables
        self.measured: dict[str, int] = {}
        self.defaults: dict[str, int] = {}

    def operation(self, operation: OperationDefinitionNode) -> int:
        # A variable the request leaves out takes its declared default, as execution will.
        self.defaults = {
            definition.variable.name.value: int(definition.default_value.value)
            for definition in operation.variable_definitions or ()
            if isinstance(definition.default_value, IntValueNode)
        }
        self.measured = {}
        root = self.schema.get_root_type(operation.operation)
        return self.of(operation.selection_set, root)

    def of(self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                if _is_introspection(selection):
                    continue
                fields = (
                    parent.fields
                    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
                    else {}
                )
                definition = fields.get(selection.name.value)
                if definition is None:  # __typename
                    total += 1
                    continue
                inner = self.of(selection.selection_set, get_named_type(definition.type))
                total += 1 + self.page_size(selection, definition) * inner
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner_type = self.schema.get_type(condition.name.value) if condition else parent
                total += self.of(selection.selection_set, inner_type)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> int:
        if name not in self.measured:
            self.measured[name] = 0
            fragment = self.fragments.get(name)
            if fragment is not None:
                condition = self.schema.get_type(fragment.type_condition.name.value)
                self.measured[name] = self.of(fragment.selection_set, condition)
        return self.measured[name]

    def page_size(self, field: FieldNode, definition: GraphQLField) -> int:
        if "first" not in definition.args:
            return 1
        argument = next((a for a in field.arguments or () if a.name.value == "first"), None)
        value: object = None
        if argument is not None and isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif argument is not None and isinstance(argument.value, VariableNode):
            name = argument.value.name.value
            value = self.variables[name] if name in self.variables else self.defaults.get(name)
        if value is None:
            return DEFAULT_PAGE
        # A `first` that is not a whole number, or above MAX_PAGE, is refused by execution
        # itself with BAD_USER_INPUT: it never costs more than the largest page.
        return min(max(value, 1), MAX_PAGE) if isinstance(value, int) else 1


class QueryCostLimit(SchemaExtension):
    """Checked once the document is valid and before it executes, with the variables' values."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            measure = _Cost(
                context.schema._schema, context.graphql_document, context.variables or {}
            )
            operations = _operations(context.graphql_document)
            cost = max((measure.operation(op) for op in operations), default=0)
            if cost > self.max_cost:
                raise limit_exceeded(
                    N_(
                        "the query costs {cost}; at most {limit} "
                        "(each field counts once per item of the `first` above it)"
                    ),
                    cost=cost,
                    limit=self.max_cost,
                )
        yield
