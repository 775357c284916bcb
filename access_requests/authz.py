"""The join-request rules of the one authorization function, registered into ``portal.authz``.

A ``JoinRequest`` target: ``cancel`` (its requester) or anything else (deciding it: the group's
``requests/decide`` rule). A refusal is audited as what it is: a decision on a group's members.
"""

from __future__ import annotations

from typing import Any

from access_requests.models import JoinRequest
from groups.authz import decide_group
from portal import authz
from portal.authz import ActorContext, Decision, allow, deny
from portal.models import User


def decide_join_request(
    actor: User, ctx: ActorContext, action: str, target: JoinRequest, member: Any = None
) -> Decision:
    if action == "cancel":
        if target.requester_id != actor.id:
            return deny("Only the person who sent a request can cancel it.")
        return allow("Requester") if target.is_pending else deny("Only pending requests can be cancelled.")
    return decide_group(actor, ctx, "requests/decide", target.group, member)


def audited_as(action: str, target: JoinRequest, member: Any) -> tuple[str, Any, Any]:
    """A refused cancel or decision is logged against the group, naming the requester."""
    return ("cancel" if action == "cancel" else "requests/decide"), target.group, target.requester


def register() -> None:
    """Plug the join-request rules into ``portal.authz`` (from ``AccessRequestsConfig.ready``)."""
    authz.register_target(JoinRequest, decide_join_request, audited_as=audited_as)
