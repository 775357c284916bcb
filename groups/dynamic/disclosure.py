"""What a rule would reveal to the person writing or previewing it.

``user.memberOf -any (group.objectId -in [...])`` selects the members of the groups it names: its
preview, its match count, "Validate rules" and the group it fills would all show those members. So a
rule naming a group whose members the actor can't read (``members/read``: a hidden-membership group
they're not in, say) is refused wherever it is written, previewed or checked.
"""

from __future__ import annotations

from typing import Any

from groups.dynamic.errors import RuleReadRefused
from groups.models import Group
from groups.rules.ast import Comparison, Rule, walk
from portal.authz import decide
from portal.refusals import record_refusal


def refuse_unreadable_groups(actor: Any, rule: Rule, tenant: Any, *, attempt: Any = None) -> None:
    """Raise ``RuleReadRefused`` when ``rule`` names a group of ``tenant`` whose members ``actor`` can't
    read. ``attempt``: the group (or group about to be created) whose rule is being saved: the refused
    change is then audited."""
    named = rule.member_of_group_ids()
    if not named:
        return
    for group in Group.objects.filter(tenant=tenant, pk__in=named).select_related("tenant").order_by("pk"):
        decision = decide(actor, "members/read", group)
        if decision:
            continue
        message = (
            f"This rule names the group “{group.display_name}”, whose members you can't read "
            f"({decision.reason.rstrip('.')}): a rule may only name groups whose members you can see."
        )
        if attempt is not None:
            record_refusal(actor=actor, action="dynamicMembershipRule/update", target=attempt, reason=message)
        raise RuleReadRefused(message, _position(rule, group.pk))


def _position(rule: Rule, group_id: Any) -> int | None:
    for node in walk(rule.body):
        if isinstance(node, Comparison) and node.prop.obj == "group":
            values = node.value if isinstance(node.value, tuple) else (node.value,)
            if group_id in values:
                return node.pos
    return None
