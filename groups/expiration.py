"""The group expiration policy's periodic side: dates, automatic renewal and the owners' notices.

Tenant settings ``group_lifetime_days`` (>= 30) and ``expiration_scope`` (all / selected / none) decide
which Microsoft 365 groups expire (``groups.services.expiration_covers``). One pass of
``group_expiration`` (registered in ``portal.site.periodic.JOBS``, before ``expire_groups``):

1. keeps dates in line with the policy: a covered group without a date gets one (never less than 30
   days away, so its owners get every notice); a group the policy no longer covers loses its date;
2. renews, in the last 30 days before expiry, every group **in use**: in the last 30 days a member was
   added or removed, or one of its direct members or owners signed in;
3. emails the owners of the other groups 30, 15 and 1 days before expiry, each notice once
   (``ExpirationNotice`` rows; a renewal moves the date, so the next cycle starts afresh).

``expire_groups`` (groups.periodic) then soft-deletes the groups whose date has passed; owners and
administrators restore them for 30 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from groups.models import ExpirationNotice, Group, GroupKind, Membership, Ownership
from groups.services import expiration_covers, group_renew
from portal.audit import audit_record
from portal.models import AuditEvent, ExpirationScope, Source, TenantGroupSettings
from portal.services import SYSTEM

NOTICE_DAYS = (30, 15, 1)
IN_USE_WINDOW = timedelta(days=30)
MEMBERSHIP_ACTIVITIES = ("Add member to group", "Remove member from group")


def group_expiration(*, now: datetime) -> int:
    count = 0
    for settings in TenantGroupSettings.objects.select_related("tenant"):
        count += sync_expiration_dates(settings, now=now)
        if settings.group_lifetime_days and settings.expiration_scope != ExpirationScope.NONE:
            count += renew_or_notify(settings, now=now)
    return count


def _covered(settings: TenantGroupSettings) -> Q:
    if not settings.group_lifetime_days or settings.expiration_scope == ExpirationScope.NONE:
        return Q(pk__in=[])
    q = Q(kind=GroupKind.MICROSOFT_365, source=Source.CLOUD)
    if settings.expiration_scope == ExpirationScope.SELECTED:
        q &= Q(expiration_selected=True)
    return q


@transaction.atomic
def sync_expiration_dates(settings: TenantGroupSettings, *, now: datetime, recompute: bool = False) -> int:
    """Give covered groups a date and take it from the others; ``recompute`` (the lifetime changed):
    every covered group's date becomes its last renewal or creation plus the new lifetime.

    Called by the periodic job and by ``groups.services.settings.tenant_settings_update`` when an administrator
    changes the policy, so a change applies at once.
    """
    groups = Group.objects.for_tenant(settings.tenant).alive()
    covered = _covered(settings)
    cleared = (
        groups.exclude(covered).filter(expiration_date_time__isnull=False).update(expiration_date_time=None)
    )
    dated = 0
    if settings.group_lifetime_days:
        lifetime = timedelta(days=settings.group_lifetime_days)
        # Never sooner than the first notice: owners always get their 30, 15 and 1 day warnings.
        floor = now + timedelta(days=max(NOTICE_DAYS))
        targets = groups.filter(covered)
        if not recompute:
            targets = targets.filter(expiration_date_time__isnull=True)
        for group in targets.only("pk", "created_date_time", "renewed_date_time", "expiration_date_time"):
            date = max((group.renewed_date_time or group.created_date_time) + lifetime, floor)
            if date != group.expiration_date_time:
                Group.objects.filter(pk=group.pk).update(expiration_date_time=date)
                dated += 1
    if cleared or dated:
        audit_record(
            tenant=settings.tenant,
            actor=SYSTEM,
            activity="Apply group expiration policy",
            after={"groupsGivenAnExpiration": dated, "groupsNoLongerExpiring": cleared},
            reason=f"Expiration policy: {settings.get_expiration_scope_display()}, "
            f"{settings.group_lifetime_days or 0} days",
        )
    return cleared + dated


def in_use(group: Group, *, now: datetime) -> bool:
    """Activity within the last 30 days: a membership change, or a sign-in of a member or owner."""
    since = now - IN_USE_WINDOW
    if Membership.objects.filter(group=group, created_date_time__gte=since).exists():
        return True
    if (
        AuditEvent.objects.for_tenant(group.tenant)
        .filter(target_id=str(group.pk), activity__in=MEMBERSHIP_ACTIVITIES, activity_date_time__gte=since)
        .exists()
    ):
        return True
    if Membership.objects.filter(group=group, member_user__last_login__gte=since).exists():
        return True
    return Ownership.objects.filter(group=group, user__last_login__gte=since).exists()


def renew_or_notify(settings: TenantGroupSettings, *, now: datetime) -> int:
    count = 0
    window_end = now + timedelta(days=max(NOTICE_DAYS))
    expiring = (
        Group.objects.for_tenant(settings.tenant)
        .alive()
        .filter(_covered(settings), expiration_date_time__gt=now, expiration_date_time__lte=window_end)
        .select_related("tenant")
    )
    for group in expiring:
        if not expiration_covers(settings, group):
            continue
        if in_use(group, now=now):
            group_renew(
                actor=SYSTEM, group=group, now=now, reason="Renewed automatically: the group is in use"
            )
            count += 1
            continue
        left = group.expiration_date_time - now
        # The most urgent notice that is due; one missed while the job didn't run isn't sent late.
        due = min(d for d in NOTICE_DAYS if left <= timedelta(days=d))
        if _send_notice(group, days_before=due, now=now):
            count += 1
    return count


def _send_notice(group: Group, *, days_before: int, now: datetime) -> bool:
    try:
        with transaction.atomic():
            ExpirationNotice.objects.create(
                group=group,
                days_before=days_before,
                expiration_date_time=group.expiration_date_time,
                sent_date_time=now,
            )
            owners = list(group.ownerships.select_related("user").filter(user__account_enabled=True))
            audit_record(
                tenant=group.tenant,
                actor=SYSTEM,
                activity="Notify owners of group expiration",
                target=group,
                after={
                    "daysBefore": days_before,
                    "expirationDateTime": group.expiration_date_time.isoformat(),
                    "owners": [o.user.user_principal_name for o in owners],
                },
            )
            recipients = [o.user.mail or o.user.user_principal_name for o in owners]
            if recipients:
                transaction.on_commit(lambda: _email(group, days_before, recipients))
    except IntegrityError:
        return False  # already sent (by this job at another time, or a concurrent run)
    return True


def _email(group: Group, days_before: int, recipients: list[str]) -> None:
    when = "tomorrow" if days_before == 1 else f"in {days_before} days"
    subject = f"The group {group.display_name} expires {when}"
    body = "\n".join(
        [
            "Hello,",
            "",
            f"The Microsoft 365 group {group.display_name} ({group.mail}) that you own expires "
            f"on {group.expiration_date_time:%d %B %Y at %H:%M} UTC.",
            "If the group is still needed, renew it from its page in Groupdesk:",
            f"  {django_settings.GROUPDESK_BASE_URL.rstrip('/')}{reverse('group_detail', args=[group.pk])}",
            "",
            "If it isn't renewed it will be deleted; an administrator can restore it within 30 days.",
        ]
    )
    send_mail(subject, body, None, recipients)
