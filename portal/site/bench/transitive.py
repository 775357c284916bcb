"""Transitive membership at depth: "is U in G", "all groups of U", "all members of G", each the
portal's function beside a hand-written recursive query doing the same work, in the same run.

U is a direct member of a group at the bottom of the deepest nesting chain; G is the top of that chain
(so "is U in G" walks every level: the worst case).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.db import connection

from groups.models import Group, Membership
from groups.selectors import (
    _db_id,
    is_transitive_member,
    nested_group_ids,
    transitive_group_ids,
    transitive_member_user_ids,
)
from portal.site.bench.pages import percentile

HAND_IS_IN = """
WITH RECURSIVE up(group_id) AS (
    SELECT group_id FROM groups_membership WHERE member_user_id = %s
    UNION
    SELECT m.group_id FROM groups_membership m JOIN up ON m.member_group_id = up.group_id
)
SELECT EXISTS (SELECT 1 FROM up WHERE group_id = %s)
"""

HAND_GROUPS_OF = """
WITH RECURSIVE up(group_id) AS (
    SELECT group_id FROM groups_membership WHERE member_user_id = %s
    UNION
    SELECT m.group_id FROM groups_membership m JOIN up ON m.member_group_id = up.group_id
)
SELECT group_id FROM up
"""

HAND_MEMBERS_OF = """
WITH RECURSIVE down(group_id) AS (
    SELECT %s::uuid
    UNION
    SELECT m.member_group_id FROM groups_membership m JOIN down ON m.group_id = down.group_id
    WHERE m.member_group_id IS NOT NULL
)
SELECT DISTINCT member_user_id FROM groups_membership
WHERE group_id IN (SELECT group_id FROM down) AND member_user_id IS NOT NULL
"""

# The floor under "all members of G": as many user ids as G has, read by the plainest query there is
# (no nesting, no DISTINCT, the first rows of a table) and handed to Python the same way. No query that
# returns those ids can go below it on the same machine at the same moment.
FLOOR_IDS = "SELECT id FROM portal_user LIMIT %s"


def deepest_chain(chain: list) -> tuple[Group, Group, int]:
    """(bottom, top, levels) of ``chain`` (``deepest_chain_ids``): a group with a user member and no
    nested groups of its own, as deep as any, and the group reached by walking up from it to the top."""
    if len(chain) < 2:
        any_group = Group.objects.filter(memberships__member_user__isnull=False).first()
        return any_group, any_group, 1
    return Group.objects.get(pk=chain[0]), Group.objects.get(pk=chain[-1]), len(chain)


def deepest_chain_ids() -> list:
    """The ids of the deepest nesting chain, bottom first (empty without nesting)."""
    nested = set(
        Membership.objects.filter(member_group__isnull=False).values_list("member_group_id", flat=True)
    )
    parents: dict = {}
    for parent, child in Membership.objects.filter(member_group__isnull=False).values_list(
        "group_id", "member_group_id"
    ):
        parents.setdefault(child, parent)
    best: list = []
    for start in nested:
        chain = [start]
        while chain[-1] in parents and len(chain) < 50:
            chain.append(parents[chain[-1]])
        if len(chain) > len(best):
            best = chain
    return best


def _time(call: Callable[[], object], rounds: int) -> dict:
    call()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": statistics.median(times), "p95": percentile(times, 0.95)}


def _hand(sql: str, params: list) -> Callable[[], list]:
    def run() -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def measure_transitive(rounds: int = 50) -> dict:
    chain = deepest_chain_ids()
    bottom, top, depth = deepest_chain(chain)
    user = Membership.objects.filter(group=bottom, member_user__isnull=False).select_related("member_user")
    user = user.first().member_user
    uid, gid = _db_id(user.pk), _db_id(top.pk)
    members_sql = (
        HAND_MEMBERS_OF if connection.vendor == "postgresql" else HAND_MEMBERS_OF.replace("::uuid", "")
    )
    rows = [
        ("is U in G", lambda: is_transitive_member(user, top), _hand(HAND_IS_IN, [uid, gid])),
        ("is U in G (old: every group of U, then look)", lambda: top.pk in transitive_group_ids(user), None),
        ("all groups of U", lambda: transitive_group_ids(user), _hand(HAND_GROUPS_OF, [uid])),
        ("all members of G", lambda: transitive_member_user_ids(top), _hand(members_sql, [gid])),
    ]
    results = []
    for name, portal_call, hand_call in rows:
        mine = _time(portal_call, rounds)
        hand = _time(hand_call, rounds) if hand_call else None
        results.append({"case": name, "portal": mine, "hand": hand})
    members_of_g = len(transitive_member_user_ids(top))
    return {
        "by_level": _members_by_level(chain, members_sql, rounds),
        "floor": {"ids": members_of_g, **_time(_hand(FLOOR_IDS, [members_of_g]), rounds)},
        "depth": depth,
        "groups": Group.objects.count(),
        "edges": Membership.objects.count(),
        "groups_of_u": len(transitive_group_ids(user)),
        "members_of_g": members_of_g,
        "nested_in_g": len(nested_group_ids(top)),
        "cases": results,
    }


def _members_by_level(chain: list, members_sql: str, rounds: int) -> list[dict]:
    """The case "all members of G" for each group of ``chain``, bottom to top: how the time grows with the
    number of ids returned, and where it crosses 2 ms (the top is the case above)."""
    levels = []
    for level, group_id in enumerate(chain, start=1):
        group = Group.objects.get(pk=group_id)
        levels.append(
            {
                "level": level,
                "ids": len(transitive_member_user_ids(group)),
                "portal": _time(lambda group=group: transitive_member_user_ids(group), rounds),
                "hand": _time(_hand(members_sql, [_db_id(group_id)]), rounds),
            }
        )
    return levels
