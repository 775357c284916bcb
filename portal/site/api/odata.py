"""A useful subset of OData's ``$filter``, compiled to a Django ``Q``.

Supported: ``eq``, ``ne``, ``in``, ``startswith(prop,'x')``, ``and``, ``or``, ``not``, parentheses,
``ge``/``gt``/``le``/``lt`` on date-times, and lambdas over collections
(``groupTypes/any(c:c eq 'Unified')``, ``proxyAddresses/any(p:startswith(p,'smtp:'))``). String
comparisons ignore case, as Entra's do. Anything else is refused with a 400 naming what isn't
supported; the property tables say which properties each resource filters on.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from groups.licensing.selectors import licensed_groups, licensed_users
from groups.models import GroupKind, MembershipType, ProcessingState, Visibility
from portal.directory import (
    GROUP_BLANK_IS_NULL,
    GROUP_PROPERTIES,
    USER_EXTENSION_ATTRIBUTES,
    USER_LIST_VALUED_PROPERTIES,
    USER_STRING_PROPERTIES,
)
from portal.models import MultiValueAttribute, Source, UserMultiValue, UserType
from portal.site.api.errors import ApiError, bad_request, denied

MAX_FILTER_LENGTH = 4096
MAX_FILTER_DEPTH = 32  # nested parentheses and "not"s: the parser recurses once per level
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
ORDERED = ("gt", "ge", "lt", "le")
_NO_MATCH = Q(pk__in=[])
_UNKNOWN_CHOICE = object()  # an enum value the property never has: eq matches nothing, as in Graph

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
            moment = parse_datetime(raw)
            if moment is None:
                raise filter_error(f"{raw!r} at position {start} isn't a date-time.")
            tokens.append(Token("literal", moment if moment.tzinfo else moment.replace(tzinfo=UTC), start))
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
    ) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise filter_error(f"the filter is longer than {MAX_FILTER_LENGTH} characters.")
        self.text = text
        self.resource = resource
        self.props = props
        self.collections = collections
        self.tenant = tenant
        self.readable = readable
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
        if name != "startswith":
            raise bad_request(
                f"Unsupported filter function '{token.value}': only startswith is supported "
                "(with eq, ne, in, and, or, not and any)."
            )
        self.expect_punct("(")
        prop_token = self.next("a property")
        self.expect_punct(",")
        value = self.literal()
        self.expect_punct(")")
        return self.condition(prop_token, "startswith", value)

    def comparison(self, prop_token: Token) -> Q:
        op_token = self.next("an operator")
        op = op_token.value.lower() if op_token.kind == "name" else ""
        if op == "in":
            return self.condition(prop_token, "in", self.literal_list())
        if op not in COMPARISONS:
            raise bad_request(
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
            raise bad_request(f"Unsupported lambda operator '{operator}': only any is supported.")
        collection = self.collections.get(path)
        if collection is None:
            raise bad_request(
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
            q = _NO_MATCH
            for value in self.literal_list():
                q |= collection.build("eq", _as_str(value))
            return q
        raise bad_request(f"Unsupported operator '{op_token.value}' in a lambda: use eq, in or startswith.")

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
        prop = self.props.get(prop_token.value)
        if prop is None:
            raise bad_request(
                f"Unsupported filter: the property '{prop_token.value}' can't be filtered on "
                f"{self.resource} (supported: {', '.join(sorted(self.props))})."
            )
        name = prop_token.value
        self.check_readable(name)
        if op == "in":
            q = _NO_MATCH
            for item in value:
                q |= self.condition(prop_token, "eq", item)
            return q
        if prop.build is not None:
            return prop.build(op, _check_literal(name, prop, op, value), self.tenant)
        value = _check_literal(name, prop, op, value)
        if value is _UNKNOWN_CHOICE:
            return _NO_MATCH if op == "eq" else ~_NO_MATCH
        field = prop.field
        if value is None:
            if op not in ("eq", "ne"):
                raise filter_error(f"null can only be compared with eq or ne ({name}).")
            q = Q(**{f"{field}__isnull": True})
            if prop.blank_is_null:
                q = Q(**{field: ""})
            return q if op == "eq" else ~q
        if op == "startswith":
            return Q(**{f"{field}__istartswith": value})
        if op in ORDERED:
            return Q(**{f"{field}__{op.replace('ge', 'gte').replace('le', 'lte')}": value})
        lookup = f"{field}__iexact" if prop.kind == "string" else field
        q = Q(**{lookup: value})
        return q if op == "eq" else ~q


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise filter_error(f"expected a string in quotes, not {value!r}.")
    return value


def _check_literal(name: str, prop: Prop, op: str, value: Any) -> Any:
    kind = prop.kind
    if op in ORDERED and kind != "datetime":
        raise bad_request(f"Unsupported filter: {op} only compares date-times, and {name} isn't one.")
    if op == "startswith" and kind != "string":
        raise bad_request(f"Unsupported filter: startswith needs a string property, and {name} isn't one.")
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
        return _UNKNOWN_CHOICE
    return value


def _flag(q_true: Q) -> Callable[[str, Any, Any], Q]:
    def build(op: str, value: Any, tenant: Any) -> Q:
        if value is None:
            return _NO_MATCH if op == "eq" else ~_NO_MATCH
        match = q_true if value else ~q_true
        return match if op == "eq" else ~match

    return build


def _group_types(op: str, value: str) -> Q:
    wanted = value.lower()
    q = _NO_MATCH
    for name, match in (
        ("unified", Q(kind=GroupKind.MICROSOFT_365)),
        ("dynamicmembership", Q(membership_type=MembershipType.DYNAMIC)),
    ):
        if name == wanted or (op == "startswith" and name.startswith(wanted)):
            q |= match
    return q


def _group_mail(op: str, value: Any, tenant: Any) -> Q:
    mail_enabled = ~Q(kind=GroupKind.SECURITY)
    if value is None:
        q = ~mail_enabled
    elif op == "startswith":
        local, at, domain = value.partition("@")
        if at and not tenant.default_domain.lower().startswith(domain.lower()):
            return _NO_MATCH
        return mail_enabled & (Q(mail_nickname__iexact=local) if at else Q(mail_nickname__istartswith=local))
    else:
        local, _, domain = value.partition("@")
        q = mail_enabled & Q(mail_nickname__iexact=local)
        if domain.lower() != tenant.default_domain.lower():
            q = _NO_MATCH
    return q if op == "eq" else ~q


def _user_values(attribute: str) -> Collection:
    def build(op: str, value: str) -> Q:
        lookup = "value__istartswith" if op == "startswith" else "value__iexact"
        items = UserMultiValue.objects.filter(attribute=attribute, **{lookup: value})
        return Q(pk__in=items.values("user_id"))

    return Collection(build)


GROUP_FILTERS: dict[str, Prop] = {
    "id": Prop("id", "uuid"),
    **{
        prop: Prop(field, "string", blank_is_null=prop in GROUP_BLANK_IS_NULL)
        for prop, field in GROUP_PROPERTIES.items()
        if prop in ("displayName", "description", "mailNickname", "classification", "membershipRule")
    },
    "visibility": Prop("visibility", "choice", choices=tuple(Visibility.values)),
    "membershipRuleProcessingState": Prop(
        "membership_rule_processing_state", "choice", choices=tuple(ProcessingState.values)
    ),
    "isAssignableToRole": Prop("is_assignable_to_role", "bool"),
    "createdDateTime": Prop("created_date_time", "datetime"),
    "expirationDateTime": Prop("expiration_date_time", "datetime"),
    "mailEnabled": Prop(kind="bool", build=_flag(~Q(kind=GroupKind.SECURITY))),
    "securityEnabled": Prop(
        kind="bool", build=_flag(Q(kind__in=[GroupKind.SECURITY, GroupKind.MAIL_ENABLED_SECURITY]))
    ),
    "onPremisesSyncEnabled": Prop(kind="bool", build=_flag(Q(source=Source.SYNCED))),
    "mail": Prop(kind="string", build=_group_mail),
}


def _assigned_licenses(owner: str) -> Collection:
    """``assignedLicenses/any(x:x/skuId eq <guid>)``: the users holding the product (active seat), or
    the groups carrying it."""

    def build(op: str, value: str) -> Q:
        if op != "eq":
            raise bad_request("Only eq (or in) compares assignedLicenses' skuId.")
        try:
            sku_id = uuid.UUID(value)
        except ValueError:
            raise filter_error(f"'{value[:64]}' isn't a skuId (a GUID).") from None
        return licensed_users([sku_id]) if owner == "user" else licensed_groups([sku_id])

    return Collection(build, member="skuId")


GROUP_COLLECTIONS: dict[str, Collection] = {
    "groupTypes": Collection(_group_types),
    "assignedLicenses": _assigned_licenses("group"),
}

USER_FILTERS: dict[str, Prop] = {
    "id": Prop("id", "uuid"),
    "userPrincipalName": Prop("user_principal_name"),
    **{
        prop: Prop(field)
        for prop, field in USER_STRING_PROPERTIES.items()
        if prop not in USER_EXTENSION_ATTRIBUTES and prop not in USER_LIST_VALUED_PROPERTIES
    },
    **{
        f"onPremisesExtensionAttributes/{prop}": Prop(USER_STRING_PROPERTIES[prop])
        for prop in USER_EXTENSION_ATTRIBUTES
    },
    "accountEnabled": Prop("account_enabled", "bool"),
    "userType": Prop("user_type", "choice", choices=tuple(UserType.values)),
    "createdDateTime": Prop("created_date_time", "datetime"),
    "employeeHireDate": Prop("employee_hire_date", "datetime"),
    "onPremisesSyncEnabled": Prop(kind="bool", build=_flag(Q(source=Source.SYNCED))),
}
USER_COLLECTIONS: dict[str, Collection] = {
    "otherMails": _user_values(MultiValueAttribute.OTHER_MAILS),
    "proxyAddresses": _user_values(MultiValueAttribute.PROXY_ADDRESSES),
    "assignedLicenses": _assigned_licenses("user"),
    "businessPhones": Collection(
        lambda op, value: (
            Q(business_phone__istartswith=value) if op == "startswith" else Q(business_phone__iexact=value)
        )
    ),
}

RESOURCES: dict[str, tuple[str, dict[str, Prop], dict[str, Collection]]] = {
    "group": ("groups", GROUP_FILTERS, GROUP_COLLECTIONS),
    "user": ("users", USER_FILTERS, USER_COLLECTIONS),
}


def compile_filter(text: str, resource: str, tenant: Any, readable: Container[str] | None = None) -> Q:
    """``$filter`` text → ``Q`` over the resource's model; ApiError (400) when it can't be, 403 when it
    names a property outside ``readable`` (what the caller may read of other users)."""
    if resource not in RESOURCES:
        raise bad_request(f"$filter isn't supported on this collection of {resource} objects.")
    label, props, collections = RESOURCES[resource]
    return FilterCompiler(text, label, props, collections, tenant, readable).compile()
