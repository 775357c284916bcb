"""The grammar of ``$filter``: tokens, and the compiler of a filter text into a Django ``Q``.

What each resource filters on (the property tables) is in ``portal.site.api.odata``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from portal.moments import date_time_or_none
from portal.site.api.errors import ApiError, bad_request, denied, unsupported

MAX_FILTER_LENGTH = 4096
ENDSWITH_NEEDS_ADVANCED = (
    "Operator 'endsWith' is not supported because the 'ConsistencyLevel:eventual' header is missing "
    "(an advanced query: the header and $count=true)."
)
ENDSWITH_PROPERTIES = frozenset({"mail", "userprincipalname"})  # Graph's, lowercased
MAX_FILTER_DEPTH = 32  # nested parentheses and "not"s: the parser recurses once per level
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
ORDERED = ("gt", "ge", "lt", "le")
NO_MATCH = Q(pk__in=[])
UNKNOWN_CHOICE = object()  # an enum value the property never has: eq matches nothing, as in Graph

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b
      | (?P<dt>\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)
      | (?P<num>-?\d+(?:\.\d+)?)\b
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<punct>[(),:])
    )""",
    re.VERBOSE,
)


def filter_error(message: str) -> ApiError:
    return bad_request(f"Invalid filter clause: {message}")


@dataclass(frozen=True)
class Prop:
    """How one Graph property filters. ``kind``: string, bool, uuid, choice, datetime or derived."""

    field: str = ""
    kind: str = "string"
    choices: tuple[str, ...] = ()
    blank_is_null: bool = False
    # derived properties: (operator, value, tenant) → Q
    build: Callable[[str, Any, Any], Q] | None = None


@dataclass(frozen=True)
class Collection:
    """A string collection usable in a lambda: (operator, value) → Q of the owning objects."""

    build: Callable[[str, Any], Q]
    member: str = ""  # a collection of objects: the one property of an item a lambda may compare


@dataclass
class Token:
    kind: str
    value: Any
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise filter_error(f"unexpected character {text[pos:].lstrip()[:1]!r} at position {pos + 1}.")
        kind = match.lastgroup
        raw = match.group(kind)
        start = match.start(kind) + 1
        if kind == "str":
            tokens.append(Token("literal", raw[1:-1].replace("''", "'"), start))
        elif kind == "guid":
            tokens.append(Token("literal", raw.lower(), start))
        elif kind == "dt":
            moment = date_time_or_none(raw)
            if moment is None:
                raise filter_error(f"{raw!r} at position {start} isn't a date-time.")
            tokens.append(Token("literal", moment, start))
        elif kind == "num":
            tokens.append(Token("literal", float(raw) if "." in raw else int(raw), start))
        elif kind == "name":
            lowered = raw.lower()
            if lowered in ("true", "false"):
                tokens.append(Token("literal", lowered == "true", start))
            elif lowered == "null":
                tokens.append(Token("literal", None, start))
            else:
                tokens.append(Token("name", raw, start))
        else:
            tokens.append(Token("punct", raw, start))
        pos = match.end()
    return tokens


class FilterCompiler:
    def __init__(
        self,
        text: str,
        resource: str,
        props: dict[str, Prop],
        collections: dict[str, Collection],
        tenant: Any,
        readable: Container[str] | None = None,
        advanced: bool = False,
    ) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise filter_error(f"the filter is longer than {MAX_FILTER_LENGTH} characters.")
        self.text = text
        self.resource = resource
        self.props = props
        self.collections = collections
        self.tenant = tenant
        self.readable = readable
        self.advanced = advanced
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # --- token helpers
    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self, expected: str = "") -> Token:
        token = self.peek()
        if token is None:
            raise filter_error(f"the filter ends too early{f'; expected {expected}' if expected else ''}.")
        self.i += 1
        return token

    def expect_punct(self, char: str) -> None:
        token = self.next(f"'{char}'")
        if token.kind != "punct" or token.value != char:
            raise filter_error(f"expected '{char}' at position {token.position}.")

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "name" and token.value.lower() in words:
            self.i += 1
            return token.value.lower()
        return None

    # --- grammar
    def compile(self) -> Q:
        if not self.tokens:
            raise filter_error("the filter is empty.")
        q = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise filter_error(f"unexpected {extra.value!r} at position {extra.position}.")
        return q

    def or_expr(self) -> Q:
        q = self.and_expr()
        while self.keyword("or"):
            q = q | self.and_expr()
        return q

    def and_expr(self) -> Q:
        q = self.unary()
        while self.keyword("and"):
            q = q & self.unary()
        return q

    def unary(self) -> Q:
        # Every nesting (a "not", a parenthesis) passes here: count it, so deep input is a 400.
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            token = self.peek()
            where = f" at position {token.position}" if token else ""
            raise filter_error(f"the filter nests deeper than {MAX_FILTER_DEPTH} levels{where}.")
        try:
            if self.keyword("not"):
                return ~self.unary()
            return self.primary()
        finally:
            self.depth -= 1

    def primary(self) -> Q:
        token = self.next("a condition")
        if token.kind == "punct" and token.value == "(":
            q = self.or_expr()
            self.expect_punct(")")
            return q
        if token.kind != "name":
            raise filter_error(f"expected a property or function at position {token.position}.")
        after = self.peek()
        is_call = after is not None and after.kind == "punct" and after.value == "("
        if is_call and "/" in token.value:
            return self.lambda_expr(token)
        if is_call:
            return self.function(token)
        return self.comparison(token)

    def function(self, token: Token) -> Q:
        name = token.value.lower()
        if name not in ("startswith", "endswith"):
            raise unsupported(
                f"Unsupported filter function '{token.value}': only startswith and endsWith are supported "
                "(with eq, ne, in, and, or, not and any)."
            )
        if name == "endswith" and not self.advanced:
            raise unsupported(ENDSWITH_NEEDS_ADVANCED)
        self.expect_punct("(")
        prop_token = self.next("a property")
        self.expect_punct(",")
        value = self.literal()
        self.expect_punct(")")
        if name == "endswith" and prop_token.value.lower() not in ENDSWITH_PROPERTIES:
            raise unsupported(
                f"Unsupported filter: endsWith works on {', '.join(sorted(ENDSWITH_PROPERTIES))} only."
            )
        return self.condition(prop_token, name, value)

    def comparison(self, prop_token: Token) -> Q:
        op_token = self.next("an operator")
        op = op_token.value.lower() if op_token.kind == "name" else ""
        if op == "in":
            return self.condition(prop_token, "in", self.literal_list())
        if op not in COMPARISONS:
            raise unsupported(
                f"Unsupported filter operator '{op_token.value}' at position {op_token.position}: "
                "use eq, ne, in, startswith (and ge, gt, le, lt on date-times)."
            )
        return self.condition(prop_token, op, self.literal())

    def literal(self) -> Any:
        token = self.next("a value")
        if token.kind != "literal":
            raise filter_error(f"expected a value at position {token.position}, not {token.value!r}.")
        return token.value

    def literal_list(self) -> list[Any]:
        self.expect_punct("(")
        values = [self.literal()]
        while True:
            token = self.next("',' or ')'")
            if token.kind == "punct" and token.value == ")":
                return values
            if token.kind != "punct" or token.value != ",":
                raise filter_error(f"expected ',' or ')' at position {token.position}.")
            values.append(self.literal())

    def lambda_expr(self, token: Token) -> Q:
        path, _, operator = token.value.rpartition("/")
        if operator.lower() != "any":
            raise unsupported(f"Unsupported lambda operator '{operator}': only any is supported.")
        path = _case_insensitive(self.collections, path)
        collection = self.collections.get(path)
        if collection is None:
            raise unsupported(
                f"Unsupported filter: '{path}' isn't a collection that can be filtered on {self.resource} "
                f"(supported: {', '.join(sorted(self.collections)) or 'none'})."
            )
        self.check_readable(path)
        self.expect_punct("(")
        var = self.next("a variable")
        if var.kind != "name":
            raise filter_error(f"expected a lambda variable at position {var.position}.")
        self.expect_punct(":")
        q = self.lambda_body(var.value, collection)
        self.expect_punct(")")
        return q

    def lambda_body(self, var: str, collection: Collection) -> Q:
        token = self.next("a condition on the lambda variable")
        if token.kind == "name" and token.value.lower() == "startswith":
            self.expect_punct("(")
            self._expect_var(var)
            self.expect_punct(",")
            value = self.literal()
            self.expect_punct(")")
            return collection.build("startswith", _as_str(value))
        wanted = f"{var}/{collection.member}" if collection.member else var
        if token.kind != "name" or token.value != wanted:
            raise filter_error(f"expected '{wanted}' at position {token.position}.")
        op_token = self.next("eq or in")
        op = op_token.value.lower() if op_token.kind == "name" else ""
        if op == "eq":
            return collection.build("eq", _as_str(self.literal()))
        if op == "in":
            q = NO_MATCH
            for value in self.literal_list():
                q |= collection.build("eq", _as_str(value))
            return q
        raise unsupported(f"Unsupported operator '{op_token.value}' in a lambda: use eq, in or startswith.")

    def _expect_var(self, var: str) -> None:
        token = self.next(var)
        if token.kind != "name" or token.value != var:
            raise filter_error(f"expected '{var}' at position {token.position}.")

    def check_readable(self, name: str) -> None:
        """Filtering on a property the caller can't read would reveal it: refused as Graph does."""
        if self.readable is not None and name.split("/")[0] not in self.readable:
            raise denied(f"Reading '{name}' of other users needs a role that reads users.")

    # --- one condition
    def condition(self, prop_token: Token, op: str, value: Any) -> Q:
        if prop_token.kind != "name":
            raise filter_error(f"expected a property at position {prop_token.position}.")
        name = _case_insensitive(self.props, prop_token.value)
        prop = self.props.get(name)
        if prop is None:
            raise unsupported(
                f"Unsupported filter: the property '{prop_token.value}' can't be filtered on "
                f"{self.resource} (supported: {', '.join(sorted(self.props))})."
            )
        self.check_readable(name)
        if op == "in":
            q = NO_MATCH
            for item in value:
                q |= self.condition(prop_token, "eq", item)
            return q
        if prop.build is not None:
            return prop.build(op, _check_literal(name, prop, op, value), self.tenant)
        value = _check_literal(name, prop, op, value)
        if value is UNKNOWN_CHOICE:
            return NO_MATCH if op == "eq" else ~NO_MATCH
        field = prop.field
        if value is None:
            if op not in ("eq", "ne"):
                raise filter_error(f"null can only be compared with eq or ne ({name}).")
            q = Q(**{f"{field}__isnull": True})
            if prop.blank_is_null:
                q = Q(**{field: ""})
            return q if op == "eq" else ~q
        if op in ("startswith", "endswith"):
            return Q(**{f"{field}__i{op}": value})
        if op in ORDERED:
            return Q(**{f"{field}__{op.replace('ge', 'gte').replace('le', 'lte')}": value})
        lookup = f"{field}__iexact" if prop.kind == "string" else field
        q = Q(**{lookup: value})
        return q if op == "eq" else ~q


def _case_insensitive(table: dict[str, Any], name: str) -> str:
    """``name`` as ``table`` spells it (Graph's property names ignore case), or as it came."""
    if name in table:
        return name
    return next((key for key in table if key.lower() == name.lower()), name)


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise filter_error(f"expected a string in quotes, not {value!r}.")
    return value


def _check_literal(name: str, prop: Prop, op: str, value: Any) -> Any:
    kind = prop.kind
    if op in ORDERED and kind != "datetime":
        raise unsupported(f"Unsupported filter: {op} only compares date-times, and {name} isn't one.")
    if op in ("startswith", "endswith") and kind != "string":
        raise unsupported(f"Unsupported filter: {op} needs a string property, and {name} isn't one.")
    if value is None:
        return None
    if kind in ("string", "choice", "uuid") and not isinstance(value, str):
        raise filter_error(f"{name} is compared with a string in quotes, not {value!r}.")
    if kind == "bool" and not isinstance(value, bool):
        raise filter_error(f"{name} is compared with true or false, not {value!r}.")
    if kind == "datetime" and not isinstance(value, datetime):
        raise filter_error(f"{name} is compared with a date-time such as 2024-01-31T00:00:00Z.")
    if kind == "uuid":
        try:
            return uuid.UUID(value)
        except ValueError:
            raise filter_error(f"{name} must be a GUID, not {value!r}.") from None
    if kind == "choice":
        for choice in prop.choices:
            if choice.lower() == value.lower():
                return choice
        return UNKNOWN_CHOICE
    return value
