"""What a membership must be, beyond what the database enforces: one tenant, the kinds a group may
hold, no nesting cycle, no deleted user. Read by the one writer (``groups.services.membership``)."""

from __future__ import annotations

from typing import Any

from groups.models import Group, GroupKind
from groups.selectors import nesting_path
from portal.errors import Invalid, NotFound
from portal.models import Device, ServicePrincipal, User


def member_field(member: Any) -> str:
    if isinstance(member, User):
        return "member_user"
    if isinstance(member, Group):
        return "member_group"
    if isinstance(member, Device):
        return "member_device"
    if isinstance(member, ServicePrincipal):
        return "member_service_principal"
    raise TypeError(f"{type(member).__name__} can't be a group member")


_KINDS = {"member_user": "user", "member_group": "group", "member_device": "device"}


def member_kind(member: Any) -> str:
    return _KINDS.get(member_field(member), "servicePrincipal")


def check_member_allowed(group: Group, member: Any) -> None:
    """The model-layer invariants of membership that the database can't express."""
    if member.tenant_id != group.tenant_id:
        raise NotFound("That object belongs to another organization.")
    field = member_field(member)
    if group.kind in (GroupKind.MICROSOFT_365, GroupKind.DISTRIBUTION) and field in (
        "member_device",
        "member_service_principal",
    ):
        raise Invalid(f"{group.get_kind_display()} groups hold users and groups only.")
    if group.kind == GroupKind.MICROSOFT_365 and field == "member_group":
        raise Invalid("Microsoft 365 groups can't contain groups.")
    if field == "member_group":
        if member.kind == GroupKind.MICROSOFT_365:
            # Graph's table of what each kind of group holds: a Microsoft 365 group is nobody's member.
            raise Invalid("A Microsoft 365 group can't be a member of another group.")
        if group.is_assignable_to_role:
            raise Invalid("Role-assignable groups can't contain groups.")
        if member.id == group.id:
            raise Invalid("A group can't be a member of itself.")
        path = nesting_path(start=member, goal=group)
        if path:
            loop = " → ".join(g.display_name for g in [group, *path])
            raise Invalid(f"Adding this group would make a cycle: {loop}.")
    if field == "member_user" and member.deleted_date_time is not None:
        raise NotFound("That user has been deleted.")


def name_of(member: Any) -> str:
    return getattr(member, "user_principal_name", None) or member.display_name
