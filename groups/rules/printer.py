"""The canonical text of a rule: ``parse(print_rule(rule)) == rule``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from groups.rules.ast import And, Comparison, DirectReports, Node, Not, Now, Or, Quantified, Rule


def quote(text: str) -> str:
    """A string literal. Double quotes, with " as `" and ' doubled; single quotes when the text ends
    in a backtick or backslash (which would otherwise escape the closing quote)."""
    if text.endswith(("\\", "`")):
        return "'" + text.replace("'", "''") + "'"
    return '"' + text.replace("'", "''").replace('"', '`"') + '"'


def value_text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, uuid.UUID):
        return f'"{value}"'
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Now):
        if not value.sign:
            return "system.now"
        return f"system.now {'-plus' if value.sign > 0 else '-minus'} {value.duration}"
    if isinstance(value, tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    raise TypeError(f"no text for {value!r}")


def node_text(node: Node) -> str:
    if isinstance(node, Comparison):
        return f"{node.prop.text} -{node.op} {value_text(node.value)}"
    if isinstance(node, Not):
        inner = node_text(node.operand)
        return f"-not ({inner})" if isinstance(node.operand, And | Or) else f"-not {inner}"
    if isinstance(node, And):
        return " -and ".join(
            f"({node_text(o)})" if isinstance(o, And | Or) else node_text(o) for o in node.operands
        )
    if isinstance(node, Or):
        return " -or ".join(f"({node_text(o)})" if isinstance(o, Or) else node_text(o) for o in node.operands)
    if isinstance(node, Quantified):
        return f"{node.prop.text} -{node.quantifier} ({node_text(node.body)})"
    if isinstance(node, DirectReports):
        return f'Direct Reports for "{node.manager_id}"'
    raise TypeError(f"no text for {node!r}")


def print_rule(rule: Rule | Node) -> str:
    return node_text(rule.body if isinstance(rule, Rule) else rule)
