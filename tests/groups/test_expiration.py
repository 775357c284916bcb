from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from groups.expiration import group_expiration
from groups.models import ExpirationNotice, Group, GroupKind
from portal.models import AuditEvent, ExpirationScope, Source, TenantGroupSettings
from portal.site.periodic import run_all
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=400)


def _policy(tenant, days=180, scope=ExpirationScope.ALL):
    TenantGroupSettings.objects.filter(tenant=tenant).update(group_lifetime_days=days, expiration_scope=scope)


def _m365(tenant, **fields):
    fields.setdefault("created_date_time", LONG_AGO)
    return GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, **fields)


def _run(now, captured):
    with captured(execute=True):
        return group_expiration(now=now)


def test_it_emails_owners_30_15_and_1_days_before_each_once(tenant, django_capture_on_commit_callbacks):
    _policy(tenant)
    owner = UserFactory(tenant=tenant)
    group = _m365(tenant, owners=[owner], expiration_date_time=NOW + timedelta(days=30))
    sent = []
    for day in [0, 0, 1, 14, 15, 15, 28, 29, 29]:
        _run(NOW + timedelta(days=day, hours=1), django_capture_on_commit_callbacks)
        sent.append(len(mail.outbox))
    assert sent == [1, 1, 1, 1, 2, 2, 2, 3, 3]
    assert sorted(ExpirationNotice.objects.filter(group=group).values_list("days_before", flat=True)) == [
        1,
        15,
        30,
    ]
    assert mail.outbox[0].to == [owner.mail] and "expires in 30 days" in mail.outbox[0].subject
    assert "tomorrow" in mail.outbox[2].subject
    assert f"http://127.0.0.1:8000/groups/{group.pk}/" in mail.outbox[0].body  # where to renew


def test_it_skips_to_the_most_urgent_notice_when_runs_were_missed(tenant, django_capture_on_commit_callbacks):
    _policy(tenant)
    _m365(tenant, owners=[UserFactory(tenant=tenant)], expiration_date_time=NOW + timedelta(days=10))
    _run(NOW, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and "15 days" in mail.outbox[0].subject


def test_it_renews_a_group_in_use_instead_of_warning(tenant, django_capture_on_commit_callbacks):
    _policy(tenant, days=180)
    signed_in = UserFactory(tenant=tenant, last_login=NOW - timedelta(days=3))
    idle = UserFactory(tenant=tenant, last_login=NOW - timedelta(days=90))
    used = _m365(tenant, members=[signed_in], expiration_date_time=NOW + timedelta(days=20))
    unused = _m365(tenant, members=[idle], owners=[idle], expiration_date_time=NOW + timedelta(days=20))
    from groups.models import Membership

    Membership.objects.update(created_date_time=LONG_AGO)
    _run(NOW, django_capture_on_commit_callbacks)
    used.refresh_from_db()
    unused.refresh_from_db()
    assert used.expiration_date_time == NOW + timedelta(days=180) and used.renewed_date_time == NOW
    assert unused.expiration_date_time == NOW + timedelta(days=20)
    assert [m.to for m in mail.outbox] == [[idle.mail]]
    assert AuditEvent.objects.filter(activity="Renew group", target_id=str(used.pk)).exists()


def test_it_counts_a_recent_membership_change_as_use(tenant, django_capture_on_commit_callbacks):
    _policy(tenant)
    group = _m365(tenant, members=[UserFactory(tenant=tenant)], expiration_date_time=NOW + timedelta(days=5))
    group.memberships.update(created_date_time=NOW - timedelta(days=2))
    _run(NOW, django_capture_on_commit_callbacks)
    group.refresh_from_db()
    assert group.renewed_date_time == NOW


def test_it_dates_covered_groups_and_undates_the_rest_idempotently(
    tenant, django_capture_on_commit_callbacks
):
    _policy(tenant, days=365, scope=ExpirationScope.SELECTED)
    old_selected = _m365(tenant, expiration_selected=True)
    young_selected = _m365(tenant, expiration_selected=True, created_date_time=NOW - timedelta(days=10))
    not_selected = _m365(tenant, expiration_date_time=NOW + timedelta(days=99))
    security = GroupFactory(tenant=tenant, expiration_selected=True)
    synced = _m365(tenant, expiration_selected=True, source=Source.SYNCED)
    # Two groups dated, one undated, and the one now 30 days from expiry gets its first notice.
    assert _run(NOW, django_capture_on_commit_callbacks) == 4
    assert _run(NOW, django_capture_on_commit_callbacks) == 0
    assert ExpirationNotice.objects.get().group == old_selected
    dates = dict(Group.objects.values_list("pk", "expiration_date_time"))
    assert dates[old_selected.pk] == NOW + timedelta(days=30)  # never sooner than the first notice
    assert dates[young_selected.pk] == young_selected.created_date_time + timedelta(days=365)
    assert dates[not_selected.pk] is None and dates[security.pk] is None and dates[synced.pk] is None


def test_it_deletes_expired_groups_after_the_last_notice_and_they_restore(
    tenant, groups_admin, django_capture_on_commit_callbacks
):
    from groups.services import group_restore

    _policy(tenant, days=30)
    group = _m365(tenant, owners=[UserFactory(tenant=tenant)], expiration_date_time=NOW + timedelta(hours=12))
    with django_capture_on_commit_callbacks(execute=True):
        run_all(now=NOW, only=["group_expiration", "expire_groups"])
    group.refresh_from_db()
    assert not group.is_deleted and len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        run_all(now=NOW + timedelta(days=1), only=["group_expiration", "expire_groups"])
    group.refresh_from_db()
    assert group.is_deleted
    admin = type(groups_admin).objects.get(pk=groups_admin.pk)
    group_restore(actor=admin, group=group, now=NOW + timedelta(days=2))
    group.refresh_from_db()
    assert not group.is_deleted and group.expiration_date_time == NOW + timedelta(days=32)


def test_it_leaves_everything_alone_without_a_policy(tenant, django_capture_on_commit_callbacks):
    group = _m365(tenant, owners=[UserFactory(tenant=tenant)])
    assert _run(NOW, django_capture_on_commit_callbacks) == 0
    group.refresh_from_db()
    assert group.expiration_date_time is None and mail.outbox == []


def test_it_applies_a_policy_change_from_the_settings_page_at_once(tenant, admin_user):
    from django.utils import timezone

    from groups.services.settings import tenant_settings_update

    group = _m365(tenant, created_date_time=timezone.now() - timedelta(days=10))
    actor = type(admin_user).objects.select_related("tenant__group_settings").get(pk=admin_user.pk)
    tenant_settings_update(
        actor=actor, tenant=actor.tenant, changes={"group_lifetime_days": 365, "expiration_scope": "all"}
    )
    group.refresh_from_db()
    assert group.expiration_date_time == group.created_date_time + timedelta(days=365)
    tenant_settings_update(actor=actor, tenant=actor.tenant, changes={"group_lifetime_days": 180})
    group.refresh_from_db()
    assert group.expiration_date_time == group.created_date_time + timedelta(days=180)
    tenant_settings_update(actor=actor, tenant=actor.tenant, changes={"expiration_scope": "none"})
    group.refresh_from_db()
    assert group.expiration_date_time is None
