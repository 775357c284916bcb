"""The syntax tree of a dynamic membership rule.

Positions (0-based character offsets into the rule text) are kept for error messages and the editor,
and left out of equality: ``parse(print_rule(tree)) == tree`` compares meaning, not layout.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

MAX_RULE_LENGTH = 3072


class RuleSyntaxError(ValueError):
    """The one error the parser raises: what was wrong, where (0-based ``position``), what was expected."""

    def __init__(self, message: str, position: int, expected: str = "") -> None:
        self.message = message
        self.position = position
        self.expected = expected
        text = f"{message} (at position {position + 1})"
        if expected:
            text = f"{message}: expected {expected} (at position {position + 1})"
        super().__init__(text)


@dataclass(frozen=True)
class Now:
    """``system.now``, optionally shifted: sign is +1 or -1, duration an ISO 8601 duration (``P1D``)."""

    sign: int = 0
    duration: str = ""


Value = str | bool | None | datetime | uuid.UUID | Now | tuple


@dataclass(frozen=True)
class Property:
    """``user.department``, ``device.deviceOSType``, ``_``, ``assignedPlan.service``, ``group.objectId``.

    ``obj`` is the prefix (``user``/``device``/``_``/``assignedPlan``/``group``), ``name`` the canonical
    spelling (property names are case-insensitive; ``extension_*`` names are kept lowercased).
    """

    obj: str
    name: str
    pos: int = field(default=0, compare=False)

    @property
    def text(self) -> str:
        return "_" if self.obj == "_" else f"{self.obj}.{self.name}"


@dataclass(frozen=True)
class Comparison:
    prop: Property
    op: str  # canonical operator name: eq, ne, startsWith, ..., in, notIn, ge, le
    value: Value
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Quantified:
    """``user.proxyAddresses -any (_ -contains "x")``: ``quantifier`` is ``any`` or ``all``."""

    prop: Property
    quantifier: str
    body: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class DirectReports:
    manager_id: uuid.UUID
    pos: int = field(default=0, compare=False)


Node = Comparison | Not | And | Or | Quantified | DirectReports


@dataclass(frozen=True)
class Rule:
    """A parsed rule: its tree and the kind of object it selects (``user`` or ``device``)."""

    body: Node
    kind: str

    def uses_member_of(self) -> bool:
        return any(isinstance(n, Quantified) and n.prop.name == "memberOf" for n in walk(self.body))

    def member_of_group_ids(self) -> set[uuid.UUID]:
        ids: set[uuid.UUID] = set()
        for node in walk(self.body):
            if isinstance(node, Comparison) and node.prop.obj == "group":
                values = node.value if isinstance(node.value, tuple) else (node.value,)
                ids.update(v for v in values if isinstance(v, uuid.UUID))
        return ids


def walk(node: Node):
    yield node
    if isinstance(node, Not):
        yield from walk(node.operand)
    elif isinstance(node, And | Or):
        for child in node.operands:
            yield from walk(child)
    elif isinstance(node, Quantified):
        yield from walk(node.body)
