"""``{% why_panel group user %}``: "Why am I (not) in this group?" for the person looking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.formats import date_format

from groups.dynamic.subjects import subject_for
from groups.rules import RuleSyntaxError, explain, parse

register = template.Library()


@register.inclusion_tag("groups/_why_panel.html")
def why_panel(group, user) -> dict:
    if not getattr(group, "is_dynamic", False) or not getattr(user, "is_authenticated", False):
        return {"show": False}
    try:
        rule = parse(group.membership_rule)
    except RuleSyntaxError:
        return {"show": False}
    if rule.kind != "user" or user.tenant_id != group.tenant_id:
        return {"show": False}
    result, clauses = explain(rule, subject_for(user))
    for clause in clauses:
        clause.yours = _your_value(clause.reads, user) if clause.leaf and clause.reads else None
    is_member = group.memberships.filter(member_user=user).exists()
    return {
        "show": True,
        "group": group,
        "result": result,
        "is_member": is_member,
        "paused": group.membership_rule_processing_state == "Paused",
        "passed": [c for c in clauses if c.leaf and c.result],
        "failed": [c for c in clauses if c.leaf and not c.result],
    }


def _your_value(reads: tuple[str, Any], user) -> tuple[str, str]:
    """(property, the person's own value as text) beside a clause: only ever the viewer's own profile."""
    prop, value = reads
    if prop == "user.manager":
        return "manager", user.manager.display_name if value and user.manager else "none"
    if value is None or value == "" or value == []:
        shown = "empty"
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, datetime):
        shown = date_format(value, "Y-m-d H:i")
    elif isinstance(value, list | tuple):
        shown = ", ".join(f"“{v}”" for v in value)
    else:
        shown = f"“{value}”"
    return prop, shown
