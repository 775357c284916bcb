"""SCIM filters (RFC 7644 §3.4.2.2) → Django ``Q``: scim2-models parses (depth-limited, with the
operators' grammar); this visitor compiles its tree against a table of attributes.

Case rules of RFC 7643: a comparison on a case-insensitive attribute (userName, displayName, emails...)
ignores case; on a case-exact one (id, externalId) it doesn't. An attribute the table doesn't know is
``invalidFilter`` (the Schemas endpoint lists the ones we filter on).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from portal.site.scim.protocol import ScimError

MAX_FILTER_LENGTH = 4000


@dataclass(frozen=True)
class Field:
    lookup: str  # the ORM path
    case_exact: bool = False
    kind: str = "string"  # string | boolean | id | datetime | subquery
    # For "subquery" fields: value -> Q (e.g. the groups one user is a member of).
    build: Callable[[Any], Q] | None = None


def compile_filter(expression: str, fields: dict[str, Field]) -> Q:
    if len(expression) > MAX_FILTER_LENGTH:
        raise ScimError(400, f"The filter is longer than {MAX_FILTER_LENGTH} characters.", "invalidFilter")
    try:
        tree = ScimFilter(expression).ast
    except InvalidFilterException as exc:
        raise ScimError(400, f"Invalid filter: {exc.detail}", "invalidFilter") from None
    except (ValueError, RecursionError):
        raise ScimError(400, "Invalid filter.", "invalidFilter") from None
    return _Compiler({k.lower(): v for k, v in fields.items()}).visit(tree)


def _name(path: AttrPath, parent: AttrPath | None = None) -> str:
    if parent is not None:
        base = f"{parent.uri}:{parent.attr}" if parent.uri else parent.attr
        return f"{base}.{path.attr}".lower()
    return str(path).lower()


class _Compiler(FilterVisitor[Q]):
    def __init__(self, fields: dict[str, Field], parent: AttrPath | None = None) -> None:
        self.fields = fields
        self.parent = parent

    def _field(self, path: AttrPath) -> tuple[Field, str]:
        name = _name(path, self.parent)
        field = self.fields.get(name)
        if field is None:
            raise ScimError(400, f"Filtering on “{str(path)[:80]}” isn't supported.", "invalidFilter")
        return field, name

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        terms = [self.visit(term) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op == LogicalOperator.and_ else combined | term
        return combined

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_present(self, node: Present) -> Q:
        field, _ = self._field(node.attr_path)
        if field.kind == "subquery":
            return field.build(None)
        q = Q(**{f"{field.lookup}__isnull": False})
        return q & ~Q(**{field.lookup: ""}) if field.kind == "string" else q

    def visit_value_path(self, node: ValuePath) -> Q:
        return _Compiler(self.fields, node.attr_path).visit(node.val_filter)

    def visit_comparison(self, node: Comparison) -> Q:
        field, name = self._field(node.attr_path)
        op, value = node.op, node.value
        if field.kind == "subquery":
            if op != CompareOperator.eq:
                raise ScimError(400, f"Only eq compares {name}.", "invalidFilter")
            return field.build(str(value))
        value = _typed(field, value, name)
        if value is None:
            absent = Q(**{f"{field.lookup}__isnull": True})
            if op == CompareOperator.eq:
                return absent
            if op == CompareOperator.ne:
                return ~absent
            raise ScimError(400, f"{op.value} can't compare with null.", "invalidFilter")
        return _comparison(field, op, value)


def _typed(field: Field, value: Any, name: str) -> Any:
    if value is None:
        return None
    if field.kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"  # Entra's string booleans
        if not isinstance(value, bool):
            raise ScimError(400, f"{name} compares with true or false.", "invalidFilter")
        return value
    if field.kind == "datetime":
        moment = parse_datetime(str(value)) if not isinstance(value, datetime) else value
        if moment is None:
            raise ScimError(400, f"{name} compares with a date and time.", "invalidFilter")
        return moment
    if not isinstance(value, str | int | float):
        raise ScimError(400, f"{name} compares with a string.", "invalidFilter")
    return str(value)


ORDERING = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
TEXT = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}


def _comparison(field: Field, op: CompareOperator, value: Any) -> Q:
    if field.kind == "id":
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise ScimError(400, f"Only eq and ne compare ids, not {op.value}.", "invalidFilter")
        matches = Q(**{field.lookup: value}) if _is_uuid(value) else Q(pk__in=[])
        return matches if op == CompareOperator.eq else ~matches
    if field.kind == "boolean" and op not in (CompareOperator.eq, CompareOperator.ne):
        raise ScimError(400, f"{op.value} doesn't compare booleans.", "invalidFilter")
    if op.value in ORDERING:
        return Q(**{f"{field.lookup}__{ORDERING[op.value]}": value})
    if op == CompareOperator.ne:
        return ~_comparison(field, CompareOperator.eq, value)
    if field.kind != "string":
        if op != CompareOperator.eq:
            raise ScimError(400, f"{op.value} compares strings only.", "invalidFilter")
        return Q(**{field.lookup: value})
    lookup = TEXT[op.value]
    if not field.case_exact:
        lookup = "i" + lookup
    return Q(**{f"{field.lookup}__{lookup}": value})


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
