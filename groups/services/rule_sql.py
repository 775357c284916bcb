"""The statement by which the one writer (groups.services.membership.rule_object_apply) applies a
per-object re-evaluation on PostgreSQL: the memberships to delete, those to insert, the groups' stored
member counts and one audit event per membership actually changed, in ONE statement (data-modifying
CTEs), without building a model instance per row. Only the writer (``membership/``) runs it.

The audit rows are what ``rule_events.rule_event`` builds on the other databases, field for field (the
tests compare them); they are written for the rows the DELETE and the INSERT report (RETURNING), so a
membership someone else removed or added meanwhile gets no event. The group's name and rule in them
come from the group row the count UPDATE returns (the row it has just locked), not from the client (they
were some 16 kB of the statement's 22 kB): the ones the change was evaluated with, read under the same
rule token, unless the group was renamed or its rule changed since, when the audit names the newer.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

MEMBER_COLUMNS = {"member_user": "member_user_id", "member_device": "member_device_id"}

# Each list comes as one JSON parameter: quoting arrays element by element costs the client more than
# the whole statement costs the server.
_STATEMENT = """
WITH gone AS (
    DELETE FROM groups_membership AS m
    USING (SELECT DISTINCT * FROM jsonb_to_recordset(%(removes)s::jsonb) AS r (m uuid, g uuid)) AS r
    WHERE m.{member} = r.m AND m.group_id = r.g
    RETURNING m.{member} AS member_id, m.group_id, false AS added
), new AS (
    INSERT INTO groups_membership (group_id, {member}, source, created_date_time)
    SELECT a.g, a.m, %(source)s::text, %(now)s::timestamptz
    FROM jsonb_to_recordset(%(adds)s::jsonb) AS a (m uuid, g uuid)
    ON CONFLICT DO NOTHING
    RETURNING {member} AS member_id, group_id, true AS added
), changed AS (
    SELECT * FROM gone UNION ALL SELECT * FROM new
), counted AS (
    -- Group.member_count follows in the same statement (the row lock makes the increment exact). Every
    -- group changed is updated, by 0 if its joins and leaves cancel out: its row gives the audit rows
    -- the group's name and rule.
    UPDATE groups_group AS gg SET member_count = gg.member_count + d.delta
    FROM (
        SELECT group_id, SUM(CASE WHEN added THEN 1 ELSE -1 END) AS delta FROM changed GROUP BY group_id
    ) AS d
    WHERE gg.id = d.group_id
    RETURNING gg.id, gg.display_name, gg.membership_rule
), audit AS (
INSERT INTO portal_auditevent (
    tenant_id, activity_date_time, activity, category, result, actor_id, actor_type, actor_name,
    target_id, target_type, target_name, before, after, reason, request_id
)
SELECT
    %(tenant)s::uuid, %(now)s::timestamptz,
    CASE WHEN c.added THEN %(add)s::text ELSE %(remove)s::text END,
    'GroupManagement', 'success', '', 'system', %(actor)s::text,
    c.group_id::text, 'group', g.display_name,
    CASE WHEN NOT c.added THEN
        jsonb_build_object('member', o.name, 'memberId', o.id::text, 'memberType', o.kind) END,
    CASE WHEN c.added THEN jsonb_build_object(
        'member', o.name, 'memberId', o.id::text, 'memberType', o.kind, 'source', %(source)s::text
    ) END,
    -- rule_events.rule_reason, word for word
    'Dynamic membership rule of “' || g.display_name || '”: ' || g.membership_rule,
    %(request_id)s::text
FROM changed AS c
JOIN jsonb_to_recordset(%(members)s::jsonb) AS o (id uuid, name text, kind text) ON o.id = c.member_id
JOIN counted AS g ON g.id = c.group_id
ORDER BY o.id, c.group_id::text
RETURNING target_id
)
SELECT target_id FROM audit
"""


def statement(field: str) -> str:
    """The statement for members of one kind (``member_user`` or ``member_device``)."""
    return _STATEMENT.format(member=MEMBER_COLUMNS[field])


def parameters(changes: list[tuple[Any, set, set]], members: dict[Any, tuple[str, str]]) -> dict[str, str]:
    """The lists the statement reads, as JSON: the (member id, group id) pairs to delete and to insert,
    and, for the audit rows, each member's name and kind. Ids go as 32 hex digits (``UUID.hex``: a
    quarter of ``str``'s cost, and PostgreSQL reads them as well)."""
    return {
        "removes": _json({"m": _hex(obj.pk), "g": _hex(g)} for obj, _, gone in changes for g in gone),
        "adds": _json({"m": _hex(obj.pk), "g": _hex(g)} for obj, new, _ in changes for g in new),
        "members": _json(
            {"id": _hex(pk), "name": name, "kind": kind} for pk, (name, kind) in members.items()
        ),
    }


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value)


def _json(rows) -> str:
    return json.dumps(list(rows))


def insert_members(field: str) -> str:
    """A batch of a group's recomputation (``membership.rules``): insert rule memberships of the ids in
    the array parameter, and report the ids actually inserted (RETURNING: not those already there).
    Parameters: group id, source, time, ids."""
    column = MEMBER_COLUMNS[field]
    return (
        f"INSERT INTO groups_membership (group_id, {column}, source, created_date_time) "
        "SELECT %s, chosen, %s, %s FROM unnest(%s::uuid[]) AS chosen "
        f"ON CONFLICT DO NOTHING RETURNING {column}"
    )
