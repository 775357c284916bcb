"""A leaver's groups: what disabling or deleting a user takes away, and what restoring them puts back.

Registered with the core's user services (``portal.services.users.register_leaver_handler``) from
``GroupsConfig.ready``: the core decides who is a leaver, this module owns their memberships and
ownerships, and every write goes through the one writer (``groups.services.membership``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count

from groups.models import Group, Membership, MembershipSource, Ownership
from groups.services import membership
from groups.services.errors import ServiceError
from portal.models import RoleAssignment, Tenant, User

RESTORE_REASON = "Restore of a leaver's groups"


def offboard(*, actor: Any, user: User, reason: str, keep_rule_memberships: bool, report: Any) -> None:
    """Take ``user`` out of every group (the dynamic ones stay while a rule may still select a disabled
    account) and every ownership; tell the administrators about groups left without an owner."""
    memberships = membership.memberships_remove_all(
        actor=actor, user=user, reason=reason, keep_rule=keep_rule_memberships
    )
    ownerships = membership.ownerships_remove_all(actor=actor, user=user, reason=reason)
    report.memberships = [
        {"group": str(m.group_id), "groupName": m.group.display_name, "source": m.source} for m in memberships
    ]
    report.ownerships = [{"group": str(o.group_id), "groupName": o.group.display_name} for o in ownerships]
    report.ownerless_groups = list(
        Group.objects.filter(pk__in=[o.group_id for o in ownerships])
        .alive()
        .annotate(owner_count=Count("ownerships"))
        .filter(owner_count=0)
        .order_by("display_name")
    )
    if report.ownerless_groups:
        _tell_administrators(tenant=user.tenant, user=user, groups=report.ownerless_groups, reason=reason)


def restore(*, actor: Any, user: User, removed: dict, report: Any) -> None:
    """Put ``user`` back where the last offboarding took them out, each as the actor's own add would be:
    authorized (privilege dominance: nobody restores anyone into a group conferring roles they don't
    hold), audited, with licences and memberOf rules following. What isn't put back is reported with
    the reason. Dynamic groups are left to their rule."""
    wanted = {m["group"] for m in removed.get("memberships", [])} | {
        o["group"] for o in removed.get("ownerships", [])
    }
    groups = {str(g.pk): g for g in Group.objects.for_tenant(user.tenant).alive().filter(pk__in=wanted)}
    current = {
        str(pk) for pk in Membership.objects.filter(member_user=user).values_list("group_id", flat=True)
    }
    owned = {str(pk) for pk in Ownership.objects.filter(user=user).values_list("group_id", flat=True)}
    for m in removed.get("memberships", []):
        if m.get("source") == MembershipSource.RULE or m["group"] in current:
            continue
        group = groups.get(m["group"])
        if group is None:
            _not_restored(report, m, "member", "The group has been deleted.")
        elif group.is_dynamic:
            continue  # its rule decides
        elif why := refusal_of(
            lambda group=group, m=m: membership.member_add(
                actor=actor,
                group=group,
                member=user,
                source=m.get("source") or MembershipSource.DIRECT,
                reason=RESTORE_REASON,
            )
        ):
            _not_restored(report, m, "member", why)
        else:
            report.memberships.append(group.display_name)
    for o in removed.get("ownerships", []):
        if o["group"] in owned:
            continue
        group = groups.get(o["group"])
        if group is None:
            _not_restored(report, o, "owner", "The group has been deleted.")
        elif why := refusal_of(lambda group=group: membership.owner_add(actor=actor, group=group, user=user)):
            _not_restored(report, o, "owner", why)
        else:
            report.ownerships.append(group.display_name)


def refusal_of(call: Callable[[], Any]) -> str:
    """Run one write; the reason it was refused, or "" when it was made."""
    try:
        with transaction.atomic():
            call()
    except (ServiceError, PermissionDenied) as exc:
        return str(exc) or "Refused."
    return ""


def _not_restored(report: Any, removed: dict, role: str, reason: str) -> None:
    report.not_restored.append(
        {"group": removed.get("groupName", removed["group"]), "as": role, "reason": reason}
    )


def _tell_administrators(*, tenant: Tenant, user: User, groups: list, reason: str) -> None:
    """Email the tenant's group administrators about groups a leaver left without an owner."""
    admins = (
        RoleAssignment.objects.for_tenant(tenant)
        .filter(builtin_role__in=["globalAdministrator", "groupsAdministrator"], principal_user__isnull=False)
        .filter(principal_user__account_enabled=True, principal_user__deleted_date_time__isnull=True)
        .values_list("principal_user__mail", "principal_user__user_principal_name")
    )
    to = sorted({mail or upn for mail, upn in admins})
    if not to:
        return
    names = "\n".join(f"- {g.display_name}" for g in groups)
    subject = f"{len(groups)} group{'s' if len(groups) != 1 else ''} left without an owner"
    body = (
        f"{user.display_name} ({user.user_principal_name}) left these groups ({reason.lower()}), "
        f"and they now have no owner:\n\n{names}\n\nAssign an owner in Groupdesk: Groups, filter “Has no owner”."
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))
