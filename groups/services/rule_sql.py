"""The statement by which the one writer (groups.services.membership.rule_object_apply) applies a
per-object re-evaluation on PostgreSQL: the memberships to delete, those to insert and one audit event
per membership actually changed, in ONE statement (data-modifying CTEs), without building a model
instance per row. Only ``membership.py`` runs it.

The audit rows are what ``membership._rule_event`` builds on the other databases, field for field (the
tests compare them); they are written for the rows the DELETE and the INSERT report (RETURNING), so a
membership someone else removed or added meanwhile gets no event.
"""

from __future__ import annotations

from typing import Any

MEMBER_COLUMNS = {"member_user": "member_user_id", "member_device": "member_device_id"}

_STATEMENT = """
WITH gone AS (
    DELETE FROM groups_membership
    WHERE {member} = ANY(%(rm_members)s::uuid[])
      AND ({member}, group_id) IN (SELECT * FROM unnest(%(rm_member)s::uuid[], %(rm_group)s::uuid[]))
    RETURNING {member} AS member_id, group_id, false AS added
), new AS (
    INSERT INTO groups_membership (group_id, {member}, source, created_date_time)
    SELECT a.group_id, a.member_id, %(source)s::text, %(now)s::timestamptz
    FROM unnest(%(add_member)s::uuid[], %(add_group)s::uuid[]) AS a (member_id, group_id)
    ON CONFLICT DO NOTHING
    RETURNING {member} AS member_id, group_id, true AS added
)
INSERT INTO portal_auditevent (
    tenant_id, activity_date_time, activity, category, result, actor_id, actor_type, actor_name,
    target_id, target_type, target_name, before, after, reason, request_id
)
SELECT
    %(tenant)s::uuid, %(now)s::timestamptz,
    CASE WHEN c.added THEN %(add)s::text ELSE %(remove)s::text END,
    'GroupManagement', 'success', '', 'system', %(actor)s::text,
    c.group_id::text, 'group', g.name,
    CASE WHEN NOT c.added THEN jsonb_build_object('member', o.name, 'memberType', o.kind) END,
    CASE WHEN c.added THEN
        jsonb_build_object('member', o.name, 'memberType', o.kind, 'source', %(source)s::text) END,
    g.reason, %(request_id)s::text
FROM (SELECT * FROM gone UNION ALL SELECT * FROM new) AS c
JOIN unnest(%(o_id)s::uuid[], %(o_name)s::text[], %(o_kind)s::text[]) AS o (id, name, kind)
    ON o.id = c.member_id
JOIN unnest(%(g_id)s::uuid[], %(g_name)s::text[], %(g_reason)s::text[]) AS g (id, name, reason)
    ON g.id = c.group_id
ORDER BY o.id, c.group_id::text
RETURNING target_id
"""


def statement(field: str) -> str:
    """The statement for members of one kind (``member_user`` or ``member_device``)."""
    return _STATEMENT.format(member=MEMBER_COLUMNS[field])


def parameters(
    changes: list[tuple[Any, set, set]],
    groups: dict[Any, tuple[str, str]],
    members: dict[Any, tuple[str, str]],
) -> dict[str, Any]:
    """The arrays the statement reads: the (member id, group id) pairs to delete and to insert, and,
    for the audit rows, each group's (name, reason) and each member's (name, kind), by id."""
    removes = [(obj.pk, g) for obj, _, gone in changes for g in gone]
    adds = [(obj.pk, g) for obj, new, _ in changes for g in new]
    return {
        "rm_members": sorted({pk for pk, _ in removes}),
        "rm_member": [pk for pk, _ in removes],
        "rm_group": [g for _, g in removes],
        "add_member": [pk for pk, _ in adds],
        "add_group": [g for _, g in adds],
        "o_id": list(members),
        "o_name": [name for name, _ in members.values()],
        "o_kind": [kind for _, kind in members.values()],
        "g_id": list(groups),
        "g_name": [name for name, _ in groups.values()],
        "g_reason": [reason for _, reason in groups.values()],
    }
