"""``{% why_panel group user %}``: "Why am I (not) in this group?" for the person looking."""

from __future__ import annotations

from django import template

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
